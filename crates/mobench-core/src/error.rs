//! The app's errors as the UI receives them: `{code, message}`, with a stable `code` the UI can
//! act on and a message in words a user understands. Never a panic or a Rust debug string.

use mobench_engine::EngineError;
use mobench_store::StoreError;
use mobench_tasks::fetch::FetchError;
use serde::Serialize;

/// What went wrong, for the UI to say what to do next. A closed set, so the UI's table of next
/// steps is checked for completeness by the TypeScript compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not a GGUF file, cut short, unreadable.
    ModelFile,
    /// llama.cpp could not load the model.
    ModelLoad,
    /// A vision projector (mmproj GGUF) that is not one, is damaged, or does not fit its model.
    Projector,
    /// The model would not fit under the system's memory limit.
    Memory,
    /// llama.cpp failed while running it.
    Engine,
    /// A dataset file is missing or has bad rows.
    Dataset,
    /// A download did not match its sha256 or size.
    Checksum,
    Download,
    /// A gated model on the hub: its terms must be accepted and an access token given.
    Gated,
    /// Not enough free disk space for a download.
    NoSpace,
    /// A download was paused (by the user, or the app closing); it resumes from where it was.
    Paused,
    /// Invalid run settings or names.
    Settings,
    /// A run is going.
    Busy,
    NotFound,
    BuiltinModel,
    Resume,
    /// An export could not be written (full disk, permissions).
    Export,
    /// A judge or an embedder failed while grading (an endpoint that refused or answered
    /// nonsense, a local grader that could not run).
    Grader,
    /// The OS keychain (where endpoint API keys are kept) is missing, locked or failed.
    Keychain,
    /// A path to import or export was not picked by the user in a dialog.
    NotChosen,
    /// A bundle of runs that is not one, damaged, from a newer version, or holding a run that is
    /// here already with other figures.
    Bundle,
    Store,
    Io,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> AppError {
        let code = match &e {
            EngineError::ModelFile { .. } => ErrorCode::ModelFile,
            EngineError::ModelLoad { .. } => ErrorCode::ModelLoad,
            EngineError::Projector { .. } => ErrorCode::Projector,
            EngineError::WontFit { .. } => ErrorCode::Memory,
            EngineError::Catalog(_)
            | EngineError::Settings(_)
            | EngineError::Template(_)
            | EngineError::Probe(_) => ErrorCode::Settings,
            EngineError::Dataset(_) | EngineError::Image(_) => ErrorCode::Dataset,
            EngineError::Store(
                StoreError::Bundle { .. }
                | StoreError::Invalid { .. }
                | StoreError::Conflict { .. },
            ) => ErrorCode::Bundle,
            EngineError::Store(StoreError::NoSuchRun(_) | StoreError::NoSuchStudy(_)) => {
                ErrorCode::NotFound
            }
            EngineError::Store(_) => ErrorCode::Store,
            EngineError::Resume { .. } => ErrorCode::Resume,
            EngineError::Backend(_)
            | EngineError::Context(_)
            | EngineError::Prompt(_)
            | EngineError::Decode(_)
            | EngineError::Worker(_)
            | EngineError::Quantize { .. }
            | EngineError::Cancelled => ErrorCode::Engine,
            EngineError::Grader(_) => ErrorCode::Grader,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        EngineError::from(e).into()
    }
}

impl From<FetchError> for AppError {
    fn from(e: FetchError) -> AppError {
        let code = match e {
            FetchError::Checksum { .. } | FetchError::Size { .. } => ErrorCode::Checksum,
            _ => ErrorCode::Download,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<mobench_tasks::CatalogError> for AppError {
    fn from(e: mobench_tasks::CatalogError) -> AppError {
        AppError::new(ErrorCode::Settings, e.to_string())
    }
}

/// A file operation that failed, named by its file, with the usual causes said plainly.
pub fn io_error(code: ErrorCode, path: &std::path::Path, e: &std::io::Error) -> AppError {
    let why = match e.raw_os_error() {
        Some(28) => "the disk is full".to_string(),
        Some(122) => "the disk quota is exceeded".to_string(),
        _ => match e.kind() {
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::NotFound => "the folder does not exist".to_string(),
            _ => e.to_string(),
        },
    };
    AppError::new(code, format!("{}: {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let e: AppError = EngineError::ModelFile {
            path: "/m/x.gguf".into(),
            message: "is not a GGUF file".into(),
        }
        .into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "model_file", "message": "model /m/x.gguf: is not a GGUF file"})
        );
        let e: AppError = StoreError::NoSuchRun(7).into();
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::NotFound, "no run with id 7")
        );
    }

    #[test]
    fn a_full_disk_is_said_plainly() {
        let e = io_error(
            ErrorCode::Export,
            std::path::Path::new("/x/out.csv"),
            &std::io::Error::from_raw_os_error(28),
        );
        assert_eq!(e.message, "/x/out.csv: the disk is full");
    }
}
