//! One sample: its prompt built from the recipe and cut to fit the context, generated (every
//! turn of a conversation), cleaned and graded into the record the store commits.

use std::time::Instant;

use mobench_metrics::{Metric, Outcome};
use mobench_store::{SampleRecord, ScoreRecord};
use mobench_tasks::prompt::{render, RenderOptions};
use mobench_tasks::{Example, TaskDef};

use super::plan::PlanItem;
use crate::error::EngineError;
use crate::events::Event;
use crate::llama::{Generation, GenerationEnd, Limits, Message, PromptFormat, Session, Vision};
use crate::settings::Sampling;
use crate::worker::{CancelFlag, Emitter};

/// Prompt budget: the context minus room to generate (the task's limit, at most half the context).
fn prompt_budget(n_ctx: u32, max_tokens: u32) -> usize {
    (n_ctx - max_tokens.min(n_ctx / 2)) as usize
}

/// A session with its prompt format: turns examples into prompts that fit, and runs them.
pub(crate) struct Generator<'m> {
    pub(crate) session: Session<'m>,
    pub(crate) format: PromptFormat,
    pub(crate) sampling: Sampling,
    /// Fields left out of prompts (`context` with --no-context).
    pub(crate) omit: Vec<String>,
    /// The vision projector, for a run with image datasets.
    pub(crate) vision: Option<Vision>,
}

impl Generator<'_> {
    /// Builds the messages for a sample's turn, cutting the task's long field until the prompt fits.
    fn fitted_prompt(
        &self,
        task: &TaskDef,
        example: &Example,
        history: &[Message],
        turn: usize,
        budget: usize,
    ) -> Result<(String, bool), EngineError> {
        let (session, format, omit) = (&self.session, &self.format, &self.omit);
        let build = |max_chars: Option<usize>| -> Result<String, EngineError> {
            let rendered = render(
                task,
                example,
                &RenderOptions {
                    omit_fields: omit.to_vec(),
                    long_field_max_chars: max_chars,
                },
            );
            let mut messages = vec![Message {
                role: "system",
                content: rendered.system.clone(),
            }];
            messages.extend(history.iter().cloned());
            let user = &rendered.turns[turn].user;
            messages.push(Message {
                role: "user",
                // The image first, the question right after it, as MobileAIBench's harness
                // sends them (llama-cpp-python's llava-1.5 handler joins them with nothing between).
                content: match example.image {
                    Some(_) => format!("{}{user}", Vision::marker()),
                    None => user.clone(),
                },
            });
            session.format(format, &messages)
        };
        let full = build(None)?;
        if example.image.is_some() {
            // An image takes context positions only mtmd can count; the prompt is checked
            // against the context once it is split into text and image.
            return Ok((full, false));
        }
        // A token covers at least one byte, apart from BOS and a space prefix after each special
        // token (a handful in any chat template): short prompts surely fit without being
        // tokenized here, which would double the tokenization cost.
        if full.len() + 32 <= budget || session.count_tokens(&full) <= budget {
            return Ok((full, false));
        }
        let long_len = if task.long_field == "turn" {
            example.turns.last().map_or(0, |t| t.chars().count())
        } else {
            example
                .fields
                .get(&task.long_field)
                .map_or(0, |v| v.chars().count())
        };
        // Largest cut of the long field that fits: binary search on its length in characters.
        let (mut lo, mut hi) = (0usize, long_len);
        let mut best: Option<String> = None;
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let text = build(Some(mid))?;
            if session.count_tokens(&text) <= budget {
                lo = mid;
                best = Some(text);
            } else {
                hi = mid - 1;
            }
        }
        match best {
            Some(text) => Ok((text, true)),
            None => {
                let empty = build(Some(0))?;
                if session.count_tokens(&empty) <= budget {
                    Ok((empty, true))
                } else {
                    Err(EngineError::Prompt(format!(
                        "does not fit the context ({budget} prompt tokens) even with its `{}` field removed",
                        task.long_field
                    )))
                }
            }
        }
    }

    /// Runs one example (all its turns). Ok(None) = cancelled mid-sample (nothing to store).
    pub(crate) fn run_sample(
        &mut self,
        p: &PlanItem,
        example: &Example,
        metrics: &[Metric],
        max_tokens: u32,
        cancel: &CancelFlag,
        tx: &Emitter,
    ) -> Result<Option<SampleRecord>, EngineError> {
        let t0 = Instant::now();
        let budget = prompt_budget(self.session.n_ctx(), max_tokens);
        let n_turns = example.turns.len().max(1);
        let mut history: Vec<Message> = Vec::new();
        let mut turn_log = Vec::new();
        let mut last = None;
        let mut truncated = false;
        let mut prompt = String::new();
        let mut error = None;
        let mut mtmd_encode_ms = None;
        for turn in 0..n_turns {
            let fitted = self.fitted_prompt(&p.task, example, &history, turn, budget);
            let (text, cut) = match fitted {
                Ok(v) => v,
                Err(EngineError::Prompt(msg)) => {
                    error = Some(msg);
                    break;
                }
                Err(e) => return Err(e),
            };
            truncated |= cut;
            prompt = text;
            tx.send(Event::SampleStarted {
                dataset: p.def.name.clone(),
                row: example.row,
                prompt: prompt.clone(),
                image: example.image.as_ref().map(|p| p.display().to_string()),
            });
            let mut on_piece = |piece: &str| {
                tx.token(piece);
                !cancel.is_cancelled()
            };
            let limits = Limits {
                max_tokens,
                stop: p.def.stop.clone(),
            };
            let generated = match &example.image {
                None => self
                    .session
                    .generate(&prompt, &limits, &self.sampling, &mut on_piece),
                Some(path) => generate_with_image(
                    &mut self.session,
                    self.vision.as_mut(),
                    path,
                    &prompt,
                    &limits,
                    &self.sampling,
                    &mut on_piece,
                ),
            };
            let gen = match generated {
                Ok(g) => g,
                Err(EngineError::Prompt(msg)) => {
                    error = Some(msg);
                    break;
                }
                Err(e @ EngineError::Image(_)) => {
                    error = Some(e.to_string());
                    break;
                }
                Err(e) => return Err(e),
            };
            if gen.stop == GenerationEnd::Cancelled {
                return Ok(None);
            }
            if turn + 1 < n_turns {
                // Later turns see this one as history (uncut: only the last turn is ever cut).
                let user = render(
                    &p.task,
                    example,
                    &RenderOptions {
                        omit_fields: self.omit.clone(),
                        long_field_max_chars: None,
                    },
                )
                .turns[turn]
                    .user
                    .clone();
                history.push(Message {
                    role: "user",
                    content: user,
                });
                history.push(Message {
                    role: "assistant",
                    content: gen.text.clone(),
                });
            }
            turn_log.push(serde_json::json!({
                "output": gen.text,
                "prompt_tokens": gen.prompt_tokens,
                "output_tokens": gen.output_tokens,
                "stop_reason": gen.stop.as_str(),
            }));
            if let Some(image) = &gen.image {
                // mtmd's own encode time, the cross-check of ours.
                mtmd_encode_ms = image.mtmd_encode_ms;
            }
            last = Some(gen);
        }
        let raw = last.as_ref().map(|g| g.text.clone()).unwrap_or_default();
        let cleaned = p.task.cleanup.apply(&raw);
        let scores = metrics
            .iter()
            .map(|m| score(*m, &cleaned, &example.reference, error.as_deref()))
            .collect();
        let (timings, llama, prompt_tokens, output_tokens, stop) = match &last {
            Some(g) => (
                g.timings,
                Some(g.llama),
                g.prompt_tokens,
                g.output_tokens,
                g.stop.as_str(),
            ),
            None => (
                mobench_store::SampleTimings {
                    total_ms: t0.elapsed().as_secs_f64() * 1e3,
                    ..Default::default()
                },
                None,
                0,
                0,
                "error",
            ),
        };
        let image = last.as_ref().and_then(|g| g.image);
        let extra = match (turn_log.len() > 1, mtmd_encode_ms) {
            (true, _) => Some(serde_json::json!({ "turns": turn_log })),
            (false, Some(ms)) => Some(serde_json::json!({ "mtmd_image_encode_ms": ms })),
            (false, None) => None,
        };
        Ok(Some(SampleRecord {
            dataset_id: p.dataset_id,
            row_index: example.row,
            example_id: example.id.clone(),
            prompt,
            reference: example.reference.clone(),
            prediction_raw: raw,
            prediction: cleaned,
            extra_json: extra.map(|e| e.to_string()),
            error,
            truncated,
            stop_reason: stop.to_string(),
            prompt_tokens,
            output_tokens,
            image_path: example.image.as_ref().map(|p| p.display().to_string()),
            image_tokens: image.map(|i| i.image_tokens),
            prompt_text_tokens: image.map(|i| i.text_tokens),
            timings,
            llama,
            scores,
        }))
    }
}

