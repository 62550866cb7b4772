//! llama.cpp, measured: the backend (one per process) and model loading, a context and its decode
//! loop, the devices ggml sees and where a model's layers go, its GGUF header, the memory it will
//! need, and model files as the library knows them.

pub mod device;
pub mod gguf;
mod load;
pub(crate) mod log;
pub mod memory;
pub mod model;
pub mod offload;
pub mod projector;
mod session;
mod vision;

pub use device::{gpu_devices, llama_build_info, system_info, unused_cpu_features};
pub use load::{backend, load_model, model_desc, LoadedModel};
pub use session::{
    ContextSettings, Generation, GenerationEnd, ImageFigures, Limits, Message, PromptFormat,
    Session,
};
pub use vision::{projector_record, Vision};

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
