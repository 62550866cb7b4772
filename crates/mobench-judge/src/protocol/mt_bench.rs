//! MT-Bench single-answer grading as MobileAIBench runs it: `evaluate_mt_bench` calls FastChat's
//! `gen_judgment.py --model-list <model> --parallel 4` (mode `single`, judge `gpt-4`) and reports
//! the mean `score` of the model's judgments whose score is not -1, both turns together.
//!
//! `gen_judgment.py` grades every question twice: turn 1 (`single-v1`, or `single-math-v1` with
//! the GPT-4 reference answer's first turn for the categories in [`NEED_REF_CATS`]) and turn 2
//! (`single-v1-multi-turn` / `single-math-v1-multi-turn`, whole conversation, both reference
//! turns), the latter only for questions of exactly two turns. `common.py` `run_judge_single`
//! fills the template with `str.format`, sends the template's system prompt as the system
//! message (FastChat's `chatgpt` conversation) and the filled template as the user message, and
//! reads the rating with `\[\[(\d+\.?\d*)\]\]`, else `\[(\d+\.?\d*)\]`, through
//! `ast.literal_eval`; no match is -1.

use std::sync::OnceLock;

use crate::ChatRequest;

const JUDGE_PROMPTS_JSONL: &str = include_str!("../../data/judge_prompts.jsonl");
const REFERENCE_ANSWERS_JSONL: &str =
    include_str!("../../data/mt_bench_reference_answer_gpt-4.jsonl");

/// FastChat `common.py` `NEED_REF_CATS`: categories graded against GPT-4's reference answer.
pub const NEED_REF_CATS: [&str; 4] = ["math", "reasoning", "coding", "arena-hard-200"];

/// Whether questions of `category` are graded with the reference answer (the `*-math-*` prompts).
pub fn mt_bench_needs_reference(category: &str) -> bool {
    NEED_REF_CATS.contains(&category)
}

/// One line of FastChat's `judge_prompts.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct JudgePrompt {
    pub name: String,
    /// `single` or `pairwise`.
    #[serde(rename = "type")]
    pub kind: String,
    pub system_prompt: String,
    pub prompt_template: String,
    pub description: String,
    pub category: String,
    pub output_format: String,
}

/// Every judge prompt of FastChat's `judge_prompts.jsonl`, in file order.
pub fn judge_prompts() -> &'static [JudgePrompt] {
    static PROMPTS: OnceLock<Vec<JudgePrompt>> = OnceLock::new();
    PROMPTS.get_or_init(|| {
        JUDGE_PROMPTS_JSONL
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("data/judge_prompts.jsonl is valid (tested)"))
            .collect()
    })
}

/// The judge prompt named `name` (`single-v1`, `single-math-v1`, …).
pub fn judge_prompt(name: &str) -> Option<&'static JudgePrompt> {
    judge_prompts().iter().find(|p| p.name == name)
}

#[derive(serde::Deserialize)]
struct ReferenceLine {
    question_id: u64,
    choices: Vec<ReferenceChoice>,
}

#[derive(serde::Deserialize)]
struct ReferenceChoice {
    turns: Vec<String>,
}

/// GPT-4's reference answer to MT-Bench question `question_id` (one string per turn), from
/// FastChat's `reference_answer/gpt-4.jsonl` (`choices[0].turns`); `None` for a question that
/// has none (only math, reasoning and coding questions have one).
pub fn mt_bench_reference(question_id: u64) -> Option<&'static [String]> {
    static REFS: OnceLock<Vec<(u64, Vec<String>)>> = OnceLock::new();
    REFS.get_or_init(|| {
        REFERENCE_ANSWERS_JSONL
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut r: ReferenceLine = serde_json::from_str(l)
                    .expect("data/mt_bench_reference_answer_gpt-4.jsonl is valid (tested)");
                let turns = if r.choices.is_empty() {
                    Vec::new()
                } else {
                    r.choices.swap_remove(0).turns
                };
                (r.question_id, turns)
            })
            .collect()
    })
    .iter()
    .find(|(id, _)| *id == question_id)
    .map(|(_, turns)| turns.as_slice())
}

/// Why an MT-Bench request cannot be built (where FastChat would have raised or skipped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtBenchError {
    #[error("MT-Bench grades turn 0 (first) and 1 (second) only, not turn {0}")]
    Turn(usize),
    #[error("MT-Bench grades the second turn only of a question of exactly two turns (this one has {0})")]
    NotTwoTurns(usize),
    #[error("MT-Bench: the question has no turn {0}")]
    MissingQuestion(usize),
    #[error("MT-Bench: the model's answer has {have} turn(s), grading needs {need}")]
    MissingAnswer { have: usize, need: usize },
    #[error("MT-Bench: the reference answer has {have} turn(s), grading needs {need}")]
    ShortReference { have: usize, need: usize },
    #[error("MT-Bench question {question_id} ({category}) is graded against a reference answer, and there is none")]
    NoReference { question_id: u64, category: String },
}

