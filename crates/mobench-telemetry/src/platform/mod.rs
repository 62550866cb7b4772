//! The platform backends and the one place that picks between them.
//!
//! Each backend offers a probe (what can be measured, and one reading at a time) and an identity
//! (the platform's parts of [`DeviceIdentity`]): `linux` (procfs and sysfs, also used on
//! Android, compiled everywhere so that it can be tested against fixture roots), `apple` (mach,
//! sysctl, Foundation, UIKit and IOKit) and `fallback` for everything else. `unix` holds the
//! clock and usage calls the Linux and Apple backends share.

#[cfg(target_vendor = "apple")]
mod apple;
pub(crate) mod fallback;
pub mod linux;
pub(crate) mod unix;

use crate::identity::DeviceIdentity;
use crate::reading::{Reading, SensorStatus};
use linux::probe::LinuxProbe;
use linux::LinuxPaths;

// The platform's parts of the identity of the device this runs on.
#[cfg(target_vendor = "apple")]
use apple::identity as platform_identity;
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
use fallback::identity as platform_identity;
#[cfg(any(target_os = "linux", target_os = "android"))]
use linux::identity as platform_identity;

/// The probe of one backend.
pub(crate) enum Backend {
    Linux(Box<LinuxProbe>),
    #[cfg(target_vendor = "apple")]
    Apple(Box<apple::AppleProbe>),
    #[allow(dead_code)] // only constructed on platforms without a probe
    Unsupported(Vec<SensorStatus>),
}

impl Backend {
    /// The backend for the platform this was built for, reading the real system.
    pub(crate) fn native() -> Backend {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let backend = Backend::Linux(Box::new(linux::probe()));
        #[cfg(target_vendor = "apple")]
        let backend = Backend::Apple(Box::new(apple::probe()));
        #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
        let backend = Backend::Unsupported(fallback::probe());
        backend.log_unavailable()
    }

    /// The procfs/sysfs backend reading from `paths`, on any host.
    pub(crate) fn linux(paths: LinuxPaths) -> Backend {
        Backend::Linux(Box::new(LinuxProbe::new(paths))).log_unavailable()
    }

    fn log_unavailable(self) -> Backend {
        for s in self.sensors().iter().filter(|s| !s.available) {
            tracing::debug!(sensor = s.sensor, reason = ?s.reason, "telemetry sensor unavailable");
        }
        self
    }

    /// What can be measured here, and for each thing that cannot, why.
    pub(crate) fn sensors(&self) -> &[SensorStatus] {
        match self {
            Backend::Linux(p) => p.sensors(),
            #[cfg(target_vendor = "apple")]
            Backend::Apple(p) => p.sensors(),
            Backend::Unsupported(s) => s,
        }
    }

    /// Fills in what this backend measures.
    pub(crate) fn read(&mut self, r: &mut Reading) {
        match self {
            Backend::Linux(p) => p.read(r),
            #[cfg(target_vendor = "apple")]
            Backend::Apple(p) => p.read(r),
            Backend::Unsupported(_) => {}
        }
    }
}

/// What device this runs on, taken once per run.
pub fn device_identity() -> DeviceIdentity {
    DeviceIdentity::assemble(platform_identity())
}
