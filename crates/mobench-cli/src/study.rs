//! `mobench study`: a base model and N quantization levels through the same probes, suite and
//! speed tests, as one resumable queue; prints the per-level table and the recommendation.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use mobench_engine::quant::probe::{self, ProbeSettings};
use mobench_engine::settings::{Preset, Sampling};
use mobench_engine::study::{self, table, LevelSpec, SpeedTests, StudyRequest, StudyStep};
use mobench_engine::Control;
use mobench_store::studies::StudyStatus;

use crate::cli::{ModelParams, SuiteArgs};
use crate::progress::Progress;
use crate::{paths, EXIT_INTERRUPTED};

#[derive(Args, Debug)]
pub struct StudyArgs {
    /// The base model (F32, F16, BF16 or Q8_0 to quantize from)
    #[arg(long, value_name = "PATH", required_unless_present_any = ["resume", "show"])]
    pub base: Option<PathBuf>,
    /// Levels to quantize to on this device, llama.cpp's names (e.g. Q8_0,Q4_K_M,Q4_0)
    #[arg(long, value_delimiter = ',')]
    pub types: Vec<String>,
    /// Levels made elsewhere, of the same model (GGUF files)
    #[arg(long = "import", value_name = "PATH")]
    pub imports: Vec<PathBuf>,
    /// Where quantized levels are written (default: studies/ in the data folder)
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub model_params: ModelParams,
    /// Seed recorded with every run of the study (decoding is greedy)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Speed tests: prompt tokens (llama-bench's pp)
    #[arg(long, default_value_t = 512)]
    pub pp: u32,
    /// Speed tests: generated tokens (llama-bench's tg)
    #[arg(long, default_value_t = 128)]
    pub tg: u32,
    /// Speed tests: repetitions of each
    #[arg(long, default_value_t = 5)]
    pub reps: u32,
    /// No speed tests
    #[arg(long)]
    pub no_speed: bool,
    /// Text for perplexity and KL divergence (default: the one MobileAIBench ships)
    #[arg(long, value_name = "FILE")]
    pub text: Option<PathBuf>,
    /// Window of the probes, tokens
    #[arg(long, default_value_t = probe::DEFAULT_CTX)]
    pub probe_ctx: u32,
    /// At most this many windows per probe
    #[arg(long)]
    pub chunks: Option<u32>,
    /// No perplexity or KL divergence
    #[arg(long)]
    pub no_probes: bool,
    /// Share of the base's quality a recommended level keeps, percent
    #[arg(long, default_value_t = 98.0)]
    pub keep: f64,
    /// Resume the study with this id
    #[arg(long, value_name = "ID", conflicts_with_all = ["base", "show"])]
    pub resume: Option<i64>,
    /// Print the table of the study with this id
    #[arg(long, value_name = "ID", conflicts_with = "base")]
    pub show: Option<i64>,
    /// Also write the table as CSV
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Print one JSON object at the end; progress goes to stderr
    #[arg(long)]
    pub json: bool,
}

fn resolve(args: &StudyArgs) -> Result<StudyRequest> {
    let base = args
        .base
        .clone()
        .ok_or_else(|| anyhow!("--base is needed"))?;
    let inference =
        args.model_params
            .settings(args.seed, Preset::Accuracy, Sampling::Greedy, false)?;
    if args.types.is_empty() && args.imports.is_empty() {
        bail!("a study needs levels: --types (e.g. Q8_0,Q4_K_M,Q4_0) and/or --import FILE");
    }
    let data = paths::data_dir()?;
    let probe_text = if args.no_probes {
        None
    } else {
        Some(match &args.text {
            Some(t) => t.clone(),
            None => probe::shipped_text_path(&data)?,
        })
    };
    let (datasets_dir, selection) = args.suite.resolve()?;
    let mut levels: Vec<LevelSpec> = args
        .types
        .iter()
        .map(|t| LevelSpec::Quantize { qtype: t.clone() })
        .collect();
    levels.extend(
        args.imports
            .iter()
            .map(|p| LevelSpec::Import { path: p.clone() }),
    );
    let mut probe = ProbeSettings::new(args.probe_ctx, inference.threads);
    probe.gpu_layers = inference.gpu_layers;
    probe.max_chunks = args.chunks;
    Ok(StudyRequest {
        base,
        levels,
        out_dir: args.out_dir.clone().unwrap_or_else(|| data.join("studies")),
        suite: args.suite.suite.clone(),
        tasks: args.suite.tasks.clone(),
        datasets: args.suite.datasets.clone(),
        datasets_dir,
        selection,
        inference,
        speed: (!args.no_speed).then_some(SpeedTests {
            n_prompt: args.pp,
            n_gen: args.tg,
            reps: args.reps,
        }),
        probe_text,
        probe,
        keep_share: args.keep / 100.0,
        sample_interval_ms: Some(250),
    })
}

