//! What a suite run covers: its datasets, the rows of each, their recipe and their metrics.
//! Planned from a request (and recorded as a new run) or read back from a stored run to resume
//! it; either way each dataset is loaded the same way, in [`load_dataset`].

use std::path::Path;

use mobench_store::{
    NewDataset, NewRun, PlannedDataset, ProjectorRecord, RunKind, RunStatus, Store,
};
use mobench_tasks::{load, Catalog, DatasetDef, Example, TaskDef};

use crate::error::EngineError;
use crate::llama;
use crate::llama::model::{self, ModelInfo};
use crate::settings::RunRequest;
use crate::worker::{new_run, RunOutcome};

/// One dataset of a run: its recipe, its rows, where they are stored and how they are graded.
pub(crate) struct PlanItem {
    pub(crate) def: DatasetDef,
    pub(crate) task: TaskDef,
    pub(crate) examples: Vec<Example>,
    pub(crate) dataset_id: i64,
    pub(crate) rows: Vec<usize>,
    pub(crate) metrics: Vec<String>,
}

/// A run recorded in the store and ready to execute.
pub(crate) struct Planned {
    pub(crate) run_id: i64,
    pub(crate) request: RunRequest,
    pub(crate) info: ModelInfo,
    pub(crate) plan: Vec<PlanItem>,
    pub(crate) resumed: bool,
}

/// A dataset's file read and its task's recipe looked up.
struct Loaded {
    def: DatasetDef,
    task: TaskDef,
    data: load::LoadedDataset,
}

impl Loaded {
    fn into_item(self, dataset_id: i64, rows: Vec<usize>, metrics: Vec<String>) -> PlanItem {
        PlanItem {
            def: self.def,
            task: self.task,
            examples: self.data.examples,
            dataset_id,
            rows,
            metrics,
        }
    }
}

fn load_dataset(
    catalog: &Catalog,
    def: DatasetDef,
    dir: Option<&Path>,
) -> Result<Loaded, EngineError> {
    let data = load::load(&def, dir)?;
    let task = catalog.task(&def.task)?.clone();
    Ok(Loaded { def, task, data })
}

/// Plans a new run and records it. Everything that can be checked is checked before the run is
/// created, so bad input leaves the database untouched.
pub(crate) fn fresh(store: &mut Store, request: RunRequest) -> Result<Planned, EngineError> {
    request
        .inference
        .validate()
        .map_err(EngineError::Settings)?;
    let catalog = Catalog::builtin();
    let defs = catalog.select(&request.suite, &request.tasks, &request.datasets)?;
    let info = model::inspect(&request.model, Some(store))?;
    let projector = projector_for(&request, &info, &defs, store)?;
    let loaded = defs
        .into_iter()
        .map(|def| load_dataset(&catalog, def.clone(), request.datasets_dir.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut plan = Vec::new();
    for l in loaded {
        let dataset_id = store.upsert_dataset(&NewDataset {
            name: l.def.name.clone(),
            task: l.def.task.clone(),
            suite: l.def.suite.clone(),
            sha256: l.data.sha256.clone(),
            rows: l.data.examples.len(),
        })?;
        let rows = request.selection.pick(l.data.examples.len());
        let metrics = catalog
            .metrics_for(&l.def)
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        plan.push(l.into_item(dataset_id, rows, metrics));
    }
    let model_id = store.upsert_model(&info.to_record())?;
    let new = NewRun {
        projector,
        ..new_run(RunKind::Suite, model_id, &request)?
    };
    let run_id = store.create_run(
        &new,
        &plan
            .iter()
            .map(|p| PlannedDataset {
                dataset_id: p.dataset_id,
                task_version: p.task.version,
                rows: p.rows.clone(),
                metrics: p.metrics.clone(),
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(Planned {
        run_id,
        request,
        info,
        plan,
        resumed: false,
    })
}

/// A run with image datasets needs the model's vision projector, checked against the model here
/// (before anything is stored), so a bad file is a clear error rather than an abort inside mtmd.
fn projector_for(
    request: &RunRequest,
    info: &ModelInfo,
    defs: &[&DatasetDef],
    store: &Store,
) -> Result<Option<ProjectorRecord>, EngineError> {
    let Some(path) = &request.mmproj else {
        let with_images: Vec<&str> = defs
            .iter()
            .filter(|d| d.is_multimodal())
            .map(|d| d.name.as_str())
            .collect();
        if with_images.is_empty() {
            return Ok(None);
        }
        return Err(EngineError::Settings(format!(
            "{} show the model images, and no vision projector was given for {}: pass the \
             model's mmproj GGUF with --mmproj",
            with_images.join(", "),
            info.path.display()
        )));
    };
    llama::projector_record(path, info, Some(store)).map(Some)
}

/// A stored run, read back to be finished.
pub(crate) enum Stored {
    /// Samples are left: the run is claimed for this process.
    ToFinish(Box<Planned>),
    /// Nothing is left to do.
    Complete(RunOutcome),
}

/// Reads back the plan of a stored run to finish it, refusing when its model, a dataset or a
/// recipe changed since it started, and claims the run for this process.
pub(crate) fn stored(store: &mut Store, run_id: i64) -> Result<Stored, EngineError> {
    let run = store.run(run_id)?;
    let resume_err = |reason: String| EngineError::Resume { run_id, reason };
    if run.status == RunStatus::Completed {
        return Ok(Stored::Complete(RunOutcome {
            run_id,
            status: run.status,
            reason: None,
            samples_done: run.samples_done,
            samples_total: run.samples_total,
        }));
    }
    if run.status == RunStatus::Running {
        return Err(resume_err("it is still running in another process".into()));
    }
    if run.kind != RunKind::Suite {
        return Err(resume_err(format!(
            "runs of kind `{}` cannot be resumed",
            run.kind
        )));
    }
    let request: RunRequest = serde_json::from_str(&run.settings_json)
        .map_err(|e| resume_err(format!("its stored settings are unreadable: {e}")))?;
    let info = model::inspect(&request.model, Some(store))?;
    if info.sha256 != run.model.sha256 {
        return Err(resume_err(format!(
            "the model file {} changed since the run started (sha256 differs)",
            request.model.display()
        )));
    }
    if let (Some(path), Some(was)) = (&request.mmproj, &run.projector) {
        let now = llama::projector_record(path, &info, Some(store))?;
        if now.sha256 != was.sha256 {
            return Err(resume_err(format!(
                "the projector file {} changed since the run started (sha256 differs)",
                path.display()
            )));
        }
    }
    let catalog = Catalog::builtin();
    let mut plan = Vec::new();
    for rd in store.run_datasets(run_id)? {
        let def = catalog.dataset(&rd.name)?.clone();
        let l = load_dataset(&catalog, def, request.datasets_dir.as_deref())?;
        if l.data.sha256 != rd.sha256 {
            return Err(resume_err(format!(
                "dataset file {} changed since the run started (sha256 differs)",
                l.data.path.display()
            )));
        }
        if l.task.version != rd.task_version {
            return Err(resume_err(format!(
                "task `{}` changed (recipe version {} -> {})",
                l.task.name, rd.task_version, l.task.version
            )));
        }
        plan.push(l.into_item(rd.dataset_id, rd.rows, rd.metrics));
    }
    store.claim_run(run_id)?;
    Ok(Stored::ToFinish(Box::new(Planned {
        run_id,
        request,
        info,
        plan,
        resumed: true,
    })))
}
