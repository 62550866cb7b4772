//! Agreement with the Python reference implementations, through the vectors
//! that `vectors/make_vectors.py` generated from MobileAIBench's evaluation
//! code running on NLTK, rouge-score and python-Levenshtein.

use mobench_metrics::{bleu, levenshtein_ratio, porter, rouge, sql, squad, vqa, Metric};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn cases(name: &str) -> Vec<Value> {
    let path = format!("{}/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = file["cases"].as_array().expect("cases array").clone();
    assert!(cases.len() >= 100, "{name}: only {} cases", cases.len());
    cases
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {case}"))
}

fn number(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {case}"))
}

/// Compares every case and reports all disagreements at once.
fn check(name: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{name}: {} disagreements with the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= TOLERANCE
}

#[test]
fn squad_em_f1_and_normalization_match_mobileaibench() {
    let mut failures = Vec::new();
    for case in cases("squad") {
        let (p, r) = (text(&case, "prediction"), text(&case, "reference"));
        let normalized = squad::normalize_answer(p);
        if normalized != text(&case, "normalized_prediction") {
            failures.push(format!(
                "normalize {p:?}: got {normalized:?}, want {}",
                case["normalized_prediction"]
            ));
        }
        let (em, f1) = (squad::em(p, r), squad::f1(p, r));
        if !close(em, number(&case, "em")) || !close(f1, number(&case, "f1")) {
            failures.push(format!(
                "{p:?} vs {r:?}: got em {em} f1 {f1}, want {} {}",
                case["em"], case["f1"]
            ));
        }
    }
    check("squad", failures);
}

#[test]
fn bleu_matches_nltk() {
    let mut failures = Vec::new();
    for case in cases("bleu") {
        let (p, r) = (text(&case, "prediction"), text(&case, "reference"));
        let ours = bleu::bleu(p, r);
        if !close(ours, number(&case, "bleu")) {
            failures.push(format!(
                "bleu({p:?}, {r:?}) = {ours}, want {}",
                case["bleu"]
            ));
        }
        let conventional = bleu::sentence_bleu_chars(r, p);
        if !close(conventional, number(&case, "sentence_bleu_ref_hyp")) {
            failures.push(format!(
                "sentence_bleu([{r:?}], {p:?}) = {conventional}, want {}",
                case["sentence_bleu_ref_hyp"]
            ));
        }
    }
    check("bleu", failures);
}

#[test]
fn rouge_matches_rouge_score() {
    let mut failures = Vec::new();
    for case in cases("rouge") {
        let (p, r) = (text(&case, "prediction"), text(&case, "reference"));
        let (r1, rl) = (rouge::rouge1(p, r), rouge::rouge_l(p, r));
        if !close(r1, number(&case, "rouge1")) || !close(rl, number(&case, "rougeL")) {
            failures.push(format!(
                "{p:?} vs {r:?}: got {r1} {rl}, want {} {}",
                case["rouge1"], case["rougeL"]
            ));
        }
    }
    check("rouge", failures);
}

#[test]
fn porter_matches_nltk() {
    let mut failures = Vec::new();
    for case in cases("porter") {
        let (word, expected) = (
            case[0].as_str().expect("word"),
            case[1].as_str().expect("stem"),
        );
        let ours = porter::stem(word);
        if ours != expected {
            failures.push(format!("{word}: got {ours}, want {expected}"));
        }
    }
    check("porter", failures);
}

#[test]
fn levenshtein_matches_python_levenshtein() {
    let mut failures = Vec::new();
    for case in cases("levenshtein") {
        let (a, b) = (text(&case, "a"), text(&case, "b"));
        let ours = levenshtein_ratio(a, b);
        if !close(ours, number(&case, "ratio")) {
            failures.push(format!(
                "ratio({a:?}, {b:?}) = {ours}, want {}",
                case["ratio"]
            ));
        }
    }
    check("levenshtein", failures);
}

#[test]
fn sql_parser_and_f1_match_mobileaibench() {
    let mut failures = Vec::new();
    for case in cases("sql") {
        let (p, r) = (text(&case, "prediction"), text(&case, "reference"));
        let expected_pairs: Vec<(String, String)> = case["reference_pairs"]
            .as_array()
            .expect("pairs")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("clause").into(),
                    pair[1].as_str().expect("value").into(),
                )
            })
            .collect();
        let pairs: Vec<(String, String)> = sql::parse_sql_clauses(r)
            .into_iter()
            .map(|(clause, value)| (clause.to_string(), value))
            .collect();
        if pairs != expected_pairs {
            failures.push(format!(
                "parse {r:?}: got {pairs:?}, want {expected_pairs:?}"
            ));
        }
        let ours = sql::sql_f1(p, r);
        if !close(ours, number(&case, "sql_f1")) {
            failures.push(format!(
                "sql_f1({p:?}, {r:?}) = {ours}, want {}",
                case["sql_f1"]
            ));
        }
    }
    check("sql", failures);
}

