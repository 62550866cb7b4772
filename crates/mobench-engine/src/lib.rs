//! The MobileAIBench engine, free of any front end: model inspection, measured llama.cpp
//! inference, the suite run pipeline with resume, and the events front ends render.

pub mod bench;
mod bench_run;
pub mod device;
pub mod error;
pub mod events;
pub mod export;
pub mod gguf;
mod llama_log;
pub mod llm;
pub mod memory;
pub mod model;
pub mod offload;
pub mod paths;
pub mod report;
pub mod run;
mod sample;
pub mod settings;
pub mod telemetry;

use std::path::{Path, PathBuf};

pub use bench::{BenchRequest, Sustained};
pub use bench_run::run_bench;
pub use error::EngineError;
pub use events::{Control, Event, Sink};
pub use run::{open_store, resume, run_suite, CancelFlag, RunOutcome, StopReason};
pub use settings::{InferenceSettings, Preset, RunRequest, Sampling};

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
