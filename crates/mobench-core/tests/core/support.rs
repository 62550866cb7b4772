use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};

use mobench_core::runs::{Job, LiveEvent, NewRunRequest, QueueEvent, Runner};

/// A data folder with the built-in tiny model, and a runner over its database.
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub model: String,
    pub runner: Runner,
}

impl Bench {
    pub fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let model = mobench_engine::ensure_builtin_model(dir.path()).unwrap();
        Bench {
            model: model.display().to_string(),
            dir,
            runner: Runner::default(),
        }
    }

    pub fn db(&self) -> PathBuf {
        mobench_engine::paths::db_path(self.dir.path())
    }

    pub fn store(&self) -> mobench_store::Store {
        mobench_engine::open_store(&self.db()).unwrap()
    }

    pub fn datasets_dir(&self) -> PathBuf {
        self.dir.path().join("datasets")
    }

    /// One job per model of a small starter run (one example per dataset, four tokens).
    pub fn jobs(&self, models: usize) -> Vec<Job> {
        tiny_request(&vec![self.model.clone(); models])
            .jobs(&self.store(), self.dir.path(), &self.datasets_dir())
            .unwrap()
    }

    /// Starts `jobs` with a cool-down of `cooldown_s` between them; the events arrive on the
    /// receiver.
    pub fn start(&self, jobs: Vec<Job>, cooldown_s: u32) -> mpsc::Receiver<LiveEvent> {
        let (tx, rx) = mpsc::channel();
        self.runner
            .start(self.db(), jobs, cooldown_s, move |e| {
                let _ = tx.send(e);
            })
            .unwrap();
        rx
    }

    /// What the platform is told, in order, about keeping the screen awake.
    pub fn record_keep_awake(&self) -> Arc<Mutex<Vec<bool>>> {
        let awake = Arc::new(Mutex::new(Vec::new()));
        let seen = awake.clone();
        self.runner
            .set_keep_awake(move |on| seen.lock().unwrap().push(on));
        awake
    }
}

pub fn tiny_request(models: &[String]) -> NewRunRequest {
    NewRunRequest {
        models: models.to_vec(),
        suite: "starter".into(),
        datasets: vec!["starter_qa".into()],
        examples: Some(1),
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

/// The queue's own events, in order.
pub fn queue_events(events: &[LiveEvent]) -> Vec<&QueueEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            LiveEvent::Queue(q) => Some(q),
            LiveEvent::Run(_) => None,
        })
        .collect()
}
