//! The model library: the built-in model, models the user picked (copied or referenced), files
//! that are not models, and the shared folder a phone fills from outside the app.

use std::path::PathBuf;

use mobench_core::runs::LiveEvent;
use mobench_engine::events::Event;
use serde_json::{json, Value};

use crate::support::{app, app_with, tiny_request, write_tiny_model, TestApp};

/// The channel every import in these tests reports its progress on.
const PROGRESS: &str = "__CHANNEL__:1";

/// A model the user has in a folder of their own ("My Model.gguf" in `picked/`), not picked yet.
fn users_model(t: &TestApp) -> PathBuf {
    let picked = t.dir.path().join("picked");
    std::fs::create_dir_all(&picked).unwrap();
    write_tiny_model(&picked.join("My Model.gguf"))
}

fn import(path: impl serde::Serialize, mode: &str) -> Value {
    json!({ "path": path, "mode": mode, "onProgress": PROGRESS })
}

#[test]
fn models_are_imported_copied_or_referenced_and_deleted() {
    let t = app();
    let models = t.models();
    assert_eq!(models.len(), 1);
    let builtin = &models[0];
    assert_eq!(builtin["source"], "builtin");
    assert!(builtin["n_params"].as_u64().unwrap() > 1_000_000);
    assert_eq!(builtin["sha256"].as_str().unwrap().len(), 64);
    let gguf = users_model(&t);

    // Only a file the user picked can be imported.
    let (code, message) = t.err("import_model", import(&gguf, "copy"));
    assert_eq!(code, "not_chosen");
    assert!(message.contains("My Model.gguf"), "{message}");

    t.pick(&gguf);
    let copied = t.ok("import_model", import(&gguf, "copy"));
    assert_eq!(copied["source"], "copied");
    let copy = PathBuf::from(copied["path"].as_str().unwrap());
    assert!(copy.starts_with(&t.state().models_dir), "{copy:?}");
    assert_eq!(copy.file_name().unwrap(), "My Model.gguf");
    assert_eq!(
        copied["sha256"].as_str().unwrap(),
        mobench_engine::llama::model::sha256_file(&gguf).unwrap()
    );
    assert_eq!(copied["n_params"], builtin["n_params"]);
    // A second copy of the same name does not overwrite the first.
    let again = t.ok("import_model", import(&gguf, "copy"));
    assert!(again["path"]
        .as_str()
        .unwrap()
        .ends_with("My Model (2).gguf"));

    let referenced = t.ok("import_model", import(&gguf, "reference"));
    assert_eq!(referenced["source"], "referenced");
    assert_eq!(referenced["sha256"], copied["sha256"]);
    assert_eq!(t.models().len(), 4);

    // A referenced file that disappears is listed with the problem.
    std::fs::rename(&gguf, gguf.with_file_name("moved.gguf")).unwrap();
    let models = t.models();
    let gone = models.iter().find(|m| m["source"] == "referenced").unwrap();
    assert!(
        gone["problem"].as_str().unwrap().contains("does not exist"),
        "{gone}"
    );

    // Deleting: a copy is removed, a reference forgotten, the built-in model stays.
    t.ok("delete_model", json!({ "path": copy }));
    assert!(!copy.exists());
    t.ok("delete_model", json!({ "path": gone["path"] }));
    assert_eq!(t.models().len(), 2);
    assert_eq!(
        t.err("delete_model", json!({ "path": builtin["path"] })).0,
        "builtin_model"
    );
    assert_eq!(
        t.err("delete_model", json!({ "path": "/nowhere.gguf" })).0,
        "not_found"
    );
}

