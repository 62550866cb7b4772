//! Raw arguments. They are resolved into validated settings (`config.rs`) before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "mobench",
    version,
    about = "MobileAIBench: measure LLM quality, speed and cost on this device (llama.cpp inside)"
)]
pub struct Cli {
    /// Run database (SQLite). Default: mobench.sqlite in the platform data directory.
    #[arg(long, global = true, env = "MOBENCH_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a suite on a model (default: the starter suite on the built-in tiny model)
    Run(RunArgs),
    /// Measure speed as llama.cpp's llama-bench does (pp/tg/pg tests), or sustained over minutes
    #[command(visible_alias = "bench")]
    Speed(SpeedArgs),
    /// Finish an interrupted run without redoing finished samples
    Resume {
        run_id: i64,
        #[arg(long)]
        json: bool,
    },
    /// List runs (of every device whose runs were imported or pulled)
    Runs {
        #[command(flatten)]
        filter: RunFilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Show one run: settings, device, per-dataset figures
    Show {
        run_id: i64,
        /// Every judge's and embedder's answer for each graded sample, instead of the figures
        #[arg(long)]
        judgments: bool,
        #[arg(long)]
        json: bool,
    },
    /// Grade finished runs as the paper did, with an LLM judge and an embedder, without generating
    /// again; each answer is kept, so grading again or after a kill asks nothing twice
    Grade(GradeArgs),
    /// Compare runs side by side, per dataset, against the first as baseline
    Compare {
        #[arg(required = true, num_args = 2..)]
        run_ids: Vec<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Export runs as CSV or JSON (every suite run when none is named; speed runs in llama-bench's
    /// fields), or as a bundle another device imports (--bundle)
    Export {
        run_ids: Vec<i64>,
        /// A bundle of the named runs with everything they refer to, for `mobench import` or the
        /// app on another device
        #[arg(long, value_name = "FILE.mobench", conflicts_with_all = ["speed", "telemetry", "samples", "format", "out"])]
        bundle: Option<PathBuf>,
        /// Every speed run (when no run is named)
        #[arg(long, conflicts_with = "samples")]
        speed: bool,
        /// The resource time series (one row per reading) instead of the figures
        #[arg(long, conflicts_with = "samples")]
        telemetry: bool,
        /// One row per sample instead of one per run and dataset
        #[arg(long)]
        samples: bool,
        #[arg(long, value_enum, required_unless_present = "bundle")]
        format: Option<ExportFormat>,
        #[arg(long, value_name = "FILE", required_unless_present = "bundle")]
        out: Option<PathBuf>,
    },
    /// Merge bundles from other devices (`export --bundle`) into this database; a run already
    /// here is left as it is
    Import {
        #[arg(required = true, value_name = "FILE.mobench")]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The same model and quantization side by side across devices: pp/tg, TTFT, decode rate,
    /// peak memory, energy per token
    Devices {
        #[command(flatten)]
        filter: RunFilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Copy runs to a shared PostgreSQL database (a device lab, a CI fleet); a run already
    /// there is left as it is
    Push {
        #[arg(required_unless_present = "all")]
        run_ids: Vec<i64>,
        /// Every finished run made on this device
        #[arg(long, conflicts_with = "run_ids")]
        all: bool,
        /// postgres://user:password@host:port/database
        #[arg(long, value_name = "URL", env = "MOBENCH_POSTGRES")]
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Copy runs from a shared PostgreSQL database into this one (every run, or those the
    /// filters keep)
    Pull {
        /// postgres://user:password@host:port/database
        #[arg(long, value_name = "URL", env = "MOBENCH_POSTGRES")]
        from: String,
        #[command(flatten)]
        filter: RunFilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// The MobileAIBench datasets: list, download, verify
    Datasets {
        #[command(subcommand)]
        action: DatasetsAction,
    },
    /// Grade predictions made anywhere: JSON lines of {"prediction", "reference"}, or for
    /// vqa_accuracy {"prediction", "references": [the human answers]}
    Score {
        #[arg(long)]
        metric: String,
        #[arg(long, value_name = "PAIRS.jsonl")]
        input: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// This device: identity, what llama.cpp uses on it, and one second of resource readings
    Device {
        #[arg(long)]
        json: bool,
    },
    /// Models from Hugging Face and the model library: catalog, search, files, fetch, list, rm
    Models {
        #[command(subcommand)]
        action: crate::models::ModelsAction,
    },
    /// Quantize a model with llama.cpp's own quantizer (`--type list`: the types this build knows)
    Quantize(crate::quant::QuantizeArgs),
    /// Perplexity over a text, as llama.cpp's llama-perplexity computes it
    Ppl(crate::quant::PplArgs),
    /// KL divergence of a model's next-token distributions from a base model's over a text
    Kld(crate::quant::KldArgs),
    /// Quantization study: a base model and N levels through the same probes, suite and speed
    /// tests, as one resumable queue; prints each level's costs and quality and a recommendation
    Study(Box<crate::study::StudyArgs>),
    /// Describe a GGUF model (architecture, parameters, quantization, size, sha256) or vision
    /// projector (type, image and patch size, image tokens, projection width, size, sha256)
    Inspect {
        /// A GGUF model, or a vision projector (mmproj)
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// With a projector: the model it is for; says whether the projector fits it (exit 1
        /// if not)
        #[arg(long, value_name = "PATH")]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// Which runs: each filter given must match.
#[derive(Args, Debug, Default, Clone)]
pub struct RunFilterArgs {
    /// The device's id (or its start) or a part of its name
    #[arg(long)]
    pub device: Option<String>,
    /// A part of the model's name or file name, or the start of its sha256
    #[arg(long)]
    pub model: Option<String>,
    /// The quantization (Q4_0, F16, ...)
    #[arg(long)]
    pub quant: Option<String>,
}

impl RunFilterArgs {
    pub fn filter(&self) -> mobench_store::devices::RunFilter {
        mobench_store::devices::RunFilter {
            device: self.device.clone(),
            model: self.model.clone(),
            quant: self.quant.clone(),
        }
    }
}

/// Who grades: `local:PATH` (a GGUF through this llama.cpp, no network) or `openai:MODEL` (an
/// OpenAI-compatible endpoint: --base-url, key from OPENAI_API_KEY).
#[derive(Args, Debug, Default, Clone)]
pub struct GraderArgs {
    /// The judge: local:PATH (a GGUF chat model) or openai:MODEL (e.g. openai:gpt-4o, the paper's)
    #[arg(long, value_name = "SPEC")]
    pub judge: Option<String>,
    /// The embedder for adv_instruction: local:PATH (a GGUF embedding model) or openai:MODEL
    /// (e.g. openai:text-embedding-3-small, the paper's)
    #[arg(long, value_name = "SPEC")]
    pub embedder: Option<String>,
    /// The OpenAI-compatible endpoint, up to /v1 (default https://api.openai.com/v1)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Requests in flight at once at an endpoint
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

#[derive(Args, Debug)]
pub struct GradeArgs {
    #[arg(required = true)]
    pub run_ids: Vec<i64>,
    #[command(flatten)]
    pub grader: GraderArgs,
    /// Only these datasets or tasks (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// CPU threads for a local judge or embedder (default: physical cores)
    #[arg(long)]
    pub threads: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// GGUF model file (default: the built-in tiny model)
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// The model's vision projector (mmproj GGUF), needed by the image datasets (--tasks vqa)
    #[arg(long, value_name = "PATH")]
    pub mmproj: Option<PathBuf>,
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub model_params: ModelParams,
    /// accuracy: the tasks' own limits; mobile: MobileAIBench's on-device 128 tokens
    #[arg(long, value_enum, default_value = "accuracy")]
    pub preset: PresetArg,
    /// Leave the context passage out of QA prompts
    #[arg(long)]
    pub no_context: bool,
    /// Sample with this temperature instead of greedy decoding
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Nucleus sampling threshold (with --temperature)
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Sampling seed (with --temperature)
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Resource sampling interval in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub sample_interval: u32,
    /// Load the model even when it will not fit under the system's hard memory limit (iOS)
    #[arg(long)]
    pub ignore_memory_limit: bool,
    /// Grade the finished run with a judge and/or an embedder as well (see `mobench grade`)
    #[command(flatten)]
    pub grader: GraderArgs,
    /// Print one JSON object at the end; progress goes to stderr
    #[arg(long)]
    pub json: bool,
}

/// The datasets a suite runs and the examples taken from them (`run` and `study`).
#[derive(Args, Debug, Default)]
pub struct SuiteArgs {
    /// starter (built in) or mobileaibench (the paper's datasets)
    #[arg(long, default_value = "starter")]
    pub suite: String,
    /// Only these tasks (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    /// Only these datasets (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub datasets: Vec<String>,
    /// Folder holding the MobileAIBench dataset files (default: downloaded copies)
    #[arg(long, value_name = "DIR")]
    pub datasets_dir: Option<PathBuf>,
    /// Examples per dataset
    #[arg(long)]
    pub limit: Option<usize>,
    /// Pick --limit examples at random with this seed instead of the first ones
    #[arg(long)]
    pub sample_seed: Option<u64>,
}

/// llama.cpp's settings for the suite's generations (`run` and `study`), recorded with each run.
#[derive(Args, Debug, Default)]
pub struct ModelParams {
    /// CPU threads (default: physical cores)
    #[arg(long)]
    pub threads: Option<u32>,
    /// Context size in tokens (capped at the model's training context)
    #[arg(long)]
    pub ctx: Option<u32>,
    /// Logical batch size for prompt processing
    #[arg(long)]
    pub batch: Option<u32>,
    /// Layers offloaded to the GPU (999 = all; default all on Apple, where Metal is built in,
    /// 0 elsewhere). The backend that actually held them is recorded with each load.
    #[arg(long)]
    pub gpu_layers: Option<u32>,
    /// Generation limit for every task (overrides the task's and the preset's)
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Raw prompt template with {system} and {prompt}, e.g. "{system} Instruct:{prompt}\nOutput:" (\n and \t are newline and tab)
    #[arg(long)]
    pub template: Option<String>,
}

/// `mobench speed` (or `bench`): llama-bench's flags and defaults. Lists (comma-separated) sweep, one test
/// per combination.
#[derive(Args, Debug)]
pub struct SpeedArgs {
    /// GGUF model file (default: the built-in tiny model)
    #[arg(short, long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Prompt lengths to process (pp tests)
    #[arg(
        short = 'p',
        long = "n-prompt",
        value_delimiter = ',',
        default_value = "512"
    )]
    pub n_prompt: Vec<u32>,
    /// Generation lengths (tg tests)
    #[arg(
        short = 'n',
        long = "n-gen",
        value_delimiter = ',',
        default_value = "128"
    )]
    pub n_gen: Vec<u32>,
    /// Prompt then generation, timed together, e.g. 512,128 (repeat for more)
    #[arg(long = "pg", value_name = "PROMPT,GEN")]
    pub pg: Vec<String>,
    /// Fill the context to this depth before each test (untimed)
    #[arg(
        short = 'd',
        long = "n-depth",
        value_delimiter = ',',
        default_value = "0"
    )]
    pub n_depth: Vec<u32>,
    /// Timed repetitions per test
    #[arg(short = 'r', long, default_value_t = 5)]
    pub reps: u32,
    /// CPU threads (default: physical cores)
    #[arg(short = 't', long, value_delimiter = ',')]
    pub threads: Vec<u32>,
    /// Logical batch size
    #[arg(short = 'b', long, value_delimiter = ',', default_value = "2048")]
    pub batch: Vec<u32>,
    /// Physical batch size
    #[arg(long, value_delimiter = ',', default_value = "512")]
    pub ubatch: Vec<u32>,
    /// Layers on the GPU (-1 = all)
    #[arg(
        long = "gpu-layers",
        visible_alias = "ngl",
        value_delimiter = ',',
        default_value = "-1",
        allow_negative_numbers = true
    )]
    pub gpu_layers: Vec<i32>,
    /// Flash attention
    #[arg(long, value_enum, default_value = "auto")]
    pub flash_attn: FlashAttnArg,
    /// Seconds to cool down before each test
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub delay: u32,
    /// Skip the untimed warm-up run
    #[arg(long)]
    pub no_warmup: bool,
    /// Generate in rounds for this many minutes and report the rate over time (throttling)
    #[arg(long, value_name = "MINUTES", conflicts_with_all = ["pg"], allow_negative_numbers = true)]
    pub sustained: Option<f64>,
    /// Tokens per round in sustained mode
    #[arg(long = "round", default_value_t = 128, value_name = "TOKENS")]
    pub round_tokens: u32,
    /// Resource sampling interval in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub sample_interval: u32,
    /// Output format on stdout (md: llama-bench's table)
    #[arg(long, value_enum, default_value = "md")]
    pub format: SpeedFormat,
    /// Same as --format json
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum FlashAttnArg {
    Auto,
    On,
    Off,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum SpeedFormat {
    Md,
    Csv,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq)]
pub enum PresetArg {
    #[default]
    Accuracy,
    Mobile,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum DatasetsAction {
    /// The catalog, and which files are present and verified
    List {
        #[arg(long, value_name = "DIR")]
        datasets_dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Download the MobileAIBench files (checking each sha256)
    Fetch {
        #[arg(long, value_name = "DIR")]
        datasets_dir: Option<PathBuf>,
        /// Only these datasets
        #[arg(long, value_delimiter = ',')]
        datasets: Vec<String>,
        /// Download from a mirror that serves the same file names
        #[arg(long, env = "MOBENCH_DATASETS_MIRROR", value_name = "URL")]
        mirror: Option<String>,
    },
    /// Check the files present against the catalog's sha256
    Verify {
        #[arg(long, value_name = "DIR")]
        datasets_dir: Option<PathBuf>,
    },
}
