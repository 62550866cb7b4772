//! Grading stored runs as the paper did: a judge (a local GGUF chat model, or an OpenAI-compatible
//! endpoint) and an embedder over the samples of the datasets MobileAIBench graded that way
//! (`DatasetDef::judge`), with its protocols (`mobench_judge::protocol`). Nothing is generated
//! again. Every judgment and embedding is stored as it arrives, keyed by its grader and the hash
//! of its exact input, so a killed grading pass resumes where it stopped and grading again asks
//! nothing twice. Each figure is named after its grader (`judge_em@<label>`), so figures of two
//! graders, or of a grader and the offline rules, are never mixed.

mod chats;
mod embeddings;
mod graders;
mod local;
mod remote;

use std::path::{Path, PathBuf};

use mobench_judge::protocol::Protocol;
use mobench_judge::GradeError;
use mobench_metrics::figure::GRADED_BY;
use mobench_store::{RunKind, SampleRow, Store};
use mobench_tasks::{load, Catalog, DatasetDef, Example};

use chats::grade_chats;
use embeddings::grade_embeddings;
use graders::{with_embedder, with_judge};
pub use graders::{ReadyEmbedder, ReadyJudge};
pub use local::{declared_pooling, LocalEmbedder, LocalJudge, JUDGE_MAX_TOKENS};

use crate::error::EngineError;
use crate::settings::RunRequest;
use crate::worker::CancelFlag;

/// Which judge or embedder: `local:PATH` (a GGUF through our llama.cpp) or `openai:MODEL` (an
/// OpenAI-compatible endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraderSpec {
    Local(PathBuf),
    OpenAi(String),
}

impl GraderSpec {
    pub fn parse(spec: &str) -> Result<GraderSpec, EngineError> {
        match spec.split_once(':') {
            Some(("local", path)) if !path.is_empty() => Ok(GraderSpec::Local(path.into())),
            Some(("openai", model)) if !model.is_empty() => Ok(GraderSpec::OpenAi(model.into())),
            _ => Err(EngineError::Settings(format!(
                "unknown grader `{spec}`: give local:PATH (a GGUF model) or openai:MODEL (an \
                 OpenAI-compatible endpoint, --base-url and OPENAI_API_KEY)"
            ))),
        }
    }
}

/// What to grade with, and where endpoints are.
#[derive(Debug, Clone, Default)]
pub struct GradeOptions {
    pub judge: Option<GraderSpec>,
    pub embedder: Option<GraderSpec>,
    /// Only these datasets or tasks; empty: every graded dataset of each run.
    pub only: Vec<String>,
    /// The OpenAI-compatible endpoint (default `https://api.openai.com/v1`).
    pub base_url: Option<String>,
    /// Never stored, logged or shown.
    pub api_key: Option<String>,
    /// Requests in flight at once at an endpoint.
    pub concurrency: usize,
    /// CPU threads for a local grader.
    pub threads: u32,
}

/// One dataset's figure from a grading pass.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GradedFigure {
    pub dataset: String,
    /// `judge_em@<label>`, `consistency@<label>`, …
    pub figure: String,
    pub value: Option<f64>,
}

/// How grading went for one run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GradeResult {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    /// Samples given a figure.
    pub graded: usize,
    /// Requests sent to a grader now (the others came from the cache of earlier passes).
    pub asked: usize,
    pub cached: usize,
    /// Judgments that said neither yes/no nor correct/incorrect (counted as 0.5, as the paper
    /// did), or MT-Bench ratings that could not be read (left out, as FastChat does).
    pub unparsed: usize,
    /// Datasets some of whose samples could not be graded, with why (the first one each).
    pub missing: Vec<String>,
    pub figures: Vec<GradedFigure>,
}

impl GradeResult {
    /// Adds a later pass over the same run (another grader's).
    pub fn merge(&mut self, other: GradeResult) {
        self.graded += other.graded;
        self.asked += other.asked;
        self.cached += other.cached;
        self.unparsed += other.unparsed;
        self.missing.extend(other.missing);
        for f in other.figures {
            if !self
                .figures
                .iter()
                .any(|g| g.dataset == f.dataset && g.figure == f.figure)
            {
                self.figures.push(f);
            }
        }
    }
}

/// Progress: `(done, total)` requests of the current grader.
pub type OnProgress<'a> = dyn FnMut(usize, usize) + 'a;

