//! The real Linux probe on this machine.

use std::time::{Duration, Instant};

use mobench_telemetry::{PhaseTracker, Probe};

#[test]
fn live_probe_reads_this_process() {
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
    let rss = first.rss_bytes.expect("VmRSS");
    let peak = first.peak_rss_bytes.expect("VmHWM");
    assert!(rss > 0);
    assert!(peak >= rss);
    assert!(first.system_memory_available_bytes.is_some());

    // Burn a core for 300 ms.
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

    // Battery and thermal: a value, or the sensor says why not.
    let explained = |name: &str| {
        sensors
            .iter()
            .any(|s| s.sensor == name && !s.available && s.reason.is_some())
    };
    assert!(second.battery_level_pct.is_some() || explained("battery"));
    assert!(second.power_w.is_some() || explained("power") || second.battery_state.is_some());
    assert!(second.thermal_state.is_some() || explained("thermal_state"));
    assert!(second.temperature_c.is_some() || explained("temperature"));
}

#[test]
fn live_peak_memory_agrees_with_getrusage_and_sees_growth() {
    let mut probe = Probe::new();
    let tracker = PhaseTracker::new();
    let before = probe.read(&tracker);
    // 96 MiB, touched so that it is resident.
    let block = vec![1u8; 96 << 20];
    std::hint::black_box(&block);
    let after = probe.read(&tracker);
    drop(block);
    let grown = after.rss_bytes.unwrap() as i64 - before.rss_bytes.unwrap() as i64;
    assert!(grown >= 90 << 20, "RSS grew by {grown} bytes");

    let peak = probe.read(&tracker).peak_rss_bytes.unwrap() as f64;
    // SAFETY: getrusage only writes into the zeroed struct.
    let maxrss_kib = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage.ru_maxrss as f64
    };
    let maxrss = maxrss_kib * 1024.0;
    // ru_maxrss is an upper bound, not an equal: Linux carries into it the peak of the image
    // this process replaced at exec, i.e. of the forked parent (cargo, which is larger in a
    // big workspace). VmHWM counts this image only, and must have seen the 96 MiB block (the
    // kernel folds per-thread RSS counters in lazily, so allow a little below the RSS read).
    assert!(
        peak <= maxrss * 1.02,
        "VmHWM {peak} above ru_maxrss {maxrss}"
    );
    assert!(
        peak >= after.rss_bytes.unwrap() as f64 * 0.95,
        "VmHWM {peak} below the RSS read while the block was resident ({:?})",
        after.rss_bytes
    );
}
