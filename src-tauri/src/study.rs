//! The quantization study's commands: one-line wrappers over `mobench_core::study`. A study runs
//! on a thread of its own and never beside a run or a grading pass (they would share the CPU and
//! skew each other's figures).

use std::path::PathBuf;

use mobench_core::study::{self, NewStudyRequest, StudyEvent, StudySummary, StudyTable, StudyWork};
use mobench_core::AppResult;
use mobench_engine::quant::types::{self, QuantType};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::commands::{blocking, user_chosen};
use crate::state::AppState;

/// The levels the New study dialog offers: llama.cpp's usual ones first, then every other type
/// this build knows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct QuantTypes {
    pub usual: Vec<String>,
    pub all: Vec<String>,
}

#[tauri::command]
pub fn quant_types() -> QuantTypes {
    QuantTypes {
        usual: types::USUAL.iter().map(|s| s.to_string()).collect(),
        all: types::ALL
            .iter()
            .map(|t: &QuantType| t.name.to_string())
            .collect(),
    }
}

fn forward(on_event: Channel<StudyEvent>) -> impl Fn(StudyEvent) + Send + 'static {
    move |e| {
        let _ = on_event.send(e);
    }
}

#[tauri::command]
pub async fn start_study<R: Runtime>(
    app: AppHandle<R>,
    request: NewStudyRequest,
    on_event: Channel<StudyEvent>,
) -> AppResult<()> {
    blocking(app, move |state| {
        let _starting = state.starting();
        state.ensure_idle("start a study")?;
        let req = request.resolve(&state.settings(), &state.data_dir, &state.datasets_dir)?;
        state.study.start(
            state.db.clone(),
            StudyWork::New(Box::new(req)),
            forward(on_event),
        )
    })
    .await
}

#[tauri::command]
pub async fn resume_study<R: Runtime>(
    app: AppHandle<R>,
    study_id: i64,
    on_event: Channel<StudyEvent>,
) -> AppResult<()> {
    blocking(app, move |state| {
        let _starting = state.starting();
        state.ensure_idle("resume a study")?;
        state.study.start(
            state.db.clone(),
            StudyWork::Resume(study_id),
            forward(on_event),
        )
    })
    .await
}

#[tauri::command]
pub fn cancel_study(state: State<'_, AppState>) -> bool {
    state.study.cancel()
}

#[tauri::command]
pub fn study_active(state: State<'_, AppState>) -> bool {
    state.study.is_active()
}

#[tauri::command]
pub async fn list_studies<R: Runtime>(app: AppHandle<R>) -> AppResult<Vec<StudySummary>> {
    blocking(app, |state| study::list(&state.store()?)).await
}

#[tauri::command]
pub async fn get_study<R: Runtime>(app: AppHandle<R>, study_id: i64) -> AppResult<StudyTable> {
    blocking(app, move |state| study::get(&state.store()?, study_id)).await
}

/// Writes the study's table as CSV to a path the user picked in the save dialog.
#[tauri::command]
pub async fn export_study<R: Runtime>(
    app: AppHandle<R>,
    study_id: i64,
    path: PathBuf,
) -> AppResult<()> {
    let handle = app.clone();
    blocking(app, move |state| {
        user_chosen(&handle, state, &path)?;
        study::export_csv(&state.store()?, study_id, &path)
    })
    .await
}
