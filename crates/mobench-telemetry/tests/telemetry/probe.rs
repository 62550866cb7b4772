//! The Linux probe pointed at fixture roots: what it reads, what it reports missing, and that
//! broken files never stop it.

use std::fs;
use std::path::Path;
use std::time::Duration;

use mobench_telemetry::{
    BatteryState, LinuxPaths, PhaseTracker, Probe, SensorStatus, ThermalState,
};

use crate::fixture;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A probe over a writable copy of the laptop root (the copy lives as long as the folder).
fn laptop_copy() -> (tempfile::TempDir, LinuxPaths, Probe) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("roots/laptop"), dir.path());
    let paths = LinuxPaths::under(dir.path());
    let probe = Probe::linux(paths.clone());
    (dir, paths, probe)
}

fn sensor<'a>(sensors: &'a [SensorStatus], name: &str) -> &'a SensorStatus {
    sensors
        .iter()
        .find(|s| s.sensor == name)
        .unwrap_or_else(|| panic!("no sensor {name} in {sensors:?}"))
}

#[test]
fn laptop_root_reads_every_linux_sensor() {
    let mut probe = Probe::linux(LinuxPaths::under(&fixture("roots/laptop")));
    let sensors = probe.sensors();
    for name in [
        "process_cpu",
        "system_cpu",
        "memory",
        "peak_memory",
        "system_memory",
        "battery",
        "power",
        "thermal_state",
        "temperature",
    ] {
        let s = sensor(&sensors, name);
        assert!(s.available, "{name}: {:?}", s.reason);
    }
    for name in ["footprint", "headroom"] {
        let s = sensor(&sensors, name);
        assert!(!s.available && s.reason.is_some(), "{s:?}");
    }

    let tracker = PhaseTracker::new();
    let r = probe.read(&tracker);
    assert_eq!(r.rss_bytes, Some(4_523_008 * 1024));
    assert_eq!(r.peak_rss_bytes, Some(4_718_592 * 1024));
    assert_eq!(r.system_memory_available_bytes, Some(21_456_780 * 1024));
    assert_eq!(
        r.system_memory_used_bytes,
        Some((32_562_804 - 21_456_780) * 1024)
    );
    assert!((r.battery_level_pct.unwrap() - 87.0).abs() < 1e-9);
    assert_eq!(r.battery_state, Some(BatteryState::Discharging));
    assert_eq!(r.power_w, Some(8.45));
    assert_eq!(r.thermal_state, Some(ThermalState::Fair));
    assert_eq!(r.temperature_c, Some(71.0));
    assert_eq!(r.footprint_bytes, None);
    // CPU figures are differences between readings: the first has none.
    assert_eq!(r.process_cpu_pct, None);
    assert_eq!(r.system_cpu_pct, None);
    assert!(r.unix_ms > 1_600_000_000_000);
}

