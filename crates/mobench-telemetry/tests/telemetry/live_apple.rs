//! The real Apple probe on this Mac (or iOS device or simulator).

use mobench_telemetry::{device_identity, PhaseTracker, Probe};

use crate::live::{
    assert_every_sensor_explained, explained, read_after_burning_a_core, readings_around_a_block,
    ru_maxrss,
};

#[test]
fn live_probe_reads_footprint_cpu_and_thermal_state() {
    let mut probe = Probe::new();
    let sensors = probe.sensors();
    assert_every_sensor_explained(&sensors);
    let tracker = PhaseTracker::new();
    let first = probe.read(&tracker);
    assert!(first.footprint_bytes.is_some_and(|f| f > 0), "{first:?}");
    let rss = first.rss_bytes.expect("resident_size");
    assert!(rss > 0);
    assert!(first.peak_rss_bytes.expect("resident_size_peak") >= rss);
    // NSProcessInfo.thermalState exists on every supported macOS and iOS.
    assert!(first.thermal_state.is_some(), "{sensors:?}");
    assert_eq!(first.temperature_c, None);

    let second = read_after_burning_a_core(&mut probe, &tracker);
    assert!(second.system_memory_available_bytes.is_some());

    assert!(second.battery_level_pct.is_some() || explained(&sensors, "battery"));
    assert!(second.headroom_bytes.is_some() || explained(&sensors, "headroom"));
}

#[test]
fn live_footprint_sees_growth_and_peak_agrees_with_getrusage() {
    let mut probe = Probe::new();
    let tracker = PhaseTracker::new();
    // 96 MiB, written so that it is dirty and counts in the footprint.
    let (before, after) = readings_around_a_block(&mut probe, &tracker);
    let grown = after.footprint_bytes.unwrap() as i64 - before.footprint_bytes.unwrap() as i64;
    assert!(grown >= 90 << 20, "footprint grew by {grown} bytes");

    let peak = probe.read(&tracker).peak_rss_bytes.unwrap() as f64;
    // ru_maxrss is in bytes on Apple.
    let maxrss = ru_maxrss();
    assert!(
        (peak - maxrss).abs() / maxrss < 0.10,
        "resident_size_peak {peak} vs ru_maxrss {maxrss}"
    );
}

#[test]
fn live_identity_names_the_device() {
    let id = device_identity();
    assert!(
        matches!(id.os.as_str(), "macOS" | "iOS" | "iPadOS"),
        "{}",
        id.os
    );
    let model = id.device_model.clone().expect("hw.model / hw.machine");
    assert!(
        ["Mac", "iMac", "iPhone", "iPad"]
            .iter()
            .any(|p| model.starts_with(p)),
        "{model}"
    );
    if cfg!(target_arch = "aarch64") {
        assert_eq!(id.metal, Some(true));
        assert!(id.performance_cores.is_some_and(|n| n >= 1), "{id:?}");
        assert!(id.efficiency_cores.is_some(), "{id:?}");
    }
    // A model in the table has a marketing name; any other says which identifier it lacks.
    assert!(
        id.device_name.is_some()
            || id
                .unavailable
                .iter()
                .any(|m| m.field == "device_name" && m.reason.contains(&model)),
        "{id:?}"
    );
}
