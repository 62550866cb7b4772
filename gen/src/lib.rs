//! Writes real GGUF models with random weights.
//!
//! Tests and the product's built-in default need a small model that the real llama.cpp loads
//! and runs, and benchmarks need one of realistic size; neither may be downloaded. The files
//! use the `llama` architecture, a SentencePiece-style vocabulary of English pieces (so prompts
//! tokenize into about one token per word) and, optionally, a ChatML chat template.
//!
//! A model can have a vision projector beside it ([`ProjectorSpec`], [`write_projector`]): a
//! small CLIP encoder with llava's `mlp` projector that llama.cpp's mtmd loads, so image tasks
//! run end to end without a downloaded vision model.
//!
//! ```no_run
//! use mobench_gen::{write_gguf, ModelSpec};
//! let spec = ModelSpec::tiny();
//! write_gguf(&spec, std::path::Path::new("tiny.gguf"))?;
//! # Ok::<(), mobench_gen::GenError>(())
//! ```

mod error;
mod gguf;
mod model;
mod projector;
mod spec;
mod vocab;
mod weights;

pub use error::GenError;
pub use model::write_gguf;
pub use projector::{write_projector, ProjectorSpec};
pub use spec::{DType, ModelSpec, CHATML_TEMPLATE};

/// Token ids every generated model shares.
pub mod token_ids {
    use crate::vocab;

    /// `<unk>`
    pub const UNK: u32 = vocab::UNK_ID;
    /// `<s>`, added at the start of every prompt.
    pub const BOS: u32 = vocab::BOS_ID;
    /// `</s>`
    pub const EOS: u32 = vocab::EOS_ID;
    /// `<|im_start|>`
    pub const IM_START: u32 = vocab::IM_START_ID;
    /// `<|im_end|>`, also the end-of-turn token.
    pub const IM_END: u32 = vocab::IM_END_ID;
}
