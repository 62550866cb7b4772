//! How far the resource figures of a real run can be trusted, printed (not asserted): a
//! `mobench run` of a generated 100M-parameter F16 model at the default 250 ms interval; its
//! sampled peak memory against the kernel's ru_maxrss for that process (wait4), and what the
//! sampler itself cost.
//!
//! cargo bench -p mobench-cli --bench resource_accuracy [-- --limit N --max-tokens N]

#[path = "../tests/cli/support/process.rs"]
mod process;

use process::Env;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let limit = arg("--limit").unwrap_or_else(|| "5".into());
    let max_tokens = arg("--max-tokens").unwrap_or_else(|| "32".into());
    let env = Env::new();
    let (run_id, usage) = env.run_100m_model(&[
        "--datasets",
        "starter_qa",
        "--limit",
        &limit,
        "--max-tokens",
        &max_tokens,
    ]);
    let show = env.show(run_id);
    let figure = |name: &str| {
        show["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["figure"] == name)
            .and_then(|f| f["value"].as_f64())
    };
    let peak = figure("peak_memory_bytes").expect("peak memory");
    let kernel = usage.ru_maxrss as f64 * 1024.0;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "run of {limit} samples x {max_tokens} tokens, {} readings at 250 ms",
        figure("readings").unwrap_or(0.0)
    );
    println!(
        "peak memory: sampler {:.1} MiB, kernel ru_maxrss {:.1} MiB, ratio {:.4} (target within 10%)",
        mib(peak),
        mib(kernel),
        peak / kernel
    );
    println!(
        "baseline {:.1} MiB, added by the model {:.1} MiB",
        mib(figure("baseline_memory_bytes").unwrap_or(0.0)),
        mib(figure("model_memory_bytes").unwrap_or(0.0))
    );
    match figure("sampler_cpu_pct") {
        Some(p) => println!("sampler thread CPU: {p:.3} % of one core (target under 0.5 %)"),
        None => println!("sampler thread CPU: not measurable here"),
    }
    println!(
        "process CPU mean {:.1} %, p95 {:.1} %",
        figure("cpu_mean_pct").unwrap_or(f64::NAN),
        figure("cpu_p95_pct").unwrap_or(f64::NAN)
    );
}
