//! The protocols against vectors made by running MobileAIBench's own Python grading code
//! (`vectors/make_vectors.py`): same requests byte for byte, same figures.

use mobench_judge::protocol::*;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../vectors/protocol_vectors.json")).unwrap()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| text(t).to_string())
        .collect()
}

#[test]
fn chat_requests_and_verdicts_match_the_python() {
    let v = vectors();
    let rows = v["chat"].as_array().unwrap();
    assert_eq!(rows.len(), 18);
    for r in rows {
        let dataset = text(&r["dataset"]);
        let protocol = protocol_for(dataset).unwrap();
        let input = JudgeInput {
            question: text(&r["row"]["prompt"]),
            reference: text(&r["row"]["answer"]),
            prediction: text(&r["prediction"]),
        };
        let req = judge_request(protocol, &input).unwrap();
        assert_eq!(req.system, text(&r["system"]), "{dataset}");
        assert_eq!(req.user, text(&r["user"]), "{dataset}: {r}");
        let verdict = parse_judgment(protocol, text(&r["judgment"])).unwrap();
        let value = r["value"].as_f64().unwrap();
        assert_eq!(verdict.value, value, "{dataset}: {}", r["judgment"]);
        assert_eq!(verdict.parsed, value != 0.5);
        let grader = protocol.paper_grader();
        assert_eq!(r["settings"]["model"], grader.model);
        assert_eq!(r["settings"]["max_tokens"], grader.max_tokens.unwrap());
        assert_eq!(r["settings"]["temperature"], 0);
        assert_eq!(r["settings"]["top_p"], 1);
    }
}

#[test]
fn dataset_figures_and_dispatch_match_the_python() {
    let v = vectors();
    let scores = v["chat_scores"].as_object().unwrap();
    assert_eq!(scores.len(), 7);
    for (dataset, s) in scores {
        let protocol = protocol_for(dataset).unwrap();
        let function = match protocol {
            Protocol::ExactMatch => "grade_exact_match",
            Protocol::DoNotAnswer => "grade_do_not_answer",
            Protocol::PrivacyLeakage => "grade_privacy_leakage",
            other => panic!("{dataset}: {other:?}"),
        };
        assert_eq!(s["function_dispatched"], function, "{dataset}");
        let verdicts: Vec<Verdict> = v["chat"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["dataset"] == dataset.as_str())
            .map(|r| parse_judgment(protocol, text(&r["judgment"])).unwrap())
            .collect();
        assert_eq!(dataset_score(&verdicts), s["score"].as_f64(), "{dataset}");
    }
}

#[test]
fn adv_instruction_matches_the_python() {
    let v = vectors();
    let cases = v["adv_instruction"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = text(&c["name"]);
        let rows = c["rows"].as_array().unwrap();
        let answers: Vec<&str> = rows.iter().map(|r| text(&r["answer"])).collect();
        let predictions: Vec<&str> = rows.iter().map(|r| text(&r["prediction"])).collect();
        // What is embedded: every row's prediction, as is.
        assert_eq!(texts(&c["embedded"]), predictions, "{name}");
        assert_eq!(
            c["embedding_model"][0],
            Protocol::AdvInstruction.paper_grader().model
        );
        let vectors: Vec<Option<Vec<f32>>> = predictions
            .iter()
            .map(|p| {
                Some(
                    c["embeddings"][*p]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap() as f32)
                        .collect(),
                )
            })
            .collect();
        let grouping = group_adv_rows(&answers).unwrap();
        let ours = adv_instruction_score_for(&grouping, &vectors).unwrap();
        match c["score"].as_f64() {
            Some(expected) => {
                let ours = ours.unwrap();
                assert!(
                    (ours - expected).abs() < 1e-12,
                    "{name}: {ours} vs {expected}"
                );
            }
            None => {
                // np.mean of groups of different sizes raised; we pool every pair.
                assert!(text(&c["python_error"]).contains("inhomogeneous"), "{name}");
                assert_eq!(name, "ragged_groups");
                let g = &grouping.groups;
                assert_eq!((g[0].variants.len(), g[1].variants.len()), (1, 2));
                let d: Vec<Vec<f64>> = g
                    .iter()
                    .map(|g| {
                        let o = vectors[g.original].as_ref().unwrap();
                        let vs: Vec<&Vec<f32>> = g
                            .variants
                            .iter()
                            .map(|&r| vectors[r].as_ref().unwrap())
                            .collect();
                        adv_group_distances(o, &vs).unwrap()
                    })
                    .collect();
                let pooled = 1.0 - (d[0][0] + d[1][0] + d[1][1]) / 3.0;
                assert!((ours.unwrap() - pooled).abs() < 1e-15);
            }
        }
    }
}

#[test]
fn mt_bench_requests_and_ratings_match_fastchat() {
    let v = vectors();
    let mt = &v["mt_bench"];
    let judged = mt["judgments"].as_array().unwrap();
    assert_eq!(judged.len(), 13);
    let mut ratings = Vec::new();
    for j in judged {
        let qid = j["question_id"].as_u64().unwrap();
        let category = text(&j["category"]);
        let questions = texts(&j["questions"]);
        let answers = texts(&j["answers"]);
        let turn = j["turn"].as_u64().unwrap() as usize;
        let reference =
            mt_bench_needs_reference(category).then(|| mt_bench_reference(qid).unwrap());
        let req = mt_bench_request(&questions, &answers, turn - 1, reference).unwrap();
        assert_eq!(req.system, text(&j["system"]), "{qid}/{turn}");
        assert_eq!(req.user, text(&j["user"]), "{qid}/{turn}");
        // The high-level builder: same request, same judge prompt name, same turns graded.
        let all = mt_bench_requests(qid, category, &questions, &answers).unwrap();
        let mine = all.iter().find(|r| r.turn as usize == turn).unwrap();
        assert_eq!(mine.request, req);
        assert_eq!(mine.judge_prompt, text(&j["judge_prompt"]));
        let graded_turns = judged
            .iter()
            .filter(|o| o["question_id"] == j["question_id"])
            .count();
        assert_eq!(all.len(), graded_turns, "{qid}");
        let grader = Protocol::MtBench.paper_grader();
        assert_eq!(j["settings"]["model"], grader.model);
        assert_eq!(j["settings"]["max_tokens"], grader.max_tokens.unwrap());
        assert_eq!(j["settings"]["temperature"], 0);
        let rating = parse_mt_bench_rating(text(&j["judgment"]));
        let score = j["score"].as_f64().unwrap();
        assert_eq!(
            rating,
            (score != -1.0).then_some(score),
            "{}",
            j["judgment"]
        );
        ratings.push(rating);
    }
    let ours = mt_bench_score(&ratings).unwrap();
    let expected = mt["score"].as_f64().unwrap();
    assert!((ours - expected).abs() < 1e-12, "{ours} vs {expected}");

    for r in mt["ratings"].as_array().unwrap() {
        let judgment = text(&r["judgment"]);
        let expected = match r.get("score") {
            Some(s) if s.as_f64() == Some(-1.0) => None,
            Some(s) => Some(s.as_f64().unwrap()),
            // literal_eval raised (`[[07]]`): FastChat stored no judgment.
            None => None,
        };
        assert_eq!(parse_mt_bench_rating(judgment), expected, "{judgment:?}");
    }
}
