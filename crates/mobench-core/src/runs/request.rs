//! What the New run screen asks for, resolved into the engine's requests before anything starts.

use std::path::{Path, PathBuf};

use mobench_engine::RunRequest;
use mobench_store::Store;
use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

use super::Job;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::library;
use crate::settings::{inference, validate_run_choices, RunDefaults};

/// What the New run screen asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct NewRunRequest {
    /// Model files, run one after another in this order.
    pub models: Vec<String>,
    pub suite: String,
    /// Empty: every dataset of the suite.
    pub datasets: Vec<String>,
    pub examples: Option<u32>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub sample_seed: Option<u64>,
    pub preset: mobench_engine::Preset,
    pub threads: u32,
    pub n_ctx: u32,
    pub gpu_layers: u32,
    pub max_tokens: Option<u32>,
    pub template: Option<String>,
    /// Load even a model that will not fit under iOS's memory limit (the user was warned).
    #[serde(default)]
    pub ignore_memory_limit: bool,
}

impl NewRunRequest {
    /// The queue's jobs: one run per model, everything checked before any starts.
    pub fn jobs(&self, store: &Store, data_dir: &Path, datasets_dir: &Path) -> AppResult<Vec<Job>> {
        Ok(self
            .resolve(store, data_dir, datasets_dir)?
            .into_iter()
            .map(|r| Job::Start(Box::new(r)))
            .collect())
    }

    /// One engine request per model, everything checked before any run starts. A run of image
    /// datasets takes each model's vision projector from the library (`data_dir`'s); a model
    /// without one is refused, by name, with the sets that need it.
    pub fn resolve(
        &self,
        store: &Store,
        data_dir: &Path,
        datasets_dir: &Path,
    ) -> AppResult<Vec<RunRequest>> {
        if self.models.is_empty() {
            return Err(AppError::new(
                ErrorCode::Settings,
                "choose at least one model to run",
            ));
        }
        let choices = RunDefaults {
            preset: self.preset,
            examples: self.examples,
            threads: self.threads,
            n_ctx: self.n_ctx,
            gpu_layers: self.gpu_layers,
            max_tokens: self.max_tokens,
            template: self.template.clone(),
        };
        validate_run_choices(&choices)?;
        let catalog = mobench_tasks::Catalog::builtin();
        let image_sets: Vec<&str> = catalog
            .select(&self.suite, &[], &self.datasets)?
            .into_iter()
            .filter(|d| d.is_multimodal())
            .map(|d| d.name.as_str())
            .collect();
        let mut projectors = Vec::new();
        for m in &self.models {
            let info = mobench_engine::llama::model::check(Path::new(m))?;
            let projector = if image_sets.is_empty() {
                None
            } else {
                let found = library::projector_for(store, data_dir, m)?;
                if found.is_none() {
                    let file = info.path.file_name().unwrap_or_default().to_string_lossy();
                    let name = match &info.name {
                        Some(n) => format!("{n} ({file})"),
                        None => file.into_owned(),
                    };
                    return Err(no_projector(&name, &image_sets));
                }
                found
            };
            projectors.push(projector);
        }
        Ok(self
            .models
            .iter()
            .zip(projectors)
            .map(|(m, mmproj)| RunRequest {
                model: PathBuf::from(m),
                mmproj,
                suite: self.suite.clone(),
                tasks: Vec::new(),
                datasets: self.datasets.clone(),
                datasets_dir: Some(datasets_dir.to_path_buf()),
                selection: Selection {
                    limit: self.examples.map(|e| e as usize),
                    seed: self.sample_seed.filter(|_| self.examples.is_some()),
                },
                inference: inference(&choices),
                sample_interval_ms: None,
                ignore_memory_limit: self.ignore_memory_limit,
            })
            .collect())
    }
}

/// A model asked to run image datasets without a vision projector.
fn no_projector(model: &str, sets: &[&str]) -> AppError {
    let (them, need) = if sets.len() == 1 {
        ("it", "needs")
    } else {
        ("them", "need")
    };
    AppError::new(
        ErrorCode::Settings,
        format!(
            "model {model} has no vision projector, which {} {need}: pair one with it in \
             Models, or leave {them} out",
            sets.join(", ")
        ),
    )
}

/// The job that finishes run `run_id`, when it can be resumed (an interrupted, paused or failed
/// suite run).
pub fn resume_job(store: &Store, run_id: i64) -> AppResult<Job> {
    let run = crate::views::run_summary(store, run_id)?;
    if !run.resumable {
        return Err(AppError::new(
            ErrorCode::Resume,
            format!(
                "run {run_id} is {}: only an interrupted or failed suite run can be resumed",
                run.status.as_str()
            ),
        ));
    }
    Ok(Job::Resume {
        run_id,
        model: run.model.path,
    })
}
