//! Speed results as llama-bench writes them, so its CSV and JSON readers
//! (`compare-llama-bench.py`, spreadsheets built on it) read ours.

use super::table::{cells, col, headers, Cell, Column, Table};
use crate::speed::SpeedRow;

/// Where a result row came from, for the fields llama-bench fills from its build and command line.
pub struct SpeedSource<'a> {
    pub model_filename: &'a str,
    /// The llama.cpp the engine was built with (llama-bench: the git commit of its tree).
    pub build_commit: &'a str,
}

/// One result row with where it came from.
struct Line<'a> {
    src: &'a SpeedSource<'a>,
    row: &'a SpeedRow,
}

/// llama-bench's result fields in its order (`test::get_fields()`), each with its cell. Settings
/// llama-bench can vary but we always run at its defaults (CPU mask, poll, split mode, KV types,
/// ...) carry llama-bench's default values.
fn columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("build_commit", |l| l.src.build_commit.into()),
        col("build_number", |_| Cell::Int(0)),
        col("cpu_info", |l| (&l.row.meta.cpu_info).into()),
        col("gpu_info", |l| (&l.row.meta.gpu_info).into()),
        col("backends", |l| (&l.row.meta.backends).into()),
        col("model_filename", |l| l.src.model_filename.into()),
        col("model_type", |l| (&l.row.meta.model_type).into()),
        col("model_size", |l| Cell::Int(l.row.meta.model_size as i64)),
        col("model_n_params", |l| {
            Cell::Int(l.row.meta.model_n_params as i64)
        }),
        col("n_batch", |l| Cell::Int(l.row.result.test.n_batch.into())),
        col("n_ubatch", |l| Cell::Int(l.row.result.test.n_ubatch.into())),
        col("n_threads", |l| {
            Cell::Int(l.row.result.test.n_threads.into())
        }),
        col("cpu_mask", |_| "0x0".into()),
        col("cpu_strict", |_| Cell::Bool(false)),
        col("poll", |_| Cell::Int(50)),
        col("type_k", |_| "f16".into()),
        col("type_v", |_| "f16".into()),
        col("n_gpu_layers", |l| {
            Cell::Int(l.row.result.test.n_gpu_layers.into())
        }),
        col("n_cpu_moe", |_| Cell::Int(0)),
        col("split_mode", |_| "layer".into()),
        col("main_gpu", |_| Cell::Int(0)),
        col("no_kv_offload", |_| Cell::Bool(false)),
        col("flash_attn", |l| {
            Cell::Int(l.row.result.test.flash_attn.as_llama().into())
        }),
        col("devices", |_| "auto".into()),
        col("tensor_split", |_| "0.00".into()),
        col("tensor_buft_overrides", |_| "none".into()),
        col("load_mode", |_| "auto".into()),
        col("lazy_mode", |_| "auto".into()),
        col("embeddings", |_| Cell::Bool(false)),
        col("no_op_offload", |_| Cell::Int(0)),
        col("no_host", |_| Cell::Bool(false)),
        col("repack", |_| Cell::Bool(true)),
        col("fit_target", |_| Cell::Int(0)),
        col("fit_min_ctx", |_| Cell::Int(0)),
        col("n_prompt", |l| Cell::Int(l.row.result.test.n_prompt.into())),
        col("n_gen", |l| Cell::Int(l.row.result.test.n_gen.into())),
        col("n_depth", |l| Cell::Int(l.row.result.test.n_depth.into())),
        col("test_time", |l| (&l.row.result.test_time).into()),
        col("avg_ns", |l| Cell::Int(l.row.result.avg_ns() as i64)),
        col("stddev_ns", |l| Cell::Int(l.row.result.stddev_ns() as i64)),
        col("avg_ts", |l| Cell::Num(Some(l.row.result.avg_ts()))),
        col("stddev_ts", |l| Cell::Num(Some(l.row.result.stddev_ts()))),
    ]
}

/// The per-repetition columns that llama-bench's JSON carries.
fn sample_columns<'a>() -> Vec<Column<Line<'a>>> {
    vec![
        col("samples_ns", |l| {
            Cell::Json(serde_json::json!(l.row.result.samples_ns))
        }),
        col("samples_ts", |l| {
            Cell::Json(serde_json::json!(l.row.result.samples_ts()))
        }),
    ]
}

/// One row per test in llama-bench's fields; `samples` adds the per-repetition
/// `samples_ns`/`samples_ts` columns.
pub fn llama_bench_table(rows: &[(SpeedSource, &SpeedRow)], samples: bool) -> Table {
    let mut spec = columns();
    if samples {
        spec.extend(sample_columns());
    }
    Table {
        columns: headers(&spec).collect(),
        rows: rows
            .iter()
            .map(|(src, row)| cells(&spec, &Line { src, row }))
            .collect(),
    }
}
