//! The quantization study: one base model and N levels (quantized here, or imported files of the
//! same model), each put through the same probes (perplexity, KL divergence from the base), suite
//! and speed tests, with everything else held fixed and recorded. One resumable queue: every step's
//! result is committed as it ends (the suite and speed runs are ordinary runs, recorded on the
//! level the moment they start), so a killed study resumes at the step in flight.

pub mod table;

use std::path::{Path, PathBuf};

use mobench_store::studies::{LevelSource, StudyStatus};
use mobench_store::{LevelFile, LevelProbe, LevelRun, NewLevel, RunStatus, Store};
use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::events::{Control, Event, Sink};
use crate::llama::model;
use crate::quant::probe::{self, BaseDistributions, ProbeSettings};
use crate::quant::{self, types};
use crate::settings::{InferenceSettings, RunRequest};
use crate::speed::SpeedRequest;
use crate::worker::CancelFlag;

/// A level to study besides the base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LevelSpec {
    /// Quantized from the base on this device, to llama.cpp's type of this name.
    Quantize { qtype: String },
    /// A file made elsewhere (of the same model; the KL divergence probe checks).
    Import { path: PathBuf },
}

/// The speed tests of each level (llama-bench's pp/tg; default pp512 and tg128).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedTests {
    pub n_prompt: u32,
    pub n_gen: u32,
    pub reps: u32,
}

/// Everything a study holds fixed, stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRequest {
    pub base: PathBuf,
    pub levels: Vec<LevelSpec>,
    /// Where levels quantized here are written.
    pub out_dir: PathBuf,
    pub suite: String,
    pub tasks: Vec<String>,
    pub datasets: Vec<String>,
    pub datasets_dir: Option<PathBuf>,
    pub selection: Selection,
    pub inference: InferenceSettings,
    /// `None`: no speed tests.
    pub speed: Option<SpeedTests>,
    /// The probes' text and window; `None`: no probes.
    pub probe_text: Option<PathBuf>,
    pub probe: ProbeSettings,
    /// The share of the base's quality (0..1) a recommended level keeps.
    pub keep_share: f64,
    pub sample_interval_ms: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudyOutcome {
    pub study_id: i64,
    pub status: StudyStatus,
    pub reason: Option<String>,
}

/// What a study is doing, for a front end to show.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StudyStep<'a> {
    Quantize {
        level: &'a str,
        tensors_done: u32,
        tensors_total: u32,
    },
    Probe {
        level: &'a str,
    },
    Suite {
        level: &'a str,
    },
    Speed {
        level: &'a str,
    },
}

/// Checks a study request before anything is written: the base and every level can be made or
/// read, and the types are ones llama.cpp knows.
pub fn validate(req: &StudyRequest) -> Result<(), EngineError> {
    model::check(&req.base)?;
    req.inference.validate().map_err(EngineError::Settings)?;
    if !(0.0..=1.0).contains(&req.keep_share) || req.keep_share == 0.0 {
        return Err(EngineError::Settings(format!(
            "the share of quality to keep must be in (0, 1], got {}",
            req.keep_share
        )));
    }
    if req.levels.is_empty() {
        return Err(EngineError::Settings(
            "a study needs at least one level besides the base".into(),
        ));
    }
    for l in &req.levels {
        match l {
            LevelSpec::Quantize { qtype } => {
                let t = types::parse(qtype).ok_or_else(|| {
                    EngineError::Settings(format!(
                        "'{qtype}' is not a quantization type this llama.cpp build knows (it \
                         knows {})",
                        types::all_names()
                    ))
                })?;
                // Source type, imatrix need and disk space, before anything is written.
                quant::plan(&req.base, t.name, &level_path(req, t.name))?;
            }
            LevelSpec::Import { path } => {
                model::check(path)?;
            }
        }
    }
    if let Some(text) = &req.probe_text {
        probe::read_text(text)?;
    }
    mobench_tasks::Catalog::builtin().select(&req.suite, &req.tasks, &req.datasets)?;
    Ok(())
}

fn level_path(req: &StudyRequest, qtype: &str) -> PathBuf {
    let stem = req
        .base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    req.out_dir.join(format!("{stem}.{qtype}.gguf"))
}

