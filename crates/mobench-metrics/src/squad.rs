//! SQuAD-style exact match and token F1, as MobileAIBench's question-answering
//! evaluation computes them (`src/evaluation/evaluate.py`,
//! `compute_exact_match` / `compute_f1`, with `normalize_answer` from
//! `src/evaluation/utils.py`).
//!
//! Normalization, in the reference's order: lower-case (`str.lower`), delete
//! every character of Python's `string.punctuation` (ASCII only; curly quotes
//! and other Unicode punctuation stay), replace the whole words `a`, `an` and
//! `the` with a space (word characters as Python's `re` defines `\w`: letters,
//! numbers and `_`), then collapse whitespace (`' '.join(text.split())`).
//!
//! Unlike the official SQuAD v2 script, MobileAIBench's F1 is 0 when either
//! side has no tokens, including when both are empty; this port keeps that.

use std::collections::HashMap;

use crate::pytext;

/// Python's `string.punctuation`.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// MobileAIBench's (SQuAD's) `normalize_answer`.
pub fn normalize_answer(text: &str) -> String {
    let lowered = pytext::lower(text);
    let no_punct: String = lowered
        .chars()
        .filter(|c| !PUNCTUATION.contains(*c))
        .collect();
    let no_articles = remove_articles(&no_punct);
    pytext::split(&no_articles).collect::<Vec<_>>().join(" ")
}

/// `re.sub(r'\b(a|an|the)\b', ' ', text)`: a match is exactly a maximal run of
/// word characters spelling one of the articles.
fn remove_articles(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(pytext::is_word) {
        out.push_str(&rest[..start]);
        let word_and_after = &rest[start..];
        let end = word_and_after
            .find(|c: char| !pytext::is_word(c))
            .unwrap_or(word_and_after.len());
        let word = &word_and_after[..end];
        if matches!(word, "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
        rest = &word_and_after[end..];
    }
    out.push_str(rest);
    out
}

/// 1.0 when the normalized strings are equal, else 0.0.
pub fn em(prediction: &str, reference: &str) -> f64 {
    if normalize_answer(prediction) == normalize_answer(reference) {
        1.0
    } else {
        0.0
    }
}

/// Token-multiset F1 of the normalized strings; 0.0 without overlap.
pub fn f1(prediction: &str, reference: &str) -> f64 {
    let prediction = normalize_answer(prediction);
    let reference = normalize_answer(reference);
    let prediction_tokens: Vec<&str> = pytext::split(&prediction).collect();
    let reference_tokens: Vec<&str> = pytext::split(&reference).collect();

    let mut reference_counts: HashMap<&str, usize> = HashMap::new();
    for token in &reference_tokens {
        *reference_counts.entry(token).or_default() += 1;
    }
    let mut common = 0usize;
    for token in &prediction_tokens {
        if let Some(count) = reference_counts.get_mut(token) {
            if *count > 0 {
                *count -= 1;
                common += 1;
            }
        }
    }
    if common == 0 {
        return 0.0;
    }
    let precision = common as f64 / prediction_tokens.len() as f64;
    let recall = common as f64 / reference_tokens.len() as f64;
    (2.0 * precision * recall) / (precision + recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_follows_squad() {
        assert_eq!(
            normalize_answer("The  Cat, sat on A mat!"),
            "cat sat on mat"
        );
        assert_eq!(normalize_answer("an-apple"), "anapple");
        assert_eq!(normalize_answer("a_b the_c"), "ab thec");
        assert_eq!(normalize_answer("théa the\u{301}"), "théa \u{301}");
        assert_eq!(normalize_answer("“Quoted”"), "“quoted”");
        assert_eq!(normalize_answer(""), "");
    }

    #[test]
    fn em_and_f1() {
        assert_eq!(em("The Eiffel Tower.", "eiffel tower"), 1.0);
        assert_eq!(em("Eiffel", "eiffel tower"), 0.0);
        assert_eq!(f1("", ""), 0.0);
        assert_eq!(f1("the", "a"), 0.0);
        let value = f1("paris france paris", "paris");
        assert!((value - 0.5).abs() < 1e-12, "{value}");
    }
}
