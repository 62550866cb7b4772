//! The MobileAIBench engine, free of any front end, one folder per feature: `llama/` (llama.cpp
//! measured: backend, model loading, the decode loop, devices, GGUF header, memory fit, model
//! files, a vision projector), `suite/` (the suite run pipeline with resume), `speed/`
//! (llama-bench's speed tests), `grade/` (grading stored runs with a judge and an embedder),
//! `worker` (what every run shares: the cancel flag, the inference thread and its events, how a
//! run's end is stored), `quant/` (quantizing on the device and the perplexity and KL-divergence
//! probes), and the events front ends render. What front ends show of stored runs
//! (views, export tables) is `mobench-core`'s.

pub mod error;
pub mod events;
pub mod grade;
pub mod llama;
pub mod paths;
pub mod quant;
pub mod settings;
pub mod speed;
mod store;
pub mod study;
pub mod suite;
pub mod telemetry;
mod worker;

use std::path::{Path, PathBuf};

pub use error::EngineError;
pub use events::{Control, Event, Sink};
pub use settings::{InferenceSettings, Preset, RunRequest, Sampling};
pub use speed::{run_speed, SpeedRequest, Sustained};
pub use store::open_store;
pub use suite::{resume, run_suite};
pub use worker::{CancelFlag, RunOutcome, StopReason};

/// Where the built-in tiny model lives under a data directory.
pub fn builtin_model_path(data_dir: &Path) -> PathBuf {
    paths::models_dir(data_dir).join("mobench-tiny.gguf")
}

/// The built-in tiny model (random weights, real GGUF), written by the project's generator on
/// first use. Nothing is downloaded.
pub fn ensure_builtin_model(data_dir: &Path) -> Result<PathBuf, EngineError> {
    let path = builtin_model_path(data_dir);
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| EngineError::ModelFile {
                path: path.clone(),
                message: format!("cannot create its folder: {e}"),
            })?;
        }
        mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &path).map_err(|e| {
            EngineError::ModelFile {
                path: path.clone(),
                message: format!("cannot write the built-in model: {e}"),
            }
        })?;
    }
    Ok(path)
}
