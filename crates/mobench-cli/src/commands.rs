//! One function per command: resolve arguments, call the engine, render the result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use mobench_engine::{CancelFlag, InferenceSettings, Preset, RunOutcome, RunRequest, Sampling};
use mobench_metrics::{Metric, Outcome};
use mobench_store::export::Table;
use mobench_store::{RunKind, RunRow, RunStatus, Store};
use mobench_tasks::{fetch, Catalog, Selection};

use crate::cli::{
    Cli, Command, DatasetsAction, ExportFormat, GraderArgs, ModelParams, PresetArg, RunArgs,
    SuiteArgs,
};
use crate::progress::Progress;
use crate::{paths, report, EXIT_INTERRUPTED};

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let db = paths::db_path(cli.db)?;
    match cli.command.unwrap_or(Command::Run(RunArgs {
        suite: SuiteArgs {
            suite: "starter".into(),
            ..Default::default()
        },
        top_p: 1.0,
        sample_interval: 250,
        ..Default::default()
    })) {
        Command::Run(args) => run(&db, args),
        Command::Speed(args) => crate::speed::run(&db, args, ctrl_c_cancels()),
        Command::Resume { run_id, json } => resume(&db, run_id, json),
        Command::Runs { filter, json } => report::runs(&open(&db)?, &filter.filter(), json),
        Command::Show {
            run_id,
            judgments: true,
            json,
        } => report::judgments(&open(&db)?, run_id, json),
        Command::Show { run_id, json, .. } => report::show(&open(&db)?, run_id, json),
        Command::Grade(args) => grade(
            &db,
            &args.run_ids,
            &args.grader,
            args.threads,
            &args.tasks,
            args.json,
        ),
        Command::Compare { run_ids, json } => report::compare(&open(&db)?, &run_ids, json),
        Command::Export {
            run_ids,
            bundle: Some(bundle),
            ..
        } => crate::share::export_bundle(&open(&db)?, &run_ids, &bundle),
        Command::Import { files, json } => crate::share::import(&mut open(&db)?, &files, json),
        Command::Devices { filter, json } => {
            crate::share::devices(&open(&db)?, &filter.filter(), json)
        }
        Command::Push {
            run_ids,
            all,
            to,
            json,
        } => crate::remote::push(&open(&db)?, &run_ids, all, &to, json),
        Command::Pull { from, filter, json } => {
            crate::remote::pull(&mut open(&db)?, &from, &filter.filter(), json)
        }
        Command::Export {
            run_ids,
            speed,
            samples,
            telemetry,
            format,
            out,
            ..
        } => {
            // clap requires both without --bundle.
            let (Some(format), Some(out)) = (format, out) else {
                bail!("export needs --format and --out (or --bundle)");
            };
            let store = open(&db)?;
            let selected = select_runs(&store, &run_ids, speed)?;
            let table = if telemetry {
                telemetry_table(&store, &selected)?
            } else {
                export_table(&store, selected, samples, format)?
            };
            write_table(&table, format, &out)
        }
        Command::Device { json } => crate::device::device(json),
        Command::Datasets { action } => datasets(action),
        Command::Score {
            metric,
            input,
            json,
        } => score(&metric, &input, json),
        Command::Inspect { file, model, json } => inspect(&db, &file, model.as_deref(), json),
        Command::Models { action } => crate::models::models(&db, action),
        Command::Quantize(args) => crate::quant::quantize_cmd(args, ctrl_c_cancels()),
        Command::Ppl(args) => crate::quant::ppl_cmd(args),
        Command::Kld(args) => crate::quant::kld_cmd(args),
        Command::Study(args) => crate::study::run(&db, *args, ctrl_c_cancels()),
    }
}

pub(crate) fn open(db: &Path) -> Result<Store> {
    Ok(mobench_engine::open_store(db)?)
}

impl SuiteArgs {
    /// The datasets folder and the examples to take, checked before a model is loaded: the
    /// names against the catalog, so a typo fails at once.
    pub(crate) fn resolve(&self) -> Result<(Option<PathBuf>, Selection)> {
        if self.sample_seed.is_some() && self.limit.is_none() {
            bail!("--sample-seed picks --limit examples at random: give --limit too");
        }
        let dir = match (&self.datasets_dir, self.suite.as_str()) {
            (Some(d), _) => Some(d.clone()),
            (None, "starter") if self.datasets.is_empty() => None,
            (None, _) => Some(paths::datasets_dir(None)?),
        };
        Catalog::builtin().select(&self.suite, &self.tasks, &self.datasets)?;
        let selection = Selection {
            limit: self.limit,
            seed: self.sample_seed,
        };
        Ok((dir, selection))
    }
}

