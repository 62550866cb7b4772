//! The Linux backend (also used on Android): procfs and sysfs, read from a configurable root so
//! that tests can point it at fixture folders on any host. All of the crate's file reading lives
//! here; what the files say is worked out by the pure parsers in [`crate::parse`].

mod device;
mod files;
mod paths;
pub(crate) mod probe;

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use device::identity;
pub use device::{device_model, device_tree_model, dmi_model, gpus};
pub use files::{power_supplies, power_supply, thermal_zone, thermal_zones};
pub use paths::LinuxPaths;

/// The probe reading the running system.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn probe() -> probe::LinuxProbe {
    probe::LinuxProbe::new(LinuxPaths::system())
}
