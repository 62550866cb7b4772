//! Character-level BLEU exactly as MobileAIBench computes it for question
//! answering (`compute_BLEU` in `src/evaluation/evaluate.py`).
//!
//! The reference passes *strings* to NLTK's `sentence_bleu`, which iterates
//! them, so the "tokens" are Unicode code points (spaces included) of the
//! SQuAD-normalized text: BLEU-4 over characters with uniform weights,
//! NLTK 3.9/3.10 semantics:
//!
//! * modified precision `p_n = clipped / max(1, hypothesis n-grams)`, with the
//!   unreduced numerator and denominator (`Fraction(..., _normalize=False)`);
//! * if no character of the hypothesis occurs in the reference
//!   (`p_1` numerator is 0) the score is 0 — this also covers an empty
//!   hypothesis;
//! * smoothing `method1`: a zero numerator becomes `0.1 / denominator`, so a
//!   hypothesis shorter than 4 characters gets `0.1 / 1` for the missing orders
//!   (NLTK issues no warning on this path when smoothing is given);
//! * brevity penalty `1` if `len(hyp) > len(ref)`, else `exp(1 - len(ref)/len(hyp))`;
//! * score `BP * exp(Σ 0.25 · ln p_n)`.
//!
//! **Argument order.** MobileAIBench calls `compute_BLEU(pred, ans)`, whose
//! parameters are `(expected_tokens, actual_tokens)`, so NLTK receives the
//! model's *prediction as the reference* and the *gold answer as the
//! hypothesis*. [`bleu`] reproduces that call so that our numbers are
//! comparable with the paper's; [`sentence_bleu_chars`] exposes the
//! conventional orientation.

use std::collections::HashMap;

use crate::squad::normalize_answer;

const MAX_ORDER: usize = 4;
const WEIGHT: f64 = 0.25;
const METHOD1_EPSILON: f64 = 0.1;

/// MobileAIBench's QA BLEU for one sample (see the module docs for the
/// deliberate reference/hypothesis swap).
pub fn bleu(prediction: &str, reference: &str) -> f64 {
    let as_reference = normalize_answer(prediction);
    let as_hypothesis = normalize_answer(reference);
    sentence_bleu_chars(&as_reference, &as_hypothesis)
}

/// NLTK `sentence_bleu([reference], hypothesis,
/// smoothing_function=SmoothingFunction().method1)` with both arguments given
/// as strings (character n-grams), no normalization applied here.
pub fn sentence_bleu_chars(reference: &str, hypothesis: &str) -> f64 {
    let reference: Vec<char> = reference.chars().collect();
    let hypothesis: Vec<char> = hypothesis.chars().collect();

    let mut log_sum = 0.0;
    for n in 1..=MAX_ORDER {
        let (numerator, denominator) = modified_precision(&reference, &hypothesis, n);
        if n == 1 && numerator == 0 {
            return 0.0;
        }
        let precision = if numerator == 0 {
            METHOD1_EPSILON / denominator as f64
        } else {
            numerator as f64 / denominator as f64
        };
        log_sum += WEIGHT * precision.ln();
    }
    brevity_penalty(reference.len(), hypothesis.len()) * log_sum.exp()
}

/// Clipped n-gram matches and `max(1, hypothesis n-grams)`.
fn modified_precision(reference: &[char], hypothesis: &[char], n: usize) -> (usize, usize) {
    if hypothesis.len() < n {
        return (0, 1);
    }
    let hypothesis_counts = ngram_counts(hypothesis, n);
    let reference_counts = ngram_counts(reference, n);
    let clipped = hypothesis_counts
        .iter()
        .map(|(gram, &count)| count.min(reference_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    (clipped, hypothesis.len() - n + 1)
}

fn ngram_counts(tokens: &[char], n: usize) -> HashMap<&[char], usize> {
    let mut counts = HashMap::new();
    if tokens.len() >= n {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

fn brevity_penalty(reference_len: usize, hypothesis_len: usize) -> f64 {
    if hypothesis_len > reference_len {
        1.0
    } else if hypothesis_len == 0 {
        0.0
    } else {
        (1.0 - reference_len as f64 / hypothesis_len as f64).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_strings_score_one() {
        assert!((sentence_bleu_chars("paris", "paris") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn disjoint_or_empty_scores_zero() {
        assert_eq!(sentence_bleu_chars("abc", "xyz"), 0.0);
        assert_eq!(sentence_bleu_chars("abc", ""), 0.0);
        assert_eq!(sentence_bleu_chars("", "abc"), 0.0);
    }

    #[test]
    fn short_hypothesis_is_smoothed_not_zero() {
        // 2 chars: p1 = 1, p2 = 1, p3 = p4 = 0.1/1; BP = exp(1 - 2/2) = 1.
        let value = sentence_bleu_chars("ab", "ab");
        assert!((value - 0.1f64.sqrt()).abs() < 1e-12, "{value}");
    }

    #[test]
    fn prediction_is_passed_as_the_reference() {
        // NLTK sees reference "answer is paris france" (22 chars) and hypothesis
        // "paris": every n-gram matches, so only the brevity penalty remains.
        let value = bleu("The answer is Paris, France", "Paris");
        assert!(
            (value - (1.0f64 - 22.0 / 5.0).exp()).abs() < 1e-12,
            "{value}"
        );
        assert!(bleu("Paris", "The answer is Paris, France") < 0.5);
    }
}
