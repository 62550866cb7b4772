//! The Linux backend's reading of sysfs folders (power supplies, thermal zones, DMI, GPUs)
//! against real-world and malformed fixtures, and the parsers' verdicts on what it read.

use mobench_telemetry::parse::{self, ParseError, TripKind};
use mobench_telemetry::{linux, BatteryState, LinuxPaths, ThermalState};

use crate::fixture;

#[test]
fn laptop_battery_with_power_now_ignores_the_mouse() {
    let supplies = linux::power_supplies(&fixture("roots/laptop/sys/class/power_supply")).unwrap();
    let names: Vec<&str> = supplies.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["AC", "BAT0", "hidpp_battery_0"]);
    let bat0 = &supplies[1];
    assert!(bat0.is_system_battery());
    assert!(
        !supplies[2].is_system_battery(),
        "scope=Device is a peripheral"
    );
    assert!(bat0.problems.is_empty(), "{:?}", bat0.problems);

    let b = parse::battery(&supplies).unwrap();
    assert_eq!(b.state, Some(BatteryState::Discharging));
    // energy_now / energy_full, finer than the integer capacity (87).
    assert!((b.level_pct.unwrap() - 87.0).abs() < 1e-9);
    assert_eq!(b.power_w, Some(8.45));
}

#[test]
fn battery_with_current_and_voltage_instead_of_power() {
    let supplies = linux::power_supplies(&fixture("power_supply/charge_counters")).unwrap();
    let b = parse::battery(&supplies).unwrap();
    assert_eq!(b.state, Some(BatteryState::Discharging));
    assert!((b.level_pct.unwrap() - 3_100_000.0 / 4_800_000.0 * 100.0).abs() < 1e-9);
    // 1.25 A × 7.6 V
    assert!((b.power_w.unwrap() - 9.5).abs() < 1e-9);
}

#[test]
fn plugged_in_batteries_are_on_external_power() {
    let supplies = linux::power_supplies(&fixture("power_supply/plugged_not_charging")).unwrap();
    let b = parse::battery(&supplies).unwrap();
    assert_eq!(b.state, Some(BatteryState::NotCharging));
    assert!(b.state.unwrap().is_on_external_power());
    assert_eq!(b.level_pct, Some(80.0));

    // "Unknown" while a USB-C source is online is reported as plugged in.
    let supplies = linux::power_supplies(&fixture("power_supply/unknown_on_ac")).unwrap();
    let b = parse::battery(&supplies).unwrap();
    assert_eq!(b.state, Some(BatteryState::NotCharging));
    assert_eq!(b.level_pct, Some(96.0));
    assert_eq!(b.power_w, None);
}

#[test]
fn odd_battery_files_become_missing_values_not_panics() {
    let supplies = linux::power_supplies(&fixture("power_supply/odd")).unwrap();
    // The folder without a `type` is skipped.
    assert_eq!(supplies.len(), 1);
    let bat = &supplies[0];
    assert_eq!(bat.capacity_pct, None);
    assert_eq!(bat.status, None);
    assert_eq!(bat.power_w, None);
    assert_eq!(
        bat.level_pct(),
        None,
        "energy_now without energy_full is no level"
    );
    assert_eq!(bat.problems.len(), 3, "{:?}", bat.problems);
    let b = parse::battery(&supplies).unwrap();
    assert_eq!((b.level_pct, b.state, b.power_w), (None, None, None));
}

#[test]
fn no_system_battery_gives_a_reason() {
    let supplies = linux::power_supplies(&fixture("power_supply/peripheral_only")).unwrap();
    let reason = parse::battery(&supplies).unwrap_err();
    assert!(reason.contains("hidpp_battery_1"), "{reason}");
    assert!(parse::battery(&[])
        .unwrap_err()
        .contains("no power supplies"));

    let empty = tempfile::tempdir().unwrap();
    assert!(linux::power_supplies(empty.path()).unwrap().is_empty());
    let missing = linux::power_supplies(&empty.path().join("nope")).unwrap_err();
    assert!(matches!(missing, ParseError::Missing(_)));
}

#[test]
fn laptop_thermal_zones_and_state() {
    let zones = linux::thermal_zones(&fixture("roots/laptop/sys/class/thermal")).unwrap();
    let kinds: Vec<&str> = zones.iter().map(|z| z.kind.as_str()).collect();
    assert_eq!(kinds, ["acpitz", "x86_pkg_temp", "iwlwifi_1"]);
    assert_eq!(zones[0].temp_c, Some(58.0));
    assert_eq!(zones[0].trips.len(), 4);
    assert_eq!(zones[0].trips[1].kind, TripKind::Passive);
    assert!(zones[1].trips.is_empty(), "trip points at 0 are disabled");
    assert_eq!(zones[2].temp_c, None, "temp = N/A");
    assert_eq!(zones[2].problems.len(), 1);

    // acpitz at 58 °C is past its first active (fan) trip at 55 °C and below passive 95 °C;
    // x86_pkg_temp is hotter but has no trips, so it only sets the temperature.
    let reading = parse::thermal_state(&zones);
    assert_eq!(reading.state, Ok(ThermalState::Fair));
    assert_eq!(reading.max_temp_c, Some(71.0));
    assert_eq!(reading.hottest_zone.as_deref(), Some("x86_pkg_temp"));
}

