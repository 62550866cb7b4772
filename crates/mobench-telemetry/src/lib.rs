//! In-process device and resource telemetry for MobileAIBench.
//!
//! A [`Sampler`] runs beside a benchmark run on its own thread and takes a [`Reading`] at a fixed
//! interval: process and system CPU, process and system memory, battery and thermal state, each
//! tagged with the run phase the engine publishes through a [`PhaseTracker`]. [`summarize`] turns
//! the stored readings of a run into the figures the product reports, and [`device_identity`]
//! describes the device once per run.
//!
//! A sensor the platform does not offer is reported as unavailable with a reason
//! ([`SensorStatus`], [`MissingField`], [`ResourceSummary::unavailable`]), never as zero: a zero
//! would be averaged into comparisons between devices as if it had been measured.
//!
//! Platform code lives in `linux` (procfs and sysfs, also used on Android), `apple` (mach, sysctl,
//! Foundation, UIKit and IOKit) and a fallback for everything else. The procfs/sysfs parsers in
//! [`parse`] are pure and compiled everywhere, so their tests run on any host.

mod apple_models;
mod fallback;
mod identity;
pub mod linux;
pub mod parse;
mod phase;
mod probe;
mod reading;
mod sampler;
mod summary;
mod unix;

#[cfg(target_vendor = "apple")]
mod apple;

pub use apple_models::apple_marketing_name;
pub use identity::{device_identity, DeviceIdentity, MissingField};
pub use linux::LinuxPaths;
pub use phase::{Phase, PhaseTracker};
pub use probe::Probe;
pub use reading::{BatteryState, Reading, SensorStatus, ThermalState};
pub use sampler::{Sampler, SamplerConfig, SamplerReport};
pub use summary::{percentile, summarize, summarize_with_sensors, BatterySummary, ResourceSummary};
