//! Views over stored runs that every front end shows the same way: a run's headline figures,
//! a comparison of runs against a baseline, and the samples where runs answered differently.

use std::collections::HashMap;

use mobench_metrics::figure::{self, Figure};
use mobench_metrics::Metric;
use mobench_store::{ModelRow, ProjectorRecord, RunKind, RunRow, RunStatus, Store};
use serde::Serialize;

use mobench_engine::EngineError;

/// One figure of a run's headline (see [`summaries`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HeadlineFigure {
    pub figure: String,
    pub value: Option<f64>,
}

/// A run as a list shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunSummary {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub kind: RunKind,
    pub status: RunStatus,
    pub failure: Option<String>,
    pub model: ModelRow,
    pub model_name: String,
    /// The vision projector loaded beside the model (runs with image datasets).
    pub projector: Option<ProjectorRecord>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub samples_done: usize,
    pub samples_total: usize,
    /// An interrupted or failed suite run can be finished with `resume`.
    pub resumable: bool,
    /// The run's id on every device (UUID v7).
    pub uuid: String,
    /// The device that made it: its id and its name (see `mobench_store::devices`).
    pub device_id: String,
    pub device_label: String,
    /// Where an imported run came from (a bundle, a PostgreSQL server); `None`: made here.
    pub origin: Option<String>,
    /// Suite runs: each quality metric's mean and the mean TTFT and decode rate, over all the
    /// run's samples. Speed runs: each test's mean tokens/s.
    pub headline: Vec<HeadlineFigure>,
}

/// The figures of a suite run's headline besides its quality metrics.
const HEADLINE_TIMINGS: &[&str] = &[figure::TTFT_MS.name, figure::DECODE_TOKENS_PER_S.name];

fn summary(run: RunRow, headline: Vec<HeadlineFigure>) -> RunSummary {
    RunSummary {
        resumable: run.resumable(),
        model_name: run.model.display_name(),
        device_label: run.device_label(),
        uuid: run.uuid,
        device_id: run.device_id,
        origin: run.origin,
        id: run.id,
        kind: run.kind,
        status: run.status,
        failure: run.failure,
        model: run.model,
        projector: run.projector,
        started_at: run.started_at,
        finished_at: run.finished_at,
        samples_done: run.samples_done,
        samples_total: run.samples_total,
        headline,
    }
}

fn speed_headline(store: &Store, run_id: i64) -> Result<Vec<HeadlineFigure>, EngineError> {
    Ok(store
        .speed_results(run_id)?
        .iter()
        .map(|r| HeadlineFigure {
            figure: r.result.test.name(),
            value: Some(r.result.avg_ts()),
        })
        .collect())
}

/// Every run, newest first, with its headline: one query over all aggregates, so a history of
/// thousands of runs loads at once.
pub fn summaries(store: &Store) -> Result<Vec<RunSummary>, EngineError> {
    let mut means: HashMap<i64, Vec<HeadlineFigure>> = HashMap::new();
    for (run_id, figure, value) in store.pooled_means()? {
        let wanted =
            HEADLINE_TIMINGS.contains(&figure.as_str()) || Metric::from_name(&figure).is_ok();
        if wanted {
            means
                .entry(run_id)
                .or_default()
                .push(HeadlineFigure { figure, value });
        }
    }
    let mut out = Vec::new();
    for run in store.runs()?.into_iter().rev() {
        let headline = if run.kind == RunKind::Speed {
            speed_headline(store, run.id)?
        } else {
            means.remove(&run.id).unwrap_or_default()
        };
        out.push(summary(run, headline));
    }
    Ok(out)
}

/// One run's summary.
pub fn run_summary(store: &Store, run_id: i64) -> Result<RunSummary, EngineError> {
    let run = store.run(run_id)?;
    let headline = if run.kind == RunKind::Speed {
        speed_headline(store, run_id)?
    } else {
        store
            .pooled_means_of(run_id)?
            .into_iter()
            .filter(|(f, _)| HEADLINE_TIMINGS.contains(&f.as_str()) || Metric::from_name(f).is_ok())
            .map(|(figure, value)| HeadlineFigure { figure, value })
            .collect()
    };
    Ok(summary(run, headline))
}

