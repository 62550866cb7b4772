//! summarize() over hand-built reading series.

use std::time::Duration;

use mobench_telemetry::{
    summarize, summarize_with_sensors, BatteryState, BatterySummary, Phase, Reading, SensorStatus,
    ThermalState,
};

const T0: i64 = 1_750_000_000_000;
const MB: u64 = 1 << 20;
const SECOND: Duration = Duration::from_secs(1);

/// A reading `ms` into a session that started at wall-clock `session_start`.
fn at(session_start: i64, ms: f64, phase: Phase) -> Reading {
    Reading {
        unix_ms: session_start + ms as i64,
        elapsed_ms: ms,
        phase,
        ..Reading::default()
    }
}

/// Readings one second apart in one session.
fn series(n: usize, mut f: impl FnMut(usize, &mut Reading)) -> Vec<Reading> {
    (0..n)
        .map(|i| {
            let mut r = at(T0, i as f64 * 1000.0, Phase::Decode);
            f(i, &mut r);
            r
        })
        .collect()
}

fn reason<'a>(s: &'a mobench_telemetry::ResourceSummary, figure: &str) -> &'a str {
    s.unavailable
        .iter()
        .find(|(f, _)| f == figure)
        .map(|(_, r)| r.as_str())
        .unwrap_or_else(|| panic!("no reason for {figure}: {:?}", s.unavailable))
}

/// The drain figures (% per hour, % per 1,000 tokens) of a summary that must have them.
fn drain(battery: &BatterySummary) -> (f64, Option<f64>) {
    let BatterySummary::Drain {
        pct_per_hour,
        pct_per_1k_tokens,
    } = battery
    else {
        panic!("expected a drain figure, got {battery:?}");
    };
    (*pct_per_hour, *pct_per_1k_tokens)
}

#[test]
fn cpu_mean_and_numpy_p95() {
    let cpu = [
        None,
        Some(100.0),
        Some(200.0),
        Some(300.0),
        Some(400.0),
        Some(1000.0),
    ];
    let readings = series(cpu.len(), |i, r| r.process_cpu_pct = cpu[i]);
    let s = summarize(&readings, SECOND, 0);
    assert_eq!(s.cpu_mean_pct, Some(400.0));
    // numpy.percentile([100, 200, 300, 400, 1000], 95) == 880.0
    assert!((s.cpu_p95_pct.unwrap() - 880.0).abs() < 1e-9);
    assert_eq!(s.readings, 6);
    assert_eq!(s.gaps, 0);
}

#[test]
fn baseline_is_the_last_reading_before_loading_and_peak_includes_vm_hwm() {
    let phases = [
        Phase::Idle,
        Phase::Idle,
        Phase::Loading,
        Phase::Prefill,
        Phase::Decode,
    ];
    let rss = [100, 110, 500, 900, 950];
    let readings = series(5, |i, r| {
        r.phase = phases[i];
        r.rss_bytes = Some(rss[i] * MB);
        r.peak_rss_bytes = Some(if i == 3 { 1000 * MB } else { rss[i] * MB });
    });
    let s = summarize(&readings, SECOND, 0);
    assert_eq!(s.baseline_memory_bytes, Some(110 * MB));
    assert_eq!(s.peak_memory_bytes, Some(1000 * MB));
    assert_eq!(s.model_memory_bytes, Some(890 * MB));

    // Without a loading phase the first reading is the baseline.
    let readings = series(3, |i, r| r.rss_bytes = Some((200 + 100 * i as u64) * MB));
    let s = summarize(&readings, SECOND, 0);
    assert_eq!(s.baseline_memory_bytes, Some(200 * MB));
    assert_eq!(s.model_memory_bytes, Some(200 * MB));
}

#[test]
fn apple_readings_use_the_footprint() {
    let phases = [Phase::Idle, Phase::Loading, Phase::Decode, Phase::Decode];
    let footprint = [200, 700, 1500, 1400];
    let readings = series(4, |i, r| {
        r.phase = phases[i];
        r.footprint_bytes = Some(footprint[i] * MB);
        // Resident memory counts the mapped model file and must not override the footprint.
        r.rss_bytes = Some(3000 * MB);
        r.peak_rss_bytes = Some(3100 * MB);
    });
    let s = summarize(&readings, SECOND, 0);
    assert_eq!(s.baseline_memory_bytes, Some(200 * MB));
    assert_eq!(s.peak_memory_bytes, Some(1500 * MB));
    assert_eq!(s.model_memory_bytes, Some(1300 * MB));
}

