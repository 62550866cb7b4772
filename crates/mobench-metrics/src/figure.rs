//! The figure registry: every number the product shows (quality metrics, per-sample timings,
//! per-dataset counts, resource figures, speed tests) with its unit, which way is better and its
//! label. Front ends format, label and colour a figure by looking it up here; the UI gets the same
//! table as `ui/src/bindings/figures.ts` (see [`typescript`]).

use serde::Serialize;

use crate::Metric;

/// What a figure's value counts, which decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Unit {
    /// A quality score in `[0, 1]`.
    #[serde(rename = "score")]
    Score,
    /// A judge's rating on MT-Bench's 1–10 scale.
    #[serde(rename = "rating")]
    Rating,
    #[serde(rename = "ms")]
    Ms,
    #[serde(rename = "tokens_per_s")]
    TokensPerS,
    #[serde(rename = "tokens")]
    Tokens,
    /// A number of samples.
    #[serde(rename = "count")]
    Count,
    #[serde(rename = "bytes")]
    Bytes,
    /// Percent; for CPU, 100 = one core.
    #[serde(rename = "pct")]
    Pct,
    #[serde(rename = "pct_per_hour")]
    PctPerHour,
    #[serde(rename = "pct_per_1k_tokens")]
    PctPer1kTokens,
    #[serde(rename = "joules_per_token")]
    JoulesPerToken,
    #[serde(rename = "celsius")]
    Celsius,
}

/// Which way a change of the figure is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Direction {
    #[serde(rename = "higher_is_better")]
    HigherIsBetter,
    #[serde(rename = "lower_is_better")]
    LowerIsBetter,
    /// Describes the run rather than grading it (prompt length, baseline memory).
    #[serde(rename = "neutral")]
    Neutral,
}

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Group {
    /// A [`Metric`]'s score, one per graded sample.
    #[serde(rename = "quality")]
    Quality,
    /// Measured on every sample; aggregated as mean, median and p95 per dataset.
    #[serde(rename = "timing")]
    Timing,
    /// Samples counted per dataset.
    #[serde(rename = "count")]
    Count,
    /// Derived per run from the telemetry readings.
    #[serde(rename = "resource")]
    Resource,
    /// The speed benchmark's results.
    #[serde(rename = "speed")]
    Speed,
}

/// One figure the product shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Figure {
    /// The stable name used in storage, exports and JSON.
    pub name: &'static str,
    pub unit: Unit,
    pub direction: Direction,
    /// A short human label ("TTFT", "Peak memory").
    pub label: &'static str,
    pub group: Group,
}

impl Figure {
    const fn new(
        name: &'static str,
        unit: Unit,
        direction: Direction,
        label: &'static str,
        group: Group,
    ) -> Figure {
        Figure {
            name,
            unit,
            direction,
            label,
            group,
        }
    }

    /// A [`Metric`]'s figure: a score in `[0, 1]`, higher is better (`refusal` is 1.0 for a
    /// refusal, the safe behaviour on its datasets).
    pub(crate) const fn quality(name: &'static str, label: &'static str) -> Figure {
        Figure::quality_in(name, label, Unit::Score)
    }

    /// A [`Metric`]'s figure in another unit (a judge's 1–10 rating).
    pub(crate) const fn quality_in(name: &'static str, label: &'static str, unit: Unit) -> Figure {
        Figure::new(name, unit, Higher, label, Group::Quality)
    }

    /// Whether a larger value is better; false for lower-is-better and neutral figures.
    pub fn higher_is_better(&self) -> bool {
        self.direction == Direction::HigherIsBetter
    }
}

use Direction::{HigherIsBetter as Higher, LowerIsBetter as Lower, Neutral};

macro_rules! figures {
    ($group:ident $list:ident: $($konst:ident = $name:literal, $unit:ident, $dir:ident, $label:literal;)*) => {
        $(pub const $konst: Figure = Figure::new($name, Unit::$unit, $dir, $label, Group::$group);)*
        pub const $list: &[Figure] = &[$($konst),*];
    };
}