impl ModelParams {
    /// The inference settings these flags give over the defaults, validated.
    pub(crate) fn settings(
        &self,
        seed: u64,
        preset: Preset,
        sampling: Sampling,
        no_context: bool,
    ) -> Result<InferenceSettings> {
        let defaults = InferenceSettings::default();
        let settings = InferenceSettings {
            threads: self.threads.unwrap_or(defaults.threads),
            n_ctx: self.ctx.unwrap_or(defaults.n_ctx),
            n_batch: self.batch.unwrap_or(defaults.n_batch),
            gpu_layers: self.gpu_layers.unwrap_or(defaults.gpu_layers),
            seed,
            max_tokens: self.max_tokens,
            preset,
            sampling,
            // Shells pass `\n` literally; MobileAIBench's templates mean a newline.
            template: self
                .template
                .as_ref()
                .map(|t| t.replace("\\n", "\n").replace("\\t", "\t")),
            no_context,
        };
        settings.validate().map_err(|e| anyhow!(e))?;
        Ok(settings)
    }
}

/// Resolves `run`'s raw arguments into a validated request before anything runs.
fn resolve_run(args: &RunArgs) -> Result<RunRequest> {
    let model = match &args.model {
        Some(m) => m.clone(),
        None => mobench_engine::ensure_builtin_model(&paths::data_dir()?)?,
    };
    let preset = match args.preset {
        PresetArg::Accuracy => Preset::Accuracy,
        PresetArg::Mobile => Preset::Mobile,
    };
    let sampling = match args.temperature {
        None => Sampling::Greedy,
        Some(temperature) => Sampling::Temperature {
            temperature,
            top_p: args.top_p,
            seed: args.seed,
        },
    };
    let inference = args
        .model_params
        .settings(args.seed, preset, sampling, args.no_context)?;
    mobench_engine::settings::validate_sample_interval(Some(args.sample_interval))
        .map_err(|e| anyhow!(e))?;
    let (datasets_dir, selection) = args.suite.resolve()?;
    Ok(RunRequest {
        model,
        mmproj: args.mmproj.clone(),
        suite: args.suite.suite.clone(),
        tasks: args.suite.tasks.clone(),
        datasets: args.suite.datasets.clone(),
        datasets_dir,
        selection,
        inference,
        sample_interval_ms: Some(args.sample_interval),
        ignore_memory_limit: args.ignore_memory_limit,
    })
}

fn ctrl_c_cancels() -> CancelFlag {
    let cancel = CancelFlag::default();
    let c = cancel.clone();
    // A second Ctrl-C is not needed: the run stops after the token in flight.
    let _ = ctrlc::set_handler(move || c.cancel());
    cancel
}

fn run(db: &Path, args: RunArgs) -> Result<ExitCode> {
    let request = resolve_run(&args)?;
    // A grader that cannot be used is found out before the run, not after it.
    let grading = (args.grader.judge.is_some() || args.grader.embedder.is_some())
        .then(|| grade_options(&args.grader, Some(request.inference.threads), &[]))
        .transpose()?;
    let mut progress = Progress::new(args.json);
    let outcome = mobench_engine::run_suite(db, request, ctrl_c_cancels(), &mut progress)?;
    let completed = outcome.status == RunStatus::Completed;
    let run_id = outcome.run_id;
    let code = finish(db, outcome, args.json)?;
    match grading {
        // The run's model is unloaded by now: on a phone only the grader is in memory.
        Some(options) if completed => grade_with(db, &[run_id], &options, args.json),
        _ => Ok(code),
    }
}

