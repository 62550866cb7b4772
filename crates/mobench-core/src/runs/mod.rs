//! Running suites from the app: a queue of runs (one per chosen model, or one resumed run) on a
//! background thread, each run on the engine's own worker thread, events forwarded live.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mobench_engine::events::{Event, PlannedDatasetInfo};
use mobench_engine::{CancelFlag, Control, RunRequest, StopReason};
use mobench_store::RunStatus;
use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::lifecycle::{Action, Lifecycle, Signal};
use crate::settings::{inference, validate_run_choices, RunDefaults};

/// What the New run screen asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct NewRunRequest {
    /// Model files, run one after another in this order.
    pub models: Vec<String>,
    pub suite: String,
    /// Empty: every dataset of the suite.
    pub datasets: Vec<String>,
    pub examples: Option<u32>,
    #[ts(type = "number | null")]
    pub sample_seed: Option<u64>,
    pub preset: mobench_engine::Preset,
    pub threads: u32,
    pub n_ctx: u32,
    pub gpu_layers: u32,
    pub max_tokens: Option<u32>,
    pub template: Option<String>,
    /// Load even a model that will not fit under iOS's memory limit (the user was warned).
    #[serde(default)]
    pub ignore_memory_limit: bool,
}

impl NewRunRequest {
    /// One engine request per model, everything checked before any run starts.
    pub fn resolve(&self, datasets_dir: &Path) -> AppResult<Vec<RunRequest>> {
        if self.models.is_empty() {
            return Err(AppError::new(
                ErrorCode::Settings,
                "choose at least one model to run",
            ));
        }
        let choices = RunDefaults {
            preset: self.preset,
            examples: self.examples,
            threads: self.threads,
            n_ctx: self.n_ctx,
            gpu_layers: self.gpu_layers,
            max_tokens: self.max_tokens,
            template: self.template.clone(),
        };
        validate_run_choices(&choices)?;
        mobench_tasks::Catalog::builtin().select(&self.suite, &[], &self.datasets)?;
        for m in &self.models {
            mobench_engine::model::check(Path::new(m))?;
        }
        Ok(self
            .models
            .iter()
            .map(|m| RunRequest {
                model: PathBuf::from(m),
                suite: self.suite.clone(),
                tasks: Vec::new(),
                datasets: self.datasets.clone(),
                datasets_dir: Some(datasets_dir.to_path_buf()),
                selection: Selection {
                    limit: self.examples.map(|e| e as usize),
                    seed: self.sample_seed.filter(|_| self.examples.is_some()),
                },
                inference: inference(&choices),
                sample_interval_ms: None,
                ignore_memory_limit: self.ignore_memory_limit,
            })
            .collect())
    }
}

/// What the queue itself says, beside the runs' own events.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum QueueEvent {
    QueueStarted {
        #[ts(type = "number")]
        queue_id: u64,
        models: Vec<String>,
    },
    ModelStarted {
        index: usize,
        total: usize,
        model: String,
    },
    /// The model's run could not start (or failed before it was stored).
    ModelFailed {
        index: usize,
        model: String,
        error: AppError,
    },
    Cooldown {
        seconds: u32,
    },
    QueueFinished {
        #[ts(type = "Array<number>")]
        run_ids: Vec<i64>,
        cancelled: bool,
        /// Stopped because the app went to the background; it carries on when the app returns.
        paused: bool,
    },
}

