//! What platforms without a probe report: every sensor unavailable, with the reason.

use crate::reading::SensorStatus;

pub(crate) const SENSORS: [&str; 11] = [
    "process_cpu",
    "system_cpu",
    "memory",
    "peak_memory",
    "footprint",
    "headroom",
    "system_memory",
    "battery",
    "power",
    "thermal_state",
    "temperature",
];

#[cfg_attr(
    any(target_os = "linux", target_os = "android", target_vendor = "apple"),
    allow(dead_code)
)]
pub(crate) fn sensors() -> Vec<SensorStatus> {
    sensors_unavailable("not supported on this platform")
}

/// Every sensor unavailable for one reason; also what a sampler reports when its thread could
/// not say what it found.
pub(crate) fn sensors_unavailable(reason: &str) -> Vec<SensorStatus> {
    SENSORS
        .into_iter()
        .map(|s| SensorStatus::unavailable(s, reason))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_sensor_is_unavailable_with_a_reason() {
        let sensors = super::sensors();
        assert_eq!(sensors.len(), super::SENSORS.len());
        assert!(sensors.iter().all(|s| !s.available && s.reason.is_some()));
    }
}
