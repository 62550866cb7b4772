//! Rendering a task's recipe for one example. Placeholders are `{field}`; a prompt line whose
//! placeholders are all empty is left out (MobileAIBench omits `context:` when there is none).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::TaskDef;
use crate::load::Example;

/// The messages for one sample: a system prompt and one user message per turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub system: String,
    pub turns: Vec<RenderedTurn>,
    /// The long field was cut to fit the context.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderedTurn {
    pub user: String,
}

/// Names of the `{placeholders}` in a template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if close > 0
                    && after[..close]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn fill(template: &str, fields: &BTreeMap<&str, &str>, drop_empty_lines: bool) -> String {
    let mut lines = Vec::new();
    for line in template.split_inclusive('\n') {
        let names = placeholders(line);
        if drop_empty_lines
            && !names.is_empty()
            && names
                .iter()
                .all(|n| fields.get(n).is_none_or(|v| v.is_empty()))
        {
            continue;
        }
        let mut out = line.to_string();
        for n in names {
            out = out.replacen(&format!("{{{n}}}"), fields.get(n).copied().unwrap_or(""), 1);
        }
        lines.push(out);
    }
    lines.concat()
}

/// Options that change a prompt: fields switched off, and a cap on the long field in characters.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub omit_fields: Vec<String>,
    pub long_field_max_chars: Option<usize>,
}

pub fn render(task: &TaskDef, example: &Example, opts: &RenderOptions) -> Rendered {
    let mut truncated = false;
    let mut cut_long: Option<String> = None;
    if let (Some(max), Some(long)) = (
        opts.long_field_max_chars,
        example.fields.get(&task.long_field),
    ) {
        if long.chars().count() > max {
            cut_long = Some(cut_at_word(long, max));
            truncated = true;
        }
    }
    let mut fields: BTreeMap<&str, &str> = example
        .fields
        .iter()
        .filter(|(k, _)| !opts.omit_fields.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(cut) = &cut_long {
        fields.insert(task.long_field.as_str(), cut.as_str());
    }
    let system = fill(&task.system, &fields, false);
    let turns = if example.turns.is_empty() {
        vec![RenderedTurn {
            user: fill(&task.prompt, &fields, true),
        }]
    } else {
        let last = example.turns.len() - 1;
        let mut out = Vec::with_capacity(example.turns.len());
        for (i, turn) in example.turns.iter().enumerate() {
            // Only the last turn is ever cut: earlier ones are history the model must see.
            let text = match opts.long_field_max_chars {
                Some(max)
                    if i == last && task.long_field == "turn" && turn.chars().count() > max =>
                {
                    truncated = true;
                    cut_at_word(turn, max)
                }
                _ => turn.clone(),
            };
            let mut f = fields.clone();
            f.insert("turn", &text);
            out.push(RenderedTurn {
                user: fill(&task.prompt, &f, true),
            });
        }
        out
    };
    Rendered {
        system,
        turns,
        truncated,
    }
}

/// The first `max` characters, backed off to a word boundary when one is near.
fn cut_at_word(s: &str, max: usize) -> String {
    let end = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    let head = &s[..end];
    match head.rfind(char::is_whitespace) {
        Some(ws) if ws > end.saturating_sub(40) && ws > 0 => head[..ws].to_string(),
        _ => head.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn ex(fields: &[(&str, &str)]) -> Example {
        Example {
            row: 0,
            id: None,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            reference: "r".into(),
            turns: vec![],
            image: None,
        }
    }

    #[test]
    fn qa_prompt_matches_mobileaibench() {
        let c = Catalog::builtin();
        let t = c.task("question_answering").unwrap();
        let r = render(
            t,
            &ex(&[("context", "C."), ("question", "Q?")]),
            &Default::default(),
        );
        assert_eq!(r.turns[0].user, "context: C.\nquestion: Q?\nanswer: ");
        assert!(r
            .system
            .starts_with("You're a helpful assistant proficient in answering"));
        assert!(!r.truncated);
    }

    #[test]
    fn empty_or_switched_off_context_drops_the_line() {
        let c = Catalog::builtin();
        let t = c.task("question_answering").unwrap();
        let r = render(
            t,
            &ex(&[("context", ""), ("question", "Q?")]),
            &Default::default(),
        );
        assert_eq!(r.turns[0].user, "question: Q?\nanswer: ");
        let opts = RenderOptions {
            omit_fields: vec!["context".into()],
            ..Default::default()
        };
        let r = render(t, &ex(&[("context", "C."), ("question", "Q?")]), &opts);
        assert_eq!(r.turns[0].user, "question: Q?\nanswer: ");
    }

    #[test]
    fn truncation_cuts_only_the_long_field() {
        let c = Catalog::builtin();
        let t = c.task("summarization").unwrap();
        let article = "word ".repeat(100);
        let opts = RenderOptions {
            long_field_max_chars: Some(52),
            ..Default::default()
        };
        let r = render(t, &ex(&[("article", &article)]), &opts);
        assert!(r.truncated);
        assert!(r.turns[0]
            .user
            .starts_with("Create a short summary of the following article: word"));
        assert!(r.turns[0].user.ends_with("word\n"), "{:?}", r.turns[0].user);
        assert!(r.turns[0].user.len() < 110);
        let sys_only = render(
            c.task("mmlu").unwrap(),
            &ex(&[("system", "S"), ("prompt", "P")]),
            &opts,
        );
        assert!(!sys_only.truncated);
        assert_eq!(sys_only.system, "S");
    }

    #[test]
    fn text2sql_keeps_the_typo() {
        let c = Catalog::builtin();
        let t = c.task("text2sql").unwrap();
        let r = render(
            t,
            &ex(&[("context", "CREATE TABLE t (a INT)"), ("question", "q")]),
            &Default::default(),
        );
        assert!(r.turns[0].user.contains("based on hte provided table"));
    }

    #[test]
    fn turns_render_one_message_each() {
        let c = Catalog::builtin();
        let t = c.task("mt_bench").unwrap();
        let mut e = ex(&[]);
        e.turns = vec!["first".into(), "second".into()];
        let r = render(t, &e, &Default::default());
        assert_eq!(r.turns.len(), 2);
        assert_eq!(r.turns[1].user, "second");
    }

    #[test]
    fn placeholder_scanner() {
        assert_eq!(placeholders("a {x} {y_1} {} {not valid} {z"), ["x", "y_1"]);
    }
}
