//! `mobench speed` and the views of speed runs: llama-bench's markdown table, its CSV/JSON
//! fields, sustained-mode summaries, and comparisons between speed runs.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use mobench_engine::{Control, Event, Sink, SpeedRequest, Sustained};
use mobench_store::export::Table;
use mobench_store::speed::{FlashAttn, SpeedRow};
use mobench_store::{RunRow, RunStatus, Store};
use serde_json::json;

use crate::cli::{FlashAttnArg, SpeedArgs, SpeedFormat};
use crate::{paths, EXIT_INTERRUPTED};

/// Resolves `speed`'s raw arguments; the engine checks the rest against the model's header.
fn resolve(args: &SpeedArgs) -> Result<SpeedRequest> {
    let model = match &args.model {
        Some(m) => m.clone(),
        None => mobench_engine::ensure_builtin_model(&paths::data_dir()?)?,
    };
    let mut request = SpeedRequest::new(model);
    request.n_prompt = args.n_prompt.clone();
    request.n_gen = args.n_gen.clone();
    request.pg = args
        .pg
        .iter()
        .map(|s| parse_pair(s))
        .collect::<Result<_>>()?;
    request.n_depth = args.n_depth.clone();
    request.reps = args.reps;
    if !args.threads.is_empty() {
        request.threads = args.threads.clone();
    }
    request.n_batch = args.batch.clone();
    request.n_ubatch = args.ubatch.clone();
    request.gpu_layers = args.gpu_layers.clone();
    request.flash_attn = match args.flash_attn {
        FlashAttnArg::Auto => FlashAttn::Auto,
        FlashAttnArg::On => FlashAttn::On,
        FlashAttnArg::Off => FlashAttn::Off,
    };
    request.delay_s = args.delay;
    request.warmup = !args.no_warmup;
    request.sample_interval_ms = Some(args.sample_interval);
    request.sustained = args.sustained.map(|minutes| Sustained {
        minutes,
        round_tokens: args.round_tokens,
    });
    Ok(request)
}

fn parse_pair(s: &str) -> Result<(u32, u32)> {
    let bad = || anyhow!("--pg {s}: expected two counts, prompt and generation (e.g. 512,128)");
    let (p, g) = s.split_once(',').ok_or_else(bad)?;
    Ok((
        p.trim().parse().map_err(|_| bad())?,
        g.trim().parse().map_err(|_| bad())?,
    ))
}

/// Progress on stderr: one line per finished test or round; stdout keeps only the results.
struct SpeedProgress;

impl Sink for SpeedProgress {
    fn wants_tokens(&self) -> bool {
        false
    }

    fn on_event(&mut self, event: &Event) -> Control {
        match event {
            Event::SpeedStarted {
                run_id,
                model,
                tests,
                sustained_minutes,
                unused_cpu_features,
            } => {
                match sustained_minutes {
                    Some(m) => eprintln!("speed run {run_id}: {model}, sustained for {m} min"),
                    None => eprintln!("speed run {run_id}: {model}, {} test(s)", tests.len()),
                }
                if !unused_cpu_features.is_empty() {
                    eprintln!(
                        "warning: this CPU has {} but this build of llama.cpp does not use them; \
                         figures are below what the hardware can do (build with RUSTFLAGS=\"-C target-cpu=native\")",
                        unused_cpu_features.join(", ")
                    );
                }
            }
            Event::SpeedTestFinished {
                index,
                total,
                name,
                n_threads,
                avg_ts,
                stddev_ts,
                ..
            } => eprintln!(
                "[{}/{total}] {name} ({n_threads} threads): {avg_ts:.2} ± {stddev_ts:.2} t/s",
                index + 1
            ),
            Event::SustainedRound(r) => eprintln!(
                "round {:>4} at {:>7.1} s: {:.2} t/s{}",
                r.round,
                r.elapsed_ms / 1e3,
                r.tokens_per_s,
                r.thermal_state
                    .as_deref()
                    .map_or(String::new(), |t| format!(", thermal {t}"))
            ),
            _ => {}
        }
        Control::Continue
    }
}

