//! A context on a loaded model, and its decode loop, measured. A context stays on the thread that
//! made it. Timings follow GUIDE.md: TTFT from before tokenization to the first sampled token, prefill
//! rate over the decode calls that process the prompt, decode rate over the 2nd-and-later tokens.

use std::num::NonZeroU32;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::mtmd::{MtmdBitmap, MtmdInputChunkType, MtmdInputText};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use mobench_store::{LlamaCounters, SampleTimings};
use mobench_telemetry::percentile;

use super::vision::Vision;
use super::{backend, log, ms};
use crate::error::EngineError;
use crate::settings::Sampling;

#[derive(Debug, Clone, Copy)]
pub struct ContextSettings {
    pub n_ctx: u32,
    pub n_batch: u32,
    pub threads: u32,
}

/// How prompts are turned into text for the model.
pub enum PromptFormat {
    /// The model's own chat template from the GGUF, applied by llama.cpp.
    Model(LlamaChatTemplate),
    /// A raw template with `{system}` and `{prompt}` (MobileAIBench style).
    Raw(String),
    /// No template in the model and none given: system, blank line, prompt.
    Plain,
}

impl PromptFormat {
    pub fn name(&self) -> &'static str {
        match self {
            PromptFormat::Model(_) => "model",
            PromptFormat::Raw(_) => "raw",
            PromptFormat::Plain => "plain",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

pub struct Session<'m> {
    model: &'m LlamaModel,
    /// Where the resource sampler reads which phase (prefill, decode) the work is in.
    pub phase: mobench_telemetry::PhaseTracker,
    ctx: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
    n_batch: usize,
    pub context_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationEnd {
    EndOfGeneration,
    /// The text reached one of the dataset's stop strings (VQAv2 stops at a newline).
    StopString,
    MaxTokens,
    ContextFull,
    Cancelled,
}

impl GenerationEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            GenerationEnd::EndOfGeneration => "eog",
            GenerationEnd::StopString => "stop",
            GenerationEnd::MaxTokens => "max_tokens",
            GenerationEnd::ContextFull => "context_full",
            GenerationEnd::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub output_tokens: usize,
    pub stop: GenerationEnd,
    pub timings: SampleTimings,
    pub llama: LlamaCounters,
    /// The image's figures, for a prompt with an image.
    pub image: Option<ImageFigures>,
}

/// What a prompt's image cost: decoding the file, encoding it with the projector, and the
/// positions it takes in the context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageFigures {
    /// Decoding the image file into a bitmap.
    pub decode_ms: f64,
    /// Encoding the bitmap with the projector, by our clock; `None` if mtmd did not say when it
    /// encoded (see `log::image_marks`).
    pub encode_ms: Option<f64>,
    /// The same, as mtmd reports it (whole milliseconds).
    pub mtmd_encode_ms: Option<f64>,
    pub image_tokens: usize,
    pub text_tokens: usize,
}

/// When generation ends, besides the end-of-generation token.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub max_tokens: u32,
    /// Generation ends where the text first contains one of these (left out of the text).
    pub stop: Vec<String>,
}

