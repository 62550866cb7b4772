//! Per-dataset aggregates, derived from the stored per-sample figures.

use crate::records::{RunDatasetRow, SampleRow};
use crate::stats::{mean, Stats};
use mobench_metrics::figure::{whole, IMAGE_FIGURES};

/// Per-sample efficiency figures that get mean, median and p95 per dataset (the registry's
/// timing figures, `mobench_metrics::figure::TIMING`).
pub const TIMING_FIGURES: &[&str] = &mobench_metrics::figure::TIMING_NAMES;

pub(crate) struct Computed {
    pub dataset_id: i64,
    pub figure: String,
    pub stat: &'static str,
    pub value: Option<f64>,
    pub n: usize,
    pub missing_reason: Option<String>,
    pub grader: Option<String>,
}

pub(crate) fn compute(datasets: &[RunDatasetRow], samples: &[SampleRow]) -> Vec<Computed> {
    let mut out = Vec::new();
    for d in datasets {
        let rows: Vec<&SampleRow> = samples
            .iter()
            .filter(|s| s.dataset_id == d.dataset_id)
            .collect();
        if rows.is_empty() {
            continue;
        }
        // The plan's metrics, then any a later grading pass added (a judge's, an embedder's);
        // a figure's parts (MT-Bench's turns) are pooled into it.
        let mut metrics = d.metrics.clone();
        for s in &rows {
            for sc in &s.scores {
                let figure = whole(&sc.metric);
                if !metrics.iter().any(|m| m == figure) {
                    metrics.push(figure.to_string());
                }
            }
        }
        for metric in &metrics {
            let scores: Vec<_> = rows
                .iter()
                .flat_map(|s| s.scores.iter().filter(|sc| whole(&sc.metric) == metric))
                .collect();
            let values: Vec<f64> = scores.iter().filter_map(|s| s.value).collect();
            let grader = scores.first().map(|s| s.grader.clone());
            let missing_reason = if values.is_empty() {
                Some(
                    scores
                        .iter()
                        .find_map(|s| s.missing_reason.clone())
                        .unwrap_or_else(|| "no sample could be graded".into()),
                )
            } else {
                None
            };
            out.push(Computed {
                dataset_id: d.dataset_id,
                figure: metric.clone(),
                stat: "mean",
                value: (!values.is_empty()).then(|| mean(&values)),
                n: values.len(),
                missing_reason,
                grader,
            });
        }
        let has_images = rows.iter().any(|s| s.image_path.is_some());
        for fig in TIMING_FIGURES {
            if !has_images && IMAGE_FIGURES.iter().any(|f| f.name == *fig) {
                continue;
            }
            let values: Vec<f64> = rows.iter().filter_map(|s| s.figure(fig)).collect();
            let stats = Stats::of(&values);
            for (stat, value) in [
                ("mean", stats.map(|s| s.mean)),
                ("median", stats.map(|s| s.median)),
                ("p95", stats.map(|s| s.p95)),
            ] {
                out.push(Computed {
                    dataset_id: d.dataset_id,
                    figure: fig.to_string(),
                    stat,
                    value,
                    n: values.len(),
                    missing_reason: value
                        .is_none()
                        .then(|| "no sample produced this figure".to_string()),
                    grader: None,
                });
            }
        }
        let truncated = rows.iter().filter(|s| s.truncated).count();
        let errors = rows.iter().filter(|s| s.error.is_some()).count();
        for (fig, count) in [
            ("truncated", truncated),
            ("errors", errors),
            ("samples", rows.len()),
        ] {
            out.push(Computed {
                dataset_id: d.dataset_id,
                figure: fig.to_string(),
                stat: "count",
                value: Some(count as f64),
                n: rows.len(),
                missing_reason: None,
                grader: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{SampleRecord, SampleTimings, ScoreRecord};

    fn sample(id: i64, scores: &[(&str, Option<f64>)]) -> SampleRow {
        SampleRow {
            id,
            dataset: "mt_bench".into(),
            task: "mt_bench".into(),
            sample: SampleRecord {
                row_index: id as usize,
                example_id: None,
                prompt: String::new(),
                reference: String::new(),
                prediction_raw: String::new(),
                prediction: String::new(),
                extra_json: None,
                error: None,
                truncated: false,
                stop_reason: "eog".into(),
                prompt_tokens: 1,
                output_tokens: 1,
                image_path: None,
                image_tokens: None,
                prompt_text_tokens: None,
                timings: SampleTimings::default(),
                llama: None,
                scores: scores
                    .iter()
                    .map(|(metric, value)| ScoreRecord {
                        metric: metric.to_string(),
                        value: *value,
                        extracted: None,
                        flag: None,
                        missing_reason: value.is_none().then(|| "unread".into()),
                        grader: "judge:x".into(),
                    })
                    .collect(),
                dataset_id: 1,
            },
        }
    }

    #[test]
    fn a_figures_parts_are_pooled_as_fastchat_pools_mt_bench_turns() {
        let dataset = RunDatasetRow {
            dataset_id: 1,
            name: "mt_bench".into(),
            task: "mt_bench".into(),
            suite: "mobileaibench".into(),
            sha256: String::new(),
            dataset_rows: 2,
            task_version: 1,
            rows: vec![0, 1],
            metrics: vec!["judge".into()],
        };
        // Question 1: 9, then a rating that could not be read; question 2: 4 and 6. FastChat's
        // figure is the mean of the three readable ratings, 19/3 (a mean of the per-question
        // means would be 7).
        let samples = [
            sample(
                0,
                &[("judge", None), ("judge@x", Some(9.0)), ("judge@x#2", None)],
            ),
            sample(
                1,
                &[
                    ("judge", None),
                    ("judge@x", Some(4.0)),
                    ("judge@x#2", Some(6.0)),
                ],
            ),
        ];
        let out = compute(&[dataset], &samples);
        let judged = out
            .iter()
            .find(|c| c.figure == "judge@x" && c.stat == "mean")
            .unwrap();
        assert_eq!(judged.value, Some(19.0 / 3.0));
        assert_eq!(judged.n, 3);
        assert!(!out.iter().any(|c| c.figure.contains('#')));
        let offline = out.iter().find(|c| c.figure == "judge").unwrap();
        assert_eq!(offline.value, None);
    }
}
