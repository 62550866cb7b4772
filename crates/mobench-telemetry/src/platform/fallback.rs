//! What platforms without a probe report: every sensor unavailable, with the reason, and an
//! identity from what `sysinfo` offers.

use crate::reading::SensorStatus;

const UNSUPPORTED: &str = "not supported on this platform";

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

/// The probe where there is none: what it reports, every sensor unavailable.
#[cfg_attr(
    any(target_os = "linux", target_os = "android", target_vendor = "apple"),
    allow(dead_code)
)]
pub(crate) fn probe() -> Vec<SensorStatus> {
    sensors_unavailable(UNSUPPORTED)
}

/// The platform parts of the identity where there is no backend: neither the model nor the GPU.
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
pub(crate) fn identity() -> crate::identity::PlatformIdentity {
    crate::identity::PlatformIdentity::not_apple(
        Err(UNSUPPORTED.to_string()),
        Err(UNSUPPORTED.to_string()),
    )
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
        let sensors = super::probe();
        assert_eq!(sensors.len(), super::SENSORS.len());
        assert!(sensors.iter().all(|s| !s.available && s.reason.is_some()));
    }
}
