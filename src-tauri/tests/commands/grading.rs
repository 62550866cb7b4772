//! Grading with a judge through IPC: judges and embedders defined in Settings, an endpoint's API
//! key handed to keyring's mock keychain and found nowhere else (not in the settings file, the
//! SQLite files or any other file of the data folder, nor in what a command answers), the key
//! reaching the endpoint and only it, the tiny model grading a run as a judge, cancel, and no
//! grading while a run goes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyring_core::{CredentialStore, Entry};
use mobench_core::grading::keychain::{account, SERVICE};
use mobench_core::grading::Keychain;
use mobench_core::runs::{LiveEvent, QueueEvent};
use serde_json::{json, Value};

use crate::support::{
    app_with, tiny_request, until, until_a_sample_finished, until_finished, TestApp,
};

/// An app whose keychain is keyring's in-memory mock store (returned, to look into).
fn app_with_mock_keychain() -> (TestApp, Arc<CredentialStore>) {
    let store: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
    let kept = store.clone();
    let t = app_with(move |state, _| state.keychain = Keychain::new(kept));
    (t, store)
}

/// A finished starter run of `datasets`, `examples` rows each, on the built-in model.
fn finished_run(t: &TestApp, datasets: &[&str], examples: u32) -> i64 {
    let mut request = tiny_request(&t.builtin(), examples);
    request.datasets = datasets.iter().map(|d| d.to_string()).collect();
    let events = t.run_collecting(request);
    match events.last() {
        Some(LiveEvent::Queue(QueueEvent::QueueFinished { run_ids, .. })) => run_ids[0],
        other => panic!("the run did not finish: {other:?}"),
    }
}

fn add(t: &TestApp, grader: Value) -> Value {
    let settings = t.ok("add_grader", json!({ "grader": grader }));
    settings["graders"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone()
}

fn local_judge(t: &TestApp) -> String {
    let g = add(
        t,
        json!({ "name": "", "role": "judge", "source": { "kind": "local", "path": t.builtin() } }),
    );
    assert_eq!(g["name"], "mobench-tiny");
    g["id"].as_str().unwrap().to_string()
}

/// Waits until no grading pass goes on.
fn wait_graded(t: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while t.state().grading.status().is_some() {
        assert!(Instant::now() < deadline, "the grading pass did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start_grading(t: &TestApp, run_id: i64, judge: &str) -> Result<Value, Value> {
    t.call(
        "start_grading",
        json!({ "runId": run_id, "judge": judge, "embedder": null, "onEvent": "__CHANNEL__:40" }),
    )
}

/// The mean of each figure of `dataset` that a grader named in it gave.
fn judged(t: &TestApp, run_id: i64, dataset: &str) -> Vec<Value> {
    let detail = t.ok("get_run", json!({ "runId": run_id }));
    detail["aggregates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["dataset"] == dataset
                && a["stat"] == "mean"
                && a["figure"].as_str().unwrap().contains('@')
        })
        .cloned()
        .collect()
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// An OpenAI-shaped chat endpoint on 127.0.0.1 whose every answer is "Correct"; it keeps each
/// request's `Authorization` header.
fn endpoint() -> (String, Arc<Mutex<Vec<String>>>) {
    gated_endpoint(Arc::new(AtomicBool::new(true)))
}

/// [`endpoint`], answering only once `open` is set (so a test acts while requests are in flight).
fn gated_endpoint(open: Arc<AtomicBool>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut authorization) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    authorization = line["authorization:".len()..].trim().to_string();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            kept.lock().unwrap().push(authorization);
            let deadline = Instant::now() + Duration::from_secs(60);
            while !open.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            let json = json!({
                "id": "x", "object": "chat.completion",
                "choices": [{ "index": 0, "finish_reason": "stop",
                              "message": { "role": "assistant", "content": "Correct" } }],
            })
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
        }
    });
    (base, seen)
}

