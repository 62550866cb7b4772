//! How fast stored runs load for the app's views: a comparison of 10 runs of 1,000 samples each
//! (plus a sample-level diff of one dataset), and a history of 1,000 runs. This is the data part
//! of the app's targets (compare: load plus render under 200 ms); the UI's render time is
//! measured in Chromium by `ui/bench/ui-bench.mjs`.
//!
//! A benchmark that prints figures, not a timed test:
//!
//!     cargo bench -p mobench-core --bench views

use std::time::Instant;

use mobench_core::views as report;
use mobench_store::{
    NewDataset, NewModel, NewRun, PlannedDataset, RunKind, RunStatus, SampleRecord, SampleTimings,
    ScoreRecord, Store,
};

const DATASETS: usize = 10;
const SAMPLES_PER_DATASET: usize = 100;

fn sample(dataset_id: i64, row: usize, run: usize) -> SampleRecord {
    // Deterministic variety: answers and timings differ between runs on some rows.
    let x = ((row * 7919 + run * 104729) % 1000) as f64 / 1000.0;
    SampleRecord {
        dataset_id,
        row_index: row,
        example_id: None,
        prompt: format!("Question {row}: what is the capital of country number {row}?"),
        reference: format!("City {row}"),
        prediction_raw: format!("City {}", if x > 0.8 { row + 1 } else { row }),
        prediction: format!("City {}", if x > 0.8 { row + 1 } else { row }),
        extra_json: None,
        error: None,
        truncated: false,
        stop_reason: "eos".into(),
        prompt_tokens: 40 + row % 30,
        output_tokens: 12,
        timings: SampleTimings {
            ttft_ms: Some(20.0 + 10.0 * x),
            prefill_ms: Some(15.0),
            decode_calls_ms: Some(60.0),
            prefill_tokens_per_s: Some(900.0 + 100.0 * x),
            decode_tokens_per_s: Some(150.0 + 20.0 * x),
            itl_p50_ms: Some(6.0),
            itl_p95_ms: Some(8.0),
            itl_max_ms: Some(9.0),
            output_eval_ms: Some(70.0),
            total_ms: 95.0,
            ..Default::default()
        },
        image_path: None,
        image_tokens: None,
        prompt_text_tokens: None,
        llama: None,
        scores: vec![ScoreRecord {
            metric: "f1".into(),
            value: Some(x),
            extracted: None,
            flag: None,
            missing_reason: None,
            grader: "bench".into(),
        }],
    }
}

fn fill(store: &mut Store, runs: usize, samples_per_dataset: usize) -> Vec<i64> {
    let model_id = store
        .upsert_model(&NewModel {
            path: "/models/m.gguf".into(),
            sha256: "00".repeat(32),
            size_bytes: 1 << 30,
            name: Some("bench model".into()),
            architecture: Some("llama".into()),
            n_params: 1_000_000_000,
            quantization: Some("Q4_K_M".into()),
            n_ctx_train: 4096,
            has_chat_template: true,
        })
        .unwrap();
    let datasets: Vec<i64> = (0..DATASETS)
        .map(|d| {
            store
                .upsert_dataset(&NewDataset {
                    name: format!("dataset_{d}"),
                    task: "question_answering".into(),
                    suite: "bench".into(),
                    sha256: format!("{d:064}"),
                    rows: samples_per_dataset,
                })
                .unwrap()
        })
        .collect();
    let plan: Vec<PlannedDataset> = datasets
        .iter()
        .map(|&dataset_id| PlannedDataset {
            dataset_id,
            task_version: 1,
            rows: (0..samples_per_dataset).collect(),
            metrics: vec!["f1".into()],
        })
        .collect();
    let mut ids = Vec::new();
    for run in 0..runs {
        let run_id = store
            .create_run(
                &NewRun {
                    kind: RunKind::Suite,
                    model_id,
                    settings_json: "{}".into(),
                    app_version: "bench".into(),
                    llama_version: "bench".into(),
                    device_json: "{}".into(),
                    projector: None,
                },
                &plan,
            )
            .unwrap();
        for &d in &datasets {
            for row in 0..samples_per_dataset {
                store.insert_sample(run_id, &sample(d, row, run)).unwrap();
            }
        }
        store.compute_aggregates(run_id).unwrap();
        store
            .set_status(run_id, RunStatus::Completed, None)
            .unwrap();
        ids.push(run_id);
    }
    ids
}

fn median_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("views.sqlite");
    let mut store = Store::open(&db).unwrap();
    let t = Instant::now();
    let ten = fill(&mut store, 10, SAMPLES_PER_DATASET);
    eprintln!(
        "stored 10 runs x {} samples in {:.1} s",
        DATASETS * SAMPLES_PER_DATASET,
        t.elapsed().as_secs_f64()
    );
    let compare = median_ms(
        || {
            let s = mobench_engine::open_store(&db).unwrap();
            let c = report::compare(&s, &ten, ten[0]).unwrap();
            assert!(!c.rows.is_empty());
        },
        9,
    );
    let diff = median_ms(
        || {
            let s = mobench_engine::open_store(&db).unwrap();
            report::sample_diff(&s, &ten, "dataset_0").unwrap();
        },
        9,
    );
    let samples = median_ms(
        || {
            let s = mobench_engine::open_store(&db).unwrap();
            assert_eq!(s.samples(ten[0]).unwrap().len(), 1000);
        },
        9,
    );
    // A history of 1,000 runs (small ones: the list reads pooled aggregates, not samples).
    fill(&mut store, 990, 1);
    let history = median_ms(
        || {
            let s = mobench_engine::open_store(&db).unwrap();
            assert_eq!(report::summaries(&s).unwrap().len(), 1000);
        },
        9,
    );
    println!("| view (data load, median of 9, opening the database included) | ms |");
    println!("|---|---|");
    println!("| compare 10 runs x 1,000 samples (`compare_runs`) | {compare:.1} |");
    println!("| sample diff of one dataset across 10 runs (`sample_diff`) | {diff:.1} |");
    println!("| one run's 1,000 samples (`get_samples`) | {samples:.1} |");
    println!("| history of 1,000 runs with headlines (`list_runs`) | {history:.1} |");
    println!("target: compare data load + render < 200 ms (render: ui/bench/ui-bench.mjs)");
}
