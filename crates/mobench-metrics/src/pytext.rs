//! Python's notion of whitespace and word characters, so that ports of Python
//! reference code split and match text the way CPython does.
//!
//! Rust's `char::is_whitespace` leaves out U+001C..U+001F, which `str.split()`
//! treats as separators, and the `regex` crate's `\w` admits combining marks
//! that Python's `re` does not. Both differences change scores on real model
//! output (control characters and diacritics do occur), so the graders use these
//! predicates instead.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

/// `str.isspace()` (and `\s` in a Python `str` pattern).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0b}'
            | '\u{0c}'
            | '\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `\w` in a Python `str` pattern: letters (L*), numbers (N*) and `_`.
pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    matches!(
        get_general_category(c),
        Gc::UppercaseLetter
            | Gc::LowercaseLetter
            | Gc::TitlecaseLetter
            | Gc::ModifierLetter
            | Gc::OtherLetter
            | Gc::DecimalNumber
            | Gc::LetterNumber
            | Gc::OtherNumber
    )
}

/// `str.split()` with no arguments.
pub(crate) fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|t| !t.is_empty())
}

/// `str.strip()` with no arguments.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.lower()`: full Unicode lower-casing including the final-sigma rule,
/// which Rust's `str::to_lowercase` implements as CPython does.
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_information_separators() {
        assert!(is_space('\u{1f}'));
        assert!(!'\u{1f}'.is_whitespace());
        assert_eq!(
            split("a\u{1c}b  c\u{3000}").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert!(!is_space('\u{200b}'));
    }

    #[test]
    fn python_word_excludes_combining_marks() {
        assert!(is_word('é'));
        assert!(is_word('²'));
        assert!(is_word('_'));
        assert!(!is_word('\u{301}'));
        assert!(!is_word('\u{93e}'));
        assert!(!is_word('-'));
    }
}
