//! llama.cpp's backend (one per process, its log sent to `tracing`) and model loading, measured.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;

use super::device::gpu_devices;
use super::offload::{self, Offload};
use super::{log, ms};
use crate::error::EngineError;

static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

/// The process's llama.cpp backend, initialised on first use with its log sent to `tracing`.
pub fn backend() -> Result<&'static LlamaBackend, EngineError> {
    BACKEND
        .get_or_init(|| {
            log::install();
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| EngineError::Backend(e.clone()))
}

/// llama.cpp's own description of a loaded model (`llama_model_desc`, e.g. `llama ?B Q4_0`),
/// which llama-bench reports as `model_type`; llama-cpp-2 does not wrap it.
pub fn model_desc(model: &LlamaModel) -> String {
    // SAFETY: `LlamaModel` is `#[repr(transparent)]` over `Ptr<llama_model>`, itself
    // `#[repr(transparent)]` over `NonNull<llama_model>` (llama-cpp-2 =0.1.160, pinned exactly),
    // so its bytes are the model pointer, valid while `model` is borrowed.
    let raw: *const llama_cpp_sys_2::llama_model =
        unsafe { *(model as *const LlamaModel).cast::<*const llama_cpp_sys_2::llama_model>() };
    let mut buf = [0u8; 256];
    let n = unsafe { llama_cpp_sys_2::llama_model_desc(raw, buf.as_mut_ptr().cast(), buf.len()) };
    let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}
pub struct LoadedModel {
    pub model: LlamaModel,
    pub load_ms: f64,
    /// Where the layers went.
    pub offload: Offload,
}

pub fn load_model(path: &Path, gpu_layers: u32) -> Result<LoadedModel, EngineError> {
    let backend = backend()?;
    let params = LlamaModelParams::default().with_n_gpu_layers(gpu_layers);
    log::clear_error();
    let t0 = Instant::now();
    let model = LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
        let why = log::first_error().unwrap_or_else(|| e.to_string());
        EngineError::ModelLoad {
            path: path.to_path_buf(),
            message: format!("llama.cpp could not load it: {why}"),
        }
    })?;
    let load_ms = ms(t0.elapsed());
    let offload = offload::resolve(gpu_layers, model.n_layer(), &gpu_devices());
    if let Some(why) = &offload.fallback {
        tracing::warn!(target: "mobench", "{why}");
    }
    Ok(LoadedModel {
        model,
        load_ms,
        offload,
    })
}
