//! The background thread that takes a reading at a fixed interval for the length of a run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::phase::PhaseTracker;
use crate::platform::fallback;
use crate::platform::unix;
use crate::probe::Probe;
use crate::reading::{Reading, SensorStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplerConfig {
    pub interval: Duration,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            interval: Duration::from_millis(250),
        }
    }
}

/// How a sampling session went, for the run's record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SamplerReport {
    /// Readings delivered to the callback.
    pub readings: usize,
    /// Why the thread stopped before `stop()`, if it did; the readings end there.
    pub ended_early: Option<String>,
    /// CPU time the sampler thread used, callback included; `None` where the platform cannot
    /// measure a thread's CPU time.
    pub sampler_cpu_ms: Option<f64>,
    pub wall_ms: f64,
}

impl SamplerReport {
    /// The sampler's own cost as a share of one core (100 = one core busy).
    pub fn sampler_cpu_pct(&self) -> Option<f64> {
        let cpu = self.sampler_cpu_ms?;
        (self.wall_ms > 0.0).then(|| cpu / self.wall_ms * 100.0)
    }
}

struct Shared {
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, bool> {
        // The flag is a plain bool; a panic elsewhere cannot leave it half-written.
        self.stop.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct ThreadOutcome {
    readings: usize,
    ended_early: Option<String>,
    cpu: Option<Duration>,
}

/// Samples on its own thread from [`Sampler::start`] until [`Sampler::stop`].
///
/// Nothing the thread does can fail the run: a panic in the probe or the callback ends the
/// thread, and `stop()` reports it while the readings simply end there.
pub struct Sampler {
    shared: Arc<Shared>,
    handle: Option<JoinHandle<ThreadOutcome>>,
    sensors: Vec<SensorStatus>,
    started: Instant,
}

impl Sampler {
    /// Takes the first reading immediately (so the baseline precedes model load), then one per
    /// interval.
    ///
    /// Returns once the first reading has been delivered, so a caller that starts loading a
    /// model right after `start` cannot race the baseline.
    pub fn start(
        config: SamplerConfig,
        tracker: PhaseTracker,
        on_reading: impl FnMut(&Reading) + Send + 'static,
    ) -> std::io::Result<Sampler> {
        if config.interval.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the sampling interval must be greater than zero",
            ));
        }
        let started = Instant::now();
        let shared = Arc::new(Shared {
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let (first_tx, first_rx) = mpsc::sync_channel(1);
        let thread_shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("mobench-telemetry".into())
            .spawn(move || {
                run(
                    tracker,
                    on_reading,
                    &thread_shared,
                    config.interval,
                    first_tx,
                )
            })?;
        // Bounded, so that a hung sysfs read cannot hang the run; a thread that died already
        // disconnects the channel and is reported by stop().
        let sensors = match first_rx.recv_timeout(Duration::from_secs(2)) {
            Ok(sensors) => sensors,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                fallback::sensors_unavailable("the first reading did not finish within 2 s")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                fallback::sensors_unavailable("the sampler thread stopped before its first reading")
            }
        };
        Ok(Sampler {
            shared,
            handle: Some(handle),
            sensors,
            started,
        })
    }

    pub fn sensors(&self) -> &[SensorStatus] {
        &self.sensors
    }

    /// Whether the thread has already ended (it only does on its own if something went wrong).
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Wakes the thread at once, lets it take one final reading, and joins it.
    pub fn stop(mut self) -> SamplerReport {
        let outcome = self.shutdown();
        SamplerReport {
            readings: outcome.readings,
            ended_early: outcome.ended_early,
            sampler_cpu_ms: outcome.cpu.map(|d| d.as_secs_f64() * 1000.0),
            wall_ms: self.started.elapsed().as_secs_f64() * 1000.0,
        }
    }

    fn shutdown(&mut self) -> ThreadOutcome {
        *self.shared.lock() = true;
        self.shared.wake.notify_all();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(payload)) => ThreadOutcome {
                readings: 0,
                ended_early: Some(format!(
                    "the sampler thread panicked: {}",
                    panic_message(payload.as_ref())
                )),
                cpu: None,
            },
            None => ThreadOutcome {
                readings: 0,
                ended_early: None,
                cpu: None,
            },
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        if self.handle.is_some() {
            let _ = self.shutdown();
        }
    }
}

fn run(
    tracker: PhaseTracker,
    mut on_reading: impl FnMut(&Reading),
    shared: &Shared,
    interval: Duration,
    first: mpsc::SyncSender<Vec<SensorStatus>>,
) -> ThreadOutcome {
    let mut readings = 0usize;
    let result = catch_unwind(AssertUnwindSafe(|| {
        // Made here, inside catch_unwind, so that nothing the probe does can reach the caller.
        let mut probe = Probe::new();
        let mut first = Some((first, probe.sensors()));
        let mut next = Instant::now();
        loop {
            let stopping = *shared.lock();
            let reading = probe.read(&tracker);
            on_reading(&reading);
            readings += 1;
            if let Some((tx, sensors)) = first.take() {
                let _ = tx.send(sensors);
            }
            if stopping {
                return;
            }
            next = next_tick(next, interval, Instant::now());
            let mut stop = shared.lock();
            while !*stop {
                let now = Instant::now();
                if now >= next {
                    break;
                }
                stop = shared
                    .wake
                    .wait_timeout(stop, next - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }));
    let ended_early = result.err().map(|payload| {
        let message = panic_message(payload.as_ref());
        tracing::error!(%message, readings, "telemetry sampler stopped early");
        format!("the sampler stopped after {readings} readings: {message}")
    });
    ThreadOutcome {
        readings,
        ended_early,
        cpu: unix::thread_cpu_time(),
    }
}

/// The next tick on the fixed grid, skipping ticks already missed (a suspended app, a slow
/// callback) rather than bursting to catch up: the gap then shows in the data.
fn next_tick(previous: Instant, interval: Duration, now: Instant) -> Instant {
    let next = previous + interval;
    if next > now {
        return next;
    }
    let behind = now.duration_since(next).as_nanos();
    let missed = behind / interval.as_nanos() + 1;
    next + interval * u32::try_from(missed).unwrap_or(u32::MAX)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tick_stays_on_the_grid_and_skips_missed_ticks() {
        let t0 = Instant::now();
        let i = Duration::from_millis(250);
        assert_eq!(next_tick(t0, i, t0 + Duration::from_millis(10)), t0 + i);
        // 1.1 s late: the ticks at 250..1000 ms were missed, the next is at 1250 ms.
        assert_eq!(
            next_tick(t0, i, t0 + Duration::from_millis(1100)),
            t0 + Duration::from_millis(1250)
        );
        assert_eq!(
            next_tick(t0, i, t0 + Duration::from_millis(250)),
            t0 + Duration::from_millis(500)
        );
    }
}
