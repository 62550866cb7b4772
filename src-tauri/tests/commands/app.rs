//! The app itself: what it says about itself, and which windows may call it.

use serde_json::json;
use tauri::test::get_ipc_response;
use tauri::WebviewWindowBuilder;

use crate::support::{app, request};

#[test]
fn commands_are_allowed_for_the_main_window_only() {
    let t = app();
    let info = t.ok("app_info", json!({}));
    assert_eq!(info["platform"], std::env::consts::OS);
    assert!(info["llama"].as_str().unwrap().contains("llama-cpp-2"));
    assert!(info["threads_max"].as_u64().unwrap() >= 1);
    // On a desktop the data folder can be moved (MOBENCH_DATA_DIR); on a phone the OS fixes it.
    assert_eq!(info["db_path_editable"], true);
    assert!(t.ok("ui_ready", json!({})).as_f64().unwrap() > 0.0);

    let other = WebviewWindowBuilder::new(&t.app, "other", Default::default())
        .build()
        .unwrap();
    let refused = get_ipc_response(&other, request("list_runs", json!({}))).unwrap_err();
    assert!(
        refused.as_str().unwrap_or_default().contains("not allowed"),
        "{refused}"
    );
}
