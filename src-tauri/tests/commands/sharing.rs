//! Runs between devices in the app: a bundle shared from one app (its own database, so its own
//! device) and imported into another, once; the run then in History with its device and origin,
//! in Compare beside a local run, and in the Devices view; a `.mobench` file opened from outside;
//! paths not picked and bad bundles refused with their codes.

use serde_json::json;

use crate::support::{app, tiny_request, TestApp};

/// An app with one finished run of the built-in model; its id.
fn app_with_a_run() -> (TestApp, i64) {
    let t = app();
    t.run_collecting(tiny_request(&t.builtin(), 1));
    let id = t.runs()[0]["id"].as_i64().unwrap();
    (t, id)
}

#[test]
fn a_shared_bundle_shows_in_the_other_apps_history_compare_and_devices() {
    let (phone, phone_run) = app_with_a_run();
    let (mac, mac_run) = app_with_a_run();
    let bundle = phone.dir.path().join("phone.mobench");
    phone.pick(&bundle);
    let written = phone.ok(
        "export_bundle",
        json!({ "runIds": [phone_run], "path": bundle }),
    );
    assert_eq!(written["runs"], 1);

    // Not picked in the file picker: refused.
    let (code, _) = mac.err("import_bundles", json!({ "paths": [bundle] }));
    assert_eq!(code, "not_chosen");
    mac.pick(&bundle);
    let report = mac.ok("import_bundles", json!({ "paths": [bundle] }));
    let imported = report["added"][0][0].as_i64().unwrap();
    let again = mac.ok("import_bundles", json!({ "paths": [bundle] }));
    assert_eq!(again["added"], json!([]));
    assert_eq!(again["present"][0][0], imported);

    let runs = mac.runs();
    assert_eq!(runs.len(), 2);
    let theirs = runs.iter().find(|r| r["id"] == imported).unwrap();
    let mine = runs.iter().find(|r| r["id"] == mac_run).unwrap();
    let original = &phone.runs()[0];
    assert_eq!(theirs["uuid"], original["uuid"]);
    assert_eq!(theirs["device_id"], original["device_id"]);
    assert_ne!(theirs["device_id"], mine["device_id"]);
    assert_eq!(theirs["origin"], "bundle phone.mobench");
    assert!(mine["origin"].is_null());

    let cmp = mac.ok(
        "compare_runs",
        json!({ "runIds": [mac_run, imported], "baseline": mac_run }),
    );
    let labels: Vec<&str> = cmp["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["device_label"].as_str().unwrap())
        .collect();
    assert_ne!(labels[0], labels[1], "each column names its device");

    let board = mac.ok("list_devices", json!({ "filter": null }));
    let devices = board[0]["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{board}");
    let only_phone = mac.ok(
        "list_devices",
        json!({ "filter": { "device": &original["device_id"].as_str().unwrap()[..8], "model": null, "quant": null } }),
    );
    assert_eq!(only_phone[0]["devices"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bundle_opened_from_outside_waits_for_the_window_and_may_be_imported() {
    let (phone, phone_run) = app_with_a_run();
    let bundle = phone.dir.path().join("AirDropped.mobench");
    phone.pick(&bundle);
    phone.ok(
        "export_bundle",
        json!({ "runIds": [phone_run], "path": bundle }),
    );
    let mac = app();
    let other = mac.dir.path().join("notes.txt");
    mobench_app_lib::sharing::opened(mac.app.handle(), vec![bundle.clone(), other]);
    let opened = mac.ok("take_opened_bundles", json!({}));
    assert_eq!(opened, json!([bundle.display().to_string()]));
    assert_eq!(mac.ok("take_opened_bundles", json!({})), json!([]));
    // Opened by the OS: allowed as if picked.
    let report = mac.ok("import_bundles", json!({ "paths": [bundle] }));
    assert_eq!(report["added"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bad_bundle_is_refused_with_its_code_and_the_history_is_unchanged() {
    let (mac, _) = app_with_a_run();
    let fake = mac.dir.path().join("fake.mobench");
    std::fs::write(&fake, b"not runs").unwrap();
    mac.pick(&fake);
    let before = mac.runs();
    let (code, message) = mac.err("import_bundles", json!({ "paths": [fake] }));
    assert_eq!(code, "bundle");
    assert!(
        message.contains("fake.mobench") && message.contains("not a mobench bundle"),
        "{message}"
    );
    assert_eq!(mac.runs().len(), before.len());
    let out = mac.dir.path().join("none.mobench");
    mac.pick(&out);
    let (code, _) = mac.err("export_bundle", json!({ "runIds": [], "path": out }));
    assert_eq!(code, "settings");
}
