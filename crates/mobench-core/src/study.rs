//! Quantization studies for the app: a New study request (a model from the library, levels, a
//! suite) resolved into the engine's `StudyRequest`, one study at a time on a background thread
//! with cancel, its progress forwarded as events, and the stored studies' tables and CSV export.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use mobench_engine::quant::probe::{self, ProbeSettings};
use mobench_engine::settings::{InferenceSettings, Sampling};
use mobench_engine::study::{self, table, LevelSpec, SpeedTests, StudyRequest, StudyStep};
use mobench_engine::{CancelFlag, Control};
use mobench_store::Store;
use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::AppSettings;

pub use mobench_engine::study::table::StudyTable;

/// What the Models screen's "Study quantization…" asks for: the rest comes from Settings.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[derive(Debug, Clone, Deserialize)]
pub struct NewStudyRequest {
    /// The base model's path (from the library).
    pub base: String,
    /// llama.cpp type names to quantize to.
    pub types: Vec<String>,
    /// `starter`, or `mobileaibench` with `datasets`.
    pub suite: String,
    #[serde(default)]
    pub datasets: Vec<String>,
    /// Examples per dataset.
    pub limit: Option<u32>,
    /// Share of the base's quality to keep, percent (default 98).
    pub keep_pct: Option<f64>,
    /// Run pp512/tg128 on every level.
    pub speed: bool,
    /// The probes' window (default 512).
    pub probe_ctx: Option<u32>,
}

/// A study's progress, as the window shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StudyEvent {
    Step {
        level: String,
        /// quantize, probe, suite, speed
        step: String,
        done: u32,
        total: u32,
    },
    Finished {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        study_id: i64,
        status: String,
        reason: Option<String>,
    },
    Failed {
        message: String,
    },
}

/// A stored study in a list.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[derive(Debug, Clone, Serialize)]
pub struct StudySummary {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub created_at: String,
    pub base: String,
    pub status: String,
    pub levels: Vec<String>,
}

impl NewStudyRequest {
    /// The engine's request: the run settings from Settings, held fixed for every level.
    pub fn resolve(
        &self,
        settings: &AppSettings,
        data_dir: &Path,
        datasets_dir: &Path,
    ) -> AppResult<StudyRequest> {
        if self.types.is_empty() {
            return Err(AppError::new(
                ErrorCode::Settings,
                "choose at least one quantization level",
            ));
        }
        let d = &settings.defaults;
        let inference = InferenceSettings {
            threads: d.threads,
            n_ctx: d.n_ctx,
            n_batch: InferenceSettings::default().n_batch,
            gpu_layers: d.gpu_layers,
            seed: 0,
            max_tokens: d.max_tokens,
            preset: d.preset,
            sampling: Sampling::Greedy,
            template: d.template.clone(),
            no_context: false,
        };
        let probe_ctx = self.probe_ctx.unwrap_or(probe::DEFAULT_CTX);
        let mut probe = ProbeSettings::new(probe_ctx, inference.threads);
        probe.gpu_layers = inference.gpu_layers;
        Ok(StudyRequest {
            base: PathBuf::from(&self.base),
            levels: self
                .types
                .iter()
                .map(|t| LevelSpec::Quantize { qtype: t.clone() })
                .collect(),
            out_dir: data_dir.join("models"),
            suite: self.suite.clone(),
            tasks: vec![],
            datasets: self.datasets.clone(),
            datasets_dir: (self.suite != "starter").then(|| datasets_dir.to_path_buf()),
            selection: Selection {
                limit: self.limit.map(|l| l as usize),
                seed: None,
            },
            inference,
            speed: self.speed.then_some(SpeedTests {
                n_prompt: 512,
                n_gen: 128,
                reps: 5,
            }),
            probe_text: Some(probe::shipped_text_path(data_dir)?),
            probe,
            keep_share: self.keep_pct.unwrap_or(98.0) / 100.0,
            sample_interval_ms: None,
        })
    }
}

/// One study at a time, on a thread of its own.
#[derive(Default)]
pub struct StudyRunner {
    active: Mutex<Option<(CancelFlag, Arc<Mutex<bool>>)>>,
}