/// The judge's request for one turn of one answer, as `run_judge_single` builds it.
///
/// `turn` is 0-based: 0 grades the first answer alone (`single-v1`), 1 the second answer in the
/// whole conversation (`single-v1-multi-turn`, for questions of exactly two turns). With a
/// `reference` (GPT-4's turns, for [`NEED_REF_CATS`]) the `single-math-v1*` prompts are used.
pub fn mt_bench_request(
    questions: &[String],
    answers: &[String],
    turn: usize,
    reference: Option<&[String]>,
) -> Result<ChatRequest, MtBenchError> {
    let name = match (turn, reference.is_some()) {
        (0, false) => "single-v1",
        (0, true) => "single-math-v1",
        (1, false) => "single-v1-multi-turn",
        (1, true) => "single-math-v1-multi-turn",
        (t, _) => return Err(MtBenchError::Turn(t)),
    };
    if turn == 1 && questions.len() != 2 {
        return Err(MtBenchError::NotTwoTurns(questions.len()));
    }
    let need = turn + 1;
    let question = |i: usize| {
        questions
            .get(i)
            .map(String::as_str)
            .ok_or(MtBenchError::MissingQuestion(i))
    };
    if answers.len() < need {
        return Err(MtBenchError::MissingAnswer {
            have: answers.len(),
            need,
        });
    }
    let mut fields: Vec<(&str, &str)> = Vec::new();
    if let Some(r) = reference {
        if r.len() < need {
            return Err(MtBenchError::ShortReference {
                have: r.len(),
                need,
            });
        }
        fields.push(("ref_answer_1", r[0].as_str()));
        if turn == 1 {
            fields.push(("ref_answer_2", r[1].as_str()));
        }
    }
    if turn == 1 {
        fields.extend([
            ("question_1", question(0)?),
            ("question_2", question(1)?),
            ("answer_1", answers[0].as_str()),
            ("answer_2", answers[1].as_str()),
        ]);
    } else {
        fields.extend([("question", question(0)?), ("answer", answers[0].as_str())]);
    }
    let prompt = judge_prompt(name).expect("FastChat's four single-answer prompts are in data/");
    let user = python_format(&prompt.prompt_template, &fields)
        .expect("FastChat's single-answer templates format (tested)");
    Ok(ChatRequest {
        system: prompt.system_prompt.clone(),
        user,
    })
}

/// One judge request of an MT-Bench answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtBenchTurnRequest {
    /// FastChat's `turn` field: 1 or 2.
    pub turn: u8,
    /// The judge prompt's name (`single-v1`, …), stored by FastChat as `judge[1]`.
    pub judge_prompt: &'static str,
    pub request: ChatRequest,
}

/// Every request FastChat's `gen_judgment.py --mode single` makes for one answer: turn 1, and
/// turn 2 when the question has exactly two turns (all 80 do). `category` decides whether GPT-4's
/// reference answer for `question_id` goes in.
pub fn mt_bench_requests(
    question_id: u64,
    category: &str,
    questions: &[String],
    answers: &[String],
) -> Result<Vec<MtBenchTurnRequest>, MtBenchError> {
    let reference = if mt_bench_needs_reference(category) {
        Some(
            mt_bench_reference(question_id).ok_or_else(|| MtBenchError::NoReference {
                question_id,
                category: category.to_string(),
            })?,
        )
    } else {
        None
    };
    let math = reference.is_some();
    let mut out = vec![MtBenchTurnRequest {
        turn: 1,
        judge_prompt: if math { "single-math-v1" } else { "single-v1" },
        request: mt_bench_request(questions, answers, 0, reference)?,
    }];
    if questions.len() == 2 {
        out.push(MtBenchTurnRequest {
            turn: 2,
            judge_prompt: if math {
                "single-math-v1-multi-turn"
            } else {
                "single-v1-multi-turn"
            },
            request: mt_bench_request(questions, answers, 1, reference)?,
        });
    }
    Ok(out)
}

/// The rating in a judgment: the first `[[N]]` (N digits, optionally `.` and more digits), else
/// the first `[N]`, read as a Python literal. `None` where FastChat stored -1 (no match), and
/// also where `ast.literal_eval` raised and FastChat stored nothing (an integer with a leading
/// zero, `[[07]]`). Not clamped to 1..=10: `[[0]]`, `[[8.5]]` and `[[15]]` are kept as they were.
/// Digits are ASCII: Python's `\d` also matches other scripts' digits, which `literal_eval` then
/// rejects (FastChat's run stopped there), so a judgment such as `[[٨]] [[8]]` differs only where
/// the Python had no figure at all.
pub fn parse_mt_bench_rating(judgment: &str) -> Option<f64> {
    let found = find_rating(judgment, "[[", "]]").or_else(|| find_rating(judgment, "[", "]"))?;
    python_number_literal(found)
}

