//! Answer clean-up applied before scoring, exactly as MobileAIBench's graders do it.
//! The raw prediction is always stored too.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cleanup {
    /// QA and summarization: when a colon appears within the first 100 characters, keep only
    /// what follows the first colon (models often answer "Answer: ..." or "Summary: ...").
    AfterColon,
    /// text2sql: the body of the first fenced code block, language tag dropped, newlines as spaces.
    SqlCodeBlock,
    None,
}

impl Cleanup {
    pub fn apply(self, raw: &str) -> String {
        match self {
            Cleanup::AfterColon => after_colon(raw),
            Cleanup::SqlCodeBlock => sql_code_block(raw),
            Cleanup::None => raw.to_string(),
        }
    }
}

fn after_colon(raw: &str) -> String {
    let head_end = raw.char_indices().nth(100).map_or(raw.len(), |(i, _)| i);
    match raw[..head_end].find(':') {
        Some(i) => raw[i + 1..].trim().to_string(),
        None => raw.trim().to_string(),
    }
}

fn sql_code_block(raw: &str) -> String {
    let Some(open) = raw.find("```") else {
        return raw.trim().to_string();
    };
    let rest = &raw[open + 3..];
    // The language tag is whatever follows the fence on its line (```sql).
    let body_start = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let (tag, body) = rest.split_at(body_start);
    let body = if tag.trim().contains(' ') {
        // ```SELECT a FROM t``` on one line: no tag, the body starts right after the fence.
        rest
    } else {
        body
    };
    let body = body.find("```").map_or(body, |end| &body[..end]);
    body.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_colon_keeps_text_after_first_colon_in_head() {
        assert_eq!(Cleanup::AfterColon.apply("Answer: Paris"), "Paris");
        assert_eq!(Cleanup::AfterColon.apply("  Paris  "), "Paris");
        assert_eq!(
            Cleanup::AfterColon.apply("Summary: a: b"),
            "a: b",
            "only the first colon splits"
        );
        let late = format!("{}: tail", "x".repeat(120));
        assert_eq!(
            Cleanup::AfterColon.apply(&late),
            late,
            "colon past 100 chars is kept"
        );
        assert_eq!(Cleanup::AfterColon.apply("é: ok"), "ok");
    }

    #[test]
    fn sql_block_extracted_and_flattened() {
        let raw = "Here you go:\n```sql\nSELECT name\nFROM t\nWHERE a = 1\n```\nDone.";
        assert_eq!(
            Cleanup::SqlCodeBlock.apply(raw),
            "SELECT name FROM t WHERE a = 1"
        );
        assert_eq!(
            Cleanup::SqlCodeBlock.apply("```\nSELECT 1\n```"),
            "SELECT 1"
        );
        assert_eq!(
            Cleanup::SqlCodeBlock.apply("SELECT a FROM b"),
            "SELECT a FROM b",
            "no block: the answer as is"
        );
        assert_eq!(
            Cleanup::SqlCodeBlock.apply("```sql\nSELECT a FROM b"),
            "SELECT a FROM b",
            "unclosed block runs to the end"
        );
    }
}