#[test]
fn an_endpoints_key_goes_to_the_keychain_and_the_endpoint_and_nowhere_else() {
    let (t, store) = app_with_mock_keychain();
    let key = "sk-mobench-test-9c41e7d2a8";
    let (base, seen) = endpoint();
    let api = add(
        &t,
        json!({ "name": "Local API", "role": "judge",
                "source": { "kind": "endpoint", "base_url": base, "model": "judge-model", "needs_key": true } }),
    );
    let id = api["id"].as_str().unwrap();
    assert_eq!(t.ok("grader_has_key", json!({ "graderId": id })), false);
    assert!(t.ok("keychain_problem", json!({})).is_null());
    // Grading before the key is given says what to do.
    let run_id = finished_run(&t, &["starter_mmlu"], 2);
    let (code, message) = t.err(
        "start_grading",
        json!({ "runId": run_id, "judge": id, "embedder": null, "onEvent": "__CHANNEL__:41" }),
    );
    assert_eq!(code, "settings");
    assert!(message.contains("needs an API key"), "{message}");

    // The window hands the key over once; it is in the keychain, and only whether it is comes
    // back.
    assert!(t
        .ok("set_grader_key", json!({ "graderId": id, "key": key }))
        .is_null());
    assert_eq!(t.ok("grader_has_key", json!({ "graderId": id })), true);
    let entry = Entry::new_in_store(&store, SERVICE, &account(id)).unwrap();
    assert_eq!(entry.get_password().unwrap(), key);
    let settings = t.ok("get_settings", json!({}));
    assert!(!settings.to_string().contains(key));
    assert_eq!(
        t.err(
            "set_grader_key",
            json!({ "graderId": "g-nope", "key": key })
        )
        .0,
        "not_found"
    );

    // Grading sends it to the endpoint, as a bearer token.
    start_grading(&t, run_id, id).unwrap();
    wait_graded(&t);
    let figures = judged(&t, run_id, "starter_mmlu");
    assert_eq!(figures.len(), 1, "{figures:?}");
    assert!(figures[0]["figure"]
        .as_str()
        .unwrap()
        .starts_with("judge_em@judge-model."));
    assert_eq!(figures[0]["value"], 1.0, "the endpoint said Correct");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(
        seen.iter().all(|a| a == &format!("Bearer {key}")),
        "{seen:?}"
    );

    // Nowhere in the data folder: not in settings.json, the SQLite files (the database, its
    // write-ahead log), the judgments cached, or anything else; nor in what the views answer.
    let data = t.state().data_dir.clone();
    assert!(data.join("settings.json").exists());
    assert!(std::fs::read_dir(&data).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("sqlite")));
    assert_eq!(files_holding(&data, key), Vec::<String>::new());
    for (cmd, args) in [
        ("get_run", json!({ "runId": run_id })),
        ("get_samples", json!({ "runId": run_id })),
        ("list_runs", json!({})),
    ] {
        assert!(!t.ok(cmd, args).to_string().contains(key), "{cmd}");
    }
    let csv = data.join("out.csv");
    t.ok(
        "export_csv",
        json!({ "kind": "samples", "runIds": [run_id], "baseline": null, "path": csv }),
    );
    assert!(std::fs::read_to_string(&csv)
        .unwrap()
        .contains("judge_em@judge-model."));
    assert_eq!(files_holding(&data, key), Vec::<String>::new());

    // Saving the settings from a window keeps the graders; removing one forgets its key.
    let mut s = settings.clone();
    s["graders"] = json!([]);
    s["cooldown_s"] = json!(3);
    let saved = t.ok("save_settings", json!({ "settings": s }));
    assert_eq!(saved["graders"].as_array().unwrap().len(), 1);
    let after = t.ok("remove_grader", json!({ "graderId": id }));
    assert!(after["graders"].as_array().unwrap().is_empty());
    assert!(
        entry.get_password().is_err(),
        "the key is gone from the keychain"
    );
    assert_eq!(
        t.err("remove_grader", json!({ "graderId": id })).0,
        "not_found"
    );
}

#[test]
fn the_tiny_model_grades_a_run_as_a_judge_through_the_commands() {
    let (t, _) = app_with_mock_keychain();
    let judge = local_judge(&t);
    let (code, message) = t.err(
        "set_grader_key",
        json!({ "graderId": judge, "key": "sk-not-for-a-local-model" }),
    );
    assert_eq!(code, "settings");
    assert_eq!(message, "`mobench-tiny` needs no API key");
    // An embedder must be an embedding model: the built-in one is refused with why.
    let (code, message) = t.err(
        "add_grader",
        json!({ "grader": { "name": "e", "role": "embedder", "source": { "kind": "local", "path": t.builtin() } } }),
    );
    assert_eq!(code, "model_file");
    assert!(message.contains("declares no pooling"), "{message}");
    let (code, _) = t.err(
        "add_grader",
        json!({ "grader": { "name": "x", "role": "judge",
                "source": { "kind": "endpoint", "base_url": "https://me:sk-1@api.example/v1", "model": "m", "needs_key": false } } }),
    );
    assert_eq!(code, "settings");

    let offline = finished_run(&t, &["starter_mmlu", "starter_qa"], 2);
    let run_id = finished_run(&t, &["starter_mmlu", "starter_qa"], 2);
    let plan = t.ok("grading_plan", json!({ "runId": run_id }));
    assert_eq!(plan["judge"], json!(["starter_mmlu"]));
    assert_eq!(plan["embedder"], json!([]));

    let started = Instant::now();
    assert!(start_grading(&t, run_id, &judge).unwrap().is_null());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it returns at once"
    );
    let attached = t.ok("attach_grading", json!({ "onEvent": "__CHANNEL__:42" }));
    if !attached.is_null() {
        assert_eq!(attached["run_id"], run_id);
        assert_eq!(attached["judge"], "mobench-tiny");
    }
    wait_graded(&t);
    assert!(t
        .ok("attach_grading", json!({ "onEvent": "__CHANNEL__:43" }))
        .is_null());
    let figures = judged(&t, run_id, "starter_mmlu");
    assert_eq!(figures.len(), 1, "{figures:?}");
    let figure = figures[0]["figure"].as_str().unwrap().to_string();
    assert!(figure.starts_with("judge_em@mobench-tiny."), "{figure}");
    assert!(figures[0]["grader"]
        .as_str()
        .unwrap()
        .starts_with("judge:local:mobench-tiny:"));
    assert!(judged(&t, run_id, "starter_qa").is_empty());

    // Compare: the judge's figure is a row of its own beside the offline metric.
    let cmp = t.ok(
        "compare_runs",
        json!({ "runIds": [offline, run_id], "baseline": offline }),
    );
    let rows: Vec<&Value> = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dataset"] == "starter_mmlu" && r["stat"] == "mean")
        .collect();
    let judge_row = rows
        .iter()
        .find(|r| r["figure"] == figure.as_str())
        .unwrap();
    assert_eq!(judge_row["values"][0], Value::Null);
    assert!(judge_row["values"][1].is_f64());
    assert!(rows
        .iter()
        .any(|r| !r["figure"].as_str().unwrap().contains('@')));
    // The run's CSV has it as a column.
    let csv = t.dir.path().join("data").join("runs.csv");
    t.ok(
        "export_csv",
        json!({ "kind": "runs", "runIds": [run_id], "baseline": null, "path": csv }),
    );
    let header = std::fs::read_to_string(&csv).unwrap();
    assert!(header.lines().next().unwrap().contains(&figure));

    // A run with nothing a judge grades is refused with why.
    let qa = finished_run(&t, &["starter_qa"], 1);
    let (code, message) = start_grading(&t, qa, &judge)
        .unwrap_err()
        .as_object()
        .map_or((String::new(), String::new()), |e| {
            (
                e["code"].as_str().unwrap().into(),
                e["message"].as_str().unwrap().into(),
            )
        });
    assert_eq!(code, "settings");
    assert!(message.contains("nothing to grade"), "{message}");
}

