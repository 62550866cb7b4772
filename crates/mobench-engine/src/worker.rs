//! What every run shares, whatever its kind: the flag that stops it, the worker thread it runs on
//! with its end of the event channel, the run record it opens, and how its end is stored.

use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use mobench_store::{NewRun, RunKind, RunStatus, Store};
use serde::Serialize;

use crate::error::EngineError;
use crate::events::{Control, Event, Sink};
use crate::llama;

/// Set from anywhere (a Ctrl-C handler, a UI button, the app going to the background) to stop a
/// run after the token in flight; the sample in flight is abandoned and redone on resume.
#[derive(Clone, Default)]
pub struct CancelFlag(Arc<AtomicU8>);

/// Why a run was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The user stopped it: stored as interrupted.
    Cancelled,
    /// The app went to the background: stored as paused, and resumed when it returns.
    Paused,
}

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const PAUSED: u8 = 2;

impl CancelFlag {
    /// Stops the run for good (a cancel also overrides an earlier pause).
    pub fn cancel(&self) {
        self.0.store(CANCELLED, Ordering::SeqCst);
    }
    /// Stops the run to be resumed later; does nothing after a cancel.
    pub fn pause(&self) {
        let _ = self
            .0
            .compare_exchange(RUNNING, PAUSED, Ordering::SeqCst, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) != RUNNING
    }
    /// Sleeps `seconds` so the device cools down (before a speed test, between two queued
    /// runs); returns early, false, when the run is stopped meanwhile.
    pub fn cool_down(&self, seconds: u32) -> bool {
        let until = Instant::now() + Duration::from_secs(seconds.into());
        while Instant::now() < until {
            if self.is_cancelled() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
        !self.is_cancelled()
    }
    pub fn reason(&self) -> Option<StopReason> {
        match self.0.load(Ordering::SeqCst) {
            RUNNING => None,
            PAUSED => Some(StopReason::Paused),
            _ => Some(StopReason::Cancelled),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: RunStatus,
    pub reason: Option<String>,
    pub samples_done: usize,
    pub samples_total: usize,
}

/// The worker's end of the event channel. Token events are only sent to sinks that want them:
/// one per generated token would wake the receiving thread on the per-token path for nothing.
pub(crate) struct Emitter {
    tx: mpsc::Sender<Event>,
    tokens: bool,
    /// The receiving side's word that it has handed a finished sample to the sink.
    seen: mpsc::Receiver<()>,
}

impl Emitter {
    /// A closed channel means nobody listens any more; the run goes on and is stored all the same.
    pub(crate) fn send(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// Sends a finished sample and waits until the sink has seen it, so that a `Stop` it answers
    /// takes effect before the next sample starts, however far behind the receiving thread is.
    /// Between two samples, so no measured window includes the wait.
    pub(crate) fn sample_finished(&self, event: Event) {
        if self.tx.send(event).is_ok() {
            let _ = self.seen.recv();
        }
    }

    /// A sender for other threads of the run (the resource sampler).
    pub(crate) fn sender(&self) -> mpsc::Sender<Event> {
        self.tx.clone()
    }

    pub(crate) fn token(&self, text: &str) {
        if self.tokens {
            self.send(Event::Token {
                text: text.to_string(),
            });
        }
    }
}

/// Runs `work` on a dedicated thread over the run database `db` (llama.cpp contexts must stay on
/// the thread that made them, and callers may be UI or async threads), forwarding its events to
/// `sink` here. A `Stop` from the sink cancels the run.
pub(crate) fn on_worker<F>(
    db: &Path,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
    work: F,
) -> Result<RunOutcome, EngineError>
where
    F: FnOnce(&mut Store, &CancelFlag, &Emitter) -> Result<RunOutcome, EngineError>
        + Send
        + 'static,
{
    let (tx, rx) = mpsc::channel::<Event>();
    let (seen_tx, seen) = mpsc::channel();
    let tx = Emitter {
        tx,
        tokens: sink.wants_tokens(),
        seen,
    };
    let db = db.to_path_buf();
    let flag = cancel.clone();
    let handle = std::thread::Builder::new()
        .name("mobench-inference".into())
        .spawn(move || {
            let mut store = crate::store::open_store(&db)?;
            work(&mut store, &flag, &tx)
        })
        .map_err(|e| EngineError::Worker(e.to_string()))?;
    for event in rx {
        if sink.on_event(&event) == Control::Stop {
            cancel.cancel();
        }
        if matches!(event, Event::SampleFinished { .. }) {
            let _ = seen_tx.send(());
        }
    }
    handle
        .join()
        .map_err(|_| EngineError::Worker("the inference thread panicked".into()))?
}

/// The record of a new run of `kind` on `model_id`, asked for with `request`, on this build and
/// this device.
pub(crate) fn new_run(
    kind: RunKind,
    model_id: i64,
    request: &impl Serialize,
) -> Result<NewRun, EngineError> {
    Ok(NewRun {
        kind,
        model_id,
        settings_json: serde_json::to_string(request)
            .map_err(|e| EngineError::Settings(e.to_string()))?,
        app_version: env!("CARGO_PKG_VERSION").into(),
        llama_version: llama::llama_build_info(),
        device_json: serde_json::to_string(&llama::device::summary()).unwrap_or_default(),
        projector: None,
    })
}

/// Stores how a run's work ended (Ok(true): all done, Ok(false): stopped for `stop`, Err:
/// failed) and tells the sink; the work's own error is returned after that.
pub(crate) fn conclude(
    store: &Store,
    tx: &Emitter,
    run_id: i64,
    result: Result<bool, EngineError>,
    stop: Option<StopReason>,
) -> Result<(RunStatus, Option<String>), EngineError> {
    let (status, reason) = match &result {
        Ok(true) => (RunStatus::Completed, None),
        Ok(false) if stop == Some(StopReason::Paused) => (
            RunStatus::Paused,
            Some("paused: the app went to the background".to_string()),
        ),
        Ok(false) => (
            RunStatus::Interrupted,
            Some("cancelled by the user".to_string()),
        ),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    store.set_status(run_id, status, reason.as_deref())?;
    tx.send(Event::RunFinished {
        run_id,
        status,
        reason: reason.clone(),
    });
    result?;
    Ok((status, reason))
}
