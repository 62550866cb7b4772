//! The judge data in `data/` is FastChat's, unchanged (hashes in `data/README.md`).

use mobench_judge::protocol::{judge_prompts, mt_bench_reference};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn data_files_are_fastchats_verbatim() {
    let readme = include_str!("../data/README.md");
    for (name, bytes, hash) in [
        (
            "judge_prompts.jsonl",
            &include_bytes!("../data/judge_prompts.jsonl")[..],
            "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6",
        ),
        (
            "mt_bench_reference_answer_gpt-4.jsonl",
            &include_bytes!("../data/mt_bench_reference_answer_gpt-4.jsonl")[..],
            "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
        ),
    ] {
        assert_eq!(sha256(bytes), hash, "{name}");
        assert!(
            readme.contains(&format!("{hash}  {name}")),
            "{name} in README"
        );
    }
}

#[test]
fn data_parses() {
    let names: Vec<&str> = judge_prompts().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pair-v2",
            "pair-v2-multi-turn",
            "pair-math-v1",
            "pair-math-v1-multi-turn",
            "single-v1",
            "single-math-v1",
            "single-v1-multi-turn",
            "single-math-v1-multi-turn"
        ]
    );
    // Math, reasoning and coding: questions 101..=130, two reference turns each.
    for id in 101..=130 {
        assert_eq!(mt_bench_reference(id).map(|r| r.len()), Some(2), "{id}");
    }
    for id in (81..=100).chain(131..=160) {
        assert_eq!(mt_bench_reference(id), None, "{id}");
    }
}
