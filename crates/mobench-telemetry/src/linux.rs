//! The procfs/sysfs probe used on Linux and Android.
//!
//! It is compiled on every host and reads from a configurable root, so that tests can point it
//! at fixture folders. Files read every interval are kept open and re-read from offset 0 into
//! reused buffers: procfs regenerates their contents on each read, and this keeps a reading far
//! below the sampler's CPU budget.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::parse::{self, CpuTimes, ParseError, ThermalZone};
use crate::reading::{Reading, SensorStatus};
use crate::unix;

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

/// A procfs file kept open between readings.
struct ProcFile {
    path: PathBuf,
    file: Option<File>,
}

impl ProcFile {
    fn new(path: PathBuf) -> Self {
        ProcFile { path, file: None }
    }

    fn read(&mut self, buf: &mut String) -> Result<(), ParseError> {
        let result = self.read_once(buf);
        if result.is_err() {
            // Reopen next time: the file may have been replaced (or, in tests, rewritten).
            self.file = None;
        }
        result
    }

    fn read_once(&mut self, buf: &mut String) -> Result<(), ParseError> {
        let file = match self.file.take() {
            Some(mut f) => {
                f.seek(SeekFrom::Start(0))
                    .map_err(|e| parse::io_error(&self.path, e))?;
                f
            }
            None => File::open(&self.path).map_err(|e| parse::io_error(&self.path, e))?,
        };
        parse::read_file_into(self.file.insert(file), &self.path, buf)
    }
}

pub(crate) struct LinuxProbe {
    paths: LinuxPaths,
    status: ProcFile,
    pid_stat: ProcFile,
    stat: ProcFile,
    meminfo: ProcFile,
    buf: String,
    ticks_per_second: u64,
    prev_process: Option<(Instant, Duration)>,
    prev_system: Option<CpuTimes>,
    battery: Result<(), String>,
    thermal: Result<Vec<ThermalZone>, String>,
    sensors: Vec<SensorStatus>,
    /// Sources whose failure has been logged, so a broken file logs once, not every interval.
    logged: HashSet<&'static str>,
}

impl LinuxProbe {
    pub(crate) fn new(paths: LinuxPaths) -> Self {
        let mut probe = LinuxProbe {
            status: ProcFile::new(paths.proc_self.join("status")),
            pid_stat: ProcFile::new(paths.proc_self.join("stat")),
            stat: ProcFile::new(paths.proc_stat.clone()),
            meminfo: ProcFile::new(paths.proc_meminfo.clone()),
            buf: String::with_capacity(4096),
            ticks_per_second: unix::clock_ticks_per_second(),
            prev_process: None,
            prev_system: None,
            battery: Err(String::new()),
            thermal: Err(String::new()),
            sensors: Vec::new(),
            logged: HashSet::new(),
            paths,
        };
        probe.sensors = probe.discover();
        probe
    }

    pub(crate) fn sensors(&self) -> &[SensorStatus] {
        &self.sensors
    }

