//! Per-run figures computed from the stored readings.
//!
//! Aggregates are always recomputed from raw readings (never from other aggregates), so that a
//! run resumed in a later session is summarised as one run.

use std::collections::BTreeMap;
use std::time::Duration;

use mobench_metrics::figure;
use serde::{Deserialize, Serialize};

use crate::phase::Phase;
use crate::reading::{BatteryState, Reading, SensorStatus, ThermalState};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BatterySummary {
    Unavailable {
        reason: String,
    },
    /// Some reading was on external power, so no drain figure is given: averaging a charging
    /// stretch into a drain rate would flatter the model.
    Charging,
    Drain {
        pct_per_hour: f64,
        pct_per_1k_tokens: Option<f64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceSummary {
    /// Mean of the process CPU readings; 100 = one core.
    pub cpu_mean_pct: Option<f64>,
    /// 95th percentile of the process CPU readings (NumPy's linear definition).
    pub cpu_p95_pct: Option<f64>,
    /// Apple: the largest `phys_footprint`. Elsewhere: the largest of peak RSS (`VmHWM`) and RSS.
    pub peak_memory_bytes: Option<u64>,
    /// Memory in the last reading before the model started loading (or the first reading).
    pub baseline_memory_bytes: Option<u64>,
    /// Peak minus baseline: what running the model added.
    pub model_memory_bytes: Option<u64>,
    pub battery: BatterySummary,
    /// Whole-device energy from the battery per generated token, only on battery power.
    pub energy_j_per_token: Option<f64>,
    /// Milliseconds spent in each thermal state, gaps excluded; all four states are present
    /// whenever any thermal state was read.
    pub thermal_ms: BTreeMap<ThermalState, f64>,
    /// Run time (measured time since the first reading, time between sessions excluded) of the
    /// first reading above nominal.
    pub first_non_nominal_ms: Option<f64>,
    pub max_temperature_c: Option<f64>,
    pub readings: usize,
    /// Intervals not counted: longer than 4× the sampling interval, or between sessions.
    pub gaps: usize,
    /// (figure, reason) for every figure of [`ResourceSummary::figures`] that has no value.
    pub unavailable: Vec<(String, String)>,
}

/// Percentile of ascending values with linear interpolation between closest ranks (NumPy's
/// default "linear" method).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    match sorted.len() {
        0 => None,
        1 => Some(sorted[0]),
        n => {
            let rank = p.clamp(0.0, 100.0) / 100.0 * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = rank.ceil() as usize;
            Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
        }
    }
}

pub fn summarize(
    readings: &[Reading],
    interval: Duration,
    generated_tokens: u64,
) -> ResourceSummary {
    summarize_with_sensors(readings, interval, generated_tokens, &[])
}

/// As [`summarize`], but a figure missing because its sensor was unavailable gets the
/// sensor's own reason (e.g. "no thermal zones under /sys/class/thermal") instead of a generic one.
pub fn summarize_with_sensors(
    readings: &[Reading],
    interval: Duration,
    generated_tokens: u64,
    sensors: &[SensorStatus],
) -> ResourceSummary {
    let timeline = Timeline::new(readings, interval);
    let mut missing = Missing {
        list: Vec::new(),
        sensors,
        no_readings: readings.is_empty(),
    };

    // CPU
    let mut cpu: Vec<f64> = timeline
        .readings()
        .filter_map(|r| r.process_cpu_pct)
        .filter(|v| v.is_finite())
        .collect();
    cpu.sort_by(f64::total_cmp);
    let cpu_mean_pct = (!cpu.is_empty()).then(|| cpu.iter().sum::<f64>() / cpu.len() as f64);
    let cpu_p95_pct = percentile(&cpu, 95.0);
    if cpu.is_empty() {
        let reason = missing.reason(
            "process_cpu",
            "no reading had a process CPU figure (the first reading of a session never does)",
        );
        missing.add(
            &[figure::CPU_MEAN_PCT.name, figure::CPU_P95_PCT.name],
            &reason,
        );
    }

    // Memory
    let memory = memory_figures(&timeline);
    if memory.peak.is_none() {
        let sensor = if memory.footprint {
            "footprint"
        } else {
            "memory"
        };
        let reason = missing.reason(sensor, "no reading had a process memory figure");
        missing.add(
            &[
                figure::PEAK_MEMORY_BYTES.name,
                figure::BASELINE_MEMORY_BYTES.name,
                figure::MODEL_MEMORY_BYTES.name,
            ],
            &reason,
        );
    }

    // Battery and energy
    let battery = battery_summary(&timeline, generated_tokens, &mut missing);
    let energy_j_per_token = energy(&timeline, &battery, generated_tokens, &mut missing);

    // Thermal
    let mut thermal_ms = BTreeMap::new();
    let any_state = timeline.readings().any(|r| r.thermal_state.is_some());
    let mut first_non_nominal_ms = None;
    if any_state {
        for s in ThermalState::ALL {
            thermal_ms.insert(s, 0.0);
        }
        for iv in timeline.counted() {
            if let Some(state) = iv.a.thermal_state {
                *thermal_ms.entry(state).or_insert(0.0) += iv.ms;
            }
        }
        first_non_nominal_ms = timeline
            .points
            .iter()
            .find(|p| p.r.thermal_state.is_some_and(|s| s > ThermalState::Nominal))
            .map(|p| p.run_ms);
        if first_non_nominal_ms.is_none() {
            missing.push(
                figure::THERMAL_FIRST_NON_NOMINAL_MS.name,
                "the device stayed nominal",
            );
        }
    } else {
        let reason = missing.reason("thermal_state", "no reading had a thermal state");
        missing.add(
            &[
                figure::THERMAL_FIRST_NON_NOMINAL_MS.name,
                figure::THERMAL_NOMINAL_MS.name,
                figure::THERMAL_FAIR_MS.name,
                figure::THERMAL_SERIOUS_MS.name,
                figure::THERMAL_CRITICAL_MS.name,
            ],
            &reason,
        );
    }
    let max_temperature_c = timeline
        .readings()
        .filter_map(|r| r.temperature_c)
        .reduce(f64::max);
    if max_temperature_c.is_none() {
        let reason = missing.reason("temperature", "no reading had a temperature");
        missing.push(figure::TEMPERATURE_MAX_C.name, &reason);
    }

    ResourceSummary {
        cpu_mean_pct,
        cpu_p95_pct,
        peak_memory_bytes: memory.peak,
        baseline_memory_bytes: memory.baseline,
        model_memory_bytes: memory.model,
        battery,
        energy_j_per_token,
        thermal_ms,
        first_non_nominal_ms,
        max_temperature_c,
        readings: readings.len(),
        gaps: timeline.gaps,
        unavailable: missing.list,
    }
}

