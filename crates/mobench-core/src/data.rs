//! The app's data as a whole: what clearing it removes.

use std::path::Path;

use mobench_store::library::ModelSource;
use mobench_store::Store;
use serde::Deserialize;

use crate::error::{io_error, AppResult, ErrorCode};
use crate::library;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "lowercase")]
pub enum ClearScope {
    /// Every run and its samples and readings.
    Runs,
    /// Runs, copied models and downloaded datasets (the caller resets the settings).
    All,
}

/// Deletes every run, and for `All` also the models copied into `data_dir` (the library forgets
/// referenced ones) and the downloaded datasets.
pub fn clear(
    store: &Store,
    data_dir: &Path,
    datasets_dir: &Path,
    scope: ClearScope,
) -> AppResult<()> {
    for run in store.runs()? {
        store.delete_run(run.id)?;
    }
    if scope == ClearScope::Runs {
        return Ok(());
    }
    for (path, source) in store.library()? {
        library::delete(store, data_dir, None, &path).or_else(|e| {
            // A referenced file that is gone is simply forgotten.
            if source == ModelSource::Referenced {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    }
    if datasets_dir.exists() {
        std::fs::remove_dir_all(datasets_dir)
            .map_err(|e| io_error(ErrorCode::Io, datasets_dir, &e))?;
    }
    Ok(())
}
