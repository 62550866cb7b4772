//! The app on Tauri's mock runtime with its real capability file and a private data folder, its
//! commands called through IPC, its run queue driven directly, and what they answer read back.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use mobench_app_lib::state::AppState;
use mobench_core::runs::{Job, LiveEvent, NewRunRequest};
pub use mobench_core::testkit::{until, until_finished};
use mobench_engine::events::Event;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_fs::FsExt;

pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub dir: tempfile::TempDir,
}

pub fn app() -> TestApp {
    app_with(|_, _| {})
}

/// An app whose state `setup` adjusts first (given the test's folder).
pub fn app_with(setup: impl FnOnce(&mut AppState, &Path)) -> TestApp {
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

/// An IPC call of `cmd` from the app's own origin.
pub fn request(cmd: &str, args: Value) -> InvokeRequest {
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
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(&self.window, request(cmd, args))
            .map(|body| body.deserialize::<Value>().unwrap())
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// The `{code, message}` of a command that must fail.
    pub fn err(&self, cmd: &str, args: Value) -> (String, String) {
        let e = self
            .call(cmd, args)
            .expect_err(&format!("{cmd} should have failed"));
        (
            e["code"].as_str().unwrap().to_string(),
            e["message"].as_str().unwrap().to_string(),
        )
    }

    pub fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// As if the user had picked `path` in a file dialog.
    pub fn pick(&self, path: &Path) {
        self.app.fs_scope().allow_file(path).unwrap();
    }

    /// `list_runs`, newest first.
    pub fn runs(&self) -> Vec<Value> {
        self.list("list_runs")
    }

    /// `list_models`.
    pub fn models(&self) -> Vec<Value> {
        self.list("list_models")
    }

    fn list(&self, cmd: &str) -> Vec<Value> {
        match self.ok(cmd, json!({})) {
            Value::Array(items) => items,
            other => panic!("{cmd} is not a list: {other}"),
        }
    }

    /// The path of the built-in model.
    pub fn builtin(&self) -> String {
        self.models()[0]["path"].as_str().unwrap().to_string()
    }

    /// Starts a queue directly on the runner; its events arrive on the receiver.
    pub fn start(&self, req: NewRunRequest) -> mpsc::Receiver<LiveEvent> {
        let state = self.state();
        let store = state.store().unwrap();
        self.start_jobs(
            req.jobs(&store, &state.data_dir, &state.datasets_dir)
                .unwrap(),
        )
    }

    /// Starts one run of the built-in model with ten samples (five a dataset): long enough to
    /// act on mid-run. Its events arrive on the receiver.
    pub fn start_long_run(&self) -> mpsc::Receiver<LiveEvent> {
        self.start(tiny_request(&self.builtin(), 5))
    }

    /// [`TestApp::start`] for jobs made by hand.
    pub fn start_jobs(&self, jobs: Vec<Job>) -> mpsc::Receiver<LiveEvent> {
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
    pub fn run_collecting(&self, req: NewRunRequest) -> Vec<LiveEvent> {
        until_finished(&self.start(req))
    }

    /// What the platform is told, in order, about keeping the screen awake.
    pub fn record_keep_awake(&self) -> Arc<Mutex<Vec<bool>>> {
        let awake = Arc::new(Mutex::new(Vec::new()));
        let seen = awake.clone();
        self.state()
            .runner
            .set_keep_awake(move |on| seen.lock().unwrap().push(on));
        awake
    }

    pub fn wait_idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.ok("active_run", json!({})).is_null() {
            assert!(Instant::now() < deadline, "the run did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The events up to and including the first finished sample.
pub fn until_a_sample_finished(rx: &mpsc::Receiver<LiveEvent>) -> Vec<LiveEvent> {
    until(rx, |e| {
        matches!(e, LiveEvent::Run(Event::SampleFinished { .. }))
    })
}

/// Each event's name as the window receives it (`event` of its JSON).
pub fn event_names(events: &[LiveEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A starter run of the two quickest datasets, `examples` each, four tokens, on one thread: the
/// JSON the New run screen sends.
pub fn tiny_request(model: &str, examples: u32) -> NewRunRequest {
    serde_json::from_value(json!({
        "models": [model],
        "suite": "starter",
        "datasets": ["starter_qa", "starter_mmlu"],
        "examples": examples,
        "sample_seed": null,
        "preset": "mobile",
        "threads": 1,
        "n_ctx": 512,
        "gpu_layers": 0,
        "max_tokens": 4,
        "template": null,
    }))
    .expect("the New run screen's request")
}

/// Writes the generated tiny model (a real GGUF) to `path`.
pub fn write_tiny_model(path: &Path) -> PathBuf {
    mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), path).unwrap();
    path.to_path_buf()
}

/// The records of a CSV file (its header apart).
pub fn rows_of(csv_path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(csv_path).unwrap();
    r.records().map(|x| x.unwrap()).collect()
}
