//! A study's table: one row per level with what it costs (size on disk, peak memory, speed,
//! TTFT, energy per token where measured) and what it keeps (perplexity, KL divergence from the
//! base, each task's quality absolute and as a share of the base's), and the recommendation: the
//! smallest level keeping at least the chosen share of the base's quality that fits this device's
//! memory, or why none does.

use std::path::Path;

use mobench_store::export::{Cell, Table};
use mobench_store::studies::{LevelSource, StudyLevelRow, StudyRow};
use mobench_store::Store;
use serde::Serialize;

use super::StudyRequest;
use crate::error::EngineError;
use crate::llama::memory::{self, Verdict};
use crate::quant::probe::{Divergence, Perplexity};

/// One task's quality on a level: its dataset's first (headline) metric, averaged over samples.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct TaskQuality {
    pub dataset: String,
    pub metric: String,
    pub value: Option<f64>,
    /// value / the base's value on the same samples; `None` when either is missing or the base's
    /// is 0.
    pub share_of_base: Option<f64>,
}

/// A figure or why it is missing.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct LevelRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub position: i64,
    pub label: String,
    pub source: String,
    pub path: String,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size_bytes: Option<u64>,
    pub sha256: Option<String>,
    pub quantize_s: Option<f64>,
    pub peak_memory_bytes: Measured,
    pub pp_tokens_per_s: Option<f64>,
    pub tg_tokens_per_s: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub energy_j_per_token: Measured,
    pub perplexity: Option<Perplexity>,
    pub divergence: Option<Divergence>,
    pub tasks: Vec<TaskQuality>,
    /// Mean of the tasks' shares of the base (1 for the base, unless it scores 0).
    pub quality_retained: Option<f64>,
    /// Whether the model fits this device's memory at the study's context (llama.cpp's own
    /// estimate against the system's limit).
    pub fits_memory: Option<bool>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub suite_run_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub speed_run_id: Option<i64>,
    /// On the Pareto front of quality retained against size (no other level is both smaller and
    /// keeps more).
    pub pareto: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// The level's label, or `None` with the reason.
    pub level: Option<String>,
    pub reason: String,
    pub keep_share: f64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct StudyTable {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub study_id: i64,
    pub status: String,
    pub reason: Option<String>,
    pub base: String,
    /// What was held fixed, as stored.
    pub settings: serde_json::Value,
    pub levels: Vec<LevelRow>,
    pub recommendation: Recommendation,
}

fn missing(why: impl Into<String>) -> Measured {
    Measured {
        value: None,
        missing_reason: Some(why.into()),
    }
}

/// The table of study `id`.
pub fn table(store: &Store, id: i64) -> Result<StudyTable, EngineError> {
    let study: StudyRow = store.study(id)?;
    let req: Option<StudyRequest> = serde_json::from_str(&study.settings).ok();
    let keep_share = req.as_ref().map_or(0.98, |r| r.keep_share);
    let levels = store.study_levels(id)?;
    let mut rows: Vec<LevelRow> = levels
        .iter()
        .map(|l| level_row(store, l, req.as_ref()))
        .collect::<Result<_, _>>()?;
    // Shares of the base, task by task.
    let base_tasks = rows.first().map(|b| b.tasks.clone()).unwrap_or_default();
    for row in &mut rows {
        let mut shares = Vec::new();
        for t in &mut row.tasks {
            let base = base_tasks
                .iter()
                .find(|b| b.dataset == t.dataset && b.metric == t.metric)
                .and_then(|b| b.value);
            t.share_of_base = match (t.value, base) {
                (Some(v), Some(b)) if b > 0.0 => Some(v / b),
                _ => None,
            };
            shares.extend(t.share_of_base);
        }
        row.quality_retained =
            (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64);
    }
    mark_pareto(&mut rows);
    let recommendation = recommend(&rows, keep_share);
    Ok(StudyTable {
        study_id: id,
        status: study.status.as_str().to_string(),
        reason: study.reason,
        base: study.base_path,
        settings: serde_json::from_str(&study.settings).unwrap_or(serde_json::Value::Null),
        levels: rows,
        recommendation,
    })
}

