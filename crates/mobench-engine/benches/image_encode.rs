//! Image encoding, ours against mtmd's: for a generated model and vision projector, runs VQAv2
//! rows (../shared/datasets/mobileaibench/vqav2) through the engine and prints, per sample, the
//! image's decode and encode time by our clock, mtmd's own "image slice encoded in N ms", and the
//! image tokens against the projector's patches.
//!
//! A benchmark that prints figures, not a timed test. Target: our encode time within 5% of mtmd's.
//!
//!     cargo bench -p mobench-engine --bench image_encode [-- --rows N --threads N --tiny]
//!
//! By default the pair is the 100M-parameter model with the benchmark projector (224x224 images,
//! 256 tokens), whose encode takes long enough for whole milliseconds to mean something; `--tiny`
//! uses the test pair (32x32, 16 tokens, well under a millisecond). mtmd reports whole
//! milliseconds (truncated), so the two differ by up to 1 ms on top of any real disagreement.

use std::path::Path;

use mobench_engine::{run_suite, CancelFlag, Control, Event, InferenceSettings, RunRequest};
use mobench_gen::{write_gguf, write_projector, ModelSpec, ProjectorSpec};
use mobench_store::Store;
use mobench_tasks::Selection;

fn arg(name: &str) -> Option<u32> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let rows = arg("--rows").unwrap_or(10) as usize;
    let threads = arg("--threads").unwrap_or(2);
    let tiny = std::env::args().any(|a| a == "--tiny");
    let datasets =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench");
    assert!(
        datasets.join("vqav2/prompts.json").is_file(),
        "{} is missing",
        datasets.display()
    );

    let dir = tempfile::tempdir().unwrap();
    let (spec, projector) = if tiny {
        let spec = ModelSpec::tiny();
        let p = ProjectorSpec::tiny_for(&spec);
        (spec, p)
    } else {
        let spec = ModelSpec::bench_100m();
        let p = ProjectorSpec::bench_for(&spec);
        (spec, p)
    };
    let model = dir.path().join("model.gguf");
    let mmproj = dir.path().join("mmproj.gguf");
    write_gguf(&spec, &model).unwrap();
    write_projector(&projector, &mmproj).unwrap();
    let db = dir.path().join("runs.sqlite");
    let request = RunRequest {
        model,
        mmproj: Some(mmproj),
        suite: "mobileaibench".into(),
        tasks: vec!["vqa".into()],
        datasets: vec!["vqav2".into()],
        datasets_dir: Some(datasets),
        selection: Selection {
            limit: Some(rows),
            seed: None,
        },
        inference: InferenceSettings {
            max_tokens: Some(1),
            threads,
            ..Default::default()
        },
        sample_interval_ms: None,
        ignore_memory_limit: false,
    };
    let outcome = run_suite(&db, request, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap();
    let store = Store::open(&db).unwrap();
    let samples = store.samples(outcome.run_id).unwrap();

    println!(
        "projector: {}x{} images, {}x{} patches -> {} tokens, width {} x {} blocks; {threads} threads",
        projector.image_size,
        projector.image_size,
        projector.patch_size,
        projector.patch_size,
        projector.n_image_tokens(),
        projector.n_embd,
        projector.n_layer
    );
    println!(
        "{:>12} {:>10} {:>11} {:>11} {:>7} {:>7} {:>12}",
        "image", "decode ms", "encode ms", "mtmd ms", "ratio", "tokens", "text tokens"
    );
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for row in &samples {
        let s = &row.sample;
        if let Some(e) = &s.error {
            println!("{:>12} failed: {e}", s.example_id.as_deref().unwrap_or("?"));
            continue;
        }
        let mtmd = s
            .extra_json
            .as_deref()
            .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
            .and_then(|v| v["mtmd_image_encode_ms"].as_f64());
        let encode = s.timings.image_encode_ms;
        let ratio = match (encode, mtmd) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
            _ => "-".into(),
        };
        let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
        println!(
            "{:>12} {:>10} {:>11} {:>11} {:>7} {:>7} {:>12}",
            s.example_id.as_deref().unwrap_or("?"),
            show(s.timings.image_decode_ms),
            show(encode),
            show(mtmd),
            ratio,
            s.image_tokens.map_or("-".into(), |n| n.to_string()),
            s.prompt_text_tokens.map_or("-".into(), |n| n.to_string()),
        );
        if let (Some(a), Some(b)) = (encode, mtmd) {
            ours.push(a);
            theirs.push(b);
        }
        assert_eq!(
            s.image_tokens,
            Some(projector.n_image_tokens() as usize),
            "image tokens differ from the projector's patches"
        );
    }
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    if !ours.is_empty() && sum(&theirs) > 0.0 {
        println!(
            "total over {} images: ours {:.1} ms, mtmd {:.0} ms, ratio {:.3} (mtmd truncates each to whole ms)",
            ours.len(),
            sum(&ours),
            sum(&theirs),
            sum(&ours) / sum(&theirs)
        );
    }
}
