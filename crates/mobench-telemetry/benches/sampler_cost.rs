//! What the sampler costs the device it measures.
//!
//! Runs the sampler at the default interval while the main thread sleeps, and prints the
//! sampler thread's CPU time as a share of one core (target: under 0.5 % at 250 ms), cross-checked
//! against the whole process's CPU time over the same period, plus the cost of one
//! `Probe::read`.
//!
//! `cargo bench -p mobench-telemetry --bench sampler_cost -- --seconds 10`

use std::time::{Duration, Instant};

use mobench_telemetry::{LinuxPaths, PhaseTracker, Probe, Sampler, SamplerConfig};

fn main() {
    let seconds = parse_seconds();

    // One Probe::read, warmed up, as wall time and as this thread's CPU time.
    let tracker = PhaseTracker::new();
    let probe = Probe::new();
    let sensors = probe.sensors();
    time_reads("probe read, this machine", probe, &tracker);
    // Every Linux sensor present (battery, three thermal zones), as regular files: the syscall
    // count of a laptop, though not the cost of its ACPI battery driver.
    let laptop =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roots/laptop");
    time_reads(
        "probe read, laptop fixture layout",
        Probe::linux(LinuxPaths::under(&laptop)),
        &tracker,
    );
    for s in sensors {
        match &s.reason {
            None => println!("  sensor {:<14} available", s.sensor),
            Some(r) => println!("  sensor {:<14} unavailable: {r}", s.sensor),
        }
    }

    let config = SamplerConfig::default();
    let mut count = 0usize;
    let process0 = process_cpu();
    let sampler = Sampler::start(config, tracker, move |r| {
        count += 1;
        std::hint::black_box((count, r));
    })
    .expect("start the sampler");
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let report = sampler.stop();
    let process_ms = (process_cpu() - process0).as_secs_f64() * 1000.0;

    let interval_ms = config.interval.as_secs_f64() * 1000.0;
    println!(
        "sampler: {:.1} s at {interval_ms:.0} ms: {} readings (expected ~{:.0})",
        report.wall_ms / 1000.0,
        report.readings,
        report.wall_ms / interval_ms + 2.0
    );
    match (report.sampler_cpu_ms, report.sampler_cpu_pct()) {
        (Some(ms), Some(pct)) => println!(
            "sampler thread CPU: {ms:.2} ms = {pct:.3} % of one core (target < 0.5 %), {:.1} µs per reading",
            ms * 1000.0 / report.readings.max(1) as f64
        ),
        _ => println!("sampler thread CPU: not measurable on this platform"),
    }
    println!(
        "whole process CPU over the same time (main thread asleep): {process_ms:.2} ms = {:.3} % of one core",
        process_ms / report.wall_ms * 100.0
    );
    if let Some(why) = report.ended_early {
        println!("sampler ended early: {why}");
    }
}

fn time_reads(label: &str, mut probe: Probe, tracker: &PhaseTracker) {
    for _ in 0..20 {
        std::hint::black_box(probe.read(tracker));
    }
    let reads = 1000;
    let (wall0, cpu0) = (Instant::now(), thread_cpu());
    for _ in 0..reads {
        std::hint::black_box(probe.read(tracker));
    }
    let wall_us = wall0.elapsed().as_secs_f64() * 1e6 / reads as f64;
    let cpu_us = (thread_cpu() - cpu0).as_secs_f64() * 1e6 / reads as f64;
    println!("{label}: {wall_us:.1} µs wall, {cpu_us:.1} µs CPU per reading (mean of {reads})");
}

/// `--seconds N`; other arguments (cargo passes `--bench`) are ignored.
fn parse_seconds() -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .unwrap_or_else(|| panic!("--seconds takes a positive number, got {v:?}"))
        })
        .unwrap_or(10.0)
}

#[cfg(unix)]
fn thread_cpu() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[cfg(unix)]
fn process_cpu() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

// Without CPU clocks the CPU figures print as zero; the sampler report says "not measurable".
#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
}

#[cfg(not(unix))]
fn process_cpu() -> Duration {
    Duration::ZERO
}

#[cfg(unix)]
fn cpu_clock(clock: libc::clockid_t) -> Duration {
    // SAFETY: clock_gettime only writes into the zeroed struct.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(clock, &mut ts);
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}