    /// Tries each source once to say what is available and why not. The battery and thermal
    /// layout is learned here; sources found missing are not retried every interval.
    fn discover(&mut self) -> Vec<SensorStatus> {
        let mut sensors = Vec::new();

        let process_cpu = if self.paths.process_cpu_from_rusage {
            unix::process_cpu_time()
                .map(|_| ())
                .ok_or_else(|| "getrusage(RUSAGE_SELF) failed".to_string())
        } else {
            self.pid_stat
                .read(&mut self.buf)
                .and_then(|()| parse::proc_pid_stat_ticks(&self.buf))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        sensors.push(SensorStatus::from_result("process_cpu", &process_cpu));

        let system_cpu = self
            .stat
            .read(&mut self.buf)
            .and_then(|()| parse::proc_stat(&self.buf))
            .map_err(|e| e.to_string());
        sensors.push(SensorStatus::from_result("system_cpu", &system_cpu));

        let status = self
            .status
            .read(&mut self.buf)
            .and_then(|()| parse::proc_status(&self.buf))
            .map_err(|e| e.to_string());
        let rss = status.clone().and_then(|s| {
            s.rss_bytes
                .map(|_| ())
                .ok_or_else(|| "no VmRSS in /proc/self/status".to_string())
        });
        let peak = status.and_then(|s| {
            s.peak_rss_bytes
                .map(|_| ())
                .ok_or_else(|| "no VmHWM in /proc/self/status".to_string())
        });
        sensors.push(SensorStatus::from_result("memory", &rss));
        sensors.push(SensorStatus::from_result("peak_memory", &peak));
        sensors.push(SensorStatus::unavailable(
            "footprint",
            "phys_footprint is an Apple measure; Linux reports resident memory (RSS)",
        ));
        sensors.push(SensorStatus::unavailable(
            "headroom",
            "os_proc_available_memory exists only on iOS",
        ));

        let meminfo = self
            .meminfo
            .read(&mut self.buf)
            .and_then(|()| parse::meminfo(&self.buf))
            .map_err(|e| e.to_string());
        sensors.push(SensorStatus::from_result("system_memory", &meminfo));

        let root = &self.paths.power_supply;
        let battery = parse::power_supplies_with(root, &mut self.buf)
            .map_err(|e| {
                format!("{e} (no power supply class: usual in virtual machines and containers)")
            })
            .and_then(|supplies| {
                parse::battery(&supplies)
                    .map(|reading| (supplies, reading))
                    .map_err(|reason| format!("{}: {reason}", root.display()))
            });
        let power = match &battery {
            Err(reason) => Err(reason.clone()),
            Ok((supplies, reading)) => {
                let reports_power = supplies
                    .iter()
                    .filter(|s| s.is_system_battery())
                    .any(|s| s.power_w.is_some());
                if reports_power || reading.power_w.is_some() {
                    Ok(())
                } else {
                    Err(
                        "the battery driver reports neither power_now nor current_now and \
                         voltage_now"
                            .to_string(),
                    )
                }
            }
        };
        sensors.push(SensorStatus::from_result("battery", &battery));
        sensors.push(SensorStatus::from_result("power", &power));
        self.battery = battery.map(|_| ());

        let zones = parse::thermal_zones(&self.paths.thermal).map_err(|e| e.to_string());
        let (temperature, state) = match &zones {
            Err(reason) => (Err(reason.clone()), Err(reason.clone())),
            Ok(zones) if zones.is_empty() => {
                let reason = format!(
                    "no thermal zones under {} (usual in virtual machines and containers)",
                    self.paths.thermal.display()
                );
                (Err(reason.clone()), Err(reason))
            }
            Ok(zones) => {
                let reading = parse::thermal_state(zones);
                let temperature = reading
                    .max_temp_c
                    .map(|_| ())
                    .ok_or_else(|| "no thermal zone temperature could be read".to_string());
                let state = reading.state.map(|_| ()).map_err(|reason| {
                    format!("{reason} (zones under {})", self.paths.thermal.display())
                });
                (temperature, state)
            }
        };
        sensors.push(SensorStatus::from_result("thermal_state", &state));
        sensors.push(SensorStatus::from_result("temperature", &temperature));
        self.thermal = match zones {
            Ok(zones) if temperature.is_ok() || state.is_ok() => Ok(zones),
            Ok(_) => Err("no usable thermal zones".to_string()),
            Err(e) => Err(e),
        };

        for s in sensors.iter().filter(|s| !s.available) {
            tracing::debug!(sensor = s.sensor, reason = ?s.reason, "telemetry sensor unavailable");
        }
        sensors
    }

    pub(crate) fn read(&mut self, r: &mut Reading) {
        self.read_process_cpu(r);
        self.read_memory(r);
        self.read_system(r);
        if self.battery.is_ok() {
            self.read_battery(r);
        }
        if self.thermal.is_ok() {
            self.read_thermal(r);
        }
    }

    fn note(&mut self, source: &'static str, error: &ParseError) {
        if self.logged.insert(source) {
            tracing::warn!(source, %error, "telemetry reading unavailable (logged once)");
        }
    }

    fn read_process_cpu(&mut self, r: &mut Reading) {
        let now = Instant::now();
        let cpu = if self.paths.process_cpu_from_rusage {
            unix::process_cpu_time()
        } else {
            match self
                .pid_stat
                .read(&mut self.buf)
                .and_then(|()| parse::proc_pid_stat_ticks(&self.buf))
            {
                Ok(ticks) => Some(Duration::from_secs_f64(
                    ticks as f64 / self.ticks_per_second as f64,
                )),
                Err(e) => {
                    self.note("process_cpu", &e);
                    None
                }
            }
        };
        r.process_cpu_pct = match (self.prev_process, cpu) {
            (Some((then, prev_cpu)), Some(cpu)) => cpu_pct(now - then, cpu.checked_sub(prev_cpu)),
            _ => None,
        };
        // A failed read breaks the chain: the next value must not span two intervals silently.
        self.prev_process = cpu.map(|c| (now, c));
    }

    fn read_memory(&mut self, r: &mut Reading) {
        match self
            .status
            .read(&mut self.buf)
            .and_then(|()| parse::proc_status(&self.buf))
        {
            Ok(status) => {
                r.rss_bytes = status.rss_bytes;
                r.peak_rss_bytes = status.peak_rss_bytes;
            }
            Err(e) => self.note("memory", &e),
        }
    }

    fn read_system(&mut self, r: &mut Reading) {
        match self
            .stat
            .read(&mut self.buf)
            .and_then(|()| parse::proc_stat(&self.buf))
        {
            Ok(now) => {
                r.system_cpu_pct = self
                    .prev_system
                    .and_then(|prev| parse::system_cpu_pct(prev, now));
                self.prev_system = Some(now);
            }
            Err(e) => {
                self.prev_system = None;
                self.note("system_cpu", &e);
            }
        }
        match self
            .meminfo
            .read(&mut self.buf)
            .and_then(|()| parse::meminfo(&self.buf))
        {
            Ok(mem) => {
                r.system_memory_used_bytes = Some(mem.used_bytes());
                r.system_memory_available_bytes = Some(mem.available_bytes);
            }
            Err(e) => self.note("system_memory", &e),
        }
    }

    fn read_battery(&mut self, r: &mut Reading) {
        // The folder is listed every time: USB-C adapters appear and disappear as supplies.
        let supplies = match parse::power_supplies_with(&self.paths.power_supply, &mut self.buf) {
            Ok(s) => s,
            Err(e) => return self.note("battery", &e),
        };
        match parse::battery(&supplies) {
            Ok(b) => {
                r.battery_level_pct = b.level_pct;
                r.battery_state = b.state;
                r.power_w = b.power_w;
            }
            Err(reason) => {
                if self.logged.insert("battery") {
                    tracing::warn!(%reason, "battery reading unavailable (logged once)");
                }
            }
        }
    }

    fn read_thermal(&mut self, r: &mut Reading) {
        let Ok(zones) = &mut self.thermal else {
            return;
        };
        // Trip points are fixed by firmware; only the temperatures need re-reading.
        let mut failure = None;
        for zone in zones.iter_mut() {
            let path = self.paths.thermal.join(&zone.name).join("temp");
            zone.temp_c = match parse::read_into(&path, &mut self.buf)
                .and_then(|()| parse::millidegrees(&self.buf, "thermal zone temp"))
            {
                Ok(c) => Some(c),
                Err(e) => {
                    failure.get_or_insert(e);
                    None
                }
            };
        }
        let reading = parse::thermal_state(zones);
        r.temperature_c = reading.max_temp_c;
        r.thermal_state = reading.state.ok();
        if let Some(e) = failure {
            self.note("temperature", &e);
        }
    }
}

fn cpu_pct(wall: Duration, cpu: Option<Duration>) -> Option<f64> {
    let wall = wall.as_secs_f64();
    (wall > 0.0).then_some(())?;
    Some(cpu?.as_secs_f64() / wall * 100.0)
}

/// The device model from DMI, or from the device tree on ARM boards, or why neither.
pub fn device_model(paths: &LinuxPaths) -> Result<String, String> {
    parse::dmi_model(&paths.dmi).or_else(|dmi_reason| {
        parse::device_tree_model(&paths.device_tree_model)
            .map_err(|_| format!("{dmi_reason}; no device-tree model either"))
    })
}

/// PCI vendor IDs of GPU makers, for naming DRM devices.
fn gpu_vendor(id: &str) -> Option<&'static str> {
    match id.trim().to_ascii_lowercase().as_str() {
        "0x10de" => Some("NVIDIA"),
        "0x1002" => Some("AMD"),
        "0x8086" => Some("Intel"),
        "0x5143" => Some("Qualcomm"),
        "0x13b5" => Some("ARM"),
        _ => None,
    }
}

