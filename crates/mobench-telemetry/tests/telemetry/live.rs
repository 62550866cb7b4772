//! What the live tests of the Linux and Apple probes share.

use std::time::{Duration, Instant};

use mobench_telemetry::{PhaseTracker, Probe, Reading, SensorStatus};

/// Every sensor is available or says why not.
pub fn assert_every_sensor_explained(sensors: &[SensorStatus]) {
    for s in sensors {
        assert!(
            s.available || s.reason.as_deref().is_some_and(|r| !r.is_empty()),
            "{s:?}"
        );
    }
}

/// Whether the sensor `name` is reported unavailable with a reason.
pub fn explained(sensors: &[SensorStatus], name: &str) -> bool {
    sensors
        .iter()
        .any(|s| s.sensor == name && !s.available && s.reason.is_some())
}

/// Burns a core for 300 ms and reads: the process and the machine must look busy.
pub fn read_after_burning_a_core(probe: &mut Probe, tracker: &PhaseTracker) -> Reading {
    let until = Instant::now() + Duration::from_millis(300);
    let mut x = 0u64;
    while Instant::now() < until {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let reading = probe.read(tracker);
    let cpu = reading
        .process_cpu_pct
        .expect("process CPU on the second reading");
    assert!(cpu > 10.0, "{cpu} % after burning a core");
    assert!(reading.system_cpu_pct.is_some());
    reading
}

/// A reading before and one while a 96 MiB block is written (so resident and dirty).
pub fn readings_around_a_block(probe: &mut Probe, tracker: &PhaseTracker) -> (Reading, Reading) {
    let before = probe.read(tracker);
    let block = vec![1u8; 96 << 20];
    std::hint::black_box(&block);
    let during = probe.read(tracker);
    drop(block);
    (before, during)
}

/// `getrusage`'s `ru_maxrss` as the platform reports it: KiB on Linux, bytes on Apple.
pub fn ru_maxrss() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage.ru_maxrss as f64
    }
}
