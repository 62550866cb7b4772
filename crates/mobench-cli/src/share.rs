//! Runs between devices: `export --bundle`, `import`, and `devices`, the same model and
//! quantization side by side across the devices whose runs this database holds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use mobench_metrics::figure::{self, Unit};
use mobench_store::devices::RunFilter;
use mobench_store::{ImportReport, Store};
use serde_json::json;

pub fn export_bundle(store: &Store, run_ids: &[i64], out: &Path) -> Result<ExitCode> {
    if run_ids.is_empty() {
        bail!("name the runs to bundle: mobench export RUN_ID... --bundle FILE.mobench");
    }
    store.export_bundle(run_ids, out)?;
    println!(
        "wrote {} run(s) to {} (import it with `mobench import` or the app)",
        run_ids.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn import(store: &mut Store, files: &[PathBuf], json: bool) -> Result<ExitCode> {
    let report = store.import_bundles(files)?;
    print_merge(store, &report, json)
}

/// What an import or a pull did, run by run.
pub fn print_merge(store: &Store, report: &ImportReport, json: bool) -> Result<ExitCode> {
    if json {
        let runs = |list: &[(i64, String)]| -> Vec<serde_json::Value> {
            list.iter()
                .map(|(id, uuid)| json!({"run_id": id, "uuid": uuid}))
                .collect()
        };
        println!(
            "{}",
            json!({"added": runs(&report.added), "present": runs(&report.present)})
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (id, uuid) in &report.added {
        let run = store.run(*id)?;
        println!(
            "added run {id} ({uuid}): {} on {}",
            run.model.display_name(),
            run.device_label()
        );
    }
    for (id, uuid) in &report.present {
        println!("already here: run {id} ({uuid})");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn devices(store: &Store, filter: &RunFilter, json: bool) -> Result<ExitCode> {
    let groups = mobench_core::views::devices(store, filter)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&groups)?);
        return Ok(ExitCode::SUCCESS);
    }
    if groups.is_empty() {
        println!("no run matches");
        return Ok(ExitCode::SUCCESS);
    }
    for g in &groups {
        println!(
            "{} · {}",
            g.model_name,
            g.quantization.as_deref().unwrap_or("?")
        );
        let Some(first) = g.devices.first() else {
            continue;
        };
        print!("  {:<40}", "device");
        for (i, f) in first.figures.iter().enumerate() {
            // A speed test is named by a device that ran it (pp512, not pp).
            let named = g
                .devices
                .iter()
                .filter_map(|d| d.figures.get(i))
                .find(|f| f.value.is_some())
                .unwrap_or(f);
            print!(" {:>16}", header(&named.figure));
        }
        println!();
        for d in &g.devices {
            print!("  {:<40}", d.device_label);
            for f in &d.figures {
                let cell = match f.value {
                    Some(v) => value(&f.figure, v),
                    None => "n/a".to_string(),
                };
                print!(" {cell:>16}");
            }
            println!();
        }
        // Why a figure is missing, once per device and reason.
        for d in &g.devices {
            let mut reasons: Vec<String> = Vec::new();
            for f in d.figures.iter().filter(|f| f.value.is_none()) {
                let line = format!(
                    "  {}: {} n/a ({})",
                    mobench_store::devices::short_id(&d.device_id),
                    header(&f.figure),
                    f.missing_reason.as_deref().unwrap_or("not reported")
                );
                if !reasons.contains(&line) {
                    reasons.push(line);
                }
            }
            for r in reasons {
                println!("{r}");
            }
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

/// A column's header: a speed test as llama-bench names it, a figure by its label and unit.
fn header(name: &str) -> String {
    match figure::lookup(name) {
        Some(f) if f.name == figure::SPEED_TEST.name => format!("{name} t/s"),
        Some(f) => format!("{} {}", f.label, symbol(f.unit)),
        None => format!("{name} t/s"),
    }
}

fn symbol(unit: Unit) -> &'static str {
    match unit {
        Unit::Ms => "ms",
        Unit::TokensPerS => "t/s",
        Unit::Bytes => "MiB",
        Unit::JoulesPerToken => "J/tok",
        _ => "",
    }
}

fn value(name: &str, v: f64) -> String {
    match figure::lookup(name).map(|f| f.unit) {
        Some(Unit::Bytes) => format!("{:.1}", v / (1024.0 * 1024.0)),
        Some(Unit::JoulesPerToken) => format!("{v:.4}"),
        _ => format!("{v:.2}"),
    }
}