#[test]
fn metric_dispatch_uses_the_same_functions() {
    let case = &cases("rouge")[200];
    let (p, r) = (text(case, "prediction"), text(case, "reference"));
    assert_eq!(
        Metric::RougeL.score(p, r).value(),
        Some(rouge::rouge_l(p, r))
    );
    let case = &cases("bleu")[300];
    let (p, r) = (text(case, "prediction"), text(case, "reference"));
    let expected = number(case, "bleu");
    let got = Metric::Bleu.score(p, r).value().expect("bleu value");
    assert!(close(got, expected), "{got} vs {expected}");
}

// ------------------------------------------------------------------
// Extraction on the real MobileAIBench datasets (../shared/datasets).

fn dataset(name: &str) -> Vec<csv::StringRecord> {
    let path = format!(
        "{}/../../../shared/datasets/mobileaibench/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let records: Vec<_> = reader.records().map(|r| r.expect("csv record")).collect();
    assert!(records.len() >= 100, "{path}: {} rows", records.len());
    records
}

/// `(prompt, answer)` of a `system,prompt,answer` dataset.
fn prompt_and_answer(record: &csv::StringRecord) -> (&str, &str) {
    (
        record.get(1).expect("prompt"),
        record.get(2).expect("answer"),
    )
}

/// The `X. text` option lines of a multiple-choice prompt.
fn options(prompt: &str) -> Vec<(char, &str)> {
    prompt
        .lines()
        .filter_map(|line| {
            let mut chars = line.chars();
            let letter = chars.next()?;
            let rest = line.get(1..)?.strip_prefix(". ")?;
            letter.is_ascii_uppercase().then_some((letter, rest))
        })
        .collect()
}

#[test]
fn letters_from_multiple_choice_datasets() {
    use mobench_metrics::extract::letter;
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in ["mmlu", "bbq", "truthful_qa"] {
        for record in dataset(name) {
            let (prompt, answer) = prompt_and_answer(&record);
            let gold = answer.chars().next().expect("gold letter");
            if letter(answer) != Some(gold) {
                failures.push(format!("{name}: gold {answer:?} not read"));
            }
            let options = options(prompt);
            let Some(&(_, text)) = options.iter().find(|(l, _)| *l == gold) else {
                failures.push(format!("{name}: no option {gold} in {prompt:?}"));
                continue;
            };
            for prediction in [
                format!("{gold}. {text}"),
                format!("{gold}) {text}"),
                format!("**{gold}**"),
                format!("Answer: ({gold})"),
                format!("The answer is {gold}. {text}"),
                format!("The correct answer is: {gold}. {text}\n\nExplanation: the other options do not hold."),
            ] {
                checked += 1;
                if letter(&prediction) != Some(gold) {
                    failures.push(format!("{name}: {prediction:?} read as {:?}", letter(&prediction)));
                }
            }
            // Echoing the whole option list is not an answer.
            let listing: Vec<String> = options.iter().map(|(l, t)| format!("{l}. {t}")).collect();
            let listing = listing.join("\n");
            checked += 1;
            if letter(&listing).is_some() {
                failures.push(format!(
                    "{name}: option list {listing:?} read as {:?}",
                    letter(&listing)
                ));
            }
        }
    }
    assert!(checked > 10_000);
    check("letters", failures);
}

#[test]
fn numbers_from_gsm8k() {
    use mobench_metrics::extract::number;
    let mut failures = Vec::new();
    for record in dataset("gsm8k") {
        let (_, answer) = prompt_and_answer(&record);
        let gold: f64 = answer
            .replace(',', "")
            .parse()
            .expect("integer gold answer");
        for prediction in [
            answer.to_string(),
            format!("First 3 + 4 = 7, then 7 * 2 = 14.\n<answer>{answer}</answer>"),
            format!(
                "(e.g., <answer>10</answer>) The total is ${answer}. <answer>${answer}</answer>"
            ),
            format!("So she has {answer} left."),
        ] {
            if number(&prediction) != Some(gold) {
                failures.push(format!(
                    "{prediction:?} read as {:?}, want {gold}",
                    number(&prediction)
                ));
            }
        }
    }
    check("gsm8k", failures);
}

#[test]
fn labels_from_social_chemistry() {
    let mut failures = Vec::new();
    for record in dataset("social_chemistry_101") {
        let (_, answer) = prompt_and_answer(&record);
        let capitalised = format!("{}{}", answer[..1].to_uppercase(), &answer[1..]);
        for prediction in [
            answer.to_string(),
            format!("{capitalised}."),
            format!("This action is \"{answer}\"."),
        ] {
            if Metric::Label.score(&prediction, answer).value() != Some(1.0) {
                failures.push(format!("{prediction:?} vs {answer:?}"));
            }
        }
    }
    check("social_chemistry_101", failures);
}

#[test]
fn vqa_accuracy_matches_the_official_vqa_evaluation() {
    let strings = |case: &Value, key: &str| -> Vec<String> {
        case[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} missing in {case}"))
            .iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    };
    let mut failures = Vec::new();
    for case in cases("vqa") {
        let prediction = text(&case, "prediction");
        let references = strings(&case, "references");
        let punctuation = vqa::process_punctuation(prediction);
        let processed = vqa::process_digit_article(&punctuation);
        if punctuation != text(&case, "punctuation")
            || processed != text(&case, "processed_prediction")
        {
            failures.push(format!(
                "process {prediction:?}: got {punctuation:?} then {processed:?}, want {} then {}",
                case["punctuation"], case["processed_prediction"]
            ));
        }
        // The answers the official code compared: processed unless all ten are identical.
        let compared = if case.get("processed_references").is_some() {
            strings(&case, "processed_references")
        } else {
            references.clone()
        };
        let cleaned: Vec<String> = references.iter().map(|r| vqa::clean_answer(r)).collect();
        let ours: Vec<String> = if cleaned.iter().all(|r| *r == cleaned[0]) {
            cleaned
        } else {
            cleaned.iter().map(|r| vqa::process_answer(r)).collect()
        };
        if ours != compared {
            failures.push(format!(
                "answers {references:?}: got {ours:?}, want {compared:?}"
            ));
        }
        let expected = number(&case, "accuracy");
        let json = serde_json::to_string(&references).unwrap();
        let outcome = Metric::VqaAccuracy.score(prediction, &json);
        match (vqa::vqa_accuracy(prediction, &references), outcome.value()) {
            (Some(direct), Some(scored)) if close(direct, expected) && direct == scored => {}
            (direct, scored) => failures.push(format!(
                "vqa_accuracy({prediction:?}, {references:?}) = {direct:?} (score {scored:?}), want {expected}"
            )),
        }
    }
    check("vqa", failures);
}
