//! Export tables: one row per run-dataset with its aggregates, or one row per sample.
//! The same [`Table`] is written as CSV (RFC 4180, UTF-8, header row) or JSON.

use std::io::Write;

use crate::records::{RunRow, SampleRow};
use crate::resources::ResourceFigure;
use crate::{AggregateRow, LoadRow, TIMING_FIGURES};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(Option<f64>),
    Int(i64),
    Bool(bool),
    /// A JSON value (a list of samples): itself in JSON, its JSON text in CSV.
    Json(serde_json::Value),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        Cell::Text(s.unwrap_or_default())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A text cell that a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralize(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

impl Table {
    pub fn write_csv<W: Write>(&self, out: W) -> std::io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let map = |e: csv::Error| std::io::Error::other(e.to_string());
        w.write_record(&self.columns).map_err(map)?;
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => neutralize(s).into_owned(),
                    Cell::Num(Some(v)) => format_num(*v),
                    Cell::Num(None) => String::new(),
                    Cell::Int(i) => i.to_string(),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Json(v) => v.to_string(),
                })
                .collect();
            w.write_record(&cells).map_err(map)?;
        }
        w.flush()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let mut obj = serde_json::Map::new();
                    for (col, cell) in self.columns.iter().zip(row) {
                        let v = match cell {
                            Cell::Text(s) => serde_json::Value::String(s.clone()),
                            Cell::Num(v) => v
                                .and_then(serde_json::Number::from_f64)
                                .map_or(serde_json::Value::Null, serde_json::Value::Number),
                            Cell::Int(i) => (*i).into(),
                            Cell::Bool(b) => (*b).into(),
                            Cell::Json(v) => v.clone(),
                        };
                        obj.insert(col.clone(), v);
                    }
                    serde_json::Value::Object(obj)
                })
                .collect(),
        )
    }
}

fn format_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Everything export needs about one run.
pub struct RunExport {
    pub run: RunRow,
    pub aggregates: Vec<AggregateRow>,
    pub loads: Vec<LoadRow>,
    pub samples: Vec<SampleRow>,
    pub resources: Vec<ResourceFigure>,
}

fn metric_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

fn run_cells(r: &RunRow) -> Vec<Cell> {
    vec![
        Cell::Int(r.id),
        r.model.display_name().into(),
        r.model.sha256.clone().into(),
        r.model.quantization.clone().into(),
        Cell::Int(r.model.n_params as i64),
        r.status.as_str().into(),
        r.started_at.clone().into(),
    ]
}

const RUN_COLUMNS: &[&str] = &[
    "run_id",
    "model",
    "model_sha256",
    "quantization",
    "n_params",
    "status",
    "started_at",
];

/// One row per run and dataset, aggregates as columns.
pub fn runs_table(runs: &[RunExport]) -> Table {
    let metrics = metric_names(runs.iter().flat_map(|r| {
        r.aggregates
            .iter()
            .filter(|a| a.stat == "mean" && !TIMING_FIGURES.contains(&a.figure.as_str()))
            .map(|a| a.figure.as_str())
    }));
    let mut columns: Vec<String> = RUN_COLUMNS.iter().map(|s| s.to_string()).collect();
    columns.extend(
        [
            "task",
            "dataset",
            "samples",
            "truncated",
            "errors",
            "load_cold_ms",
            "load_warm_ms",
            "backend",
        ]
        .map(String::from),
    );
    for m in &metrics {
        columns.push(m.clone());
        columns.push(format!("{m}_missing_reason"));
    }
    for f in TIMING_FIGURES {
        for s in ["mean", "median", "p95"] {
            columns.push(format!("{f}_{s}"));
        }
    }
    columns.push("grader".into());
    // Resource figures are the run's, repeated on each of its dataset rows; why some are
    // missing (no battery, no thermal zones) is said once per row.
    let resource_figures = metric_names(
        runs.iter()
            .flat_map(|r| r.resources.iter().map(|f| f.figure.as_str())),
    );
    columns.extend(resource_figures.iter().cloned());
    columns.push("resources_missing".into());
    let mut rows = Vec::new();
    for r in runs {
        let cold = r.loads.iter().find(|l| l.cold).map(|l| l.model_load_ms);
        let warm = r.loads.iter().find(|l| !l.cold).map(|l| l.model_load_ms);
        // Where the layers ran; a run resumed on another backend lists each.
        let mut backends: Vec<String> = Vec::new();
        for l in &r.loads {
            let p = l.placement();
            if !backends.contains(&p) {
                backends.push(p);
            }
        }
        let backend = backends.join(" / ");
        let mut datasets: Vec<(&str, &str)> = Vec::new();
        for a in &r.aggregates {
            if !datasets.iter().any(|(d, _)| *d == a.dataset) {
                datasets.push((&a.dataset, &a.task));
            }
        }
        for (dataset, task) in datasets {
            let find = |fig: &str, stat: &str| {
                r.aggregates
                    .iter()
                    .find(|a| a.dataset == dataset && a.figure == fig && a.stat == stat)
            };
            let count = |fig: &str| Cell::Num(find(fig, "count").and_then(|a| a.value));
            let mut row = run_cells(&r.run);
            row.extend([
                task.into(),
                dataset.into(),
                count("samples"),
                count("truncated"),
                count("errors"),
                Cell::Num(cold),
                Cell::Num(warm),
                Cell::Text(backend.clone()),
            ]);
            let mut grader = None;
            for m in &metrics {
                let a = find(m, "mean");
                row.push(Cell::Num(a.and_then(|a| a.value)));
                row.push(a.and_then(|a| a.missing_reason.clone()).into());
                grader = grader.or_else(|| a.and_then(|a| a.grader.clone()));
            }
            for f in TIMING_FIGURES {
                for s in ["mean", "median", "p95"] {
                    row.push(Cell::Num(find(f, s).and_then(|a| a.value)));
                }
            }
            row.push(grader.into());
            for f in &resource_figures {
                let value = r.resources.iter().find(|x| &x.figure == f);
                row.push(Cell::Num(value.and_then(|x| x.value)));
            }
            row.push(Cell::Text(missing_reasons(&r.resources)));
            rows.push(row);
        }
    }
    Table { columns, rows }
}

