//! Readable and JSON views of stored runs: the list, one run, and a comparison.

use std::process::ExitCode;

use anyhow::{bail, Result};
use mobench_metrics::figure::{self, Unit};
use mobench_metrics::Metric;
use mobench_store::devices::short_id;
use mobench_store::{RunKind, RunRow, Store};
use serde_json::{json, Value};

pub fn human_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2} B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} M", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} K", n as f64 / 1e3),
        n => n.to_string(),
    }
}

fn run_json(r: &RunRow) -> Value {
    json!({
        "run_id": r.id,
        "kind": r.kind,
        "status": r.status,
        "failure": r.failure,
        "model": {
            "name": r.model.display_name(), "path": r.model.path, "sha256": r.model.sha256,
            "architecture": r.model.architecture, "quantization": r.model.quantization,
            "n_params": r.model.n_params, "size_bytes": r.model.size_bytes,
        },
        "uuid": r.uuid,
        "device": { "id": r.device_id, "label": r.device_label() },
        "origin": r.origin,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "samples_done": r.samples_done,
        "samples_total": r.samples_total,
    })
}

pub fn runs(
    store: &Store,
    filter: &mobench_store::devices::RunFilter,
    json: bool,
) -> Result<ExitCode> {
    let filtered = *filter != Default::default();
    let runs: Vec<RunRow> = store
        .runs()?
        .into_iter()
        .filter(|r| filter.matches(r))
        .collect();
    if json {
        println!("{}", Value::Array(runs.iter().map(run_json).collect()));
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() && filtered {
        println!("no run matches");
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("no runs yet: `mobench run` runs the starter suite on the built-in model");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>4}  {:<6} {:<12} {:<28} {:<8} {:>9}  {:<32} started",
        "id", "kind", "status", "model", "quant", "samples", "device"
    );
    for r in &runs {
        println!(
            "{:>4}  {:<6} {:<12} {:<28} {:<8} {:>9}  {:<32} {}",
            r.id,
            r.kind,
            r.status.as_str(),
            truncate(&r.model.display_name(), 28),
            r.model.quantization.as_deref().unwrap_or("?"),
            if r.kind == RunKind::Speed {
                "-".to_string()
            } else {
                format!("{}/{}", r.samples_done, r.samples_total)
            },
            truncate(&r.device_label(), 32),
            r.started_at
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let head: String = s.chars().take(n - 1).collect();
        format!("{head}…")
    }
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
}

pub fn show(store: &Store, run_id: i64, json: bool) -> Result<ExitCode> {
    if json {
        // The app's run detail, the one view of a run (README: "show --json").
        let detail = mobench_core::views::detail(store, run_id)?;
        println!("{}", serde_json::to_string_pretty(&detail)?);
        return Ok(ExitCode::SUCCESS);
    }
    let run = store.run(run_id)?;
    if run.kind == RunKind::Speed {
        println!(
            "speed run {} · {} · {} ({}, {} params)",
            run.id,
            run.status.as_str(),
            run.model.display_name(),
            run.model.quantization.as_deref().unwrap_or("?"),
            human_count(run.model.n_params),
        );
        if let Some(f) = &run.failure {
            println!("reason: {f}");
        }
        crate::speed::show(store, &run)?;
        print_resources(store, run_id)?;
        return Ok(ExitCode::SUCCESS);
    }
    let aggregates = store.aggregates(run_id)?;
    let loads = store.loads(run_id)?;
    println!(
        "run {} · {} · {} ({}, {} params) · {}/{} samples",
        run.id,
        run.status.as_str(),
        run.model.display_name(),
        run.model.quantization.as_deref().unwrap_or("?"),
        human_count(run.model.n_params),
        run.samples_done,
        run.samples_total
    );
    if let Some(f) = &run.failure {
        println!("reason: {f}");
    }
    if let Some(p) = &run.projector {
        println!(
            "vision projector: {} ({}, {}px images in {}px patches, {}, sha256 {})",
            p.path,
            p.projector_type,
            p.image_size,
            p.patch_size,
            crate::device::mib(p.size_bytes),
            &p.sha256[..p.sha256.len().min(12)]
        );
    }
    for l in &loads {
        let projector = l
            .projector_load_ms
            .map(|ms| format!(", projector {ms:.1} ms"))
            .unwrap_or_default();
        println!(
            "model load ({}): {:.1} ms on {}{projector}, context of {} tokens {:.1} ms",
            if l.cold { "cold" } else { "warm" },
            l.model_load_ms,
            l.placement(),
            l.n_ctx,
            l.context_ms
        );
    }
    let mut datasets: Vec<&str> = Vec::new();
    for a in &aggregates {
        if !datasets.contains(&a.dataset.as_str()) {
            datasets.push(&a.dataset);
        }
    }
    if datasets.is_empty() {
        println!("no finished samples");
        print_resources(store, run_id)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "\n{:<24} {:>4}  {:<34} {:>9} {:>11} {:>11}",
        "dataset", "n", "quality", "TTFT p50", "prefill t/s", "decode t/s"
    );
    for d in datasets {
        let find = |fig: &str, stat: &str| {
            aggregates
                .iter()
                .find(|a| a.dataset == d && a.figure == fig && a.stat == stat)
        };
        let quality: Vec<String> = aggregates
            .iter()
            .filter(|a| a.dataset == d && a.stat == "mean" && Metric::from_name(&a.figure).is_ok())
            .map(|a| match a.value {
                Some(v) => format!("{} {v:.3}", a.figure),
                None => format!(
                    "{} n/a ({})",
                    a.figure,
                    a.missing_reason.as_deref().unwrap_or("")
                ),
            })
            .collect();
        println!(
            "{:<24} {:>4}  {:<34} {:>9} {:>11} {:>11}",
            truncate(d, 24),
            fmt(find(figure::SAMPLES.name, "count").and_then(|a| a.value), 0),
            quality.join(", "),
            fmt(
                find(figure::TTFT_MS.name, "median").and_then(|a| a.value),
                1
            ),
            fmt(
                find(figure::PREFILL_TOKENS_PER_S.name, "median").and_then(|a| a.value),
                1
            ),
            fmt(
                find(figure::DECODE_TOKENS_PER_S.name, "median").and_then(|a| a.value),
                1
            ),
        );
    }
    print_images(&aggregates);
    let truncated: f64 = aggregates
        .iter()
        .filter(|a| a.figure == figure::TRUNCATED.name)
        .filter_map(|a| a.value)
        .sum();
    if truncated > 0.0 {
        println!("{truncated} prompt(s) were cut to fit the context (marked `truncated`)");
    }
    print_resources(store, run_id)?;
    Ok(ExitCode::SUCCESS)
}

/// Medians of the image figures, for the datasets that showed the model images.
fn print_images(aggregates: &[mobench_store::AggregateRow]) {
    let median = |d: &str, fig: &str| {
        aggregates
            .iter()
            .find(|a| a.dataset == d && a.figure == fig && a.stat == "median")
            .and_then(|a| a.value)
    };
    let mut datasets: Vec<&str> = Vec::new();
    for a in aggregates
        .iter()
        .filter(|a| a.figure == figure::IMAGE_TOKENS.name)
    {
        if !datasets.contains(&a.dataset.as_str()) {
            datasets.push(&a.dataset);
        }
    }
    if datasets.is_empty() {
        return;
    }
    println!(
        "\n{:<24} {:>16} {:>16} {:>12} {:>12}",
        "images (p50)", "decode ms", "encode ms", "image tok", "text tok"
    );
    for d in datasets {
        println!(
            "{:<24} {:>16} {:>16} {:>12} {:>12}",
            truncate(d, 24),
            fmt(median(d, figure::IMAGE_DECODE_MS.name), 2),
            fmt(median(d, figure::IMAGE_ENCODE_MS.name), 2),
            fmt(median(d, figure::IMAGE_TOKENS.name), 0),
            fmt(median(d, figure::PROMPT_TEXT_TOKENS.name), 0),
        );
    }
}

/// The run's resource figures; those missing are listed under each reason, once.
fn print_resources(store: &Store, run_id: i64) -> Result<()> {
    let figures = store.resource_figures(run_id)?;
    if figures.is_empty() {
        return Ok(());
    }
    println!("\nresources");
    let mut missing: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in &figures {
        match (f.value, f.missing_reason.as_deref()) {
            (Some(v), _) if figure::lookup(&f.figure).is_some_and(|f| f.unit == Unit::Bytes) => {
                println!("  {:<30} {:.1} MiB", f.figure, v / (1024.0 * 1024.0))
            }
            (Some(v), _) => println!("  {:<30} {v:.3}", f.figure),
            (None, reason) => {
                let reason = reason.unwrap_or("not measured");
                match missing.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, names)) => names.push(&f.figure),
                    None => missing.push((reason, vec![&f.figure])),
                }
            }
        }
    }
    for (reason, names) in missing {
        println!("  n/a: {}\n       ({reason})", names.join(", "));
    }
    Ok(())
}

