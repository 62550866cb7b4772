//! Resource telemetry of a run: the sampler's readings stored raw, and the per-run figures
//! derived from them (CPU, memory, battery, energy, thermal), each with its reason when missing.

use mobench_telemetry::{BatteryState, Phase, Reading, ThermalState};
use rusqlite::params;
use serde::Serialize;

use crate::export::{Cell, Table};
use crate::{Result, Store};

/// A per-run resource figure; `value` is None exactly when `missing_reason` says why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceFigure {
    pub figure: String,
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
}

/// The columns of a stored reading, in table order (also the telemetry CSV's header).
pub const READING_COLUMNS: &[&str] = &[
    "unix_ms",
    "elapsed_ms",
    "phase",
    "sample_index",
    "process_cpu_pct",
    "system_cpu_pct",
    "rss_bytes",
    "peak_rss_bytes",
    "footprint_bytes",
    "headroom_bytes",
    "system_memory_used_bytes",
    "system_memory_available_bytes",
    "battery_level_pct",
    "battery_state",
    "power_w",
    "thermal_state",
    "temperature_c",
];

fn opt_i64(v: Option<u64>) -> Option<i64> {
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl Store {
    /// The session number for readings of a new process working on `run_id`.
    pub fn next_resource_session(&self, run_id: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(MAX(session), 0) + 1 FROM resource_samples WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?)
    }

    /// Stores readings in one transaction.
    pub fn insert_readings(
        &mut self,
        run_id: i64,
        session: i64,
        readings: &[Reading],
    ) -> Result<()> {
        if readings.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO resource_samples (run_id, session, unix_ms, elapsed_ms, phase,
                    sample_index, process_cpu_pct, system_cpu_pct, rss_bytes, peak_rss_bytes,
                    footprint_bytes, headroom_bytes, system_memory_used_bytes,
                    system_memory_available_bytes, battery_level_pct, battery_state, power_w,
                    thermal_state, temperature_c)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19)",
            )?;
            for r in readings {
                st.execute(params![
                    run_id,
                    session,
                    r.unix_ms,
                    r.elapsed_ms,
                    r.phase.as_str(),
                    opt_i64(r.sample_index),
                    r.process_cpu_pct,
                    r.system_cpu_pct,
                    opt_i64(r.rss_bytes),
                    opt_i64(r.peak_rss_bytes),
                    opt_i64(r.footprint_bytes),
                    opt_i64(r.headroom_bytes),
                    opt_i64(r.system_memory_used_bytes),
                    opt_i64(r.system_memory_available_bytes),
                    r.battery_level_pct,
                    r.battery_state.map(BatteryState::as_str),
                    r.power_w,
                    r.thermal_state.map(ThermalState::as_str),
                    r.temperature_c,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every reading of a run, session by session, in time order.
    pub fn readings(&self, run_id: i64) -> Result<Vec<Reading>> {
        let mut st = self.conn.prepare(
            "SELECT unix_ms, elapsed_ms, phase, sample_index, process_cpu_pct, system_cpu_pct,
                rss_bytes, peak_rss_bytes, footprint_bytes, headroom_bytes,
                system_memory_used_bytes, system_memory_available_bytes, battery_level_pct,
                battery_state, power_w, thermal_state, temperature_c
             FROM resource_samples WHERE run_id = ?1 ORDER BY session, elapsed_ms",
        )?;
        let u = |v: Option<i64>| v.map(|v| v.max(0) as u64);
        let rows = st.query_map([run_id], |r| {
            Ok(Reading {
                unix_ms: r.get(0)?,
                elapsed_ms: r.get(1)?,
                phase: Phase::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
                sample_index: u(r.get(3)?),
                process_cpu_pct: r.get(4)?,
                system_cpu_pct: r.get(5)?,
                rss_bytes: u(r.get(6)?),
                peak_rss_bytes: u(r.get(7)?),
                footprint_bytes: u(r.get(8)?),
                headroom_bytes: u(r.get(9)?),
                system_memory_used_bytes: u(r.get(10)?),
                system_memory_available_bytes: u(r.get(11)?),
                battery_level_pct: r.get(12)?,
                battery_state: r
                    .get::<_, Option<String>>(13)?
                    .and_then(|s| BatteryState::parse(&s)),
                power_w: r.get(14)?,
                thermal_state: r
                    .get::<_, Option<String>>(15)?
                    .and_then(|s| ThermalState::parse(&s)),
                temperature_c: r.get(16)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces a run's resource figures (they are recomputed from all its readings).
    pub fn set_resource_figures(&mut self, run_id: i64, figures: &[ResourceFigure]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM run_resources WHERE run_id = ?1", [run_id])?;
        for f in figures {
            // The table's CHECK wants exactly one of value and reason.
            let reason = match (&f.value, &f.missing_reason) {
                (None, None) => Some("not measured".to_string()),
                (Some(_), _) => None,
                (None, r) => r.clone(),
            };
            tx.execute(
                "INSERT INTO run_resources (run_id, figure, value, missing_reason) VALUES (?1, ?2, ?3, ?4)",
                params![run_id, f.figure, f.value, reason],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn resource_figures(&self, run_id: i64) -> Result<Vec<ResourceFigure>> {
        let mut st = self.conn.prepare(
            "SELECT figure, value, missing_reason FROM run_resources WHERE run_id = ?1 ORDER BY rowid",
        )?;
        let rows = st.query_map([run_id], |r| {
            Ok(ResourceFigure {
                figure: r.get(0)?,
                value: r.get(1)?,
                missing_reason: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The time series of runs as a table: one row per reading, run id and session first.
pub fn readings_table(runs: &[(i64, Vec<Reading>)]) -> Table {
    let mut columns = vec!["run_id".to_string()];
    columns.extend(READING_COLUMNS.iter().map(|c| c.to_string()));
    let int = |v: Option<u64>| Cell::Num(v.map(|v| v as f64));
    let rows = runs
        .iter()
        .flat_map(|(run_id, readings)| {
            readings.iter().map(move |r| {
                vec![
                    Cell::Int(*run_id),
                    Cell::Int(r.unix_ms),
                    Cell::Num(Some(r.elapsed_ms)),
                    Cell::from(r.phase.as_str()),
                    int(r.sample_index),
                    Cell::Num(r.process_cpu_pct),
                    Cell::Num(r.system_cpu_pct),
                    int(r.rss_bytes),
                    int(r.peak_rss_bytes),
                    int(r.footprint_bytes),
                    int(r.headroom_bytes),
                    int(r.system_memory_used_bytes),
                    int(r.system_memory_available_bytes),
                    Cell::Num(r.battery_level_pct),
                    Cell::from(r.battery_state.map(|b| b.as_str().to_string())),
                    Cell::Num(r.power_w),
                    Cell::from(r.thermal_state.map(|t| t.as_str().to_string())),
                    Cell::Num(r.temperature_c),
                ]
            })
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(elapsed_ms: f64, rss: u64) -> Reading {
        Reading {
            unix_ms: 1_700_000_000_000 + elapsed_ms as i64,
            elapsed_ms,
            phase: Phase::Decode,
            sample_index: Some(3),
            process_cpu_pct: Some(97.5),
            rss_bytes: Some(rss),
            peak_rss_bytes: Some(rss + 10),
            battery_state: Some(BatteryState::NotCharging),
            thermal_state: Some(ThermalState::Fair),
            ..Reading::default()
        }
    }

    #[test]
    fn readings_and_figures_round_trip() {
        let (mut store, run_id) = crate::test_run("suite");
        assert_eq!(store.next_resource_session(run_id).unwrap(), 1);
        let first = vec![reading(0.0, 100), reading(250.0, 200)];
        store.insert_readings(run_id, 1, &first).unwrap();
        assert_eq!(store.next_resource_session(run_id).unwrap(), 2);
        // A resumed session restarts its clock; it still comes after the first session.
        let second = vec![reading(0.0, 300)];
        store.insert_readings(run_id, 2, &second).unwrap();
        let back = store.readings(run_id).unwrap();
        assert_eq!(back, [first, second].concat());

        let figures = vec![
            ResourceFigure {
                figure: "cpu_mean_pct".into(),
                value: Some(97.5),
                missing_reason: None,
            },
            ResourceFigure {
                figure: "battery_drain_pct_per_hour".into(),
                value: None,
                missing_reason: Some("no battery".into()),
            },
        ];
        store.set_resource_figures(run_id, &figures).unwrap();
        store.set_resource_figures(run_id, &figures).unwrap();
        assert_eq!(store.resource_figures(run_id).unwrap(), figures);

        let table = readings_table(&[(run_id, store.readings(run_id).unwrap())]);
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.columns.len(), READING_COLUMNS.len() + 1);
        let json = table.to_json();
        assert_eq!(json[0]["phase"], "decode");
        assert_eq!(json[0]["battery_state"], "not_charging");
        assert_eq!(json[2]["rss_bytes"], 300.0);
    }
}
