//! "Get models": the catalog of recommended phone models, Hugging Face search and a
//! repository's files, and downloads that go on on their own threads while the window shows
//! them. Each download's progress is stored as it goes (`mobench_core::hub`), so the list the
//! window polls survives navigation and a restart; closing the app pauses what is downloading,
//! and resuming asks the hub only for the rest.
//!
//! The hub is the mirror of Settings, else `HF_ENDPOINT`, else huggingface.co. A token for gated
//! models is handed to the OS keychain once (`set_hub_token`) and never comes back to the window.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mobench_core::hub::{self, CatalogEntry, FetchTarget, HubFile, RepoSummary};
use mobench_core::{AppError, AppResult, ErrorCode};
use mobench_store::downloads::DownloadRow;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::commands::blocking;
use crate::state::AppState;

/// The keychain entry of the hub's access token (beside the graders' API keys).
const TOKEN_ID: &str = "hub:huggingface";

/// The downloads going now: their cancel flags, by download id.
#[derive(Default)]
pub struct Downloads {
    running: Mutex<HashMap<i64, Arc<AtomicBool>>>,
}

impl Downloads {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<AtomicBool>>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pauses every download (the app is closing): each stores its progress and stops.
    pub fn pause_all(&self) {
        for flag in self.lock().values() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

fn hub_for(state: &AppState) -> AppResult<mobench_hub::Hub> {
    // No keychain is fine: public models need no token, and HF_TOKEN may hold one.
    let token = state.keychain.get(TOKEN_ID).ok().flatten();
    hub::hub(state.settings().hub_endpoint.as_deref(), token)
}

#[tauri::command]
pub fn hub_catalog() -> Vec<CatalogEntry> {
    hub::catalog()
}

#[tauri::command]
pub async fn hub_search<R: Runtime>(
    app: AppHandle<R>,
    text: String,
) -> AppResult<Vec<RepoSummary>> {
    blocking(app, move |state| hub::search(&hub_for(state)?, &text)).await
}

#[tauri::command]
pub async fn hub_files<R: Runtime>(app: AppHandle<R>, repo: String) -> AppResult<Vec<HubFile>> {
    blocking(app, move |state| hub::repo_files(&hub_for(state)?, &repo)).await
}

/// Every download, latest first, with how far each got.
#[tauri::command]
pub async fn list_downloads<R: Runtime>(app: AppHandle<R>) -> AppResult<Vec<DownloadRow>> {
    blocking(app, move |state| hub::downloads(&state.store()?)).await
}

/// Starts downloading `target` on a thread of its own and returns its row at once; the window
/// follows it with `list_downloads`. The files are asked of the hub first, so an unknown model,
/// a gated one without a token or a hub that is not one fails here, before anything starts.
#[tauri::command]
pub async fn start_download<R: Runtime>(
    app: AppHandle<R>,
    target: FetchTarget,
) -> AppResult<DownloadRow> {
    let handle = app.clone();
    blocking(app, move |state| start(&handle, state, &target)).await
}

fn start<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    target: &FetchTarget,
) -> AppResult<DownloadRow> {
    let hub = hub_for(state)?;
    let plan = hub::plan(&hub, target)?;
    let store = state.store()?;
    let downloads = app.state::<Downloads>();
    let cancel = Arc::new(AtomicBool::new(false));
    // Recorded (running) before the thread starts, so the list shows it at once.
    let dir = hub::repo_dir(&state.data_dir, &plan.repo);
    let id = store.download_start(
        &plan.repo,
        &plan.model[0].path,
        plan.mmproj.as_ref().map(|m| m.path.as_str()),
        plan.catalog.as_deref(),
        mobench_hub::download::bytes_present(&dir, &plan.files()),
        plan.total_bytes(),
    )?;
    {
        let mut running = downloads.lock();
        if running.contains_key(&id) {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!("{} is already downloading", plan.model[0].path),
            ));
        }
        running.insert(id, cancel.clone());
    }
    let row = store
        .download(id)?
        .ok_or_else(|| AppError::new(ErrorCode::Internal, "the download was not recorded"))?;
    let handle = app.clone();
    std::thread::Builder::new()
        .name(format!("download-{id}"))
        .spawn(move || {
            let state = handle.state::<AppState>();
            let result = state.store().and_then(|store| {
                hub::fetch(
                    &store,
                    &state.data_dir,
                    &hub,
                    &plan,
                    hub::Limits::default(),
                    &cancel,
                    &mut |_| {},
                )
            });
            if let Err(e) = result {
                tracing::info!(id, error = %e.message, "download stopped");
            }
            handle.state::<Downloads>().lock().remove(&id);
        })
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("cannot start a download: {e}")))?;
    Ok(row)
}

/// Pauses a download: it stops after the chunk in flight, keeping what it has.
#[tauri::command]
pub fn pause_download(downloads: State<'_, Downloads>, id: i64) -> AppResult<()> {
    match downloads.lock().get(&id) {
        Some(flag) => {
            flag.store(true, Ordering::Relaxed);
            Ok(())
        }
        None => Err(AppError::new(
            ErrorCode::NotFound,
            format!("download {id} is not running"),
        )),
    }
}

/// Resumes a paused or failed download from where it stopped.
#[tauri::command]
pub async fn resume_download<R: Runtime>(app: AppHandle<R>, id: i64) -> AppResult<DownloadRow> {
    let handle = app.clone();
    blocking(app, move |state| {
        let row = state.store()?.download(id)?.ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, format!("there is no download {id}"))
        })?;
        start(&handle, state, &hub::target_of(&row))
    })
    .await
}

/// Removes a download that is not running from the list, with its partial files.
#[tauri::command]
pub async fn forget_download<R: Runtime>(app: AppHandle<R>, id: i64) -> AppResult<()> {
    blocking(app, move |state| {
        hub::forget_download(&state.store()?, &state.data_dir, id)
    })
    .await
}

/// Keeps the hub access token in the OS keychain (for gated models); never sent back.
#[tauri::command]
pub async fn set_hub_token<R: Runtime>(app: AppHandle<R>, token: String) -> AppResult<()> {
    blocking(app, move |state| {
        if token.trim().is_empty() {
            state.keychain.delete(TOKEN_ID)
        } else {
            state.keychain.set(TOKEN_ID, &token)
        }
    })
    .await
}

#[tauri::command]
pub async fn hub_has_token<R: Runtime>(app: AppHandle<R>) -> AppResult<bool> {
    blocking(app, move |state| state.keychain.has(TOKEN_ID)).await
}
