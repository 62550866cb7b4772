//! Speed runs (`mobench bench`): llama-bench-compatible test results and sustained-mode rounds.
//! The statistics are derived from the stored per-repetition times, never stored themselves.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::export::{Cell, Table};
use crate::{Result, Store, StoreError};

/// llama.cpp's flash-attention policy (`llama_flash_attn_type`; llama-bench prints it as -1/0/1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FlashAttn {
    #[default]
    Auto,
    On,
    Off,
}

impl FlashAttn {
    pub fn as_llama(self) -> i32 {
        match self {
            FlashAttn::Auto => -1,
            FlashAttn::Off => 0,
            FlashAttn::On => 1,
        }
    }
}

/// One test row: what is timed and with which settings. Lists given on the command line sweep,
/// one test per combination, in llama-bench's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchTest {
    pub n_prompt: u32,
    pub n_gen: u32,
    pub n_depth: u32,
    pub n_threads: u32,
    pub n_batch: u32,
    pub n_ubatch: u32,
    /// -1 = every layer, as llama-bench's default.
    pub n_gpu_layers: i32,
    pub flash_attn: FlashAttn,
}

impl BenchTest {
    /// llama-bench's name for the test: `pp512`, `tg128`, `pp512+tg128`, with ` @ d4096` for a depth.
    pub fn name(&self) -> String {
        let mut name = match (self.n_prompt, self.n_gen) {
            (p, 0) => format!("pp{p}"),
            (0, g) => format!("tg{g}"),
            (p, g) => format!("pp{p}+tg{g}"),
        };
        if self.n_depth > 0 {
            name.push_str(&format!(" @ d{}", self.n_depth));
        }
        name
    }

    /// The context llama-bench makes for the test: exactly what it holds at its end.
    pub fn n_ctx(&self) -> u32 {
        self.n_prompt + self.n_gen + self.n_depth
    }

    fn tokens(&self) -> u64 {
        u64::from(self.n_prompt) + u64::from(self.n_gen)
    }
}

/// One finished test: the settings and each repetition's wall time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BenchResult {
    pub test: BenchTest,
    pub samples_ns: Vec<u64>,
    /// When the test started, RFC 3339 to the second (llama-bench's `test_time`).
    pub test_time: String,
}

impl BenchResult {
    pub fn samples_ts(&self) -> Vec<f64> {
        let tokens = self.test.tokens() as f64;
        self.samples_ns
            .iter()
            .map(|&ns| tokens * 1e9 / ns as f64)
            .collect()
    }
    pub fn avg_ts(&self) -> f64 {
        mean(&self.samples_ts())
    }
    pub fn stddev_ts(&self) -> f64 {
        sample_sd(&self.samples_ts())
    }
    pub fn avg_ns(&self) -> f64 {
        mean(
            &self
                .samples_ns
                .iter()
                .map(|&n| n as f64)
                .collect::<Vec<_>>(),
        )
    }
    pub fn stddev_ns(&self) -> f64 {
        sample_sd(
            &self
                .samples_ns
                .iter()
                .map(|&n| n as f64)
                .collect::<Vec<_>>(),
        )
    }
}

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (n − 1), 0 for fewer than two values, as llama-bench reports it.
pub fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (v.len() - 1) as f64).sqrt()
}

/// What llama-bench prints about the model and the machine beside every result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct BenchModelMeta {
    /// llama.cpp's model description, e.g. `llama ?B F16`.
    pub model_type: String,
    /// Bytes of tensor data (llama.cpp's `llama_model_size`).
    pub model_size: u64,
    pub model_n_params: u64,
    pub cpu_info: String,
    pub gpu_info: String,
    pub backends: String,
}

/// One round of sustained mode.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoundResult {
    pub round: u32,
    /// Since the first round started, at this round's end.
    pub elapsed_ms: f64,
    pub tokens: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duration_ns: u64,
    pub tokens_per_s: f64,
    pub thermal_state: Option<String>,
    pub temperature_c: Option<f64>,
    pub cpu_pct: Option<f64>,
}

/// What a sustained run shows: where it started, where it was after 1, 5 and 10 minutes, and
/// how far it fell.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SustainedSummary {
    pub rounds: usize,
    pub duration_ms: f64,
    pub initial_ts: Option<f64>,
    /// (minutes, rate of the round running at that moment); None when the run was shorter.
    pub at_minutes: Vec<(u32, Option<f64>)>,
    pub last_ts: Option<f64>,
    pub last_over_first: Option<f64>,
    /// Since the first round started; None when the state never left nominal (or is unknown).
    pub first_non_nominal_ms: Option<f64>,
    /// Why no thermal state could be read, when none was.
    pub thermal_unavailable: Option<String>,
}

