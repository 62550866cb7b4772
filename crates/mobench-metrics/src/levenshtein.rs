//! `Levenshtein.ratio(a, b)` from python-Levenshtein (rapidfuzz's normalized
//! Indel similarity), which MobileAIBench uses for text-to-SQL on the raw
//! strings: `1 - (len(a) + len(b) - 2·LCS) / (len(a) + len(b))` over Unicode
//! code points, and 1.0 when both strings are empty.

use crate::lcs::lcs_len;

/// Indel-normalized similarity in `[0, 1]`.
pub fn levenshtein_ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let indel_distance = total - 2 * lcs_len(&a, &b);
    1.0 - indel_distance as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::levenshtein_ratio;

    #[test]
    fn known_values() {
        assert_eq!(levenshtein_ratio("", ""), 1.0);
        assert_eq!(levenshtein_ratio("a", ""), 0.0);
        assert!((levenshtein_ratio("abc", "abd") - 2.0 / 3.0).abs() < 1e-15);
        assert!((levenshtein_ratio("héllo", "hello") - 0.8).abs() < 1e-15);
    }
}
