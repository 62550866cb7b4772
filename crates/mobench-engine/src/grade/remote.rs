//! A judge or embedder behind an OpenAI-compatible endpoint: a cloud API (paper parity) or a
//! local server. The API key comes from the options (the CLI reads `OPENAI_API_KEY`, the app its
//! keychain) and goes nowhere else.

use mobench_judge::http::{OpenAiConfig, OpenAiEmbedder, OpenAiJudge};
use mobench_judge::{Embedder, Judge};

use super::{grade_error, GradeOptions, JUDGE_MAX_TOKENS};
use crate::error::EngineError;

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

pub(super) fn judge(model: &str, options: &GradeOptions) -> Result<Box<dyn Judge>, EngineError> {
    Ok(Box::new(
        OpenAiJudge::new(config(model, options)).map_err(grade_error)?,
    ))
}

pub(super) fn embedder(
    model: &str,
    options: &GradeOptions,
) -> Result<Box<dyn Embedder>, EngineError> {
    Ok(Box::new(
        OpenAiEmbedder::new(config(model, options)).map_err(grade_error)?,
    ))
}
