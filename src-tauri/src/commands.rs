//! The app's commands: one-line wrappers over the core (`mobench-core`) and the engine.
//! Anything slow runs off the async runtime's threads (`spawn_blocking`), and every run goes to
//! the engine's worker thread, so the window never waits on a model.

use std::path::{Path, PathBuf};

use mobench_core::data::{self, ClearScope};
use mobench_core::datasets::{self, DatasetEntry, DownloadProgress, FetchReport};
use mobench_core::library::{self, ImportMode, ImportProgress, ModelEntry, ModelFit};
use mobench_core::runs::{self, ActiveRun, LiveEvent, NewRunRequest, QueueTicket};
use mobench_core::settings::{max_threads, AppSettings};
use mobench_core::views::export::ExportKind;
use mobench_core::views::{self, Comparison, ExportReport, RunDetail, RunSummary, SampleDiff};
use mobench_core::{AppError, AppResult, ErrorCode};
use mobench_store::SampleRow;
use mobench_telemetry::Reading;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_fs::FsExt;

use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub platform: String,
    pub data_dir: String,
    pub db_path: String,
    pub db_path_editable: bool,
    pub models_dir: String,
    pub datasets_dir: String,
    /// Where GGUF files put there from outside the app are listed from (iOS: Documents).
    pub shared_dir: Option<String>,
    /// Set when exports go to a fixed folder without a save dialog.
    pub export_dir: Option<String>,
    pub llama: String,
    pub threads_max: u32,
}

/// Runs blocking work on the async runtime's blocking pool with the app's state.
pub(crate) async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    work: impl FnOnce(&AppState) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(move || work(&app.state::<AppState>()))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("background task failed: {e}")))?
}

/// A path from the UI is used only if the user chose it in a file dialog (the dialog adds it to
/// the file-system scope), or it lies in the app's own folders.
pub(crate) fn user_chosen<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    path: &Path,
) -> AppResult<()> {
    // `..` could climb out of a folder that `starts_with` accepts.
    let plain = path.is_absolute()
        && !path
            .components()
            .any(|c| c == std::path::Component::ParentDir);
    let inside = |dir: &Path| path.starts_with(dir);
    let allowed = plain
        && (app.try_fs_scope().is_some_and(|s| s.is_allowed(path))
            || inside(&state.data_dir)
            || state.shared_dir.as_deref().is_some_and(inside)
            || state.export_dir.as_deref().is_some_and(inside));
    if allowed {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::NotChosen,
            format!(
                "{} was not chosen in a file dialog: pick the file again",
                path.display()
            ),
        ))
    }
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    let show = |p: &Path| p.display().to_string();
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        platform: std::env::consts::OS.to_string(),
        data_dir: show(&state.data_dir),
        db_path: show(&state.db),
        db_path_editable: state.db_path_editable,
        models_dir: show(&state.models_dir),
        datasets_dir: show(&state.datasets_dir),
        shared_dir: state.shared_dir.as_deref().map(show),
        export_dir: state.export_dir.as_deref().map(show),
        llama: mobench_engine::llama::llama_build_info(),
        threads_max: max_threads(),
    }
}

/// Called by the UI once its first screen is painted: milliseconds since the app started.
#[tauri::command]
pub fn ui_ready(state: State<'_, AppState>) -> f64 {
    let ms = state.started.elapsed().as_secs_f64() * 1e3;
    tracing::info!(ms, "first screen painted");
    ms
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> AppSettings {
    state.settings()
}

/// Saves the settings the window edits; the graders stay as they are (`add_grader` and
/// `remove_grader` change them), so a window holding an older list cannot undo a change.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: AppSettings) -> AppResult<AppSettings> {
    state.update_settings(|current| {
        Ok(AppSettings {
            graders: current.graders.clone(),
            ..settings
        })
    })
}