pub fn run(db: &Path, args: SpeedArgs, cancel: mobench_engine::CancelFlag) -> Result<ExitCode> {
    let request = resolve(&args)?;
    let format = if args.json {
        SpeedFormat::Json
    } else {
        args.format
    };
    let outcome = mobench_engine::run_speed(db, request, cancel, &mut SpeedProgress)?;
    let store = mobench_engine::open_store(db)?;
    let run = store.run(outcome.run_id)?;
    if let Some(sustained) = mobench_core::views::sustained(&store, &run)? {
        print_sustained(&sustained, format == SpeedFormat::Json)?;
    } else {
        let rows = store.speed_results(outcome.run_id)?;
        print_results(&run, &rows, format)?;
    }
    eprintln!("stored as run {}", outcome.run_id);
    Ok(match outcome.status {
        RunStatus::Completed => ExitCode::SUCCESS,
        RunStatus::Interrupted => ExitCode::from(EXIT_INTERRUPTED),
        _ => ExitCode::from(1),
    })
}

fn table_of(runs: &[(RunRow, Vec<SpeedRow>)], samples: bool) -> Table {
    mobench_core::views::export::speed_table(runs, samples)
}

fn print_results(run: &RunRow, rows: &[SpeedRow], format: SpeedFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let runs = [(run.clone(), rows.to_vec())];
    match format {
        SpeedFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &table_of(&runs, true).to_json())?;
            writeln!(out)?;
        }
        SpeedFormat::Csv => table_of(&runs, false).write_csv(&mut out)?,
        SpeedFormat::Md => write!(out, "{}", markdown(rows))?,
    }
    Ok(())
}

/// llama-bench's markdown table: model, size, params, backend, threads, test, t/s.
pub fn markdown(rows: &[SpeedRow]) -> String {
    // (title, width; negative = left-aligned), as llama-bench sizes them
    const COLUMNS: [(&str, i32); 7] = [
        ("model", -30),
        ("size", 10),
        ("params", 10),
        ("backend", -10),
        ("threads", 7),
        ("test", 15),
        ("t/s", 20),
    ];
    let row = |cells: &[String]| {
        let mut s = String::from("|");
        for (cell, (_, w)) in cells.iter().zip(COLUMNS) {
            let n = w.unsigned_abs() as usize;
            if w < 0 {
                s.push_str(&format!(" {cell:<n$} |"));
            } else {
                s.push_str(&format!(" {cell:>n$} |"));
            }
        }
        s.push('\n');
        s
    };
    let mut s = row(&COLUMNS.map(|(title, _)| title.to_string()));
    s.push('|');
    for (_, w) in COLUMNS {
        let n = w.unsigned_abs() as usize;
        if w < 0 {
            s.push_str(&format!(" {} |", "-".repeat(n)));
        } else {
            s.push_str(&format!(" {}: |", "-".repeat(n - 1)));
        }
    }
    s.push('\n');
    for r in rows {
        let m = &r.meta;
        let t = &r.result.test;
        let size = if m.model_size < 1 << 30 {
            format!("{:.2} MiB", m.model_size as f64 / 1024.0 / 1024.0)
        } else {
            format!("{:.2} GiB", m.model_size as f64 / 1024.0 / 1024.0 / 1024.0)
        };
        let params = if m.model_n_params < 1_000_000_000 {
            format!("{:.2} M", m.model_n_params as f64 / 1e6)
        } else {
            format!("{:.2} B", m.model_n_params as f64 / 1e9)
        };
        let cells = [
            m.model_type.clone(),
            size,
            params,
            m.backends.clone(),
            t.n_threads.to_string(),
            t.name(),
            format!("{:.2} ± {:.2}", r.result.avg_ts(), r.result.stddev_ts()),
        ];
        s.push_str(&row(&cells));
    }
    s
}

