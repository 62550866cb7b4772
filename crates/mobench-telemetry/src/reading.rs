//! One telemetry reading and the small vocabularies it uses.

use serde::{Deserialize, Serialize};

use crate::phase::Phase;

/// Thermal pressure in Apple's four levels; Linux thermal zones are mapped onto the same scale
/// so that devices can be compared (see `parse::thermal_state`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThermalState {
    Nominal,
    Fair,
    Serious,
    Critical,
}

impl ThermalState {
    pub const ALL: [ThermalState; 4] = [
        ThermalState::Nominal,
        ThermalState::Fair,
        ThermalState::Serious,
        ThermalState::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThermalState::Nominal => "nominal",
            ThermalState::Fair => "fair",
            ThermalState::Serious => "serious",
            ThermalState::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<ThermalState> {
        ThermalState::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Battery charging state, in the vocabulary of Linux's power_supply `status` attribute, which
/// is the richest of the platforms'.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatteryState {
    Charging,
    Discharging,
    Full,
    /// Plugged in but held below full (charge thresholds, optimised charging).
    NotCharging,
    Unknown,
}

impl BatteryState {
    pub const ALL: [BatteryState; 5] = [
        BatteryState::Charging,
        BatteryState::Discharging,
        BatteryState::Full,
        BatteryState::NotCharging,
        BatteryState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatteryState::Charging => "charging",
            BatteryState::Discharging => "discharging",
            BatteryState::Full => "full",
            BatteryState::NotCharging => "not_charging",
            BatteryState::Unknown => "unknown",
        }
    }

    /// Accepts both the stored names (`not_charging`) and sysfs's (`Not charging`).
    pub fn parse(s: &str) -> Option<BatteryState> {
        let normalised = s.trim().to_ascii_lowercase().replace(' ', "_");
        BatteryState::ALL
            .into_iter()
            .find(|b| b.as_str() == normalised)
    }

    /// Battery drain is only meaningful on battery power: a reading in one of these states means
    /// the figure for the whole run would mix in the charger.
    pub fn is_on_external_power(self) -> bool {
        matches!(
            self,
            BatteryState::Charging | BatteryState::Full | BatteryState::NotCharging
        )
    }
}

/// One sample of what the run costs the device. A `None` is a sensor this platform does not
/// offer or could not read at that moment; `Probe::sensors` says why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reading {
    /// Wall clock, so that readings from several sessions of a resumed run can be ordered.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unix_ms: i64,
    /// Monotonic milliseconds since this session's sampler started; intervals are measured on
    /// this clock because the wall clock can jump.
    pub elapsed_ms: f64,
    pub phase: Phase,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub sample_index: Option<u64>,
    /// Process CPU time over wall time since the previous reading; 100 = one core fully busy.
    pub process_cpu_pct: Option<f64>,
    /// Whole-machine busy time since the previous reading; 100 = every logical CPU fully busy.
    pub system_cpu_pct: Option<f64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub rss_bytes: Option<u64>,
    /// The process's high-water mark of resident memory (Linux `VmHWM`, Apple
    /// `resident_size_peak`).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub peak_rss_bytes: Option<u64>,
    /// Apple `phys_footprint`: what iOS's memory limit is enforced against.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub footprint_bytes: Option<u64>,
    /// iOS `os_proc_available_memory`: how much more the app may use before being killed.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub headroom_bytes: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub system_memory_used_bytes: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub system_memory_available_bytes: Option<u64>,
    pub battery_level_pct: Option<f64>,
    pub battery_state: Option<BatteryState>,
    /// Whole-device power draw from the battery, in watts.
    pub power_w: Option<f64>,
    pub thermal_state: Option<ThermalState>,
    /// The hottest thermal zone, in °C.
    pub temperature_c: Option<f64>,
}

/// Whether a sensor can be read here, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SensorStatus {
    /// One of `process_cpu`, `system_cpu`, `memory`, `peak_memory`, `footprint`, `headroom`,
    /// `system_memory`, `battery`, `power`, `thermal_state`, `temperature`.
    pub sensor: &'static str,
    pub available: bool,
    pub reason: Option<String>,
}

impl SensorStatus {
    pub fn available(sensor: &'static str) -> Self {
        SensorStatus {
            sensor,
            available: true,
            reason: None,
        }
    }

    pub fn unavailable(sensor: &'static str, reason: impl Into<String>) -> Self {
        SensorStatus {
            sensor,
            available: false,
            reason: Some(reason.into()),
        }
    }

    pub(crate) fn from_result<T>(sensor: &'static str, result: &Result<T, String>) -> Self {
        match result {
            Ok(_) => SensorStatus::available(sensor),
            Err(reason) => SensorStatus::unavailable(sensor, reason.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_state_parses_sysfs_and_stored_names() {
        assert_eq!(
            BatteryState::parse("Not charging\n"),
            Some(BatteryState::NotCharging)
        );
        assert_eq!(
            BatteryState::parse("not_charging"),
            Some(BatteryState::NotCharging)
        );
        assert_eq!(
            BatteryState::parse("Discharging"),
            Some(BatteryState::Discharging)
        );
        assert_eq!(BatteryState::parse("bogus"), None);
        for b in BatteryState::ALL {
            assert_eq!(BatteryState::parse(b.as_str()), Some(b));
            assert_eq!(
                serde_json::to_string(&b).unwrap(),
                format!("\"{}\"", b.as_str())
            );
        }
        assert!(BatteryState::NotCharging.is_on_external_power());
        assert!(BatteryState::Full.is_on_external_power());
        assert!(!BatteryState::Discharging.is_on_external_power());
        assert!(!BatteryState::Unknown.is_on_external_power());
    }

    #[test]
    fn thermal_states_are_ordered_by_severity() {
        assert!(ThermalState::Nominal < ThermalState::Fair);
        assert!(ThermalState::Serious < ThermalState::Critical);
        for t in ThermalState::ALL {
            assert_eq!(ThermalState::parse(t.as_str()), Some(t));
        }
    }
}