impl ResourceSummary {
    /// Every figure as (stable snake_case name, value, why missing), for storing as rows or
    /// CSV columns. A value and a reason never both appear.
    pub fn figures(&self) -> Vec<(&'static str, Option<f64>, Option<String>)> {
        let (drain_hour, drain_tokens) = match &self.battery {
            BatterySummary::Drain {
                pct_per_hour,
                pct_per_1k_tokens,
            } => (Some(*pct_per_hour), *pct_per_1k_tokens),
            _ => (None, None),
        };
        let thermal = |s: ThermalState| self.thermal_ms.get(&s).copied();
        let values: [(&'static str, Option<f64>); 14] = [
            (figure::CPU_MEAN_PCT.name, self.cpu_mean_pct),
            (figure::CPU_P95_PCT.name, self.cpu_p95_pct),
            (
                figure::PEAK_MEMORY_BYTES.name,
                self.peak_memory_bytes.map(|v| v as f64),
            ),
            (
                figure::BASELINE_MEMORY_BYTES.name,
                self.baseline_memory_bytes.map(|v| v as f64),
            ),
            (
                figure::MODEL_MEMORY_BYTES.name,
                self.model_memory_bytes.map(|v| v as f64),
            ),
            (figure::BATTERY_DRAIN_PCT_PER_HOUR.name, drain_hour),
            (figure::BATTERY_DRAIN_PCT_PER_1K_TOKENS.name, drain_tokens),
            (figure::ENERGY_J_PER_TOKEN.name, self.energy_j_per_token),
            (
                figure::THERMAL_FIRST_NON_NOMINAL_MS.name,
                self.first_non_nominal_ms,
            ),
            (
                figure::THERMAL_NOMINAL_MS.name,
                thermal(ThermalState::Nominal),
            ),
            (figure::THERMAL_FAIR_MS.name, thermal(ThermalState::Fair)),
            (
                figure::THERMAL_SERIOUS_MS.name,
                thermal(ThermalState::Serious),
            ),
            (
                figure::THERMAL_CRITICAL_MS.name,
                thermal(ThermalState::Critical),
            ),
            (figure::TEMPERATURE_MAX_C.name, self.max_temperature_c),
        ];
        values
            .into_iter()
            .map(|(name, value)| {
                let reason = value.is_none().then(|| {
                    self.unavailable
                        .iter()
                        .find(|(figure, _)| figure == name)
                        .map(|(_, reason)| reason.clone())
                        .unwrap_or_else(|| "not measured".to_string())
                });
                (name, value, reason)
            })
            .collect()
    }
}

/// Reasons for missing figures, preferring the sensor's own explanation.
struct Missing<'a> {
    list: Vec<(String, String)>,
    sensors: &'a [SensorStatus],
    no_readings: bool,
}

