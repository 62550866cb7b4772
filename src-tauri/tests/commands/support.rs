//! Every command through Tauri's IPC on the mock runtime, with the app's real capability file:
//! a real SQLite file, the real llama.cpp on the generated tiny model, and a real HTTP server on
//! 127.0.0.1 for dataset downloads.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mobench_app_lib::runs::{Job, LiveEvent, NewRunRequest, QueueEvent};
use mobench_app_lib::state::AppState;
use mobench_engine::events::Event;
use mobench_tasks::testkit::{Reply, TestServer};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_fs::FsExt;

struct TestApp {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
}

fn app() -> TestApp {
    app_with(|_, _| {})
}

/// An app whose state `setup` adjusts first (given the test's folder).
fn app_with(setup: impl FnOnce(&mut AppState, &Path)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut state = AppState::new(dir.path().join("data"), Instant::now()).unwrap();
    setup(&mut state, dir.path());
    let app = mobench_app_lib::builder(mock_builder())
        .manage(state)
        .build(tauri::generate_context!())
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    TestApp { app, window, dir }
}

fn request(cmd: &str, args: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The app's own origin on Linux, macOS and iOS.
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

impl TestApp {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(&self.window, request(cmd, args))
            .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// The `{code, message}` of a command that must fail.
    fn err(&self, cmd: &str, args: Value) -> (String, String) {
        let e = self
            .call(cmd, args)
            .expect_err(&format!("{cmd} should have failed"));
        (
            e["code"].as_str().unwrap().to_string(),
            e["message"].as_str().unwrap().to_string(),
        )
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// As if the user had picked `path` in a file dialog.
    fn pick(&self, path: &Path) {
        self.app.fs_scope().allow_file(path).unwrap();
    }

    fn builtin(&self) -> String {
        let models = self.ok("list_models", json!({}));
        models[0]["path"].as_str().unwrap().to_string()
    }

    /// Starts a queue directly on the runner; its events arrive on the receiver.
    fn start(&self, req: NewRunRequest) -> mpsc::Receiver<LiveEvent> {
        let jobs = req
            .resolve(&self.state().datasets_dir)
            .unwrap()
            .into_iter()
            .map(|r| Job::Start(Box::new(r)))
            .collect();
        self.start_jobs(jobs)
    }

    /// [`TestApp::start`] for jobs made by hand.
    fn start_jobs(&self, jobs: Vec<Job>) -> mpsc::Receiver<LiveEvent> {
        let state = self.state();
        let (tx, rx) = mpsc::channel();
        state
            .runner
            .start(state.db.clone(), jobs, 0, move |e| {
                let _ = tx.send(e);
            })
            .unwrap();
        rx
    }

    /// [`TestApp::start`], collecting the events until the queue finishes.
    fn run_collecting(&self, req: NewRunRequest) -> Vec<LiveEvent> {
        until_finished(self.start(req))
    }

    /// What the platform is told, in order, about keeping the screen awake.
    fn record_keep_awake(&self) -> std::sync::Arc<std::sync::Mutex<Vec<bool>>> {
        let awake = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = awake.clone();
        self.state()
            .runner
            .set_keep_awake(move |on| seen.lock().unwrap().push(on));
        awake
    }

    fn wait_idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.ok("active_run", json!({})).is_null() {
            assert!(Instant::now() < deadline, "the run did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The events of a queue, up to and including its `QueueFinished`.
fn until_finished(rx: mpsc::Receiver<LiveEvent>) -> Vec<LiveEvent> {
    let mut events = Vec::new();
    for e in rx.iter() {
        let last = matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. }));
        events.push(e);
        if last {
            break;
        }
    }
    events
}

fn tiny_request(model: &str, examples: u32) -> NewRunRequest {
    NewRunRequest {
        models: vec![model.to_string()],
        suite: "starter".into(),
        datasets: vec!["starter_qa".into(), "starter_mmlu".into()],
        examples: Some(examples),
        sample_seed: None,
        preset: mobench_engine::Preset::Mobile,
        threads: 1,
        n_ctx: 512,
        gpu_layers: 0,
        max_tokens: Some(4),
        template: None,
        ignore_memory_limit: false,
    }
}

fn rows_of(csv_path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(csv_path).unwrap();
    r.records().map(|x| x.unwrap()).collect()
}

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
fn models_are_imported_copied_or_referenced_and_bad_files_are_refused() {
    let t = app();
    let models = t.ok("list_models", json!({}));
    assert_eq!(models.as_array().unwrap().len(), 1);
    let builtin = &models[0];
    assert_eq!(builtin["source"], "builtin");
    assert!(builtin["n_params"].as_u64().unwrap() > 1_000_000);
    assert_eq!(builtin["sha256"].as_str().unwrap().len(), 64);

    let picked = t.dir.path().join("picked");
    std::fs::create_dir_all(&picked).unwrap();
    let gguf = picked.join("My Model.gguf");
    mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &gguf).unwrap();
    let channel = json!("__CHANNEL__:1");

    // Only a file the user picked can be imported.
    let args = json!({ "path": gguf, "mode": "copy", "onProgress": channel });
    let (code, message) = t.err("import_model", args.clone());
    assert_eq!(code, "not_chosen");
    assert!(message.contains("My Model.gguf"), "{message}");

    t.pick(&gguf);
    let copied = t.ok("import_model", args);
    assert_eq!(copied["source"], "copied");
    let copy = PathBuf::from(copied["path"].as_str().unwrap());
    assert!(copy.starts_with(&t.state().models_dir), "{copy:?}");
    assert_eq!(copy.file_name().unwrap(), "My Model.gguf");
    assert_eq!(
        copied["sha256"].as_str().unwrap(),
        mobench_engine::model::sha256_file(&gguf).unwrap()
    );
    assert_eq!(copied["n_params"], builtin["n_params"]);
    // A second copy of the same name does not overwrite the first.
    let again = t.ok(
        "import_model",
        json!({ "path": gguf, "mode": "copy", "onProgress": channel }),
    );
    assert!(again["path"]
        .as_str()
        .unwrap()
        .ends_with("My Model (2).gguf"));

    let referenced = t.ok(
        "import_model",
        json!({ "path": gguf, "mode": "reference", "onProgress": channel }),
    );
    assert_eq!(referenced["source"], "referenced");
    assert_eq!(referenced["sha256"], copied["sha256"]);
    assert_eq!(t.ok("list_models", json!({})).as_array().unwrap().len(), 4);

    // Not a GGUF, and a GGUF cut short: refused, nothing written.
    let before = std::fs::read_dir(&t.state().models_dir).unwrap().count();
    let text = picked.join("notes.gguf");
    std::fs::write(&text, "just some text, not a model\n").unwrap();
    let bytes = std::fs::read(&gguf).unwrap();
    let cut = picked.join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for bad in [&text, &cut] {
        t.pick(bad);
        let (code, message) = t.err(
            "import_model",
            json!({ "path": bad, "mode": "copy", "onProgress": channel }),
        );
        assert_eq!(code, "model_file", "{message}");
        assert!(message.contains(bad.to_str().unwrap()), "{message}");
    }
    assert!(t
        .err(
            "import_model",
            json!({ "path": cut, "mode": "copy", "onProgress": channel })
        )
        .1
        .contains("truncated"));
    assert_eq!(
        std::fs::read_dir(&t.state().models_dir).unwrap().count(),
        before
    );

    // A referenced file that disappears is listed with the problem.
    std::fs::rename(&gguf, picked.join("moved.gguf")).unwrap();
    let models = t.ok("list_models", json!({}));
    let gone = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == "referenced")
        .unwrap();
    assert!(
        gone["problem"].as_str().unwrap().contains("does not exist"),
        "{gone}"
    );

    // Deleting: a copy is removed, a reference forgotten, the built-in model stays.
    t.ok("delete_model", json!({ "path": copy }));
    assert!(!copy.exists());
    t.ok("delete_model", json!({ "path": gone["path"] }));
    assert_eq!(t.ok("list_models", json!({})).as_array().unwrap().len(), 2);
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
fn datasets_download_from_a_mirror_and_a_bad_checksum_keeps_nothing() {
    let t = app();
    let listed = t.ok("list_datasets", json!({}));
    let find = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("starter_qa")["present"], true);
    assert_eq!(find("mmlu")["present"], false);
    assert_eq!(find("mmlu")["downloadable"], true);

    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/mobileaibench");
    let mmlu = std::fs::read(shared.join("mmlu.csv")).expect("../shared/datasets/mobileaibench");
    let server = TestServer::start(
        vec![
            ("/mmlu.csv", Reply::Body(mmlu)),
            (
                "/gsm8k.csv",
                Reply::Body(b"question,answer\n1+1?,2\n".to_vec()),
            ),
        ],
        2,
    );
    let mut s = t.ok("get_settings", json!({}));
    s["dataset_mirror"] = json!(server.base);
    t.ok("save_settings", json!({ "settings": s }));

    let reports = t.ok(
        "fetch_datasets",
        json!({ "names": ["mmlu", "gsm8k"], "onProgress": "__CHANNEL__:2" }),
    );
    assert_eq!(reports[0]["ok"], true, "{reports}");
    assert_eq!(reports[0]["message"], "downloaded, checksum ok");
    assert_eq!(reports[1]["ok"], false);
    let why = reports[1]["message"].as_str().unwrap();
    assert!(
        why.contains("gsm8k.csv") && why.contains("mismatch"),
        "{why}"
    );
    let names: Vec<String> = std::fs::read_dir(&t.state().datasets_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["mmlu.csv"],
        "nothing of the failed download is left"
    );
    server.requests();
}