fn level_row(
    store: &Store,
    l: &StudyLevelRow,
    req: Option<&StudyRequest>,
) -> Result<LevelRow, EngineError> {
    let mut peak = missing("the level's suite has not run yet");
    let mut energy = missing("the level's suite has not run yet");
    let mut ttft = None;
    let mut tasks = Vec::new();
    if let Some(run) = l.suite_run_id {
        let figures = store.resource_figures(run)?;
        let find = |name: &str| {
            figures.iter().find(|f| f.figure == name).map(|f| Measured {
                value: f.value,
                missing_reason: f.missing_reason.clone(),
            })
        };
        peak = find("peak_memory_bytes").unwrap_or_else(|| missing("not measured in this run"));
        energy = find("energy_j_per_token").unwrap_or_else(|| missing("not measured in this run"));
        let aggs = store.aggregates(run)?;
        // TTFT over every sample of the run: the datasets' means weighted by their sizes.
        let (mut sum, mut n) = (0.0, 0usize);
        for a in aggs
            .iter()
            .filter(|a| a.figure == "ttft_ms" && a.stat == "mean")
        {
            if let Some(v) = a.value {
                sum += v * a.n as f64;
                n += a.n;
            }
        }
        ttft = (n > 0).then(|| sum / n as f64);
        for d in store.run_datasets(run)? {
            let Some(metric) = d.metrics.first() else {
                continue;
            };
            let value = aggs
                .iter()
                .find(|a| a.dataset_id == d.dataset_id && &a.figure == metric && a.stat == "mean")
                .and_then(|a| a.value);
            tasks.push(TaskQuality {
                dataset: d.name.clone(),
                metric: metric.clone(),
                value,
                share_of_base: None,
            });
        }
    }
    let (mut pp, mut tg) = (None, None);
    if let Some(run) = l.speed_run_id {
        for r in store.speed_results(run)? {
            let t = &r.result.test;
            if t.n_prompt > 0 && t.n_gen == 0 {
                pp = Some(r.result.avg_ts());
            } else if t.n_gen > 0 && t.n_prompt == 0 {
                tg = Some(r.result.avg_ts());
            }
        }
    }
    let fits_memory = req.and_then(|r| {
        memory::check_model(Path::new(&l.path), r.inference.n_ctx, r.inference.n_batch)
            .ok()
            .and_then(|f| match f.verdict {
                Verdict::Fits | Verdict::Tight => Some(true),
                Verdict::WontFit => Some(false),
                Verdict::Unknown => None,
            })
    });
    Ok(LevelRow {
        position: l.position,
        label: l.label.clone(),
        source: l.source.as_str().to_string(),
        path: l.path.clone(),
        size_bytes: l.size_bytes,
        sha256: l.sha256.clone(),
        quantize_s: l.quantize_s,
        peak_memory_bytes: peak,
        pp_tokens_per_s: pp,
        tg_tokens_per_s: tg,
        ttft_ms: ttft,
        energy_j_per_token: energy,
        perplexity: l
            .perplexity
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        divergence: l
            .divergence
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        tasks,
        quality_retained: None,
        fits_memory,
        suite_run_id: l.suite_run_id,
        speed_run_id: l.speed_run_id,
        pareto: false,
    })
}

fn mark_pareto(rows: &mut [LevelRow]) {
    let points: Vec<Option<(u64, f64)>> = rows
        .iter()
        .map(|r| Some((r.size_bytes?, r.quality_retained?)))
        .collect();
    for (i, row) in rows.iter_mut().enumerate() {
        let Some((size, q)) = points[i] else { continue };
        row.pareto = !points.iter().enumerate().any(|(j, p)| {
            j != i && p.is_some_and(|(s2, q2)| (s2 <= size && q2 >= q) && (s2 < size || q2 > q))
        });
    }
}