impl Missing<'_> {
    fn reason(&self, sensor: &str, fallback: &str) -> String {
        if self.no_readings {
            return "no telemetry readings were stored for this run".to_string();
        }
        self.sensors
            .iter()
            .find(|s| s.sensor == sensor && !s.available)
            .and_then(|s| s.reason.clone())
            .unwrap_or_else(|| fallback.to_string())
    }

    fn push(&mut self, figure: &str, reason: &str) {
        self.list.push((figure.to_string(), reason.to_string()));
    }

    fn add(&mut self, figures: &[&str], reason: &str) {
        for f in figures {
            self.push(f, reason);
        }
    }
}

struct Point<'a> {
    r: &'a Reading,
    /// Which session (sampler start) the reading belongs to, in time order.
    session: usize,
    /// Measured time since the run's first reading, time between sessions excluded.
    run_ms: f64,
}

struct Interval<'a> {
    a: &'a Reading,
    b: &'a Reading,
    ms: f64,
}

/// The readings in time order, split into sessions, with the intervals between them classified.
struct Timeline<'a> {
    points: Vec<Point<'a>>,
    /// Consecutive readings of one session, closer than the gap threshold.
    intervals: Vec<(usize, usize, f64)>,
    gaps: usize,
}

impl<'a> Timeline<'a> {
    fn new(readings: &'a [Reading], interval: Duration) -> Self {
        let interval_ms = interval.as_secs_f64() * 1000.0;
        let gap_ms = 4.0 * interval_ms;
        // A session starts where the monotonic clock restarts, or where the wall clock moved
        // far more than the monotonic one (a resumed run whose sampler happened to run longer).
        let mut sessions: Vec<Vec<&Reading>> = Vec::new();
        for r in readings {
            let new_session = match sessions.last().and_then(|s| s.last()) {
                None => true,
                Some(prev) => {
                    let mono = r.elapsed_ms - prev.elapsed_ms;
                    let wall = (r.unix_ms - prev.unix_ms) as f64;
                    mono < 0.0 || wall - mono > gap_ms.max(1000.0)
                }
            };
            if new_session {
                sessions.push(Vec::new());
            }
            if let Some(s) = sessions.last_mut() {
                s.push(r);
            }
        }
        sessions.sort_by_key(|s| s.first().map_or(i64::MAX, |r| r.unix_ms));

        let mut points = Vec::with_capacity(readings.len());
        let mut intervals = Vec::new();
        let mut gaps = sessions.len().saturating_sub(1);
        let mut offset = 0.0;
        for (session, rs) in sessions.iter().enumerate() {
            let start = rs.first().map_or(0.0, |r| r.elapsed_ms);
            for (i, r) in rs.iter().enumerate() {
                if i > 0 {
                    let ms = r.elapsed_ms - rs[i - 1].elapsed_ms;
                    if ms > gap_ms {
                        gaps += 1;
                    } else {
                        intervals.push((points.len() - 1, points.len(), ms));
                    }
                }
                points.push(Point {
                    r,
                    session,
                    run_ms: offset + (r.elapsed_ms - start),
                });
            }
            offset += rs.last().map_or(0.0, |r| r.elapsed_ms) - start;
        }
        Timeline {
            points,
            intervals,
            gaps,
        }
    }

    fn readings(&self) -> impl Iterator<Item = &'a Reading> + '_ {
        self.points.iter().map(|p| p.r)
    }

    fn counted(&self) -> impl Iterator<Item = Interval<'a>> + '_ {
        self.intervals.iter().map(|&(a, b, ms)| Interval {
            a: self.points[a].r,
            b: self.points[b].r,
            ms,
        })
    }

    fn counted_ms(&self) -> f64 {
        self.intervals.iter().map(|iv| iv.2).sum()
    }
}

struct MemoryFigures {
    footprint: bool,
    peak: Option<u64>,
    baseline: Option<u64>,
    model: Option<u64>,
}

