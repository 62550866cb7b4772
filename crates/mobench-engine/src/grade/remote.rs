//! A judge or embedder behind an OpenAI-compatible endpoint: a cloud API (paper parity) or a
//! local server. The API key comes from the options (the CLI reads `OPENAI_API_KEY`, the app its
//! keychain) and goes nowhere else.

use mobench_judge::http::{OpenAiConfig, OpenAiEmbedder, OpenAiJudge};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mobench_judge::{Embedder, Judge};

use super::{grade_error, GradeOptions, JUDGE_MAX_TOKENS};
use crate::error::EngineError;
use crate::worker::CancelFlag;

/// OpenAI's own API, when no other endpoint is given.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

fn config(model: &str, options: &GradeOptions) -> OpenAiConfig {
    let mut config = OpenAiConfig::new(
        options.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        model,
    );
    config.api_key = options.api_key.clone();
    config.concurrency = options.concurrency.max(1);
    config.max_tokens = JUDGE_MAX_TOKENS;
    config
}

pub(super) fn judge(
    model: &str,
    options: &GradeOptions,
    cancel: &CancelFlag,
) -> Result<Box<dyn Judge>, EngineError> {
    Ok(Box::new(
        OpenAiJudge::new(config(model, options))
            .map_err(grade_error)?
            .with_cancel(watch(cancel)),
    ))
}

pub(super) fn embedder(
    model: &str,
    options: &GradeOptions,
    cancel: &CancelFlag,
) -> Result<Box<dyn Embedder>, EngineError> {
    Ok(Box::new(
        OpenAiEmbedder::new(config(model, options))
            .map_err(grade_error)?
            .with_cancel(watch(cancel)),
    ))
}

/// The client's cancel flag, raised when the run's is (so a request waiting out a backoff or a
/// slow endpoint stops at once); the watcher ends when the client is gone.
fn watch(cancel: &CancelFlag) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let (watched, cancel) = (Arc::downgrade(&flag), cancel.clone());
    std::thread::spawn(move || {
        while let Some(flag) = watched.upgrade() {
            if cancel.is_cancelled() {
                flag.store(true, Ordering::SeqCst);
                return;
            }
            drop(flag);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    flag
}