/// Each distinct reason once, with the figures it explains: "a, b: no battery; c: no zones".
fn missing_reasons(figures: &[ResourceFigure]) -> String {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in figures {
        if let Some(reason) = f.missing_reason.as_deref() {
            match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, names)) => names.push(&f.figure),
                None => by_reason.push((reason, vec![&f.figure])),
            }
        }
    }
    by_reason
        .iter()
        .map(|(reason, names)| format!("{}: {reason}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One row per sample, one column per metric (plus what the grader extracted).
pub fn samples_table(runs: &[RunExport]) -> Table {
    let all = || runs.iter().flat_map(|r| r.samples.iter());
    let metrics = metric_names(all().flat_map(|s| s.scores.iter().map(|sc| sc.metric.as_str())));
    let extracted: Vec<&String> = metrics
        .iter()
        .filter(|m| {
            all().any(|s| {
                s.scores
                    .iter()
                    .any(|sc| &sc.metric == *m && sc.extracted.is_some())
            })
        })
        .collect();
    let mut columns: Vec<String> = [
        "run_id",
        "model",
        "task",
        "dataset",
        "sample_index",
        "example_id",
        "prompt",
        "reference",
        "prediction",
        "prediction_raw",
        "truncated",
        "error",
        "stop_reason",
        "prompt_tokens",
        "output_tokens",
        "ttft_ms",
        "prefill_ms",
        "decode_calls_ms",
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
        "itl_p50_ms",
        "itl_p95_ms",
        "itl_max_ms",
        "output_eval_ms",
        "total_ms",
        "llama_t_p_eval_ms",
        "llama_t_eval_ms",
        "llama_n_p_eval",
        "llama_n_eval",
    ]
    .map(String::from)
    .to_vec();
    columns.extend(metrics.iter().cloned());
    columns.extend(extracted.iter().map(|m| format!("{m}_extracted")));
    let mut rows = Vec::new();
    for r in runs {
        for s in &r.samples {
            let t = &s.timings;
            let mut row = vec![
                Cell::Int(r.run.id),
                r.run.model.display_name().into(),
                s.task.clone().into(),
                s.dataset.clone().into(),
                Cell::Int(s.row_index as i64),
                s.example_id.clone().into(),
                s.prompt.clone().into(),
                s.reference.clone().into(),
                s.prediction.clone().into(),
                s.prediction_raw.clone().into(),
                Cell::Bool(s.truncated),
                s.error.clone().into(),
                s.stop_reason.clone().into(),
                Cell::Int(s.prompt_tokens as i64),
                Cell::Int(s.output_tokens as i64),
                Cell::Num(t.ttft_ms),
                Cell::Num(t.prefill_ms),
                Cell::Num(t.decode_calls_ms),
                Cell::Num(t.prefill_tokens_per_s),
                Cell::Num(t.decode_tokens_per_s),
                Cell::Num(t.itl_p50_ms),
                Cell::Num(t.itl_p95_ms),
                Cell::Num(t.itl_max_ms),
                Cell::Num(t.output_eval_ms),
                Cell::Num(Some(t.total_ms)),
                Cell::Num(s.llama.map(|l| l.t_p_eval_ms)),
                Cell::Num(s.llama.map(|l| l.t_eval_ms)),
                Cell::Num(s.llama.map(|l| l.n_p_eval as f64)),
                Cell::Num(s.llama.map(|l| l.n_eval as f64)),
            ];
            let score = |m: &str| s.scores.iter().find(|sc| sc.metric == m);
            for m in &metrics {
                row.push(Cell::Num(score(m).and_then(|sc| sc.value)));
            }
            for m in &extracted {
                row.push(score(m).and_then(|sc| sc.extracted.clone()).into());
            }
            rows.push(row);
        }
    }
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized_and_csv_is_rfc4180() {
        let t = Table {
            columns: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec![
                Cell::Text("=1+2".into()),
                Cell::Text("line\n\"q\"".into()),
                Cell::Num(Some(-1.5)),
            ]],
        };
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "a,b,c\r\n'=1+2,\"line\n\"\"q\"\"\",-1.5\r\n");
        for bad in ["+x", "-x", "@x", "\tx", "\rx"] {
            assert!(neutralize(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralize("plain"), "plain");
    }

    #[test]
    fn json_keeps_column_order_and_nulls() {
        let t = Table {
            columns: vec!["z".into(), "a".into()],
            rows: vec![vec![Cell::Num(None), Cell::Int(3)]],
        };
        assert_eq!(t.to_json().to_string(), r#"[{"z":null,"a":3}]"#);
    }
}