fn base_dists_path(out_dir: &Path, study_id: i64) -> PathBuf {
    out_dir.join(format!("study-{study_id}-base-distributions.json"))
}

/// Creates a study and runs it.
pub fn start(
    db: &Path,
    req: StudyRequest,
    cancel: CancelFlag,
    on_step: &mut dyn FnMut(StudyStep) -> Control,
    sink: &mut dyn Sink,
) -> Result<StudyOutcome, EngineError> {
    // The levels' folder first: the checks include the free space there.
    std::fs::create_dir_all(&req.out_dir).map_err(|e| {
        EngineError::Settings(format!("cannot create {}: {e}", req.out_dir.display()))
    })?;
    validate(&req)?;
    let mut store = crate::open_store(db)?;
    let settings = serde_json::to_string(&req).map_err(|e| EngineError::Settings(e.to_string()))?;
    let base = req.base.display().to_string();
    let mut levels = vec![(
        "base".to_string(),
        LevelSource::Base,
        None::<String>,
        base.clone(),
    )];
    for l in &req.levels {
        match l {
            LevelSpec::Quantize { qtype } => {
                let t = types::parse(qtype).expect("validated");
                levels.push((
                    t.name.to_string(),
                    LevelSource::Quantized,
                    Some(t.name.to_string()),
                    level_path(&req, t.name).display().to_string(),
                ));
            }
            LevelSpec::Import { path } => {
                let label = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                levels.push((
                    label,
                    LevelSource::Imported,
                    None,
                    path.display().to_string(),
                ));
            }
        }
    }
    let new: Vec<NewLevel> = levels
        .iter()
        .map(|(label, source, qtype, path)| NewLevel {
            label,
            source: *source,
            qtype: qtype.as_deref(),
            path,
        })
        .collect();
    let id = store.create_study(&base, &settings, &new)?;
    store.set_study_pid(id, std::process::id())?;
    drop(store);
    execute(db, id, &req, cancel, on_step, sink)
}

/// Resumes a study that was interrupted or killed: finished steps are kept, the one in flight is
/// redone (a suite run resumed where it stopped).
pub fn resume(
    db: &Path,
    id: i64,
    cancel: CancelFlag,
    on_step: &mut dyn FnMut(StudyStep) -> Control,
    sink: &mut dyn Sink,
) -> Result<StudyOutcome, EngineError> {
    let store = crate::open_store(db)?;
    let row = store.study(id)?;
    let resume_err =
        |reason: String| EngineError::Settings(format!("study {id} cannot be resumed: {reason}"));
    if row.status == StudyStatus::Completed {
        return Ok(StudyOutcome {
            study_id: id,
            status: row.status,
            reason: None,
        });
    }
    if row.status == StudyStatus::Running {
        if let Some(pid) = store.study_pid(id)? {
            if crate::store::process_alive(pid) && pid != std::process::id() {
                return Err(resume_err("it is still running in another process".into()));
            }
        }
    }
    let req: StudyRequest = serde_json::from_str(&row.settings)
        .map_err(|e| resume_err(format!("its stored settings are unreadable: {e}")))?;
    store.set_study_status(id, StudyStatus::Running, None)?;
    store.set_study_pid(id, std::process::id())?;
    drop(store);
    execute(db, id, &req, cancel, on_step, sink)
}

fn execute(
    db: &Path,
    id: i64,
    req: &StudyRequest,
    cancel: CancelFlag,
    on_step: &mut dyn FnMut(StudyStep) -> Control,
    sink: &mut dyn Sink,
) -> Result<StudyOutcome, EngineError> {
    let result = steps(db, id, req, &cancel, on_step, sink);
    let store = crate::open_store(db)?;
    let (status, reason) = match &result {
        Ok(true) => (StudyStatus::Completed, None),
        Ok(false) | Err(EngineError::Cancelled) => (
            StudyStatus::Interrupted,
            Some("stopped by the user".to_string()),
        ),
        Err(e) => (StudyStatus::Failed, Some(e.to_string())),
    };
    store.set_study_status(id, status, reason.as_deref())?;
    match result {
        Err(e) if status == StudyStatus::Failed => Err(e),
        _ => Ok(StudyOutcome {
            study_id: id,
            status,
            reason,
        }),
    }
}