pub fn summarize_rounds(rounds: &[RoundResult]) -> SustainedSummary {
    let rate_at = |minutes: u32| -> Option<f64> {
        let t = f64::from(minutes) * 60_000.0;
        rounds
            .iter()
            .find(|r| r.elapsed_ms >= t)
            .map(|r| r.tokens_per_s)
    };
    let initial = rounds.first().map(|r| r.tokens_per_s);
    let last = rounds.last().map(|r| r.tokens_per_s);
    let first_non_nominal_ms = rounds
        .iter()
        .find(|r| r.thermal_state.as_deref().is_some_and(|s| s != "nominal"))
        .map(|r| r.elapsed_ms);
    SustainedSummary {
        rounds: rounds.len(),
        duration_ms: rounds.last().map_or(0.0, |r| r.elapsed_ms),
        initial_ts: initial,
        at_minutes: [1, 5, 10].iter().map(|&m| (m, rate_at(m))).collect(),
        last_ts: last,
        last_over_first: match (initial, last) {
            (Some(a), Some(b)) if a > 0.0 => Some(b / a),
            _ => None,
        },
        first_non_nominal_ms,
        thermal_unavailable: None,
    }
}

impl RoundResult {
    /// A round's rate: tokens × 1e9 / ns, as every speed figure.
    pub fn rate(tokens: u32, duration_ns: u64) -> f64 {
        f64::from(tokens) * 1e9 / duration_ns.max(1) as f64
    }
}

impl FlashAttn {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashAttn::Auto => "auto",
            FlashAttn::On => "on",
            FlashAttn::Off => "off",
        }
    }
    pub fn parse(s: &str) -> Option<FlashAttn> {
        match s {
            "auto" => Some(FlashAttn::Auto),
            "on" => Some(FlashAttn::On),
            "off" => Some(FlashAttn::Off),
            _ => None,
        }
    }
}

/// A stored test result with what llama-bench prints beside it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpeedRow {
    pub position: usize,
    pub result: BenchResult,
    pub meta: BenchModelMeta,
}

