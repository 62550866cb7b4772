//! `mobench device`: what this device is, what llama.cpp uses on it, and one second of readings.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use mobench_telemetry::{PhaseTracker, Probe, Reading, SensorStatus};
use serde_json::json;

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}

/// The value, or "unavailable: why" from the sensors' own reasons.
fn or_reason(value: Option<String>, sensors: &[SensorStatus], sensor: &str) -> String {
    value.unwrap_or_else(|| {
        let why = sensors
            .iter()
            .find(|s| s.sensor == sensor)
            .and_then(|s| s.reason.clone())
            .unwrap_or_else(|| "not reported".into());
        format!("unavailable ({why})")
    })
}

pub fn device(json: bool) -> Result<ExitCode> {
    let summary = mobench_engine::llama::device::summary();
    let mut probe = Probe::new();
    let sensors = probe.sensors();
    let tracker = PhaseTracker::new();
    // CPU is a difference between two readings: the second covers the one second between them.
    probe.read(&tracker);
    std::thread::sleep(Duration::from_secs(1));
    let reading = probe.read(&tracker);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "device": summary, "sensors": sensors, "reading": reading,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let id = &summary.identity;
    let missing = |field: &str| {
        id.unavailable
            .iter()
            .find(|m| m.field == field)
            .map_or("not reported".to_string(), |m| m.reason.clone())
    };
    println!(
        "system      {} {} (kernel {}), {}",
        id.os,
        id.os_version.as_deref().unwrap_or(""),
        id.kernel_version.as_deref().unwrap_or("?"),
        id.arch
    );
    let model = match (&id.device_model, &id.device_name) {
        (Some(m), Some(n)) => format!("{n} ({m})"),
        (Some(m), None) => m.clone(),
        _ => format!("unavailable ({})", missing("device_model")),
    };
    println!("model       {model}");
    let split = match (id.performance_cores, id.efficiency_cores) {
        (Some(p), Some(e)) => format!(", {p} performance + {e} efficiency"),
        _ => String::new(),
    };
    println!(
        "CPU         {}, {} physical / {} logical cores{split}",
        id.cpu_brand.as_deref().unwrap_or("?"),
        id.physical_cores.map_or("?".into(), |n| n.to_string()),
        id.logical_cores
    );
    println!(
        "memory      {} total",
        id.total_memory_bytes.map_or("?".into(), gib)
    );
    println!(
        "GPU         {}",
        id.gpu
            .clone()
            .unwrap_or_else(|| format!("none found ({})", missing("gpu")))
    );
    let l = &summary.llama_cpp;
    println!("llama.cpp   {}, backends: {}", l.bindings, l.backends);
    println!("            {}", l.system_info);
    if !l.unused_cpu_features.is_empty() {
        println!(
            "            this CPU also has {}, which this build does not use",
            l.unused_cpu_features.join(", ")
        );
    }
    print_reading(&reading, &sensors);
    Ok(ExitCode::SUCCESS)
}

fn print_reading(r: &Reading, sensors: &[SensorStatus]) {
    let pct = |v: Option<f64>| v.map(|v| format!("{v:.1} %"));
    println!("\nover one second:");
    println!(
        "  process CPU     {}   (100 % = one core)",
        or_reason(pct(r.process_cpu_pct), sensors, "process_cpu")
    );
    println!(
        "  system CPU      {}   (100 % = every core)",
        or_reason(pct(r.system_cpu_pct), sensors, "system_cpu")
    );
    let memory = r
        .footprint_bytes
        .map(|f| format!("footprint {}", mib(f)))
        .or_else(|| {
            r.rss_bytes.map(|rss| {
                format!(
                    "resident {} (peak {})",
                    mib(rss),
                    r.peak_rss_bytes.map_or("?".into(), mib)
                )
            })
        });
    println!("  process memory  {}", or_reason(memory, sensors, "memory"));
    let system = match (r.system_memory_used_bytes, r.system_memory_available_bytes) {
        (Some(u), Some(a)) => Some(format!("{} used, {} available", gib(u), gib(a))),
        _ => None,
    };
    println!(
        "  system memory   {}",
        or_reason(system, sensors, "system_memory")
    );
    let battery = r.battery_level_pct.map(|level| {
        format!(
            "{level:.0} %, {}{}",
            r.battery_state.map_or("state unknown", |s| s.as_str()),
            r.power_w
                .map_or(String::new(), |w| format!(", drawing {w:.1} W"))
        )
    });
    println!(
        "  battery         {}",
        or_reason(battery, sensors, "battery")
    );
    let thermal = match (r.thermal_state, r.temperature_c) {
        (Some(s), Some(t)) => Some(format!("{} ({t:.0} °C)", s.as_str())),
        (Some(s), None) => Some(s.as_str().to_string()),
        (None, Some(t)) => Some(format!("{t:.0} °C")),
        (None, None) => None,
    };
    println!(
        "  thermal         {}",
        or_reason(thermal, sensors, "thermal_state")
    );
}
