//! One row per sample, one column per metric (plus what the grader extracted).

use super::runs::RunExport;
use super::table::{cells, col, distinct, headers, Cell, Column, Table};
use crate::records::{RunRow, SampleRow};

/// One sample of one run.
struct Line<'a> {
    run: &'a RunRow,
    s: &'a SampleRow,
}

/// The columns every sample row has, before its metrics.
fn columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("run_id", |l| Cell::Int(l.run.id)),
        col("model", |l| l.run.model.display_name().into()),
        col("task", |l| (&l.s.task).into()),
        col("dataset", |l| (&l.s.dataset).into()),
        col("sample_index", |l| Cell::Int(l.s.row_index as i64)),
        col("example_id", |l| (&l.s.example_id).into()),
        col("prompt", |l| (&l.s.prompt).into()),
        col("reference", |l| (&l.s.reference).into()),
        col("prediction", |l| (&l.s.prediction).into()),
        col("prediction_raw", |l| (&l.s.prediction_raw).into()),
        col("truncated", |l| Cell::Bool(l.s.truncated)),
        col("error", |l| (&l.s.error).into()),
        col("stop_reason", |l| (&l.s.stop_reason).into()),
        col("prompt_tokens", |l| Cell::Int(l.s.prompt_tokens as i64)),
        col("output_tokens", |l| Cell::Int(l.s.output_tokens as i64)),
        col("ttft_ms", |l| Cell::Num(l.s.timings.ttft_ms)),
        col("prefill_ms", |l| Cell::Num(l.s.timings.prefill_ms)),
        col("decode_calls_ms", |l| {
            Cell::Num(l.s.timings.decode_calls_ms)
        }),
        col("prefill_tokens_per_s", |l| {
            Cell::Num(l.s.timings.prefill_tokens_per_s)
        }),
        col("decode_tokens_per_s", |l| {
            Cell::Num(l.s.timings.decode_tokens_per_s)
        }),
        col("itl_p50_ms", |l| Cell::Num(l.s.timings.itl_p50_ms)),
        col("itl_p95_ms", |l| Cell::Num(l.s.timings.itl_p95_ms)),
        col("itl_max_ms", |l| Cell::Num(l.s.timings.itl_max_ms)),
        col("output_eval_ms", |l| Cell::Num(l.s.timings.output_eval_ms)),
        col("total_ms", |l| Cell::Num(Some(l.s.timings.total_ms))),
        col("llama_t_p_eval_ms", |l| {
            Cell::Num(l.s.llama.map(|c| c.t_p_eval_ms))
        }),
        col("llama_t_eval_ms", |l| {
            Cell::Num(l.s.llama.map(|c| c.t_eval_ms))
        }),
        col("llama_n_p_eval", |l| {
            Cell::Num(l.s.llama.map(|c| c.n_p_eval as f64))
        }),
        col("llama_n_eval", |l| {
            Cell::Num(l.s.llama.map(|c| c.n_eval as f64))
        }),
    ]
}

/// The columns of a sample shown with an image; an export has them when one of its samples does.
fn image_columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("image_path", |l| (&l.s.image_path).into()),
        col("image_decode_ms", |l| {
            Cell::Num(l.s.timings.image_decode_ms)
        }),
        col("image_encode_ms", |l| {
            Cell::Num(l.s.timings.image_encode_ms)
        }),
        col("image_tokens", |l| {
            Cell::Num(l.s.image_tokens.map(|n| n as f64))
        }),
        col("prompt_text_tokens", |l| {
            Cell::Num(l.s.prompt_text_tokens.map(|n| n as f64))
        }),
    ]
}

/// One row per sample, one column per metric (plus what the grader extracted).
pub fn samples_table(runs: &[RunExport]) -> Table {
    let all = || runs.iter().flat_map(|r| r.samples.iter());
    let mut spec = columns();
    if all().any(|s| s.image_path.is_some()) {
        spec.extend(image_columns());
    }
    let metrics = distinct(all().flat_map(|s| s.scores.iter().map(|sc| sc.metric.as_str())));
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
    let mut columns: Vec<String> = headers(&spec).collect();
    columns.extend(metrics.iter().cloned());
    columns.extend(extracted.iter().map(|m| format!("{m}_extracted")));
    let mut rows = Vec::new();
    for r in runs {
        for s in &r.samples {
            let mut row = cells(&spec, &Line { run: &r.run, s });
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
