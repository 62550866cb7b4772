//! A vision projector (mmproj GGUF) loaded beside its model through llama.cpp's mtmd, checked in
//! Rust first: mtmd aborts the process on many malformed files instead of returning an error.

use std::ffi::CString;
use std::path::Path;
use std::time::Instant;

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::mtmd::{mtmd_default_marker, MtmdContext, MtmdContextParams};
use mobench_store::{ProjectorRecord, Store};

use super::model::{sha256_cached, ModelInfo};
use super::projector::{inspect_projector, ProjectorInfo};
use super::{log, ms};
use crate::error::EngineError;

/// A projector checked against the model it is meant for (as far as the files tell, before
/// either is loaded) and identified by its sha256, as a run records it.
pub fn projector_record(
    path: &Path,
    model: &ModelInfo,
    store: Option<&Store>,
) -> Result<ProjectorRecord, EngineError> {
    let info = inspect_projector(path)?;
    if model.n_embd > 0 {
        info.check_fits(&model.path, model.n_embd)?;
    }
    let meta = std::fs::metadata(path).map_err(|e| EngineError::Projector {
        path: path.to_path_buf(),
        message: format!("cannot be read: {e}"),
    })?;
    Ok(ProjectorRecord {
        path: std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
        sha256: sha256_cached(path, &meta, store)?,
        size_bytes: meta.len(),
        projector_type: info.projector_type.clone(),
        image_size: info.image_size,
        patch_size: info.patch_size,
    })
}

pub struct Vision {
    pub(super) ctx: MtmdContext,
    pub info: ProjectorInfo,
    /// Wall time of mtmd's load of the projector.
    pub load_ms: f64,
}

impl Vision {
    /// Checks the projector against the model it is meant for, then loads it with mtmd.
    pub fn load(
        path: &Path,
        model: &LlamaModel,
        model_path: &Path,
        threads: u32,
        use_gpu: bool,
    ) -> Result<Vision, EngineError> {
        let info = inspect_projector(path)?;
        info.check_fits(model_path, model.n_embd() as u64)?;
        let fail = |message: String| EngineError::Projector {
            path: path.to_path_buf(),
            message,
        };
        let path_text = path
            .to_str()
            .ok_or_else(|| fail("the path is not valid UTF-8".into()))?;
        let params = MtmdContextParams {
            use_gpu,
            print_timings: false,
            n_threads: threads as i32,
            media_marker: CString::new(mtmd_default_marker()).expect("the marker has no NUL"),
            image_min_tokens: -1,
            image_max_tokens: -1,
        };
        log::clear_error();
        let t0 = Instant::now();
        let ctx = MtmdContext::init_from_file(path_text, model, &params).map_err(|e| {
            let why = log::first_error().unwrap_or_else(|| e.to_string());
            fail(format!("llama.cpp's mtmd could not load it: {why}"))
        })?;
        let load_ms = ms(t0.elapsed());
        if !ctx.support_vision() {
            return Err(fail("it has no vision encoder".into()));
        }
        Ok(Vision { ctx, info, load_ms })
    }

    /// Where the image goes in a prompt's text.
    pub fn marker() -> &'static str {
        mtmd_default_marker()
    }
}
