//! A short device summary stored with every run (the telemetry work extends it).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    pub os: String,
    pub os_version: Option<String>,
    pub arch: &'static str,
    pub cpu_brand: Option<String>,
    pub physical_cores: Option<usize>,
    pub logical_cores: usize,
    pub total_memory_bytes: u64,
    pub host: Option<String>,
}

pub fn summary() -> DeviceSummary {
    let sys = sysinfo::System::new().ok().map(|mut sys| {
        sys.refresh_memory();
        sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
        sys
    });
    DeviceSummary {
        os: sysinfo::System::name().unwrap_or_else(|_| std::env::consts::OS.to_string()),
        os_version: sysinfo::System::os_version().ok(),
        arch: std::env::consts::ARCH,
        cpu_brand: sys
            .as_ref()
            .and_then(|s| s.cpus().first().map(|c| c.brand().trim().to_string()))
            .filter(|b| !b.is_empty()),
        physical_cores: sysinfo::System::physical_core_count().ok(),
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        total_memory_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
        host: sysinfo::System::host_name().ok(),
    }
}
