//! Parsers for the procfs and sysfs files the Linux probe reads.
//!
//! They are kept apart from the probe so that real-world and malformed files can be tested on
//! any host. Every parser returns an error for text it does not understand instead of guessing:
//! a truncated or garbled file must become "unavailable" for that reading, never a wrong number
//! and never a panic in the sampler thread.

use std::fs;
use std::io::{ErrorKind, Read};
use std::path::Path;

use crate::reading::{BatteryState, ThermalState};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("{0} does not exist")]
    Missing(String),
    #[error("{0} is empty")]
    Empty(String),
    #[error("{what} is malformed: {detail}")]
    Malformed { what: String, detail: String },
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

impl ParseError {
    fn malformed(what: impl Into<String>, detail: impl Into<String>) -> Self {
        ParseError::Malformed {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// Reads a small procfs/sysfs file into `buf`, replacing its contents, so that callers that read
/// the same files every interval can reuse one allocation.
pub fn read_into(path: &Path, buf: &mut String) -> Result<(), ParseError> {
    buf.clear();
    let mut file = fs::File::open(path).map_err(|e| io_error(path, e))?;
    read_file_into(&mut file, path, buf)
}

pub(crate) fn read_file_into(
    file: &mut fs::File,
    path: &Path,
    buf: &mut String,
) -> Result<(), ParseError> {
    buf.clear();
    match file.read_to_string(buf) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::InvalidData => {
            return Err(ParseError::malformed(
                path.display().to_string(),
                "not UTF-8 text",
            ))
        }
        Err(e) => return Err(io_error(path, e)),
    }
    if buf.trim().is_empty() {
        return Err(ParseError::Empty(path.display().to_string()));
    }
    Ok(())
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> ParseError {
    if e.kind() == ErrorKind::NotFound {
        ParseError::Missing(path.display().to_string())
    } else {
        ParseError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

fn read_attr(dir: &Path, name: &str, buf: &mut String) -> Result<(), ParseError> {
    read_into(&dir.join(name), buf)
}

fn int_attr(text: &str, what: &str) -> Result<i64, ParseError> {
    let t = text.trim();
    t.parse::<i64>()
        .map_err(|_| ParseError::malformed(what, format!("{t:?} is not an integer")))
}

// ---------------------------------------------------------------------------------------------
// /proc/self/status

/// Resident memory of the process, from `/proc/self/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcStatus {
    /// `VmRSS`.
    pub rss_bytes: Option<u64>,
    /// `VmHWM`: the high-water mark of `VmRSS`, which is what `getrusage`'s `ru_maxrss` reports.
    pub peak_rss_bytes: Option<u64>,
}

pub fn proc_status(text: &str) -> Result<ProcStatus, ParseError> {
    const WHAT: &str = "/proc/self/status";
    if text.trim().is_empty() {
        return Err(ParseError::Empty(WHAT.into()));
    }
    let mut out = ProcStatus::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            out.rss_bytes = kib_value(rest);
        } else if let Some(rest) = line.strip_prefix("VmHWM:") {
            out.peak_rss_bytes = kib_value(rest);
        }
    }
    if out.rss_bytes.is_none() && out.peak_rss_bytes.is_none() {
        return Err(ParseError::malformed(
            WHAT,
            "no readable VmRSS or VmHWM line",
        ));
    }
    Ok(out)
}

/// `"   1756 kB"` → bytes. The unit is required: a file cut mid-line would otherwise turn
/// "1756 kB" into a plausible-looking "17".
fn kib_value(rest: &str) -> Option<u64> {
    let mut parts = rest.split_whitespace();
    let value = parts.next()?.parse::<u64>().ok()?;
    match (parts.next(), parts.next()) {
        (Some("kB"), None) => value.checked_mul(1024),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// /proc/self/stat

/// The process's user + system CPU time in clock ticks (`utime` + `stime`, fields 14 and 15).
pub fn proc_pid_stat_ticks(text: &str) -> Result<u64, ParseError> {
    const WHAT: &str = "/proc/self/stat";
    if text.trim().is_empty() {
        return Err(ParseError::Empty(WHAT.into()));
    }
    if !text.ends_with('\n') {
        return Err(ParseError::malformed(WHAT, "truncated (no final newline)"));
    }
    // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
    let after_comm = text
        .rfind(')')
        .map(|i| &text[i + 1..])
        .ok_or_else(|| ParseError::malformed(WHAT, "no command name in parentheses"))?;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // fields[0] is field 3 (state), so field N is fields[N - 3].
    let field = |n: usize| -> Result<u64, ParseError> {
        let raw = fields
            .get(n - 3)
            .ok_or_else(|| ParseError::malformed(WHAT, format!("fewer than {n} fields")))?;
        raw.parse::<u64>()
            .map_err(|_| ParseError::malformed(WHAT, format!("field {n} is {raw:?}")))
    };
    Ok(field(14)? + field(15)?)
}

// ---------------------------------------------------------------------------------------------
// /proc/stat

/// Aggregate CPU time counters, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Everything but idle and iowait.
    pub busy: u64,
    pub total: u64,
}

/// Parses the aggregate `cpu  user nice system idle iowait irq softirq steal guest guest_nice`
/// line. Guest time is already counted in user and nice, so it is not added again.
pub fn proc_stat_cpu_line(line: &str) -> Result<CpuTimes, ParseError> {
    const WHAT: &str = "/proc/stat cpu line";
    let mut parts = line.split_whitespace();
    match parts.next() {
        Some(label) if label.starts_with("cpu") => {}
        _ => return Err(ParseError::malformed(WHAT, "does not start with \"cpu\"")),
    }
    let mut values = [0u64; 8];
    let mut count = 0;
    for (slot, raw) in values.iter_mut().zip(parts.by_ref()) {
        *slot = raw
            .parse()
            .map_err(|_| ParseError::malformed(WHAT, format!("{raw:?} is not a counter")))?;
        count += 1;
    }
    if count < 4 {
        return Err(ParseError::malformed(
            WHAT,
            format!("{count} counters, expected at least 4"),
        ));
    }
    let total: u64 = values.iter().sum();
    let idle = values[3] + values[4];
    Ok(CpuTimes {
        busy: total - idle,
        total,
    })
}

/// Finds and parses the aggregate line of `/proc/stat`.
pub fn proc_stat(text: &str) -> Result<CpuTimes, ParseError> {
    const WHAT: &str = "/proc/stat";
    if text.trim().is_empty() {
        return Err(ParseError::Empty(WHAT.into()));
    }
    let start = if text.starts_with("cpu ") {
        0
    } else {
        text.find("\ncpu ")
            .map(|i| i + 1)
            .ok_or_else(|| ParseError::malformed(WHAT, "no aggregate \"cpu\" line"))?
    };
    let rest = &text[start..];
    let end = rest
        .find('\n')
        .ok_or_else(|| ParseError::malformed(WHAT, "truncated inside the cpu line"))?;
    proc_stat_cpu_line(&rest[..end])
}

/// Busy share of the machine between two `/proc/stat` readings, 100 = all CPUs busy. `None` when
/// the counters did not advance or went backwards (a reset, or a bogus file).
pub fn system_cpu_pct(prev: CpuTimes, now: CpuTimes) -> Option<f64> {
    let total = now.total.checked_sub(prev.total)?;
    let busy = now.busy.checked_sub(prev.busy)?;
    if total == 0 || busy > total {
        return None;
    }
    Some(busy as f64 / total as f64 * 100.0)
}

// ---------------------------------------------------------------------------------------------
// /proc/meminfo

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemInfo {
    pub total_bytes: u64,
    /// The kernel's estimate of memory available to new work without swapping (`MemAvailable`).
    pub available_bytes: u64,
}

impl MemInfo {
    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.available_bytes)
    }
}

pub fn meminfo(text: &str) -> Result<MemInfo, ParseError> {
    const WHAT: &str = "/proc/meminfo";
    if text.trim().is_empty() {
        return Err(ParseError::Empty(WHAT.into()));
    }
    let (mut total, mut available) = (None, None);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("MemTotal:") {
            total = kib_value(rest);
        } else if let Some(rest) = line.strip_prefix("MemAvailable:") {
            available = kib_value(rest);
        }
    }
    match (total, available) {
        (Some(total_bytes), Some(available_bytes)) if total_bytes > 0 => Ok(MemInfo {
            total_bytes,
            available_bytes,
        }),
        _ => Err(ParseError::malformed(
            WHAT,
            "no readable MemTotal and MemAvailable lines",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// /sys/class/power_supply

/// One entry of `/sys/class/power_supply`, with whatever of its attributes could be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PowerSupply {
    pub name: String,
    /// The `type` attribute: `Battery`, `Mains`, `USB`, `UPS`, `Wireless`.
    pub kind: String,
    /// `Device` for the batteries of mice, keyboards and headsets, which must not be mistaken
    /// for the system battery.
    pub scope: Option<String>,
    pub present: Option<bool>,
    pub online: Option<bool>,
    pub status: Option<BatteryState>,
    pub capacity_pct: Option<f64>,
    pub energy_now_uwh: Option<u64>,
    pub energy_full_uwh: Option<u64>,
    pub charge_now_uah: Option<u64>,
    pub charge_full_uah: Option<u64>,
    /// `power_now`, or `current_now` × `voltage_now` where the driver reports those instead.
    pub power_w: Option<f64>,
    /// Attributes that exist but could not be understood, for logs and reasons.
    pub problems: Vec<String>,
}

impl PowerSupply {
    pub fn is_system_battery(&self) -> bool {
        self.kind == "Battery"
            && self.scope.as_deref() != Some("Device")
            && self.present != Some(false)
    }

    /// Charge level in percent, from the finest counters available: energy and charge counters
    /// resolve well below the 1 % steps of `capacity`, which matters for short runs.
    pub fn level_pct(&self) -> Option<f64> {
        let ratio = |now: Option<u64>, full: Option<u64>| match (now, full) {
            (Some(now), Some(full)) if full > 0 => {
                Some((now as f64 / full as f64 * 100.0).min(100.0))
            }
            _ => None,
        };
        ratio(self.energy_now_uwh, self.energy_full_uwh)
            .or_else(|| ratio(self.charge_now_uah, self.charge_full_uah))
            .or(self.capacity_pct)
    }
}

/// Reads one power supply folder. Only a missing or unreadable `type` is an error; any other
/// attribute that is absent stays `None` and one that is unreadable is noted in `problems`.
pub fn power_supply(dir: &Path) -> Result<PowerSupply, ParseError> {
    let mut buf = String::new();
    power_supply_with(dir, &mut buf)
}

pub(crate) fn power_supply_with(dir: &Path, buf: &mut String) -> Result<PowerSupply, ParseError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_attr(dir, "type", buf)?;
    let mut ps = PowerSupply {
        name,
        kind: buf.trim().to_string(),
        ..PowerSupply::default()
    };
    let mut problems = Vec::new();
    // Absent attributes are normal (each driver offers a different subset); unreadable ones are
    // worth reporting.
    let mut attr = |name: &str, buf: &mut String| -> Option<String> {
        match read_attr(dir, name, buf) {
            Ok(()) => Some(buf.trim().to_string()),
            Err(ParseError::Missing(_)) => None,
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    };
    let what = |attr: &str| format!("{}/{attr}", dir.display());

    ps.scope = attr("scope", buf);
    let flag = |text: Option<String>, name: &str, problems: &mut Vec<String>| {
        text.and_then(|t| match t.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => {
                problems.push(format!("{} is {t:?}, expected 0 or 1", what(name)));
                None
            }
        })
    };
    if ps.kind != "Battery" || ps.scope.as_deref() == Some("Device") {
        // Adapters only matter for whether they are online and peripherals' batteries not at
        // all; skipping their other attributes halves the files read per interval.
        let online = (ps.kind != "Battery")
            .then(|| attr("online", buf))
            .flatten();
        ps.online = flag(online, "online", &mut problems);
        ps.problems = problems;
        return Ok(ps);
    }
    let present = attr("present", buf);
    let status = attr("status", buf);
    let capacity = attr("capacity", buf);
    let counters: Vec<Option<String>> = [
        "energy_now",
        "energy_full",
        "charge_now",
        "charge_full",
        "power_now",
        "current_now",
        "voltage_now",
    ]
    .iter()
    .map(|n| attr(n, buf))
    .collect();

    ps.present = flag(present, "present", &mut problems);
    ps.status = status.and_then(|s| {
        let parsed = BatteryState::parse(&s);
        if parsed.is_none() {
            problems.push(format!("{} is {s:?}", what("status")));
        }
        parsed
    });
    let mut number = |text: &Option<String>, name: &str| -> Option<i64> {
        let t = text.as_deref()?;
        match int_attr(t, &what(name)) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    };
    ps.capacity_pct = number(&capacity, "capacity")
        .filter(|c| (0..=100).contains(c))
        .map(|c| c as f64);
    let unsigned = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    ps.energy_now_uwh = unsigned(number(&counters[0], "energy_now"));
    ps.energy_full_uwh = unsigned(number(&counters[1], "energy_full"));
    ps.charge_now_uah = unsigned(number(&counters[2], "charge_now"));
    ps.charge_full_uah = unsigned(number(&counters[3], "charge_full"));
    let power_now = number(&counters[4], "power_now");
    let current_now = number(&counters[5], "current_now");
    let voltage_now = number(&counters[6], "voltage_now");
    // Some drivers sign the current by direction; the magnitude is the draw.
    ps.power_w = match (power_now, current_now, voltage_now) {
        (Some(uw), _, _) => Some(uw.unsigned_abs() as f64 / 1e6),
        (None, Some(ua), Some(uv)) => {
            Some(ua.unsigned_abs() as f64 * uv.unsigned_abs() as f64 / 1e12)
        }
        _ => None,
    };
    ps.problems = problems;
    Ok(ps)
}

/// Reads every entry of a `/sys/class/power_supply`-like folder. Entries without a readable
/// `type` (not a power supply, or a broken driver) are skipped.
pub fn power_supplies(root: &Path) -> Result<Vec<PowerSupply>, ParseError> {
    let mut buf = String::new();
    power_supplies_with(root, &mut buf)
}

pub(crate) fn power_supplies_with(
    root: &Path,
    buf: &mut String,
) -> Result<Vec<PowerSupply>, ParseError> {
    let mut dirs: Vec<_> = fs::read_dir(root)
        .map_err(|e| io_error(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::with_capacity(dirs.len());
    for dir in dirs {
        match power_supply_with(&dir, buf) {
            Ok(ps) => out.push(ps),
            Err(e) => tracing::debug!(error = %e, "skipping power supply"),
        }
    }
    Ok(out)
}

/// The system battery as one reading, combined over all system batteries (some laptops have two).
#[derive(Debug, Clone, PartialEq)]
pub struct BatteryReading {
    pub level_pct: Option<f64>,
    pub state: Option<BatteryState>,
    pub power_w: Option<f64>,
}

/// Combines the power supplies into one battery reading, or says why there is no battery.
pub fn battery(supplies: &[PowerSupply]) -> Result<BatteryReading, String> {
    let batteries: Vec<&PowerSupply> = supplies.iter().filter(|s| s.is_system_battery()).collect();
    if batteries.is_empty() {
        let others: Vec<String> = supplies
            .iter()
            .map(|s| {
                if s.kind == "Battery" {
                    format!("{} (peripheral or absent battery)", s.name)
                } else {
                    format!("{} ({})", s.name, s.kind)
                }
            })
            .collect();
        return Err(if others.is_empty() {
            "no power supplies are reported (usual for desktops, virtual machines and containers)"
                .to_string()
        } else {
            format!("no system battery; power supplies: {}", others.join(", "))
        });
    }

    let sum = |f: fn(&PowerSupply) -> Option<u64>| -> Option<u64> {
        batteries.iter().map(|b| f(b)).sum::<Option<u64>>()
    };
    let ratio = |now: Option<u64>, full: Option<u64>| match (now, full) {
        (Some(now), Some(full)) if full > 0 => Some((now as f64 / full as f64 * 100.0).min(100.0)),
        _ => None,
    };
    let level_pct = ratio(sum(|b| b.energy_now_uwh), sum(|b| b.energy_full_uwh))
        .or_else(|| ratio(sum(|b| b.charge_now_uah), sum(|b| b.charge_full_uah)))
        .or_else(|| {
            let levels: Vec<f64> = batteries.iter().filter_map(|b| b.level_pct()).collect();
            (!levels.is_empty()).then(|| levels.iter().sum::<f64>() / levels.len() as f64)
        });

    let statuses: Vec<BatteryState> = batteries.iter().filter_map(|b| b.status).collect();
    let any = |s: BatteryState| statuses.contains(&s);
    let mut state = if any(BatteryState::Charging) {
        Some(BatteryState::Charging)
    } else if any(BatteryState::Discharging) {
        Some(BatteryState::Discharging)
    } else if any(BatteryState::NotCharging) {
        Some(BatteryState::NotCharging)
    } else if any(BatteryState::Full) {
        Some(BatteryState::Full)
    } else if any(BatteryState::Unknown) {
        Some(BatteryState::Unknown)
    } else {
        None
    };
    let mains_online = supplies
        .iter()
        .any(|s| !s.is_system_battery() && s.kind != "Battery" && s.online == Some(true));
    // Several drivers report "Unknown" while plugged in and idle; the adapter tells the truth.
    if mains_online && matches!(state, None | Some(BatteryState::Unknown)) {
        state = Some(BatteryState::NotCharging);
    }

    let powers: Vec<f64> = batteries.iter().filter_map(|b| b.power_w).collect();
    let mut power_w = (!powers.is_empty()).then(|| powers.iter().sum::<f64>());
    // A driver that cannot measure the draw reports 0 even while the battery is draining.
    if state == Some(BatteryState::Discharging) && power_w == Some(0.0) {
        power_w = None;
    }
    Ok(BatteryReading {
        level_pct,
        state,
        power_w,
    })
}

// ---------------------------------------------------------------------------------------------
// /sys/class/thermal

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripKind {
    /// A fan or other active cooling switches on.
    Active,
    /// The platform starts throttling.
    Passive,
    Hot,
    Critical,
}

impl TripKind {
    fn parse(s: &str) -> Option<TripKind> {
        match s.trim() {
            "active" => Some(TripKind::Active),
            "passive" => Some(TripKind::Passive),
            "hot" => Some(TripKind::Hot),
            "critical" => Some(TripKind::Critical),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TripPoint {
    pub kind: TripKind,
    pub temp_c: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThermalZone {
    /// Folder name, e.g. `thermal_zone3`.
    pub name: String,
    /// The `type` attribute, e.g. `x86_pkg_temp`, `acpitz`.
    pub kind: String,
    pub temp_c: Option<f64>,
    /// Enabled trip points only; disabled ones read as 0 or less.
    pub trips: Vec<TripPoint>,
    pub problems: Vec<String>,
}

/// Sensors report nonsense when switched off (iwlwifi reads −274 °C when the radio is down).
const PLAUSIBLE_C: std::ops::RangeInclusive<f64> = -40.0..=200.0;

/// A sysfs temperature in millidegrees Celsius.
pub fn millidegrees(text: &str, what: &str) -> Result<f64, ParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ParseError::Empty(what.into()));
    }
    let milli = int_attr(t, what)?;
    let c = milli as f64 / 1000.0;
    if !PLAUSIBLE_C.contains(&c) {
        return Err(ParseError::malformed(
            what,
            format!("{c} °C is not plausible"),
        ));
    }
    Ok(c)
}

/// Reads one `thermal_zoneN` folder: its type, current temperature and enabled trip points.
pub fn thermal_zone(dir: &Path) -> Result<ThermalZone, ParseError> {
    let mut buf = String::new();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_attr(dir, "type", &mut buf)?;
    let mut zone = ThermalZone {
        name,
        kind: buf.trim().to_string(),
        ..ThermalZone::default()
    };
    let temp_path = dir.join("temp");
    zone.temp_c = match read_into(&temp_path, &mut buf)
        .and_then(|()| millidegrees(&buf, &temp_path.display().to_string()))
    {
        Ok(c) => Some(c),
        Err(e) => {
            zone.problems.push(e.to_string());
            None
        }
    };
    for n in 0.. {
        let type_path = dir.join(format!("trip_point_{n}_type"));
        match read_into(&type_path, &mut buf) {
            Err(ParseError::Missing(_)) => break,
            Err(e) => {
                zone.problems.push(e.to_string());
                continue;
            }
            Ok(()) => {}
        }
        let Some(kind) = TripKind::parse(&buf) else {
            zone.problems
                .push(format!("{} is {:?}", type_path.display(), buf.trim()));
            continue;
        };
        let temp_path = dir.join(format!("trip_point_{n}_temp"));
        match read_into(&temp_path, &mut buf)
            .and_then(|()| int_attr(&buf, &temp_path.display().to_string()))
        {
            Ok(milli) if milli > 0 && PLAUSIBLE_C.contains(&(milli as f64 / 1000.0)) => {
                zone.trips.push(TripPoint {
                    kind,
                    temp_c: milli as f64 / 1000.0,
                })
            }
            Ok(_) => {} // disabled trip point
            Err(e) => zone.problems.push(e.to_string()),
        }
    }
    Ok(zone)
}

/// Reads every `thermal_zone*` folder under a `/sys/class/thermal`-like root, in numeric order.
pub fn thermal_zones(root: &Path) -> Result<Vec<ThermalZone>, ParseError> {
    let mut dirs: Vec<(u32, std::path::PathBuf)> = fs::read_dir(root)
        .map_err(|e| io_error(root, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix("thermal_zone")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    dirs.sort();
    let mut out = Vec::with_capacity(dirs.len());
    for (_, dir) in dirs {
        match thermal_zone(&dir) {
            Ok(zone) => out.push(zone),
            Err(e) => tracing::debug!(error = %e, "skipping thermal zone"),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct ThermalReading {
    pub max_temp_c: Option<f64>,
    /// Type of the hottest zone, e.g. `x86_pkg_temp`.
    pub hottest_zone: Option<String>,
    /// The state, or why there is none.
    pub state: Result<ThermalState, String>,
}

/// The state one zone implies: critical at a hot/critical trip, serious at the first passive
/// trip (the platform throttles), fair at the first active trip (fans engage), nominal below.
/// A zone without passive or active trips cannot tell nominal from serious, so it only speaks
/// when it has reached a hot/critical trip.
pub fn zone_state(zone: &ThermalZone) -> Option<ThermalState> {
    let temp = zone.temp_c?;
    let lowest = |kinds: &[TripKind]| {
        zone.trips
            .iter()
            .filter(|t| kinds.contains(&t.kind))
            .map(|t| t.temp_c)
            .reduce(f64::min)
    };
    let critical = lowest(&[TripKind::Hot, TripKind::Critical]);
    let passive = lowest(&[TripKind::Passive]);
    let active = lowest(&[TripKind::Active]);
    if critical.is_some_and(|c| temp >= c) {
        return Some(ThermalState::Critical);
    }
    if passive.is_some_and(|p| temp >= p) {
        return Some(ThermalState::Serious);
    }
    if active.is_some_and(|a| temp >= a) {
        return Some(ThermalState::Fair);
    }
    (passive.is_some() || active.is_some()).then_some(ThermalState::Nominal)
}

/// The hottest temperature over all zones and the most severe state any zone implies.
pub fn thermal_state(zones: &[ThermalZone]) -> ThermalReading {
    let hottest = zones
        .iter()
        .filter_map(|z| z.temp_c.map(|t| (t, z)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let state = zones.iter().filter_map(zone_state).max();
    let state = match state {
        Some(s) => Ok(s),
        None if zones.is_empty() => Err("no thermal zones are reported".to_string()),
        None if hottest.is_none() => Err("no thermal zone temperature could be read".to_string()),
        None => Err(
            "no thermal zone has passive or active trip points to place its temperature on the \
             nominal–critical scale"
                .to_string(),
        ),
    };
    ThermalReading {
        max_temp_c: hottest.map(|(t, _)| t),
        hottest_zone: hottest.map(|(_, z)| z.kind.clone()),
        state,
    }
}

// ---------------------------------------------------------------------------------------------
// /sys/class/dmi/id

/// Values firmware vendors leave in DMI fields they did not fill in.
const DMI_PLACEHOLDERS: &[&str] = &[
    "",
    "to be filled by o.e.m.",
    "system product name",
    "system manufacturer",
    "default string",
    "not applicable",
    "none",
    "unknown",
    "o.e.m.",
    "oem",
];

fn dmi_value(root: &Path, name: &str) -> Option<String> {
    let mut buf = String::new();
    read_attr(root, name, &mut buf).ok()?;
    let v = buf.trim();
    (!DMI_PLACEHOLDERS.contains(&v.to_ascii_lowercase().as_str())).then(|| v.to_string())
}

/// `"<sys_vendor> <product_name>"` from a `/sys/class/dmi/id`-like folder, or why not.
pub fn dmi_model(root: &Path) -> Result<String, String> {
    if !root.is_dir() {
        return Err(format!(
            "no DMI information at {} (usual in virtual machines, containers and on ARM boards)",
            root.display()
        ));
    }
    let vendor = dmi_value(root, "sys_vendor");
    let product = dmi_value(root, "product_name");
    // Lenovo puts the type number in product_name and the model in product_version.
    let version = dmi_value(root, "product_version").filter(|_| {
        vendor
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("LENOVO"))
    });
    let product = match (product, version) {
        (Some(p), Some(v)) => Some(format!("{v} ({p})")),
        (p, v) => p.or(v),
    };
    match (vendor, product) {
        (Some(v), Some(p)) if p.to_ascii_lowercase().starts_with(&v.to_ascii_lowercase()) => Ok(p),
        (Some(v), Some(p)) => Ok(format!("{v} {p}")),
        (None, Some(p)) => Ok(p),
        (Some(_), None) | (None, None) => Err(format!(
            "DMI at {} has no usable product name",
            root.display()
        )),
    }
}

/// The device-tree model string (`/proc/device-tree/model`) that ARM boards report instead of DMI.
pub fn device_tree_model(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let model = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if model.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(model.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_value_requires_the_unit() {
        assert_eq!(kib_value("\t    1756 kB"), Some(1756 * 1024));
        assert_eq!(kib_value("\t    17"), None);
        assert_eq!(kib_value("\t    17 k"), None);
        assert_eq!(kib_value(""), None);
    }

    #[test]
    fn system_cpu_pct_guards_against_counters_going_backwards() {
        let a = CpuTimes {
            busy: 100,
            total: 400,
        };
        let b = CpuTimes {
            busy: 150,
            total: 500,
        };
        assert_eq!(system_cpu_pct(a, b), Some(50.0));
        assert_eq!(system_cpu_pct(b, a), None);
        assert_eq!(system_cpu_pct(a, a), None);
    }
}
