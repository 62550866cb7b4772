//! A local judge or embedder: a GGUF model run by our own llama.cpp, no network and no key.

use std::num::NonZeroU32;
use std::path::Path;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use mobench_judge::{ChatRequest, Embedder, GradeError, Judge};

use crate::error::EngineError;
use crate::llama::model::ModelInfo;
use crate::llama::{backend, ContextSettings, Limits, Message, PromptFormat, Session};
use crate::settings::Sampling;
use crate::worker::CancelFlag;

/// The judge's generation limit: MobileAIBench's judgments are a word or a short paragraph,
/// FastChat's MT-Bench judgments a few paragraphs ending in `[[rating]]`.
pub const JUDGE_MAX_TOKENS: u32 = 1024;

/// The id a local grader is known by: the model's sha256 and the settings that change its answer.
fn local_id(kind: &str, info: &ModelInfo, extra: &str) -> String {
    let name = info
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        "{kind}:{name}:{}{extra}",
        &info.sha256[..info.sha256.len().min(16)]
    )
}

/// A GGUF chat model answering judge prompts greedily (temperature 0) through its own chat
/// template.
pub struct LocalJudge<'m> {
    session: Session<'m>,
    template: PromptFormat,
    id: String,
    cancel: CancelFlag,
}

impl<'m> LocalJudge<'m> {
    pub fn new(
        model: &'m LlamaModel,
        info: &ModelInfo,
        threads: u32,
        cancel: CancelFlag,
    ) -> Result<LocalJudge<'m>, EngineError> {
        let template = model
            .chat_template(None)
            .map_err(|_| EngineError::ModelFile {
                path: info.path.clone(),
                message: "has no chat template: a judge must be a chat (instruct) model".into(),
            })?;
        let n_ctx = model.n_ctx_train().clamp(512, 8192);
        let session = Session::new(
            model,
            ContextSettings {
                n_ctx,
                n_batch: 512,
                threads,
            },
        )?;
        Ok(LocalJudge {
            session,
            template: PromptFormat::Model(template),
            id: local_id("local", info, &format!(":t0:max{JUDGE_MAX_TOKENS}")),
            cancel,
        })
    }
}

impl Judge for LocalJudge<'_> {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn chat(&mut self, request: &ChatRequest) -> Result<String, GradeError> {
        let mut messages = Vec::new();
        if !request.system.is_empty() {
            messages.push(Message {
                role: "system",
                content: request.system.clone(),
            });
        }
        messages.push(Message {
            role: "user",
            content: request.user.clone(),
        });
        let prompt = self
            .session
            .format(&self.template, &messages)
            .map_err(|e| GradeError::Backend(e.to_string()))?;
        let cancel = self.cancel.clone();
        let generated = self
            .session
            .generate(
                &prompt,
                &Limits {
                    max_tokens: JUDGE_MAX_TOKENS,
                    stop: Vec::new(),
                },
                &Sampling::Greedy,
                &mut |_| !cancel.is_cancelled(),
            )
            .map_err(|e| match e {
                EngineError::Prompt(why) => GradeError::Input(why),
                other => GradeError::Backend(other.to_string()),
            })?;
        if self.cancel.is_cancelled() {
            return Err(GradeError::Cancelled);
        }
        Ok(generated.text)
    }
}

/// A GGUF embedding model: llama.cpp pools each text's token vectors as the model declares
/// (`{arch}.pooling_type`); the vector is L2-normalized.
pub struct LocalEmbedder<'m> {
    ctx: LlamaContext<'m>,
    model: &'m LlamaModel,
    batch: LlamaBatch<'static>,
    id: String,
}

impl<'m> LocalEmbedder<'m> {
    pub fn new(
        model: &'m LlamaModel,
        info: &ModelInfo,
        pooling: Option<i64>,
        threads: u32,
    ) -> Result<LocalEmbedder<'m>, EngineError> {
        match pooling {
            Some(p) if p > 0 => {}
            _ => {
                return Err(EngineError::ModelFile {
                    path: info.path.clone(),
                    message: "declares no pooling (`<arch>.pooling_type`): not an embedding model"
                        .into(),
                })
            }
        }
        let n_ctx = model.n_ctx_train().clamp(512, 8192);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_ctx)
            .with_n_ubatch(n_ctx)
            .with_n_threads(threads as i32)
            .with_n_threads_batch(threads as i32)
            .with_embeddings(true);
        let ctx = model
            .new_context(backend()?, params)
            .map_err(|e| EngineError::Context(e.to_string()))?;
        Ok(LocalEmbedder {
            ctx,
            model,
            batch: LlamaBatch::new(n_ctx as usize, 1),
            id: local_id("local-embed", info, ""),
        })
    }

    fn embed_one(&mut self, text: &str) -> Result<Vec<f32>, GradeError> {
        let mut tokens = self.model.vocab().tokenize(text.as_bytes(), true, false);
        // A text longer than the context is cut, as embedding APIs truncate their input.
        tokens.truncate(self.ctx.n_ctx() as usize);
        self.ctx
            .clear_kv_cache_seq(None, None, None)
            .map_err(|e| GradeError::Backend(e.to_string()))?;
        self.batch.clear();
        for (i, t) in tokens.iter().enumerate() {
            self.batch
                .add(*t, i as i32, &[0], true)
                .map_err(|e| GradeError::Backend(e.to_string()))?;
        }
        self.ctx
            .decode(&mut self.batch)
            .map_err(|e| GradeError::Backend(format!("llama.cpp could not embed: {e}")))?;
        let v = self
            .ctx
            .embeddings_seq_ith(0)
            .map_err(|_| GradeError::Backend("llama.cpp returned no pooled embedding".into()))?;
        Ok(normalized(v))
    }
}

/// `v` scaled to unit length (a zero vector stays zero).
pub(crate) fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|x| f64::from(*x) * f64::from(*x))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return v.to_vec();
    }
    v.iter().map(|x| (f64::from(*x) / norm) as f32).collect()
}

impl Embedder for LocalEmbedder<'_> {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, GradeError> {
        texts.iter().map(|t| self.embed_one(t)).collect()
    }
}

/// The `{arch}.pooling_type` a GGUF declares, read from its header before it is loaded.
pub fn declared_pooling(path: &Path) -> Result<Option<i64>, EngineError> {
    let (header, _) = crate::llama::model::checked_header(path)?;
    let arch = header.str("general.architecture").unwrap_or("").to_string();
    Ok(header.int(&format!("{arch}.pooling_type")))
}
