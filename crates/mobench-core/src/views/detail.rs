//! One run in detail (the app's run screen and `mobench show --json`), its samples and resource
//! readings, and a table written out as CSV.

use std::path::Path;

use mobench_store::resources::ResourceFigure;
use mobench_store::{AggregateRow, LoadRow, RunDatasetRow, RunKind, SampleRow, Store};
use mobench_telemetry::Reading;
use serde::Serialize;

use super::export::{self, ExportKind};
use super::runs::{run_summary, RunSummary};
use crate::error::{io_error, AppResult, ErrorCode};

/// One speed test of a speed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export, rename = "SpeedRow"))]
pub struct SpeedTestRow {
    pub test: String,
    pub n_threads: u32,
    pub avg_ts: f64,
    pub stddev_ts: f64,
    pub samples_ts: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct RunDetail {
    pub run: RunSummary,
    pub settings: serde_json::Value,
    pub device: serde_json::Value,
    pub app_version: String,
    pub llama_version: String,
    pub loads: Vec<LoadRow>,
    pub aggregates: Vec<AggregateRow>,
    pub resources: Vec<ResourceFigure>,
    pub datasets: Vec<RunDatasetRow>,
    /// Empty for suite runs.
    pub speed: Vec<SpeedTestRow>,
}

pub fn detail(store: &Store, run_id: i64) -> AppResult<RunDetail> {
    let run = store.run(run_id)?;
    let json = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
    let speed = if run.kind == RunKind::Speed {
        store
            .speed_results(run_id)?
            .into_iter()
            .map(|r| SpeedTestRow {
                test: r.result.test.name(),
                n_threads: r.result.test.n_threads,
                avg_ts: r.result.avg_ts(),
                stddev_ts: r.result.stddev_ts(),
                samples_ts: r.result.samples_ts(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(RunDetail {
        settings: json(&run.settings_json),
        device: json(&run.device_json),
        app_version: run.app_version.clone(),
        llama_version: run.llama_version.clone(),
        loads: store.loads(run_id)?,
        aggregates: store.aggregates(run_id)?,
        resources: store.resource_figures(run_id)?,
        datasets: store.run_datasets(run_id)?,
        speed,
        run: run_summary(store, run_id)?,
    })
}

/// Every stored sample of run `run_id` (an error names a run that does not exist).
pub fn samples(store: &Store, run_id: i64) -> AppResult<Vec<SampleRow>> {
    store.run(run_id)?;
    Ok(store.samples(run_id)?)
}

/// The resource readings of run `run_id` (an error names a run that does not exist).
pub fn readings(store: &Store, run_id: i64) -> AppResult<Vec<Reading>> {
    store.run(run_id)?;
    Ok(store.readings(run_id)?)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ExportReport {
    pub path: String,
    pub rows: usize,
}

/// Writes the table of `kind` as CSV to `path` (already checked to be a place the user chose).
pub fn export_csv(
    store: &Store,
    kind: ExportKind,
    run_ids: &[i64],
    baseline: Option<i64>,
    path: &Path,
) -> AppResult<ExportReport> {
    let table = export::table(store, kind, run_ids, baseline)?;
    export::write_atomically(path, |w| table.write_csv(w))
        .map_err(|e| io_error(ErrorCode::Export, path, &e))?;
    Ok(ExportReport {
        path: path.display().to_string(),
        rows: table.rows.len(),
    })
}
