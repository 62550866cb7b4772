//! The real Linux probe on this machine.

use mobench_telemetry::{PhaseTracker, Probe};

use crate::live::{
    assert_every_sensor_explained, explained, read_after_burning_a_core, readings_around_a_block,
    ru_maxrss,
};

#[test]
fn live_probe_reads_this_process() {
    let mut probe = Probe::new();
    let sensors = probe.sensors();
    assert_every_sensor_explained(&sensors);
    let tracker = PhaseTracker::new();
    let first = probe.read(&tracker);
    let rss = first.rss_bytes.expect("VmRSS");
    let peak = first.peak_rss_bytes.expect("VmHWM");
    assert!(rss > 0);
    assert!(peak >= rss);
    assert!(first.system_memory_available_bytes.is_some());

    let second = read_after_burning_a_core(&mut probe, &tracker);

    // Battery and thermal: a value, or the sensor says why not.
    assert!(second.battery_level_pct.is_some() || explained(&sensors, "battery"));
    assert!(
        second.power_w.is_some() || explained(&sensors, "power") || second.battery_state.is_some()
    );
    assert!(second.thermal_state.is_some() || explained(&sensors, "thermal_state"));
    assert!(second.temperature_c.is_some() || explained(&sensors, "temperature"));
}

#[test]
fn live_peak_memory_agrees_with_getrusage_and_sees_growth() {
    let mut probe = Probe::new();
    let tracker = PhaseTracker::new();
    let (before, after) = readings_around_a_block(&mut probe, &tracker);
    let grown = after.rss_bytes.unwrap() as i64 - before.rss_bytes.unwrap() as i64;
    assert!(grown >= 90 << 20, "RSS grew by {grown} bytes");

    let peak = probe.read(&tracker).peak_rss_bytes.unwrap() as f64;
    // ru_maxrss is in KiB on Linux.
    let maxrss = ru_maxrss() * 1024.0;
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