impl<'m> Session<'m> {
    pub fn new(model: &'m LlamaModel, s: ContextSettings) -> Result<Session<'m>, EngineError> {
        let backend = backend()?;
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(s.n_ctx))
            .with_n_batch(s.n_batch)
            .with_n_ubatch(s.n_batch.min(512))
            .with_n_threads(s.threads as i32)
            .with_n_threads_batch(s.threads as i32)
            // llama.cpp keeps its own t_p_eval/t_eval counters only when asked; we store them as a cross-check.
            .with_no_perf(false);
        let t0 = Instant::now();
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| EngineError::Context(e.to_string()))?;
        let context_ms = ms(t0.elapsed());
        let n_batch = ctx.n_batch() as usize;
        Ok(Session {
            model,
            phase: mobench_telemetry::PhaseTracker::new(),
            ctx,
            batch: LlamaBatch::new(n_batch.max(1), 1),
            n_batch,
            context_ms,
        })
    }

    pub fn n_ctx(&self) -> u32 {
        self.ctx.n_ctx()
    }

    /// Formats a conversation for the model (the prompt ends where the assistant speaks next).
    pub fn format(&self, fmt: &PromptFormat, messages: &[Message]) -> Result<String, EngineError> {
        match fmt {
            PromptFormat::Model(tmpl) => {
                let chat = messages
                    .iter()
                    .filter(|m| !(m.role == "system" && m.content.is_empty()))
                    .map(|m| LlamaChatMessage::new(m.role.to_string(), m.content.clone()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| EngineError::Template(e.to_string()))?;
                self.model
                    .apply_chat_template(tmpl, &chat, true)
                    .map_err(|e| {
                        EngineError::Template(format!("the model's chat template failed: {e}"))
                    })
            }
            PromptFormat::Raw(raw) => {
                let system = messages
                    .iter()
                    .find(|m| m.role == "system")
                    .map_or("", |m| m.content.as_str());
                Ok(raw
                    .replace("{system}", system)
                    .replace("{prompt}", &conversation_text(messages)))
            }
            PromptFormat::Plain => {
                let system = messages
                    .iter()
                    .find(|m| m.role == "system")
                    .map_or("", |m| m.content.as_str());
                let body = conversation_text(messages);
                Ok(if system.is_empty() {
                    body
                } else {
                    format!("{system}\n\n{body}")
                })
            }
        }
    }

    pub fn count_tokens(&self, prompt: &str) -> usize {
        self.model
            .vocab()
            .tokenize(prompt.as_bytes(), true, true)
            .len()
    }

    /// Decodes the batch and waits for it (GPU backends return before the work is done): the
    /// wall time of the decode call.
    fn decode_batch(&mut self) -> Result<std::time::Duration, EngineError> {
        let t0 = Instant::now();
        self.ctx
            .decode(&mut self.batch)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        self.ctx.synchronize();
        Ok(t0.elapsed())
    }

    /// Empties the KV cache and llama.cpp's counters before a prompt.
    fn reset(&mut self) -> Result<(), EngineError> {
        // Removing the cells is enough; clearing the buffers too would memset the whole cache per sample.
        self.ctx
            .clear_kv_cache_seq(None, None, None)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        self.ctx.reset_timings();
        Ok(())
    }

    /// Runs one prompt from an empty KV cache. `on_piece` sees each piece of text as it is
    /// generated and returns false to stop (cancellation); generation also ends where the text
    /// first contains one of `stop` (which is left out of the text).
    pub fn generate(
        &mut self,
        prompt: &str,
        limits: &Limits,
        sampling: &Sampling,
        on_piece: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, EngineError> {
        let t_start = Instant::now();
        self.phase.set_phase(mobench_telemetry::Phase::Prefill);
        let tokens = self.model.vocab().tokenize(prompt.as_bytes(), true, true);
        if tokens.is_empty() {
            return Err(EngineError::Prompt(
                "the prompt is empty after tokenization".into(),
            ));
        }
        self.check_fits(tokens.len(), "tokens")?;
        self.reset()?;
        // Prefill in n_batch chunks; only the last token needs logits.
        let mut prefill = std::time::Duration::ZERO;
        let last = tokens.len() - 1;
        for (chunk_no, chunk) in tokens.chunks(self.n_batch).enumerate() {
            self.batch.clear();
            let base = chunk_no * self.n_batch;
            for (i, t) in chunk.iter().enumerate() {
                let pos = base + i;
                self.batch
                    .add(*t, pos as i32, &[0], pos == last)
                    .map_err(|e| EngineError::Decode(e.to_string()))?;
            }
            prefill += self.decode_batch()?;
        }
        let prompt = Prefilled {
            started: t_start,
            n_pos: tokens.len(),
            tokens: tokens.len(),
            prefill,
            logits_idx: self.batch.n_tokens() - 1,
            image: None,
        };
        self.decode(prompt, limits, sampling, on_piece)
    }

    /// Runs a prompt with one image from an empty KV cache: the image file's bytes are decoded
    /// into a bitmap, the prompt (which holds [`Vision::marker`] where the image goes) is split
    /// into text and image chunks, and mtmd evaluates them (encoding the image with the
    /// projector). TTFT counts from the start, image decoding and encoding included.
    pub fn generate_with_image(
        &mut self,
        vision: &mut Vision,
        prompt: &str,
        image: &[u8],
        limits: &Limits,
        sampling: &Sampling,
        on_piece: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, EngineError> {
        let t_start = Instant::now();
        self.phase.set_phase(mobench_telemetry::Phase::Prefill);
        let bitmap = MtmdBitmap::from_buffer(&vision.ctx, image, false).map_err(|_| {
            EngineError::Image("cannot decode it as an image (JPEG, PNG, BMP, GIF, ...)".into())
        })?;
        let decode_ms = ms(t_start.elapsed());
        let text = MtmdInputText {
            text: prompt.to_string(),
            add_special: true,
            parse_special: true,
        };
        let chunks = vision
            .ctx
            .tokenize(text, &[&bitmap])
            .map_err(|e| EngineError::Image(format!("mtmd could not prepare it: {e}")))?;
        let (mut text_tokens, mut image_tokens) = (0, 0);
        for chunk in (0..chunks.len()).filter_map(|i| chunks.get(i)) {
            match chunk.chunk_type() {
                MtmdInputChunkType::Text => text_tokens += chunk.n_tokens(),
                _ => image_tokens += chunk.n_tokens(),
            }
        }
        let n_pos = usize::try_from(chunks.total_positions()).unwrap_or(usize::MAX);
        self.check_fits(n_pos, "positions (text and image)")?;
        self.reset()?;
        log::image_marks::start();
        let t_eval = Instant::now();
        let evaluated = chunks.eval_chunks(
            &mut vision.ctx,
            &mut self.ctx,
            0,
            0,
            self.n_batch as i32,
            true,
        );
        self.ctx.synchronize();
        let eval = t_eval.elapsed();
        let marks = log::image_marks::take();
        let n_past = evaluated.map_err(|e| {
            EngineError::Decode(format!("evaluating the prompt with its image failed: {e}"))
        })?;
        let encode_ms = (marks.slices > 0).then_some(marks.encode_ms);
        // What is left of the evaluation is the language model's decode of the text and image
        // positions: the prefill, as for a text prompt.
        let prefill = eval.saturating_sub(std::time::Duration::from_secs_f64(
            encode_ms.unwrap_or(0.0) / 1e3,
        ));
        let prompt = Prefilled {
            started: t_start,
            n_pos: usize::try_from(n_past).unwrap_or(n_pos),
            tokens: text_tokens + image_tokens,
            prefill,
            // mtmd decodes with its own batches: the logits are the last output's.
            logits_idx: -1,
            image: Some(ImageFigures {
                decode_ms,
                encode_ms,
                mtmd_encode_ms: marks.mtmd_encode_ms,
                image_tokens,
                text_tokens,
            }),
        };
        self.decode(prompt, limits, sampling, on_piece)
    }

    fn check_fits(&self, n: usize, what: &str) -> Result<(), EngineError> {
        let n_ctx = self.ctx.n_ctx() as usize;
        if n >= n_ctx {
            return Err(EngineError::Prompt(format!(
                "the prompt has {n} {what} and does not fit the context of {n_ctx}"
            )));
        }
        Ok(())
    }

    /// Generates after a prefilled prompt, measuring each token.
    fn decode(
        &mut self,
        prompt: Prefilled,
        limits: &Limits,
        sampling: &Sampling,
        on_piece: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, EngineError> {
        let Prefilled {
            started: t_start,
            mut n_pos,
            tokens: prompt_tokens,
            prefill,
            mut logits_idx,
            image,
        } = prompt;
        let max_tokens = limits.max_tokens as usize;
        let vocab = self.model.vocab();
        let n_ctx = self.ctx.n_ctx() as usize;
        // Greedy is an argmax over the logits, read in place: llama.cpp's sampler would copy the
        // whole vocabulary into a candidate array for every token.
        let mut sampler = match sampling {
            Sampling::Greedy => None,
            Sampling::Temperature {
                temperature,
                top_p,
                seed,
            } => Some(LlamaSampler::chain_simple([
                LlamaSampler::top_p(*top_p, 1),
                LlamaSampler::temp(*temperature),
                LlamaSampler::dist(*seed as u32),
            ])),
        };

        self.phase.set_phase(mobench_telemetry::Phase::Decode);
        let mut generation_decode = std::time::Duration::ZERO;
        let mut stamps: Vec<Instant> = Vec::with_capacity(max_tokens);
        let mut bytes: Vec<u8> = Vec::new();
        let mut text = String::new();
        let mut first_sampled: Option<Instant> = None;
        let mut stop = GenerationEnd::MaxTokens;
        let mut output_tokens = 0usize;
        while output_tokens < max_tokens {
            let token: LlamaToken = match sampler.as_mut() {
                Some(sampler) => sampler.sample(&self.ctx, logits_idx),
                None => argmax(self.ctx.get_logits_ith(logits_idx)),
            };
            let now = Instant::now();
            first_sampled.get_or_insert(now);
            if vocab.is_eog(token) {
                stop = GenerationEnd::EndOfGeneration;
                break;
            }
            stamps.push(now);
            output_tokens += 1;
            // Pieces may split a UTF-8 character; emit only complete text.
            bytes.extend(vocab.token_to_piece(token, false, None));
            let valid = match std::str::from_utf8(&bytes) {
                Ok(s) => s.len(),
                Err(e) => e.valid_up_to(),
            };
            if valid > 0 {
                let before = text.len();
                text.push_str(&String::from_utf8_lossy(&bytes[..valid]));
                bytes.drain(..valid);
                let stopped = find_stop(&text, before, &limits.stop);
                if let Some(at) = stopped {
                    text.truncate(at);
                }
                if text.len() > before && !on_piece(&text[before..]) {
                    stop = GenerationEnd::Cancelled;
                    break;
                }
                if stopped.is_some() {
                    stop = GenerationEnd::StopString;
                    break;
                }
            }
            if output_tokens >= max_tokens {
                break;
            }
            if n_pos + 1 >= n_ctx {
                stop = GenerationEnd::ContextFull;
                break;
            }
            self.batch.clear();
            self.batch
                .add(token, n_pos as i32, &[0], true)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
            n_pos += 1;
            generation_decode += self.decode_batch()?;
            logits_idx = 0;
        }
        if !bytes.is_empty() && stop != GenerationEnd::StopString {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        let t_end = Instant::now();

        let lt = self.ctx.timings();
        let first = first_sampled.unwrap_or(t_end);
        let ttft = ms(first - t_start);
        let prefill_ms = ms(prefill);
        let gaps: Vec<f64> = stamps.windows(2).map(|w| ms(w[1] - w[0])).collect();
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let output_eval_ms = match (stamps.first(), stamps.last()) {
            (Some(a), Some(b)) if stamps.len() >= 2 => Some(ms(*b - *a)),
            _ => None,
        };
        let timings = SampleTimings {
            ttft_ms: Some(ttft),
            prefill_ms: Some(prefill_ms),
            decode_calls_ms: Some(ms(prefill + generation_decode)),
            prefill_tokens_per_s: (prefill_ms > 0.0)
                .then(|| prompt_tokens as f64 / prefill_ms * 1e3),
            decode_tokens_per_s: output_eval_ms
                .filter(|ms| *ms > 0.0)
                .map(|ms| (stamps.len() - 1) as f64 / ms * 1e3),
            itl_p50_ms: percentile(&sorted, 50.0),
            itl_p95_ms: percentile(&sorted, 95.0),
            itl_max_ms: sorted.last().copied(),
            output_eval_ms,
            total_ms: ms(t_end - t_start),
            image_decode_ms: image.map(|i| i.decode_ms),
            image_encode_ms: image.and_then(|i| i.encode_ms),
        };
        Ok(Generation {
            text,
            prompt_tokens,
            output_tokens,
            stop,
            timings,
            llama: LlamaCounters {
                t_p_eval_ms: lt.t_p_eval_ms(),
                t_eval_ms: lt.t_eval_ms(),
                n_p_eval: lt.n_p_eval() as i64,
                n_eval: lt.n_eval() as i64,
            },
            image,
        })
    }
}

/// A prompt in the KV cache, ready for the first token.
struct Prefilled {
    started: Instant,
    /// The next position.
    n_pos: usize,
    /// Prompt tokens, image tokens included.
    tokens: usize,
    /// The language model's decode of the prompt.
    prefill: std::time::Duration,
    /// Where the logits of the last prompt token are.
    logits_idx: i32,
    image: Option<ImageFigures>,
}

/// Where the first of `stop` begins in `text`, looking only at matches that end after `from`
/// (text before it was searched already).
fn find_stop(text: &str, from: usize, stop: &[String]) -> Option<usize> {
    stop.iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let mut start = from.saturating_sub(s.len() - 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            text[start..].find(s.as_str()).map(|i| start + i)
        })
        .min()
}

/// The first token with the highest logit (llama.cpp's greedy sampler picks the same one).
/// Two passes the compiler vectorises: the maximum over 8 lanes, then its first position; a
/// compare-and-remember loop over 32k+ logits per token is several times slower.
fn argmax(logits: &[f32]) -> LlamaToken {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = logits.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            if x > *lane {
                *lane = x;
            }
        }
    }
    let max = lanes
        .iter()
        .chain(rest)
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
    let best = logits.iter().position(|&x| x == max).unwrap_or(0);
    LlamaToken::new(best as i32)
}

/// A conversation as plain text, for raw and plain formats: one user turn is just its text;
/// longer conversations label each turn.
fn conversation_text(messages: &[Message]) -> String {
    let turns: Vec<&Message> = messages.iter().filter(|m| m.role != "system").collect();
    if let [only] = turns.as_slice() {
        return only.content.clone();
    }
    turns
        .iter()
        .map(|m| {
            let who = if m.role == "user" {
                "User"
            } else {
                "Assistant"
            };
            format!("{who}: {}", m.content)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_is_the_first_maximum() {
        let pick = |v: &[f32]| argmax(v).0;
        assert_eq!(pick(&[0.0, 3.0, 1.0]), 1);
        assert_eq!(pick(&[-5.0, -1.0, -1.0, -7.0]), 1, "ties go to the first");
        let mut v = vec![0.5f32; 37];
        v[36] = 2.0; // in the remainder after the 8-lane chunks
        assert_eq!(pick(&v), 36);
        v[9] = 2.0;
        assert_eq!(pick(&v), 9);
        v[3] = f32::NAN;
        assert_eq!(pick(&v), 9, "NaN is never the maximum");
        assert_eq!(pick(&[f32::NEG_INFINITY; 4]), 0);
    }
}