/// Grades stored runs. Everything is checked before any request is made: the runs exist and
/// are suite runs, each has something to grade with what was given, the graders load or answer.
pub fn grade_runs(
    db: &Path,
    run_ids: &[i64],
    options: &GradeOptions,
    cancel: &CancelFlag,
    progress: &mut OnProgress,
) -> Result<Vec<GradeResult>, EngineError> {
    if options.judge.is_none() && options.embedder.is_none() {
        return Err(EngineError::Settings(
            "give a judge (--judge) or an embedder (--embedder)".into(),
        ));
    }
    let mut store = crate::open_store(db)?;
    let catalog = Catalog::builtin();
    let mut runs = Vec::new();
    for &run_id in run_ids {
        runs.push(RunToGrade::read(&store, &catalog, run_id, options)?);
    }
    let mut reports: Vec<GradeResult> = runs
        .iter()
        .map(|r| GradeResult {
            run_id: r.run_id,
            ..Default::default()
        })
        .collect();
    // One grader at a time, so on a phone only one model is in memory.
    if let Some(spec) = &options.judge {
        with_judge(spec, options, cancel, &mut |judge| {
            for (run, report) in runs.iter().zip(reports.iter_mut()) {
                grade_chats(&mut store, run, judge, options, cancel, report, progress)?;
            }
            Ok(())
        })?;
    }
    if let Some(spec) = &options.embedder {
        with_embedder(spec, options, cancel, &mut |embedder| {
            for (run, report) in runs.iter().zip(reports.iter_mut()) {
                grade_embeddings(&mut store, run, embedder, cancel, report, progress)?;
            }
            Ok(())
        })?;
    }
    for (run, report) in runs.iter().zip(reports.iter_mut()) {
        store.compute_aggregates(run.run_id)?;
        let graded: Vec<&str> = run.datasets.iter().map(|d| d.def.name.as_str()).collect();
        for a in store.aggregates(run.run_id)? {
            if a.stat == "mean" && a.figure.contains(GRADED_BY) && graded.contains(&&*a.dataset) {
                report.figures.push(GradedFigure {
                    dataset: a.dataset,
                    figure: a.figure,
                    value: a.value,
                });
            }
        }
    }
    Ok(reports)
}

/// A stored run's datasets that a judge or an embedder grades, with their rows reloaded (the
/// judge sees the raw question, not the prompt the model was given).
struct RunToGrade {
    run_id: i64,
    datasets: Vec<GradedDataset>,
}

struct GradedDataset {
    def: DatasetDef,
    protocol: Protocol,
    examples: Vec<Example>,
    samples: Vec<SampleRow>,
}

impl RunToGrade {
    fn read(
        store: &Store,
        catalog: &Catalog,
        run_id: i64,
        options: &GradeOptions,
    ) -> Result<RunToGrade, EngineError> {
        let run = store.run(run_id)?;
        if run.kind != RunKind::Suite {
            return Err(EngineError::Settings(format!(
                "run {run_id} is a {} run: only suite runs have answers to grade",
                run.kind
            )));
        }
        let request: RunRequest = serde_json::from_str(&run.settings_json).map_err(|e| {
            EngineError::Settings(format!(
                "run {run_id}: its stored settings are unreadable: {e}"
            ))
        })?;
        let samples = store.samples(run_id)?;
        let mut datasets = Vec::new();
        let mut ungraded = Vec::new();
        for rd in store.run_datasets(run_id)? {
            let def = catalog.dataset(&rd.name)?.clone();
            let wanted = options.only.is_empty()
                || options.only.contains(&def.name)
                || options.only.contains(&def.task);
            let Some(protocol) = def.judge.filter(|_| wanted) else {
                continue;
            };
            let usable = match protocol {
                Protocol::AdvInstruction => options.embedder.is_some(),
                _ => options.judge.is_some(),
            };
            if !usable {
                ungraded.push(format!("{} (needs {})", def.name, needs(protocol)));
                continue;
            }
            let examples = load::load(&def, request.datasets_dir.as_deref())?.examples;
            let samples: Vec<SampleRow> = samples
                .iter()
                .filter(|s| s.dataset == def.name)
                .cloned()
                .collect();
            datasets.push(GradedDataset {
                def,
                protocol,
                examples,
                samples,
            });
        }
        if datasets.is_empty() {
            let why = if ungraded.is_empty() {
                "none of its datasets is graded by a judge or an embedder in MobileAIBench".into()
            } else {
                format!("only {} could be", ungraded.join(", "))
            };
            return Err(EngineError::Settings(format!(
                "run {run_id} has nothing to grade with what was given: {why}"
            )));
        }
        Ok(RunToGrade { run_id, datasets })
    }
}

fn needs(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::AdvInstruction => "an embedder, --embedder",
        _ => "a judge, --judge",
    }
}

/// A grader's failure as the engine reports it: one line, the stored figures untouched.
fn grade_error(e: GradeError) -> EngineError {
    match e {
        GradeError::Cancelled => EngineError::Settings("grading was cancelled".into()),
        other => EngineError::Grader(other.to_string()),
    }
}