#[test]
fn battery_drain_per_hour_and_per_thousand_tokens_while_discharging() {
    // 80 % → 79 % over 36 s, linearly.
    let readings = series(37, |i, r| {
        r.battery_level_pct = Some(80.0 - i as f64 / 36.0);
        r.battery_state = Some(BatteryState::Discharging);
    });
    let s = summarize(&readings, SECOND, 500);
    let (pct_per_hour, pct_per_1k_tokens) = drain(&s.battery);
    assert!((pct_per_hour - 100.0).abs() < 1e-9, "{pct_per_hour}");
    assert!((pct_per_1k_tokens.unwrap() - 2.0).abs() < 1e-9);
    let json = serde_json::to_value(&s.battery).unwrap();
    assert_eq!(json["status"], "drain");
}

#[test]
fn a_run_that_was_ever_plugged_in_is_marked_charging() {
    for plugged in [
        BatteryState::Charging,
        BatteryState::Full,
        BatteryState::NotCharging,
    ] {
        let readings = series(10, |i, r| {
            r.battery_level_pct = Some(90.0 - i as f64 * 0.1);
            r.battery_state = Some(if i == 5 {
                plugged
            } else {
                BatteryState::Discharging
            });
            r.power_w = Some(6.0);
        });
        let s = summarize(&readings, SECOND, 100);
        assert_eq!(s.battery, BatterySummary::Charging, "{plugged:?}");
        assert_eq!(s.energy_j_per_token, None);
        assert!(reason(&s, "battery_drain_pct_per_hour").contains("charging"));
        assert!(reason(&s, "energy_j_per_token").contains("charging"));
    }
}

#[test]
fn no_battery_is_unavailable_with_a_reason() {
    let readings = series(5, |_, r| r.rss_bytes = Some(MB));
    let s = summarize(&readings, SECOND, 100);
    let BatterySummary::Unavailable { reason: why } = &s.battery else {
        panic!("{:?}", s.battery);
    };
    assert!(why.contains("no reading had a battery"), "{why}");
    assert!(reason(&s, "energy_j_per_token").contains("battery"));

    // With the sampler's sensor list, the sensor's own reason is used.
    let sensors = [SensorStatus::unavailable(
        "battery",
        "/sys/class/power_supply: no power supplies are reported",
    )];
    let s = summarize_with_sensors(&readings, SECOND, 100, &sensors);
    assert_eq!(
        s.battery,
        BatterySummary::Unavailable {
            reason: "/sys/class/power_supply: no power supplies are reported".into()
        }
    );
}

#[test]
fn energy_per_token_integrates_power_over_time() {
    // 36 s at an average of 5 W (alternating 4 and 6 W) = 180 J; 360 tokens → 0.5 J/token.
    let readings = series(37, |i, r| {
        r.battery_level_pct = Some(80.0 - i as f64 * 0.01);
        r.battery_state = Some(BatteryState::Discharging);
        r.power_w = Some(if i % 2 == 0 { 4.0 } else { 6.0 });
    });
    let s = summarize(&readings, SECOND, 360);
    assert!(
        (s.energy_j_per_token.unwrap() - 0.5).abs() < 1e-9,
        "{:?}",
        s.energy_j_per_token
    );

    // Power known for under 90 % of the run: no figure, and the reason says so.
    let patchy: Vec<Reading> = readings
        .iter()
        .enumerate()
        .map(|(i, r)| Reading {
            power_w: if i % 3 == 0 { None } else { r.power_w },
            ..r.clone()
        })
        .collect();
    let s = summarize(&patchy, SECOND, 360);
    assert_eq!(s.energy_j_per_token, None);
    assert!(reason(&s, "energy_j_per_token").contains("only"));
}

#[test]
fn time_in_each_thermal_state_and_first_departure_from_nominal() {
    use ThermalState::*;
    let states = [
        Nominal, Nominal, Fair, Fair, Serious, Serious, Critical, Nominal,
    ];
    let readings = series(states.len(), |i, r| {
        r.thermal_state = Some(states[i]);
        r.temperature_c = Some(50.0 + i as f64);
    });
    let s = summarize(&readings, SECOND, 0);
    // Each interval is charged to the state at its start; the last reading has no interval.
    assert_eq!(s.thermal_ms[&Nominal], 2000.0);
    assert_eq!(s.thermal_ms[&Fair], 2000.0);
    assert_eq!(s.thermal_ms[&Serious], 2000.0);
    assert_eq!(s.thermal_ms[&Critical], 1000.0);
    assert_eq!(s.first_non_nominal_ms, Some(2000.0));
    assert_eq!(s.max_temperature_c, Some(57.0));

    let calm = series(4, |_, r| r.thermal_state = Some(Nominal));
    let s = summarize(&calm, SECOND, 0);
    assert_eq!(s.thermal_ms[&Nominal], 3000.0);
    assert_eq!(s.thermal_ms[&Critical], 0.0);
    assert_eq!(s.first_non_nominal_ms, None);
    assert!(reason(&s, "thermal_first_non_nominal_ms").contains("nominal"));
}

