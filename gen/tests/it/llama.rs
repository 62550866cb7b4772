//! The generated files run in the real llama.cpp.
//!
//! llama.cpp allows one backend per process, so every test here (and in `projector`) shares one.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, LogOptions};
use mobench_gen::{token_ids, write_gguf, DType, ModelSpec};

pub(crate) fn backend() -> &'static LlamaBackend {
    static BACKEND: OnceLock<LlamaBackend> = OnceLock::new();
    BACKEND.get_or_init(|| {
        // llama.cpp would otherwise print its load log straight to stderr.
        send_logs_to_tracing(LogOptions::default().with_logs_enabled(false));
        LlamaBackend::init().expect("llama backend")
    })
}

fn load(spec: &ModelSpec, dir: &Path, file: &str) -> (LlamaModel, Duration) {
    let path = dir.join(file);
    write_gguf(spec, &path).expect("write model");
    let started = Instant::now();
    let model = LlamaModel::load_from_file(backend(), &path, &LlamaModelParams::default())
        .expect("llama.cpp loads the generated model");
    (model, started.elapsed())
}

fn context(model: &LlamaModel, n_ctx: u32) -> LlamaContext<'_> {
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(n_ctx)
        .with_n_threads(2)
        .with_n_threads_batch(2);
    model.new_context(backend(), params).expect("context")
}

struct Generation {
    tokens: Vec<LlamaToken>,
    text: String,
    prefill: Duration,
    decode: Duration,
}

/// Prefills `prompt` in one batch, then greedily generates up to `max_tokens` tokens.
fn generate(model: &LlamaModel, prompt: &[LlamaToken], max_tokens: usize) -> Generation {
    let mut ctx = context(model, 1024);
    let vocab = model.vocab();
    let mut batch = LlamaBatch::new(1024, 1);
    let last = prompt.len() - 1;
    for (pos, &token) in prompt.iter().enumerate() {
        batch.add(token, pos as i32, &[0], pos == last).unwrap();
    }
    let started = Instant::now();
    ctx.decode(&mut batch).expect("prefill");
    let prefill = started.elapsed();

    let mut sampler = LlamaSampler::greedy();
    let mut tokens = Vec::new();
    let mut pos = prompt.len() as i32;
    let started = Instant::now();
    while tokens.len() < max_tokens {
        let token = sampler.sample(&ctx, batch.n_tokens() - 1);
        if vocab.is_eog(token) {
            break;
        }
        tokens.push(token);
        batch.clear();
        batch.add(token, pos, &[0], true).unwrap();
        pos += 1;
        ctx.decode(&mut batch).expect("decode");
    }
    let decode = started.elapsed();
    let text = String::from_utf8(vocab.detokenize(&tokens, false, false))
        .expect("generated text is UTF-8");
    Generation {
        tokens,
        text,
        prefill,
        decode,
    }
}

