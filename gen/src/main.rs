//! `mobench-gen`: writes a GGUF model with random weights.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use mobench_gen::{write_gguf, DType, ModelSpec};

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

    let spec = cli.spec();
    let started = Instant::now();
    if let Err(err) = write_gguf(&spec, &cli.out) {
        eprintln!("error: {}", error_chain(&err));
        return ExitCode::FAILURE;
    }
    let elapsed = started.elapsed();

    let size = std::fs::metadata(&cli.out).map(|m| m.len()).unwrap_or(0);
    println!("{}", cli.out.display());
    println!("parameters: {}", spec.n_params());
    println!(
        "size: {size} bytes ({:.1} MiB), written in {:.2} s",
        size as f64 / (1024.0 * 1024.0),
        elapsed.as_secs_f64()
    );
    ExitCode::SUCCESS
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
