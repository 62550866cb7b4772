//! Speed tests exactly as llama.cpp's llama-bench defines them, so a figure from this engine can
//! be set beside any published llama-bench figure:
//! - `pp N`: N random tokens (BOS first when the model adds one) decoded as a prompt in
//!   `n_batch` chunks; `tg N`: N tokens decoded one at a time; `pg N,M`: both, timed together;
//!   `-d D`: the context is first filled to depth D (untimed).
//! - one untimed warm-up per test (the whole prompt, one generated token), the KV cache cleared
//!   before every repetition, no tokenization or sampling inside the timed window;
//! - per repetition t/s = tokens × 1e9 / ns; a test's figure is the mean and sample standard
//!   deviation of those rates, with the raw per-repetition samples kept.
//!
//! Sustained mode keeps generating in fixed-size rounds and records the rate of each round, to
//! show thermal throttling that a five-repetition test never sees.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};

use mobench_store::speed::{BenchModelMeta, BenchResult, BenchTest, FlashAttn};
use mobench_telemetry::{Phase, PhaseTracker};

use crate::error::EngineError;
use crate::llm;

/// A speed run as asked for. Validated before any model is loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchRequest {
    pub model: PathBuf,
    pub n_prompt: Vec<u32>,
    pub n_gen: Vec<u32>,
    pub pg: Vec<(u32, u32)>,
    pub n_depth: Vec<u32>,
    pub reps: u32,
    pub threads: Vec<u32>,
    pub n_batch: Vec<u32>,
    pub n_ubatch: Vec<u32>,
    pub gpu_layers: Vec<i32>,
    pub flash_attn: FlashAttn,
    /// Cool-down before each test, in seconds.
    pub delay_s: u32,
    pub warmup: bool,
    /// Sustained mode instead of the tests above.
    pub sustained: Option<Sustained>,
    /// Resource sampling interval (default 250 ms).
    #[serde(default)]
    pub sample_interval_ms: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Sustained {
    pub minutes: f64,
    /// Tokens generated per round (each round starts from an empty context).
    pub round_tokens: u32,
}

impl BenchRequest {
    /// llama-bench's defaults: pp512 and tg128, 5 repetitions, batch 2048, ubatch 512, every
    /// layer on the GPU, flash attention auto, threads = physical cores.
    pub fn new(model: PathBuf) -> BenchRequest {
        BenchRequest {
            model,
            n_prompt: vec![512],
            n_gen: vec![128],
            pg: Vec::new(),
            n_depth: vec![0],
            reps: 5,
            threads: vec![crate::settings::default_threads()],
            n_batch: vec![2048],
            n_ubatch: vec![512],
            gpu_layers: vec![-1],
            flash_attn: FlashAttn::Auto,
            delay_s: 0,
            warmup: true,
            sustained: None,
            sample_interval_ms: None,
        }
    }

    /// Every test of the sweep, in llama-bench's order (settings outside, then pp, tg, pg).
    pub fn tests(&self) -> Vec<BenchTest> {
        let mut tests = Vec::new();
        for &n_gpu_layers in &self.gpu_layers {
            for &n_batch in &self.n_batch {
                for &n_ubatch in &self.n_ubatch {
                    for &n_threads in &self.threads {
                        for &n_depth in &self.n_depth {
                            let base = BenchTest {
                                n_prompt: 0,
                                n_gen: 0,
                                n_depth,
                                n_threads,
                                n_batch,
                                n_ubatch,
                                n_gpu_layers,
                                flash_attn: self.flash_attn,
                            };
                            let shapes = self
                                .n_prompt
                                .iter()
                                .filter(|&&p| p > 0)
                                .map(|&p| (p, 0))
                                .chain(self.n_gen.iter().filter(|&&g| g > 0).map(|&g| (0, g)))
                                .chain(self.pg.iter().copied());
                            for (n_prompt, n_gen) in shapes {
                                tests.push(BenchTest {
                                    n_prompt,
                                    n_gen,
                                    ..base
                                });
                            }
                        }
                    }
                }
            }
        }
        tests
    }

