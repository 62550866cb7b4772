//! The store's errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("database {path} has schema version {found}, newer than this mobench understands ({supported}); upgrade mobench")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "database schema migration {version} failed: {message}; the database was left as it was"
    )]
    Migration { version: usize, message: String },
    #[error("bundle {path}: {message}")]
    Bundle { path: PathBuf, message: String },
    #[error("{from}: {message}; nothing was imported")]
    Invalid { from: String, message: String },
    #[error("run {uuid} from {from} is already here as run {local_id} with different content; nothing was imported (delete run {local_id} here to take the incoming copy)")]
    Conflict {
        uuid: String,
        local_id: i64,
        from: String,
    },
    #[error("no run with id {0}")]
    NoSuchRun(i64),
    #[error("no study with id {0}")]
    NoSuchStudy(i64),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database holds invalid JSON in {what}: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