/// GPUs the kernel exposes: NVIDIA's driver names the model, other DRM devices are named by
/// vendor and PCI id. A present GPU says nothing about whether llama.cpp was built to use it;
/// the engine reports that from the build.
pub fn gpus(paths: &LinuxPaths) -> Result<String, String> {
    let mut names: Vec<String> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&paths.nvidia_gpus) {
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        for dir in dirs {
            let Ok(text) = std::fs::read_to_string(dir.join("information")) else {
                continue;
            };
            if let Some(model) = text
                .lines()
                .find_map(|l| l.strip_prefix("Model:"))
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                names.push(model.to_string());
            }
        }
    }
    let nvidia_named = !names.is_empty();
    if let Ok(entries) = std::fs::read_dir(&paths.drm) {
        let mut cards: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix("card"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        cards.sort();
        for card in cards {
            let read = |name: &str| std::fs::read_to_string(card.join("device").join(name)).ok();
            let Some(vendor_id) = read("vendor") else {
                continue;
            };
            let Some(vendor) = gpu_vendor(&vendor_id) else {
                continue;
            };
            if vendor == "NVIDIA" && nvidia_named {
                continue;
            }
            let device = read("device").map(|d| d.trim().trim_start_matches("0x").to_string());
            let vendor_hex = vendor_id.trim().trim_start_matches("0x").to_string();
            let name = match device {
                Some(d) => format!("{vendor} GPU (PCI {vendor_hex}:{d})"),
                None => format!("{vendor} GPU"),
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        Err(format!(
            "no GPU under {} or {}",
            paths.drm.display(),
            paths.nvidia_gpus.display()
        ))
    } else {
        Ok(names.join(", "))
    }
}
