//! `/proc/self/status`, `/proc/self/stat`, `/proc/stat` and `/proc/meminfo`.

use super::{non_empty, ParseError};

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
    non_empty(text, WHAT)?;
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

/// The process's user + system CPU time in clock ticks (`utime` + `stime`, fields 14 and 15).
pub fn proc_pid_stat_ticks(text: &str) -> Result<u64, ParseError> {
    const WHAT: &str = "/proc/self/stat";
    non_empty(text, WHAT)?;
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
    non_empty(text, WHAT)?;
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
    non_empty(text, WHAT)?;
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
