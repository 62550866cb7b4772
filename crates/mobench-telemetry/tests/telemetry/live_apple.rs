//! The real Apple probe on this Mac (or iOS device or simulator).

use std::time::{Duration, Instant};

use mobench_telemetry::{device_identity, PhaseTracker, Probe};

#[test]
fn live_probe_reads_footprint_cpu_and_thermal_state() {
    let mut probe = Probe::new();
    let sensors = probe.sensors();
    for s in &sensors {
        assert!(
            s.available || s.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{s:?}"
        );
    }
    let tracker = PhaseTracker::new();
    let first = probe.read(&tracker);
    assert!(first.footprint_bytes.is_some_and(|f| f > 0), "{first:?}");
    let rss = first.rss_bytes.expect("resident_size");
    assert!(rss > 0);
    assert!(first.peak_rss_bytes.expect("resident_size_peak") >= rss);
    // NSProcessInfo.thermalState exists on every supported macOS and iOS.
    assert!(first.thermal_state.is_some(), "{sensors:?}");
    assert_eq!(first.temperature_c, None);

    let until = Instant::now() + Duration::from_millis(300);
    let mut x = 0u64;
    while Instant::now() < until {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let second = probe.read(&tracker);
    let cpu = second
        .process_cpu_pct
        .expect("process CPU on the second reading");
    assert!(cpu > 10.0, "{cpu} % after burning a core");
    assert!(second.system_cpu_pct.is_some());
    assert!(second.system_memory_available_bytes.is_some());

    let explained = |name: &str| {
        sensors
            .iter()
            .any(|s| s.sensor == name && !s.available && s.reason.is_some())
    };
    assert!(second.battery_level_pct.is_some() || explained("battery"));
    assert!(second.headroom_bytes.is_some() || explained("headroom"));
}

#[test]
fn live_footprint_sees_growth_and_peak_agrees_with_getrusage() {
    let mut probe = Probe::new();
    let tracker = PhaseTracker::new();
    let before = probe.read(&tracker);
    // 96 MiB, written so that it is dirty and counts in the footprint.
    let block = vec![1u8; 96 << 20];
    std::hint::black_box(&block);
    let after = probe.read(&tracker);
    drop(block);
    let grown = after.footprint_bytes.unwrap() as i64 - before.footprint_bytes.unwrap() as i64;
    assert!(grown >= 90 << 20, "footprint grew by {grown} bytes");

    let peak = probe.read(&tracker).peak_rss_bytes.unwrap() as f64;
    // SAFETY: getrusage only writes into the zeroed struct. ru_maxrss is in bytes on Apple.
    let maxrss = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage.ru_maxrss as f64
    };
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