#[test]
fn grading_is_cancelled_and_never_shares_the_cpu_with_a_run() {
    let (t, _) = app_with_mock_keychain();
    let judge = local_judge(&t);
    let run_id = finished_run(&t, &["starter_mmlu"], 5);

    // While a run goes, grading is refused with why.
    let queue = t.start_long_run();
    until_a_sample_finished(&queue);
    let e = start_grading(&t, run_id, &judge).unwrap_err();
    assert_eq!(e["code"], "busy");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("compete with it for the CPU"),
        "{e}"
    );
    t.ok("cancel_run", json!({}));
    until_finished(&queue);
    t.wait_idle();

    // While grading goes (an endpoint that holds its answers), no run starts, the run is not
    // deleted, and cancel stops it after the requests in flight.
    let open = Arc::new(AtomicBool::new(false));
    let (base, seen) = gated_endpoint(open.clone());
    let slow = add(
        &t,
        json!({ "name": "slow", "role": "judge",
                "source": { "kind": "endpoint", "base_url": base, "model": "m", "needs_key": false } }),
    );
    start_grading(&t, run_id, slow["id"].as_str().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no request reached the endpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, message) = t.err(
        "start_run",
        json!({ "request": tiny_request(&t.builtin(), 1), "onEvent": "__CHANNEL__:44" }),
    );
    assert_eq!(code, "busy");
    assert!(message.contains("being graded"), "{message}");
    assert_eq!(t.err("delete_run", json!({ "runId": run_id })).0, "busy");
    assert_eq!(t.err("clear_data", json!({ "scope": "runs" })).0, "busy");
    assert_eq!(
        t.err("remove_grader", json!({ "graderId": slow["id"] })).0,
        "busy"
    );
    assert_eq!(t.ok("cancel_grading", json!({})), true);
    open.store(true, Ordering::SeqCst);
    wait_graded(&t);
    assert!(
        judged(&t, run_id, "starter_mmlu").is_empty(),
        "a cancelled pass writes no figure"
    );
    assert!(
        seen.lock().unwrap().len() < 5,
        "no request after the cancel"
    );
    assert_eq!(t.ok("cancel_grading", json!({})), false);
    // Then a run starts again.
    let events = until(&t.start(tiny_request(&t.builtin(), 1)), |e| {
        matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. }))
    });
    assert!(!events.is_empty());
}

#[test]
fn without_a_keychain_keys_cannot_be_set_and_it_says_why_in_one_line() {
    let t = app_with(|state, _| {
        state.keychain = Keychain::unavailable("no Secret Service is running on this desktop")
    });
    assert_eq!(
        t.ok("keychain_problem", json!({})),
        "no Secret Service is running on this desktop"
    );
    let g = add(
        &t,
        json!({ "name": "cloud", "role": "judge",
                "source": { "kind": "endpoint", "base_url": "https://api.example/v1", "model": "m", "needs_key": true } }),
    );
    let (code, message) = t.err(
        "set_grader_key",
        json!({ "graderId": g["id"], "key": "sk-never-kept" }),
    );
    assert_eq!(code, "keychain");
    assert_eq!(
        message,
        "API keys cannot be kept: no Secret Service is running on this desktop"
    );
    assert!(files_holding(&t.state().data_dir, "sk-never-kept").is_empty());
}