fn recommend(rows: &[LevelRow], keep_share: f64) -> Recommendation {
    let pct = keep_share * 100.0;
    let levels: Vec<&LevelRow> = rows
        .iter()
        .filter(|r| r.source != LevelSource::Base.as_str())
        .collect();
    let rec = |level: Option<String>, reason: String| Recommendation {
        level,
        reason,
        keep_share,
    };
    let base = rows.iter().find(|r| r.source == LevelSource::Base.as_str());
    if let Some(base) = base {
        if !base.tasks.is_empty() && !base.tasks.iter().any(|t| t.value.is_some_and(|v| v > 0.0)) {
            return rec(
                None,
                "the base model scores 0 on every chosen task, so the share of its quality a level \
                 keeps cannot be computed: choose tasks the base model can do"
                    .into(),
            );
        }
    }
    if levels.iter().any(|r| r.quality_retained.is_none()) {
        return rec(
            None,
            "not every level has task results yet (the study has not finished, or its tasks could \
             not be graded)"
                .into(),
        );
    }
    let mut keeping: Vec<&&LevelRow> = levels
        .iter()
        .filter(|r| r.quality_retained.is_some_and(|q| q >= keep_share))
        .collect();
    if keeping.is_empty() {
        let best = levels
            .iter()
            .filter_map(|r| r.quality_retained.map(|q| (r.label.as_str(), q)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        return rec(
            None,
            match best {
                Some((label, q)) => format!(
                    "no level keeps {pct:.0}% of the base's quality: the best, {label}, keeps {:.1}%",
                    q * 100.0
                ),
                None => "the study has no levels".into(),
            },
        );
    }
    keeping.sort_by_key(|r| r.size_bytes.unwrap_or(u64::MAX));
    let fitting: Vec<_> = keeping
        .iter()
        .filter(|r| r.fits_memory != Some(false))
        .collect();
    match fitting.first() {
        Some(r) => rec(
            Some(r.label.clone()),
            format!(
                "{} is the smallest level ({:.1} MB) keeping at least {pct:.0}% of the base's \
                 quality ({:.1}%){}",
                r.label,
                r.size_bytes.unwrap_or(0) as f64 / 1e6,
                r.quality_retained.unwrap_or(0.0) * 100.0,
                match r.fits_memory {
                    Some(true) => " and fits this device's memory",
                    _ => "; whether it fits this device's memory is unknown",
                }
            ),
        ),
        None => {
            rec(
                None,
                format!(
                "the levels keeping {pct:.0}% of the base's quality ({}) do not fit this device's \
                 memory",
                keeping.iter().map(|r| r.label.as_str()).collect::<Vec<_>>().join(", ")
            ),
            )
        }
    }
}

/// The table as CSV/JSON rows: one per level, one column per figure and per task.
pub fn export(t: &StudyTable) -> Table {
    let mut columns: Vec<String> = [
        "level",
        "source",
        "size_bytes",
        "peak_memory_bytes",
        "pp_tokens_per_s",
        "tg_tokens_per_s",
        "ttft_ms",
        "energy_j_per_token",
        "perplexity",
        "kld_mean",
        "kld_p99",
        "same_top_pct",
        "quality_retained_pct",
        "fits_memory",
        "pareto",
        "recommended",
        "sha256",
        "suite_run_id",
        "speed_run_id",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut task_cols: Vec<(String, String)> = Vec::new();
    for l in &t.levels {
        for q in &l.tasks {
            if !task_cols
                .iter()
                .any(|(d, m)| d == &q.dataset && m == &q.metric)
            {
                task_cols.push((q.dataset.clone(), q.metric.clone()));
            }
        }
    }
    for (d, m) in &task_cols {
        columns.push(format!("{d}:{m}"));
        columns.push(format!("{d}:{m}:pct_of_base"));
    }
    let num = Cell::Num;
    let rows = t
        .levels
        .iter()
        .map(|l| {
            let mut cells = vec![
                Cell::from(l.label.as_str()),
                Cell::from(l.source.as_str()),
                num(l.size_bytes.map(|v| v as f64)),
                num(l.peak_memory_bytes.value),
                num(l.pp_tokens_per_s),
                num(l.tg_tokens_per_s),
                num(l.ttft_ms),
                num(l.energy_j_per_token.value),
                num(l.perplexity.as_ref().map(|p| p.ppl)),
                num(l.divergence.as_ref().map(|d| d.mean)),
                num(l.divergence.as_ref().map(|d| d.p99)),
                num(l.divergence.as_ref().map(|d| d.same_top * 100.0)),
                num(l.quality_retained.map(|q| q * 100.0)),
                l.fits_memory.map_or(Cell::Text(String::new()), Cell::Bool),
                Cell::Bool(l.pareto),
                Cell::Bool(t.recommendation.level.as_deref() == Some(l.label.as_str())),
                Cell::from(&l.sha256),
                num(l.suite_run_id.map(|v| v as f64)),
                num(l.speed_run_id.map(|v| v as f64)),
            ];
            for (d, m) in &task_cols {
                let q = l.tasks.iter().find(|q| &q.dataset == d && &q.metric == m);
                cells.push(num(q.and_then(|q| q.value)));
                cells.push(num(q.and_then(|q| q.share_of_base).map(|s| s * 100.0)));
            }
            cells
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, source: &str, size: u64, q: f64, fits: Option<bool>) -> LevelRow {
        LevelRow {
            position: 0,
            label: label.into(),
            source: source.into(),
            path: String::new(),
            size_bytes: Some(size),
            sha256: None,
            quantize_s: None,
            peak_memory_bytes: missing("x"),
            pp_tokens_per_s: None,
            tg_tokens_per_s: None,
            ttft_ms: None,
            energy_j_per_token: missing("x"),
            perplexity: None,
            divergence: None,
            tasks: vec![],
            quality_retained: Some(q),
            fits_memory: fits,
            suite_run_id: None,
            speed_run_id: None,
            pareto: false,
        }
    }

    #[test]
    fn the_smallest_level_keeping_the_share_and_fitting_is_recommended() {
        let rows = vec![
            row("base", "base", 100, 1.0, Some(true)),
            row("Q8_0", "quantized", 50, 0.995, Some(true)),
            row("Q4_0", "quantized", 30, 0.985, Some(false)),
            row("Q2_K", "quantized", 20, 0.90, Some(true)),
        ];
        let r = recommend(&rows, 0.98);
        assert_eq!(
            r.level.as_deref(),
            Some("Q8_0"),
            "Q4_0 keeps enough but does not fit"
        );
        let r = recommend(&rows, 0.999);
        assert_eq!(r.level, None);
        assert!(r.reason.contains("Q8_0"), "{}", r.reason);
        let mut rows = rows;
        mark_pareto(&mut rows);
        let front: Vec<_> = rows
            .iter()
            .filter(|r| r.pareto)
            .map(|r| r.label.as_str())
            .collect();
        assert_eq!(front, ["base", "Q8_0", "Q4_0", "Q2_K"]);
        rows[2].quality_retained = Some(0.8);
        mark_pareto(&mut rows);
        assert!(!rows[2].pareto, "Q2_K is smaller and keeps more");
    }
}
