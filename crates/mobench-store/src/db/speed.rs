//! Speed runs' test results and sustained-mode rounds.

use rusqlite::types::Value;
use rusqlite::Row;

use super::{insert_sql, insert_values, int, json, select_list, stored, Store, Stored};
use crate::speed::{FlashAttn, RoundResult, SpeedModelMeta, SpeedResult, SpeedRow, SpeedTest};
use crate::Result;

/// The stored columns of a test result: its settings, what llama-bench prints beside it, and
/// the raw repetition times (the statistics are derived from them, never stored).
const RESULT_COLUMNS: &[Stored<SpeedRow>] = &[
    stored("position", |r| int(r.position as u64)),
    stored("n_prompt", |r| r.result.test.n_prompt.into()),
    stored("n_gen", |r| r.result.test.n_gen.into()),
    stored("n_depth", |r| r.result.test.n_depth.into()),
    stored("n_threads", |r| r.result.test.n_threads.into()),
    stored("n_batch", |r| r.result.test.n_batch.into()),
    stored("n_ubatch", |r| r.result.test.n_ubatch.into()),
    stored("n_gpu_layers", |r| r.result.test.n_gpu_layers.into()),
    stored("flash_attn", |r| {
        r.result.test.flash_attn.as_str().to_string().into()
    }),
    stored("model_type", |r| r.meta.model_type.clone().into()),
    stored("model_size", |r| int(r.meta.model_size)),
    stored("model_n_params", |r| int(r.meta.model_n_params)),
    stored("cpu_info", |r| r.meta.cpu_info.clone().into()),
    stored("gpu_info", |r| r.meta.gpu_info.clone().into()),
    stored("backends", |r| r.meta.backends.clone().into()),
    stored("samples_ns_json", |r| {
        serde_json::to_string(&r.result.samples_ns)
            .unwrap_or_default()
            .into()
    }),
    stored("test_time", |r| r.result.test_time.clone().into()),
];

/// The stored columns of a sustained-mode round (its rate is derived, never stored).
const ROUND_COLUMNS: &[Stored<RoundResult>] = &[
    stored("round", |r| r.round.into()),
    stored("elapsed_ms", |r| r.elapsed_ms.into()),
    stored("tokens", |r| r.tokens.into()),
    stored("duration_ns", |r| int(r.duration_ns)),
    stored("thermal_state", |r| r.thermal_state.clone().into()),
    stored("temperature_c", |r| r.temperature_c.into()),
    stored("cpu_pct", |r| r.cpu_pct.into()),
];

fn result_from_row(r: &Row) -> Result<SpeedRow> {
    Ok(SpeedRow {
        position: r.get("position")?,
        result: SpeedResult {
            test: read!(
                r,
                SpeedTest {
                    n_prompt,
                    n_gen,
                    n_depth,
                    n_threads,
                    n_batch,
                    n_ubatch,
                    n_gpu_layers,
                    flash_attn: FlashAttn::parse(&r.get::<_, String>("flash_attn")?)
                        .unwrap_or_default(),
                }
            ),
            samples_ns: json(r, "samples_ns_json", "speed_results.samples_ns_json")?,
            test_time: r.get("test_time")?,
        },
        meta: read!(
            r,
            SpeedModelMeta {
                model_type,
                model_size,
                model_n_params,
                cpu_info,
                gpu_info,
                backends,
            }
        ),
    })
}

fn round_from_row(r: &Row) -> rusqlite::Result<RoundResult> {
    let tokens: u32 = r.get("tokens")?;
    let duration_ns: u64 = r.get("duration_ns")?;
    Ok(read!(
        r,
        RoundResult {
            round,
            elapsed_ms,
            tokens: tokens,
            duration_ns: duration_ns,
            tokens_per_s: RoundResult::rate(tokens, duration_ns),
            thermal_state,
            temperature_c,
            cpu_pct,
        }
    ))
}

impl Store {
    pub fn insert_speed_result(
        &self,
        run_id: i64,
        position: usize,
        result: &SpeedResult,
        meta: &SpeedModelMeta,
    ) -> Result<()> {
        let row = SpeedRow {
            position,
            result: result.clone(),
            meta: meta.clone(),
        };
        self.conn.execute(
            &insert_sql("speed_results", &["run_id"], RESULT_COLUMNS),
            insert_values([Value::from(run_id)], RESULT_COLUMNS, &row),
        )?;
        Ok(())
    }

    pub fn speed_results(&self, run_id: i64) -> Result<Vec<SpeedRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {} FROM speed_results r WHERE r.run_id = ?1 ORDER BY r.position",
            select_list("r", RESULT_COLUMNS)
        ))?;
        let mut rows = st.query([run_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(result_from_row(r)?);
        }
        Ok(out)
    }

    pub fn insert_speed_round(&self, run_id: i64, round: &RoundResult) -> Result<()> {
        self.conn.execute(
            &insert_sql("speed_rounds", &["run_id"], ROUND_COLUMNS),
            insert_values([Value::from(run_id)], ROUND_COLUMNS, round),
        )?;
        Ok(())
    }

    pub fn speed_rounds(&self, run_id: i64) -> Result<Vec<RoundResult>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {} FROM speed_rounds r WHERE r.run_id = ?1 ORDER BY r.round",
            select_list("r", ROUND_COLUMNS)
        ))?;
        let rows = st.query_map([run_id], round_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{llama_bench_table, SpeedSource};
    use crate::speed::tests::speed_test;

    #[test]
    fn results_and_rounds_round_trip_through_the_database() {
        let (store, run_id) = crate::db::test_run(crate::RunKind::Speed);
        let result = SpeedResult {
            test: SpeedTest {
                n_depth: 64,
                flash_attn: FlashAttn::Off,
                ..speed_test(32, 0)
            },
            samples_ns: vec![3, 4, 5],
            test_time: "2026-11-21T21:00:00Z".into(),
        };
        let meta = SpeedModelMeta {
            model_type: "llama ?B F32".into(),
            model_size: 10,
            model_n_params: 5,
            cpu_info: "cpu".into(),
            gpu_info: String::new(),
            backends: "CPU".into(),
        };
        store
            .insert_speed_result(run_id, 0, &result, &meta)
            .unwrap();
        let rows = store.speed_results(run_id).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].result, result);
        assert_eq!(rows[0].meta, meta);
        let round = RoundResult {
            round: 0,
            elapsed_ms: 12.5,
            tokens: 64,
            duration_ns: 500_000_000,
            tokens_per_s: 128.0,
            thermal_state: Some("nominal".into()),
            temperature_c: None,
            cpu_pct: Some(99.0),
        };
        store.insert_speed_round(run_id, &round).unwrap();
        assert_eq!(store.speed_rounds(run_id).unwrap(), vec![round]);

        let table = llama_bench_table(
            &[(
                SpeedSource {
                    model_filename: "m.gguf",
                    build_commit: "x",
                },
                &rows[0],
            )],
            true,
        );
        assert_eq!(table.columns.len(), 44);
        assert_eq!(table.columns[0], "build_commit");
        assert_eq!(table.columns[41], "stddev_ts");
        assert_eq!(table.rows[0].len(), table.columns.len());
        let json = table.to_json();
        assert_eq!(json[0]["n_depth"], 64);
        assert_eq!(json[0]["flash_attn"], 0);
        assert_eq!(json[0]["samples_ns"], serde_json::json!([3, 4, 5]));
    }
}