/// One figure of one dataset across the compared runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompareRow {
    pub dataset: String,
    pub figure: String,
    pub stat: String,
    pub higher_is_better: bool,
    /// One per run, in [`Comparison::runs`] order.
    pub values: Vec<Option<f64>>,
    /// Value minus the baseline's (0 for the baseline itself); `None` where either is missing.
    pub deltas: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comparison {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub baseline: i64,
    pub runs: Vec<RunSummary>,
    pub rows: Vec<CompareRow>,
}

/// Efficiency figures compared besides the quality metrics, with the statistic compared (the
/// image encode time only where a dataset showed images: others have no such aggregate).
const COMPARED_TIMINGS: &[(Figure, &str)] = &[
    (figure::TTFT_MS, "median"),
    (figure::PREFILL_TOKENS_PER_S, "median"),
    (figure::DECODE_TOKENS_PER_S, "median"),
    (figure::TOTAL_MS, "mean"),
    (figure::IMAGE_ENCODE_MS, "median"),
];

/// Compares runs of one kind figure by figure against `baseline` (one of them).
pub fn compare(store: &Store, run_ids: &[i64], baseline: i64) -> Result<Comparison, EngineError> {
    let invalid = |m: String| EngineError::Settings(m);
    if run_ids.len() < 2 {
        return Err(invalid("a comparison needs at least two runs".into()));
    }
    let base = run_ids
        .iter()
        .position(|&id| id == baseline)
        .ok_or_else(|| {
            invalid(format!(
                "the baseline, run {baseline}, is not among the compared runs"
            ))
        })?;
    let runs: Vec<RunSummary> = run_ids
        .iter()
        .map(|&id| run_summary(store, id))
        .collect::<Result<_, _>>()?;
    let kind = RunKind::common(runs.iter().map(|r| r.kind)).map_err(|_| {
        invalid(
            "speed runs and suite runs measure different things: compare them separately".into(),
        )
    })?;
    // (dataset, figure, stat, higher is better) in first-seen order, then each run's values.
    let mut keys: Vec<(String, String, String, bool)> = Vec::new();
    let mut values: Vec<HashMap<(String, String, String), f64>> = Vec::new();
    for run in &runs {
        let mut of_run = HashMap::new();
        if kind == Some(RunKind::Speed) {
            for r in store.speed_results(run.id)? {
                let key = (
                    format!("{} threads", r.result.test.n_threads),
                    format!("{} t/s", r.result.test.name()),
                    "mean".to_string(),
                );
                push_key(&mut keys, &key, figure::SPEED_TEST.higher_is_better());
                of_run.insert(key, r.result.avg_ts());
            }
        } else {
            let aggregates = store.aggregates(run.id)?;
            for a in aggregates.iter().filter(|a| a.stat == "mean") {
                if let Some(m) = quality_metric(&a.figure) {
                    push_key(
                        &mut keys,
                        &(a.dataset.clone(), a.figure.clone(), a.stat.clone()),
                        m.higher_is_better(),
                    );
                }
            }
            for a in &aggregates {
                if let Some((compared, _)) = COMPARED_TIMINGS
                    .iter()
                    .find(|(f, s)| f.name == a.figure && *s == a.stat)
                {
                    push_key(
                        &mut keys,
                        &(a.dataset.clone(), a.figure.clone(), a.stat.clone()),
                        compared.higher_is_better(),
                    );
                }
                if let Some(v) = a.value {
                    of_run.insert((a.dataset.clone(), a.figure.clone(), a.stat.clone()), v);
                }
            }
        }
        values.push(of_run);
    }
    // Dataset by dataset, in the order they first appear; quality before speed within each.
    let mut datasets: Vec<String> = Vec::new();
    for (d, ..) in &keys {
        if !datasets.contains(d) {
            datasets.push(d.clone());
        }
    }
    keys.sort_by_key(|(d, ..)| datasets.iter().position(|x| x == d));
    let rows = keys
        .into_iter()
        .map(|(dataset, figure, stat, higher_is_better)| {
            let key = (dataset, figure, stat);
            let vals: Vec<Option<f64>> = values.iter().map(|v| v.get(&key).copied()).collect();
            let deltas = vals
                .iter()
                .map(|v| match (v, vals[base]) {
                    (Some(v), Some(b)) => Some(v - b),
                    _ => None,
                })
                .collect();
            let (dataset, figure, stat) = key;
            CompareRow {
                dataset,
                figure,
                stat,
                higher_is_better,
                values: vals,
                deltas,
            }
        })
        .collect();
    Ok(Comparison {
        baseline,
        runs,
        rows,
    })
}

