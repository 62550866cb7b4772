//! One reading of everything this platform can measure.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::phase::PhaseTracker;
use crate::platform::linux::LinuxPaths;
use crate::platform::Backend;
use crate::reading::{Reading, SensorStatus};

/// Reads one [`Reading`] at a time. It keeps the previous CPU counters (CPU percentages are
/// differences between readings) and its file handles and buffers between calls, so it is made
/// once per session and read at every interval.
pub struct Probe {
    backend: Backend,
    started: Instant,
}

impl Probe {
    /// The probe for the platform this was built for, reading the real system.
    pub fn new() -> Probe {
        Probe::with(Backend::native())
    }

    /// A procfs/sysfs probe reading from `paths`, on any host; tests point it at fixtures.
    pub fn linux(paths: LinuxPaths) -> Probe {
        Probe::with(Backend::linux(paths))
    }

    fn with(backend: Backend) -> Probe {
        Probe {
            backend,
            started: Instant::now(),
        }
    }

    /// What can be measured here, and for each thing that cannot, why.
    pub fn sensors(&self) -> Vec<SensorStatus> {
        self.backend.sensors().to_vec()
    }

    pub fn read(&mut self, tracker: &PhaseTracker) -> Reading {
        let (phase, sample_index) = tracker.get();
        let mut r = Reading {
            unix_ms: unix_ms(),
            elapsed_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            phase,
            sample_index,
            ..Reading::default()
        };
        self.backend.read(&mut r);
        r
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe::new()
    }
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
