//! The sampler thread on the real system: timing, tagging, stopping and surviving panics.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mobench_telemetry::{Phase, PhaseTracker, Reading, Sampler, SamplerConfig};

fn collecting(interval_ms: u64, tracker: &PhaseTracker) -> (Sampler, Arc<Mutex<Vec<Reading>>>) {
    let readings = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&readings);
    let sampler = Sampler::start(
        SamplerConfig {
            interval: Duration::from_millis(interval_ms),
        },
        tracker.clone(),
        move |r| sink.lock().unwrap().push(r.clone()),
    )
    .unwrap();
    (sampler, readings)
}

#[test]
fn default_interval_is_250_ms() {
    assert_eq!(
        SamplerConfig::default().interval,
        Duration::from_millis(250)
    );
}

#[test]
fn first_reading_is_taken_before_start_returns_then_one_per_interval() {
    let tracker = PhaseTracker::new();
    let (sampler, readings) = collecting(50, &tracker);
    // The baseline must exist before the engine starts loading the model.
    assert_eq!(readings.lock().unwrap().len(), 1);
    assert_eq!(readings.lock().unwrap()[0].phase, Phase::Idle);
    assert!(!sampler.sensors().is_empty());

    tracker.set_phase(Phase::Loading);
    std::thread::sleep(Duration::from_millis(200));
    tracker.set(Phase::Decode, Some(3));
    std::thread::sleep(Duration::from_millis(300));
    let report = sampler.stop();
    let readings = readings.lock().unwrap();

    assert_eq!(report.readings, readings.len());
    assert_eq!(report.ended_early, None);
    // ~500 ms at 50 ms: 1 first + ~10 + 1 final; generous bounds for a loaded machine.
    assert!(
        (6..=14).contains(&readings.len()),
        "{} readings",
        readings.len()
    );
    let steps: Vec<f64> = readings
        .windows(2)
        .map(|w| w[1].elapsed_ms - w[0].elapsed_ms)
        .collect();
    // The final reading comes at stop(), off the grid; the others are ~50 ms apart.
    let regular = &steps[..steps.len() - 1];
    let mean = regular.iter().sum::<f64>() / regular.len() as f64;
    assert!(
        (40.0..=80.0).contains(&mean),
        "mean step {mean} ms: {steps:?}"
    );

    assert!(readings
        .iter()
        .any(|r| r.phase == Phase::Loading && r.sample_index.is_none()));
    let last = readings.last().unwrap();
    assert_eq!((last.phase, last.sample_index), (Phase::Decode, Some(3)));
    assert!(readings.windows(2).all(|w| w[1].unix_ms >= w[0].unix_ms));
    assert!(report.wall_ms >= 500.0);
}

#[test]
fn stop_wakes_the_thread_instead_of_waiting_out_the_interval() {
    let tracker = PhaseTracker::new();
    let (sampler, readings) = collecting(5_000, &tracker);
    std::thread::sleep(Duration::from_millis(30));
    let t = Instant::now();
    let report = sampler.stop();
    let took = t.elapsed();
    assert!(took < Duration::from_millis(1_000), "stop took {took:?}");
    // The first reading and the final one.
    assert_eq!(report.readings, 2);
    assert_eq!(readings.lock().unwrap().len(), 2);
    #[cfg(unix)]
    {
        let cpu = report.sampler_cpu_ms.expect("thread CPU time on unix");
        assert!(cpu >= 0.0 && cpu < report.wall_ms, "{cpu} ms");
    }
}

#[test]
fn a_panicking_callback_ends_sampling_without_failing_the_caller() {
    let tracker = PhaseTracker::new();
    let mut calls = 0;
    let sampler = Sampler::start(
        SamplerConfig {
            interval: Duration::from_millis(20),
        },
        tracker,
        move |_| {
            calls += 1;
            if calls == 3 {
                panic!("store is gone");
            }
        },
    )
    .unwrap();
    // The thread ends on its own (the panic hook may take a while to print a backtrace).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sampler.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sampler.is_finished());
    let report = sampler.stop();
    assert_eq!(
        report.readings, 2,
        "two readings were delivered before the panic"
    );
    let why = report.ended_early.expect("the early end is reported");
    assert!(why.contains("store is gone"), "{why}");
}

#[test]
fn dropping_a_sampler_stops_its_thread() {
    let tracker = PhaseTracker::new();
    let (sampler, readings) = collecting(5_000, &tracker);
    let t = Instant::now();
    drop(sampler);
    assert!(t.elapsed() < Duration::from_millis(1_000));
    let n = readings.lock().unwrap().len();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(readings.lock().unwrap().len(), n, "no readings after drop");
}

#[test]
fn a_zero_interval_is_rejected() {
    let err = Sampler::start(
        SamplerConfig {
            interval: Duration::ZERO,
        },
        PhaseTracker::new(),
        |_| {},
    )
    .err()
    .expect("zero interval is an error");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
