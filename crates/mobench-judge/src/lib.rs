//! Grading as MobileAIBench's paper did, where no offline rule can: an LLM judge (GPT-4o's
//! exact-match, refusal and privacy prompts; FastChat's MT-Bench single-answer grading) and
//! embeddings (adv_instruction's consistency). The protocols are reproduced verbatim in
//! [`protocol`]; a judge or embedder is anything behind [`Judge`] / [`Embedder`]: a local GGUF
//! model through the engine, or an OpenAI-compatible endpoint ([`http`]).

pub mod http;
pub mod protocol;

/// One chat request to a judge: what it is asked, exactly as the protocol lays it out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatRequest {
    /// The system prompt; empty for none.
    pub system: String,
    pub user: String,
}

impl ChatRequest {
    /// The sha256 of the exact input (system and user text, and the settings that change the
    /// answer): with the grader's id, the key of a cached judgment.
    pub fn input_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [self.system.as_str(), self.user.as_str()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// A judge: answers chat requests at temperature 0 within `max_tokens`.
pub trait Judge {
    /// What identifies this judge in stored figures: backend, model (sha256 or API model name)
    /// and settings, e.g. `local:3f1a…:t0:max512` or `openai:gpt-4o:t0:max512`.
    fn id(&self) -> String;
    fn chat(&mut self, request: &ChatRequest) -> Result<String, GradeError>;

    /// Several requests, answers in their order; a judge that can answer several at once (an
    /// endpoint) overrides this. After an error that stops grading (anything but
    /// [`GradeError::Input`]) nothing more is asked, and the answers end there.
    fn chat_many(&mut self, requests: &[ChatRequest]) -> Vec<Result<String, GradeError>> {
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            let answer = self.chat(r);
            let stop = matches!(answer, Err(ref e) if !matches!(e, GradeError::Input(_)));
            out.push(answer);
            if stop {
                break;
            }
        }
        out
    }
}

/// An embedder: one normalized vector per text, always of the same dimension.
pub trait Embedder {
    fn id(&self) -> String;
    fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, GradeError>;
}

/// Why grading could not go on. One line a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    /// The endpoint or model refused or failed in a way retrying will not mend (401, 404, a
    /// payload that is not what the API documents, a judge file that is not a chat model).
    #[error("{0}")]
    Backend(String),
    /// Still failing after the retries (timeouts, 429, 5xx, dropped connections).
    #[error("{0}")]
    Unavailable(String),
    /// This one request cannot be graded (it does not fit the judge's context): the sample's
    /// figure is missing with this reason, and grading goes on.
    #[error("{0}")]
    Input(String),
    /// The embedder's vectors changed dimension.
    #[error("{0}")]
    Embedding(String),
    #[error("grading was cancelled")]
    Cancelled,
}
