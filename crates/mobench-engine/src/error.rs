//! The engine's typed errors. Every message is one line a user can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("model {path}: {message}")]
    ModelFile { path: PathBuf, message: String },
    #[error("model {path}: {message}")]
    ModelLoad { path: PathBuf, message: String },
    /// A vision projector (mmproj GGUF) that is unreadable, malformed, of a type llama.cpp does
    /// not know, or does not fit its model; checked before mtmd, which aborts on many of these.
    #[error("projector {path}: {message}")]
    Projector { path: PathBuf, message: String },
    /// The model would take the app over the system's memory limit (iOS kills it there).
    #[error("model {path}: {message}")]
    WontFit { path: PathBuf, message: String },
    #[error("llama.cpp backend could not start: {0}")]
    Backend(String),
    #[error("llama.cpp could not create a context: {0}")]
    Context(String),
    #[error("prompt: {0}")]
    Prompt(String),
    /// A sample's image is missing, empty or cannot be decoded: that sample fails, the run goes on.
    #[error("image: {0}")]
    Image(String),
    #[error("prompt template: {0}")]
    Template(String),
    #[error("llama.cpp decode failed: {0}")]
    Decode(String),
    #[error(transparent)]
    Catalog(#[from] mobench_tasks::CatalogError),
    #[error(transparent)]
    Dataset(#[from] mobench_tasks::DatasetError),
    #[error(transparent)]
    Store(#[from] mobench_store::StoreError),
    #[error("settings: {0}")]
    Settings(String),
    #[error("run {run_id} cannot be resumed: {reason}")]
    Resume { run_id: i64, reason: String },
    /// A judge or an embedder failed in a way that stops grading (what was graded is kept).
    #[error("grader: {0}")]
    Grader(String),
    /// A quantization that cannot start or failed (its output is removed).
    #[error("{path}: {message}")]
    Quantize { path: PathBuf, message: String },
    /// A perplexity or KL-divergence probe that cannot run on this text or pair of models.
    #[error("{0}")]
    Probe(String),
    /// The user stopped it; nothing it was writing is left behind.
    #[error("cancelled")]
    Cancelled,
    #[error("the inference worker stopped unexpectedly: {0}")]
    Worker(String),
}
