//! `/sys/class/power_supply`: one supply from its attributes, and the system battery over all.

use super::{int_attr, non_empty, ratio_pct, Attr, ParseError};
use crate::reading::BatteryState;

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
        ratio_pct(self.energy_now_uwh, self.energy_full_uwh)
            .or_else(|| ratio_pct(self.charge_now_uah, self.charge_full_uah))
            .or(self.capacity_pct)
    }
}

/// Parses the power supply folder `dir` (named `name`, e.g. `BAT0`) from its attributes, which
/// `attr` reads by name. Only a missing or unreadable `type` is an error; any other attribute
/// that is absent stays `None` and one that is unreadable is noted in `problems`. Adapters and
/// peripherals' batteries are asked for fewer attributes than system batteries.
pub fn power_supply(
    name: &str,
    dir: &str,
    mut attr: impl FnMut(&str) -> Attr,
) -> Result<PowerSupply, ParseError> {
    let what = |attr: &str| format!("{dir}/{attr}");
    let kind = attr("type")?;
    let mut ps = PowerSupply {
        name: name.to_string(),
        kind: non_empty(&kind, &what("type"))?.to_string(),
        ..PowerSupply::default()
    };
    let mut problems = Vec::new();
    // Absent attributes are normal (each driver offers a different subset); unreadable ones are
    // worth reporting.
    let mut attr = |name: &str| -> Option<String> {
        match attr(name).and_then(|text| non_empty(&text, &what(name)).map(str::to_string)) {
            Ok(text) => Some(text),
            Err(ParseError::Missing(_)) => None,
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    };

    ps.scope = attr("scope");
    if ps.kind != "Battery" || ps.scope.as_deref() == Some("Device") {
        // Adapters only matter for whether they are online and peripherals' batteries not at
        // all; skipping their other attributes halves the files read per interval.
        let online = (ps.kind != "Battery").then(|| attr("online")).flatten();
        ps.online = flag(online, &what("online"), &mut problems);
        ps.problems = problems;
        return Ok(ps);
    }
    let present = attr("present");
    let status = attr("status");
    let capacity = attr("capacity");
    let [energy_now, energy_full, charge_now, charge_full, power_now, current_now, voltage_now] = [
        "energy_now",
        "energy_full",
        "charge_now",
        "charge_full",
        "power_now",
        "current_now",
        "voltage_now",
    ]
    .map(|n| (n, attr(n)));

    ps.present = flag(present, &what("present"), &mut problems);
    ps.status = status.and_then(|s| {
        let parsed = BatteryState::parse(&s);
        if parsed.is_none() {
            problems.push(format!("{} is {s:?}", what("status")));
        }
        parsed
    });
    let mut number = |(name, text): (&str, Option<String>)| -> Option<i64> {
        match int_attr(&text?, &what(name)) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    };
    ps.capacity_pct = number(("capacity", capacity))
        .filter(|c| (0..=100).contains(c))
        .map(|c| c as f64);
    let unsigned = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    ps.energy_now_uwh = unsigned(number(energy_now));
    ps.energy_full_uwh = unsigned(number(energy_full));
    ps.charge_now_uah = unsigned(number(charge_now));
    ps.charge_full_uah = unsigned(number(charge_full));
    // Some drivers sign the current by direction; the magnitude is the draw.
    ps.power_w = match (number(power_now), number(current_now), number(voltage_now)) {
        (Some(uw), _, _) => Some(uw.unsigned_abs() as f64 / 1e6),
        (None, Some(ua), Some(uv)) => {
            Some(ua.unsigned_abs() as f64 * uv.unsigned_abs() as f64 / 1e12)
        }
        _ => None,
    };
    ps.problems = problems;
    Ok(ps)
}

/// A sysfs `0`/`1` flag; anything else is noted in `problems`.
fn flag(text: Option<String>, what: &str, problems: &mut Vec<String>) -> Option<bool> {
    text.and_then(|t| match t.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => {
            problems.push(format!("{what} is {t:?}, expected 0 or 1"));
            None
        }
    })
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
    let level_pct = ratio_pct(sum(|b| b.energy_now_uwh), sum(|b| b.energy_full_uwh))
        .or_else(|| ratio_pct(sum(|b| b.charge_now_uah), sum(|b| b.charge_full_uah)))
        .or_else(|| {
            let levels: Vec<f64> = batteries.iter().filter_map(|b| b.level_pct()).collect();
            (!levels.is_empty()).then(|| levels.iter().sum::<f64>() / levels.len() as f64)
        });

    let statuses: Vec<BatteryState> = batteries.iter().filter_map(|b| b.status).collect();
    // The most telling state any battery reports, in this order.
    let mut state = [
        BatteryState::Charging,
        BatteryState::Discharging,
        BatteryState::NotCharging,
        BatteryState::Full,
        BatteryState::Unknown,
    ]
    .into_iter()
    .find(|s| statuses.contains(s));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A supply folder as a map of attribute texts; anything else is missing.
    fn folder(attrs: &[(&str, &str)]) -> impl FnMut(&str) -> Attr {
        let attrs: HashMap<String, String> = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            attrs
                .get(name)
                .cloned()
                .ok_or_else(|| ParseError::Missing(name.to_string()))
        }
    }

    #[test]
    fn a_battery_from_its_attribute_texts() {
        let ps = power_supply(
            "BAT0",
            "/sys/class/power_supply/BAT0",
            folder(&[
                ("type", "Battery\n"),
                ("status", "Discharging\n"),
                ("capacity", "87\n"),
                ("charge_now", "3100000\n"),
                ("charge_full", "4800000\n"),
                ("current_now", "-1250000\n"),
                ("voltage_now", "7600000\n"),
                ("present", "yes\n"),
            ]),
        )
        .unwrap();
        assert_eq!(ps.name, "BAT0");
        assert_eq!(ps.status, Some(BatteryState::Discharging));
        assert_eq!(ps.capacity_pct, Some(87.0));
        assert!((ps.power_w.unwrap() - 9.5).abs() < 1e-9);
        assert!((ps.level_pct().unwrap() - 3_100_000.0 / 4_800_000.0 * 100.0).abs() < 1e-9);
        assert_eq!(ps.present, None);
        assert_eq!(ps.problems.len(), 1, "{:?}", ps.problems);
        assert!(ps.problems[0].contains("BAT0/present"), "{:?}", ps.problems);
    }

    #[test]
    fn adapters_are_asked_only_whether_they_are_online() {
        let mut asked = Vec::new();
        let mut attrs = folder(&[("type", "Mains"), ("online", "1"), ("capacity", "5")]);
        let ps = power_supply("AC", "AC", |name| {
            asked.push(name.to_string());
            attrs(name)
        })
        .unwrap();
        assert_eq!(ps.online, Some(true));
        assert_eq!(ps.capacity_pct, None);
        assert_eq!(asked, ["type", "scope", "online"]);
    }

    #[test]
    fn a_missing_or_empty_type_is_an_error() {
        assert!(matches!(
            power_supply("x", "x", folder(&[])),
            Err(ParseError::Missing(_))
        ));
        assert!(matches!(
            power_supply("x", "x", folder(&[("type", "\n")])),
            Err(ParseError::Empty(_))
        ));
    }
}
