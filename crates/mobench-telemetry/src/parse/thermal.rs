//! `/sys/class/thermal`: one zone from its attributes, and the device's thermal state over all.

use super::{int_attr, non_empty, Attr, ParseError};
use crate::reading::ThermalState;

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
    let milli = int_attr(non_empty(text, what)?, what)?;
    let c = milli as f64 / 1000.0;
    if !PLAUSIBLE_C.contains(&c) {
        return Err(ParseError::malformed(
            what,
            format!("{c} °C is not plausible"),
        ));
    }
    Ok(c)
}

/// Parses the `thermal_zoneN` folder `dir` (named `name`) from its attributes, which `attr`
/// reads by name: its type, current temperature and enabled trip points. Only a missing or
/// unreadable `type` is an error; other problems are noted in `problems`.
pub fn thermal_zone(
    name: &str,
    dir: &str,
    mut attr: impl FnMut(&str) -> Attr,
) -> Result<ThermalZone, ParseError> {
    let what = |attr: &str| format!("{dir}/{attr}");
    // An attribute's text, where an empty file is an error like an unreadable one.
    let mut text = |name: &str| -> Attr {
        let text = attr(name)?;
        non_empty(&text, &what(name))?;
        Ok(text)
    };
    let kind = text("type")?.trim().to_string();
    let mut zone = ThermalZone {
        name: name.to_string(),
        kind,
        ..ThermalZone::default()
    };
    zone.temp_c = match text("temp").and_then(|t| millidegrees(&t, &what("temp"))) {
        Ok(c) => Some(c),
        Err(e) => {
            zone.problems.push(e.to_string());
            None
        }
    };
    for n in 0.. {
        let type_name = format!("trip_point_{n}_type");
        let kind = match text(&type_name) {
            Err(ParseError::Missing(_)) => break,
            Err(e) => {
                zone.problems.push(e.to_string());
                continue;
            }
            Ok(t) => t,
        };
        let Some(kind) = TripKind::parse(&kind) else {
            zone.problems
                .push(format!("{} is {:?}", what(&type_name), kind.trim()));
            continue;
        };
        let temp_name = format!("trip_point_{n}_temp");
        match text(&temp_name).and_then(|t| int_attr(&t, &what(&temp_name))) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(attrs: &'static [(&'static str, &'static str)]) -> Result<ThermalZone, ParseError> {
        thermal_zone("thermal_zone0", "tz", |name| {
            attrs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
                .ok_or_else(|| ParseError::Missing(name.to_string()))
        })
    }

    #[test]
    fn a_zone_from_its_attribute_texts() {
        let z = zone(&[
            ("type", "acpitz\n"),
            ("temp", "58000\n"),
            ("trip_point_0_type", "critical\n"),
            ("trip_point_0_temp", "105000\n"),
            ("trip_point_1_type", "passive\n"),
            ("trip_point_1_temp", "0\n"),
            ("trip_point_2_type", "\n"),
            ("trip_point_3_type", "active\n"),
            ("trip_point_3_temp", "55000\n"),
        ])
        .unwrap();
        assert_eq!((z.kind.as_str(), z.temp_c), ("acpitz", Some(58.0)));
        let kinds: Vec<TripKind> = z.trips.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [TripKind::Critical, TripKind::Active],
            "0 is disabled"
        );
        assert_eq!(z.problems, ["tz/trip_point_2_type is empty"]);
        assert_eq!(zone_state(&z), Some(ThermalState::Fair));
    }

    #[test]
    fn a_zone_without_a_type_is_an_error() {
        assert!(matches!(
            zone(&[("temp", "1000")]),
            Err(ParseError::Missing(_))
        ));
        assert!(matches!(zone(&[("type", " ")]), Err(ParseError::Empty(_))));
    }
}