#[test]
fn a_run_streams_its_events_and_is_stored_compared_and_exported() {
    let t = app();
    let model = t.builtin();
    let events = t.run_collecting(tiny_request(&model, 1));
    let names: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
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

    let runs = t.ok("list_runs", json!({}));
    let runs = runs.as_array().unwrap();
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

    let cmp = t.ok(
        "compare_runs",
        json!({ "runIds": [oldest, newest], "baseline": newest }),
    );
    assert_eq!(cmp["baseline"], newest);
    let ttft = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dataset"] == "starter_qa" && r["figure"] == "ttft_ms")
        .unwrap();
    assert_eq!(ttft["higher_is_better"], false);
    let v: Vec<f64> = ttft["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let d = ttft["deltas"][0].as_f64().unwrap();
    assert!((d - (v[0] - v[1])).abs() < 1e-9);
    assert_eq!(ttft["deltas"][1], 0.0);
    // Greedy decoding of the same model answers the same: no differing samples.
    let diff = t.ok(
        "sample_diff",
        json!({ "runIds": [oldest, newest], "dataset": "starter_qa" }),
    );
    assert_eq!(diff["rows"].as_array().unwrap().len(), 0, "{diff}");
    assert_eq!(diff["metric"], "em");

    // Exports go where the user chose; anywhere else is refused.
    let out = t.dir.path().join("exports");
    std::fs::create_dir_all(&out).unwrap();
    for (kind, rows) in [
        ("runs", 4),
        ("samples", 4),
        ("comparison", cmp["rows"].as_array().unwrap().len()),
    ] {
        let path = out.join(format!("{kind}.csv"));
        t.pick(&path);
        let report = t.ok(
            "export_csv",
            json!({ "kind": kind, "runIds": [oldest, newest], "baseline": oldest, "path": path }),
        );
        assert_eq!(report["rows"], rows, "{kind}");
        assert_eq!(rows_of(&path).len(), rows, "{kind}");
    }
    let header = csv::Reader::from_path(out.join("comparison.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(&header[4], format!("run_{oldest}"));
    let (code, _) = t.err("export_csv", json!({ "kind": "runs", "runIds": [newest], "baseline": null, "path": out.join("other.csv") }));
    assert_eq!(code, "not_chosen");
    let sneaky = t.state().data_dir.join("../escape.csv");
    assert_eq!(
        t.err(
            "export_csv",
            json!({ "kind": "runs", "runIds": [newest], "baseline": null, "path": sneaky })
        )
        .0,
        "not_chosen"
    );
    let missing_dir = out.join("gone/x.csv");
    t.pick(&missing_dir);
    let (code, message) = t.err(
        "export_csv",
        json!({ "kind": "runs", "runIds": [newest], "baseline": null, "path": missing_dir }),
    );
    assert_eq!(code, "export");
    assert!(message.contains("x.csv"), "{message}");

    t.ok("delete_run", json!({ "runId": oldest }));
    assert_eq!(t.ok("list_runs", json!({})).as_array().unwrap().len(), 1);
}

#[test]
fn cancelling_stores_an_interrupted_run_that_resumes_and_closing_does_too() {
    let t = app();
    let model = t.builtin();
    let state = t.state();
    // Cancel as soon as the model starts loading.
    let rx = t.start(tiny_request(&model, 5));
    let mut cancelled = None;
    for e in rx.iter() {
        if let LiveEvent::Run(Event::RunStarted { .. }) = e {
            assert!(t.call("cancel_run", json!({})).is_ok());
            assert_eq!(t.ok("active_run", json!({}))["cancelling"], true);
        }
        if let LiveEvent::Queue(QueueEvent::QueueFinished {
            cancelled: c,
            run_ids,
            ..
        }) = e
        {
            cancelled = Some((c, run_ids));
            break;
        }
    }
    let (was_cancelled, run_ids) = cancelled.unwrap();
    assert!(was_cancelled);
    let run = &t.ok("list_runs", json!({}))[0];
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
    let run = &t.ok("list_runs", json!({}))[0];
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

    // Closing the app mid-run stores the run as interrupted (what the exit handler does).
    let rx = t.start(tiny_request(&model, 5));
    for e in rx.iter() {
        if matches!(e, LiveEvent::Run(Event::SampleFinished { .. })) {
            break;
        }
    }
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
        kinds,
        [
            "queue_started",
            "model_started",
            "run_started",
            "model_loaded"
        ]
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
    state.runner.shutdown(Duration::from_secs(30));
    assert!(state.runner.active().is_none());
    let run = &t.ok("list_runs", json!({}))[0];
    assert_eq!(run["status"], "interrupted", "{run}");
    assert!(run["samples_done"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_run_requests_fail_before_anything_starts() {
    let t = app();
    let model = t.builtin();
    let mut r = tiny_request(&model, 1);
    r.models.clear();
    let (code, message) = t.err(
        "start_run",
        json!({ "request": r, "onEvent": "__CHANNEL__:7" }),
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("settings", "choose at least one model to run")
    );
    let mut r = tiny_request(&model, 1);
    r.models
        .push(t.dir.path().join("absent.gguf").display().to_string());
    let (code, message) = t.err(
        "start_run",
        json!({ "request": r, "onEvent": "__CHANNEL__:8" }),
    );
    assert_eq!(code, "model_file");
    assert!(
        message.contains("absent.gguf") && message.contains("does not exist"),
        "{message}"
    );
    let mut r = tiny_request(&model, 1);
    r.datasets = vec!["nope".into()];
    assert_eq!(
        t.err(
            "start_run",
            json!({ "request": r, "onEvent": "__CHANNEL__:9" })
        )
        .0,
        "settings"
    );
    assert!(t.ok("list_runs", json!({})).as_array().unwrap().is_empty());
    assert!(t.ok("active_run", json!({})).is_null());
}

#[test]
fn attach_and_clear_data_through_ipc() {
    let t = app();
    let model = t.builtin();
    assert!(t
        .ok("attach_run", json!({ "onEvent": "__CHANNEL__:10" }))
        .is_null());

    // Mid-run, a window attaches; clearing data is refused until the run is over.
    let rx = t.start(tiny_request(&model, 5));
    for e in rx.iter() {
        if matches!(e, LiveEvent::Run(Event::SampleFinished { .. })) {
            break;
        }
    }
    let attached = t.ok("attach_run", json!({ "onEvent": "__CHANNEL__:11" }));
    assert!(attached["run_id"].as_i64().unwrap() > 0, "{attached}");
    assert_eq!(t.err("clear_data", json!({ "scope": "runs" })).0, "busy");
    t.ok("cancel_run", json!({}));
    t.wait_idle();

    // A copied model, a downloaded-looking dataset file and changed settings, then clear.
    let picked = t.dir.path().join("m.gguf");
    mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &picked).unwrap();
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
    assert!(t.ok("list_runs", json!({})).as_array().unwrap().is_empty());
    assert_eq!(
        t.ok("list_models", json!({})).as_array().unwrap().len(),
        2,
        "models stay"
    );

    t.ok("clear_data", json!({ "scope": "all" }));
    let models = t.ok("list_models", json!({}));
    assert_eq!(
        models.as_array().unwrap().len(),
        1,
        "only the built-in model is left"
    );
    assert!(!Path::new(copy["path"].as_str().unwrap()).exists());
    assert!(picked.exists(), "the user's own file is never touched");
    assert!(!t.state().datasets_dir.exists());
    assert_eq!(t.ok("get_settings", json!({}))["cooldown_s"], 0);
}

#[test]
fn going_to_the_background_pauses_the_run_and_coming_back_finishes_it() {
    let t = app();
    let model = t.builtin();
    let state = t.state();
    let awake = t.record_keep_awake();
    let rx = t.start(tiny_request(&model, 5));
    let mut run_id = None;
    let mut paused_at = None;
    for e in rx.iter() {
        match e {
            LiveEvent::Run(Event::SampleFinished { done, .. }) if paused_at.is_none() => {
                // What the platform glue does on iOS's "will resign active".
                state.runner.background();
                paused_at = Some(done);
            }
            LiveEvent::Run(Event::RunFinished {
                run_id: id, status, ..
            }) => {
                assert_eq!(status, mobench_store::RunStatus::Paused);
                run_id = Some(id);
            }
            LiveEvent::Queue(QueueEvent::QueueFinished {
                paused, cancelled, ..
            }) => {
                assert!(paused && !cancelled);
                break;
            }
            _ => {}
        }
    }
    let run_id = run_id.unwrap();
    assert!(state.runner.is_paused());
    assert!(state.runner.active().is_none());
    let run = &t.ok("list_runs", json!({}))[0];
    assert_eq!(run["status"], "paused");
    assert_eq!(run["failure"], "paused: the app went to the background");
    assert_eq!(
        run["resumable"], true,
        "resumable from History if the app is killed now"
    );
    let stored = run["samples_done"].as_u64().unwrap();
    assert!(
        stored >= paused_at.unwrap() as u64 && stored < 10,
        "{stored}"
    );
    assert_eq!(*awake.lock().unwrap(), vec![true, false]);

    // Back in the foreground: the same run carries on where it stopped, on the same channel.
    state.runner.foreground();
    let mut resumed = None;
    for e in rx.iter() {
        match e {
            LiveEvent::Run(Event::RunStarted {
                run_id: id,
                resumed: r,
                already_done,
                ..
            }) => resumed = Some((id, r, already_done)),
            LiveEvent::Queue(QueueEvent::QueueFinished { paused, .. }) => {
                assert!(!paused);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(resumed, Some((run_id, true, stored as usize)));
    t.wait_idle();
    assert!(!state.runner.is_paused());
    let run = &t.ok("list_runs", json!({}))[0];
    assert_eq!(
        (
            run["id"].as_i64(),
            run["status"].as_str(),
            run["samples_done"].as_u64()
        ),
        (Some(run_id), Some("completed"), Some(10))
    );
    assert_eq!(*awake.lock().unwrap(), vec![true, false, true, false]);
    // Cancelled while paused (the app came back, the user cancelled before it carried on): the
    // window hears that the queue ended, and the run stays paused, resumable from History.
    let rx = t.start(tiny_request(&model, 5));
    for e in rx.iter() {
        if matches!(e, LiveEvent::Run(Event::SampleFinished { .. })) {
            state.runner.background();
        }
        if matches!(e, LiveEvent::Queue(QueueEvent::QueueFinished { .. })) {
            break;
        }
    }
    assert!(state.runner.is_paused());
    assert!(state.runner.cancel());
    assert!(!state.runner.is_paused());
    assert!(matches!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        LiveEvent::Queue(QueueEvent::QueueFinished {
            cancelled: true,
            paused: false,
            ..
        })
    ));
    state.runner.foreground();
    assert!(
        state.runner.active().is_none(),
        "nothing carries on after a cancel"
    );
    let runs = t.ok("list_runs", json!({}));
    assert_eq!(runs[0]["status"], "paused");
    assert_eq!(runs[0]["resumable"], true);
    let second = runs[0]["id"].clone();
    t.ok("delete_run", json!({ "runId": second }));

    // Without a run, leaving and coming back does nothing.
    state.runner.background();
    state.runner.foreground();
    assert!(state.runner.active().is_none());
    assert_eq!(t.ok("list_runs", json!({})).as_array().unwrap().len(), 1);
}

#[test]
fn queues_started_back_to_back_keep_the_screen_awake_exactly_while_one_runs() {
    let t = app();
    let awake = t.record_keep_awake();
    // Queues that end at once (the run to resume does not exist), each started the moment the
    // last one says it finished: the one's stop must never be heard after the next one's start.
    let queues = 40;
    for _ in 0..queues {
        until_finished(t.start_jobs(vec![Job::Resume {
            run_id: 424_242,
            model: "gone.gguf".into(),
        }]));
    }
    assert_eq!(*awake.lock().unwrap(), [true, false].repeat(queues));
}

#[test]
fn models_in_the_shared_folder_are_listed_and_icloud_placeholders_are_refused() {
    let t = app_with(|state, dir| state.shared_dir = Some(dir.join("Documents")));
    let shared = t.dir.path().join("Documents");
    std::fs::create_dir_all(&shared).unwrap();
    // What Finder or the Files app leave there: a model, a model evicted to iCloud, other files.
    let model = shared.join("tiny.gguf");
    mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &model).unwrap();
    std::fs::write(shared.join(".big.Q4_K_M.gguf.icloud"), b"bplist00").unwrap();
    std::fs::write(shared.join("notes.txt"), b"hello").unwrap();
    std::fs::write(shared.join(".hidden.gguf"), b"GGUF").unwrap();
    assert_eq!(
        t.ok("app_info", json!({}))["shared_dir"],
        shared.display().to_string()
    );

    let models = t.ok("list_models", json!({}));
    let listed: Vec<(&str, &str, bool)> = models
        .as_array()
        .unwrap()
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

    // A model in the shared folder runs where it is; importing it copies nothing.
    let path = model.display().to_string();
    let imported = t.ok(
        "import_model",
        json!({ "path": path, "mode": "copy", "onProgress": "__CHANNEL__:1" }),
    );
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
    let (code, _) = t.err(
        "delete_model",
        json!({ "path": shared.join("notes.txt").display().to_string() }),
    );
    assert_eq!(code, "not_found");
    assert!(shared.join("notes.txt").exists());
    t.ok("delete_model", json!({ "path": path }));
    assert!(!model.exists());
    assert_eq!(t.ok("list_models", json!({})).as_array().unwrap().len(), 2);

    let (code, message) = t.err(
        "memory_fit",
        json!({ "models": [shared.join("notes.txt").display().to_string()], "nCtx": 512 }),
    );
    assert_eq!(code, "model_file");
    assert!(message.contains("notes.txt"), "{message}");
}
