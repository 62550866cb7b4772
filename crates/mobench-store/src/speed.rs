//! Speed runs (`mobench speed`): llama-bench-compatible test results and sustained-mode rounds.
//! The statistics are derived from the stored per-repetition times, never stored themselves.

use serde::{Deserialize, Serialize};

use crate::stats::{mean, sample_sd};

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
pub struct SpeedTest {
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

impl SpeedTest {
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
pub struct SpeedResult {
    pub test: SpeedTest,
    pub samples_ns: Vec<u64>,
    /// When the test started, RFC 3339 to the second (llama-bench's `test_time`).
    pub test_time: String,
}

impl SpeedResult {
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
        mean(&self.samples_ns_f64())
    }
    pub fn stddev_ns(&self) -> f64 {
        sample_sd(&self.samples_ns_f64())
    }
    fn samples_ns_f64(&self) -> Vec<f64> {
        self.samples_ns.iter().map(|&n| n as f64).collect()
    }
}

/// What llama-bench prints about the model and the machine beside every result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SpeedModelMeta {
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

/// A stored test result with what llama-bench prints beside it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpeedRow {
    pub position: usize,
    pub result: SpeedResult,
    pub meta: SpeedModelMeta,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn speed_test(n_prompt: u32, n_gen: u32) -> SpeedTest {
        SpeedTest {
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
        let t = speed_test(512, 0);
        assert_eq!(t.name(), "pp512");
        assert_eq!(speed_test(0, 128).name(), "tg128");
        assert_eq!(speed_test(512, 128).name(), "pp512+tg128");
        assert_eq!(SpeedTest { n_depth: 4096, ..t }.name(), "pp512 @ d4096");
        assert_eq!(SpeedTest { n_depth: 100, ..t }.n_ctx(), 612);
    }

    #[test]
    fn statistics_are_mean_and_sample_sd_of_per_repetition_rates() {
        let r = SpeedResult {
            test: speed_test(0, 100),
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
        // pg counts prompt and generated tokens over the whole time, as llama-bench does
        let pg = SpeedResult {
            test: speed_test(30, 10),
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
}