pub fn compare(store: &Store, run_ids: &[i64], json: bool) -> Result<ExitCode> {
    if run_ids.len() < 2 {
        bail!("compare needs at least two run ids");
    }
    let selected: Vec<RunRow> = run_ids
        .iter()
        .map(|&id| store.run(id))
        .collect::<Result<_, _>>()?;
    if RunKind::common(selected.iter().map(|r| r.kind)) == Ok(Some(RunKind::Speed)) {
        crate::speed::compare(store, &selected, json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let comparison = mobench_core::views::compare(store, run_ids, run_ids[0])?;
    let rows: Vec<_> = comparison
        .rows
        .iter()
        .filter(|r| r.values.iter().any(Option::is_some))
        .collect();
    if json {
        let out = json!({
            "baseline": run_ids[0],
            "runs": selected.iter().map(run_json).collect::<Vec<_>>(),
            "rows": rows.iter().map(|r| json!({
                "dataset": r.dataset, "figure": r.figure, "stat": r.stat,
                "higher_is_better": r.higher_is_better,
                "values": r.values, "delta_vs_baseline": r.deltas,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{:<22} {:<28}", "dataset", "figure");
    for r in &selected {
        print!(
            " {:>18}",
            format!(
                "run {} {}",
                r.id,
                r.model.quantization.as_deref().unwrap_or("")
            )
        );
    }
    println!();
    // Each run's device under its header, named in full below the table.
    print!("{:<22} {:<28}", "", "device");
    for r in &selected {
        print!(" {:>18}", short_id(&r.device_id));
    }
    println!();
    for r in &rows {
        let (d, f, s, higher) = (&r.dataset, &r.figure, &r.stat, &r.higher_is_better);
        print!("{:<22} {:<28}", truncate(d, 22), format!("{f} ({s})"));
        for (i, (v, dl)) in r.values.iter().zip(&r.deltas).enumerate() {
            let cell = match (v, dl) {
                (Some(v), Some(dl)) if i > 0 => {
                    let better = (*dl > 0.0) == *higher && *dl != 0.0;
                    let mark = if *dl == 0.0 {
                        "="
                    } else if better {
                        "+"
                    } else {
                        "-"
                    };
                    format!("{v:.3} ({dl:+.3}{mark})")
                }
                (Some(v), _) => format!("{v:.3}"),
                (None, _) => "n/a".into(),
            };
            print!(" {cell:>18}");
        }
        println!();
    }
    println!(
        "baseline: run {}; (+) better, (-) worse than the baseline",
        run_ids[0]
    );
    let mut devices: Vec<(&str, String)> = Vec::new();
    for r in &selected {
        if !devices.iter().any(|(id, _)| *id == r.device_id) {
            devices.push((&r.device_id, r.device_label()));
        }
    }
    for (_, label) in devices {
        println!("device {label}");
    }
    // Quality figures from different graders sit on rows of their own; say which gave which.
    let mut graders: Vec<(String, String)> = Vec::new();
    for r in &selected {
        for a in store.aggregates(r.id)? {
            let shown = rows.iter().any(|row| row.figure == a.figure);
            if let (true, Some(g)) = (shown && a.stat == "mean", a.grader) {
                let entry = (g, a.figure);
                if !graders.contains(&entry) {
                    graders.push(entry);
                }
            }
        }
    }
    let distinct: std::collections::BTreeSet<&str> =
        graders.iter().map(|(g, _)| g.as_str()).collect();
    if distinct.len() > 1 {
        println!("graded by:");
        for g in distinct {
            let figures: Vec<&str> = graders
                .iter()
                .filter(|(x, _)| x == g)
                .map(|(_, f)| f.as_str())
                .collect();
            println!("  {g}: {}", figures.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every judge's and embedder's figure for each graded sample of a run, with the judge's own
/// answer (`show --judgments`).
pub fn judgments(store: &Store, run_id: i64, json: bool) -> Result<ExitCode> {
    store.run(run_id)?;
    let graded = |grader: &str| grader.starts_with("judge:") || grader.starts_with("embed:");
    let mut rows = Vec::new();
    for s in store.samples(run_id)? {
        for sc in s.scores.iter().filter(|sc| graded(&sc.grader)) {
            rows.push(json!({
                "dataset": s.dataset, "row": s.row_index, "example_id": s.example_id,
                "figure": sc.metric, "grader": sc.grader, "value": sc.value, "flag": sc.flag,
                "missing_reason": sc.missing_reason, "judgment": sc.extracted,
            }));
        }
    }
    if json {
        println!("{}", Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!(
            "run {run_id} has no judge or embedder figures: `mobench grade {run_id} --judge ...`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        let value = match (r["value"].as_f64(), r["missing_reason"].as_str()) {
            (Some(v), _) => format!("{v:.3}"),
            (None, Some(why)) => format!("n/a ({why})"),
            _ => "n/a".into(),
        };
        let flag = r["flag"]
            .as_str()
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default();
        println!(
            "{} row {} · {} = {value}{flag}\n  grader {}",
            r["dataset"].as_str().unwrap_or(""),
            r["row"],
            r["figure"].as_str().unwrap_or(""),
            r["grader"].as_str().unwrap_or(""),
        );
        if let Some(j) = r["judgment"].as_str() {
            for line in j.lines() {
                println!("  | {line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
