//! "Get models" through IPC: the catalog, search and a repository's files from a stand-in hub on
//! 127.0.0.1 (the mirror of Settings), a download on its own thread followed through the stored
//! list, paused and resumed with a Range request, the model then in Models and runnable, and a
//! gated model refused until a token is in the (mock) keychain.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyring_core::CredentialStore;
use mobench_core::grading::Keychain;
use mobench_hub::testkit::{FakeFile, FakeHub, FakeRepo};
use serde_json::{json, Value};

use crate::support::{app_with, TestApp};

const REPO: &str = "TestOrg/Tiny-GGUF";

fn tiny_model_bytes(dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join("tiny-source.gguf");
    mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &path).unwrap();
    std::fs::read(&path).unwrap()
}

/// An app pointed at `hub` (its Settings mirror), with keyring's mock keychain.
fn app_for(hub: &FakeHub) -> TestApp {
    let store: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
    let t = app_with(move |state, _| state.keychain = Keychain::new(store));
    let mut settings = t.ok("get_settings", json!({}));
    settings["hub_endpoint"] = json!(hub.endpoint());
    t.ok("save_settings", json!({ "settings": settings }));
    t
}

/// Polls `list_downloads` until download `id` is no longer running; its row.
fn wait_download(t: &TestApp, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = t.ok("list_downloads", json!({}));
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .expect("the download is listed");
        if row["status"] != "running" {
            return row;
        }
        assert!(Instant::now() < deadline, "the download did not end: {row}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_model_is_found_downloaded_paused_resumed_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = tiny_model_bytes(dir.path());
    let hub = FakeHub::start(vec![FakeRepo::new(
        REPO,
        vec![FakeFile::new("tiny-F32.gguf", bytes.clone())],
    )]);
    let t = app_for(&hub);

    let catalog = t.ok("hub_catalog", json!({}));
    assert_eq!(catalog[0]["name"], "smollm2-135m-instruct");
    assert_eq!(
        catalog[0]["quants"][0]["spec"],
        "smollm2-135m-instruct:Q4_1"
    );
    let found = t.ok("hub_search", json!({ "text": "tiny" }));
    assert_eq!(found[0]["id"], REPO);
    let files = t.ok("hub_files", json!({ "repo": REPO }));
    assert_eq!(files[0]["path"], "tiny-F32.gguf");
    assert_eq!(files[0]["size"], bytes.len());

    // Slow enough to pause midway.
    hub.slow_downloads(4096, Duration::from_millis(5));
    let target = json!({ "kind": "file", "repo": REPO, "file": "tiny-F32.gguf" });
    let row = t.ok("start_download", json!({ "target": target }));
    assert_eq!(row["status"], "running");
    let id = row["id"].as_i64().unwrap();
    let part = t
        .state()
        .data_dir
        .join("models/hub/TestOrg--Tiny-GGUF/tiny-F32.gguf.part");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&part).map_or(0, |m| m.len()) == 0 {
        assert!(Instant::now() < deadline, "nothing arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    t.ok("pause_download", json!({ "id": id }));
    let paused = wait_download(&t, id);
    assert_eq!(paused["status"], "paused", "{paused}");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < bytes.len() as u64, "{kept}");
    assert_eq!(paused["done_bytes"], kept, "{paused}");
    let (code, _) = t.err("pause_download", json!({ "id": 9999 }));
    assert_eq!(code, "not_found");

    hub.slow_downloads(1 << 20, Duration::from_millis(0));
    t.ok("resume_download", json!({ "id": id }));
    let done = wait_download(&t, id);
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["done_bytes"], bytes.len());
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.contains(&format!("range=bytes={kept}-"))),
        "{:?}",
        hub.requests()
    );
    let path = done["path"].as_str().unwrap().to_string();
    let models = t.models();
    let model = models
        .iter()
        .find(|m| m["path"] == path.as_str())
        .expect("in Models");
    assert_eq!(model["source"], "copied");
    assert!(model["problem"].is_null(), "{model}");

    // Deleting it from Models takes the download's record and folder too.
    t.ok("delete_model", json!({ "path": path }));
    assert!(!std::path::Path::new(&path).exists());
    assert_eq!(t.ok("list_downloads", json!({})), json!([]));
}

#[test]
fn a_gated_model_needs_the_token_in_the_keychain_and_bad_answers_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = tiny_model_bytes(dir.path());
    let hub = FakeHub::start(vec![
        FakeRepo::new(
            "Meta/Gated-GGUF",
            vec![FakeFile::new("g-Q4_0.gguf", bytes.clone())],
        )
        .gated(),
        FakeRepo::new(
            REPO,
            vec![FakeFile::new("bad-Q4_0.gguf", bytes).with_wrong_sha256()],
        ),
    ]);
    hub.require_token("hf_app_token");
    let t = app_for(&hub);
    let target = json!({ "kind": "file", "repo": "Meta/Gated-GGUF", "file": "g-Q4_0.gguf" });
    let (code, message) = t.err("start_download", json!({ "target": target }));
    assert_eq!(code, "gated", "{message}");
    assert!(!t.ok("hub_has_token", json!({})).as_bool().unwrap());
    t.ok("set_hub_token", json!({ "token": "hf_app_token" }));
    assert!(t.ok("hub_has_token", json!({})).as_bool().unwrap());
    let row = t.ok("start_download", json!({ "target": target }));
    let done = wait_download(&t, row["id"].as_i64().unwrap());
    assert_eq!(done["status"], "done", "{done}");
    // The token is in no file of the data folder.
    for entry in walk(&t.state().data_dir) {
        let content = std::fs::read(&entry).unwrap();
        assert!(
            !content.windows(12).any(|w| w == b"hf_app_token"),
            "{}",
            entry.display()
        );
    }

    // A checksum mismatch: the row says why, and nothing is listed.
    let bad = json!({ "kind": "file", "repo": REPO, "file": "bad-Q4_0.gguf" });
    let row = t.ok("start_download", json!({ "target": bad }));
    let failed = wait_download(&t, row["id"].as_i64().unwrap());
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("checksum mismatch"),
        "{failed}"
    );
    assert!(!t
        .models()
        .iter()
        .any(|m| m["path"].as_str().unwrap().contains("bad-Q4_0")));
    t.ok("forget_download", json!({ "id": row["id"] }));

    let (code, _) = t.err("hub_files", json!({ "repo": "TestOrg/None" }));
    assert_eq!(code, "not_found");
    hub.answer_api_with_html();
    let (code, message) = t.err("hub_search", json!({ "text": "x" }));
    assert_eq!(code, "download");
    assert!(message.contains("web page"), "{message}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