/// The first match of `open (\d+\.?\d*) close`, with ASCII digits; the group's text.
fn find_rating<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let bytes = s.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    (0..bytes.len()).find_map(|start| {
        if !bytes[start..].starts_with(open.as_bytes()) {
            return None;
        }
        let first = start + open.len();
        let mut end = first + digits(first);
        if end == first {
            return None;
        }
        if bytes.get(end) == Some(&b'.') {
            end += 1;
            end += digits(end);
        }
        // Only ASCII was stepped over, so `first` and `end` are character boundaries.
        bytes[end..]
            .starts_with(close.as_bytes())
            .then(|| &s[first..end])
    })
}

/// `ast.literal_eval` of `\d+\.?\d*` (ASCII): a float where there is a point; an integer
/// otherwise, which Python rejects with a leading zero unless it is all zeros.
fn python_number_literal(text: &str) -> Option<f64> {
    if !text.contains('.')
        && text.len() > 1
        && text.starts_with('0')
        && text.bytes().any(|b| b != b'0')
    {
        return None;
    }
    text.parse::<f64>().ok()
}

/// MobileAIBench's MT-Bench figure: the mean of the ratings, leaving out the failed ones (the
/// -1s); both turns of every question together. `None` when none was parsed.
pub fn mt_bench_score(ratings: &[Option<f64>]) -> Option<f64> {
    let parsed: Vec<f64> = ratings.iter().flatten().copied().collect();
    (!parsed.is_empty()).then(|| parsed.iter().sum::<f64>() / parsed.len() as f64)
}