/// Everything the Live run screen receives.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(untagged)]
pub enum LiveEvent {
    Queue(QueueEvent),
    Run(Event),
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct QueueTicket {
    #[ts(type = "number")]
    pub queue_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ActiveRun {
    #[ts(type = "number")]
    pub queue_id: u64,
    pub models: Vec<String>,
    pub index: usize,
    #[ts(type = "number | null")]
    pub run_id: Option<i64>,
    pub cancelling: bool,
}

/// One item of a queue.
#[derive(Clone)]
pub enum Job {
    Start(Box<RunRequest>),
    Resume { run_id: i64, model: String },
}

impl Job {
    fn model(&self) -> String {
        match self {
            Job::Start(r) => r.model.display().to_string(),
            Job::Resume { model, .. } => model.clone(),
        }
    }
}

/// Where a queue's events go; a window that reloads attaches a new one.
type Emit = Arc<dyn Fn(LiveEvent) + Send + Sync>;

struct Active {
    info: ActiveRun,
    cancel: CancelFlag,
    /// Disconnects when the queue thread ends.
    done: mpsc::Receiver<()>,
    emit: Emit,
    replay: Replay,
}

/// What a newly attached window needs to draw the run in progress: the queue, the model, the
/// run's plan with the samples finished so far, and the model load.
#[derive(Default)]
struct Replay {
    queue: Option<QueueEvent>,
    model: Option<QueueEvent>,
    run: Option<Event>,
    loaded: Option<Event>,
    done: usize,
    per_dataset: HashMap<String, usize>,
}

impl Replay {
    fn note(&mut self, event: &LiveEvent) {
        match event {
            LiveEvent::Queue(q @ QueueEvent::QueueStarted { .. }) => self.queue = Some(q.clone()),
            LiveEvent::Queue(m @ QueueEvent::ModelStarted { .. }) => {
                *self = Replay {
                    queue: self.queue.take(),
                    model: Some(m.clone()),
                    ..Replay::default()
                }
            }
            LiveEvent::Run(r @ Event::RunStarted { already_done, .. }) => {
                self.done = *already_done;
                self.run = Some(r.clone());
            }
            LiveEvent::Run(l @ Event::ModelLoaded { .. }) => self.loaded = Some(l.clone()),
            LiveEvent::Run(Event::SampleFinished { dataset, done, .. }) => {
                self.done = *done;
                *self.per_dataset.entry(dataset.clone()).or_default() += 1;
            }
            _ => {}
        }
    }

    /// The events that bring a fresh window to where the run is now.
    fn events(&self) -> Vec<LiveEvent> {
        let mut out: Vec<LiveEvent> = [&self.queue, &self.model]
            .into_iter()
            .flatten()
            .cloned()
            .map(LiveEvent::Queue)
            .collect();
        if let Some(Event::RunStarted {
            run_id,
            model,
            resumed,
            total,
            datasets,
            ..
        }) = &self.run
        {
            let datasets = datasets
                .iter()
                .map(|d| PlannedDatasetInfo {
                    already_done: d.already_done
                        + self.per_dataset.get(&d.dataset).copied().unwrap_or(0),
                    ..d.clone()
                })
                .collect();
            out.push(LiveEvent::Run(Event::RunStarted {
                run_id: *run_id,
                model: model.clone(),
                resumed: *resumed,
                total: *total,
                already_done: self.done,
                datasets,
            }));
        }
        out.extend(self.loaded.clone().map(LiveEvent::Run));
        out
    }
}

/// What is left of a queue paused when the app went to the background.
struct PausedQueue {
    db: PathBuf,
    jobs: Vec<Job>,
    cooldown_s: u32,
    emit: Emit,
}

type KeepAwake = Arc<dyn Fn(bool) + Send + Sync>;

/// The one queue that may run at a time (llama.cpp runs one model per process at a time here).
#[derive(Clone, Default)]
pub struct Runner {
    active: Arc<Mutex<Option<Active>>>,
    next_id: Arc<Mutex<u64>>,
    lifecycle: Arc<Mutex<Lifecycle>>,
    paused: Arc<Mutex<Option<PausedQueue>>>,
    keep_awake: Arc<Mutex<Option<KeepAwake>>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tokens are forwarded at most this often (a small model makes thousands a second; one IPC
/// message each would keep the UI busy for nothing).
const TOKEN_FLUSH: Duration = Duration::from_millis(40);

impl Runner {
    pub fn active(&self) -> Option<ActiveRun> {
        self.lock().as_ref().map(|a| a.info.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Active>> {
        locked(&self.active)
    }

    /// How the platform keeps the screen awake while a queue runs (see `platform`).
    pub fn set_keep_awake(&self, f: impl Fn(bool) + Send + Sync + 'static) {
        *locked(&self.keep_awake) = Some(Arc::new(f));
    }

    /// The app went to the background: the queue in progress pauses (see `lifecycle`).
    pub fn background(&self) {
        self.signal(Signal::Background);
    }

    /// The app is back: a paused queue carries on.
    pub fn foreground(&self) {
        self.signal(Signal::Foreground);
    }

    /// Whether a paused queue waits for the app to return.
    pub fn is_paused(&self) -> bool {
        locked(&self.paused).is_some()
    }

    fn signal(&self, signal: Signal) {
        let resume = self.step(&mut locked(&self.lifecycle), signal);
        if resume {
            self.resume_paused();
        }
    }

    /// Carries out what the lifecycle answers to `signal`. The caller holds the lifecycle's lock,
    /// so the keep-awake calls are made in the order of the signals; it returns whether the paused
    /// queue should carry on, which the caller does once the lock is released (starting a queue
    /// takes it).
    fn step(&self, lifecycle: &mut Lifecycle, signal: Signal) -> bool {
        let actions = lifecycle.on(signal);
        tracing::info!(?signal, ?actions, "lifecycle");
        let mut resume = false;
        for action in actions {
            match action {
                Action::KeepAwake(on) => {
                    let hook = locked(&self.keep_awake).clone();
                    if let Some(hook) = hook {
                        hook(on);
                    }
                }
                Action::PauseQueue => {
                    if let Some(a) = self.lock().as_mut() {
                        a.cancel.pause();
                    }
                }
                Action::ResumeQueue => resume = true,
            }
        }
        resume
    }

    /// Restarts what a pause left: the paused run where it stopped, then the rest of the queue,
    /// its events going to the window that watched it.
    fn resume_paused(&self) {
        let Some(p) = locked(&self.paused).take() else {
            return;
        };
        let emit = p.emit;
        if let Err(e) = self.start(p.db, p.jobs, p.cooldown_s, move |event| emit(event)) {
            // The run stays `paused` in the database; History offers to resume it.
            tracing::error!(error = %e.message, "the paused queue could not carry on");
        }
    }

    /// Whether `run_id` is being worked on now.
    pub fn is_running(&self, run_id: i64) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|a| a.info.run_id == Some(run_id))
    }

    /// Stops the queue after the token in flight; the run in progress is stored as interrupted
    /// and the rest of the queue is dropped (a paused queue's too).
    pub fn cancel(&self) -> bool {
        let paused = locked(&self.paused).take();
        let had_paused = paused.is_some();
        if let Some(p) = paused {
            // Its run stays `paused` in the database, resumable from History.
            (p.emit)(LiveEvent::Queue(QueueEvent::QueueFinished {
                run_ids: Vec::new(),
                cancelled: true,
                paused: false,
            }));
        }
        match self.lock().as_mut() {
            Some(a) => {
                a.cancel.cancel();
                a.info.cancelling = true;
                true
            }
            None => had_paused,
        }
    }

    /// Cancels and waits (up to `timeout`) until the run in flight has been stored.
    pub fn shutdown(&self, timeout: Duration) {
        self.cancel();
        let done = self.lock().take().map(|a| a.done);
        if let Some(done) = done {
            let _ = done.recv_timeout(timeout);
        }
    }

    /// Starts `jobs` one after another on a background thread; returns at once.
    pub fn start(
        &self,
        db: PathBuf,
        jobs: Vec<Job>,
        cooldown_s: u32,
        emit: impl Fn(LiveEvent) + Send + Sync + 'static,
    ) -> AppResult<QueueTicket> {
        // Lock order: lifecycle, then the slot. Holding the lifecycle until this queue has said it
        // started means a queue that ends meanwhile is seen to stop first, not after.
        let mut lifecycle = locked(&self.lifecycle);
        let mut slot = self.lock();
        if slot.is_some() {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a run is already going: wait for it to finish or cancel it first",
            ));
        }
        let queue_id = {
            let mut n = self.next_id.lock().unwrap_or_else(|p| p.into_inner());
            *n += 1;
            *n
        };
        let models: Vec<String> = jobs.iter().map(Job::model).collect();
        let cancel = CancelFlag::default();
        let (done_tx, done) = mpsc::channel();
        *slot = Some(Active {
            info: ActiveRun {
                queue_id,
                models: models.clone(),
                index: 0,
                run_id: None,
                cancelling: false,
            },
            cancel: cancel.clone(),
            done,
            emit: Arc::new(emit),
            replay: Replay::default(),
        });
        drop(slot);
        let runner = self.clone();
        let emit = move |event: LiveEvent| runner.send(queue_id, event);
        let runner = self.clone();
        let spawned = std::thread::Builder::new()
            .name("mobench-queue".into())
            .spawn(move || {
                let _done = done_tx;
                emit(LiveEvent::Queue(QueueEvent::QueueStarted {
                    queue_id,
                    models: models.clone(),
                }));
                let mut run_ids = Vec::new();
                let total = jobs.len();
                let mut jobs: std::collections::VecDeque<Job> = jobs.into();
                let mut index = 0;
                // What a pause leaves to do when the app returns.
                let mut left: Option<Vec<Job>> = None;
                while let Some(job) = jobs.pop_front() {
                    let keep = |job: Job, jobs: &mut std::collections::VecDeque<Job>| {
                        Some(std::iter::once(job).chain(jobs.drain(..)).collect())
                    };
                    if index > 0 && cooldown_s > 0 && !cancel.is_cancelled() {
                        emit(LiveEvent::Queue(QueueEvent::Cooldown {
                            seconds: cooldown_s,
                        }));
                        let until = Instant::now() + Duration::from_secs(cooldown_s.into());
                        while Instant::now() < until && !cancel.is_cancelled() {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                    match cancel.reason() {
                        Some(StopReason::Paused) => {
                            left = keep(job, &mut jobs);
                            break;
                        }
                        Some(StopReason::Cancelled) => break,
                        None => {}
                    }
                    runner.update(queue_id, |a| {
                        a.index = index;
                        a.run_id = None;
                    });
                    let model = job.model();
                    emit(LiveEvent::Queue(QueueEvent::ModelStarted {
                        index,
                        total,
                        model: model.clone(),
                    }));
                    match runner.run_one(&db, job, &cancel, queue_id, &emit) {
                        Ok(outcome) => {
                            run_ids.push(outcome.run_id);
                            if outcome.status == RunStatus::Paused {
                                let resume = Job::Resume {
                                    run_id: outcome.run_id,
                                    model,
                                };
                                left = keep(resume, &mut jobs);
                                break;
                            }
                        }
                        Err(error) => emit(LiveEvent::Queue(QueueEvent::ModelFailed {
                            index,
                            model,
                            error,
                        })),
                    }
                    index += 1;
                }
                let paused = left.is_some();
                // The slot is freed, what is left stored and the stop told to the lifecycle under
                // its lock: a queue started next (by the UI or by a return to the foreground) sees
                // all of it done.
                let mut lifecycle = locked(&runner.lifecycle);
                let resume = runner.step(&mut lifecycle, Signal::QueueStopped { paused });
                // Free the slot before saying so, so that the UI may start another at once.
                if let Some(emit) = runner.finish(queue_id) {
                    if let Some(jobs) = left {
                        *locked(&runner.paused) = Some(PausedQueue {
                            db: db.clone(),
                            jobs,
                            cooldown_s,
                            emit: emit.clone(),
                        });
                    }
                    emit(LiveEvent::Queue(QueueEvent::QueueFinished {
                        run_ids,
                        cancelled: cancel.reason() == Some(StopReason::Cancelled),
                        paused,
                    }));
                }
                drop(lifecycle);
                if resume {
                    runner.resume_paused();
                }
            });
        if let Err(e) = spawned {
            self.lock().take();
            return Err(AppError::new(
                ErrorCode::Internal,
                format!("cannot start the run thread: {e}"),
            ));
        }
        // A start never resumes anything (nothing is paused while a queue runs).
        self.step(&mut lifecycle, Signal::QueueStarted);
        Ok(QueueTicket { queue_id })
    }

    /// Sends an event of queue `queue_id` to whoever listens now, noting what a window that
    /// attaches later must be told. The lock is not held while the event is delivered.
    fn send(&self, queue_id: u64, event: LiveEvent) {
        let emit = {
            let mut slot = self.lock();
            let Some(a) = slot.as_mut().filter(|a| a.info.queue_id == queue_id) else {
                return;
            };
            a.replay.note(&event);
            a.emit.clone()
        };
        emit(event);
    }

    /// Sends the queue's further events to `emit` instead, after the events that bring it up to
    /// date; `None` when no queue is running.
    pub fn attach(&self, emit: impl Fn(LiveEvent) + Send + Sync + 'static) -> Option<ActiveRun> {
        let mut slot = self.lock();
        let a = slot.as_mut()?;
        for event in a.replay.events() {
            emit(event);
        }
        a.emit = Arc::new(emit);
        Some(a.info.clone())
    }

    fn update(&self, queue_id: u64, f: impl FnOnce(&mut ActiveRun)) {
        if let Some(a) = self.lock().as_mut().filter(|a| a.info.queue_id == queue_id) {
            f(&mut a.info);
        }
    }

    /// Frees the slot; returns where the queue's last event goes.
    fn finish(&self, queue_id: u64) -> Option<Emit> {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|a| a.info.queue_id == queue_id) {
            slot.take().map(|a| a.emit)
        } else {
            None
        }
    }

    fn run_one(
        &self,
        db: &Path,
        job: Job,
        cancel: &CancelFlag,
        queue_id: u64,
        emit: &impl Fn(LiveEvent),
    ) -> AppResult<mobench_engine::RunOutcome> {
        let mut tokens = String::new();
        let mut last_flush = Instant::now();
        let mut sink = |event: &Event| {
            if let Event::Token { text } = event {
                tokens.push_str(text);
                if last_flush.elapsed() < TOKEN_FLUSH {
                    return Control::Continue;
                }
            }
            if !tokens.is_empty() {
                emit(LiveEvent::Run(Event::Token {
                    text: std::mem::take(&mut tokens),
                }));
                last_flush = Instant::now();
            }
            match event {
                Event::Token { .. } => {}
                Event::RunStarted { run_id, .. } => {
                    self.update(queue_id, |a| a.run_id = Some(*run_id));
                    emit(LiveEvent::Run(event.clone()));
                }
                _ => emit(LiveEvent::Run(event.clone())),
            }
            Control::Continue
        };
        let outcome = match job {
            Job::Start(request) => {
                mobench_engine::run_suite(db, *request, cancel.clone(), &mut sink)
            }
            Job::Resume { run_id, .. } => {
                mobench_engine::resume(db, run_id, cancel.clone(), &mut sink)
            }
        }?;
        Ok(outcome)
    }
}