fn print_sustained(sustained: &mobench_core::views::Sustained, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(sustained)?);
        return Ok(());
    }
    let summary = &sustained.summary;
    let rate = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.2} t/s"));
    println!(
        "sustained: {} rounds over {:.1} s",
        summary.rounds,
        summary.duration_ms / 1e3
    );
    println!("initial rate      {}", rate(summary.initial_ts));
    for (minutes, r) in &summary.at_minutes {
        let r = match r {
            Some(_) => rate(*r),
            None => "n/a (the run was shorter)".into(),
        };
        println!("after {minutes:>2} min      {r}");
    }
    println!("last rate         {}", rate(summary.last_ts));
    println!(
        "last / first      {}",
        summary
            .last_over_first
            .map_or("n/a".into(), |r| format!("{r:.3}"))
    );
    println!(
        "left nominal at   {}",
        match (summary.first_non_nominal_ms, &summary.thermal_unavailable) {
            (Some(ms), _) => format!("{:.1} s", ms / 1e3),
            (None, Some(why)) => format!("n/a ({why})"),
            (None, None) => "never (stayed nominal)".into(),
        }
    );
    Ok(())
}

/// `mobench show` for a speed run, as text (its JSON is the run detail's `speed` and `sustained`).
pub fn show(store: &Store, run: &RunRow) -> Result<()> {
    if let Some(sustained) = mobench_core::views::sustained(store, run)? {
        return print_sustained(&sustained, false);
    }
    print!("{}", markdown(&store.speed_results(run.id)?));
    Ok(())
}

/// `mobench compare` of speed runs: each test's t/s per run, and the ratio to the first run.
pub fn compare(store: &Store, runs: &[RunRow], json: bool) -> Result<()> {
    let mut results = Vec::new();
    for r in runs {
        results.push(store.speed_results(r.id)?);
    }
    let key = |row: &SpeedRow| (row.result.test.name(), row.result.test.n_threads);
    let mut keys: Vec<(String, u32)> = Vec::new();
    for rows in &results {
        for row in rows {
            if !keys.contains(&key(row)) {
                keys.push(key(row));
            }
        }
    }
    let value = |i: usize, k: &(String, u32)| {
        results[i]
            .iter()
            .find(|r| &key(r) == k)
            .map(|r| r.result.avg_ts())
    };
    if json {
        let rows: Vec<_> = keys
            .iter()
            .map(|k| {
                let values: Vec<Option<f64>> = (0..runs.len()).map(|i| value(i, k)).collect();
                let ratios: Vec<Option<f64>> = values
                    .iter()
                    .map(|v| match (v, values[0]) {
                        (Some(v), Some(b)) if b > 0.0 => Some(v / b),
                        _ => None,
                    })
                    .collect();
                json!({"test": k.0, "n_threads": k.1, "avg_ts": values, "ratio_vs_baseline": ratios})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "baseline": runs[0].id,
                "runs": runs.iter().map(|r| json!({"run_id": r.id, "model": r.model.display_name(), "quantization": r.model.quantization})).collect::<Vec<_>>(),
                "rows": rows,
            }))?
        );
        return Ok(());
    }
    print!("{:<22} {:>7}", "test", "threads");
    for r in runs {
        print!(
            " {:>22}",
            format!(
                "run {} {}",
                r.id,
                r.model.quantization.as_deref().unwrap_or("")
            )
        );
    }
    println!();
    for k in &keys {
        print!("{:<22} {:>7}", k.0, k.1);
        let base = value(0, k);
        for i in 0..runs.len() {
            let cell = match (value(i, k), base) {
                (Some(v), Some(b)) if i > 0 && b > 0.0 => format!("{v:.2} (×{:.3})", v / b),
                (Some(v), _) => format!("{v:.2}"),
                (None, _) => "n/a".into(),
            };
            print!(" {cell:>22}");
        }
        println!();
    }
    println!(
        "t/s, higher is better; (×r) = ratio to the baseline, run {}",
        runs[0].id
    );
    Ok(())
}