/// Shows the study's own steps and passes run events to the usual progress display.
struct Steps {
    json: bool,
    last: String,
}

impl Steps {
    fn show(&mut self, step: StudyStep) -> Control {
        let line = match &step {
            StudyStep::Quantize {
                level,
                tensors_done,
                tensors_total,
            } => format!("{level}: quantizing, tensor {tensors_done}/{tensors_total}"),
            StudyStep::Probe { level } => format!("{level}: perplexity and KL divergence"),
            StudyStep::Suite { level } => format!("{level}: suite"),
            StudyStep::Speed { level } => format!("{level}: speed tests"),
        };
        if line != self.last {
            if self.json {
                if let Ok(s) = serde_json::to_string(
                    &serde_json::json!({"event": "study_step", "detail": step}),
                ) {
                    println!("{s}");
                }
            } else {
                eprintln!("{line}");
            }
            self.last = line;
        }
        Control::Continue
    }
}

pub fn run(db: &Path, args: StudyArgs, cancel: mobench_engine::CancelFlag) -> Result<ExitCode> {
    if let Some(id) = args.show {
        let store = mobench_engine::open_store(db)?;
        return print_table(&store, id, &args);
    }
    let mut steps = Steps {
        json: args.json,
        last: String::new(),
    };
    let mut sink = Progress::new(args.json);
    let outcome = match args.resume {
        Some(id) => study::resume(db, id, cancel, &mut |s| steps.show(s), &mut sink)?,
        None => {
            let req = resolve(&args)?;
            study::start(db, req, cancel, &mut |s| steps.show(s), &mut sink)?
        }
    };
    let store = mobench_engine::open_store(db)?;
    let code = print_table(&store, outcome.study_id, &args)?;
    if outcome.status == StudyStatus::Interrupted {
        eprintln!(
            "mobench: study {} interrupted; `mobench study --resume {}` finishes it",
            outcome.study_id, outcome.study_id
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    Ok(code)
}

fn print_table(store: &mobench_store::Store, id: i64, args: &StudyArgs) -> Result<ExitCode> {
    let t = table::table(store, id)?;
    if let Some(csv) = &args.csv {
        let file = std::fs::File::create(csv)
            .with_context(|| format!("cannot write {}", csv.display()))?;
        table::export(&t)
            .write_csv(file)
            .with_context(|| format!("cannot write {}", csv.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&t)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("study {} ({}), base {}", t.study_id, t.status, t.base);
    println!(
        "{:<14} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8}",
        "level",
        "size MB",
        "peak MB",
        "pp t/s",
        "tg t/s",
        "TTFT ms",
        "PPL",
        "KLD mean",
        "same top",
        "quality"
    );
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    for l in &t.levels {
        println!(
            "{:<14} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8}{}",
            l.label,
            f(l.size_bytes.map(|b| b as f64 / 1e6), 2),
            f(l.peak_memory_bytes.value.map(|b| b / 1e6), 1),
            f(l.pp_tokens_per_s, 1),
            f(l.tg_tokens_per_s, 1),
            f(l.ttft_ms, 1),
            f(l.perplexity.as_ref().map(|p| p.ppl), 3),
            l.divergence
                .as_ref()
                .map_or("-".to_string(), |d| format!("{:.2e}", d.mean)),
            f(l.divergence.as_ref().map(|d| d.same_top * 100.0), 1),
            f(l.quality_retained.map(|q| q * 100.0), 1),
            if l.pareto { " *" } else { "" }
        );
        for q in &l.tasks {
            println!(
                "    {:<28} {:<20} {:>8} {:>8}",
                q.dataset,
                q.metric,
                f(q.value, 4),
                f(q.share_of_base.map(|s| s * 100.0), 1)
            );
        }
    }
    println!("* on the Pareto front of quality retained against size");
    match &t.recommendation.level {
        Some(level) => println!("recommended: {level}: {}", t.recommendation.reason),
        None => println!("no recommendation: {}", t.recommendation.reason),
    }
    Ok(ExitCode::SUCCESS)
}