#[tauri::command]
pub async fn clear_data<R: Runtime>(app: AppHandle<R>, scope: ClearScope) -> AppResult<()> {
    blocking(app, move |state| {
        state.ensure_idle("clear data")?;
        data::clear(&state.store()?, &state.data_dir, &state.datasets_dir, scope)?;
        if scope == ClearScope::All {
            // The graders go with the settings, and their keys with them.
            for g in state.settings().graders {
                if let Err(e) = state.keychain.delete(&g.id) {
                    tracing::warn!(error = %e.message, "a grader's key stays in the keychain");
                }
            }
            state.set_settings(AppSettings::default())?;
        }
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn list_models<R: Runtime>(app: AppHandle<R>) -> AppResult<Vec<ModelEntry>> {
    blocking(app, |state| {
        library::list(
            &state.store()?,
            &state.data_dir,
            state.shared_dir.as_deref(),
        )
    })
    .await
}

#[tauri::command]
pub async fn import_model<R: Runtime>(
    app: AppHandle<R>,
    path: PathBuf,
    mode: ImportMode,
    on_progress: Channel<ImportProgress>,
) -> AppResult<ModelEntry> {
    let handle = app.clone();
    blocking(app, move |state| {
        user_chosen(&handle, state, &path)?;
        let shared = state.shared_dir.as_deref();
        library::import(
            &state.store()?,
            &state.models_dir,
            shared,
            &path,
            mode,
            &mut |p| {
                let _ = on_progress.send(p);
            },
        )
    })
    .await
}

#[tauri::command]
pub async fn delete_model<R: Runtime>(app: AppHandle<R>, path: String) -> AppResult<()> {
    blocking(app, move |state| {
        state.ensure_idle("delete a model")?;
        library::delete(
            &state.store()?,
            &state.data_dir,
            state.shared_dir.as_deref(),
            &path,
        )
    })
    .await
}

/// Pairs an imported model with a vision projector the user picked in a file dialog (checked
/// against the model first).
#[tauri::command]
pub async fn pair_projector<R: Runtime>(
    app: AppHandle<R>,
    model: String,
    projector: PathBuf,
) -> AppResult<ModelEntry> {
    let handle = app.clone();
    blocking(app, move |state| {
        user_chosen(&handle, state, &projector)?;
        library::pair_projector(&state.store()?, &state.data_dir, &model, &projector)
    })
    .await
}

/// Pairs an imported model with the projector its entry offers (the one beside it).
#[tauri::command]
pub async fn pair_projector_beside<R: Runtime>(
    app: AppHandle<R>,
    model: String,
) -> AppResult<ModelEntry> {
    blocking(app, move |state| {
        library::pair_beside(&state.store()?, &state.data_dir, &model)
    })
    .await
}

#[tauri::command]
pub async fn unpair_projector<R: Runtime>(
    app: AppHandle<R>,
    model: String,
) -> AppResult<ModelEntry> {
    blocking(app, move |state| {
        library::unpair_projector(&state.store()?, &state.data_dir, &model)
    })
    .await
}

/// The memory check the engine makes before each load, made early so the New run screen can
/// warn before anything starts (the engine checks again: memory changes). `images`: the run
/// shows images, so each model's projector counts too.
#[tauri::command]
pub async fn memory_fit<R: Runtime>(
    app: AppHandle<R>,
    models: Vec<String>,
    n_ctx: u32,
    images: Option<bool>,
) -> AppResult<Vec<ModelFit>> {
    blocking(app, move |state| {
        let images = images.unwrap_or(false);
        library::memory_fits(&state.store()?, &state.data_dir, &models, n_ctx, images)
    })
    .await
}

#[tauri::command]
pub fn list_datasets(state: State<'_, AppState>) -> Vec<DatasetEntry> {
    datasets::list(&state.datasets_dir)
}

#[tauri::command]
pub async fn fetch_datasets<R: Runtime>(
    app: AppHandle<R>,
    names: Vec<String>,
    on_progress: Channel<DownloadProgress>,
) -> AppResult<Vec<FetchReport>> {
    blocking(app, move |state| {
        let mirror = state.settings().dataset_mirror;
        Ok(datasets::fetch_all(
            &state.datasets_dir,
            &names,
            mirror.as_deref(),
            &mut |p| {
                let _ = on_progress.send(p);
            },
        ))
    })
    .await
}

fn forward(channel: Channel<LiveEvent>) -> impl Fn(LiveEvent) + Send + Sync + 'static {
    // A closed window drops the messages; the run goes on and is stored all the same.
    move |event| {
        let _ = channel.send(event);
    }
}

#[tauri::command]
pub async fn start_run<R: Runtime>(
    app: AppHandle<R>,
    request: NewRunRequest,
    on_event: Channel<LiveEvent>,
) -> AppResult<QueueTicket> {
    blocking(app, move |state| {
        let _starting = state.starting();
        state.grading.ensure_idle("start a run")?;
        state.study.ensure_idle("start a run")?;
        state.runner.start(
            state.db.clone(),
            request.jobs(&state.store()?, &state.data_dir, &state.datasets_dir)?,
            state.settings().cooldown_s,
            forward(on_event),
        )
    })
    .await
}

#[tauri::command]
pub async fn resume_run<R: Runtime>(
    app: AppHandle<R>,
    run_id: i64,
    on_event: Channel<LiveEvent>,
) -> AppResult<QueueTicket> {
    blocking(app, move |state| {
        let _starting = state.starting();
        state.grading.ensure_idle("resume a run")?;
        let job = runs::resume_job(&state.store()?, run_id)?;
        state
            .runner
            .start(state.db.clone(), vec![job], 0, forward(on_event))
    })
    .await
}

#[tauri::command]
pub fn cancel_run(state: State<'_, AppState>) {
    state.runner.cancel();
}

/// Attaches a (reloaded) window to the run in progress: it first receives the events that bring
/// it up to date, then the run's own. `None` when nothing runs.
#[tauri::command]
pub fn attach_run(state: State<'_, AppState>, on_event: Channel<LiveEvent>) -> Option<ActiveRun> {
    state.runner.attach(forward(on_event))
}

#[tauri::command]
pub fn active_run(state: State<'_, AppState>) -> Option<ActiveRun> {
    state.runner.active()
}

#[tauri::command]
pub async fn list_runs<R: Runtime>(app: AppHandle<R>) -> AppResult<Vec<RunSummary>> {
    blocking(app, |state| Ok(views::summaries(&state.store()?)?)).await
}

#[tauri::command]
pub async fn get_run<R: Runtime>(app: AppHandle<R>, run_id: i64) -> AppResult<RunDetail> {
    blocking(app, move |state| views::detail(&state.store()?, run_id)).await
}

#[tauri::command]
pub async fn get_samples<R: Runtime>(app: AppHandle<R>, run_id: i64) -> AppResult<Vec<SampleRow>> {
    blocking(app, move |state| views::samples(&state.store()?, run_id)).await
}

/// A sample's image as a `data:` URL (the web view reads no files): only an image in the app's
/// datasets folder, or one that a sample of run `run_id` showed its model.
#[tauri::command]
pub async fn image_data_url<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    run_id: Option<i64>,
) -> AppResult<String> {
    blocking(app, move |state| {
        views::image_data_url(&state.store()?, &state.datasets_dir, run_id, &path)
    })
    .await
}

#[tauri::command]
pub async fn get_readings<R: Runtime>(app: AppHandle<R>, run_id: i64) -> AppResult<Vec<Reading>> {
    blocking(app, move |state| views::readings(&state.store()?, run_id)).await
}

#[tauri::command]
pub async fn delete_run<R: Runtime>(app: AppHandle<R>, run_id: i64) -> AppResult<()> {
    blocking(app, move |state| {
        state.runner.ensure_not_running(run_id)?;
        if state.grading.is_grading(run_id) {
            state.grading.ensure_idle("delete it")?;
        }
        Ok(state.store()?.delete_run(run_id)?)
    })
    .await
}

#[tauri::command]
pub async fn compare_runs<R: Runtime>(
    app: AppHandle<R>,
    run_ids: Vec<i64>,
    baseline: i64,
) -> AppResult<Comparison> {
    blocking(app, move |state| {
        Ok(views::compare(&state.store()?, &run_ids, baseline)?)
    })
    .await
}

#[tauri::command]
pub async fn sample_diff<R: Runtime>(
    app: AppHandle<R>,
    run_ids: Vec<i64>,
    dataset: String,
) -> AppResult<SampleDiff> {
    blocking(app, move |state| {
        Ok(views::sample_diff(&state.store()?, &run_ids, &dataset)?)
    })
    .await
}

#[tauri::command]
pub async fn export_csv<R: Runtime>(
    app: AppHandle<R>,
    kind: ExportKind,
    run_ids: Vec<i64>,
    baseline: Option<i64>,
    path: PathBuf,
) -> AppResult<ExportReport> {
    let handle = app.clone();
    blocking(app, move |state| {
        user_chosen(&handle, state, &path)?;
        views::export_csv(&state.store()?, kind, &run_ids, baseline, &path)
    })
    .await
}