    /// Checks everything that does not need the model loaded. `n_ctx_train` comes from the
    /// GGUF header; `cores` is the number of logical CPUs.
    pub fn validate(&self, n_ctx_train: u32, cores: usize) -> Result<(), String> {
        crate::settings::validate_sample_interval(self.sample_interval_ms)?;
        if self.reps == 0 {
            return Err("--reps must be at least 1".into());
        }
        for (flag, list) in [
            ("--threads", &self.threads),
            ("--batch", &self.n_batch),
            ("--ubatch", &self.n_ubatch),
        ] {
            if list.is_empty() || list.contains(&0) {
                return Err(format!("{flag} must be at least 1"));
            }
        }
        if let Some(&t) = self.threads.iter().find(|&&t| t as usize > cores) {
            return Err(format!(
                "--threads {t} is more than this machine's {cores} logical CPUs"
            ));
        }
        if self.gpu_layers.iter().any(|&l| l < -1) {
            return Err("--gpu-layers must be -1 (all) or a layer count".into());
        }
        if let Some(s) = &self.sustained {
            if !(s.minutes > 0.0 && s.minutes.is_finite()) {
                return Err("--sustained needs a positive number of minutes".into());
            }
            if s.round_tokens == 0 {
                return Err("--round must be at least 1 token".into());
            }
            if s.round_tokens + 1 > n_ctx_train {
                return Err(format!(
                    "--round {} does not fit the model's {n_ctx_train}-token context",
                    s.round_tokens
                ));
            }
            return Ok(());
        }
        if self.pg.iter().any(|&(p, g)| p == 0 || g == 0) {
            return Err(
                "--pg needs two positive counts, prompt and generation (e.g. 512,128)".into(),
            );
        }
        let tests = self.tests();
        if tests.is_empty() {
            return Err("nothing to measure: give -p, -n or --pg a positive count".into());
        }
        if let Some(t) = tests.iter().find(|t| t.n_ctx() > n_ctx_train) {
            return Err(format!(
                "{} needs a {}-token context (depth + prompt + generation) but the model's is {n_ctx_train}",
                t.name(),
                t.n_ctx()
            ));
        }
        Ok(())
    }
}

/// What llama-bench reports about a loaded model and this machine.
pub fn model_meta(model: &LlamaModel) -> BenchModelMeta {
    {
        let (cpu_info, gpu_info, backends) = llm::backend_devices();
        BenchModelMeta {
            model_type: llm::model_desc(model),
            model_size: model.size(),
            model_n_params: model.n_params(),
            cpu_info,
            gpu_info,
            backends,
        }
    }
}

/// Tokens llama-bench would feed: any id of the vocabulary, from a fixed-seed generator so two
/// runs process the same sequence.
struct RandomTokens {
    state: u64,
    n_vocab: u64,
}

impl RandomTokens {
    fn new(n_vocab: i32) -> RandomTokens {
        RandomTokens {
            state: 0x9E37_79B9_7F4A_7C15,
            n_vocab: n_vocab.max(1) as u64,
        }
    }
    fn next(&mut self) -> LlamaToken {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        LlamaToken((z % self.n_vocab) as i32)
    }
}

/// A context made for one test, with the state the timed loops need.
pub(crate) struct BenchContext<'m> {
    ctx: LlamaContext<'m>,
    rng: RandomTokens,
    bos: Option<LlamaToken>,
    /// Next position in the sequence (tokens already in the KV cache).
    pos: i32,
    prompt_buf: Vec<LlamaToken>,
    gen_batch: LlamaBatch<'static>,
    n_batch: u32,
    phase: PhaseTracker,
}

impl<'m> BenchContext<'m> {
    pub(crate) fn new(
        model: &'m LlamaModel,
        test: &BenchTest,
        phase: &PhaseTracker,
    ) -> Result<Self, EngineError> {
        let backend = llm::backend()?;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(test.n_ctx().max(1)))
            .with_n_batch(test.n_batch)
            .with_n_ubatch(test.n_ubatch)
            .with_n_threads(test.n_threads as i32)
            .with_n_threads_batch(test.n_threads as i32)
            .with_flash_attention_policy(test.flash_attn.as_llama());
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| EngineError::Context(e.to_string()))?;
        let vocab_bos = model.vocab().should_add_bos().then(|| model.vocab().bos());
        Ok(BenchContext {
            ctx,
            rng: RandomTokens::new(model.n_vocab()),
            bos: vocab_bos,
            pos: 0,
            prompt_buf: Vec::with_capacity(test.n_batch as usize),
            gen_batch: LlamaBatch::new(1, 1),
            n_batch: test.n_batch,
            phase: phase.clone(),
        })
    }

    /// Empties the KV cache (metadata only, as llama-bench does: the data is overwritten).
    pub(crate) fn clear(&mut self) {
        let _ = self.ctx.clear_kv_cache_seq(None, None, None);
        self.pos = 0;
    }

    /// llama-bench's `test_prompt`: `n` random tokens in `n_batch` chunks, BOS first.
    pub(crate) fn prompt(&mut self, n: u32) -> Result<(), EngineError> {
        self.phase.set_phase(Phase::Prefill);
        let mut done = 0;
        while done < n {
            let n_tokens = (n - done).min(self.n_batch);
            self.prompt_buf.clear();
            let first = match (done, self.bos) {
                (0, Some(bos)) => bos,
                _ => self.rng.next(),
            };
            self.prompt_buf.push(first);
            for _ in 1..n_tokens {
                let t = self.rng.next();
                self.prompt_buf.push(t);
            }
            let mut batch = LlamaBatch::get_one(&self.prompt_buf)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            self.ctx
                .decode(&mut batch)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            done += n_tokens;
            self.pos += n_tokens as i32;
        }
        self.ctx.synchronize();
        Ok(())
    }

    /// llama-bench's `test_gen`: `n` single-token decodes, BOS first, then random tokens.
    pub(crate) fn generate(&mut self, n: u32) -> Result<(), EngineError> {
        self.phase.set_phase(Phase::Decode);
        let mut token = self.bos.unwrap_or_else(|| self.rng.next());
        for _ in 0..n {
            self.gen_batch.clear();
            self.gen_batch
                .add(token, self.pos, &[0], true)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            self.ctx
                .decode(&mut self.gen_batch)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            self.ctx.synchronize();
            self.pos += 1;
            token = self.rng.next();
        }
        Ok(())
    }
}

