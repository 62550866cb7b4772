//! The core that both front ends drive, free of any UI: the run queue (jobs, cool-down,
//! pause/resume through the lifecycle state machine), the model library, the app's settings,
//! dataset management, grading stored runs with a judge or an embedder (`grading`), and the
//! views of stored runs (detail, CSV export). Every function returns a plain `Result` whose
//! error carries a stable code (see `error`); the Tauri commands and the CLI are thin wrappers
//! over it.

pub mod data;
pub mod datasets;
pub mod error;
pub mod grading;
pub mod hub;
pub mod library;
pub mod runs;
pub mod settings;
pub mod study;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod views;

pub use error::{AppError, AppResult, ErrorCode};
