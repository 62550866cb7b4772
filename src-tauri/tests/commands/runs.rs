//! Runs: the events a run streams, starting through IPC, bad requests, cancelling, resuming, and
//! closing the app or reloading the window mid-run.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use mobench_core::runs::{LiveEvent, QueueEvent};
use mobench_engine::events::Event;
use serde_json::{json, Value};

use crate::support::{app, event_names, tiny_request, until, until_a_sample_finished};

#[test]
fn a_run_streams_its_events_and_is_stored_with_its_details() {
    let t = app();
    let model = t.builtin();
    let events = t.run_collecting(tiny_request(&model, 1));
    let names = event_names(&events);
    assert_eq!(names.first().map(String::as_str), Some("queue_started"));
    assert_eq!(names[1], "model_started");
    assert_eq!(names.last().map(String::as_str), Some("queue_finished"));
    for expected in [
        "run_started",
        "model_loaded",
        "sample_started",
        "token",
        "sample_finished",
        "resource",
        "run_finished",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no {expected} in {names:?}"
        );
    }
    let finished = events
        .iter()
        .filter(|e| matches!(e, LiveEvent::Run(Event::SampleFinished { .. })))
        .count();
    assert_eq!(finished, 2);

    // The same run again through IPC: start_run returns at once, the run goes on.
    let started = Instant::now();
    let ticket = t.ok(
        "start_run",
        json!({ "request": tiny_request(&model, 1), "onEvent": "__CHANNEL__:3" }),
    );
    assert!(ticket["queue_id"].as_u64().unwrap() >= 2);
    assert!(started.elapsed() < Duration::from_secs(5));
    // One queue at a time.
    let (code, _) = t.err(
        "start_run",
        json!({ "request": tiny_request(&model, 1), "onEvent": "__CHANNEL__:4" }),
    );
    assert_eq!(code, "busy");
    t.wait_idle();

    let runs = t.runs();
    assert_eq!(runs.len(), 2);
    let (newest, oldest) = (
        runs[0]["id"].as_i64().unwrap(),
        runs[1]["id"].as_i64().unwrap(),
    );
    assert!(newest > oldest, "newest first");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["resumable"], false);
    let headline: Vec<&str> = runs[0]["headline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["figure"].as_str().unwrap())
        .collect();
    for f in ["f1", "ttft_ms", "decode_tokens_per_s"] {
        assert!(headline.contains(&f), "{headline:?}");
    }

    let detail = t.ok("get_run", json!({ "runId": newest }));
    assert_eq!(detail["run"]["samples_done"], 2);
    assert_eq!(detail["settings"]["inference"]["threads"], 1);
    assert!(
        detail["device"]["llama_cpp"].is_object(),
        "{}",
        detail["device"]
    );
    assert!(detail["aggregates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["figure"] == "ttft_ms"));
    assert!(!detail["resources"].as_array().unwrap().is_empty());
    assert_eq!(detail["loads"].as_array().unwrap().len(), 1);
    let samples = t.ok("get_samples", json!({ "runId": newest }));
    assert_eq!(samples.as_array().unwrap().len(), 2);
    assert!(!t
        .ok("get_readings", json!({ "runId": newest }))
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(t.err("get_run", json!({ "runId": 999 })).0, "not_found");

    t.ok("delete_run", json!({ "runId": oldest }));
    assert_eq!(t.runs().len(), 1);
}

#[test]
fn bad_run_requests_fail_before_anything_starts() {
    let t = app();
    let model = t.builtin();
    let start = |r, channel: &str| t.err("start_run", json!({ "request": r, "onEvent": channel }));
    let mut r = tiny_request(&model, 1);
    r.models.clear();
    let (code, message) = start(r, "__CHANNEL__:7");
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("settings", "choose at least one model to run")
    );
    let mut r = tiny_request(&model, 1);
    r.models
        .push(t.dir.path().join("absent.gguf").display().to_string());
    let (code, message) = start(r, "__CHANNEL__:8");
    assert_eq!(code, "model_file");
    assert!(
        message.contains("absent.gguf") && message.contains("does not exist"),
        "{message}"
    );
    let mut r = tiny_request(&model, 1);
    r.datasets = vec!["nope".into()];
    assert_eq!(start(r, "__CHANNEL__:9").0, "settings");
    assert!(t.runs().is_empty());
    assert!(t.ok("active_run", json!({})).is_null());
}

#[test]
fn cancelling_stores_an_interrupted_run_that_resumes_without_redoing_samples() {
    let t = app();
    // Cancel as soon as the model starts loading.
    let rx = t.start_long_run();
    let events = until(&rx, |e| {
        if let LiveEvent::Run(Event::RunStarted { .. }) = e {
            assert!(t.call("cancel_run", json!({})).is_ok());
            assert_eq!(t.ok("active_run", json!({}))["cancelling"], true);
        }
        matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. }))
    });
    let Some(LiveEvent::Queue(QueueEvent::QueueFinished {
        cancelled, run_ids, ..
    })) = events.last()
    else {
        unreachable!("until stops at the queue's end")
    };
    assert!(*cancelled);
    let run = &t.runs()[0];
    assert_eq!(run["id"], run_ids[0]);
    assert_eq!(run["status"], "interrupted");
    assert_eq!(run["resumable"], true);
    assert!(run["samples_done"].as_u64().unwrap() < 10);

    // Resume finishes it without redoing what was stored.
    t.ok(
        "resume_run",
        json!({ "runId": run_ids[0], "onEvent": "__CHANNEL__:5" }),
    );
    t.wait_idle();
    let run = &t.runs()[0];
    assert_eq!(
        (run["status"].as_str(), run["samples_done"].as_u64()),
        (Some("completed"), Some(10))
    );
    let (code, message) = t.err(
        "resume_run",
        json!({ "runId": run_ids[0], "onEvent": "__CHANNEL__:6" }),
    );
    assert_eq!(code, "resume");
    assert!(message.contains("completed"), "{message}");
}

#[test]
fn a_reloaded_window_is_brought_up_to_date_and_closing_mid_run_stores_it_interrupted() {
    let t = app();
    let state = t.state();
    let queue = t.start_long_run();
    until_a_sample_finished(&queue);
    // A window that reloads mid-run attaches and is brought up to date first.
    let (tx, rx) = mpsc::channel();
    let attached = state.runner.attach(move |e| {
        let _ = tx.send(e);
    });
    assert!(attached.unwrap().run_id.is_some());
    let names: Vec<Value> = rx
        .try_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let kinds: Vec<&str> = names.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds[..4],
        [
            "queue_started",
            "model_started",
            "run_started",
            "model_loaded"
        ]
    );
    // Then the sample in flight, if one is: its prompt stays on screen until it finishes.
    assert!(
        kinds[4..].is_empty() || kinds[4..] == ["sample_started"],
        "{kinds:?}"
    );
    let done = names[2]["already_done"].as_u64().unwrap();
    assert!(done >= 1, "{}", names[2]);
    let per_dataset: u64 = names[2]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["already_done"].as_u64().unwrap())
        .sum();
    assert_eq!(per_dataset, done);

    // Closing the app mid-run stores the run as interrupted (what the exit handler does).
    state.runner.shutdown(Duration::from_secs(30));
    assert!(state.runner.active().is_none());
    let run = &t.runs()[0];
    assert_eq!(run["status"], "interrupted", "{run}");
    assert!(run["samples_done"].as_u64().unwrap() >= 1);
}
