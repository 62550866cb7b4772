//! What the New run screen asks for, resolved into the engine's requests before anything starts.

use std::path::{Path, PathBuf};

use mobench_engine::RunRequest;
use mobench_store::Store;
use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

use super::Job;
use crate::error::{AppError, AppResult, ErrorCode};
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
    pub fn jobs(&self, datasets_dir: &Path) -> AppResult<Vec<Job>> {
        Ok(self
            .resolve(datasets_dir)?
            .into_iter()
            .map(|r| Job::Start(Box::new(r)))
            .collect())
    }

    /// One engine request per model, everything checked before any run starts.
    pub fn resolve(&self, datasets_dir: &Path) -> AppResult<Vec<RunRequest>> {
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
        mobench_tasks::Catalog::builtin().select(&self.suite, &[], &self.datasets)?;
        for m in &self.models {
            mobench_engine::llama::model::check(Path::new(m))?;
        }
        Ok(self
            .models
            .iter()
            .map(|m| RunRequest {
                model: PathBuf::from(m),
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
