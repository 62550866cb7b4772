//! Runs between devices in the app: a bundle of runs written where the user chose (a save
//! dialog; on iOS then handed to the share sheet by the UI), bundles imported from the file
//! picker or opened from outside (AirDrop, the Files app's "Open in", Finder: a `.mobench` file,
//! the document type the app registers), and the devices side by side.

use std::path::{Path, PathBuf};

use mobench_core::views::{self, BoardGroup};
use mobench_core::{AppError, AppResult, ErrorCode};
use mobench_store::devices::RunFilter;
use mobench_store::ImportReport;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_fs::FsExt;

use crate::commands::{blocking, user_chosen};
use crate::state::AppState;

/// The event the UI hears when the OS opens `.mobench` files with the app: their paths.
pub const BUNDLES_OPENED: &str = "bundles-opened";

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct BundleWritten {
    pub path: String,
    pub runs: usize,
}

/// Writes runs `run_ids` into a bundle at `path` (chosen in a save dialog, or in the export
/// folder the app was started with).
#[tauri::command]
pub async fn export_bundle<R: Runtime>(
    app: AppHandle<R>,
    run_ids: Vec<i64>,
    path: PathBuf,
) -> AppResult<BundleWritten> {
    let handle = app.clone();
    blocking(app, move |state| {
        user_chosen(&handle, state, &path)?;
        if run_ids.is_empty() {
            return Err(AppError::new(
                ErrorCode::Settings,
                "choose the runs to share first",
            ));
        }
        state.store()?.export_bundle(&run_ids, &path)?;
        Ok(BundleWritten {
            path: path.display().to_string(),
            runs: run_ids.len(),
        })
    })
    .await
}

/// Merges bundles (chosen in the file picker, or opened from outside) into the app's database,
/// all or none; a run already here is left as it is.
#[tauri::command]
pub async fn import_bundles<R: Runtime>(
    app: AppHandle<R>,
    paths: Vec<PathBuf>,
) -> AppResult<ImportReport> {
    let handle = app.clone();
    blocking(app, move |state| {
        for p in &paths {
            user_chosen(&handle, state, p)?;
        }
        Ok(state.store()?.import_bundles(&paths)?)
    })
    .await
}

/// The same model and quantization side by side across the devices whose runs are here.
#[tauri::command]
pub async fn list_devices<R: Runtime>(
    app: AppHandle<R>,
    filter: Option<RunFilter>,
) -> AppResult<Vec<BoardGroup>> {
    blocking(app, move |state| {
        Ok(views::devices(
            &state.store()?,
            &filter.unwrap_or_default(),
        )?)
    })
    .await
}

/// Files the OS asked the app to open: each `.mobench` one is allowed like a file the user
/// picked, and handed to the UI, which imports it.
pub fn opened<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) {
    let bundles: Vec<PathBuf> = paths.into_iter().filter(|p| is_bundle_name(p)).collect();
    if bundles.is_empty() {
        return;
    }
    if let Some(scope) = app.try_fs_scope() {
        for p in &bundles {
            let _ = scope.allow_file(p);
        }
    }
    let shown: Vec<String> = bundles.iter().map(|p| p.display().to_string()).collect();
    let pending = &app.state::<AppState>().opened_bundles;
    if let Ok(mut list) = pending.lock() {
        list.extend(shown.iter().cloned());
    }
    if let Err(e) = app.emit(BUNDLES_OPENED, &shown) {
        tracing::warn!(error = %e, "cannot tell the window about opened bundles");
    }
}

/// Bundles opened before the window was ready to hear of them (the app started by opening one):
/// the UI asks once at start.
#[tauri::command]
pub fn take_opened_bundles(state: tauri::State<'_, AppState>) -> Vec<String> {
    state
        .opened_bundles
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

fn is_bundle_name(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mobench"))
}
