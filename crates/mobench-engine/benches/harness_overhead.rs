//! Harness overhead: everything a sample costs outside llama.cpp's decode calls (prompt
//! rendering and fitting, tokenization, sampling, detokenization, clean-up, grading, the
//! SQLite commit, event delivery), on a generated model of about 100M parameters.
//!
//! A benchmark that prints figures, not a timed test. Targets: under 1 ms per sample and
//! under 2% of the suite's wall time.
//!
//!     cargo bench -p mobench-engine --bench harness_overhead [-- --max-tokens N --threads N --tokens]
//!
//! Per sample, the window runs from the previous sample's `SampleFinished` event to this one's
//! (so it includes the next prompt's preparation); the sample's wall time inside its
//! `llama_decode` calls (`decode_calls_ms`) is subtracted. llama.cpp's own `t_p_eval + t_eval`
//! is printed beside it: it starts after llama.cpp's batch checks, so it is a little shorter. The first sample is left out: its window
//! starts at its own `SampleStarted`, after model load.

use std::time::Instant;

use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use mobench_engine::{
    run_suite, CancelFlag, Control, Event, InferenceSettings, Preset, RunRequest, Sink,
};
use mobench_store::Store;
use mobench_tasks::Selection;
use mobench_telemetry::percentile;

fn arg(name: &str) -> Option<u32> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// Times each sample's window as the events arrive. Like the CLI's progress bar it takes no
/// per-token events unless `--tokens` asks for them (what a live view costs).
#[derive(Default)]
struct Windows {
    tokens: bool,
    windows: Vec<f64>,
    last: Option<Instant>,
    run_started: Option<Instant>,
}

impl Sink for Windows {
    fn on_event(&mut self, e: &Event) -> Control {
        let now = Instant::now();
        match e {
            Event::SampleStarted { .. } if self.last.is_none() => {
                self.last = Some(now);
                self.run_started.get_or_insert(now);
            }
            Event::SampleFinished { .. } => {
                if let Some(prev) = self.last {
                    self.windows.push((now - prev).as_secs_f64() * 1e3);
                }
                self.last = Some(now);
            }
            _ => {}
        }
        Control::Continue
    }

    fn wants_tokens(&self) -> bool {
        self.tokens
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model_path = dir.path().join("bench-100m-f16.gguf");
    let model = model_path.clone();
    let spec = mobench_gen::ModelSpec::bench_100m();
    let t = Instant::now();
    mobench_gen::write_gguf(&spec, &model).expect("write model");
    println!(
        "model: {} parameters, F16, written in {:.1} s",
        spec.n_params(),
        t.elapsed().as_secs_f64()
    );
    let db = dir.path().join("bench.sqlite");
    let max_tokens = arg("--max-tokens").unwrap_or(16);
    let request = RunRequest {
        model,
        mmproj: None,
        suite: "starter".into(),
        tasks: vec![],
        datasets: vec![],
        datasets_dir: None,
        selection: Selection {
            limit: None,
            seed: None,
        },
        inference: InferenceSettings {
            max_tokens: Some(max_tokens),
            preset: Preset::Accuracy,
            threads: arg("--threads").unwrap_or(InferenceSettings::default().threads),
            ..Default::default()
        },
        sample_interval_ms: None,
        ignore_memory_limit: false,
    };
    let mut sink = Windows {
        tokens: std::env::args().any(|a| a == "--tokens"),
        ..Default::default()
    };
    let t_suite = Instant::now();
    let outcome = run_suite(&db, request, CancelFlag::default(), &mut sink).expect("run");
    let Windows {
        windows,
        run_started,
        ..
    } = sink;
    let suite_ms = t_suite.elapsed().as_secs_f64() * 1e3;
    let sampling_ms = run_started.map_or(suite_ms, |s| s.elapsed().as_secs_f64() * 1e3);

    let store = Store::open(&db).expect("db");
    let samples = store.samples(outcome.run_id).expect("samples");
    assert_eq!(samples.len(), windows.len(), "one window per sample");
    // Tokenizing the prompt is llama.cpp's work too, but outside its decode calls: time it
    // again here (same model, same flags) so the figures can be split.
    let vocab_model = LlamaModel::load_from_file(
        mobench_engine::llama::backend().expect("backend"),
        &model_path,
        &LlamaModelParams::default().with_vocab_only(true),
    )
    .expect("vocab");
    let mut overhead: Vec<f64> = Vec::new();
    let mut tokenize_total = 0.0;
    let mut decode_total = 0.0;
    let mut llama_total = 0.0;
    for (s, w) in samples.iter().zip(&windows).skip(1) {
        // Multi-turn samples (mt_bench) store the last turn's figures only: leave them out.
        if s.extra_json.is_some() {
            continue;
        }
        let inside = s.timings.decode_calls_ms.expect("decode time");
        let l = s.llama.expect("llama counters");
        decode_total += inside;
        llama_total += l.t_p_eval_ms + l.t_eval_ms;
        overhead.push(w - inside);
        let t = Instant::now();
        let tokens = vocab_model
            .vocab()
            .tokenize(s.prompt.as_bytes(), true, true);
        tokenize_total += t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(tokens.len(), s.prompt_tokens, "same tokenization");
    }
    let measured_wall: f64 = samples
        .iter()
        .zip(&windows)
        .skip(1)
        .filter(|(s, _)| s.extra_json.is_none())
        .map(|(_, w)| w)
        .sum();
    overhead.sort_by(f64::total_cmp);
    let total_overhead: f64 = overhead.iter().sum();
    let tokens: usize = samples
        .iter()
        .skip(1)
        .filter(|s| s.extra_json.is_none())
        .map(|s| s.output_tokens)
        .sum();
    println!(
        "suite: {} samples, {} generated tokens, {:.0} ms wall ({:.0} ms from the first sample on), --max-tokens {max_tokens}",
        samples.len(),
        tokens,
        suite_ms,
        sampling_ms
    );
    println!(
        "{} single-turn samples measured: inside llama_decode {:.0} ms of {:.0} ms (llama.cpp's own counters: {:.0} ms)",
        overhead.len(),
        decode_total,
        measured_wall,
        llama_total
    );
    println!(
        "harness overhead per sample: mean {:.3} ms, median {:.3} ms, p95 {:.3} ms, max {:.3} ms (target < 1 ms)",
        total_overhead / overhead.len() as f64,
        percentile(&overhead, 50.0).unwrap_or(f64::NAN),
        percentile(&overhead, 95.0).unwrap_or(f64::NAN),
        overhead.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "of which llama.cpp's tokenizer: {:.3} ms per sample; the rest (ours: prompt building, sampling, clean-up, grading, SQLite commit, events): {:.3} ms",
        tokenize_total / overhead.len() as f64,
        (total_overhead - tokenize_total) / overhead.len() as f64
    );
    println!(
        "harness overhead share of suite wall time: {:.2}% (target < 2%)",
        100.0 * total_overhead / measured_wall
    );
    println!(
        "harness overhead per generated token: {:.4} ms",
        total_overhead / tokens.max(1) as f64
    );
}
