//! Quantization on the device: llama.cpp's quantizer with the checks around it (`quantize`), the
//! types this build knows (`types`), and the probes that tell what a level lost without dataset
//! labels, as llama.cpp's `llama-perplexity` defines them (`probe`: perplexity and KL divergence
//! from the base model).

pub mod probe;
pub mod quantize;
pub mod types;

pub use quantize::{plan, quantize, QuantPlan, QuantProgress, Quantized};
pub use types::QuantType;
