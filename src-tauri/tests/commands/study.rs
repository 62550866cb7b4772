//! The quantization study through IPC: started from a library model with levels and a suite, its
//! table read back, exported where the user chose; bad levels refused before anything runs.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{app, rows_of, TestApp};

fn wait_study(t: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while t.ok("study_active", json!({})) == json!(true) {
        assert!(Instant::now() < deadline, "the study did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_study_of_the_builtin_model_runs_and_its_table_is_exported() {
    let t = app();
    let model = t.builtin();
    let types = t.ok("quant_types", json!({}));
    assert!(types["usual"]
        .as_array()
        .unwrap()
        .contains(&json!("Q4_K_M")));
    assert!(types["all"].as_array().unwrap().contains(&json!("IQ4_XS")));

    t.ok(
        "start_study",
        json!({
            "request": {
                "base": model, "types": ["Q4_0"], "suite": "starter", "datasets": [],
                "limit": 1, "keep_pct": null, "speed": false, "probe_ctx": 128
            },
            "onEvent": "__CHANNEL__:60"
        }),
    );
    // One study at a time, and no run beside it.
    let (code, _) = t.err(
        "start_study",
        json!({
            "request": { "base": model, "types": ["Q8_0"], "suite": "starter", "limit": 1, "speed": false },
            "onEvent": "__CHANNEL__:61"
        }),
    );
    assert_eq!(code, "busy");
    wait_study(&t);

    let studies = t.ok("list_studies", json!({}));
    let id = studies[0]["id"].as_i64().unwrap();
    assert_eq!(studies[0]["levels"], json!(["base", "Q4_0"]));
    let table = t.ok("get_study", json!({ "studyId": id }));
    assert_eq!(table["status"], "completed", "{table}");
    let levels = table["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2);
    assert!(levels[1]["size_bytes"].as_u64().unwrap() < levels[0]["size_bytes"].as_u64().unwrap());
    assert!(levels[1]["divergence"]["mean"].as_f64().unwrap() > 0.0);
    assert!(!levels[0]["tasks"].as_array().unwrap().is_empty());
    assert!(levels[1]["suite_run_id"].is_number());
    assert!(table["recommendation"]["reason"].as_str().unwrap().len() > 10);
    // The held-fixed settings came from Settings.
    assert_eq!(table["settings"]["selection"]["limit"], 1);

    let path = t.dir.path().join("study.csv");
    t.pick(&path);
    t.ok("export_study", json!({ "studyId": id, "path": path }));
    assert_eq!(rows_of(&path).len(), 2);
    let elsewhere = t.dir.path().join("not-picked.csv");
    let (code, _) = t.err("export_study", json!({ "studyId": id, "path": elsewhere }));
    assert_eq!(code, "not_chosen");
    assert!(!elsewhere.exists());
}

#[test]
fn a_study_with_a_level_llama_cpp_does_not_know_is_refused() {
    let t = app();
    let model = t.builtin();
    let (code, message) = t.err(
        "start_study",
        json!({
            "request": { "base": model, "types": ["Q4_9"], "suite": "starter", "limit": 1, "speed": false },
            "onEvent": "__CHANNEL__:62"
        }),
    );
    assert_eq!(code, "settings");
    assert!(message.contains("Q4_9"), "{message}");
    assert_eq!(t.ok("list_studies", json!({})), json!([]));
    let (code, _) = t.err("get_study", json!({ "studyId": 99 }));
    assert_eq!(code, "not_found");
}
