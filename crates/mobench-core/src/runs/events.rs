//! What a queue tells whoever watches it: its own events and its runs' events, in one stream.

use mobench_engine::events::Event;
use serde::Serialize;

use crate::error::AppError;

/// What the queue itself says, beside the runs' own events.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum QueueEvent {
    QueueStarted {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
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
        #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
        run_ids: Vec<i64>,
        cancelled: bool,
        /// Stopped because the app went to the background; it carries on when the app returns.
        paused: bool,
    },
}

/// Everything the Live run screen receives.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(untagged)]
pub enum LiveEvent {
    Queue(QueueEvent),
    Run(Event),
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct QueueTicket {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub queue_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ActiveRun {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub queue_id: u64,
    pub models: Vec<String>,
    pub index: usize,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub run_id: Option<i64>,
    pub cancelling: bool,
}
