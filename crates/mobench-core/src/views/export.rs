//! The tables every front end exports: runs (one row per run and dataset, or per speed test),
//! their samples, and a comparison; and how a table reaches a file without ever leaving half of one.

use std::io::Write;
use std::path::Path;

use mobench_store::export::{
    llama_bench_table, runs_table, samples_table, Cell, RunExport, SpeedSource, Table,
};
use mobench_store::speed::SpeedRow;
use mobench_store::{RunKind, RunRow, Store};
use serde::{Deserialize, Serialize};

use mobench_engine::EngineError;

use super::runs::{compare, Comparison};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    /// One row per run and dataset with its aggregates (speed runs: one per test).
    Runs,
    /// One row per sample.
    Samples,
    /// The comparison of the runs against a baseline.
    Comparison,
}

fn settings(message: &str) -> EngineError {
    EngineError::Settings(message.to_string())
}

/// The table of `kind` over the runs, in the order given.
pub fn table(
    store: &Store,
    kind: ExportKind,
    run_ids: &[i64],
    baseline: Option<i64>,
) -> Result<Table, EngineError> {
    if run_ids.is_empty() {
        return Err(settings("nothing to export: choose at least one run"));
    }
    if kind == ExportKind::Comparison {
        let baseline = baseline.unwrap_or(run_ids[0]);
        return Ok(comparison_table(&compare(store, run_ids, baseline)?));
    }
    let runs: Vec<RunRow> = run_ids
        .iter()
        .map(|&id| store.run(id))
        .collect::<Result<_, _>>()?;
    suite_or_speed_table(store, runs, kind == ExportKind::Samples, false)
}

/// Runs of one kind as a table; `samples` is one row per sample (suite runs only) and
/// `speed_samples` adds each speed test's raw repetitions.
pub fn suite_or_speed_table(
    store: &Store,
    runs: Vec<RunRow>,
    samples: bool,
    speed_samples: bool,
) -> Result<Table, EngineError> {
    let kind = RunKind::common(runs.iter().map(|r| r.kind)).map_err(|_| {
        settings("speed runs and suite runs have different columns: export them separately")
    })?;
    if kind != Some(RunKind::Speed) {
        let mut exports = Vec::new();
        for run in runs {
            let id = run.id;
            exports.push(RunExport {
                run,
                aggregates: store.aggregates(id)?,
                loads: store.loads(id)?,
                samples: if samples {
                    store.samples(id)?
                } else {
                    Vec::new()
                },
                resources: store.resource_figures(id)?,
            });
        }
        return Ok(if samples {
            samples_table(&exports)
        } else {
            runs_table(&exports)
        });
    }
    if samples {
        return Err(settings(
            "a speed run has no samples: its rows are its tests; export the runs instead",
        ));
    }
    let mut with_rows = Vec::new();
    for run in runs {
        let rows = store.speed_results(run.id)?;
        with_rows.push((run, rows));
    }
    Ok(speed_table(&with_rows, speed_samples))
}

/// Speed runs in llama-bench's fields, one row per test.
pub fn speed_table(runs: &[(RunRow, Vec<SpeedRow>)], samples: bool) -> Table {
    let rows: Vec<(SpeedSource, &SpeedRow)> = runs
        .iter()
        .flat_map(|(run, rows)| rows.iter().map(move |r| (speed_source(run), r)))
        .collect();
    llama_bench_table(&rows, samples)
}

fn speed_source(run: &RunRow) -> SpeedSource<'_> {
    SpeedSource {
        model_filename: &run.model.path,
        // "llama-cpp-2 0.1.160 (CPU : AVX2 = 1 | ...)": the version, without the feature list
        build_commit: run
            .llama_version
            .split(" (")
            .next()
            .unwrap_or(&run.llama_version),
    }
}

/// One row per dataset and figure; for each run its value and its difference to the baseline.
pub fn comparison_table(c: &Comparison) -> Table {
    let mut columns: Vec<String> = ["dataset", "figure", "stat", "higher_is_better"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for r in &c.runs {
        columns.push(format!("run_{}", r.id));
        columns.push(format!("run_{}_delta", r.id));
    }
    let rows = c
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Cell> = vec![
                row.dataset.clone().into(),
                row.figure.clone().into(),
                row.stat.clone().into(),
                Cell::Bool(row.higher_is_better),
            ];
            for (v, d) in row.values.iter().zip(&row.deltas) {
                cells.push(Cell::Num(*v));
                cells.push(Cell::Num(*d));
            }
            cells
        })
        .collect();
    Table { columns, rows }
}

/// Writes `write`'s output next to `path` and renames it into place, so that a failure (a full
/// disk, a folder that vanished) leaves no half-written file and any earlier file untouched.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
