//! The judge's pass: each chat-graded sample's requests built with MobileAIBench's protocol,
//! answered from the cache or by the judge, and parsed into the sample's figures.

use std::collections::HashMap;

use mobench_judge::protocol::{self, JudgeInput, Protocol};
use mobench_judge::{ChatRequest, GradeError};
use mobench_metrics::figure::{GRADED_BY, PART_OF};
use mobench_metrics::Metric;
use mobench_store::{SampleRow, ScoreRecord, Store};

use super::graders::ReadyJudge;
use super::{grade_error, GradeOptions, GradeResult, GradedDataset, OnProgress, RunToGrade};
use crate::error::EngineError;
use crate::worker::CancelFlag;

/// One chat request of one sample, and where its answer goes.
struct Ask {
    sample: usize,
    request: ChatRequest,
}

/// The judge's pass over one run: every chat-graded sample's requests, answered from the cache
/// or by the judge (stored at once), then parsed into the sample's figure.
pub(super) fn grade_chats(
    store: &mut Store,
    run: &RunToGrade,
    ready: &mut ReadyJudge,
    options: &GradeOptions,
    cancel: &CancelFlag,
    report: &mut GradeResult,
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

pub(super) fn missing_score(figure: &str, grader: &str, why: String) -> ScoreRecord {
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
    report: &mut GradeResult,
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
