//! Image datasets through the CLI: the generated tiny model and its projector run rows of
//! MobileAIBench's VQAv2 and ScienceQA on the real llama.cpp, and are stored, shown and exported
//! with their image figures; a missing or wrong projector is one clear line that stores nothing.

use std::path::PathBuf;

use mobench_gen::{write_projector, ModelSpec, ProjectorSpec};

use crate::support::{shared_datasets, write_model, Env};

/// The tiny model and its projector, in the test's home.
fn pair(env: &Env) -> (PathBuf, PathBuf) {
    let spec = ModelSpec::tiny();
    let model = env.path().join("tiny.gguf");
    let mmproj = env.path().join("mmproj-tiny.gguf");
    write_model(&spec, &model);
    write_projector(&ProjectorSpec::tiny_for(&spec), &mmproj).unwrap();
    (model, mmproj)
}

fn vqa_args<'a>(model: &'a str, data: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--model",
        model,
        "--suite",
        "mobileaibench",
        "--tasks",
        "vqa",
        "--datasets-dir",
        data,
        "--limit",
        "2",
        "--max-tokens",
        "4",
    ]
}

#[test]
fn vqav2_and_scienceqa_run_with_a_projector_and_are_stored_shown_and_exported() {
    let env = Env::new();
    let (model, mmproj) = pair(&env);
    let data = shared_datasets();
    let mut args = vqa_args(model.to_str().unwrap(), data.to_str().unwrap());
    args.extend(["--mmproj", mmproj.to_str().unwrap(), "--json"]);
    let out = env.json(&args);
    let run_id = out["run_id"].as_i64().expect("run_id");
    assert_eq!(out["status"], "completed", "{out}");

    let show = env.show(run_id);
    assert_eq!(show["run"]["projector"]["projector_type"], "mlp");
    assert!(show["loads"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["projector_load_ms"].as_f64().is_some_and(|ms| ms > 0.0)));
    let mean = |dataset: &str, figure: &str| {
        show["aggregates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["dataset"] == dataset && a["figure"] == figure && a["stat"] == "mean")
            .unwrap_or_else(|| panic!("{dataset} {figure} in {show}"))["value"]
            .as_f64()
    };
    for dataset in ["vqav2", "scienceqa"] {
        assert_eq!(mean(dataset, "image_tokens"), Some(16.0));
        assert!(mean(dataset, "image_encode_ms").is_some_and(|ms| ms > 0.0));
        assert!(mean(dataset, "image_decode_ms").is_some_and(|ms| ms > 0.0));
        assert!(mean(dataset, "prompt_text_tokens").is_some_and(|n| n > 10.0));
    }
    // Random weights answer nothing right, but every answer is graded.
    assert!(mean("vqav2", "vqa_accuracy").is_some());
    assert!(mean("scienceqa", "letter").is_some());

    let text = env.ok(&["show", &run_id.to_string()]).stdout;
    assert!(text.contains("vision projector:"), "{text}");
    assert!(text.contains("images (p50)"), "{text}");

    let csv = env.sample_rows(run_id);
    assert_eq!(csv.rows.len(), 4);
    for path in csv.column("image_path") {
        assert!(path.ends_with(".jpg") && path.contains("images"), "{path}");
    }
    for tokens in csv.column("image_tokens") {
        assert_eq!(tokens, "16");
    }
    assert!(csv.column("image_encode_ms").iter().all(|v| !v.is_empty()));

    // One row per run and dataset: the projector and the image figures' statistics.
    let runs = env.export_csv(&[&run_id.to_string()]);
    assert_eq!(runs.rows.len(), 2);
    let sha = show["run"]["projector"]["sha256"].as_str().unwrap();
    assert!(runs.column("projector_sha256").iter().all(|v| *v == sha));
    assert!(runs
        .column("image_encode_ms_median")
        .iter()
        .all(|v| !v.is_empty()));
    assert!(runs
        .column("load_projector_ms")
        .iter()
        .all(|v| !v.is_empty()));

    // A text run's exports keep their columns.
    let text_run = env.quick_run()["run_id"].as_i64().unwrap();
    let text = env.export_csv(&[&text_run.to_string()]);
    assert!(!text
        .headers
        .iter()
        .any(|h| h.contains("image") || h.contains("projector")));
}

#[test]
fn a_missing_or_wrong_projector_is_one_clear_line_and_stores_nothing() {
    let env = Env::new();
    let (model, _) = pair(&env);
    let data = shared_datasets();
    let (m, d) = (model.to_str().unwrap(), data.to_str().unwrap());

    let line = env.run(&vqa_args(m, d)).error_line();
    assert!(
        line.contains("vqav2, scienceqa") && line.contains("--mmproj"),
        "{line}"
    );

    // A text model given as the projector.
    let mut args = vqa_args(m, d);
    args.extend(["--mmproj", m]);
    let line = env.run(&args).error_line();
    assert!(
        line.contains("projector ") && line.contains("tiny.gguf"),
        "{line}"
    );

    // A file that is not GGUF at all.
    let junk = env.path().join("mmproj-junk.gguf");
    std::fs::write(&junk, b"not a gguf file, just text").unwrap();
    let mut args = vqa_args(m, d);
    args.extend(["--mmproj", junk.to_str().unwrap()]);
    let line = env.run(&args).error_line();
    assert!(line.contains("mmproj-junk.gguf"), "{line}");

    assert_eq!(env.runs().as_array().map(Vec::len), Some(0));
}