/// Python's `str.format(**fields)` for templates of plain `{name}` fields and `{{` / `}}`
/// escapes (all FastChat's single-answer templates are). Substituted text is never re-read.
fn python_format(template: &str, fields: &[(&str, &str)]) -> Result<String, String> {
    let mut out =
        String::with_capacity(template.len() + fields.iter().map(|f| f.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if tail.starts_with('}') {
            return Err("single '}' in template".into());
        } else {
            let close = tail.find('}').ok_or("unclosed '{' in template")?;
            let name = &tail[1..close];
            let value = fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| format!("template field `{name}` has no value"))?;
            out.push_str(value);
            rest = &tail[close + 1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_four_single_prompts_are_there_and_format() {
        for name in [
            "single-v1",
            "single-math-v1",
            "single-v1-multi-turn",
            "single-math-v1-multi-turn",
        ] {
            let p = judge_prompt(name).unwrap();
            assert_eq!(
                (p.kind.as_str(), p.output_format.as_str()),
                ("single", "[[rating]]")
            );
        }
        assert_eq!(judge_prompts().len(), 8);
        assert_eq!(
            judge_prompt("single-v1").unwrap().system_prompt,
            "You are a helpful assistant."
        );
    }

    #[test]
    fn first_turn_general() {
        let r = mt_bench_request(&s(&["Q1 {x}", "Q2"]), &s(&["A1 }{", "A2"]), 0, None).unwrap();
        assert_eq!(r.system, "You are a helpful assistant.");
        assert_eq!(
            r.user,
            "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an AI assistant to the user question displayed below. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin your evaluation by providing a short explanation. Be as objective as possible. After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n[Question]\nQ1 {x}\n\n[The Start of Assistant's Answer]\nA1 }{\n[The End of Assistant's Answer]"
        );
    }

    #[test]
    fn second_turn_math_with_reference() {
        let r = mt_bench_request(
            &s(&["Q1", "Q2"]),
            &s(&["A1", "A2"]),
            1,
            Some(&s(&["R1", "R2"])),
        )
        .unwrap();
        let p = judge_prompt("single-math-v1-multi-turn").unwrap();
        assert_eq!(r.system, p.system_prompt);
        assert!(r.system.ends_with("\"Rating: [[5]]\".\n\n"));
        assert_eq!(
            r.user,
            "<|The Start of Reference Answer|>\n\n### User:\nQ1\n\n### Reference answer:\nR1\n\n### User:\nQ2\n\n### Reference answer:\nR2\n\n<|The End of Reference Answer|>\n\n\n<|The Start of Assistant A's Conversation with User|>\n\n### User:\nQ1\n\n### Assistant A:\nA1\n\n### User:\nQ2\n\n### Assistant A:\nA2\n\n<|The End of Assistant A's Conversation with User|>"
        );
    }

    #[test]
    fn request_errors() {
        let two = s(&["Q1", "Q2"]);
        assert_eq!(
            mt_bench_request(&two, &two, 2, None),
            Err(MtBenchError::Turn(2))
        );
        assert_eq!(
            mt_bench_request(&s(&["Q1"]), &two, 1, None),
            Err(MtBenchError::NotTwoTurns(1))
        );
        assert_eq!(
            mt_bench_request(&two, &s(&["A1"]), 1, None),
            Err(MtBenchError::MissingAnswer { have: 1, need: 2 })
        );
        assert_eq!(
            mt_bench_request(&two, &two, 1, Some(&s(&["R1"]))),
            Err(MtBenchError::ShortReference { have: 1, need: 2 })
        );
        assert_eq!(
            mt_bench_request(&[], &two, 0, None),
            Err(MtBenchError::MissingQuestion(0))
        );
    }

    #[test]
    fn references_and_categories() {
        for cat in ["math", "reasoning", "coding", "arena-hard-200"] {
            assert!(mt_bench_needs_reference(cat));
        }
        for cat in [
            "writing",
            "roleplay",
            "extraction",
            "stem",
            "humanities",
            "Math",
        ] {
            assert!(!mt_bench_needs_reference(cat));
        }
        let r = mt_bench_reference(101).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].starts_with("If you have just overtaken the second person"));
        assert_eq!(mt_bench_reference(81), None);
        let reqs =
            mt_bench_requests(101, "reasoning", &s(&["Q1", "Q2"]), &s(&["A1", "A2"])).unwrap();
        assert_eq!(
            reqs.iter()
                .map(|r| (r.turn, r.judge_prompt))
                .collect::<Vec<_>>(),
            [(1, "single-math-v1"), (2, "single-math-v1-multi-turn")]
        );
        assert!(reqs[0]
            .request
            .user
            .contains(&format!("[The Start of Reference Answer]\n{}\n", r[0])));
        let reqs = mt_bench_requests(81, "writing", &s(&["Q1", "Q2"]), &s(&["A1", "A2"])).unwrap();
        assert_eq!(
            reqs.iter()
                .map(|r| (r.turn, r.judge_prompt))
                .collect::<Vec<_>>(),
            [(1, "single-v1"), (2, "single-v1-multi-turn")]
        );
        let one = mt_bench_requests(81, "writing", &s(&["Q1"]), &s(&["A1"])).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(
            mt_bench_requests(81, "math", &s(&["Q1", "Q2"]), &s(&["A1", "A2"])),
            Err(MtBenchError::NoReference {
                question_id: 81,
                category: "math".into()
            })
        );
    }

    #[test]
    fn rating_parsing_is_fastchats() {
        let p = parse_mt_bench_rating;
        assert_eq!(p("Rating: [[5]]"), Some(5.0));
        assert_eq!(p("[[10]]"), Some(10.0));
        assert_eq!(p("[[8.5]]"), Some(8.5));
        assert_eq!(p("[[7.]]"), Some(7.0));
        assert_eq!(p("[[0]]"), Some(0.0));
        assert_eq!(p("[[00]]"), Some(0.0));
        assert_eq!(p("[[15]]"), Some(15.0));
        // The first double-bracket match wins over an earlier single-bracket one.
        assert_eq!(p("[3] then [[6]]"), Some(6.0));
        assert_eq!(p("[[[4]]]"), Some(4.0));
        // Fallback to single brackets.
        assert_eq!(p("Rating: [7]"), Some(7.0));
        assert_eq!(p("[[x]] [9]"), Some(9.0));
        // Failures: -1.
        assert_eq!(p("Rating: 7/10"), None);
        assert_eq!(p("[[8/10]]"), None);
        assert_eq!(p("[[ 8 ]]"), None);
        assert_eq!(p("[[-3]]"), None);
        assert_eq!(p("[[.5]]"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("$ERROR$"), None);
        // A match Python's literal_eval rejects.
        assert_eq!(p("[[07]]"), None);
        assert_eq!(p("[[07.5]]"), Some(7.5));
        // Non-ASCII text around the rating is stepped over by characters, not bytes.
        assert_eq!(p("Évaluation — très bien [[8]]"), Some(8.0));
        assert_eq!(p("[[٨]] [[8]]"), Some(8.0));
    }

    #[test]
    fn score_leaves_failed_ratings_out() {
        assert_eq!(mt_bench_score(&[Some(8.0), None, Some(5.0)]), Some(6.5));
        assert_eq!(mt_bench_score(&[None]), None);
        assert_eq!(mt_bench_score(&[]), None);
    }

    #[test]
    fn python_format_rules() {
        assert_eq!(
            python_format("a{{b}}c{x}", &[("x", "{y}")]).unwrap(),
            "a{b}c{y}"
        );
        assert!(python_format("{z}", &[]).is_err());
        assert!(python_format("}", &[]).is_err());
        assert!(python_format("{", &[]).is_err());
    }
}
