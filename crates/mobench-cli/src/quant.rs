//! `mobench quantize`, `mobench ppl` and `mobench kld`: llama.cpp's quantizer on this device, and
//! the label-free probes of what a quantization lost, as llama-perplexity defines them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use mobench_engine::quant::probe::{self, ProbeSettings};
use mobench_engine::quant::{self, QuantProgress};
use mobench_engine::{Control, EngineError};
use serde_json::json;

use crate::EXIT_INTERRUPTED;

#[derive(Args, Debug)]
pub struct QuantizeArgs {
    /// The model to quantize: a GGUF in F32, F16, BF16 or Q8_0
    #[arg(long, value_name = "BASE")]
    pub model: Option<PathBuf>,
    /// llama.cpp's type name, e.g. Q4_K_M (`--type list` lists what this build knows)
    #[arg(long = "type", value_name = "TYPE")]
    pub qtype: String,
    /// Where the quantized model goes (written only once it is complete and checked)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Threads for the quantizer (default: every hardware thread, as llama-quantize)
    #[arg(long)]
    pub threads: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// A UTF-8 text file of at least two windows of tokens (MobileAIBench ships one:
    /// datasets/ppl/)
    #[arg(long, value_name = "FILE")]
    pub text: PathBuf,
    /// Window length in tokens (llama-perplexity's --ctx-size)
    #[arg(long = "ctx", default_value_t = probe::DEFAULT_CTX)]
    pub n_ctx: u32,
    /// Score at most this many windows (llama-perplexity's --chunks)
    #[arg(long)]
    pub chunks: Option<u32>,
    /// CPU threads (default: physical cores)
    #[arg(long)]
    pub threads: Option<u32>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PplArgs {
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Args, Debug)]
pub struct KldArgs {
    /// The base model (the reference distribution)
    #[arg(long, value_name = "PATH")]
    pub base: PathBuf,
    /// The quantized model compared with it
    #[arg(long, value_name = "PATH")]
    pub model: PathBuf,
    /// Tokens kept per position of the base's distribution; 0 keeps the whole vocabulary
    #[arg(long, default_value_t = probe::DEFAULT_TOP_K)]
    pub top_k: u32,
    #[command(flatten)]
    pub probe: ProbeArgs,
}

fn probe_settings(p: &ProbeArgs) -> ProbeSettings {
    let mut s = ProbeSettings::new(
        p.n_ctx,
        p.threads
            .unwrap_or_else(mobench_engine::settings::default_threads),
    );
    s.max_chunks = p.chunks;
    s
}

pub fn quantize_cmd(args: QuantizeArgs, cancel: mobench_engine::CancelFlag) -> Result<ExitCode> {
    if args.qtype.eq_ignore_ascii_case("list") {
        return list_types(args.json);
    }
    let Some(model) = args.model.as_deref() else {
        bail!("--model is needed: the model to quantize");
    };
    let Some(out) = args.out.as_deref() else {
        bail!("--out is needed: where the quantized model goes");
    };
    let plan = quant::plan(model, &args.qtype, out)?;
    for w in &plan.warnings {
        eprintln!("mobench: warning: {w}");
    }
    if !args.json {
        eprintln!(
            "quantizing {} ({}) to {} -> {} (about {:.1} MB)",
            plan.base.display(),
            plan.base_type,
            plan.qtype.name,
            plan.out.display(),
            plan.expected_bytes as f64 / 1e6
        );
    }
    let json = args.json;
    let mut last = (u32::MAX, 0);
    let mut on_progress = |p: QuantProgress| {
        if !json && (p.tensors_done, p.tensors_total) != last && p.tensors_total > 0 {
            last = (p.tensors_done, p.tensors_total);
            eprint!("\r  tensors {}/{}", p.tensors_done, p.tensors_total);
            let _ = std::io::stderr().flush();
        }
        if cancel.is_cancelled() {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let result = quant::quantize(&plan, args.threads.unwrap_or(0), &mut on_progress);
    if !json {
        eprintln!();
    }
    let done = match result {
        Err(EngineError::Cancelled) => {
            eprintln!(
                "mobench: quantization cancelled; nothing was written to {}",
                out.display()
            );
            return Ok(ExitCode::from(EXIT_INTERRUPTED));
        }
        other => other?,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "base": plan.base,
                "base_type": plan.base_type,
                "type": done.qtype,
                "out": done.path,
                "size_bytes": done.size_bytes,
                "expected_bytes": plan.expected_bytes,
                "sha256": done.sha256,
                "seconds": done.seconds,
                "requantized": done.requantized,
                "warnings": done.warnings,
            }))?
        );
    } else {
        println!(
            "{}: {} ({:.2} MB, sha256 {}), {:.1} s",
            done.path.display(),
            done.qtype,
            done.size_bytes as f64 / 1e6,
            done.sha256,
            done.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list_types(json: bool) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(quant::types::ALL)?);
    } else {
        for t in quant::types::ALL {
            println!("{:10} {}", t.name, t.ftype);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn ppl_cmd(args: PplArgs) -> Result<ExitCode> {
    let text = probe::read_text(&args.probe.text)?;
    let settings = probe_settings(&args.probe);
    let p = probe::perplexity(&args.model, &text, &settings)?;
    if args.probe.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "model": args.model,
                "text": args.probe.text,
                "threads": settings.threads,
                "perplexity": p,
            }))?
        );
    } else {
        println!(
            "PPL = {:.4} +/- {:.5} ({} windows of {} tokens, {} tokens scored, {:.1} s)",
            p.ppl, p.ppl_error, p.chunks, p.n_ctx, p.tokens_scored, p.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn kld_cmd(args: KldArgs) -> Result<ExitCode> {
    let text = probe::read_text(&args.probe.text)?;
    let mut settings = probe_settings(&args.probe);
    settings.top_k = args.top_k;
    let base = probe::base_distributions(&args.base, &text, &settings)?;
    let d = probe::kl_divergence(&base, &args.model, &text)?;
    if args.probe.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "base": args.base,
                "model": args.model,
                "text": args.probe.text,
                "threads": settings.threads,
                "n_ctx": settings.n_ctx,
                "top_k": d.top_k,
                "base_perplexity": base.perplexity,
                "kld": d,
            }))?
        );
    } else {
        println!(
            "KLD mean {:.6} +/- {:.6}, p99 {:.6}, max {:.6}; same top p {:.2}%; PPL base {:.4}, \
             model {:.4} ({} positions, top {} of the base)",
            d.mean,
            d.mean_error,
            d.p99,
            d.max,
            d.same_top * 100.0,
            base.perplexity.ppl,
            d.perplexity.ppl,
            d.positions,
            if d.top_k == 0 {
                "all".to_string()
            } else {
                d.top_k.to_string()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