#[test]
fn tiny_model_loads_tokenizes_chats_and_generates() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let (model, load_time) = load(&spec, dir.path(), "tiny.gguf");

    assert_eq!(model.n_params(), spec.n_params());
    assert_eq!(model.n_vocab() as u64, spec.n_vocab());
    assert_eq!(model.n_ctx_train(), spec.n_ctx_train);
    assert_eq!(model.n_layer(), spec.n_layer);
    assert_eq!(model.n_embd() as u32, spec.n_embd);

    let vocab = model.vocab();
    assert_eq!(vocab.bos(), LlamaToken(token_ids::BOS as i32));
    assert_eq!(vocab.eos(), LlamaToken(token_ids::EOS as i32));
    assert_eq!(vocab.eot(), LlamaToken(token_ids::IM_END as i32));
    assert!(vocab.is_eog(LlamaToken(token_ids::EOS as i32)));
    assert!(vocab.is_eog(LlamaToken(token_ids::IM_END as i32)));
    assert!(!vocab.is_eog(LlamaToken(token_ids::IM_START as i32)));

    // One token per word: BOS ▁Hello ▁world , ▁this ▁is ▁a ▁test
    let text = "Hello world, this is a test";
    let prompt = vocab.tokenize(text.as_bytes(), true, false);
    assert_eq!(prompt.len(), 8, "{prompt:?}");
    assert_eq!(prompt[0], vocab.bos());
    let round_trip = String::from_utf8(vocab.detokenize(&prompt, true, false)).unwrap();
    assert_eq!(round_trip.trim_start(), text);
    // Text outside the vocabulary falls back to bytes and still round-trips.
    let unusual = "naïve 数据\n\ttabs";
    let tokens = vocab.tokenize(unusual.as_bytes(), false, false);
    let back = String::from_utf8(vocab.detokenize(&tokens, false, false)).unwrap();
    assert_eq!(back.trim_start(), unusual);

    let template = model
        .chat_template(None)
        .expect("tiny model has a chat template");
    assert!(template.to_str().unwrap().contains("<|im_start|>"));
    let chat = [
        LlamaChatMessage::new("system".into(), "Be brief.".into()).unwrap(),
        LlamaChatMessage::new("user".into(), "Hi".into()).unwrap(),
    ];
    let rendered = model.apply_chat_template(&template, &chat, true).unwrap();
    assert_eq!(
        rendered,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
    let chat_tokens = vocab.tokenize(rendered.as_bytes(), true, true);
    assert!(chat_tokens.contains(&LlamaToken(token_ids::IM_START as i32)));
    assert!(chat_tokens.contains(&LlamaToken(token_ids::IM_END as i32)));

    let plain = generate(&model, &prompt, 16);
    assert_eq!(plain.tokens.len(), 16, "greedy decoding runs to max tokens");
    assert!(!plain.text.trim().is_empty());
    let chatted = generate(&model, &chat_tokens, 16);
    assert_eq!(chatted.tokens.len(), 16);

    // A ~500-token prompt, as the engine's benchmarks feed it.
    let long_text =
        "The quick brown fox jumps over the lazy dog, and then it runs home. ".repeat(35);
    let long_prompt = vocab.tokenize(long_text.as_bytes(), true, false);
    assert!(
        (450..1000).contains(&long_prompt.len()),
        "{}",
        long_prompt.len()
    );
    let long = generate(&model, &long_prompt, 32);
    assert_eq!(long.tokens.len(), 32);

    eprintln!(
        "tiny: load {load_time:?}; {} prompt tokens prefilled in {:?}, 32 tokens decoded in {:?}; sample output {:?}",
        long_prompt.len(),
        long.prefill,
        long.decode,
        plain.text
    );
}

#[test]
fn f16_model_without_template_loads_and_generates() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec {
        dtype: DType::F16,
        chat_template: None,
        seed: 1234,
        ..ModelSpec::tiny()
    };
    let (model, _) = load(&spec, dir.path(), "plain-f16.gguf");

    assert_eq!(model.n_params(), spec.n_params());
    assert!(
        model.chat_template(None).is_err(),
        "no template was written"
    );
    let vocab = model.vocab();
    let prompt = vocab.tokenize(b"What is the capital of France?", true, false);
    let generation = generate(&model, &prompt, 16);
    assert_eq!(generation.tokens.len(), 16);
}

/// Writes and runs the ~200 MB benchmark model: `cargo test -p mobench-gen -- --ignored`.
#[test]
#[ignore = "writes a 200 MB model"]
fn bench_100m_model_loads_and_generates() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::bench_100m();
    let started = Instant::now();
    let (model, load_time) = load(&spec, dir.path(), "bench.gguf");
    let write_and_load = started.elapsed();
    assert_eq!(model.n_params(), spec.n_params());
    assert_eq!(model.n_vocab(), 32_000);

    let vocab = model.vocab();
    let text = "The quick brown fox jumps over the lazy dog, and then it runs home. ".repeat(35);
    let prompt = vocab.tokenize(text.as_bytes(), true, false);
    let generation = generate(&model, &prompt, 16);
    assert_eq!(generation.tokens.len(), 16);
    eprintln!(
        "100m: {} params, write+load {write_and_load:?} (load {load_time:?}); {} prompt tokens prefilled in {:?}, 16 tokens decoded in {:?}",
        spec.n_params(),
        prompt.len(),
        generation.prefill,
        generation.decode
    );
}