/// The graders asked for, checked; the API key from `OPENAI_API_KEY` when an endpoint grades.
fn grade_options(
    g: &GraderArgs,
    threads: Option<u32>,
    only: &[String],
) -> Result<mobench_engine::grade::GradeOptions> {
    use mobench_engine::grade::{GradeOptions, GraderSpec};
    let parse = |s: &Option<String>| s.as_deref().map(GraderSpec::parse).transpose();
    let (judge, embedder) = (parse(&g.judge)?, parse(&g.embedder)?);
    if judge.is_none() && embedder.is_none() {
        bail!("give a judge (--judge local:PATH | openai:MODEL) or an embedder (--embedder ...)");
    }
    let remote = [&judge, &embedder]
        .iter()
        .any(|s| matches!(s, Some(GraderSpec::OpenAi(_))));
    if g.base_url.is_some() && !remote {
        bail!("--base-url is for openai:MODEL graders only");
    }
    if g.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let api_key = std::env::var("OPENAI_API_KEY")
        .ok()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty() && remote);
    if remote && g.base_url.is_none() && api_key.is_none() {
        bail!(
            "openai: graders call https://api.openai.com/v1 unless --base-url says otherwise, and \
             it needs a key: set OPENAI_API_KEY"
        );
    }
    Ok(GradeOptions {
        judge,
        embedder,
        only: only.to_vec(),
        base_url: g.base_url.clone(),
        api_key,
        concurrency: g.concurrency,
        threads: threads.unwrap_or_else(mobench_engine::settings::default_threads),
    })
}

fn grade(
    db: &Path,
    run_ids: &[i64],
    grader: &GraderArgs,
    threads: Option<u32>,
    only: &[String],
    json: bool,
) -> Result<ExitCode> {
    let options = grade_options(grader, threads, only)?;
    grade_with(db, run_ids, &options, json)
}

