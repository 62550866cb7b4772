//! `mobench-gen`: writes a GGUF model with random weights, and optionally its vision projector.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use mobench_gen::{write_gguf, write_projector, DType, ModelSpec, ProjectorSpec};

/// Write a real GGUF model (llama architecture) with random weights, for tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "mobench-gen", version)]
struct Cli {
    /// Model size.
    #[arg(long, value_enum)]
    preset: Preset,

    /// Where to write the model; replaced atomically if it exists.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,

    /// Also write a vision projector for the model here (llava `mlp` type, for llama.cpp's
    /// mtmd): 32x32 images (16 tokens) for tiny, 224x224 (256 tokens) for 100m.
    #[arg(long, value_name = "PATH")]
    mmproj: Option<PathBuf>,

    /// Storage type of the weight matrices [default: the preset's, f32 for tiny, f16 for 100m].
    #[arg(long, value_enum)]
    dtype: Option<DTypeArg>,

    /// Leave out the ChatML chat template.
    #[arg(long)]
    no_template: bool,

    /// Seed of the random weights [default: the preset's].
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Preset {
    /// About a million parameters, for tests and the built-in default.
    Tiny,
    /// About 100M parameters, for benchmarks.
    #[value(name = "100m")]
    Bench100m,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DTypeArg {
    F32,
    F16,
}

impl Cli {
    fn spec(&self) -> ModelSpec {
        let mut spec = match self.preset {
            Preset::Tiny => ModelSpec::tiny(),
            Preset::Bench100m => ModelSpec::bench_100m(),
        };
        if let Some(dtype) = self.dtype {
            spec.dtype = match dtype {
                DTypeArg::F32 => DType::F32,
                DTypeArg::F16 => DType::F16,
            };
        }
        if self.no_template {
            spec.chat_template = None;
        }
        if let Some(seed) = self.seed {
            spec.seed = seed;
        }
        spec
    }

    /// The preset's projector for `model` (same storage type and seed).
    fn projector(&self, model: &ModelSpec) -> ProjectorSpec {
        match self.preset {
            Preset::Tiny => ProjectorSpec::tiny_for(model),
            Preset::Bench100m => ProjectorSpec::bench_for(model),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version
        Err(err) if !err.use_stderr() => err.exit(),
        Err(err) => {
            // clap's message ends at the first blank line; usage advice follows.
            let rendered = err.to_string();
            let message: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            eprintln!("{} (see --help)", message.join(" "));
            return ExitCode::from(2);
        }
    };

    if cli.mmproj.as_ref() == Some(&cli.out) {
        eprintln!("error: --mmproj and --out name the same file (see --help)");
        return ExitCode::from(2);
    }

    let spec = cli.spec();
    let started = Instant::now();
    if let Err(err) = write_gguf(&spec, &cli.out) {
        eprintln!("error: {}", error_chain(&err));
        return ExitCode::FAILURE;
    }
    report(&cli.out, spec.n_params(), started);

    if let Some(mmproj) = &cli.mmproj {
        let projector = cli.projector(&spec);
        let started = Instant::now();
        if let Err(err) = write_projector(&projector, mmproj) {
            eprintln!("error: {}", error_chain(&err));
            return ExitCode::FAILURE;
        }
        report(mmproj, projector.n_params(), started);
        println!(
            "image: {0}x{0} pixels, {1} tokens",
            projector.image_size,
            projector.n_image_tokens()
        );
    }
    ExitCode::SUCCESS
}

/// The written file's path, parameters and size, one per line.
fn report(path: &std::path::Path, n_params: u64, started: Instant) {
    let elapsed = started.elapsed();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("{}", path.display());
    println!("parameters: {n_params}");
    println!(
        "size: {size} bytes ({:.1} MiB), written in {:.2} s",
        size as f64 / (1024.0 * 1024.0),
        elapsed.as_secs_f64()
    );
}

/// The error and its causes on one line, outermost first.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
