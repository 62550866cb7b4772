//! One reading of everything this platform can measure.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::linux::{LinuxPaths, LinuxProbe};
use crate::phase::PhaseTracker;
use crate::reading::{Reading, SensorStatus};

enum Platform {
    Linux(Box<LinuxProbe>),
    #[cfg(target_vendor = "apple")]
    Apple(Box<crate::apple::AppleProbe>),
    #[allow(dead_code)] // only constructed on platforms without a probe
    Unsupported(Vec<SensorStatus>),
}

/// Reads one [`Reading`] at a time. It keeps the previous CPU counters (CPU percentages are
/// differences between readings) and its file handles and buffers between calls, so it is made
/// once per session and read at every interval.
pub struct Probe {
    platform: Platform,
    started: Instant,
}

impl Probe {
    /// The probe for the platform this was built for, reading the real system.
    pub fn new() -> Probe {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let platform = Platform::Linux(Box::new(LinuxProbe::new(LinuxPaths::system())));
        #[cfg(target_vendor = "apple")]
        let platform = Platform::Apple(Box::new(crate::apple::AppleProbe::new()));
        #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
        let platform = Platform::Unsupported(crate::fallback::sensors());
        Probe {
            platform,
            started: Instant::now(),
        }
    }

    /// A procfs/sysfs probe reading from `paths`, on any host; tests point it at fixtures.
    pub fn linux(paths: LinuxPaths) -> Probe {
        Probe {
            platform: Platform::Linux(Box::new(LinuxProbe::new(paths))),
            started: Instant::now(),
        }
    }

    /// What can be measured here, and for each thing that cannot, why.
    pub fn sensors(&self) -> Vec<SensorStatus> {
        match &self.platform {
            Platform::Linux(p) => p.sensors().to_vec(),
            #[cfg(target_vendor = "apple")]
            Platform::Apple(p) => p.sensors().to_vec(),
            Platform::Unsupported(s) => s.clone(),
        }
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
        match &mut self.platform {
            Platform::Linux(p) => p.read(&mut r),
            #[cfg(target_vendor = "apple")]
            Platform::Apple(p) => p.read(&mut r),
            Platform::Unsupported(_) => {}
        }
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