fn grade_with(
    db: &Path,
    run_ids: &[i64],
    options: &mobench_engine::grade::GradeOptions,
    json: bool,
) -> Result<ExitCode> {
    let cancel = ctrl_c_cancels();
    let mut last = std::time::Instant::now();
    let mut progress = |done: usize, total: usize| {
        if !json && (done == total || last.elapsed().as_millis() >= 500) {
            eprintln!("grading: {done}/{total} requests");
            last = std::time::Instant::now();
        }
    };
    let reports = mobench_engine::grade::grade_runs(db, run_ids, options, &cancel, &mut progress)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &reports {
        println!(
            "run {}: {} samples graded ({} requests asked, {} from the cache, {} judgments unparsed)",
            r.run_id, r.graded, r.asked, r.cached, r.unparsed
        );
        for f in &r.figures {
            let v = f.value.map_or("n/a".to_string(), |v| format!("{v:.3}"));
            println!("  {:<24} {:<48} {v}", f.dataset, f.figure);
        }
        for why in &r.missing {
            println!("  not graded: {why}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn resume(db: &Path, run_id: i64, json: bool) -> Result<ExitCode> {
    let mut progress = Progress::new(json);
    let outcome = mobench_engine::resume(db, run_id, ctrl_c_cancels(), &mut progress)?;
    finish(db, outcome, json)
}

fn finish(db: &Path, outcome: RunOutcome, json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        report::show(&open(db)?, outcome.run_id, false)?;
    }
    Ok(match outcome.status {
        RunStatus::Completed => ExitCode::SUCCESS,
        RunStatus::Interrupted => {
            eprintln!(
                "run {} interrupted after {}/{} samples; continue it with `mobench resume {}`",
                outcome.run_id, outcome.samples_done, outcome.samples_total, outcome.run_id
            );
            ExitCode::from(EXIT_INTERRUPTED)
        }
        _ => ExitCode::from(1),
    })
}

/// The runs named, or every run of one kind (suite, or speed with `--speed`).
fn select_runs(store: &Store, run_ids: &[i64], speed: bool) -> Result<Vec<RunRow>> {
    Ok(if run_ids.is_empty() {
        let kind = if speed {
            RunKind::Speed
        } else {
            RunKind::Suite
        };
        store
            .runs()?
            .into_iter()
            .filter(|r| r.kind == kind)
            .collect()
    } else {
        run_ids
            .iter()
            .map(|&id| store.run(id))
            .collect::<Result<_, _>>()?
    })
}

fn export_table(
    store: &Store,
    selected: Vec<RunRow>,
    samples: bool,
    format: ExportFormat,
) -> Result<Table> {
    Ok(mobench_core::views::export::suite_or_speed_table(
        store,
        selected,
        samples,
        format == ExportFormat::Json,
    )?)
}

/// The resource time series of the runs, one row per reading.
fn telemetry_table(store: &Store, selected: &[RunRow]) -> Result<Table> {
    let mut series = Vec::new();
    for run in selected {
        series.push((run.id, store.readings(run.id)?));
    }
    Ok(mobench_store::export::readings_table(&series))
}

fn write_table(table: &Table, format: ExportFormat, out: &Path) -> Result<ExitCode> {
    mobench_core::views::export::write_atomically(out, |w| match format {
        ExportFormat::Csv => table.write_csv(w),
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, &table.to_json())?;
            writeln!(w)
        }
    })
    .map_err(|e| anyhow!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {} rows to {}", table.rows.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

fn datasets(action: DatasetsAction) -> Result<ExitCode> {
    let catalog = Catalog::builtin();
    let remote = || catalog.datasets().iter().filter(|d| d.url.is_some());
    match action {
        DatasetsAction::List { datasets_dir, json } => {
            let dir = paths::datasets_dir(datasets_dir)?;
            let rows: Vec<serde_json::Value> = catalog
                .datasets()
                .iter()
                .map(|d| {
                    let present = fetch::is_present(d, &dir);
                    serde_json::json!({
                        "name": d.name, "suite": d.suite, "task": d.task, "file": d.file,
                        "rows": d.rows, "bytes": d.bytes, "sha256": d.sha256,
                        "licence": d.licence, "url": d.url, "present": present,
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<24} {:<14} {:<19} {:>6} {:>9}  present",
                    "dataset", "suite", "task", "rows", "KiB"
                );
                for r in &rows {
                    println!(
                        "{:<24} {:<14} {:<19} {:>6} {:>9}  {}",
                        r["name"].as_str().unwrap_or(""),
                        r["suite"].as_str().unwrap_or(""),
                        r["task"].as_str().unwrap_or(""),
                        r["rows"],
                        r["bytes"].as_u64().unwrap_or(0) / 1024,
                        if r["present"] == true { "yes" } else { "no" }
                    );
                }
                println!("MobileAIBench files are read from {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        DatasetsAction::Fetch {
            datasets_dir,
            datasets,
            mirror,
        } => {
            let dir = paths::datasets_dir(datasets_dir)?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for name in &datasets {
                catalog.dataset(name)?;
            }
            // Reported together at the end, so the error stays one line that names each file.
            let mut failures: Vec<String> = Vec::new();
            for d in remote().filter(|d| datasets.is_empty() || datasets.contains(&d.name)) {
                let bar = download_bar(&d.file, d.bytes);
                let result = fetch::fetch_dataset(d, &dir, mirror.as_deref(), &mut |done, _| {
                    bar.set_position(done)
                });
                bar.finish_and_clear();
                match result {
                    Ok(fetch::Fetched::AlreadyPresent) => {
                        eprintln!("{}: present, checksum ok", d.file)
                    }
                    Ok(fetch::Fetched::Downloaded) => {
                        eprintln!("{}: downloaded, checksum ok", d.file)
                    }
                    Err(e) => failures.push(e.to_string()),
                }
            }
            match failures.as_slice() {
                [] => {}
                [only] => bail!("{only}"),
                all => bail!("{} downloads failed: {}", all.len(), all.join("; ")),
            }
            Ok(ExitCode::SUCCESS)
        }
        DatasetsAction::Verify { datasets_dir } => {
            let dir = paths::datasets_dir(datasets_dir)?;
            let mut bad = 0;
            for d in remote() {
                // Every file: the dataset's one file, or each file of a folder dataset.
                let path = dir.join(&d.file);
                let checks = fetch::verify_dataset(d, &dir);
                let failed: Vec<_> = checks
                    .iter()
                    .filter(|c| c.state != fetch::FileState::Ok)
                    .collect();
                bad += failed.len();
                if failed.is_empty() && d.is_multimodal() {
                    println!("ok       {} ({} files)", path.display(), checks.len());
                } else if failed.is_empty() {
                    println!("ok       {}", path.display());
                } else if d.is_multimodal()
                    && failed.len() == checks.len()
                    && failed.iter().all(|c| c.state == fetch::FileState::Missing)
                {
                    // A folder that is not there at all is one line, not one per file.
                    println!("missing  {}", path.display());
                } else {
                    for c in failed {
                        match &c.state {
                            fetch::FileState::Mismatch { actual } => println!(
                                "MISMATCH {} (sha256 {actual}, expected {})",
                                c.path.display(),
                                c.expected_sha256
                            ),
                            _ => println!("missing  {}", c.path.display()),
                        }
                    }
                }
            }
            if bad > 0 {
                bail!(
                    "{bad} dataset file(s) missing or not matching the catalog in {}",
                    dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn download_bar(name: &str, bytes: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(bytes);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:24} {bar:30} {bytes}/{total_bytes} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(name.to_string());
    bar
}

/// One line of `mobench score`'s input: a prediction with its reference, or with the list of
/// answers a metric that takes several grades against (`vqa_accuracy`: the human answers).
#[derive(serde::Deserialize)]
struct Pair {
    prediction: String,
    reference: Option<String>,
    references: Option<Vec<String>>,
}

impl Pair {
    /// The prediction and the reference as `Metric::score` takes them (a list as its JSON
    /// array); `Err` says what is wrong with the line.
    fn for_metric(self, metric: Metric) -> std::result::Result<(String, String), String> {
        let reference = match (self.reference, self.references) {
            (Some(_), Some(_)) => Err("both \"reference\" and \"references\"; give one".into()),
            (Some(reference), None) => Ok(reference),
            (None, Some(references)) if metric.takes_references() => {
                Ok(serde_json::Value::from(references).to_string())
            }
            (None, Some(_)) => Err(format!(
                "\"references\" is a list, but {metric} takes one \"reference\" string"
            )),
            (None, None) if metric.takes_references() => Err("no \"references\"".into()),
            (None, None) => Err("no \"reference\"".into()),
        }?;
        Ok((self.prediction, reference))
    }
}

/// The shapes of a `mobench score` input line, for its error messages.
fn pair_shapes() -> String {
    let several: Vec<&str> = Metric::ALL
        .iter()
        .filter(|m| m.takes_references())
        .map(|m| m.name())
        .collect();
    format!(
        "{{\"prediction\": ..., \"reference\": ...}}, or {{\"prediction\": ..., \"references\": \
         [...]}} for {}",
        several.join(", ")
    )
}

fn score(metric: &str, input: &PathBuf, json: bool) -> Result<ExitCode> {
    let metric = Metric::from_name(metric)?;
    let text = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let text = String::from_utf8(text).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        anyhow!("{}: line {line}: invalid UTF-8", input.display())
    })?;
    let mut scores: Vec<Option<f64>> = Vec::new();
    let mut missing = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let pair: Pair = serde_json::from_str(line).map_err(|e| {
            anyhow!(
                "{}: line {}: {} (expected {})",
                input.display(),
                i + 1,
                mobench_tasks::load::json_error_in_line(&e),
                pair_shapes()
            )
        })?;
        let (prediction, reference) = pair.for_metric(metric).map_err(|problem| {
            anyhow!(
                "{}: line {}: {problem} (expected {})",
                input.display(),
                i + 1,
                pair_shapes()
            )
        })?;
        match metric.score(&prediction, &reference) {
            Outcome::Value { value, .. } => scores.push(Some(value)),
            Outcome::Missing { reason } => {
                missing.get_or_insert(reason);
                scores.push(None);
            }
        }
    }
    if scores.is_empty() {
        bail!("{}: no prediction/reference pairs", input.display());
    }
    let values: Vec<f64> = scores.iter().flatten().copied().collect();
    let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "metric": metric.name(), "n": scores.len(), "mean": mean,
                "scores": scores, "grader": mobench_metrics::GRADER, "missing_reason": missing,
            })
        );
    } else {
        match mean {
            Some(m) => println!(
                "{}: {m:.6} over {} pairs ({})",
                metric.name(),
                scores.len(),
                mobench_metrics::GRADER
            ),
            None => println!(
                "{}: unavailable ({})",
                metric.name(),
                missing.unwrap_or_default()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect(db: &Path, file: &Path, fit_model: Option<&Path>, json: bool) -> Result<ExitCode> {
    // A file that cannot be read as GGUF is described as a model, whose errors say why; one cut
    // short is still told apart by its metadata.
    let is_projector = mobench_engine::llama::gguf::read_metadata(file)
        .map(|h| {
            h.str("general.architecture") == Some("clip")
                || h.kv.contains_key("clip.projector_type")
                || h.kv.contains_key("clip.vision.projector_type")
        })
        .unwrap_or(false);
    if is_projector {
        return inspect_projector(db, file, fit_model, json);
    }
    if fit_model.is_some() {
        bail!(
            "--model checks a vision projector against its model, but {} is not a projector",
            file.display()
        );
    }
    let model = file;
    // The database only caches the sha256 (large files take a while to hash); without one,
    // inspecting still works.
    let store = mobench_engine::open_store(db).ok();
    let mut info = mobench_engine::llama::model::inspect(model, store.as_ref())?;
    let loaded = mobench_engine::llama::load_model(model, 0)?;
    info.n_params = loaded.model.n_params();
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "unknown".into());
        println!("path          {}", info.path.display());
        println!("name          {}", opt(&info.name));
        println!("architecture  {}", opt(&info.architecture));
        println!(
            "parameters    {} ({})",
            info.n_params,
            report::human_count(info.n_params)
        );
        println!("quantization  {}", opt(&info.quantization));
        println!(
            "file size     {} bytes ({:.1} MiB)",
            info.size_bytes,
            info.size_bytes as f64 / 1048576.0
        );
        println!("context       {} tokens (trained)", info.n_ctx_train);
        println!(
            "chat template {}",
            if info.has_chat_template {
                "yes"
            } else {
                "no (plain prompts)"
            }
        );
        println!("sha256        {}", info.sha256);
        println!("load time     {:.1} ms", loaded.load_ms);
    }
    Ok(ExitCode::SUCCESS)
}

/// `inspect` of a vision projector: checked as mtmd would need it (without loading it), and,
/// with `--model`, against the model it is for; a projector that does not fit fails the command
/// after its description is printed.
fn inspect_projector(
    db: &Path,
    file: &Path,
    fit_model: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let info = mobench_engine::llama::projector::inspect_projector(file)?;
    let store = mobench_engine::open_store(db).ok();
    // The model description's sha256, cached like a model's.
    let sha256 = mobench_engine::llama::model::inspect(file, store.as_ref())?.sha256;
    let fit = match fit_model {
        Some(model) => {
            mobench_engine::llama::model::check(model)?;
            let header = mobench_engine::llama::gguf::read_header(model)?;
            let n_embd = header
                .str("general.architecture")
                .and_then(|arch| header.int(&format!("{arch}.embedding_length")))
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    anyhow!(
                        "model {}: its header does not give its embedding size",
                        model.display()
                    )
                })? as u64;
            Some((model, n_embd, info.check_fits(model, n_embd)))
        }
        None => None,
    };

    if json {
        let mut out = serde_json::to_value(&info)?;
        out["kind"] = "projector".into();
        out["sha256"] = sha256.clone().into();
        if let Some((model, n_embd, result)) = &fit {
            out["fits"] = serde_json::json!({
                "model": model.display().to_string(),
                "model_n_embd": n_embd,
                "fits": result.is_ok(),
            });
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("path            {}", info.path.display());
        println!(
            "name            {}",
            info.name.as_deref().unwrap_or("unknown")
        );
        println!("kind            vision projector (mmproj)");
        println!("projector type  {}", info.projector_type);
        println!("image size      {} px", info.image_size);
        println!("patch size      {} px", info.patch_size);
        match info.image_tokens {
            Some(n) => println!("image tokens    {n} per image"),
            None => println!("image tokens    depends on the image"),
        }
        println!("projects to     {}-wide embeddings", info.n_embd_out);
        println!(
            "quantization    {}",
            info.quantization.as_deref().unwrap_or("unknown")
        );
        println!(
            "file size       {} bytes ({:.1} MiB)",
            info.bytes,
            info.bytes as f64 / 1048576.0
        );
        println!("sha256          {sha256}");
        if let Some((model, n_embd, result)) = &fit {
            let verdict = if result.is_ok() { "yes" } else { "no" };
            println!(
                "fits model      {verdict}: {} has {n_embd}-wide embeddings",
                model.display()
            );
        }
    }
    if let Some((_, _, Err(e))) = fit {
        return Err(e.into());
    }
    Ok(ExitCode::SUCCESS)
}