/// The quality metric a figure is a score of: its own (`letter`), or the one a judge or an
/// embedder graded (`judge_em@gpt-4o.3fa2`: a row of its own, apart from the offline figure and
/// from other graders').
fn quality_metric(figure: &str) -> Option<Metric> {
    let metric = figure
        .split_once(figure::GRADED_BY)
        .map_or(figure, |(metric, _)| metric);
    Metric::from_name(metric).ok()
}

fn push_key(
    keys: &mut Vec<(String, String, String, bool)>,
    key: &(String, String, String),
    higher: bool,
) {
    if !keys
        .iter()
        .any(|(d, f, s, _)| (d, f, s) == (&key.0, &key.1, &key.2))
    {
        keys.push((key.0.clone(), key.1.clone(), key.2.clone(), higher));
    }
}

/// One example of a dataset where the compared runs did not all answer the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SampleDiffRow {
    pub row_index: usize,
    pub prompt: String,
    pub reference: String,
    /// One per run; `None` where the run has no such sample.
    pub predictions: Vec<Option<String>>,
    /// The dataset's first metric, one per run.
    pub scores: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SampleDiff {
    pub dataset: String,
    pub metric: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub run_ids: Vec<i64>,
    pub rows: Vec<SampleDiffRow>,
}

/// The examples of `dataset` whose predictions differ between the runs, by row.
pub fn sample_diff(
    store: &Store,
    run_ids: &[i64],
    dataset: &str,
) -> Result<SampleDiff, EngineError> {
    let mut per_run = Vec::new();
    for &id in run_ids {
        let samples: HashMap<usize, mobench_store::SampleRow> = store
            .samples(id)?
            .into_iter()
            .filter(|s| s.dataset == dataset)
            .map(|s| (s.row_index, s))
            .collect();
        per_run.push(samples);
    }
    let metric = per_run
        .iter()
        .flat_map(|m| m.values())
        .find_map(|s| s.scores.first().map(|sc| sc.metric.clone()));
    let mut rows: Vec<usize> = per_run.iter().flat_map(|m| m.keys().copied()).collect();
    rows.sort_unstable();
    rows.dedup();
    let mut out = Vec::new();
    for row in rows {
        let predictions: Vec<Option<String>> = per_run
            .iter()
            .map(|m| m.get(&row).map(|s| s.prediction.clone()))
            .collect();
        if predictions.iter().all(|p| p == &predictions[0]) {
            continue;
        }
        let any = per_run
            .iter()
            .find_map(|m| m.get(&row))
            .expect("row comes from a run");
        let scores = per_run
            .iter()
            .map(|m| {
                m.get(&row).and_then(|s| {
                    s.scores
                        .iter()
                        .find(|sc| Some(&sc.metric) == metric.as_ref())
                        .and_then(|sc| sc.value)
                })
            })
            .collect();
        out.push(SampleDiffRow {
            row_index: row,
            prompt: any.prompt.clone(),
            reference: any.reference.clone(),
            predictions,
            scores,
        });
    }
    Ok(SampleDiff {
        dataset: dataset.to_string(),
        metric,
        run_ids: run_ids.to_vec(),
        rows: out,
    })
}
