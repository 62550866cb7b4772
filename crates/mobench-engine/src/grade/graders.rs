//! Loading or connecting a judge or an embedder, and the label its figures are named with.

use std::path::Path;

use mobench_judge::{Embedder, Judge};
use mobench_metrics::figure::GRADED_BY;

use super::local::{declared_pooling, LocalEmbedder, LocalJudge};
use super::{remote, GradeOptions, GraderSpec};
use crate::error::EngineError;
use crate::llama::{self, memory, model};
use crate::worker::CancelFlag;

/// A grader's short label in figure names: its model's name and 4 hex digits of its full id
/// (so two graders of the same model with other settings or endpoints stay apart).
fn label(model_name: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    let clean: String = model_name
        .chars()
        .map(|c| {
            if c == GRADED_BY || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let h = hex::encode(Sha256::digest(id.as_bytes()));
    format!("{clean}.{}", &h[..4])
}

/// A judge ready to answer, with its figure label.
pub struct ReadyJudge<'a> {
    pub judge: &'a mut dyn Judge,
    pub label: String,
}

/// Loads or connects the judge and runs `work` with it.
pub(super) fn with_judge(
    spec: &GraderSpec,
    options: &GradeOptions,
    cancel: &CancelFlag,
    work: &mut dyn FnMut(&mut ReadyJudge) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    match spec {
        GraderSpec::Local(path) => {
            let info = model::inspect(path, None)?;
            refuse_if_wont_fit(path)?;
            let loaded = llama::load_model(path, 0)?;
            let mut judge = LocalJudge::new(&loaded.model, &info, options.threads, cancel.clone())?;
            // The file's name (it usually says the quantization too), not the header's.
            let label = label(&file_stem(path), &judge.id());
            work(&mut ReadyJudge {
                judge: &mut judge,
                label,
            })
        }
        GraderSpec::OpenAi(model) => {
            let mut judge = remote::judge(model, options, cancel)?;
            let label = label(model, &judge.id());
            work(&mut ReadyJudge {
                judge: &mut *judge,
                label,
            })
        }
    }
}

/// An embedder ready to embed, with its figure label.
pub struct ReadyEmbedder<'a> {
    pub embedder: &'a mut dyn Embedder,
    pub label: String,
}

pub(super) fn with_embedder(
    spec: &GraderSpec,
    options: &GradeOptions,
    cancel: &CancelFlag,
    work: &mut dyn FnMut(&mut ReadyEmbedder) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    match spec {
        GraderSpec::Local(path) => {
            let info = model::inspect(path, None)?;
            let pooling = declared_pooling(path)?;
            refuse_if_wont_fit(path)?;
            let loaded = llama::load_model(path, 0)?;
            let mut embedder = LocalEmbedder::new(&loaded.model, &info, pooling, options.threads)?;
            let label = label(&file_stem(path), &embedder.id());
            work(&mut ReadyEmbedder {
                embedder: &mut embedder,
                label,
            })
        }
        GraderSpec::OpenAi(model) => {
            let mut embedder = remote::embedder(model, options, cancel)?;
            let label = label(model, &embedder.id());
            work(&mut ReadyEmbedder {
                embedder: &mut *embedder,
                label,
            })
        }
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The memory check every model load gets (a phone kills an app past its limit).
fn refuse_if_wont_fit(path: &Path) -> Result<(), EngineError> {
    let fit = memory::check_model(path, 4096, 512)?;
    match fit.message {
        Some(message) if fit.is_fatal() => Err(EngineError::WontFit {
            path: path.to_path_buf(),
            message,
        }),
        _ => Ok(()),
    }
}