fn memory_figures(t: &Timeline) -> MemoryFigures {
    // Apple's limit is enforced on the footprint, so where it exists it is the figure.
    let footprint = t.readings().any(|r| r.footprint_bytes.is_some());
    let current = |r: &Reading| {
        if footprint {
            r.footprint_bytes
        } else {
            r.rss_bytes
        }
    };
    let peak = t
        .readings()
        .flat_map(|r| {
            let peak_rss = if footprint { None } else { r.peak_rss_bytes };
            [current(r), peak_rss]
        })
        .flatten()
        .max();
    // Baseline: the first session's last reading before its first `loading` reading.
    let first_session: Vec<&Reading> = t
        .points
        .iter()
        .filter(|p| p.session == 0)
        .map(|p| p.r)
        .collect();
    let load_at = first_session.iter().position(|r| r.phase == Phase::Loading);
    let before_load =
        load_at.and_then(|i| first_session[..i].iter().rev().find_map(|r| current(r)));
    let baseline = before_load.or_else(|| t.readings().find_map(current));
    let model = match (peak, baseline) {
        (Some(p), Some(b)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    MemoryFigures {
        footprint,
        peak,
        baseline,
        model,
    }
}

fn battery_summary(t: &Timeline, generated_tokens: u64, missing: &mut Missing) -> BatterySummary {
    const FIGURES: [&str; 2] = [
        figure::BATTERY_DRAIN_PCT_PER_HOUR.name,
        figure::BATTERY_DRAIN_PCT_PER_1K_TOKENS.name,
    ];
    let has_battery = t
        .readings()
        .any(|r| r.battery_level_pct.is_some() || r.battery_state.is_some());
    if !has_battery {
        let reason = missing.reason(
            "battery",
            "no reading had a battery level or state (no battery, or it could not be read)",
        );
        missing.add(&FIGURES, &reason);
        return BatterySummary::Unavailable { reason };
    }
    if t.readings()
        .any(|r| r.battery_state.is_some_and(|s| s.is_on_external_power()))
    {
        missing.add(
            &FIGURES,
            "the device was charging or plugged in during the run",
        );
        return BatterySummary::Charging;
    }
    let unavailable = |missing: &mut Missing, reason: &str| {
        missing.add(&FIGURES, reason);
        BatterySummary::Unavailable {
            reason: reason.to_string(),
        }
    };
    if !t
        .readings()
        .any(|r| r.battery_state == Some(BatteryState::Discharging))
    {
        return unavailable(
            missing,
            "the battery never reported discharging, so the run cannot be shown to be on battery power",
        );
    }
    let (mut drop_pct, mut ms) = (0.0, 0.0);
    for iv in t.counted() {
        if let (Some(a), Some(b)) = (iv.a.battery_level_pct, iv.b.battery_level_pct) {
            drop_pct += a - b;
            ms += iv.ms;
        }
    }
    if ms <= 0.0 {
        return unavailable(
            missing,
            "fewer than two consecutive battery levels were read in any session",
        );
    }
    let pct_per_1k_tokens = if generated_tokens > 0 {
        Some(drop_pct / generated_tokens as f64 * 1000.0)
    } else {
        missing.push(FIGURES[1], "no tokens were generated");
        None
    };
    BatterySummary::Drain {
        pct_per_hour: drop_pct / (ms / 3_600_000.0),
        pct_per_1k_tokens,
    }
}

/// Share of the counted time that must have a power reading for the energy integral to stand
/// for the run.
const MIN_POWER_COVERAGE: f64 = 0.9;

fn energy(
    t: &Timeline,
    battery: &BatterySummary,
    generated_tokens: u64,
    missing: &mut Missing,
) -> Option<f64> {
    const FIGURE: &str = figure::ENERGY_J_PER_TOKEN.name;
    match battery {
        BatterySummary::Charging => {
            missing.push(
                FIGURE,
                "the device was charging or plugged in, so battery power is not the device's draw",
            );
            return None;
        }
        BatterySummary::Unavailable { reason } => {
            let reason = if t.readings().any(|r| r.power_w.is_some()) {
                reason.clone()
            } else {
                missing.reason("power", reason)
            };
            missing.push(FIGURE, &reason);
            return None;
        }
        BatterySummary::Drain { .. } => {}
    }
    if generated_tokens == 0 {
        missing.push(FIGURE, "no tokens were generated");
        return None;
    }
    let (mut joules, mut covered_ms) = (0.0, 0.0);
    for iv in t.counted() {
        if let (Some(a), Some(b)) = (iv.a.power_w, iv.b.power_w) {
            joules += (a + b) / 2.0 * iv.ms / 1000.0;
            covered_ms += iv.ms;
        }
    }
    let total_ms = t.counted_ms();
    if covered_ms <= 0.0 {
        let reason = missing.reason("power", "no two consecutive readings had a power draw");
        missing.push(FIGURE, &reason);
        return None;
    }
    if covered_ms < MIN_POWER_COVERAGE * total_ms {
        missing.push(
            FIGURE,
            &format!(
                "power draw was known for only {:.0} % of the run",
                covered_ms / total_ms * 100.0
            ),
        );
        return None;
    }
    Some(joules / generated_tokens as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_the_registrys_resource_figures() {
        let summary = summarize(&[], Duration::from_secs(1), 0);
        let names: Vec<_> = summary.figures().iter().map(|(name, ..)| *name).collect();
        let registered: Vec<_> = figure::RESOURCES.iter().map(|f| f.name).collect();
        assert_eq!(names, registered);
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 95, 0, 100])
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile(&v, 50.0), Some(3.0));
        assert!((percentile(&v, 95.0).unwrap() - 8.8).abs() < 1e-12);
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&v, 100.0), Some(10.0));
        assert_eq!(percentile(&[], 95.0), None);
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
    }
}