/// Runs one test: warm-up, then `reps` timed repetitions, each from an empty KV cache.
/// Returns None when cancelled between repetitions.
pub(crate) fn run_test(
    model: &LlamaModel,
    test: &BenchTest,
    reps: u32,
    warmup: bool,
    phase: &PhaseTracker,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<BenchResult>, EngineError> {
    let test_time = rfc3339_seconds();
    let mut bc = BenchContext::new(model, test, phase)?;
    if warmup {
        if test.n_prompt > 0 {
            bc.prompt(test.n_prompt)?;
        }
        if test.n_gen > 0 {
            bc.generate(1)?;
        }
    }
    let mut samples_ns = Vec::with_capacity(reps as usize);
    for _ in 0..reps {
        if cancelled() {
            return Ok(None);
        }
        bc.clear();
        if test.n_depth > 0 {
            bc.prompt(test.n_depth)?;
        }
        let t0 = Instant::now();
        if test.n_prompt > 0 {
            bc.prompt(test.n_prompt)?;
        }
        if test.n_gen > 0 {
            bc.generate(test.n_gen)?;
        }
        samples_ns.push(t0.elapsed().as_nanos() as u64);
    }
    Ok(Some(BenchResult {
        test: *test,
        samples_ns,
        test_time,
    }))
}

fn rfc3339_seconds() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    now.format(&fmt).unwrap_or_default()
}

/// Generates `round_tokens` per round from an empty context until `minutes` have passed or
/// `stop` says so, handing each round to `on_round` as it ends.
pub(crate) fn run_sustained(
    model: &LlamaModel,
    test: &BenchTest,
    minutes: f64,
    phase: &PhaseTracker,
    stop: &dyn Fn() -> bool,
    on_round: &mut dyn FnMut(u32, f64, u64) -> Result<(), EngineError>,
) -> Result<bool, EngineError> {
    let mut bc = BenchContext::new(model, test, phase)?;
    bc.generate(1)?;
    let budget = Duration::from_secs_f64(minutes * 60.0);
    let start = Instant::now();
    let mut round = 0;
    while start.elapsed() < budget {
        if stop() {
            return Ok(false);
        }
        bc.clear();
        let t0 = Instant::now();
        bc.generate(test.n_gen)?;
        let ns = t0.elapsed().as_nanos() as u64;
        on_round(round, start.elapsed().as_secs_f64() * 1e3, ns)?;
        round += 1;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> BenchRequest {
        BenchRequest::new(PathBuf::from("m.gguf"))
    }

    #[test]
    fn lists_sweep_in_llama_bench_order() {
        let mut r = req();
        r.threads = vec![1, 2];
        r.pg = vec![(16, 8)];
        let names: Vec<_> = r
            .tests()
            .iter()
            .map(|t| format!("{}/{}", t.name(), t.n_threads))
            .collect();
        assert_eq!(
            names,
            [
                "pp512/1",
                "tg128/1",
                "pp16+tg8/1",
                "pp512/2",
                "tg128/2",
                "pp16+tg8/2"
            ]
        );
        r.n_prompt = vec![0];
        assert_eq!(
            r.tests().len(),
            4,
            "a zero count is skipped, as llama-bench does"
        );
    }

    #[test]
    fn bad_requests_are_refused_before_loading() {
        let mut r = req();
        r.reps = 0;
        assert!(r.validate(2048, 4).unwrap_err().contains("--reps"));
        let mut r = req();
        r.threads = vec![8];
        assert!(r
            .validate(2048, 4)
            .unwrap_err()
            .contains("more than this machine's 4"));
        let mut r = req();
        r.threads = vec![0];
        assert!(r.validate(2048, 4).unwrap_err().contains("--threads"));
        let mut r = req();
        r.n_depth = vec![2000];
        let e = r.validate(2048, 4).unwrap_err();
        assert!(
            e.contains("pp512 @ d2000 needs a 2512-token context"),
            "{e}"
        );
        let mut r = req();
        r.n_prompt = vec![0];
        r.n_gen = vec![0];
        assert!(r
            .validate(2048, 4)
            .unwrap_err()
            .contains("nothing to measure"));
        let mut r = req();
        r.pg = vec![(0, 5)];
        assert!(r.validate(2048, 4).unwrap_err().contains("--pg"));
        let mut r = req();
        r.sustained = Some(Sustained {
            minutes: 0.0,
            round_tokens: 32,
        });
        assert!(r.validate(2048, 4).unwrap_err().contains("--sustained"));
        assert!(req().validate(2048, 4).is_ok());
    }
}
