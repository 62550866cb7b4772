//! The procfs/sysfs probe used on Linux and Android.
//!
//! It is compiled on every host and reads from a configurable root, so that tests can point it
//! at fixture folders. Files read every interval are kept open and re-read from offset 0 into
//! reused buffers: procfs regenerates their contents on each read, and this keeps a reading far
//! below the sampler's CPU budget.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::files::{self, ProcFile};
use super::paths::LinuxPaths;
use crate::parse::{self, CpuTimes, ParseError, ThermalZone};
use crate::platform::unix::{self, CpuRate};
use crate::reading::{Reading, SensorStatus};

pub(crate) struct LinuxProbe {
    paths: LinuxPaths,
    status: ProcFile,
    pid_stat: ProcFile,
    stat: ProcFile,
    meminfo: ProcFile,
    buf: String,
    ticks_per_second: u64,
    process_cpu: CpuRate,
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
            process_cpu: CpuRate::default(),
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
        let buf = &mut self.buf;
        let reason = |e: ParseError| e.to_string();

        let process_cpu = if self.paths.process_cpu_from_rusage {
            unix::process_cpu_status()
        } else {
            self.pid_stat
                .parse(buf, parse::proc_pid_stat_ticks)
                .map(|_| ())
                .map_err(reason)
        };
        sensors.push(SensorStatus::from_result("process_cpu", &process_cpu));

        let system_cpu = self.stat.parse(buf, parse::proc_stat).map_err(reason);
        sensors.push(SensorStatus::from_result("system_cpu", &system_cpu));

        let status = self.status.parse(buf, parse::proc_status).map_err(reason);
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

        let meminfo = self.meminfo.parse(buf, parse::meminfo).map_err(reason);
        sensors.push(SensorStatus::from_result("system_memory", &meminfo));

        let root = &self.paths.power_supply;
        let battery = files::power_supplies_with(root, buf)
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

        let zones = files::thermal_zones(&self.paths.thermal).map_err(reason);
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

    /// Logs a source's failure the first time only.
    fn note(&mut self, source: &'static str, error: &dyn std::fmt::Display) {
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
                .parse(&mut self.buf, parse::proc_pid_stat_ticks)
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
        r.process_cpu_pct = self.process_cpu.next(now, cpu);
    }

    fn read_memory(&mut self, r: &mut Reading) {
        match self.status.parse(&mut self.buf, parse::proc_status) {
            Ok(status) => {
                r.rss_bytes = status.rss_bytes;
                r.peak_rss_bytes = status.peak_rss_bytes;
            }
            Err(e) => self.note("memory", &e),
        }
    }

    fn read_system(&mut self, r: &mut Reading) {
        match self.stat.parse(&mut self.buf, parse::proc_stat) {
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
        match self.meminfo.parse(&mut self.buf, parse::meminfo) {
            Ok(mem) => {
                r.system_memory_used_bytes = Some(mem.used_bytes());
                r.system_memory_available_bytes = Some(mem.available_bytes);
            }
            Err(e) => self.note("system_memory", &e),
        }
    }

    fn read_battery(&mut self, r: &mut Reading) {
        // The folder is listed every time: USB-C adapters appear and disappear as supplies.
        let supplies = match files::power_supplies_with(&self.paths.power_supply, &mut self.buf) {
            Ok(s) => s,
            Err(e) => return self.note("battery", &e),
        };
        match parse::battery(&supplies) {
            Ok(b) => {
                r.battery_level_pct = b.level_pct;
                r.battery_state = b.state;
                r.power_w = b.power_w;
            }
            Err(reason) => self.note("battery", &reason),
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
            zone.temp_c = match files::read_into(&path, &mut self.buf)
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