impl Store {
    pub fn insert_speed_result(
        &self,
        run_id: i64,
        position: usize,
        result: &BenchResult,
        meta: &BenchModelMeta,
    ) -> Result<()> {
        let t = &result.test;
        self.conn.execute(
            "INSERT INTO speed_results (run_id, position, n_prompt, n_gen, n_depth, n_threads,
                n_batch, n_ubatch, n_gpu_layers, flash_attn, model_type, model_size, model_n_params,
                cpu_info, gpu_info, backends, samples_ns_json, test_time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                run_id,
                position as i64,
                t.n_prompt,
                t.n_gen,
                t.n_depth,
                t.n_threads,
                t.n_batch,
                t.n_ubatch,
                t.n_gpu_layers,
                t.flash_attn.as_str(),
                meta.model_type,
                meta.model_size as i64,
                meta.model_n_params as i64,
                meta.cpu_info,
                meta.gpu_info,
                meta.backends,
                serde_json::to_string(&result.samples_ns).unwrap_or_default(),
                result.test_time,
            ],
        )?;
        Ok(())
    }

    pub fn speed_results(&self, run_id: i64) -> Result<Vec<SpeedRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT position, n_prompt, n_gen, n_depth, n_threads, n_batch, n_ubatch, n_gpu_layers,
                flash_attn, model_type, model_size, model_n_params, cpu_info, gpu_info, backends,
                samples_ns_json, test_time
             FROM speed_results WHERE run_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((
                SpeedRow {
                    position: r.get::<_, i64>(0)? as usize,
                    result: BenchResult {
                        test: BenchTest {
                            n_prompt: r.get(1)?,
                            n_gen: r.get(2)?,
                            n_depth: r.get(3)?,
                            n_threads: r.get(4)?,
                            n_batch: r.get(5)?,
                            n_ubatch: r.get(6)?,
                            n_gpu_layers: r.get(7)?,
                            flash_attn: FlashAttn::parse(&r.get::<_, String>(8)?)
                                .unwrap_or_default(),
                        },
                        samples_ns: Vec::new(),
                        test_time: r.get(16)?,
                    },
                    meta: BenchModelMeta {
                        model_type: r.get(9)?,
                        model_size: r.get::<_, i64>(10)? as u64,
                        model_n_params: r.get::<_, i64>(11)? as u64,
                        cpu_info: r.get(12)?,
                        gpu_info: r.get(13)?,
                        backends: r.get(14)?,
                    },
                },
                r.get::<_, String>(15)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut row, samples) = row?;
            row.result.samples_ns =
                serde_json::from_str(&samples).map_err(|source| StoreError::Json {
                    what: "speed_results.samples_ns_json",
                    source,
                })?;
            out.push(row);
        }
        Ok(out)
    }

    pub fn insert_speed_round(&self, run_id: i64, round: &RoundResult) -> Result<()> {
        self.conn.execute(
            "INSERT INTO speed_rounds (run_id, round, elapsed_ms, tokens, duration_ns,
                thermal_state, temperature_c, cpu_pct)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                run_id,
                round.round,
                round.elapsed_ms,
                round.tokens,
                round.duration_ns as i64,
                round.thermal_state,
                round.temperature_c,
                round.cpu_pct,
            ],
        )?;
        Ok(())
    }

    pub fn speed_rounds(&self, run_id: i64) -> Result<Vec<RoundResult>> {
        let mut stmt = self.conn.prepare(
            "SELECT round, elapsed_ms, tokens, duration_ns, thermal_state, temperature_c, cpu_pct
             FROM speed_rounds WHERE run_id = ?1 ORDER BY round",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            let tokens: u32 = r.get(2)?;
            let duration_ns = r.get::<_, i64>(3)? as u64;
            Ok(RoundResult {
                round: r.get(0)?,
                elapsed_ms: r.get(1)?,
                tokens,
                duration_ns,
                tokens_per_s: RoundResult::rate(tokens, duration_ns),
                thermal_state: r.get(4)?,
                temperature_c: r.get(5)?,
                cpu_pct: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// llama-bench's result fields, in its order (`test::get_fields()`), so its CSV and JSON readers
/// (`compare-llama-bench.py`, spreadsheets built on it) read ours.
pub const LLAMA_BENCH_FIELDS: &[&str] = &[
    "build_commit",
    "build_number",
    "cpu_info",
    "gpu_info",
    "backends",
    "model_filename",
    "model_type",
    "model_size",
    "model_n_params",
    "n_batch",
    "n_ubatch",
    "n_threads",
    "cpu_mask",
    "cpu_strict",
    "poll",
    "type_k",
    "type_v",
    "n_gpu_layers",
    "n_cpu_moe",
    "split_mode",
    "main_gpu",
    "no_kv_offload",
    "flash_attn",
    "devices",
    "tensor_split",
    "tensor_buft_overrides",
    "load_mode",
    "lazy_mode",
    "embeddings",
    "no_op_offload",
    "no_host",
    "repack",
    "fit_target",
    "fit_min_ctx",
    "n_prompt",
    "n_gen",
    "n_depth",
    "test_time",
    "avg_ns",
    "stddev_ns",
    "avg_ts",
    "stddev_ts",
];

/// Where a result row came from, for the fields llama-bench fills from its build and command line.
pub struct SpeedSource<'a> {
    pub model_filename: &'a str,
    /// The llama.cpp the engine was built with (llama-bench: the git commit of its tree).
    pub build_commit: &'a str,
}

/// One row per test in llama-bench's fields. Settings llama-bench can vary but we always run at
/// its defaults (CPU mask, poll, split mode, KV types, ...) carry llama-bench's default values.
/// `samples` adds the per-repetition `samples_ns`/`samples_ts` columns that its JSON carries.
pub fn llama_bench_table(rows: &[(SpeedSource, &SpeedRow)], samples: bool) -> Table {
    let mut columns: Vec<String> = LLAMA_BENCH_FIELDS.iter().map(|s| s.to_string()).collect();
    if samples {
        columns.push("samples_ns".into());
        columns.push("samples_ts".into());
    }
    let rows = rows
        .iter()
        .map(|(src, row)| {
            let t = &row.result.test;
            let r = &row.result;
            let m = &row.meta;
            let mut cells = vec![
                Cell::from(src.build_commit),
                Cell::Int(0),
                Cell::from(m.cpu_info.as_str()),
                Cell::from(m.gpu_info.as_str()),
                Cell::from(m.backends.as_str()),
                Cell::from(src.model_filename),
                Cell::from(m.model_type.as_str()),
                Cell::Int(m.model_size as i64),
                Cell::Int(m.model_n_params as i64),
                Cell::Int(t.n_batch.into()),
                Cell::Int(t.n_ubatch.into()),
                Cell::Int(t.n_threads.into()),
                Cell::from("0x0"),
                Cell::Bool(false),
                Cell::Int(50),
                Cell::from("f16"),
                Cell::from("f16"),
                Cell::Int(t.n_gpu_layers.into()),
                Cell::Int(0),
                Cell::from("layer"),
                Cell::Int(0),
                Cell::Bool(false),
                Cell::Int(t.flash_attn.as_llama().into()),
                Cell::from("auto"),
                Cell::from("0.00"),
                Cell::from("none"),
                Cell::from("auto"),
                Cell::from("auto"),
                Cell::Bool(false),
                Cell::Int(0),
                Cell::Bool(false),
                Cell::Bool(true),
                Cell::Int(0),
                Cell::Int(0),
                Cell::Int(t.n_prompt.into()),
                Cell::Int(t.n_gen.into()),
                Cell::Int(t.n_depth.into()),
                Cell::from(r.test_time.as_str()),
                Cell::Int(r.avg_ns() as i64),
                Cell::Int(r.stddev_ns() as i64),
                Cell::Num(Some(r.avg_ts())),
                Cell::Num(Some(r.stddev_ts())),
            ];
            if samples {
                cells.push(Cell::Json(serde_json::json!(r.samples_ns)));
                cells.push(Cell::Json(serde_json::json!(r.samples_ts())));
            }
            cells
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn test(n_prompt: u32, n_gen: u32) -> BenchTest {
        BenchTest {
            n_prompt,
            n_gen,
            n_depth: 0,
            n_threads: 2,
            n_batch: 2048,
            n_ubatch: 512,
            n_gpu_layers: -1,
            flash_attn: FlashAttn::Auto,
        }
    }

    #[test]
    fn test_names_follow_llama_bench() {
        let t = test(512, 0);
        assert_eq!(t.name(), "pp512");
        assert_eq!(test(0, 128).name(), "tg128");
        assert_eq!(test(512, 128).name(), "pp512+tg128");
        assert_eq!(BenchTest { n_depth: 4096, ..t }.name(), "pp512 @ d4096");
        assert_eq!(BenchTest { n_depth: 100, ..t }.n_ctx(), 612);
    }

    #[test]
    fn statistics_are_mean_and_sample_sd_of_per_repetition_rates() {
        let r = BenchResult {
            test: test(0, 100),
            samples_ns: vec![1_000_000_000, 500_000_000, 250_000_000],
            test_time: String::new(),
        };
        assert_eq!(r.samples_ts(), vec![100.0, 200.0, 400.0]);
        let m = 700.0 / 3.0;
        assert!((r.avg_ts() - m).abs() < 1e-9);
        let ss: f64 = [100.0, 200.0, 400.0]
            .iter()
            .map(|x| (x - m) * (x - m))
            .sum();
        assert!((r.stddev_ts() - (ss / 2.0).sqrt()).abs() < 1e-9);
        assert!((r.avg_ns() - 1_750_000_000.0 / 3.0).abs() < 1e-3);
        assert_eq!(sample_sd(&[5.0]), 0.0);
        // pg counts prompt and generated tokens over the whole time, as llama-bench does
        let pg = BenchResult {
            test: test(30, 10),
            samples_ns: vec![2_000_000_000],
            test_time: String::new(),
        };
        assert_eq!(pg.avg_ts(), 20.0);
    }

    #[test]
    fn sustained_summary_reads_rates_at_minutes_and_throttling() {
        let round = |i: u32, secs: f64, ts: f64, thermal: &str| RoundResult {
            round: i,
            elapsed_ms: secs * 1e3,
            tokens: 64,
            duration_ns: 1,
            tokens_per_s: ts,
            thermal_state: Some(thermal.into()),
            temperature_c: None,
            cpu_pct: None,
        };
        let rounds = vec![
            round(0, 10.0, 100.0, "nominal"),
            round(1, 70.0, 95.0, "nominal"),
            round(2, 200.0, 80.0, "fair"),
            round(3, 310.0, 70.0, "serious"),
        ];
        let s = summarize_rounds(&rounds);
        assert_eq!(s.initial_ts, Some(100.0));
        assert_eq!(
            s.at_minutes,
            vec![(1, Some(95.0)), (5, Some(70.0)), (10, None)]
        );
        assert_eq!(s.last_over_first, Some(0.7));
        assert_eq!(s.first_non_nominal_ms, Some(200_000.0));
    }

    #[test]
    fn results_and_rounds_round_trip_through_the_database() {
        let (store, run_id) = crate::test_run("speed");
        let result = BenchResult {
            test: BenchTest {
                n_depth: 64,
                flash_attn: FlashAttn::Off,
                ..test(32, 0)
            },
            samples_ns: vec![3, 4, 5],
            test_time: "2026-11-21T21:00:00Z".into(),
        };
        let meta = BenchModelMeta {
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
        assert_eq!(
            &table.columns[..LLAMA_BENCH_FIELDS.len()],
            LLAMA_BENCH_FIELDS
        );
        assert_eq!(table.rows[0].len(), table.columns.len());
        let json = table.to_json();
        assert_eq!(json[0]["n_depth"], 64);
        assert_eq!(json[0]["flash_attn"], 0);
        assert_eq!(json[0]["samples_ns"], serde_json::json!([3, 4, 5]));
    }
}