impl StudyRunner {
    pub fn is_active(&self) -> bool {
        self.active
            .lock()
            .ok()
            .and_then(|a| {
                a.as_ref()
                    .map(|(_, running)| *running.lock().unwrap_or_else(|p| p.into_inner()))
            })
            .unwrap_or(false)
    }

    pub fn ensure_idle(&self, what: &str) -> AppResult<()> {
        if self.is_active() {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!("a quantization study is running: wait for it or cancel it to {what}"),
            ));
        }
        Ok(())
    }

    pub fn cancel(&self) -> bool {
        match self
            .active
            .lock()
            .ok()
            .and_then(|a| a.as_ref().map(|(c, _)| c.clone()))
        {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        }
    }

    /// Starts a new study (`request`) or resumes one (`resume`), validated before it returns.
    pub fn start(
        &self,
        db: PathBuf,
        work: StudyWork,
        emit: impl Fn(StudyEvent) + Send + 'static,
    ) -> AppResult<()> {
        self.ensure_idle("start another")?;
        if let StudyWork::New(req) = &work {
            std::fs::create_dir_all(&req.out_dir).map_err(|e| {
                AppError::new(
                    ErrorCode::Io,
                    format!("cannot create {}: {e}", req.out_dir.display()),
                )
            })?;
            study::validate(req)?;
        }
        let cancel = CancelFlag::default();
        let running = Arc::new(Mutex::new(true));
        *self.active.lock().map_err(|_| internal())? = Some((cancel.clone(), running.clone()));
        std::thread::Builder::new()
            .name("mobench-study".into())
            .spawn(move || {
                let mut on_step = |s: StudyStep| {
                    let (level, step, done, total) = match s {
                        StudyStep::Quantize {
                            level,
                            tensors_done,
                            tensors_total,
                        } => (level, "quantize", tensors_done, tensors_total),
                        StudyStep::Probe { level } => (level, "probe", 0, 0),
                        StudyStep::Suite { level } => (level, "suite", 0, 0),
                        StudyStep::Speed { level } => (level, "speed", 0, 0),
                    };
                    emit(StudyEvent::Step {
                        level: level.to_string(),
                        step: step.to_string(),
                        done,
                        total,
                    });
                    Control::Continue
                };
                let mut sink = |_: &mobench_engine::Event| Control::Continue;
                let outcome = match work {
                    StudyWork::New(req) => study::start(&db, *req, cancel, &mut on_step, &mut sink),
                    StudyWork::Resume(id) => {
                        study::resume(&db, id, cancel, &mut on_step, &mut sink)
                    }
                };
                emit(match outcome {
                    Ok(o) => StudyEvent::Finished {
                        study_id: o.study_id,
                        status: o.status.as_str().to_string(),
                        reason: o.reason,
                    },
                    Err(e) => StudyEvent::Failed {
                        message: AppError::from(e).message,
                    },
                });
                if let Ok(mut r) = running.lock() {
                    *r = false;
                }
            })
            .map_err(|e| {
                AppError::new(ErrorCode::Internal, format!("cannot start the study: {e}"))
            })?;
        Ok(())
    }
}

/// What a study thread does.
pub enum StudyWork {
    New(Box<StudyRequest>),
    Resume(i64),
}

fn internal() -> AppError {
    AppError::new(ErrorCode::Internal, "the study runner's lock is poisoned")
}

pub fn list(store: &Store) -> AppResult<Vec<StudySummary>> {
    let mut out = Vec::new();
    for s in store.studies()? {
        out.push(StudySummary {
            id: s.id,
            created_at: s.created_at,
            base: s.base_path,
            status: s.status.as_str().to_string(),
            levels: store
                .study_levels(s.id)?
                .into_iter()
                .map(|l| l.label)
                .collect(),
        });
    }
    Ok(out.into_iter().rev().collect())
}

pub fn get(store: &Store, id: i64) -> AppResult<StudyTable> {
    Ok(table::table(store, id)?)
}

/// Writes the study's table as CSV to `path` (written beside and renamed).
pub fn export_csv(store: &Store, id: i64, path: &Path) -> AppResult<()> {
    let t = table::table(store, id)?;
    let tmp = path.with_extension("csv.part");
    let err = |e: std::io::Error| {
        AppError::new(
            ErrorCode::Export,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let file = std::fs::File::create(&tmp).map_err(err)?;
    table::export(&t).write_csv(file).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