#[test]
fn files_that_are_not_whole_models_are_refused_and_nothing_is_written() {
    let t = app();
    assert_eq!(
        t.models().len(),
        1,
        "the built-in model, in the models folder"
    );
    let gguf = users_model(&t);
    let picked = gguf.parent().unwrap();
    // Not a GGUF, and a GGUF cut short: refused, nothing written.
    let before = std::fs::read_dir(&t.state().models_dir).unwrap().count();
    let text = picked.join("notes.gguf");
    std::fs::write(&text, "just some text, not a model\n").unwrap();
    let bytes = std::fs::read(&gguf).unwrap();
    let cut = picked.join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for bad in [&text, &cut] {
        t.pick(bad);
        let (code, message) = t.err("import_model", import(bad, "copy"));
        assert_eq!(code, "model_file", "{message}");
        assert!(message.contains(bad.to_str().unwrap()), "{message}");
    }
    assert!(t
        .err("import_model", import(&cut, "copy"))
        .1
        .contains("truncated"));
    assert_eq!(
        std::fs::read_dir(&t.state().models_dir).unwrap().count(),
        before
    );
    assert_eq!(t.models().len(), 1);
}

/// An app with a shared folder (`Documents` in the test's folder) holding what Finder or the
/// Files app leave there: a model (`tiny.gguf`, whose path is returned), a model evicted to
/// iCloud, and other files.
fn app_with_shared_folder() -> (TestApp, PathBuf) {
    let t = app_with(|state, dir| state.shared_dir = Some(dir.join("Documents")));
    let shared = t.dir.path().join("Documents");
    std::fs::create_dir_all(&shared).unwrap();
    let model = write_tiny_model(&shared.join("tiny.gguf"));
    std::fs::write(shared.join(".big.Q4_K_M.gguf.icloud"), b"bplist00").unwrap();
    std::fs::write(shared.join("notes.txt"), b"hello").unwrap();
    std::fs::write(shared.join(".hidden.gguf"), b"GGUF").unwrap();
    (t, model)
}

#[test]
fn models_in_the_shared_folder_are_listed_and_icloud_placeholders_are_refused() {
    let (t, model) = app_with_shared_folder();
    let shared = model.parent().unwrap();
    assert_eq!(
        t.ok("app_info", json!({}))["shared_dir"],
        shared.display().to_string()
    );

    let models = t.models();
    let listed: Vec<(&str, &str, bool)> = models
        .iter()
        .map(|m| {
            (
                m["file_name"].as_str().unwrap(),
                m["source"].as_str().unwrap(),
                m["problem"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("mobench-tiny.gguf", "builtin", true),
            ("big.Q4_K_M.gguf", "shared", false),
            ("tiny.gguf", "shared", true)
        ]
    );
    let cloud = models[1]["problem"].as_str().unwrap();
    assert!(
        cloud.contains("stored in iCloud, not on this device"),
        "{cloud}"
    );
    assert_eq!(models[2]["architecture"], "llama");
}

#[test]
fn a_model_in_the_shared_folder_runs_where_it_is_and_only_models_there_can_be_deleted() {
    let (t, model) = app_with_shared_folder();
    let notes = model.with_file_name("notes.txt").display().to_string();
    // A model in the shared folder runs where it is; importing it copies nothing.
    let path = model.display().to_string();
    let imported = t.ok("import_model", import(&path, "copy"));
    assert_eq!(imported["source"], "shared");
    assert!(!t.state().models_dir.join("tiny.gguf").exists());
    let fit = t.ok("memory_fit", json!({ "models": [path], "nCtx": 512 }));
    assert_eq!(fit[0]["fit"]["verdict"], "fits", "{fit}");
    assert!(fit[0]["fit"]["estimate"]["total_bytes"].as_u64().unwrap() > 0);
    let events = t.run_collecting(tiny_request(&path, 1));
    assert!(events.iter().any(|e| matches!(
        e,
        LiveEvent::Run(Event::RunFinished {
            status: mobench_store::RunStatus::Completed,
            ..
        })
    )));

    // Deleting it from the app removes the file; nothing but a model there can be deleted.
    let (code, _) = t.err("delete_model", json!({ "path": notes }));
    assert_eq!(code, "not_found");
    assert!(model.with_file_name("notes.txt").exists());
    t.ok("delete_model", json!({ "path": path }));
    assert!(!model.exists());
    assert_eq!(t.models().len(), 2);

    let (code, message) = t.err("memory_fit", json!({ "models": [notes], "nCtx": 512 }));
    assert_eq!(code, "model_file");
    assert!(message.contains("notes.txt"), "{message}");
}
