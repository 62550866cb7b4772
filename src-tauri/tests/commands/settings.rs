//! Settings, and clearing what the app stored.

use std::path::Path;

use serde_json::json;

use crate::support::{app, until_a_sample_finished, write_tiny_model};

#[test]
fn settings_round_trip_and_invalid_ones_are_refused_with_a_reason() {
    let t = app();
    let mut s = t.ok("get_settings", json!({}));
    assert_eq!(s["defaults"]["preset"], "mobile");
    s["cooldown_s"] = json!(15);
    s["defaults"]["examples"] = json!(50);
    assert_eq!(t.ok("save_settings", json!({ "settings": s.clone() })), s);
    assert_eq!(t.ok("get_settings", json!({})), s);

    let mut bad = s.clone();
    bad["defaults"]["threads"] = json!(10_000);
    let (code, message) = t.err("save_settings", json!({ "settings": bad }));
    assert_eq!(code, "settings");
    assert!(message.contains("10000 threads"), "{message}");
    assert_eq!(t.ok("get_settings", json!({})), s, "nothing changed");
}

#[test]
fn attach_and_clear_data_through_ipc() {
    let t = app();
    assert!(t
        .ok("attach_run", json!({ "onEvent": "__CHANNEL__:10" }))
        .is_null());

    // Mid-run, a window attaches; clearing data is refused until the run is over.
    until_a_sample_finished(&t.start_long_run());
    let attached = t.ok("attach_run", json!({ "onEvent": "__CHANNEL__:11" }));
    assert!(attached["run_id"].as_i64().unwrap() > 0, "{attached}");
    assert_eq!(t.err("clear_data", json!({ "scope": "runs" })).0, "busy");
    t.ok("cancel_run", json!({}));
    t.wait_idle();

    // A copied model, a downloaded-looking dataset file and changed settings, then clear.
    let picked = write_tiny_model(&t.dir.path().join("m.gguf"));
    t.pick(&picked);
    let copy = t.ok(
        "import_model",
        json!({ "path": picked, "mode": "copy", "onProgress": "__CHANNEL__:12" }),
    );
    let mut s = t.ok("get_settings", json!({}));
    s["cooldown_s"] = json!(5);
    t.ok("save_settings", json!({ "settings": s }));
    std::fs::create_dir_all(&t.state().datasets_dir).unwrap();
    std::fs::write(t.state().datasets_dir.join("mmlu.csv"), "x").unwrap();

    t.ok("clear_data", json!({ "scope": "runs" }));
    assert!(t.runs().is_empty());
    assert_eq!(t.models().len(), 2, "models stay");

    t.ok("clear_data", json!({ "scope": "all" }));
    assert_eq!(t.models().len(), 1, "only the built-in model is left");
    assert!(!Path::new(copy["path"].as_str().unwrap()).exists());
    assert!(picked.exists(), "the user's own file is never touched");
    assert!(!t.state().datasets_dir.exists());
    assert_eq!(t.ok("get_settings", json!({}))["cooldown_s"], 0);
}
