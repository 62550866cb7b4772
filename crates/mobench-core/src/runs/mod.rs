//! The run queue both front ends drive: runs one after another (one per chosen model, or one
//! resumed run) on a background thread, each on the engine's own worker thread, with a cool-down
//! between them, paused and resumed by the app's lifecycle, and its events forwarded live to
//! whoever watches (a window that reloads attaches again and is brought up to date).

mod events;
pub mod lifecycle;
mod replay;
mod request;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mobench_engine::events::Event;
use mobench_engine::{CancelFlag, Control, RunOutcome, RunRequest, StopReason};
use mobench_store::RunStatus;

pub use events::{ActiveRun, LiveEvent, QueueEvent, QueueTicket};
pub use request::{resume_job, NewRunRequest};

use crate::error::{AppError, AppResult, ErrorCode};
use lifecycle::{Action, Lifecycle, Signal};
use replay::Replay;

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
type KeepAwake = Arc<dyn Fn(bool) + Send + Sync>;

/// The queue that runs now.
struct Active {
    info: ActiveRun,
    cancel: CancelFlag,
    /// Disconnects when the queue thread ends.
    done: mpsc::Receiver<()>,
    emit: Emit,
    replay: Replay,
}

/// What is left of a queue paused when the app went to the background.
struct PausedQueue {
    db: PathBuf,
    jobs: Vec<Job>,
    cooldown_s: u32,
    emit: Emit,
}

/// A queue as its thread works through it.
struct Queue {
    id: u64,
    db: PathBuf,
    jobs: VecDeque<Job>,
    cooldown_s: u32,
    cancel: CancelFlag,
}

#[derive(Default)]
struct Shared {
    active: Mutex<Option<Active>>,
    next_id: AtomicU64,
    lifecycle: Mutex<Lifecycle>,
    paused: Mutex<Option<PausedQueue>>,
    keep_awake: Mutex<Option<KeepAwake>>,
}