/// Runs every step not yet done; `Ok(false)` when stopped.
fn steps(
    db: &Path,
    id: i64,
    req: &StudyRequest,
    cancel: &CancelFlag,
    on_step: &mut dyn FnMut(StudyStep) -> Control,
    sink: &mut dyn Sink,
) -> Result<bool, EngineError> {
    let mut base_dists: Option<BaseDistributions> = None;
    let text = req
        .probe_text
        .as_deref()
        .map(probe::read_text)
        .transpose()?;
    let n_levels = crate::open_store(db)?.study_levels(id)?.len();
    for position in 0..n_levels as i64 {
        let level = crate::open_store(db)?
            .study_levels(id)?
            .into_iter()
            .find(|l| l.position == position)
            .ok_or_else(|| EngineError::Settings(format!("study {id} lost level {position}")))?;
        let label = level.label.clone();
        let path = PathBuf::from(&level.path);

        // 1. The level's file.
        if level.sha256.is_none() {
            if cancel.is_cancelled() {
                return Ok(false);
            }
            let (size, sha, secs) = match (&level.source, &level.qtype) {
                (LevelSource::Quantized, Some(qtype)) => {
                    let plan = quant::plan(&req.base, qtype, &path)?;
                    let done = quant::quantize(&plan, req.inference.threads, &mut |p| {
                        let c = on_step(StudyStep::Quantize {
                            level: &label,
                            tensors_done: p.tensors_done,
                            tensors_total: p.tensors_total,
                        });
                        if c == Control::Stop || cancel.is_cancelled() {
                            Control::Stop
                        } else {
                            Control::Continue
                        }
                    });
                    match done {
                        Err(EngineError::Cancelled) => return Ok(false),
                        other => {
                            let q = other?;
                            (q.size_bytes, q.sha256, Some(q.seconds))
                        }
                    }
                }
                _ => {
                    let store = crate::open_store(db)?;
                    let info = model::inspect(&path, Some(&store))?;
                    (info.size_bytes, info.sha256, None)
                }
            };
            crate::open_store(db)?.set_level_file(
                id,
                position,
                &LevelFile {
                    path: &level.path,
                    size_bytes: size,
                    sha256: &sha,
                    quantize_s: secs,
                },
            )?;
        }

        // 2. The probes.
        if let Some(text) = &text {
            let dists_path = base_dists_path(&req.out_dir, id);
            let need_ppl = level.perplexity.is_none();
            let need_kld = position > 0 && level.divergence.is_none();
            if (need_ppl || need_kld)
                && (cancel.is_cancelled()
                    || on_step(StudyStep::Probe { level: &label }) == Control::Stop)
            {
                return Ok(false);
            }
            if position == 0 && (need_ppl || !dists_path.exists()) {
                let d = probe::base_distributions(&path, text, &req.probe)?;
                write_json_atomically(&dists_path, &d)?;
                crate::open_store(db)?.set_level_probe(
                    id,
                    0,
                    LevelProbe::Perplexity,
                    &to_json(&d.perplexity)?,
                )?;
                base_dists = Some(d);
            } else if need_kld || need_ppl {
                if base_dists.is_none() {
                    base_dists = Some(match read_json(&dists_path) {
                        Some(d) => d,
                        None => {
                            let d = probe::base_distributions(&req.base, text, &req.probe)?;
                            write_json_atomically(&dists_path, &d)?;
                            d
                        }
                    });
                }
                let base = base_dists.as_ref().expect("set above");
                let d = probe::kl_divergence(base, &path, text)?;
                let store = crate::open_store(db)?;
                store.set_level_probe(
                    id,
                    position,
                    LevelProbe::Perplexity,
                    &to_json(&d.perplexity)?,
                )?;
                store.set_level_probe(id, position, LevelProbe::Divergence, &to_json(&d)?)?;
            }
        }

        // 3. The suite.
        let suite_done = match level.suite_run_id {
            Some(run) => crate::open_store(db)?
                .run(run)
                .map(|r| r.status == RunStatus::Completed)
                .unwrap_or(false),
            None => false,
        };
        if !suite_done {
            if cancel.is_cancelled() || on_step(StudyStep::Suite { level: &label }) == Control::Stop
            {
                return Ok(false);
            }
            let store = crate::open_store(db)?;
            let resumable = level
                .suite_run_id
                .and_then(|r| store.run(r).ok())
                .is_some_and(|r| r.status != RunStatus::Completed);
            drop(store);
            let mut record = Recorder::new(db, id, position, LevelRun::Suite, sink);
            let outcome = if resumable {
                crate::suite::resume(
                    db,
                    level.suite_run_id.expect("checked"),
                    cancel.clone(),
                    &mut record,
                )?
            } else {
                let request = RunRequest {
                    model: path.clone(),
                    mmproj: None,
                    suite: req.suite.clone(),
                    tasks: req.tasks.clone(),
                    datasets: req.datasets.clone(),
                    datasets_dir: req.datasets_dir.clone(),
                    selection: req.selection,
                    inference: req.inference.clone(),
                    sample_interval_ms: req.sample_interval_ms,
                    ignore_memory_limit: false,
                };
                crate::suite::run_suite(db, request, cancel.clone(), &mut record)?
            };
            record.finish(outcome.run_id)?;
            if outcome.status != RunStatus::Completed {
                return Ok(false);
            }
        }

        // 4. The speed tests.
        if let Some(speed) = &req.speed {
            let speed_done = match level.speed_run_id {
                Some(run) => crate::open_store(db)?
                    .run(run)
                    .map(|r| r.status == RunStatus::Completed)
                    .unwrap_or(false),
                None => false,
            };
            if !speed_done {
                if cancel.is_cancelled()
                    || on_step(StudyStep::Speed { level: &label }) == Control::Stop
                {
                    return Ok(false);
                }
                let mut request = SpeedRequest::new(path.clone());
                request.n_prompt = vec![speed.n_prompt];
                request.n_gen = vec![speed.n_gen];
                request.reps = speed.reps;
                request.threads = vec![req.inference.threads];
                request.gpu_layers = vec![req.inference.gpu_layers as i32];
                request.sample_interval_ms = req.sample_interval_ms;
                let mut record = Recorder::new(db, id, position, LevelRun::Speed, sink);
                let outcome = crate::speed::run_speed(db, request, cancel.clone(), &mut record)?;
                record.finish(outcome.run_id)?;
                if outcome.status != RunStatus::Completed {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// Passes a run's events on and records the run on its level as soon as it starts, so a kill
/// mid-run leaves the study knowing which run to resume.
struct Recorder<'a> {
    db: &'a Path,
    study: i64,
    position: i64,
    column: LevelRun,
    inner: &'a mut dyn Sink,
    error: Option<EngineError>,
}

impl<'a> Recorder<'a> {
    fn new(
        db: &'a Path,
        study: i64,
        position: i64,
        column: LevelRun,
        inner: &'a mut dyn Sink,
    ) -> Self {
        Recorder {
            db,
            study,
            position,
            column,
            inner,
            error: None,
        }
    }

    fn record(&self, run_id: i64) -> Result<(), EngineError> {
        Store::open(self.db)?.set_level_run(self.study, self.position, self.column, run_id)?;
        Ok(())
    }

    fn finish(mut self, run_id: i64) -> Result<(), EngineError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.record(run_id)
    }
}

impl Sink for Recorder<'_> {
    fn on_event(&mut self, event: &Event) -> Control {
        let started = match event {
            Event::RunStarted { run_id, .. } | Event::SpeedStarted { run_id, .. } => Some(*run_id),
            _ => None,
        };
        if let Some(run_id) = started {
            if let Err(e) = self.record(run_id) {
                self.error = Some(e);
                return Control::Stop;
            }
        }
        self.inner.on_event(event)
    }

    fn wants_tokens(&self) -> bool {
        self.inner.wants_tokens()
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<String, EngineError> {
    serde_json::to_string(v).map_err(|e| EngineError::Settings(e.to_string()))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Written beside, then renamed: a kill never leaves half a file under the name.
fn write_json_atomically<T: Serialize>(path: &Path, v: &T) -> Result<(), EngineError> {
    let tmp = quant::quantize::temp_path(path);
    let io =
        |e: std::io::Error| EngineError::Settings(format!("cannot write {}: {e}", path.display()));
    std::fs::write(
        &tmp,
        serde_json::to_vec(v).map_err(|e| EngineError::Settings(e.to_string()))?,
    )
    .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
