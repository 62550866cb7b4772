//! The timed loops of llama-bench, on a context made for each test: random tokens decoded as a
//! prompt or one at a time, repetitions from an empty KV cache, and sustained rounds.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use mobench_store::speed::{SpeedModelMeta, SpeedResult, SpeedTest};
use mobench_telemetry::{Phase, PhaseTracker};

use crate::error::EngineError;
use crate::llama;

/// What llama-bench reports about a loaded model and this machine.
pub fn model_meta(model: &LlamaModel) -> SpeedModelMeta {
    let (cpu_info, gpu_info, backends) = llama::device::backend_devices();
    SpeedModelMeta {
        model_type: llama::model_desc(model),
        model_size: model.size(),
        model_n_params: model.n_params(),
        cpu_info,
        gpu_info,
        backends,
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
pub(crate) struct TestContext<'m> {
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

impl<'m> TestContext<'m> {
    pub(crate) fn new(
        model: &'m LlamaModel,
        test: &SpeedTest,
        phase: &PhaseTracker,
    ) -> Result<Self, EngineError> {
        let backend = llama::backend()?;
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
        Ok(TestContext {
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
    test: &SpeedTest,
    reps: u32,
    warmup: bool,
    phase: &PhaseTracker,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<SpeedResult>, EngineError> {
    let test_time = rfc3339_seconds();
    let mut bc = TestContext::new(model, test, phase)?;
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
    Ok(Some(SpeedResult {
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
    test: &SpeedTest,
    minutes: f64,
    phase: &PhaseTracker,
    stop: &dyn Fn() -> bool,
    on_round: &mut dyn FnMut(u32, f64, u64) -> Result<(), EngineError>,
) -> Result<bool, EngineError> {
    let mut bc = TestContext::new(model, test, phase)?;
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
