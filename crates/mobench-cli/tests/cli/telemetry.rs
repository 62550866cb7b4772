//! Resource telemetry of a real run, end to end: a `mobench run` of a generated 100M-parameter
//! model, sampled every 10 ms. The readings cover every phase, the memory figures agree with the
//! kernel's own accounting of the process (wait4's ru_maxrss), and the figures reach `show`,
//! `export` and `export --telemetry`. And `mobench device`.

use std::collections::BTreeSet;

use crate::support::Env;
use serde_json::Value;

fn figure(show: &Value, name: &str) -> Option<f64> {
    show["resources"]
        .as_array()
        .expect("resources in show --json")
        .iter()
        .find(|f| f["figure"] == name)
        .unwrap_or_else(|| panic!("no resource figure {name}: {show}"))["value"]
        .as_f64()
}

#[test]
fn a_run_is_sampled_through_every_phase_and_its_peak_memory_matches_the_kernels() {
    let env = Env::new();
    let (run_id, rusage) = env.run_100m_model(&[
        "--datasets",
        "starter_mmlu",
        "--limit",
        "2",
        "--max-tokens",
        "6",
        "--sample-interval",
        "10",
    ]);

    let conn = env.conn();
    let phases: BTreeSet<String> = conn
        .prepare("SELECT DISTINCT phase FROM resource_samples WHERE run_id = ?1")
        .unwrap()
        .query_map([run_id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: BTreeSet<String> = ["idle", "loading", "prefill", "decode"]
        .map(String::from)
        .into();
    assert_eq!(phases, expected, "readings tagged with every phase");
    let tagged: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM resource_samples WHERE run_id = ?1 AND phase = 'decode' AND sample_index IS NOT NULL",
            [run_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(tagged > 0, "decode readings carry the sample index");

    let show = env.show(run_id);
    let peak = figure(&show, "peak_memory_bytes").expect("peak memory");
    let baseline = figure(&show, "baseline_memory_bytes").expect("baseline memory");
    let added = figure(&show, "model_memory_bytes").expect("memory added by the model");
    assert!(peak > baseline, "peak {peak} above baseline {baseline}");
    assert!((added - (peak - baseline)).abs() < 1.0);
    assert!(
        added > 100e6,
        "a 200 MB F16 model adds its weights: {added}"
    );
    assert!(figure(&show, "cpu_mean_pct").expect("cpu mean") > 0.0);
    assert_eq!(figure(&show, "sampler_complete"), Some(1.0));
    // No battery or thermal zone here is a reason, never a zero.
    for f in show["resources"].as_array().unwrap() {
        assert!(
            f["value"].is_number() != f["missing_reason"].is_string(),
            "a figure has a value or a reason: {f}"
        );
    }

    // The kernel's peak resident set of the whole process against the sampler's: VmHWM is the
    // same counter, read at the last reading; what the process did after it is small.
    let kernel_peak = rusage.ru_maxrss as f64 * 1024.0;
    let ratio = peak / kernel_peak;
    assert!(
        (0.9..=1.1).contains(&ratio),
        "sampler peak {peak} vs ru_maxrss {kernel_peak}: ratio {ratio}"
    );

    // Figures as export columns, and the time series on its own.
    let runs = env.export_csv(&[]);
    let exported: f64 = runs.rows[0]["peak_memory_bytes"].parse().unwrap();
    assert_eq!(exported, peak);
    assert!(runs.rows[0]["resources_missing"].contains("battery_drain_pct_per_hour"));
    let series = env.export_csv(&[&run_id.to_string(), "--telemetry"]);
    let readings = figure(&show, "readings").unwrap();
    assert_eq!(series.rows.len() as f64, readings);
    assert!(series.rows.iter().any(|r| r["phase"] == "loading"));
}

#[test]
fn device_prints_identity_llama_cpp_features_and_a_reading_or_reasons() {
    let env = Env::new();
    let v = env.json(&["device", "--json"]);
    let device = &v["device"];
    assert!(device["logical_cores"].as_u64().unwrap() >= 1, "{v}");
    assert!(!device["os"].as_str().unwrap().is_empty());
    assert!(device["llama_cpp"]["system_info"]
        .as_str()
        .unwrap()
        .contains("CPU"));
    assert_eq!(device["llama_cpp"]["backends"], "CPU");
    // Every identity field is either present or listed with its reason.
    for field in ["device_model", "gpu", "performance_cores"] {
        let listed =
            device["unavailable"].as_array().unwrap().iter().any(|m| {
                m["field"] == field && m["reason"].as_str().is_some_and(|r| !r.is_empty())
            });
        assert!(!device[field].is_null() || listed, "{field}: {device}");
    }
    let reading = &v["reading"];
    assert!(reading["rss_bytes"].as_u64().unwrap() > 0);
    assert!(
        reading["process_cpu_pct"].is_number(),
        "CPU over the one second"
    );
    for sensor in v["sensors"].as_array().unwrap() {
        assert!(
            sensor["available"] == true || sensor["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "a missing sensor says why: {sensor}"
        );
    }
    let text = env.ok(&["device"]).stdout;
    assert!(
        text.contains("over one second:") && text.contains("battery"),
        "{text}"
    );
}
