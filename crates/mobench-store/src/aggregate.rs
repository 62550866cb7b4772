//! Per-dataset aggregates, derived from the stored per-sample figures.

use crate::records::{RunDatasetRow, SampleRow};

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

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Stats {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            median: percentile(&v, 50.0),
            p95: percentile(&v, 95.0),
        })
    }
}

/// Percentile of sorted values, NumPy's default linear interpolation (one implementation for
/// the whole product: the telemetry crate's); NaN for no values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    mobench_telemetry::percentile(sorted, p).unwrap_or(f64::NAN)
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
        for metric in &d.metrics {
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
                value: (!values.is_empty())
                    .then(|| values.iter().sum::<f64>() / values.len() as f64),
                n: values.len(),
                missing_reason,
                grader,
            });
        }
        for fig in TIMING_FIGURES {
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

    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert!((percentile(&v, 95.0) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        let s = Stats::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.mean, s.median), (2.0, 2.0));
        assert!(Stats::of(&[]).is_none());
    }
}