#[test]
fn thermal_states_at_passive_and_critical_trips() {
    let zones = linux::thermal_zones(&fixture("thermal/throttling")).unwrap();
    let reading = parse::thermal_state(&zones);
    assert_eq!(reading.state, Ok(ThermalState::Serious));
    assert_eq!(reading.max_temp_c, Some(99.0));

    let zones = linux::thermal_zones(&fixture("thermal/critical")).unwrap();
    assert_eq!(
        parse::thermal_state(&zones).state,
        Ok(ThermalState::Critical)
    );

    let mut cool = zones[0].clone();
    cool.temp_c = Some(60.0);
    assert_eq!(parse::zone_state(&cool), Some(ThermalState::Nominal));
}

#[test]
fn without_trip_points_there_is_a_temperature_but_no_state() {
    let zones = linux::thermal_zones(&fixture("thermal/no_trips")).unwrap();
    let reading = parse::thermal_state(&zones);
    assert_eq!(reading.max_temp_c, Some(45.0));
    let reason = reading.state.unwrap_err();
    assert!(reason.contains("trip points"), "{reason}");

    let empty = tempfile::tempdir().unwrap();
    let zones = linux::thermal_zones(empty.path()).unwrap();
    let reading = parse::thermal_state(&zones);
    assert_eq!(reading.max_temp_c, None);
    assert!(reading.state.unwrap_err().contains("no thermal zones"));
}

#[test]
fn odd_thermal_files_become_missing_values_not_panics() {
    let zones = linux::thermal_zones(&fixture("thermal/odd")).unwrap();
    // thermal_zone3 has no type and is skipped.
    assert_eq!(zones.len(), 3);
    assert_eq!(zones[0].temp_c, None, "empty temp");
    assert_eq!(zones[1].temp_c, None, "-274 °C is a switched-off sensor");
    assert_eq!(zones[2].temp_c, Some(51.0));
    assert!(zones[2].trips.is_empty(), "garbled trip points are dropped");
    assert_eq!(zones[2].problems.len(), 2, "{:?}", zones[2].problems);
    let reading = parse::thermal_state(&zones);
    assert_eq!(reading.max_temp_c, Some(51.0));
    // acpitz's passive trip cannot be used without its temperature.
    assert!(reading.state.is_err());

    assert!(parse::millidegrees("N/A", "temp").is_err());
    assert!(parse::millidegrees("", "temp").is_err());
    assert_eq!(parse::millidegrees("42500\n", "temp"), Ok(42.5));
}

#[test]
fn dmi_models() {
    assert_eq!(
        linux::dmi_model(&fixture("roots/laptop/sys/class/dmi/id")).unwrap(),
        "LENOVO ThinkPad X1 Carbon Gen 9 (20XWCTO1WW)"
    );
    assert_eq!(
        linux::dmi_model(&fixture("dmi/dell")).unwrap(),
        "Dell Inc. XPS 13 9310"
    );
    // The product name already starts with the vendor.
    assert_eq!(
        linux::dmi_model(&fixture("dmi/framework")).unwrap(),
        "Framework Laptop 13 (AMD Ryzen 7040Series)"
    );
    assert!(linux::dmi_model(&fixture("dmi/placeholder")).is_err());
    let reason = linux::dmi_model(&fixture("dmi/absent")).unwrap_err();
    assert!(reason.contains("virtual machines"), "{reason}");
    assert_eq!(
        linux::device_tree_model(&fixture("device-tree/model")).unwrap(),
        "Raspberry Pi 5 Model B Rev 1.0"
    );
}

#[test]
fn linux_device_model_and_gpus_from_fixture_roots() {
    let laptop = LinuxPaths::under(&fixture("roots/laptop"));
    assert_eq!(
        linux::device_model(&laptop).unwrap(),
        "LENOVO ThinkPad X1 Carbon Gen 9 (20XWCTO1WW)"
    );
    // card1-eDP-1 is a connector, not a GPU.
    assert_eq!(linux::gpus(&laptop).unwrap(), "Intel GPU (PCI 8086:9a49)");

    // NVIDIA's driver names the model, so its DRM card is not listed twice.
    let workstation = LinuxPaths::under(&fixture("roots/workstation"));
    assert_eq!(
        linux::gpus(&workstation).unwrap(),
        "NVIDIA GeForce RTX 4090, Intel GPU (PCI 8086:a780)"
    );
    let reason = linux::device_model(&workstation).unwrap_err();
    assert!(reason.contains("no DMI information"), "{reason}");

    let empty = tempfile::tempdir().unwrap();
    let mut bare = LinuxPaths::under(empty.path());
    assert!(linux::gpus(&bare).unwrap_err().contains("no GPU"));
    // ARM boards without DMI name themselves in the device tree.
    bare.device_tree_model = fixture("device-tree/model");
    assert_eq!(
        linux::device_model(&bare).unwrap(),
        "Raspberry Pi 5 Model B Rev 1.0"
    );
}
