//! One run in detail (the app's run screen and `mobench show --json`), its samples and resource
//! readings, and a table written out as CSV.

use std::path::Path;

use mobench_engine::SpeedRequest;
use mobench_metrics::figure;
use mobench_store::resources::ResourceFigure;
use mobench_store::speed::{summarize_rounds, RoundResult, SustainedSummary};
use mobench_store::{AggregateRow, LoadRow, RunDatasetRow, RunKind, RunRow, SampleRow, Store};
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
    /// A sustained speed run's rounds and what they show; `None` for every other run.
    pub sustained: Option<Sustained>,
}

/// A sustained speed run: its rounds and what they show.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Sustained {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    pub summary: SustainedSummary,
    pub rounds: Vec<RoundResult>,
}

/// The rounds of run `run` and their summary, when it is a sustained speed run.
pub fn sustained(store: &Store, run: &RunRow) -> AppResult<Option<Sustained>> {
    let is_sustained = run.kind == RunKind::Speed
        && serde_json::from_str::<SpeedRequest>(&run.settings_json)
            .is_ok_and(|r| r.sustained.is_some());
    if !is_sustained {
        return Ok(None);
    }
    let rounds = store.speed_rounds(run.id)?;
    let mut summary = summarize_rounds(&rounds);
    if rounds.iter().all(|r| r.thermal_state.is_none()) {
        // The run's telemetry says why there was no thermal state to record.
        summary.thermal_unavailable = store
            .resource_figures(run.id)?
            .into_iter()
            .find(|f| f.figure == figure::THERMAL_FIRST_NON_NOMINAL_MS.name)
            .and_then(|f| f.missing_reason)
            .or_else(|| Some("no thermal state was recorded".into()));
    }
    Ok(Some(Sustained {
        run_id: run.id,
        summary,
        rounds,
    }))
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
        sustained: sustained(store, &run)?,
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
