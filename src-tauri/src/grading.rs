//! The commands of grading with a judge: the judges and embedders of Settings, their API keys
//! (the window may hand a key over and ask whether one is kept, never read it back), and the
//! grading pass of a run, which goes on on its own thread while the window shows its progress.

use mobench_core::grading::{
    self, graders, GradeEvent, GradeJob, GraderSource, GradingPlan, GradingStatus, NewGrader,
};
use mobench_core::library;
use mobench_core::settings::AppSettings;
use mobench_core::{AppError, AppResult, ErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::commands::blocking;

/// Adds a judge or an embedder (a model of Models is checked to be one); the new settings.
#[tauri::command]
pub async fn add_grader<R: Runtime>(
    app: AppHandle<R>,
    grader: NewGrader,
) -> AppResult<AppSettings> {
    blocking(app, move |state| {
        let models = library::list(
            &state.store()?,
            &state.data_dir,
            state.shared_dir.as_deref(),
        )?;
        state.update_settings(|s| Ok(graders::add(s, grader, &models)?.0))
    })
    .await
}

/// Removes a grader and the key kept for it; the new settings.
#[tauri::command]
pub async fn remove_grader<R: Runtime>(
    app: AppHandle<R>,
    grader_id: String,
) -> AppResult<AppSettings> {
    blocking(app, move |state| {
        state.grading.ensure_idle("remove a grader")?;
        let settings = state.update_settings(|s| Ok(graders::remove(s, &grader_id)?.0))?;
        // A grader that needs no key has none; forgetting nothing is fine, and a keychain that
        // cannot be reached has nothing of ours to forget.
        if let Err(e) = state.keychain.delete(&grader_id) {
            tracing::warn!(error = %e.message, "the removed grader's key stays in the keychain");
        }
        Ok(settings)
    })
    .await
}

/// Keeps an endpoint's API key in the OS keychain. The key is never sent back to the window.
#[tauri::command]
pub async fn set_grader_key<R: Runtime>(
    app: AppHandle<R>,
    grader_id: String,
    key: String,
) -> AppResult<()> {
    blocking(app, move |state| {
        let settings = state.settings();
        let grader = graders::find(&settings, &grader_id)?;
        if !matches!(
            grader.source,
            GraderSource::Endpoint {
                needs_key: true,
                ..
            }
        ) {
            return Err(AppError::new(
                ErrorCode::Settings,
                format!("`{}` needs no API key", grader.name),
            ));
        }
        state.keychain.set(&grader_id, &key)
    })
    .await
}

/// Whether a key is kept for the grader.
#[tauri::command]
pub async fn grader_has_key<R: Runtime>(app: AppHandle<R>, grader_id: String) -> AppResult<bool> {
    blocking(app, move |state| state.keychain.has(&grader_id)).await
}

/// `None` when API keys can be kept, else the one line that says why not.
#[tauri::command]
pub async fn keychain_problem<R: Runtime>(app: AppHandle<R>) -> AppResult<Option<String>> {
    blocking(app, |state| Ok(state.keychain.problem())).await
}

/// Which datasets of a run a judge and an embedder would grade.
#[tauri::command]
pub async fn grading_plan<R: Runtime>(app: AppHandle<R>, run_id: i64) -> AppResult<GradingPlan> {
    blocking(app, move |state| grading::plan(&state.store()?, run_id)).await
}

/// Starts grading a run with the chosen judge and/or embedder; returns at once, the pass's
/// events arriving on `on_event`. Refused while a run goes (they would share the CPU).
#[tauri::command]
pub async fn start_grading<R: Runtime>(
    app: AppHandle<R>,
    run_id: i64,
    judge: Option<String>,
    embedder: Option<String>,
    on_event: Channel<GradeEvent>,
) -> AppResult<()> {
    blocking(app, move |state| {
        let _starting = state.starting();
        let job = GradeJob::prepare(
            &state.settings(),
            &state.keychain,
            run_id,
            judge.as_deref(),
            embedder.as_deref(),
        )?;
        state
            .grading
            .start(state.db.clone(), job, &state.runner, forward(on_event))
    })
    .await
}

#[tauri::command]
pub fn cancel_grading(state: State<'_, crate::state::AppState>) -> bool {
    state.grading.cancel()
}

/// Attaches a (reloaded) window to the grading pass in progress; `None` when none goes on.
#[tauri::command]
pub fn attach_grading(
    state: State<'_, crate::state::AppState>,
    on_event: Channel<GradeEvent>,
) -> Option<GradingStatus> {
    state.grading.attach(forward(on_event))
}

fn forward(channel: Channel<GradeEvent>) -> impl Fn(GradeEvent) + Send + Sync + 'static {
    // A closed window drops the messages; the pass goes on and its figures are stored.
    move |event| {
        let _ = channel.send(event);
    }
}
