//! The embedder's pass: adv_instruction's answers embedded and scored against their groups'
//! originals.

use mobench_judge::protocol::{self, Protocol};
use mobench_judge::{ChatRequest, GradeError};
use mobench_metrics::figure::GRADED_BY;
use mobench_metrics::Metric;
use mobench_store::{ScoreRecord, Store};

use super::chats::missing_score;
use super::graders::ReadyEmbedder;
use super::{grade_error, GradeReport, OnProgress, RunToGrade};
use crate::error::EngineError;
use crate::worker::CancelFlag;

/// The embedder's pass over one run: adv_instruction's answers embedded (cached by embedder and
/// text), grouped as MobileAIBench groups them, each variant scored against its group's original.
pub(super) fn grade_embeddings(
    store: &mut Store,
    run: &RunToGrade,
    ready: &mut ReadyEmbedder,
    cancel: &CancelFlag,
    report: &mut GradeReport,
    progress: &mut OnProgress,
) -> Result<(), EngineError> {
    let grader = format!("embed:{}", ready.embedder.id());
    let figure = format!("{}{GRADED_BY}{}", Metric::Consistency.name(), ready.label);
    for d in run
        .datasets
        .iter()
        .filter(|d| d.protocol == Protocol::AdvInstruction)
    {
        let hash = |text: &str| {
            ChatRequest {
                system: String::new(),
                user: text.to_string(),
            }
            .input_hash()
        };
        let total = d.samples.len();
        let mut vectors: Vec<Option<Vec<f32>>> = Vec::with_capacity(total);
        let mut dim: Option<usize> = None;
        for (i, s) in d.samples.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(grade_error(GradeError::Cancelled));
            }
            if s.error.is_some() {
                vectors.push(None);
                continue;
            }
            let key = hash(&s.prediction_raw);
            let v = match store.embedding(&grader, &key)? {
                Some(v) => {
                    report.cached += 1;
                    v
                }
                None => {
                    let v = ready
                        .embedder
                        .embed(std::slice::from_ref(&s.prediction_raw))
                        .map_err(grade_error)?
                        .pop()
                        .ok_or_else(|| {
                            EngineError::Grader("the embedder returned no vector".into())
                        })?;
                    store.put_embedding(&grader, &key, &v)?;
                    report.asked += 1;
                    v
                }
            };
            match dim {
                Some(n) if n != v.len() => {
                    return Err(EngineError::Grader(format!(
                        "the embedder's vectors changed dimension ({n}, then {})",
                        v.len()
                    )))
                }
                _ => dim = Some(v.len()),
            }
            vectors.push(Some(v));
            progress(i + 1, total);
        }
        let references: Vec<&str> = d.samples.iter().map(|s| s.reference.as_str()).collect();
        let grouping = protocol::group_adv_rows(&references)
            .map_err(|e| EngineError::Grader(format!("{}: {e}", d.def.name)))?;
        let mut scores: Vec<Option<ScoreRecord>> = vec![None; total];
        for group in &grouping.groups {
            let Some(original) = &vectors[group.original] else {
                for &v in &group.variants {
                    scores[v] = Some(missing_score(
                        &figure,
                        &grader,
                        "its group's original prompt has no answer to compare with".into(),
                    ));
                }
                continue;
            };
            for &v in &group.variants {
                let score = match &vectors[v] {
                    None => missing_score(&figure, &grader, "the sample failed".into()),
                    Some(variant) => match protocol::cosine_distance(original, variant) {
                        Ok(distance) => {
                            report.graded += 1;
                            ScoreRecord {
                                metric: figure.clone(),
                                value: Some(1.0 - distance),
                                extracted: None,
                                flag: None,
                                missing_reason: None,
                                grader: grader.clone(),
                            }
                        }
                        Err(e) => missing_score(&figure, &grader, e.to_string()),
                    },
                };
                scores[v] = Some(score);
            }
        }
        for &row in &grouping.unused_rows {
            scores[row] = Some(missing_score(
                &figure,
                &grader,
                "its group's original prompt is not in this run".into(),
            ));
        }
        for (s, score) in d.samples.iter().zip(scores) {
            // A group's original is what the others are compared with: it has no figure.
            if let Some(score) = score {
                store.put_scores(s.id, &[score])?;
            }
        }
    }
    Ok(())
}
