//! Per-dataset aggregates, derived from the stored per-sample figures.

use crate::records::{RunDatasetRow, SampleRow};
use crate::stats::{mean, Stats};
use mobench_metrics::figure::IMAGE_FIGURES;

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
        // The plan's metrics, then any a later grading pass added (a judge's, an embedder's).
        let mut metrics = d.metrics.clone();
        for s in &rows {
            for sc in &s.scores {
                if !metrics.contains(&sc.metric) {
                    metrics.push(sc.metric.clone());
                }
            }
        }
        for metric in &metrics {
            let scores: Vec<_> = rows
                .iter()
                .filter_map(|s| s.scores.iter().find(|sc| &sc.metric == metric))
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