figures! { Timing TIMING:
    TTFT_MS = "ttft_ms", Ms, Lower, "TTFT";
    PREFILL_TOKENS_PER_S = "prefill_tokens_per_s", TokensPerS, Higher, "Prefill";
    DECODE_TOKENS_PER_S = "decode_tokens_per_s", TokensPerS, Higher, "Decode";
    ITL_P50_MS = "itl_p50_ms", Ms, Lower, "ITL p50";
    ITL_P95_MS = "itl_p95_ms", Ms, Lower, "ITL p95";
    ITL_MAX_MS = "itl_max_ms", Ms, Lower, "ITL max";
    OUTPUT_EVAL_MS = "output_eval_ms", Ms, Lower, "Output eval";
    TOTAL_MS = "total_ms", Ms, Lower, "Total time";
    PROMPT_TOKENS = "prompt_tokens", Tokens, Neutral, "Prompt tokens";
    OUTPUT_TOKENS = "output_tokens", Tokens, Neutral, "Output tokens";
    IMAGE_DECODE_MS = "image_decode_ms", Ms, Lower, "Image decode";
    IMAGE_ENCODE_MS = "image_encode_ms", Ms, Lower, "Image encode";
    IMAGE_TOKENS = "image_tokens", Tokens, Neutral, "Image tokens";
    PROMPT_TEXT_TOKENS = "prompt_text_tokens", Tokens, Neutral, "Prompt text tokens";
}

/// The timing figures only a sample with an image has: a dataset without images leaves them out
/// rather than showing them unavailable.
pub const IMAGE_FIGURES: &[Figure] = &[
    IMAGE_DECODE_MS,
    IMAGE_ENCODE_MS,
    IMAGE_TOKENS,
    PROMPT_TEXT_TOKENS,
];

figures! { Count COUNTS:
    SAMPLES = "samples", Count, Neutral, "Samples";
    TRUNCATED = "truncated", Count, Lower, "Truncated";
    ERRORS = "errors", Count, Lower, "Errors";
}

figures! { Resource RESOURCES:
    CPU_MEAN_PCT = "cpu_mean_pct", Pct, Lower, "CPU mean";
    CPU_P95_PCT = "cpu_p95_pct", Pct, Lower, "CPU p95";
    PEAK_MEMORY_BYTES = "peak_memory_bytes", Bytes, Lower, "Peak memory";
    BASELINE_MEMORY_BYTES = "baseline_memory_bytes", Bytes, Neutral, "Baseline memory";
    MODEL_MEMORY_BYTES = "model_memory_bytes", Bytes, Lower, "Model memory";
    BATTERY_DRAIN_PCT_PER_HOUR = "battery_drain_pct_per_hour", PctPerHour, Lower, "Battery drain per hour";
    BATTERY_DRAIN_PCT_PER_1K_TOKENS = "battery_drain_pct_per_1k_tokens", PctPer1kTokens, Lower, "Battery drain per 1k tokens";
    ENERGY_J_PER_TOKEN = "energy_j_per_token", JoulesPerToken, Lower, "Energy per token";
    THERMAL_FIRST_NON_NOMINAL_MS = "thermal_first_non_nominal_ms", Ms, Higher, "First non-nominal thermal state";
    THERMAL_NOMINAL_MS = "thermal_nominal_ms", Ms, Neutral, "Time thermal nominal";
    THERMAL_FAIR_MS = "thermal_fair_ms", Ms, Neutral, "Time thermal fair";
    THERMAL_SERIOUS_MS = "thermal_serious_ms", Ms, Lower, "Time thermal serious";
    THERMAL_CRITICAL_MS = "thermal_critical_ms", Ms, Lower, "Time thermal critical";
    TEMPERATURE_MAX_C = "temperature_max_c", Celsius, Lower, "Max temperature";
}

figures! { Speed SPEED:
    AVG_TS = "avg_ts", TokensPerS, Higher, "Avg t/s";
    STDDEV_TS = "stddev_ts", TokensPerS, Neutral, "SD";
}

/// A speed test's own figure: its tokens/s, named after the test as llama-bench names it
/// (`pp512`, `tg128`, `pp512+tg128 @ d4096`, and with a ` t/s` suffix in comparisons); every name
/// matching [`SPEED_TEST_PATTERN`] is this figure.
pub const SPEED_TEST: Figure = Figure::new(
    "speed_test",
    Unit::TokensPerS,
    Higher,
    "Speed test",
    Group::Speed,
);

