//! What device a run ran on: the identity, and the parts every platform backend supplies.

use serde::{Deserialize, Serialize};

/// A device field that could not be determined, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingField {
    pub field: String,
    pub reason: String,
}

/// The device a run ran on. The engine wraps this with its own build information (llama.cpp
/// version, backends) rather than this crate knowing about inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// `Linux`-family distribution name, `macOS`, `iOS` or `iPadOS`.
    pub os: String,
    pub os_version: Option<String>,
    pub kernel_version: Option<String>,
    pub arch: String,
    /// Vendor identifier: DMI vendor and product on Linux, `iPhone15,2` / `Mac14,2` on Apple.
    pub device_model: Option<String>,
    /// Marketing name, e.g. "iPhone 14 Pro" (Apple only).
    pub device_name: Option<String>,
    pub cpu_brand: Option<String>,
    pub physical_cores: Option<usize>,
    pub logical_cores: usize,
    pub performance_cores: Option<usize>,
    pub efficiency_cores: Option<usize>,
    pub total_memory_bytes: Option<u64>,
    /// GPUs the OS exposes. That a GPU exists does not mean inference used it.
    pub gpu: Option<String>,
    /// Whether Metal is available; `Some(false)` off Apple platforms, where it does not exist.
    pub metal: Option<bool>,
    pub unavailable: Vec<MissingField>,
}

/// Collects optional fields, recording a reason for each one that is missing.
struct Fields {
    missing: Vec<MissingField>,
}

impl Fields {
    fn take<T, E: std::fmt::Display>(&mut self, field: &str, value: Result<T, E>) -> Option<T> {
        match value {
            Ok(v) => Some(v),
            Err(reason) => {
                self.missing.push(MissingField {
                    field: field.to_string(),
                    reason: reason.to_string(),
                });
                None
            }
        }
    }
}

/// Platform-specific parts of the identity.
pub(crate) struct PlatformIdentity {
    pub(crate) os: String,
    pub(crate) device_model: Result<String, String>,
    pub(crate) device_name: Result<String, String>,
    pub(crate) performance_cores: Result<usize, String>,
    pub(crate) efficiency_cores: Result<usize, String>,
    pub(crate) gpu: Result<String, String>,
    pub(crate) metal: Result<bool, String>,
}

impl PlatformIdentity {
    /// Off Apple platforms: the OS name from `sysinfo`, no marketing name and no core split,
    /// and no Metal.
    #[cfg(not(target_vendor = "apple"))]
    pub(crate) fn not_apple(
        device_model: Result<String, String>,
        gpu: Result<String, String>,
    ) -> PlatformIdentity {
        let split =
            "the performance/efficiency core split is only read on Apple devices".to_string();
        PlatformIdentity {
            os: sysinfo::System::name().unwrap_or_else(|_| std::env::consts::OS.to_string()),
            device_model,
            device_name: Err("marketing names are only known for Apple devices".to_string()),
            performance_cores: Err(split.clone()),
            efficiency_cores: Err(split),
            gpu,
            metal: Ok(false),
        }
    }
}

impl DeviceIdentity {
    /// The identity from the platform's parts and what `sysinfo` says on every platform.
    pub(crate) fn assemble(platform: PlatformIdentity) -> DeviceIdentity {
        let mut f = Fields {
            missing: Vec::new(),
        };
        let sys = sysinfo::System::new().ok().map(|mut sys| {
            sys.refresh_memory();
            sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
            sys
        });
        let os_version = f.take("os_version", sysinfo::System::os_version());
        let kernel_version = f.take("kernel_version", sysinfo::System::kernel_version());
        let cpu_brand = f.take(
            "cpu_brand",
            sys.as_ref()
                .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
                .filter(|b| !b.is_empty())
                .ok_or("the OS does not report a CPU brand string"),
        );
        let physical_cores = f.take("physical_cores", sysinfo::System::physical_core_count());
        let total_memory_bytes = f.take(
            "total_memory_bytes",
            sys.as_ref()
                .map(|s| s.total_memory())
                .filter(|&m| m > 0)
                .ok_or("the OS does not report total memory"),
        );
        DeviceIdentity {
            os: platform.os,
            os_version,
            kernel_version,
            arch: std::env::consts::ARCH.to_string(),
            device_model: f.take("device_model", platform.device_model),
            device_name: f.take("device_name", platform.device_name),
            cpu_brand,
            physical_cores,
            logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            performance_cores: f.take("performance_cores", platform.performance_cores),
            efficiency_cores: f.take("efficiency_cores", platform.efficiency_cores),
            total_memory_bytes,
            gpu: f.take("gpu", platform.gpu),
            metal: f.take("metal", platform.metal),
            unavailable: f.missing,
        }
    }
}
