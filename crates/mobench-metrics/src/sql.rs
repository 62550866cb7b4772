//! MobileAIBench's text-to-SQL "SQLParser" score: a clause-level F1
//! (`compute_sqlparser_score` in `src/evaluation/evaluate.py`, parser
//! `parse_sql_to_dict` in `src/evaluation/utils.py`).
//!
//! The parser is six regular expressions, each applied once (`re.search`,
//! case-insensitive) to the raw query:
//!
//! | clause | pattern | values |
//! |---|---|---|
//! | `select` | `SELECT\s+(.*?)\s+FROM` | split on `,`, stripped |
//! | `from` | `FROM\s+(.*?)\s+(WHERE\|GROUP BY\|ORDER BY\|LIMIT\|$)` | split on `,` |
//! | `where` | `WHERE\s+(.*?)(GROUP BY\|ORDER BY\|LIMIT\|$)` | split on `\s+(AND\|OR)\s+`, connectives kept as values |
//! | `group_by` | `GROUP BY\s+(.*?)(ORDER BY\|LIMIT\|$)` | split on `,` |
//! | `order_by` | `ORDER BY\s+(.*?)(LIMIT\|$)` | split on `,` |
//! | `limit` | `LIMIT\s+(\d+)` | the integer |
//!
//! Every value becomes a `(clause, value.lower())` pair; the score is the F1
//! between the *sets* of pairs of the reference and the prediction (0 when
//! both are empty). The quirks are the reference's and are kept on purpose, so
//! scores match the paper: `.` does not cross newlines; `$` also matches
//! before a final newline; a lone `FROM t` at the very end yields no `from`
//! pair (the pattern needs whitespace before `$`); keywords are found inside
//! identifiers (`unlimited` ends a `WHERE`); `JOIN … ON …` stays inside the
//! `from` value; duplicate pairs count once.
//!
//! The port follows CPython's `re`: `\s` includes U+001C–U+001F, `\d` is any
//! Unicode decimal digit (its value, like `int()`, then printed in ASCII), and
//! case-insensitive `i` also matches `ı` and `İ`. The one known difference:
//! CPython's `int()` refuses more than 4300 digits and the reference would
//! crash, where this port keeps the digits.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use unicode_general_category::{get_general_category, GeneralCategory};

use crate::pytext;

/// Python's `\s` (str patterns) as a `regex` class.
const S: &str = r"[\s\x1C-\x1F]";
/// Python's `$` without MULTILINE: end of text or before a final newline.
const END: &str = r"\n?\z";
/// `I` under Python's IGNORECASE also matches dotless and dotted capital i.
const I: &str = "[iıİ]";

struct Patterns {
    select: Regex,
    from: Regex,
    r#where: Regex,
    group_by: Regex,
    order_by: Regex,
    limit: Regex,
    where_connective: Regex,
}

static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let build = |pattern: String| Regex::new(&format!("(?i){pattern}")).expect("valid SQL pattern");
    let limit = format!("L{I}M{I}T");
    Patterns {
        select: build(format!("SELECT{S}+(.*?){S}+FROM")),
        from: build(format!(
            "FROM{S}+(.*?){S}+(?:WHERE|GROUP BY|ORDER BY|{limit}|{END})"
        )),
        r#where: build(format!("WHERE{S}+(.*?)(?:GROUP BY|ORDER BY|{limit}|{END})")),
        group_by: build(format!("GROUP BY{S}+(.*?)(?:ORDER BY|{limit}|{END})")),
        order_by: build(format!("ORDER BY{S}+(.*?)(?:{limit}|{END})")),
        limit: build(format!(r"{limit}{S}+(\d+)")),
        where_connective: build(format!("{S}+(AND|OR){S}+")),
    }
});