/// Session 1: 0–2 s, a stall, 10–11 s. Session 2, an hour later: 0–2 s.
fn two_sessions() -> Vec<Reading> {
    let first = [
        (0.0, 90.0),
        (1000.0, 89.9),
        (2000.0, 89.8),
        (10_000.0, 80.0),
        (11_000.0, 79.9),
    ];
    let second = [(0.0, 70.0), (1000.0, 69.9), (2000.0, 69.8)];
    let t1 = T0 + 3_600_000;
    let mut readings = Vec::new();
    for (ms, level) in first {
        let mut r = at(T0, ms, Phase::Decode);
        r.battery_level_pct = Some(level);
        r.battery_state = Some(BatteryState::Discharging);
        r.thermal_state = Some(ThermalState::Nominal);
        readings.push(r);
    }
    for (i, (ms, level)) in second.into_iter().enumerate() {
        let mut r = at(t1, ms, Phase::Decode);
        r.battery_level_pct = Some(level);
        r.battery_state = Some(BatteryState::Discharging);
        r.thermal_state = Some(if i == 1 {
            ThermalState::Fair
        } else {
            ThermalState::Nominal
        });
        readings.push(r);
    }
    readings
}

#[test]
fn gaps_and_time_between_sessions_are_not_counted() {
    let readings = two_sessions();
    let s = summarize(&readings, SECOND, 1000);
    // The 8 s stall and the boundary between sessions.
    assert_eq!(s.gaps, 2);
    // Only the five 1 s intervals count, each losing 0.1 %: 0.5 % in 5 s.
    let (pct_per_hour, pct_per_1k_tokens) = drain(&s.battery);
    assert!((pct_per_hour - 360.0).abs() < 1e-6, "{pct_per_hour}");
    assert!((pct_per_1k_tokens.unwrap() - 0.5).abs() < 1e-9);
    assert!((s.thermal_ms[&ThermalState::Nominal] - 4000.0).abs() < 1e-9);
    assert!((s.thermal_ms[&ThermalState::Fair] - 1000.0).abs() < 1e-9);
    // Run time: all 11 s of session 1, then 1 s into session 2.
    assert_eq!(s.first_non_nominal_ms, Some(12_000.0));

    // Stored as JSON with the run and read back unchanged.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["thermal_ms"]["fair"], 1000.0);
    assert_eq!(json["battery"]["status"], "drain");
    let back: mobench_telemetry::ResourceSummary = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);

    // Sessions are put in wall-clock order whatever order they are stored in.
    let mut shuffled = readings[5..].to_vec();
    shuffled.extend_from_slice(&readings[..5]);
    assert_eq!(summarize(&shuffled, SECOND, 1000), s);
}

#[test]
fn figures_have_stable_names_and_a_reason_for_every_missing_value() {
    let readings = series(5, |i, r| {
        r.process_cpu_pct = (i > 0).then_some(150.0);
        r.rss_bytes = Some(100 * MB);
    });
    let s = summarize(&readings, SECOND, 10);
    let figures = s.figures();
    let names: Vec<&str> = figures.iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "cpu_mean_pct",
            "cpu_p95_pct",
            "peak_memory_bytes",
            "baseline_memory_bytes",
            "model_memory_bytes",
            "battery_drain_pct_per_hour",
            "battery_drain_pct_per_1k_tokens",
            "energy_j_per_token",
            "thermal_first_non_nominal_ms",
            "thermal_nominal_ms",
            "thermal_fair_ms",
            "thermal_serious_ms",
            "thermal_critical_ms",
            "temperature_max_c",
        ]
    );
    for (name, value, why) in &figures {
        assert_ne!(
            value.is_some(),
            why.is_some(),
            "{name}: {value:?} / {why:?}"
        );
        if let Some(why) = why {
            assert!(
                !why.is_empty() && why != "not measured",
                "{name}: generic reason"
            );
        }
    }
    assert_eq!(figures[0].1, Some(150.0));
    assert_eq!(
        figures[4].1,
        Some(0.0),
        "no growth is a measured zero, not a missing value"
    );
}

#[test]
fn no_readings_at_all() {
    let s = summarize(&[], SECOND, 10);
    assert_eq!(s.readings, 0);
    assert!(s
        .figures()
        .iter()
        .all(|(_, v, why)| v.is_none() && why.is_some()));
    assert!(reason(&s, "cpu_mean_pct").contains("no telemetry readings"));
}
