//! ROUGE-1 and ROUGE-L F-measures as Google's `rouge-score` 0.1.2 computes
//! them with `RougeScorer(['rouge1', 'rougeL'], use_stemmer=True)`, which is
//! what MobileAIBench's summarization evaluation calls
//! (`scorer.score(reference, prediction)`).
//!
//! Tokenizer (`rouge_score.tokenize.tokenize`): `str.lower()` (full Unicode
//! lower-casing, so `K` (Kelvin sign) becomes `k`), every run of characters
//! outside `[a-z0-9]` becomes a separator, and tokens longer than three
//! characters go through NLTK's Porter stemmer in its default mode
//! ([`crate::porter`]). Non-ASCII letters therefore never form tokens.
//!
//! ROUGE-1: clipped unigram overlap, `P = overlap / max(1, |prediction|)`,
//! `R = overlap / max(1, |reference|)`. ROUGE-L: LCS of the token sequences,
//! 0 when either side is empty. F = `2PR / (P + R)`, 0 when `P + R = 0`.

use std::collections::HashMap;

use crate::lcs::lcs_len;
use crate::porter;

/// `rouge-score`'s default tokenizer with stemming.
pub fn tokenize(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|token| !token.is_empty())
        .map(|token| {
            if token.len() > 3 {
                porter::stem(token)
            } else {
                token.to_string()
            }
        })
        .collect()
}

/// ROUGE-1 F-measure.
pub fn rouge1(prediction: &str, reference: &str) -> f64 {
    let prediction = tokenize(prediction);
    let reference = tokenize(reference);
    let mut prediction_counts: HashMap<&str, usize> = HashMap::new();
    for token in &prediction {
        *prediction_counts.entry(token).or_default() += 1;
    }
    let mut overlap = 0usize;
    for token in &reference {
        if let Some(count) = prediction_counts.get_mut(token.as_str()) {
            if *count > 0 {
                *count -= 1;
                overlap += 1;
            }
        }
    }
    let precision = overlap as f64 / prediction.len().max(1) as f64;
    let recall = overlap as f64 / reference.len().max(1) as f64;
    fmeasure(precision, recall)
}

/// ROUGE-L (sentence-level LCS) F-measure.
pub fn rouge_l(prediction: &str, reference: &str) -> f64 {
    let prediction = tokenize(prediction);
    let reference = tokenize(reference);
    if prediction.is_empty() || reference.is_empty() {
        return 0.0;
    }
    let lcs = lcs_len(&prediction, &reference) as f64;
    fmeasure(lcs / prediction.len() as f64, lcs / reference.len() as f64)
}

fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_splits_and_stems() {
        assert_eq!(
            tokenize("The quick-brown FOXES were running; it's 2024!"),
            ["the", "quick", "brown", "fox", "were", "run", "it", "s", "2024"]
        );
        assert_eq!(tokenize("café naïve"), ["caf", "na", "ve"]);
        assert!(tokenize("¿—!").is_empty());
    }

    #[test]
    fn readme_example() {
        // rouge-score's README pair.
        let target = "The quick brown fox jumps over the lazy dog";
        let prediction = "The quick brown dog jumps on the log.";
        // P = 6/8, R = 6/9 for unigrams; the LCS has 5 tokens.
        assert!((rouge1(prediction, target) - 12.0 / 17.0).abs() < 1e-12);
        assert!((rouge_l(prediction, target) - 10.0 / 17.0).abs() < 1e-12);
    }

    #[test]
    fn empty_sides_score_zero() {
        assert_eq!(rouge1("", "text"), 0.0);
        assert_eq!(rouge_l("text", "!!!"), 0.0);
        assert_eq!(rouge1("", ""), 0.0);
    }
}
