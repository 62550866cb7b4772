//! The embedder's pass: adv_instruction's answers embedded and scored against their groups'
//! originals.

use mobench_judge::protocol::{self, Protocol};
use mobench_judge::{ChatRequest, GradeError};
use mobench_metrics::figure::GRADED_BY;
use mobench_metrics::Metric;
use mobench_store::{ScoreRecord, Store};

use super::chats::missing_score;
use super::graders::ReadyEmbedder;
use super::{grade_error, GradeResult, OnProgress, RunToGrade};
use crate::error::EngineError;
use crate::worker::CancelFlag;

/// The embedder's pass over one run: adv_instruction's answers embedded (cached by embedder and
/// text), grouped as MobileAIBench groups them, each variant scored against its group's original.
pub(super) fn grade_embeddings(
    store: &mut Store,
    run: &RunToGrade,
    ready: &mut ReadyEmbedder,
    cancel: &CancelFlag,
    report: &mut GradeResult,
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
        let (grouping, alone) = group_rows(&references)
            .map_err(|e| EngineError::Grader(format!("{}: {e}", d.def.name)))?;
        let mut scores: Vec<Option<ScoreRecord>> = vec![None; total];
        for row in alone {
            scores[row] = Some(missing_score(
                &figure,
                &grader,
                "none of its group's perturbed prompts is in this run".into(),
            ));
        }
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

/// The rows grouped as MobileAIBench groups them. A run of some of the rows (`--limit`) may hold
/// an original whose variants it did not reach, which the paper's full set never has: such
/// originals are set apart (returned second) instead of failing the whole pass.
fn group_rows(
    references: &[&str],
) -> Result<(protocol::AdvGrouping, Vec<usize>), protocol::AdvError> {
    let mut alone = Vec::new();
    loop {
        let kept: Vec<(usize, &str)> = references
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| !alone.contains(i))
            .collect();
        let answers: Vec<&str> = kept.iter().map(|(_, r)| *r).collect();
        match protocol::group_adv_rows(&answers) {
            Ok(mut grouping) => {
                // Back to the run's row numbers.
                let at = |i: usize| kept[i].0;
                for g in &mut grouping.groups {
                    g.original = at(g.original);
                    g.variants.iter_mut().for_each(|v| *v = at(*v));
                }
                grouping.unused_rows.iter_mut().for_each(|r| *r = at(*r));
                return Ok((grouping, alone));
            }
            Err(protocol::AdvError::NoVariants { group }) => {
                let rows: Vec<usize> = kept
                    .iter()
                    .filter(|(_, r)| protocol::parse_adv_label(r).is_some_and(|l| l.group == group))
                    .map(|(i, _)| *i)
                    .collect();
                if rows.is_empty() {
                    return Err(protocol::AdvError::NoVariants { group });
                }
                alone.extend(rows);
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::group_rows;

    #[test]
    fn an_original_whose_variants_a_limited_run_did_not_reach_is_set_apart() {
        let refs = ["0||a||original", "0||a||x", "0||a||y", "1||b||original"];
        let (grouping, alone) = group_rows(&refs).unwrap();
        assert_eq!(alone, [3]);
        assert_eq!(grouping.groups.len(), 1);
        assert_eq!(grouping.groups[0].original, 0);
        assert_eq!(grouping.groups[0].variants, [1, 2]);
        // Rows are renumbered back when an earlier row is set apart.
        let refs = ["1||b||original", "0||a||original", "0||a||x"];
        let (grouping, alone) = group_rows(&refs).unwrap();
        assert_eq!(alone, [0]);
        assert_eq!(grouping.groups[0].original, 1);
        assert_eq!(grouping.groups[0].variants, [2]);
    }
}