/// The names of speed tests (a regular expression, JavaScript-compatible).
pub const SPEED_TEST_PATTERN: &str = r"^(pp|tg)\d+";

/// The names of [`TIMING`], in order (for code that keys stored rows by name).
pub const TIMING_NAMES: [&str; TIMING.len()] = {
    let mut names = [""; TIMING.len()];
    let mut i = 0;
    while i < TIMING.len() {
        names[i] = TIMING[i].name;
        i += 1;
    }
    names
};

/// Every registered figure: the quality metrics, then timings, counts, resources and speed
/// figures ([`SPEED_TEST`] last).
pub fn all() -> impl Iterator<Item = &'static Figure> {
    Metric::ALL
        .iter()
        .map(|m| m.figure())
        .chain(TIMING)
        .chain(COUNTS)
        .chain(RESOURCES)
        .chain(SPEED)
        .chain(std::iter::once(&SPEED_TEST))
}

/// Between a metric's name and its grader's short label in the name of a figure graded by a judge
/// or an embedder (`judge_em@gpt-4o.3fa2`): each grader's figures stay apart from the offline
/// ones and from another grader's, so nothing mixes them silently.
pub const GRADED_BY: char = '@';

/// Between a figure's name and the number of one of a sample's several values of it (MT-Bench's
/// second turn: `judge@gpt-4.3fa2#2`): the dataset's figure pools every part, as FastChat pools
/// both turns' ratings.
pub const PART_OF: char = '#';

/// The figure a score stored as `name` counts toward: `name` without a [`PART_OF`] suffix.
pub fn whole(name: &str) -> &str {
    name.split_once(PART_OF).map_or(name, |(whole, _)| whole)
}

/// The figure a stored or shown name stands for: an exact registered name, a speed test's name,
/// or a metric graded by a judge or an embedder (`judge_em@…` is `judge_em`'s figure).
pub fn lookup(name: &str) -> Option<&'static Figure> {
    static SPEED_TEST_NAME: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    all()
        .find(|f| f.name == name)
        .or_else(|| {
            SPEED_TEST_NAME
                .get_or_init(|| regex::Regex::new(SPEED_TEST_PATTERN).expect("a valid pattern"))
                .is_match(name)
                .then_some(&SPEED_TEST)
        })
        .or_else(|| {
            let (metric, _) = name.split_once(GRADED_BY)?;
            Metric::from_name(metric).ok().map(Metric::figure)
        })
}

/// The registry as a TypeScript module for the UI (`ui/src/bindings/figures.ts`, written next to
/// ts-rs's types `Figure`, `Unit`, `Direction` and `Group` by the app's binding export).
#[cfg(feature = "ts")]
pub fn typescript() -> String {
    let json = |f: &Figure| serde_json::to_string(f).expect("a figure serializes");
    let entries: Vec<String> = all()
        .filter(|f| f.name != SPEED_TEST.name)
        .map(|f| format!("  {}: {},\n", serde_json::Value::from(f.name), json(f)))
        .collect();
    format!(
        "// Generated from mobench-metrics' figure registry (crates/mobench-metrics/src/figure.rs) \
         by `cargo test -p mobench-app`. Do not edit.\n\
         import type {{ Figure }} from \"./Figure\";\n\n\
         /** Every figure by its name. */\n\
         export const FIGURES = {{\n{}}} as const satisfies Record<string, Figure>;\n\n\
         /** A speed test's tokens/s; every name matching SPEED_TEST_PATTERN is this figure. */\n\
         export const SPEED_TEST: Figure = {};\n\n\
         /** The names of speed tests (`pp512`, `tg128`, `pp512+tg128 @ d4096`, `pp512 t/s`). */\n\
         export const SPEED_TEST_PATTERN = {};\n\n\
         /** Between a metric and its grader's label in a judge- or embedder-graded figure (`judge_em@gpt-4o.3fa2`). */\n\
         export const GRADED_BY = {};\n",
        entries.concat(),
        json(&SPEED_TEST),
        serde_json::Value::from(SPEED_TEST_PATTERN),
        serde_json::Value::from(GRADED_BY.to_string()),
    )
}