#[test]
fn cpu_percentages_come_from_counter_differences() {
    let (_root, paths, mut probe) = laptop_copy();
    let tracker = PhaseTracker::new();
    let first = probe.read(&tracker);
    assert_eq!(first.process_cpu_pct, None);

    // 20 more ticks (200 ms at USER_HZ = 100) of process time over ≥ 200 ms of wall time.
    let stat = fs::read_to_string(paths.proc_self.join("stat")).unwrap();
    fs::write(
        paths.proc_self.join("stat"),
        stat.replace(" 51234 1766 ", " 51244 1776 "),
    )
    .unwrap();
    // The machine: 300 more busy ticks out of 400.
    let sys = fs::read_to_string(&paths.proc_stat).unwrap();
    fs::write(
        &paths.proc_stat,
        sys.replace(
            "cpu  2419330 1220 512772 38912842 ",
            "cpu  2419630 1220 512772 38912942 ",
        ),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let second = probe.read(&tracker);
    let process = second
        .process_cpu_pct
        .expect("process CPU after two readings");
    assert!((30.0..=101.0).contains(&process), "{process}");
    assert_eq!(second.system_cpu_pct, Some(75.0));
    assert!(second.elapsed_ms >= first.elapsed_ms + 200.0);
}

#[test]
fn files_breaking_mid_run_give_missing_values_then_recover() {
    let (_root, paths, mut probe) = laptop_copy();
    let tracker = PhaseTracker::new();
    assert!(probe.read(&tracker).rss_bytes.is_some());

    let status = paths.proc_self.join("status");
    let good = fs::read_to_string(&status).unwrap();
    let battery_status = paths.power_supply.join("BAT0/status");
    let zone_temp = paths.thermal.join("thermal_zone1/temp");
    let zone0_temp = paths.thermal.join("thermal_zone0/temp");
    fs::write(&status, &good[..good.find("VmRSS").unwrap() + 9]).unwrap();
    fs::write(&paths.proc_meminfo, "").unwrap();
    fs::write(&battery_status, "Exploding\n").unwrap();
    fs::write(&zone_temp, "N/A\n").unwrap();
    fs::write(&zone0_temp, "").unwrap();
    fs::write(&paths.proc_stat, "garbage").unwrap();

    let broken = probe.read(&tracker);
    assert_eq!(broken.rss_bytes, None, "truncated VmRSS line");
    assert_eq!(
        broken.peak_rss_bytes,
        Some(4_718_592 * 1024),
        "VmHWM was complete"
    );
    assert_eq!(broken.system_memory_used_bytes, None);
    assert_eq!(broken.system_cpu_pct, None);
    assert_eq!(broken.battery_state, None);
    assert!(
        broken.battery_level_pct.is_some(),
        "the level is still readable"
    );
    assert_eq!(broken.temperature_c, None);
    assert_eq!(broken.thermal_state, None);

    fs::write(&status, &good).unwrap();
    fs::write(&zone_temp, "64000\n").unwrap();
    fs::write(&zone0_temp, "96000\n").unwrap();
    let recovered = probe.read(&tracker);
    assert_eq!(recovered.rss_bytes, Some(4_523_008 * 1024));
    assert_eq!(recovered.temperature_c, Some(96.0));
    assert_eq!(recovered.thermal_state, Some(ThermalState::Serious));
}

#[test]
fn a_vm_root_reports_battery_and_thermal_unavailable_with_reasons() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(&fixture("roots/laptop/proc"), &root.path().join("proc"));
    // A container: the classes exist but are empty.
    fs::create_dir_all(root.path().join("sys/class/power_supply")).unwrap();
    fs::create_dir_all(root.path().join("sys/class/thermal")).unwrap();
    let mut probe = Probe::linux(LinuxPaths::under(root.path()));
    let sensors = probe.sensors();
    for name in ["battery", "power", "thermal_state", "temperature"] {
        let s = sensor(&sensors, name);
        assert!(!s.available, "{name}");
        assert!(
            !s.reason.as_deref().unwrap_or("").is_empty(),
            "{name} needs a reason"
        );
    }
    let r = probe.read(&PhaseTracker::new());
    assert!(r.rss_bytes.is_some());
    assert_eq!(
        (r.battery_level_pct, r.power_w, r.temperature_c),
        (None, None, None)
    );

    // Without /sys at all the reasons name the missing folder.
    fs::remove_dir_all(root.path().join("sys")).unwrap();
    let sensors = Probe::linux(LinuxPaths::under(root.path())).sensors();
    let reason = sensor(&sensors, "battery").reason.clone().unwrap();
    assert!(reason.contains("power_supply"), "{reason}");
}

#[test]
fn an_empty_root_never_panics_and_explains_everything() {
    let root = tempfile::tempdir().unwrap();
    let mut probe = Probe::linux(LinuxPaths::under(root.path()));
    let sensors = probe.sensors();
    assert!(
        sensors.iter().all(|s| !s.available && s.reason.is_some()),
        "{sensors:?}"
    );
    let r = probe.read(&PhaseTracker::new());
    assert_eq!(r.rss_bytes, None);
    assert_eq!(r.process_cpu_pct, None);
}

#[test]
fn readings_are_tagged_from_the_tracker() {
    let mut probe = Probe::linux(LinuxPaths::under(&fixture("roots/laptop")));
    let tracker = PhaseTracker::new();
    tracker.set(mobench_telemetry::Phase::Decode, Some(12));
    let r = probe.read(&tracker);
    assert_eq!(r.phase, mobench_telemetry::Phase::Decode);
    assert_eq!(r.sample_index, Some(12));
}