/// The one queue that may run at a time (llama.cpp runs one model per process at a time here).
#[derive(Clone, Default)]
pub struct Runner(Arc<Shared>);

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Tokens are forwarded at most this often (a small model makes thousands a second; one IPC
/// message each would keep the UI busy for nothing).
const TOKEN_FLUSH: Duration = Duration::from_millis(40);

impl Runner {
    pub fn active(&self) -> Option<ActiveRun> {
        self.slot().as_ref().map(|a| a.info.clone())
    }

    fn slot(&self) -> MutexGuard<'_, Option<Active>> {
        locked(&self.0.active)
    }

    /// How the platform keeps the screen awake while a queue runs.
    pub fn set_keep_awake(&self, f: impl Fn(bool) + Send + Sync + 'static) {
        *locked(&self.0.keep_awake) = Some(Arc::new(f));
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
        locked(&self.0.paused).is_some()
    }

    /// Whether `run_id` is being worked on now.
    pub fn is_running(&self, run_id: i64) -> bool {
        self.slot()
            .as_ref()
            .is_some_and(|a| a.info.run_id == Some(run_id))
    }

    /// Fails with `Busy` while a queue runs, naming what the user wanted to do.
    pub fn ensure_idle(&self, what: &str) -> AppResult<()> {
        match self.active() {
            Some(_) => Err(AppError::new(
                ErrorCode::Busy,
                format!("a run is going: cancel it or wait for it to finish before you {what}"),
            )),
            None => Ok(()),
        }
    }

    /// Fails with `Busy` while run `run_id` is being worked on.
    pub fn ensure_not_running(&self, run_id: i64) -> AppResult<()> {
        if self.is_running(run_id) {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!("run {run_id} is running: cancel it before deleting it"),
            ));
        }
        Ok(())
    }

    /// Stops the queue after the token in flight; the run in progress is stored as interrupted
    /// and the rest of the queue is dropped (a paused queue's too).
    pub fn cancel(&self) -> bool {
        let paused = locked(&self.0.paused).take();
        let had_paused = paused.is_some();
        if let Some(p) = paused {
            // Its run stays `paused` in the database, resumable from History.
            (p.emit)(LiveEvent::Queue(QueueEvent::QueueFinished {
                run_ids: Vec::new(),
                cancelled: true,
                paused: false,
            }));
        }
        match self.slot().as_mut() {
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
        let done = self.slot().take().map(|a| a.done);
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
        let mut lifecycle = locked(&self.0.lifecycle);
        let mut slot = self.slot();
        if slot.is_some() {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a run is already going: wait for it to finish or cancel it first",
            ));
        }
        let queue = Queue {
            id: self.0.next_id.fetch_add(1, Ordering::SeqCst) + 1,
            db,
            jobs: jobs.into(),
            cooldown_s,
            cancel: CancelFlag::default(),
        };
        let queue_id = queue.id;
        let models: Vec<String> = queue.jobs.iter().map(Job::model).collect();
        let (done_tx, done) = mpsc::channel();
        *slot = Some(Active {
            info: ActiveRun {
                queue_id,
                models: models.clone(),
                index: 0,
                run_id: None,
                cancelling: false,
            },
            cancel: queue.cancel.clone(),
            done,
            emit: Arc::new(emit),
            replay: Replay::default(),
        });
        drop(slot);
        let runner = self.clone();
        let spawned = std::thread::Builder::new()
            .name("mobench-queue".into())
            .spawn(move || {
                let _done = done_tx;
                runner.work_through(queue, models);
            });
        if let Err(e) = spawned {
            self.slot().take();
            return Err(AppError::new(
                ErrorCode::Internal,
                format!("cannot start the run thread: {e}"),
            ));
        }
        // A start never resumes anything (nothing is paused while a queue runs).
        self.step(&mut lifecycle, Signal::QueueStarted);
        Ok(QueueTicket { queue_id })
    }

    /// Sends the queue's further events to `emit` instead, after the events that bring it up to
    /// date; `None` when no queue is running.
    pub fn attach(&self, emit: impl Fn(LiveEvent) + Send + Sync + 'static) -> Option<ActiveRun> {
        let mut slot = self.slot();
        let a = slot.as_mut()?;
        for event in a.replay.events() {
            emit(event);
        }
        a.emit = Arc::new(emit);
        Some(a.info.clone())
    }

    /// The queue thread: each job in turn, a cool-down between two, until the queue is done,
    /// cancelled, or paused (then what is left waits for the app to return).
    fn work_through(&self, mut queue: Queue, models: Vec<String>) {
        let emit = |event| self.send(queue.id, event);
        emit(LiveEvent::Queue(QueueEvent::QueueStarted {
            queue_id: queue.id,
            models,
        }));
        let total = queue.jobs.len();
        let mut run_ids = Vec::new();
        // What a pause leaves to do when the app returns.
        let mut left: Option<Vec<Job>> = None;
        let mut index = 0;
        while let Some(job) = queue.jobs.pop_front() {
            if index > 0 && queue.cooldown_s > 0 && !queue.cancel.is_cancelled() {
                emit(LiveEvent::Queue(QueueEvent::Cooldown {
                    seconds: queue.cooldown_s,
                }));
                queue.cancel.cool_down(queue.cooldown_s);
            }
            match queue.cancel.reason() {
                Some(StopReason::Paused) => {
                    left = Some(with_rest(job, &mut queue.jobs));
                    break;
                }
                Some(StopReason::Cancelled) => break,
                None => {}
            }
            self.update(queue.id, |a| {
                a.index = index;
                a.run_id = None;
            });
            let model = job.model();
            emit(LiveEvent::Queue(QueueEvent::ModelStarted {
                index,
                total,
                model: model.clone(),
            }));
            match self.run_one(&queue, job, &emit) {
                Ok(outcome) if outcome.status == RunStatus::Paused => {
                    run_ids.push(outcome.run_id);
                    let resume = Job::Resume {
                        run_id: outcome.run_id,
                        model,
                    };
                    left = Some(with_rest(resume, &mut queue.jobs));
                    break;
                }
                Ok(outcome) => run_ids.push(outcome.run_id),
                Err(error) => emit(LiveEvent::Queue(QueueEvent::ModelFailed {
                    index,
                    model,
                    error,
                })),
            }
            index += 1;
        }
        self.stop(queue, run_ids, left);
    }

    /// The end of a queue. The stop is told to the lifecycle, the slot freed, what is left stored
    /// and the end announced, all under the lifecycle's lock: a queue started next (by the UI or
    /// by a return to the foreground) sees all of it done.
    fn stop(&self, queue: Queue, run_ids: Vec<i64>, left: Option<Vec<Job>>) {
        let paused = left.is_some();
        let mut lifecycle = locked(&self.0.lifecycle);
        let resume = self.step(&mut lifecycle, Signal::QueueStopped { paused });
        // The slot is freed before the end is said, so that the UI may start another at once.
        if let Some(emit) = self.finish(queue.id) {
            if let Some(jobs) = left {
                *locked(&self.0.paused) = Some(PausedQueue {
                    db: queue.db,
                    jobs,
                    cooldown_s: queue.cooldown_s,
                    emit: emit.clone(),
                });
            }
            emit(LiveEvent::Queue(QueueEvent::QueueFinished {
                run_ids,
                cancelled: queue.cancel.reason() == Some(StopReason::Cancelled),
                paused,
            }));
        }
        drop(lifecycle);
        if resume {
            self.resume_paused();
        }
    }

    fn signal(&self, signal: Signal) {
        let resume = self.step(&mut locked(&self.0.lifecycle), signal);
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
                    let hook = locked(&self.0.keep_awake).clone();
                    if let Some(hook) = hook {
                        hook(on);
                    }
                }
                Action::PauseQueue => {
                    if let Some(a) = self.slot().as_mut() {
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
        let Some(p) = locked(&self.0.paused).take() else {
            return;
        };
        let emit = p.emit;
        if let Err(e) = self.start(p.db, p.jobs, p.cooldown_s, move |event| emit(event)) {
            // The run stays `paused` in the database; History offers to resume it.
            tracing::error!(error = %e.message, "the paused queue could not carry on");
        }
    }

    /// Sends an event of queue `queue_id` to whoever listens now, noting what a window that
    /// attaches later must be told. The lock is not held while the event is delivered.
    fn send(&self, queue_id: u64, event: LiveEvent) {
        let emit = {
            let mut slot = self.slot();
            let Some(a) = slot.as_mut().filter(|a| a.info.queue_id == queue_id) else {
                return;
            };
            a.replay.note(&event);
            a.emit.clone()
        };
        emit(event);
    }

    fn update(&self, queue_id: u64, f: impl FnOnce(&mut ActiveRun)) {
        if let Some(a) = self.slot().as_mut().filter(|a| a.info.queue_id == queue_id) {
            f(&mut a.info);
        }
    }

    /// Frees the slot; returns where the queue's last event goes.
    fn finish(&self, queue_id: u64) -> Option<Emit> {
        let mut slot = self.slot();
        if slot.as_ref().is_some_and(|a| a.info.queue_id == queue_id) {
            slot.take().map(|a| a.emit)
        } else {
            None
        }
    }

    /// One job on the engine, its tokens batched (see `TOKEN_FLUSH`).
    fn run_one(&self, queue: &Queue, job: Job, emit: &impl Fn(LiveEvent)) -> AppResult<RunOutcome> {
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
                    self.update(queue.id, |a| a.run_id = Some(*run_id));
                    emit(LiveEvent::Run(event.clone()));
                }
                _ => emit(LiveEvent::Run(event.clone())),
            }
            Control::Continue
        };
        let cancel = queue.cancel.clone();
        let outcome = match job {
            Job::Start(request) => {
                mobench_engine::run_suite(&queue.db, *request, cancel, &mut sink)
            }
            Job::Resume { run_id, .. } => {
                mobench_engine::resume(&queue.db, run_id, cancel, &mut sink)
            }
        }?;
        Ok(outcome)
    }
}

/// `job` followed by every job still queued.
fn with_rest(job: Job, jobs: &mut VecDeque<Job>) -> Vec<Job> {
    std::iter::once(job).chain(jobs.drain(..)).collect()
}
