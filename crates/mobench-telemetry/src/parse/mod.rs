//! Pure parsers for what the Linux probe reads from procfs and sysfs: text in, values out.
//!
//! They do no file I/O (that lives in `platform::linux`), so real-world and malformed files can
//! be tested on any host. Every parser returns an error for text it does not understand instead
//! of guessing: a truncated or garbled file must become "unavailable" for that reading, never a
//! wrong number and never a panic in the sampler thread.
//!
//! sysfs folders (a power supply, a thermal zone) are parsed from their attributes, which the
//! parser asks for by name through a callback; only the attributes it needs are asked for.

mod device;
mod power;
mod proc;
mod thermal;

pub use device::{device_tree_model, dmi_model, drm_gpu, is_drm_card, nvidia_gpu_model};
pub use power::{battery, power_supply, BatteryReading, PowerSupply};
pub use proc::{
    meminfo, proc_pid_stat_ticks, proc_stat, proc_stat_cpu_line, proc_status, system_cpu_pct,
    CpuTimes, MemInfo, ProcStatus,
};
pub use thermal::{
    millidegrees, thermal_state, thermal_zone, zone_state, ThermalReading, ThermalZone, TripKind,
    TripPoint,
};

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
    pub(crate) fn malformed(what: impl Into<String>, detail: impl Into<String>) -> Self {
        ParseError::Malformed {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// What reading one attribute of a sysfs folder gave: its text, or why not
/// ([`ParseError::Missing`] for an attribute the driver does not offer, which is normal).
pub type Attr = Result<String, ParseError>;

/// The text of a file that must not be empty, or [`ParseError::Empty`] naming `what`.
fn non_empty<'a>(text: &'a str, what: &str) -> Result<&'a str, ParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ParseError::Empty(what.into()));
    }
    Ok(t)
}

fn int_attr(text: &str, what: &str) -> Result<i64, ParseError> {
    let t = text.trim();
    t.parse::<i64>()
        .map_err(|_| ParseError::malformed(what, format!("{t:?} is not an integer")))
}

/// `now` as a share of `full` in percent, capped at 100; `None` without a positive `full`.
fn ratio_pct(now: Option<u64>, full: Option<u64>) -> Option<f64> {
    match (now, full) {
        (Some(now), Some(full)) if full > 0 => Some((now as f64 / full as f64 * 100.0).min(100.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_pct_needs_a_positive_full_and_caps_at_100() {
        assert_eq!(ratio_pct(Some(50), Some(200)), Some(25.0));
        assert_eq!(ratio_pct(Some(300), Some(200)), Some(100.0));
        assert_eq!(ratio_pct(Some(1), Some(0)), None);
        assert_eq!(ratio_pct(None, Some(10)), None);
    }

    #[test]
    fn int_attr_and_non_empty() {
        assert_eq!(int_attr(" 42\n", "x"), Ok(42));
        assert!(matches!(
            int_attr("4.2", "x"),
            Err(ParseError::Malformed { .. })
        ));
        assert_eq!(non_empty(" a \n", "x"), Ok("a"));
        assert_eq!(non_empty(" \n", "x"), Err(ParseError::Empty("x".into())));
    }
}
