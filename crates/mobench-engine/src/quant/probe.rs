//! What a quantization lost, measured without dataset labels, as llama.cpp's `llama-perplexity`
//! defines it (tools/perplexity/perplexity.cpp of the linked tree):
//!
//! - perplexity: the text is tokenized once (with BOS where the model adds one), cut into windows
//!   of `n_ctx` tokens, each window evaluated from an empty cache with its first token replaced by
//!   BOS (when the model adds one), and the tokens of its second half scored: exp of the mean
//!   negative log-likelihood of `n_ctx/2 - 1` tokens per window;
//! - KL divergence from the base model: at the same positions, KL(base ‖ model) of the next-token
//!   distributions, reported as mean, 99th percentile and top-1 agreement ("same top p").
//!
//! The base model's distributions are kept compactly, as its `top_k` most likely tokens with their
//! log-probabilities plus the probability of everything else, so a phone need not hold a full
//! vocabulary per position. With the rest as one bucket the KL divergence is a lower bound of the
//! full one (merging outcomes never increases it); `top_k = 0` keeps the full vocabulary, which the
//! benchmark uses to show how close the two are.

use std::num::NonZeroU32;
use std::path::Path;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::llama::{backend, gguf, load_model, model};

/// Everything that changes a probe's figures besides the model and the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeSettings {
    /// Window length in tokens (llama-perplexity's `--ctx-size`; its default is 512).
    pub n_ctx: u32,
    pub threads: u32,
    pub gpu_layers: u32,
    /// Base distributions keep this many tokens per position; 0 keeps the whole vocabulary.
    pub top_k: u32,
    /// Score at most this many windows (llama-perplexity's `--chunks`); `None`: all.
    pub max_chunks: Option<u32>,
}

impl ProbeSettings {
    pub fn new(n_ctx: u32, threads: u32) -> ProbeSettings {
        ProbeSettings {
            n_ctx,
            threads,
            gpu_layers: 0,
            top_k: DEFAULT_TOP_K,
            max_chunks: None,
        }
    }
}

pub const DEFAULT_CTX: u32 = 512;

/// The text MobileAIBench ships for the probes (`datasets/ppl/`, an original text), compiled in.
pub const SHIPPED_TEXT: &str = include_str!("../../../../datasets/ppl/river-town.txt");

/// The shipped text as a file in the data folder (written on first use), for front ends that
/// name the text by path.
pub fn shipped_text_path(data_dir: &Path) -> Result<std::path::PathBuf, EngineError> {
    let path = data_dir.join("ppl").join("river-town.txt");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(SHIPPED_TEXT) {
        let io = |e: std::io::Error| probe_err(format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(io)?;
        let tmp = path.with_extension("txt.part");
        std::fs::write(&tmp, SHIPPED_TEXT).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
    }
    Ok(path)
}
pub const DEFAULT_TOP_K: u32 = 32;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Perplexity {
    pub ppl: f64,
    /// Standard error of the perplexity, as llama-perplexity prints it (`+/-`).
    pub ppl_error: f64,
    pub n_ctx: u32,
    pub chunks: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub tokens_scored: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub text_tokens: u64,
    pub seconds: f64,
}

/// One scored position of the base model: its most likely tokens and the rest's probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// (token, log-probability), most likely first.
    pub top: Vec<(u32, f32)>,
    /// Log-probability of every other token together (`-inf` when `top` is the whole vocabulary).
    pub rest: f64,
}

/// The base model's next-token distributions over a text, for KL divergence later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseDistributions {
    pub architecture: Option<String>,
    pub n_vocab: u32,
    pub settings: ProbeSettings,
    /// The text's tokens: a model that tokenizes it differently has another vocabulary.
    pub tokens: Vec<i32>,
    pub positions: Vec<Position>,
    pub perplexity: Perplexity,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    pub mean: f64,
    /// Standard error of the mean.
    pub mean_error: f64,
    pub p99: f64,
    pub max: f64,
    /// Share of positions (0..1) where both models rank the same token first.
    pub same_top: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub positions: u64,
    /// 0 when the full vocabulary was compared.
    pub top_k: u32,
    /// The model's own perplexity over the same windows.
    pub perplexity: Perplexity,
}

fn probe_err(message: impl Into<String>) -> EngineError {
    EngineError::Probe(message.into())
}

