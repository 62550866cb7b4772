//! `mobench score` on predictions made elsewhere, and `mobench datasets fetch` against a real
//! HTTP server on 127.0.0.1.

use std::path::Path;

use crate::support::{sha256_hex, shared_datasets, Env, Out};
use mobench_tasks::testkit::{Reply, TestServer};

fn write_pairs(env: &Env, name: &str, lines: &[&str]) -> String {
    let path = env.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn score_grades_pairs_in_input_order() {
    let env = Env::new();
    let input = write_pairs(
        &env,
        "pairs.jsonl",
        &[
            r#"{"prediction": "The Eiffel Tower", "reference": "the eiffel tower!"}"#,
            r#"{"prediction": "blue whale", "reference": "red fox"}"#,
            r#"{"prediction": "Paris, France", "reference": "Paris"}"#,
        ],
    );
    let v = env.json(&["score", "--metric", "f1", "--input", &input, "--json"]);
    assert_eq!(v["metric"], "f1");
    assert_eq!(v["n"], 3);
    let scores: Vec<f64> = v["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .map(|s| s.as_f64().expect("a number"))
        .collect();
    // Identical after SQuAD normalization; disjoint; one of two tokens matches (p 1/2, r 1).
    let expected = [1.0, 0.0, 2.0 * 0.5 / 1.5];
    assert_eq!(scores.len(), 3);
    for (got, want) in scores.iter().zip(expected) {
        assert!((got - want).abs() < 1e-12, "{scores:?} != {expected:?}");
    }
    let mean = v["mean"].as_f64().unwrap();
    assert!((mean - expected.iter().sum::<f64>() / 3.0).abs() < 1e-12);

    // Another metric on the same file: exact match.
    let v = env.json(&["score", "--metric", "em", "--input", &input, "--json"]);
    assert_eq!(v["scores"], serde_json::json!([1.0, 0.0, 0.0]));

    // Letters, as MobileAIBench's multiple-choice answers come.
    let letters = write_pairs(
        &env,
        "letters.jsonl",
        &[
            r#"{"prediction": "The answer is (B).", "reference": "B"}"#,
            r#"{"prediction": "A", "reference": "C"}"#,
        ],
    );
    let v = env.json(&["score", "--metric", "letter", "--input", &letters, "--json"]);
    assert_eq!(v["scores"], serde_json::json!([1.0, 0.0]));
    assert_eq!(v["mean"], 0.5);

    // The readable form names the metric and the count.
    let text = env
        .ok(&["score", "--metric", "f1", "--input", &input])
        .stdout;
    assert!(text.contains("f1") && text.contains('3'), "{text}");
}

#[test]
fn score_rejects_unknown_metrics_and_malformed_lines() {
    let env = Env::new();
    let input = write_pairs(
        &env,
        "pairs.jsonl",
        &[r#"{"prediction": "a", "reference": "a"}"#],
    );
    let line = env
        .run(&["score", "--metric", "accuracy", "--input", &input, "--json"])
        .error_line();
    for name in [
        "accuracy",
        "em",
        "f1",
        "bleu",
        "rouge1",
        "rougeL",
        "levenshtein",
        "sql_f1",
        "letter",
        "number",
        "label",
        "refusal",
        "vqa_accuracy",
    ] {
        assert!(line.contains(name), "{name} not listed in {line:?}");
    }

    let bad = write_pairs(
        &env,
        "bad.jsonl",
        &[
            r#"{"prediction": "a", "reference": "a"}"#,
            r#"{"prediction": "b", "reference": "b"}"#,
            r#"{"prediction": "c" "reference": "c"}"#,
        ],
    );
    let out = env.run(&["score", "--metric", "f1", "--input", &bad, "--json"]);
    let line = out.error_line();
    assert!(
        line.contains(&bad) && line.contains("line 3: column 20"),
        "{line}"
    );
    assert!(
        !line.contains("line 1"),
        "serde's per-line position is not shown: {line}"
    );
    assert!(out.stdout.is_empty(), "no partial result: {out}");

    let missing_field = write_pairs(&env, "nofield.jsonl", &[r#"{"prediction": "a"}"#]);
    let line = env
        .run(&["score", "--metric", "f1", "--input", &missing_field])
        .error_line();
    assert!(
        line.contains(&missing_field) && line.contains("line 1"),
        "{line}"
    );

    let absent = env.path().join("absent.jsonl");
    let line = env
        .run(&[
            "score",
            "--metric",
            "f1",
            "--input",
            absent.to_str().unwrap(),
        ])
        .error_line();
    assert!(line.contains(absent.to_str().unwrap()), "{line}");
}

#[test]
fn score_vqa_accuracy_grades_against_the_human_answers() {
    let env = Env::new();
    let input = write_pairs(
        &env,
        "vqa.jsonl",
        &[
            // Four humans said blue, six purple: processed, "Purple." matches six.
            r#"{"prediction": "Purple.", "references": ["blue", "blue", "purple", "purple", "blue", "purple", "purple", "purple", "purple", "blue"]}"#,
            // All ten agree, so nothing is processed (as in the official code): "Yes" is not "yes".
            r#"{"prediction": "Yes", "references": ["yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"]}"#,
            // One human agrees after the article goes: 9 answers see one match, 1 sees none.
            r#"{"prediction": "a dog", "references": ["dog", "cat", "cat", "cat", "cat", "cat", "cat", "cat", "cat", "cat"]}"#,
            // Three agree ("two" is 2): 7 answers see three, 3 see two.
            r#"{"prediction": "two", "references": ["2", "2", "2", "1", "1", "1", "1", "1", "1", "1"]}"#,
        ],
    );
    let v = env.json(&[
        "score",
        "--metric",
        "vqa_accuracy",
        "--input",
        &input,
        "--json",
    ]);
    assert_eq!(v["metric"], "vqa_accuracy");
    assert_eq!(v["n"], 4);
    let expected = [1.0, 0.0, 0.3, (7.0 + 3.0 * 2.0 / 3.0) / 10.0];
    let scores = v["scores"].as_array().expect("scores");
    for (got, want) in scores.iter().zip(expected) {
        let got = got.as_f64().expect("a number");
        assert!((got - want).abs() < 1e-12, "{scores:?} != {expected:?}");
    }
    let mean = v["mean"].as_f64().unwrap();
    assert!((mean - expected.iter().sum::<f64>() / 4.0).abs() < 1e-12);

    // A list of answers for a metric that takes one reference is a mistake in the file.
    let bad = write_pairs(
        &env,
        "bad.jsonl",
        &[
            r#"{"prediction": "yes", "reference": "yes"}"#,
            r#"{"prediction": "yes", "references": ["yes", "no"]}"#,
        ],
    );
    let out = env.run(&["score", "--metric", "em", "--input", &bad, "--json"]);
    let line = out.error_line();
    assert!(
        line.contains(&bad) && line.contains("line 2") && line.contains("\"references\""),
        "{line}"
    );
    assert!(out.stdout.is_empty(), "no partial result: {out}");

    // vqa_accuracy with neither field names the one it needs.
    let line = env
        .run(&[
            "score",
            "--metric",
            "vqa_accuracy",
            "--input",
            &write_pairs(&env, "none.jsonl", &[r#"{"prediction": "yes"}"#]),
        ])
        .error_line();
    assert!(
        line.contains("none.jsonl")
            && line.contains("line 1")
            && line.contains("no \"references\""),
        "{line}"
    );
}

/// The first line of each request the server answered.
fn request_lines(server: TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|h| h.lines().next().unwrap_or_default().to_string())
        .collect()
}

fn fetch_mmlu(env: &Env, mirror: &str, dir: &Path) -> Out {
    env.run(&[
        "datasets",
        "fetch",
        "--mirror",
        mirror,
        "--datasets",
        "mmlu",
        "--datasets-dir",
        dir.to_str().unwrap(),
    ])
}

#[test]
fn a_download_with_the_wrong_checksum_is_discarded() {
    let env = Env::new();
    let mut wrong = std::fs::read(shared_datasets().join("mmlu.csv")).unwrap();
    // Same size, different bytes: only the checksum can tell.
    let mid = wrong.len() / 2;
    wrong[mid] = if wrong[mid] == b'x' { b'y' } else { b'x' };
    let server = TestServer::start(vec![("/mmlu.csv", Reply::Body(wrong))], 1);
    let dir = env.path().join("datasets");
    let out = fetch_mmlu(&env, &server.base, &dir);
    let line = out.error_line();
    assert!(line.contains("checksum mismatch"), "{line}");
    assert!(line.contains("mmlu.csv"), "{line}");
    assert_eq!(request_lines(server), ["GET /mmlu.csv HTTP/1.1"]);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing may be left behind: {left:?}");
}

#[test]
fn a_good_download_is_verified_and_kept() {
    let env = Env::new();
    let shared = shared_datasets().join("mmlu.csv");
    let server = TestServer::start(
        vec![("/mmlu.csv", Reply::Body(std::fs::read(&shared).unwrap()))],
        1,
    );
    let dir = env.path().join("datasets");
    let out = fetch_mmlu(&env, &format!("{}/", server.base), &dir);
    out.assert_success();
    assert_eq!(request_lines(server), ["GET /mmlu.csv HTTP/1.1"]);
    let file = dir.join("mmlu.csv");
    assert_eq!(sha256_hex(&file), sha256_hex(&shared));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["mmlu.csv"], "no partial file is left");

    // verify: this file checks out (the others of the catalog are not there).
    let out = env.run(&[
        "datasets",
        "verify",
        "--datasets-dir",
        dir.to_str().unwrap(),
    ]);
    out.assert_no_panic();
    let ok_line = format!("ok       {}", file.display());
    assert!(
        out.stdout.lines().any(|l| l == ok_line),
        "mmlu.csv verified:\n{out}"
    );
    assert!(!out.stdout.contains("MISMATCH"), "{out}");
    let list = env.json(&[
        "datasets",
        "list",
        "--datasets-dir",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let mmlu = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "mmlu")
        .expect("mmlu listed");
    assert_eq!(mmlu["present"], true);

    // Fetching again finds the file in place and contacts nobody (the server has stopped).
    let again = fetch_mmlu(&env, "http://127.0.0.1:9", &dir);
    again.assert_success();
    assert!(again.stderr.contains("checksum ok"), "{again}");
    assert_eq!(sha256_hex(&file), sha256_hex(&shared));

    // The downloaded copy runs.
    let result = env
        .run_mmlu_from(&dir, &["--limit", "1", "--json"])
        .assert_success()
        .json();
    assert_eq!(result["status"], "completed");
}
