//! Resource telemetry of a run: the sampler's readings stored raw, and the per-run figures
//! derived from them.

use mobench_telemetry::{BatteryState, Phase, Reading, ThermalState};
use rusqlite::types::Value;
use rusqlite::{params, Row};

use super::{insert_sql, insert_values, opt_int, select_list, stored, Store, Stored};
use crate::resources::ResourceFigure;
use crate::Result;

/// The stored columns of a reading.
const READING_COLUMNS: &[Stored<Reading>] = &[
    stored("unix_ms", |r| r.unix_ms.into()),
    stored("elapsed_ms", |r| r.elapsed_ms.into()),
    stored("phase", |r| r.phase.as_str().to_string().into()),
    stored("sample_index", |r| opt_int(r.sample_index)),
    stored("process_cpu_pct", |r| r.process_cpu_pct.into()),
    stored("system_cpu_pct", |r| r.system_cpu_pct.into()),
    stored("rss_bytes", |r| opt_int(r.rss_bytes)),
    stored("peak_rss_bytes", |r| opt_int(r.peak_rss_bytes)),
    stored("footprint_bytes", |r| opt_int(r.footprint_bytes)),
    stored("headroom_bytes", |r| opt_int(r.headroom_bytes)),
    stored("system_memory_used_bytes", |r| {
        opt_int(r.system_memory_used_bytes)
    }),
    stored("system_memory_available_bytes", |r| {
        opt_int(r.system_memory_available_bytes)
    }),
    stored("battery_level_pct", |r| r.battery_level_pct.into()),
    stored("battery_state", |r| {
        r.battery_state.map(|b| b.as_str().to_string()).into()
    }),
    stored("power_w", |r| r.power_w.into()),
    stored("thermal_state", |r| {
        r.thermal_state.map(|t| t.as_str().to_string()).into()
    }),
    stored("temperature_c", |r| r.temperature_c.into()),
];

fn reading_from_row(r: &Row) -> rusqlite::Result<Reading> {
    Ok(read!(
        r,
        Reading {
            unix_ms,
            elapsed_ms,
            phase: Phase::parse(&r.get::<_, String>("phase")?).unwrap_or_default(),
            sample_index,
            process_cpu_pct,
            system_cpu_pct,
            rss_bytes,
            peak_rss_bytes,
            footprint_bytes,
            headroom_bytes,
            system_memory_used_bytes,
            system_memory_available_bytes,
            battery_level_pct,
            battery_state: r
                .get::<_, Option<String>>("battery_state")?
                .and_then(|s| BatteryState::parse(&s)),
            power_w,
            thermal_state: r
                .get::<_, Option<String>>("thermal_state")?
                .and_then(|s| ThermalState::parse(&s)),
            temperature_c,
        }
    ))
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
            let mut st = tx.prepare_cached(&insert_sql(
                "resource_samples",
                &["run_id", "session"],
                READING_COLUMNS,
            ))?;
            for r in readings {
                st.execute(insert_values(
                    [Value::from(run_id), Value::from(session)],
                    READING_COLUMNS,
                    r,
                ))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every reading of a run, session by session, in time order.
    pub fn readings(&self, run_id: i64) -> Result<Vec<Reading>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {} FROM resource_samples r WHERE r.run_id = ?1 ORDER BY r.session, r.elapsed_ms",
            select_list("r", READING_COLUMNS)
        ))?;
        let rows = st.query_map([run_id], reading_from_row)?;
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
            Ok(read!(
                r,
                ResourceFigure {
                    figure,
                    value,
                    missing_reason,
                }
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::readings_table;

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
        let (mut store, run_id) = crate::db::test_run(crate::RunKind::Suite);
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
        // The export's columns are the stored ones, run id first.
        let stored: Vec<&str> = READING_COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(table.columns[0], "run_id");
        assert_eq!(table.columns[1..], stored);
        let json = table.to_json();
        assert_eq!(json[0]["phase"], "decode");
        assert_eq!(json[0]["battery_state"], "not_charging");
        assert_eq!(json[2]["rss_bytes"], 300.0);
    }
}