/// Reads a sample's image and runs its prompt with it. A missing, empty or unreadable image fails
/// this sample (its reason stored), not the run.
fn generate_with_image(
    session: &mut Session,
    vision: Option<&mut Vision>,
    path: &std::path::Path,
    prompt: &str,
    limits: &Limits,
    sampling: &Sampling,
    on_piece: &mut dyn FnMut(&str) -> bool,
) -> Result<Generation, EngineError> {
    let vision = vision.ok_or_else(|| {
        EngineError::Settings(
            "this dataset shows the model images: load a vision projector with the model (--mmproj)"
                .into(),
        )
    })?;
    let image_error = |why: String| EngineError::Image(format!("{}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => image_error("not found".into()),
        _ => image_error(format!("cannot read it: {e}")),
    })?;
    if bytes.is_empty() {
        return Err(image_error("the file is empty".into()));
    }
    session
        .generate_with_image(vision, prompt, &bytes, limits, sampling, on_piece)
        .map_err(|e| match e {
            EngineError::Image(why) => image_error(why),
            other => other,
        })
}

fn score(metric: Metric, prediction: &str, reference: &str, error: Option<&str>) -> ScoreRecord {
    let outcome = match error {
        Some(e) => Outcome::Missing {
            reason: format!("sample failed: {e}"),
        },
        None => metric.score(prediction, reference),
    };
    match outcome {
        Outcome::Value {
            value,
            extracted,
            flag,
        } => ScoreRecord {
            metric: metric.name().to_string(),
            value: Some(value),
            extracted,
            flag,
            missing_reason: None,
            grader: mobench_metrics::GRADER.to_string(),
        },
        Outcome::Missing { reason } => ScoreRecord {
            metric: metric.name().to_string(),
            value: None,
            extracted: None,
            flag: None,
            missing_reason: Some(reason),
            grader: mobench_metrics::GRADER.to_string(),
        },
    }
}