/// `parse_sql_to_dict`: `(clause, value)` pairs in clause order, values as
/// the reference yields them (not yet lower-cased).
pub fn parse_sql_clauses(sql: &str) -> Vec<(&'static str, String)> {
    let patterns = &*PATTERNS;
    let mut pairs = Vec::new();
    let comma_clauses = [
        ("select", &patterns.select),
        ("from", &patterns.from),
        ("where", &patterns.r#where),
        ("group_by", &patterns.group_by),
        ("order_by", &patterns.order_by),
    ];
    for (clause, pattern) in comma_clauses {
        let Some(captures) = pattern.captures(sql) else {
            continue;
        };
        let values = pytext::strip(captures.get(1).map_or("", |m| m.as_str()));
        if clause == "where" {
            push_where_parts(&mut pairs, values, &patterns.where_connective);
        } else {
            for value in values.split(',') {
                pairs.push((clause, pytext::strip(value).to_string()));
            }
        }
    }
    if let Some(digits) = patterns.limit.captures(sql).and_then(|c| c.get(1)) {
        pairs.push(("limit", python_int_str(digits.as_str())));
    }
    pairs
}

/// `re.split(r'\s+(AND|OR)\s+', values)`: conditions stripped, connectives
/// upper-cased, interleaved in order.
fn push_where_parts(pairs: &mut Vec<(&'static str, String)>, values: &str, connective: &Regex) {
    let mut start = 0;
    for captures in connective.captures_iter(values) {
        let (Some(whole), Some(word)) = (captures.get(0), captures.get(1)) else {
            continue;
        };
        pairs.push((
            "where",
            pytext::strip(&values[start..whole.start()]).to_string(),
        ));
        pairs.push(("where", word.as_str().to_uppercase()));
        start = whole.end();
    }
    pairs.push(("where", pytext::strip(&values[start..]).to_string()));
}

/// `str(int(digits))` for a run of Unicode decimal digits.
fn python_int_str(digits: &str) -> String {
    let ascii: String = digits.chars().map(decimal_value).collect();
    let trimmed = ascii.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Unicode lays out every decimal digit set as ten consecutive code points
/// from zero to nine, and adjacent sets back to back, so the value is the
/// offset from the start of the run of `Nd` code points modulo ten.
fn decimal_value(c: char) -> char {
    let is_decimal = |c: char| get_general_category(c) == GeneralCategory::DecimalNumber;
    let mut start = u32::from(c);
    while let Some(previous) = start.checked_sub(1).and_then(char::from_u32) {
        if !is_decimal(previous) {
            break;
        }
        start -= 1;
    }
    let value = (u32::from(c) - start) % 10;
    char::from_digit(value, 10).unwrap_or('0')
}

/// Clause F1 between a predicted and a reference query.
pub fn sql_f1(prediction: &str, reference: &str) -> f64 {
    let lowered = |sql: &str| -> HashSet<(&'static str, String)> {
        parse_sql_clauses(sql)
            .into_iter()
            .map(|(clause, value)| (clause, pytext::lower(&value)))
            .collect()
    };
    let reference = lowered(reference);
    let prediction = lowered(prediction);
    let true_positives = reference.intersection(&prediction).count() as f64;
    let false_positives = reference.difference(&prediction).count() as f64;
    let false_negatives = prediction.difference(&reference).count() as f64;

    let precision = if true_positives + false_positives > 0.0 {
        true_positives / (true_positives + false_positives)
    } else {
        0.0
    };
    let recall = if true_positives + false_negatives > 0.0 {
        true_positives / (true_positives + false_negatives)
    } else {
        0.0
    };
    if precision + recall > 0.0 {
        2.0 * (precision * recall) / (precision + recall)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(sql: &str) -> Vec<(&'static str, String)> {
        parse_sql_clauses(sql)
    }

    fn owned(expected: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        expected.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn parses_a_dataset_query() {
        assert_eq!(
            pairs(
                r#"SELECT MIN(game) FROM table_name_61 WHERE opponent = "phoenix" AND record = "29-17""#
            ),
            owned(&[
                ("select", "MIN(game)"),
                ("from", "table_name_61"),
                ("where", r#"opponent = "phoenix""#),
                ("where", "AND"),
                ("where", r#"record = "29-17""#),
            ])
        );
    }

    #[test]
    fn parses_group_order_limit() {
        assert_eq!(
            pairs("SELECT a, COUNT(*) FROM t JOIN u ON t.id = u.id GROUP BY a ORDER BY COUNT(*) DESC LIMIT 007"),
            owned(&[
                ("select", "a"),
                ("select", "COUNT(*)"),
                ("from", "t JOIN u ON t.id = u.id"),
                ("group_by", "a"),
                ("order_by", "COUNT(*) DESC"),
                ("limit", "7"),
            ])
        );
    }

    #[test]
    fn keeps_the_reference_quirks() {
        // No whitespace between the table and the end: no `from` pair.
        assert_eq!(
            pairs("SELECT MAX(season) FROM table_2140071_7"),
            owned(&[("select", "MAX(season)")])
        );
        // `$` matches before a final newline.
        assert_eq!(
            pairs("SELECT a FROM t\n"),
            owned(&[("select", "a"), ("from", "t")])
        );
        // LIMIT inside an identifier ends the WHERE clause.
        assert_eq!(
            pairs("SELECT a FROM t WHERE unlimited = 1"),
            owned(&[("select", "a"), ("from", "t"), ("where", "un")])
        );
        // Python's `i` matches dotless i; Arabic-Indic digits are numbers.
        assert_eq!(pairs("lımıt ٣٤"), owned(&[("limit", "34")]));
        assert_eq!(pairs("nothing here"), owned(&[]));
    }

    #[test]
    fn f1_over_lowercased_pair_sets() {
        let gold = r#"SELECT venue FROM table_name_50 WHERE away_team = "essendon""#;
        assert_eq!(sql_f1(gold, gold), 1.0);
        assert_eq!(sql_f1(&gold.to_lowercase(), gold), 1.0);
        // Two of three pairs agree on each side: P = R = 2/3.
        let value = sql_f1(r#"SELECT venue FROM table_name_50 WHERE x = 1"#, gold);
        assert!((value - 2.0 / 3.0).abs() < 1e-12, "{value}");
        assert_eq!(sql_f1("", ""), 0.0);
        assert_eq!(sql_f1("not sql", gold), 0.0);
    }

    #[test]
    fn decimal_values() {
        assert_eq!(python_int_str("0000"), "0");
        assert_eq!(python_int_str("٠١٢٣٤٥٦٧٨٩"), "123456789");
        assert_eq!(python_int_str("𝟎𝟗𝟘𝟡"), "909");
    }
}
