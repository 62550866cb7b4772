//! Where the Linux probe finds each file.

use std::path::{Path, PathBuf};

/// Where the Linux probe finds each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxPaths {
    /// Folder with the process's `status` and `stat` (`/proc/self`).
    pub proc_self: PathBuf,
    pub proc_stat: PathBuf,
    pub proc_meminfo: PathBuf,
    pub power_supply: PathBuf,
    pub thermal: PathBuf,
    pub dmi: PathBuf,
    pub device_tree_model: PathBuf,
    pub drm: PathBuf,
    pub nvidia_gpus: PathBuf,
    /// Take process CPU time from `getrusage` (microseconds) instead of `proc_self/stat`
    /// (10 ms ticks). Only meaningful when `proc_self` is the calling process.
    pub process_cpu_from_rusage: bool,
}

impl LinuxPaths {
    /// The running system's files.
    pub fn system() -> Self {
        LinuxPaths {
            process_cpu_from_rusage: true,
            ..LinuxPaths::under(Path::new("/"))
        }
    }

    /// The same layout below `root`, for fixtures. Process CPU comes from `proc/self/stat` there.
    pub fn under(root: &Path) -> Self {
        LinuxPaths {
            proc_self: root.join("proc/self"),
            proc_stat: root.join("proc/stat"),
            proc_meminfo: root.join("proc/meminfo"),
            power_supply: root.join("sys/class/power_supply"),
            thermal: root.join("sys/class/thermal"),
            dmi: root.join("sys/class/dmi/id"),
            device_tree_model: root.join("proc/device-tree/model"),
            drm: root.join("sys/class/drm"),
            nvidia_gpus: root.join("proc/driver/nvidia/gpus"),
            process_cpu_from_rusage: false,
        }
    }
}
