//! Grading stored runs as the paper did: a judge (a local GGUF chat model, or an OpenAI-compatible
//! endpoint) and an embedder over the samples of the datasets MobileAIBench graded that way
//! (`DatasetDef::judge`), with its protocols (`mobench_judge::protocol`). Nothing is generated
//! again. Every judgment and embedding is stored as it arrives, keyed by its grader and the hash
//! of its exact input, so a killed grading pass resumes where it stopped and grading again asks
//! nothing twice. Each figure is named after its grader (`judge_em@<label>`), so figures of two
//! graders, or of a grader and the offline rules, are never mixed.

mod local;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mobench_judge::protocol::{self, JudgeInput, Protocol};
use mobench_judge::{ChatRequest, Embedder, GradeError, Judge};
use mobench_metrics::figure::{GRADED_BY, PART_OF};
use mobench_metrics::Metric;
use mobench_store::{RunKind, SampleRow, ScoreRecord, Store};
use mobench_tasks::{load, Catalog, DatasetDef, Example};

pub use local::{declared_pooling, LocalEmbedder, LocalJudge, JUDGE_MAX_TOKENS};

use crate::error::EngineError;
use crate::llama::{self, memory, model};
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

/// How grading went for one run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GradeReport {
    pub run_id: i64,
    /// Samples given a figure.
    pub graded: usize,
    /// Requests sent to a grader now (the others came from the cache).
    pub asked: usize,
    pub cached: usize,
    /// Judgments that said neither yes/no nor correct/incorrect (counted as 0.5, as the paper
    /// did), or MT-Bench ratings that could not be read (left out, as FastChat does).
    pub unparsed: usize,
    /// Samples that could not be graded, with why (first one per dataset).
    pub missing: Vec<String>,
    /// The dataset figures, `(dataset, figure, value)`.
    pub figures: Vec<(String, String, Option<f64>)>,
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
) -> Result<Vec<GradeReport>, EngineError> {
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
    let mut reports: Vec<GradeReport> = runs
        .iter()
        .map(|r| GradeReport {
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
        with_embedder(spec, options, &mut |embedder| {
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
                report.figures.push((a.dataset, a.figure, a.value));
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

/// A grader's short label in figure names: its model's name and 4 hex digits of its full id
/// (so two graders of the same model with other settings or endpoints stay apart).
fn label(model_name: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    let clean: String = model_name
        .chars()
        .map(|c| {
            if c == GRADED_BY || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let h = hex::encode(Sha256::digest(id.as_bytes()));
    format!("{clean}.{}", &h[..4])
}

/// A judge ready to answer, with its figure label.
pub struct ReadyJudge<'a> {
    pub judge: &'a mut dyn Judge,
    pub label: String,
}

/// Loads or connects the judge and runs `work` with it.
fn with_judge(
    spec: &GraderSpec,
    options: &GradeOptions,
    cancel: &CancelFlag,
    work: &mut dyn FnMut(&mut ReadyJudge) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    match spec {
        GraderSpec::Local(path) => {
            let info = model::inspect(path, None)?;
            refuse_if_wont_fit(path)?;
            let loaded = llama::load_model(path, 0)?;
            let mut judge = LocalJudge::new(&loaded.model, &info, options.threads, cancel.clone())?;
            // The file's name (it usually says the quantization too), not the header's.
            let label = label(&file_stem(path), &judge.id());
            work(&mut ReadyJudge {
                judge: &mut judge,
                label,
            })
        }
        GraderSpec::OpenAi(model) => {
            let mut judge = crate::grade::remote::judge(model, options)?;
            let label = label(model, &judge.id());
            work(&mut ReadyJudge {
                judge: &mut *judge,
                label,
            })
        }
    }
}

/// An embedder ready to embed, with its figure label.
pub struct ReadyEmbedder<'a> {
    pub embedder: &'a mut dyn Embedder,
    pub label: String,
}

fn with_embedder(
    spec: &GraderSpec,
    options: &GradeOptions,
    work: &mut dyn FnMut(&mut ReadyEmbedder) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    match spec {
        GraderSpec::Local(path) => {
            let info = model::inspect(path, None)?;
            let pooling = declared_pooling(path)?;
            refuse_if_wont_fit(path)?;
            let loaded = llama::load_model(path, 0)?;
            let mut embedder = LocalEmbedder::new(&loaded.model, &info, pooling, options.threads)?;
            let label = label(&file_stem(path), &embedder.id());
            work(&mut ReadyEmbedder {
                embedder: &mut embedder,
                label,
            })
        }
        GraderSpec::OpenAi(model) => {
            let mut embedder = crate::grade::remote::embedder(model, options)?;
            let label = label(model, &embedder.id());
            work(&mut ReadyEmbedder {
                embedder: &mut *embedder,
                label,
            })
        }
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The memory check every model load gets (a phone kills an app past its limit).
fn refuse_if_wont_fit(path: &Path) -> Result<(), EngineError> {
    let fit = memory::check_model(path, 4096, 512)?;
    match fit.message {
        Some(message) if fit.is_fatal() => Err(EngineError::WontFit {
            path: path.to_path_buf(),
            message,
        }),
        _ => Ok(()),
    }
}

/// A grader's failure as the engine reports it: one line, the stored figures untouched.
fn grade_error(e: GradeError) -> EngineError {
    match e {
        GradeError::Cancelled => EngineError::Settings("grading was cancelled".into()),
        other => EngineError::Grader(other.to_string()),
    }
}

/// One chat request of one sample, and where its answer goes.
struct Ask {
    sample: usize,
    request: ChatRequest,
}

/// The judge's pass over one run: every chat-graded sample's requests, answered from the cache
/// or by the judge (stored at once), then parsed into the sample's figure.
fn grade_chats(
    store: &mut Store,
    run: &RunToGrade,
    ready: &mut ReadyJudge,
    options: &GradeOptions,
    cancel: &CancelFlag,
    report: &mut GradeReport,
    progress: &mut OnProgress,
) -> Result<(), EngineError> {
    let grader = format!("judge:{}", ready.judge.id());
    for d in run
        .datasets
        .iter()
        .filter(|d| d.protocol != Protocol::AdvInstruction)
    {
        let metric = match d.protocol {
            Protocol::MtBench => Metric::Judge,
            Protocol::ExactMatch => Metric::JudgeEm,
            _ => Metric::JudgeRefusal,
        };
        let figure = format!("{}{GRADED_BY}{}", metric.name(), ready.label);
        // Each sample's requests (or why it has none).
        let mut asks: Vec<Ask> = Vec::new();
        let mut unaskable: HashMap<usize, String> = HashMap::new();
        for (i, s) in d.samples.iter().enumerate() {
            match requests_for(d, s) {
                Ok(requests) => asks.extend(
                    requests
                        .into_iter()
                        .map(|request| Ask { sample: i, request }),
                ),
                Err(why) => {
                    unaskable.insert(i, why);
                }
            }
        }
        let total = asks.len();
        let mut answers: Vec<Option<Result<String, String>>> = vec![None; total];
        let mut todo = Vec::new();
        for (k, ask) in asks.iter().enumerate() {
            match store.judgment(&grader, &ask.request.input_hash())? {
                Some(cached) => {
                    answers[k] = Some(Ok(cached));
                    report.cached += 1;
                }
                None => todo.push(k),
            }
        }
        let mut done = total - todo.len();
        progress(done, total);
        // One wave of requests at a time, each answer stored when its wave ends: a kill loses
        // at most the requests in flight.
        for chunk in todo.chunks(options.concurrency.max(1)) {
            if cancel.is_cancelled() {
                return Err(grade_error(GradeError::Cancelled));
            }
            let requests: Vec<ChatRequest> =
                chunk.iter().map(|&k| asks[k].request.clone()).collect();
            let results = ready.judge.chat_many(&requests);
            for (&k, result) in chunk.iter().zip(results) {
                match result {
                    Ok(text) => {
                        store.put_judgment(&grader, &asks[k].request.input_hash(), &text)?;
                        report.asked += 1;
                        answers[k] = Some(Ok(text));
                    }
                    Err(GradeError::Input(why)) => answers[k] = Some(Err(why)),
                    Err(e) => return Err(grade_error(e)),
                }
                done += 1;
            }
            progress(done, total);
        }
        // Each sample's answers in order, parsed into its figure.
        let mut per_sample: Vec<Vec<Result<String, String>>> = vec![Vec::new(); d.samples.len()];
        for (ask, answer) in asks.iter().zip(answers) {
            per_sample[ask.sample].push(answer.expect("every request was answered or failed"));
        }
        let mut first_missing = None;
        for (i, s) in d.samples.iter().enumerate() {
            let scores = match unaskable.remove(&i) {
                Some(why) => vec![missing_score(&figure, &grader, why)],
                None => score_chats(d.protocol, &figure, &grader, &per_sample[i], report),
            };
            match scores.iter().find_map(|sc| sc.missing_reason.as_ref()) {
                Some(why) if scores.iter().all(|sc| sc.value.is_none()) => {
                    first_missing.get_or_insert_with(|| format!("{}: {why}", d.def.name));
                }
                _ => report.graded += 1,
            }
            store.put_scores(s.id, &scores)?;
        }
        report.missing.extend(first_missing);
    }
    Ok(())
}

/// The judge's requests for one sample, built as MobileAIBench builds them from the dataset row's
/// raw text and the model's answer.
fn requests_for(d: &GradedDataset, s: &SampleRow) -> Result<Vec<ChatRequest>, String> {
    if let Some(e) = &s.error {
        return Err(format!("the sample failed ({e})"));
    }
    let example = d
        .examples
        .get(s.row_index)
        .ok_or_else(|| format!("the dataset has no row {} any more", s.row_index))?;
    match d.protocol {
        Protocol::MtBench => {
            let answers = turn_outputs(s);
            let question_id: u64 = example
                .id
                .as_deref()
                .and_then(|id| id.parse().ok())
                .ok_or("the question has no numeric question_id")?;
            let category = example.fields.get("category").map_or("", String::as_str);
            protocol::mt_bench_requests(question_id, category, &example.turns, &answers)
                .map(|turns| turns.into_iter().map(|t| t.request).collect())
                .map_err(|e| e.to_string())
        }
        p => {
            let question = example
                .fields
                .get(p.question_field().unwrap_or("prompt"))
                .ok_or("the dataset row has no prompt")?;
            let input = JudgeInput {
                question,
                reference: &example.reference,
                prediction: &s.prediction_raw,
            };
            protocol::judge_request(p, &input)
                .map(|r| vec![r])
                .ok_or_else(|| format!("{} is not a chat protocol", p.name()))
        }
    }
}

/// Every turn's output of a sample (one for a single-turn task).
fn turn_outputs(s: &SampleRow) -> Vec<String> {
    let turns = s
        .extra_json
        .as_deref()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(e).ok())
        .and_then(|v| {
            v["turns"].as_array().map(|t| {
                t.iter()
                    .filter_map(|t| t["output"].as_str().map(String::from))
                    .collect::<Vec<_>>()
            })
        });
    turns.unwrap_or_else(|| vec![s.prediction_raw.clone()])
}

fn missing_score(figure: &str, grader: &str, why: String) -> ScoreRecord {
    ScoreRecord {
        metric: figure.to_string(),
        value: None,
        extracted: None,
        flag: None,
        missing_reason: Some(why),
        grader: grader.to_string(),
    }
}

/// How much of a judge's answer is kept with the score (all of it is in the cache).
const KEPT_JUDGMENT_CHARS: usize = 4000;

fn kept(text: &str) -> String {
    text.chars().take(KEPT_JUDGMENT_CHARS).collect()
}

/// One sample's figures from its judgments: one, or for MT-Bench one per turn (`judge@x`,
/// `judge@x#2`), which the aggregates pool as FastChat does (a rating that cannot be read is left
/// out, not counted as a value).
fn score_chats(
    protocol: Protocol,
    figure: &str,
    grader: &str,
    answers: &[Result<String, String>],
    report: &mut GradeReport,
) -> Vec<ScoreRecord> {
    if let Some(Err(why)) = answers.iter().find(|a| a.is_err()) {
        return vec![missing_score(figure, grader, why.clone())];
    }
    let texts: Vec<&str> = answers.iter().filter_map(|a| a.as_deref().ok()).collect();
    let graded = |metric: String, value: Option<f64>, text: &str, unparsed: bool| ScoreRecord {
        metric,
        value,
        extracted: Some(kept(text)),
        flag: unparsed.then(|| "unparsed".to_string()),
        missing_reason: value
            .is_none()
            .then(|| "the judge's rating could not be read".to_string()),
        grader: grader.to_string(),
    };
    match protocol {
        Protocol::MtBench => texts
            .iter()
            .enumerate()
            .map(|(turn, text)| {
                let rating = protocol::parse_mt_bench_rating(text);
                report.unparsed += usize::from(rating.is_none());
                graded(figure_part(figure, turn), rating, text, rating.is_none())
            })
            .collect(),
        p => {
            let verdict = protocol::parse_judgment(p, texts[0]);
            let unparsed = verdict.is_none_or(|v| !v.parsed);
            report.unparsed += usize::from(unparsed);
            vec![graded(
                figure.to_string(),
                verdict.map(|v| v.value),
                texts[0],
                unparsed,
            )]
        }
    }
}

/// The name of part `index` (0-based) of a sample's figure: the figure itself, then `figure#2`, …
fn figure_part(figure: &str, index: usize) -> String {
    match index {
        0 => figure.to_string(),
        i => format!("{figure}{PART_OF}{}", i + 1),
    }
}

/// The embedder's pass over one run: adv_instruction's answers embedded (cached by embedder and
/// text), grouped as MobileAIBench groups them, each variant scored against its group's original.
fn grade_embeddings(
    store: &mut Store,
    run: &RunToGrade,
    ready: &mut ReadyEmbedder,
    cancel: &CancelFlag,
    report: &mut GradeReport,
    progress: &mut OnProgress,
) -> Result<(), EngineError> {
    let grader = format!("embed:{}", ready.embedder.id());
    let figure = format!("{}{GRADED_BY}{}", Metric::Consistency.name(), ready.label);
    for d in run
        .datasets
        .iter()
        .filter(|d| d.protocol == Protocol::AdvInstruction)
    {
        let hash = |text: &str| {
            ChatRequest {
                system: String::new(),
                user: text.to_string(),
            }
            .input_hash()
        };
        let total = d.samples.len();
        let mut vectors: Vec<Option<Vec<f32>>> = Vec::with_capacity(total);
        let mut dim: Option<usize> = None;
        for (i, s) in d.samples.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(grade_error(GradeError::Cancelled));
            }
            if s.error.is_some() {
                vectors.push(None);
                continue;
            }
            let key = hash(&s.prediction_raw);
            let v = match store.embedding(&grader, &key)? {
                Some(v) => {
                    report.cached += 1;
                    v
                }
                None => {
                    let v = ready
                        .embedder
                        .embed(std::slice::from_ref(&s.prediction_raw))
                        .map_err(grade_error)?
                        .pop()
                        .ok_or_else(|| {
                            EngineError::Grader("the embedder returned no vector".into())
                        })?;
                    store.put_embedding(&grader, &key, &v)?;
                    report.asked += 1;
                    v
                }
            };
            match dim {
                Some(n) if n != v.len() => {
                    return Err(EngineError::Grader(format!(
                        "the embedder's vectors changed dimension ({n}, then {})",
                        v.len()
                    )))
                }
                _ => dim = Some(v.len()),
            }
            vectors.push(Some(v));
            progress(i + 1, total);
        }
        let references: Vec<&str> = d.samples.iter().map(|s| s.reference.as_str()).collect();
        let grouping = protocol::group_adv_rows(&references)
            .map_err(|e| EngineError::Grader(format!("{}: {e}", d.def.name)))?;
        let mut scores: Vec<Option<ScoreRecord>> = vec![None; total];
        for group in &grouping.groups {
            let Some(original) = &vectors[group.original] else {
                for &v in &group.variants {
                    scores[v] = Some(missing_score(
                        &figure,
                        &grader,
                        "its group's original prompt has no answer to compare with".into(),
                    ));
                }
                continue;
            };
            for &v in &group.variants {
                let score = match &vectors[v] {
                    None => missing_score(&figure, &grader, "the sample failed".into()),
                    Some(variant) => match protocol::cosine_distance(original, variant) {
                        Ok(distance) => {
                            report.graded += 1;
                            ScoreRecord {
                                metric: figure.clone(),
                                value: Some(1.0 - distance),
                                extracted: None,
                                flag: None,
                                missing_reason: None,
                                grader: grader.clone(),
                            }
                        }
                        Err(e) => missing_score(&figure, &grader, e.to_string()),
                    },
                };
                scores[v] = Some(score);
            }
        }
        for &row in &grouping.unused_rows {
            scores[row] = Some(missing_score(
                &figure,
                &grader,
                "its group's original prompt is not in this run".into(),
            ));
        }
        for (s, score) in d.samples.iter().zip(scores) {
            // A group's original is what the others are compared with: it has no figure.
            if let Some(score) = score {
                store.put_scores(s.id, &[score])?;
            }
        }
    }
    Ok(())
}

mod remote;
