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
//! Platform code lives in `platform/`: [`linux`] (procfs and sysfs, also used on Android),
//! `apple` (mach, sysctl, Foundation, UIKit and IOKit) and `fallback` for everything else, each
//! with a probe and an identity, picked in one place. The procfs/sysfs parsers in [`parse`] are
//! pure (text in, values out) and compiled everywhere, so their tests run on any host.

mod apple_models;
mod identity;
pub mod parse;
mod phase;
mod platform;
mod probe;
mod reading;
mod sampler;
mod summary;

pub use apple_models::apple_marketing_name;
pub use identity::{DeviceIdentity, MissingField};
pub use phase::{Phase, PhaseTracker};
pub use platform::device_identity;
pub use platform::linux::{self, LinuxPaths};
pub use probe::Probe;
pub use reading::{BatteryState, Reading, SensorStatus, ThermalState};
pub use sampler::{Sampler, SamplerConfig, SamplerReport};
pub use summary::{percentile, summarize, summarize_with_sensors, BatterySummary, ResourceSummary};