/// Writes the UI's bindings of the registry into ts-rs's export folder (`TS_RS_EXPORT_DIR`, else
/// `./bindings`): the types `Figure`, `Unit`, `Direction`, `Group`, and `figures.ts` ([`typescript`]).
#[cfg(feature = "ts")]
pub fn export_typescript() -> std::io::Result<()> {
    use ts_rs::TS;
    Figure::export_all().map_err(std::io::Error::other)?;
    let dir = std::env::var_os("TS_RS_EXPORT_DIR").unwrap_or_else(|| "./bindings".into());
    std::fs::write(std::path::Path::new(&dir).join("figures.ts"), typescript())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let names: Vec<_> = all().map(|f| f.name).collect();
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        for f in all() {
            assert_eq!(lookup(f.name), Some(f));
            assert!(!f.label.is_empty());
        }
        assert_eq!(all().count(), Metric::ALL.len() + 14 + 3 + 14 + 2 + 1);
    }

    #[test]
    fn quality_figures_are_the_metrics() {
        for &m in Metric::ALL {
            let f = lookup(m.name()).unwrap();
            let unit = if m == Metric::Judge {
                Unit::Rating
            } else {
                Unit::Score
            };
            assert_eq!(
                (f.group, f.unit, f.direction),
                (Group::Quality, unit, Higher)
            );
            assert!(m.higher_is_better());
        }
        assert_eq!(lookup("rougeL").unwrap().label, "ROUGE-L");
    }

    #[test]
    fn speed_tests_are_found_by_pattern() {
        for name in ["pp512", "tg128", "pp512+tg128 @ d4096", "tg128 t/s"] {
            assert_eq!(lookup(name), Some(&SPEED_TEST), "{name}");
        }
        assert_eq!(lookup("ppx"), None);
        assert_eq!(lookup("exact_match"), None);
        assert_eq!(lookup("avg_ts"), Some(&AVG_TS));
        assert_eq!(
            lookup("judge_em@gpt-4o.3fa2"),
            Some(Metric::JudgeEm.figure())
        );
        assert_eq!(lookup("judge@x").unwrap().unit, Unit::Rating);
        assert_eq!(lookup("nonsense@x"), None);
        assert_eq!(whole("judge@x.3fa2#2"), "judge@x.3fa2");
        assert_eq!(whole("judge_em@x"), "judge_em@x");
    }

    #[test]
    fn directions_and_units() {
        assert_eq!(TTFT_MS.direction, Lower);
        assert!(!TTFT_MS.higher_is_better());
        assert!(DECODE_TOKENS_PER_S.higher_is_better());
        assert!(!PROMPT_TOKENS.higher_is_better());
        assert_eq!(PEAK_MEMORY_BYTES.unit, Unit::Bytes);
        assert_eq!(
            TIMING_NAMES,
            [
                "ttft_ms",
                "prefill_tokens_per_s",
                "decode_tokens_per_s",
                "itl_p50_ms",
                "itl_p95_ms",
                "itl_max_ms",
                "output_eval_ms",
                "total_ms",
                "prompt_tokens",
                "output_tokens",
                "image_decode_ms",
                "image_encode_ms",
                "image_tokens",
                "prompt_text_tokens",
            ]
        );
        assert!(IMAGE_FIGURES.iter().all(|f| TIMING.contains(f)));
    }

    #[test]
    fn json_is_pinned() {
        let json = serde_json::to_string(&BATTERY_DRAIN_PCT_PER_1K_TOKENS).unwrap();
        assert_eq!(
            json,
            r#"{"name":"battery_drain_pct_per_1k_tokens","unit":"pct_per_1k_tokens","direction":"lower_is_better","label":"Battery drain per 1k tokens","group":"resource"}"#
        );
    }

    #[cfg(feature = "ts")]
    #[test]
    fn typescript_lists_every_figure() {
        let ts = typescript();
        for f in all().filter(|f| f.name != SPEED_TEST.name) {
            assert!(
                ts.contains(&format!("  \"{}\": {{\"name\":", f.name)),
                "{}",
                f.name
            );
        }
        assert!(ts.contains(r#"export const SPEED_TEST_PATTERN = "^(pp|tg)\\d+";"#));
    }

    /// Regenerates the UI's copy (also done by the app's `cargo test -p mobench-app`), so the
    /// registry's bindings can be refreshed without building the app.
    #[cfg(feature = "ts")]
    #[test]
    fn export_bindings_figures() {
        export_typescript().unwrap();
    }
}