/// Reads a text file for a probe.
pub fn read_text(path: &Path) -> Result<String, EngineError> {
    let bytes = std::fs::read(path)
        .map_err(|e| probe_err(format!("text {}: cannot be read: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| probe_err(format!("text {}: is not UTF-8 text", path.display())))
}

/// The model's perplexity over `text`.
pub fn perplexity(
    model_path: &Path,
    text: &str,
    settings: &ProbeSettings,
) -> Result<Perplexity, EngineError> {
    let loaded = load_checked(model_path)?;
    let tokens = tokenize(&loaded, model_path, text, settings)?;
    let mut scan = Scan::new(&tokens, settings);
    run(&loaded, &tokens, settings, &mut |logits, next| {
        scan.score(logits, next);
    })?;
    Ok(scan.finish())
}

/// The base model's perplexity over `text`, with its distributions kept for [`kl_divergence`].
pub fn base_distributions(
    model_path: &Path,
    text: &str,
    settings: &ProbeSettings,
) -> Result<BaseDistributions, EngineError> {
    let loaded = load_checked(model_path)?;
    let tokens = tokenize(&loaded, model_path, text, settings)?;
    let n_vocab = loaded.n_vocab().max(0) as u32;
    let k = if settings.top_k == 0 || settings.top_k >= n_vocab {
        n_vocab as usize
    } else {
        settings.top_k as usize
    };
    let mut scan = Scan::new(&tokens, settings);
    let mut positions = Vec::new();
    run(&loaded, &tokens, settings, &mut |logits, next| {
        scan.score(logits, next);
        positions.push(compact(logits, k));
    })?;
    Ok(BaseDistributions {
        architecture: architecture(model_path),
        n_vocab,
        settings: *settings,
        tokens: tokens.iter().map(|t| t.0).collect(),
        positions,
        perplexity: scan.finish(),
    })
}

/// KL(base ‖ model) over the positions the base distributions were taken at.
pub fn kl_divergence(
    base: &BaseDistributions,
    model_path: &Path,
    text: &str,
) -> Result<Divergence, EngineError> {
    let settings = base.settings;
    let arch = architecture(model_path);
    if arch != base.architecture {
        return Err(probe_err(format!(
            "{}: its architecture ({}) is not the base model's ({}): KL divergence compares \
             quantizations of one model",
            model_path.display(),
            arch.as_deref().unwrap_or("unknown"),
            base.architecture.as_deref().unwrap_or("unknown")
        )));
    }
    let loaded = load_checked(model_path)?;
    let n_vocab = loaded.n_vocab().max(0) as u32;
    if n_vocab != base.n_vocab {
        return Err(probe_err(format!(
            "{}: its vocabulary has {n_vocab} tokens, the base model's {}: KL divergence \
             compares quantizations of one model",
            model_path.display(),
            base.n_vocab
        )));
    }
    let tokens = tokenize(&loaded, model_path, text, &settings)?;
    if tokens.iter().map(|t| t.0).ne(base.tokens.iter().copied()) {
        return Err(probe_err(format!(
            "{}: it tokenizes the text differently from the base model (another vocabulary): \
             KL divergence compares quantizations of one model",
            model_path.display()
        )));
    }
    let mut scan = Scan::new(&tokens, &settings);
    let mut kls = Vec::with_capacity(base.positions.len());
    let mut same_top = 0u64;
    let mut i = 0usize;
    run(&loaded, &tokens, &settings, &mut |logits, next| {
        scan.score(logits, next);
        if let Some(pos) = base.positions.get(i) {
            let (kl, same) = kl_at(pos, logits);
            kls.push(kl);
            same_top += u64::from(same);
        }
        i += 1;
    })?;
    if kls.len() != base.positions.len() {
        return Err(probe_err(format!(
            "{}: {} positions scored, the base has {}",
            model_path.display(),
            kls.len(),
            base.positions.len()
        )));
    }
    let n = kls.len() as f64;
    let mean = kls.iter().sum::<f64>() / n;
    let var = kls.iter().map(|k| (k - mean) * (k - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    let mut sorted = kls.clone();
    sorted.sort_by(f64::total_cmp);
    let top_k = if base.positions.first().map(|p| p.top.len() as u32) == Some(base.n_vocab) {
        0
    } else {
        settings.top_k
    };
    Ok(Divergence {
        mean,
        mean_error: (var / n).sqrt(),
        p99: mobench_telemetry::percentile(&sorted, 99.0).unwrap_or(0.0),
        max: sorted.last().copied().unwrap_or(0.0),
        same_top: same_top as f64 / n,
        positions: kls.len() as u64,
        top_k,
        perplexity: scan.finish(),
    })
}

fn architecture(path: &Path) -> Option<String> {
    gguf::read_metadata(path)
        .ok()
        .and_then(|h| h.str("general.architecture").map(str::to_string))
}

fn load_checked(path: &Path) -> Result<LlamaModel, EngineError> {
    model::check(path)?;
    let loaded = load_model(path, 0)?;
    if loaded.model.vocab().should_add_eos() {
        // llama-perplexity asserts on this.
        return Err(probe_err(format!(
            "{}: the model appends an end-of-sequence token to every text, which perplexity as \
             llama.cpp defines it does not allow",
            path.display()
        )));
    }
    Ok(loaded.model)
}

fn tokenize(
    model: &LlamaModel,
    path: &Path,
    text: &str,
    settings: &ProbeSettings,
) -> Result<Vec<LlamaToken>, EngineError> {
    if settings.n_ctx < 8 {
        return Err(probe_err(format!(
            "a window of {} tokens is too short (at least 8)",
            settings.n_ctx
        )));
    }
    // common_tokenize(ctx, text, add_special = true), which does not parse special tokens.
    let tokens = model.vocab().tokenize(text.as_bytes(), true, false);
    let need = 2 * settings.n_ctx as usize;
    if tokens.len() < need {
        return Err(probe_err(format!(
            "the text is {} tokens for {}; at least two windows ({need} tokens at --ctx {}) are \
             needed",
            tokens.len(),
            path.display(),
            settings.n_ctx
        )));
    }
    Ok(tokens)
}

/// The windows llama-perplexity evaluates, in order, calling `visit(logits, next_token)` for each
/// scored position of each window's second half.
fn run(
    model: &LlamaModel,
    tokens: &[LlamaToken],
    settings: &ProbeSettings,
    visit: &mut dyn FnMut(&[f32], LlamaToken),
) -> Result<(), EngineError> {
    let backend = backend()?;
    let n_ctx = settings.n_ctx as usize;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(settings.n_ctx))
        .with_n_batch(settings.n_ctx)
        .with_n_ubatch(settings.n_ctx.min(512))
        .with_n_threads(settings.threads as i32)
        .with_n_threads_batch(settings.threads as i32);
    let mut ctx = model
        .new_context(backend, params)
        .map_err(|e| EngineError::Context(e.to_string()))?;
    let add_bos = model.vocab().should_add_bos();
    let bos = model.vocab().bos();
    let first = n_ctx / 2;
    let mut n_chunk = tokens.len() / n_ctx;
    if let Some(max) = settings.max_chunks {
        n_chunk = n_chunk.min(max as usize);
    }
    let mut batch = LlamaBatch::new(n_ctx, 1);
    for chunk in 0..n_chunk {
        let start = chunk * n_ctx;
        ctx.clear_kv_cache();
        batch.clear();
        for k in 0..n_ctx {
            let token = if add_bos && k == 0 {
                bos
            } else {
                tokens[start + k]
            };
            batch
                .add(token, k as i32, &[0], k >= first)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        for k in first..n_ctx - 1 {
            visit(ctx.get_logits_ith(k as i32), tokens[start + k + 1]);
        }
    }
    Ok(())
}

/// Running sums for the perplexity, as llama-perplexity keeps them.
struct Scan {
    nll: f64,
    nll2: f64,
    count: u64,
    text_tokens: u64,
    n_ctx: u32,
    started: Instant,
}

impl Scan {
    fn new(tokens: &[LlamaToken], settings: &ProbeSettings) -> Scan {
        Scan {
            nll: 0.0,
            nll2: 0.0,
            count: 0,
            text_tokens: tokens.len() as u64,
            n_ctx: settings.n_ctx,
            started: Instant::now(),
        }
    }

    fn score(&mut self, logits: &[f32], next: LlamaToken) {
        let v = -log_softmax_at(logits, next.0 as usize);
        self.nll += v;
        self.nll2 += v * v;
        self.count += 1;
    }

    fn finish(self) -> Perplexity {
        let n = self.count.max(1) as f64;
        let nll = self.nll / n;
        let var = self.nll2 / n - nll * nll;
        let ppl = nll.exp();
        let se = if var > 0.0 && self.count > 1 {
            (var / (n - 1.0)).sqrt() * ppl
        } else {
            0.0
        };
        let per_window = u64::from(self.n_ctx - self.n_ctx / 2 - 1);
        Perplexity {
            ppl,
            ppl_error: se,
            n_ctx: self.n_ctx,
            chunks: (self.count / per_window.max(1)) as u32,
            tokens_scored: self.count,
            text_tokens: self.text_tokens,
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// `max` and `log Σ exp(l - max)` over the logits, with llama-perplexity's precision (float
/// differences, double sum).
fn log_sum_exp(logits: &[f32]) -> (f32, f64) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| f64::from((l - max).exp())).sum();
    (max, sum.ln())
}

fn log_softmax_at(logits: &[f32], token: usize) -> f64 {
    let (max, lse) = log_sum_exp(logits);
    f64::from(logits[token] - max) - lse
}

fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let (max, lse) = log_sum_exp(logits);
    logits.iter().map(|&l| f64::from(l - max) - lse).collect()
}

fn compact(logits: &[f32], k: usize) -> Position {
    let lp = log_softmax(logits);
    let mut idx: Vec<u32> = (0..lp.len() as u32).collect();
    let k = k.min(idx.len());
    if k < idx.len() {
        idx.select_nth_unstable_by(k, |&a, &b| lp[b as usize].total_cmp(&lp[a as usize]));
        idx.truncate(k);
    }
    idx.sort_by(|&a, &b| lp[b as usize].total_cmp(&lp[a as usize]).then(a.cmp(&b)));
    let top: Vec<(u32, f32)> = idx.iter().map(|&i| (i, lp[i as usize] as f32)).collect();
    let rest = if k == lp.len() {
        f64::NEG_INFINITY
    } else {
        rest_ln(top.iter().map(|&(_, l)| l))
    };
    Position { top, rest }
}

/// log(1 − Σ p) of the kept tokens' stored (f32) log-probabilities. Base and model go through
/// the same roundings, so a model against itself gives exactly 0.
fn rest_ln(kept: impl Iterator<Item = f32>) -> f64 {
    let mass: f64 = kept.map(|l| f64::from(l).exp()).sum();
    (1.0 - mass).max(0.0).ln()
}

/// KL(base ‖ model) at one position, with the base's rest as one outcome, and whether both rank
/// the same token first.
fn kl_at(base: &Position, logits: &[f32]) -> (f64, bool) {
    let lq = log_softmax(logits);
    let mut kl = 0.0;
    for &(t, lp) in &base.top {
        let lp = f64::from(lp);
        let lq_t = f64::from(lq[t as usize] as f32);
        kl += lp.exp() * (lp - lq_t);
    }
    if base.rest.is_finite() {
        let q_rest = rest_ln(base.top.iter().map(|&(t, _)| lq[t as usize] as f32));
        kl += base.rest.exp() * (base.rest - q_rest.max(f64::from(f32::MIN_POSITIVE).ln()));
    }
    let model_top = lq
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i as u32);
    let same = base.top.first().map(|&(t, _)| t) == model_top;
    // Rounding may leave a tiny negative where the distributions are nearly identical.
    (kl.max(0.0), same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_diverge_by_nothing() {
        let logits = [1.0f32, 3.0, -2.0, 0.5, 2.5, 0.0];
        for k in [2, 6] {
            let pos = compact(&logits, k);
            let (kl, same) = kl_at(&pos, &logits);
            assert!(kl.abs() < 1e-9, "k={k}: {kl}");
            assert!(same);
        }
    }

    #[test]
    fn top_k_is_a_lower_bound_of_the_full_divergence() {
        let p = [1.0f32, 3.0, -2.0, 0.5, 2.5, 0.0];
        let q = [0.0f32, 2.0, 1.0, 0.5, 3.0, -1.0];
        let (full, same_full) = kl_at(&compact(&p, 6), &q);
        let (top2, _) = kl_at(&compact(&p, 2), &q);
        // Direct sum for the full case.
        let lp = log_softmax(&p);
        let lq = log_softmax(&q);
        let direct: f64 = lp.iter().zip(&lq).map(|(a, b)| a.exp() * (a - b)).sum();
        assert!((full - direct).abs() < 1e-6, "{full} vs {direct}");
        assert!(top2 <= full + 1e-9 && top2 > 0.0, "{top2} vs {full}");
        assert!(!same_full, "p ranks token 1 first, q token 4");
    }
}
