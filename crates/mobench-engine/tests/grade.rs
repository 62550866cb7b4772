//! Grading stored runs as the paper did, on the real llama.cpp: the generated tiny model as a
//! judge (arbitrary text: every judgment unclear, counted as 0.5 and reported), SmolLM2-135M-Instruct
//! as a judge whose judgments parse, a generated embedding model for adv_instruction, the cache
//! that makes grading again free, and graders that cannot be used.

use std::path::{Path, PathBuf};
use std::process::Command;

use mobench_engine::grade::{grade_runs, GradeOptions, GradeResult, GraderSpec};
use mobench_engine::{run_suite, CancelFlag, Control, Event, InferenceSettings, RunRequest};
use mobench_gen::{write_gguf, ModelSpec};
use mobench_store::{AggregateRow, Store};
use mobench_tasks::Selection;

struct Scratch {
    dir: tempfile::TempDir,
    model: PathBuf,
    db: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&ModelSpec::tiny(), &model).unwrap();
    let db = dir.path().join("runs.sqlite");
    Scratch { dir, model, db }
}

fn shared_datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench")
}

/// A finished run of `datasets` (`limit` rows each, `max_tokens` tokens).
fn run(s: &Scratch, suite: &str, datasets: &[&str], limit: usize, max_tokens: u32) -> i64 {
    let request = RunRequest {
        model: s.model.clone(),
        mmproj: None,
        suite: suite.into(),
        tasks: vec![],
        datasets: datasets.iter().map(|d| d.to_string()).collect(),
        datasets_dir: (suite != "starter").then(shared_datasets),
        selection: Selection {
            limit: Some(limit),
            seed: None,
        },
        inference: InferenceSettings {
            max_tokens: Some(max_tokens),
            threads: 2,
            ..Default::default()
        },
        sample_interval_ms: None,
        ignore_memory_limit: false,
    };
    run_suite(&s.db, request, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap()
    .run_id
}

fn options(judge: Option<GraderSpec>, embedder: Option<GraderSpec>) -> GradeOptions {
    GradeOptions {
        judge,
        embedder,
        threads: 2,
        concurrency: 1,
        ..Default::default()
    }
}

fn grade(s: &Scratch, run_id: i64, options: &GradeOptions) -> GradeResult {
    grade_runs(
        &s.db,
        &[run_id],
        options,
        &CancelFlag::default(),
        &mut |_, _| {},
    )
    .unwrap()
    .remove(0)
}

fn aggregates(s: &Scratch, run_id: i64) -> Vec<AggregateRow> {
    Store::open(&s.db).unwrap().aggregates(run_id).unwrap()
}

fn mean<'a>(
    rows: &'a [AggregateRow],
    dataset: &str,
    figure_prefix: &str,
) -> Option<&'a AggregateRow> {
    rows.iter()
        .find(|a| a.dataset == dataset && a.stat == "mean" && a.figure.starts_with(figure_prefix))
}

#[test]
fn a_local_judge_grades_with_the_papers_prompts_and_grading_again_asks_nothing() {
    let s = scratch();
    let run_id = run(
        &s,
        "starter",
        &["starter_mmlu", "starter_refusal", "starter_qa"],
        3,
        4,
    );
    let offline = aggregates(&s, run_id);
    let judge = options(Some(GraderSpec::Local(s.model.clone())), None);

    let first = grade(&s, run_id, &judge);
    // The tiny model writes arbitrary text: no judgment says correct/incorrect or yes/no
    // cleanly, and each unclear one counts as 0.5, as MobileAIBench counted it, and is reported.
    assert_eq!(first.asked, 6, "{first:?}");
    assert_eq!(first.cached, 0);
    assert_eq!(first.graded, 6);
    let rows = aggregates(&s, run_id);
    let em = mean(&rows, "starter_mmlu", "judge_em@").expect("a judge figure for mmlu");
    assert!(em.figure.starts_with("judge_em@tiny."), "{}", em.figure);
    assert!(em
        .grader
        .as_deref()
        .unwrap()
        .starts_with("judge:local:tiny:"));
    assert!(mean(&rows, "starter_refusal", "judge_refusal@").is_some());
    // QA is not graded by a judge in the paper: no figure, and its offline figures stay.
    assert!(mean(&rows, "starter_qa", "judge").is_none());
    for a in &offline {
        let now = rows
            .iter()
            .find(|b| (&b.dataset, &b.figure, &b.stat) == (&a.dataset, &a.figure, &a.stat))
            .expect("offline figures are kept");
        assert_eq!(now.value, a.value, "{}", a.figure);
    }
    // Every sample keeps the judge's raw answer with its figure.
    let store = Store::open(&s.db).unwrap();
    for row in store.samples(run_id).unwrap() {
        if row.dataset == "starter_mmlu" {
            let sc = row
                .scores
                .iter()
                .find(|sc| sc.metric.starts_with("judge_em@"))
                .unwrap();
            assert!(sc.extracted.as_deref().is_some_and(|t| !t.is_empty()));
            if sc.value == Some(0.5) {
                assert_eq!(sc.flag.as_deref(), Some("unparsed"));
            }
        }
    }

    // Grading again asks the judge nothing: every answer comes from the cache, the figures stay.
    let again = grade(&s, run_id, &judge);
    assert_eq!((again.asked, again.cached), (0, 6), "{again:?}");
    assert_eq!(again.figures, first.figures);
}

#[test]
fn an_interrupted_grading_pass_resumes_without_asking_again() {
    let s = scratch();
    let run_id = run(&s, "starter", &["starter_mmlu"], 5, 2);
    let judge = options(Some(GraderSpec::Local(s.model.clone())), None);
    let cancel = CancelFlag::default();
    let c = cancel.clone();
    let stopped = grade_runs(&s.db, &[run_id], &judge, &cancel, &mut |done, _| {
        if done >= 2 {
            c.cancel();
        }
    });
    assert!(stopped.unwrap_err().to_string().contains("cancelled"));
    let store = Store::open(&s.db).unwrap();
    let kept = store
        .samples(run_id)
        .unwrap()
        .iter()
        .filter(|r| r.scores.iter().any(|sc| sc.metric.starts_with("judge_em@")))
        .count();
    assert_eq!(kept, 0, "figures are written only for a finished dataset");
    let report = grade(&s, run_id, &judge);
    assert_eq!(
        report.cached, 2,
        "the judgments made before the stop are kept"
    );
    assert_eq!(report.asked, 3);
}

#[test]
fn smollm2_as_a_judge_gives_judgments_that_parse() {
    let s = scratch();
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smollm2.sh"))
        .output()
        .expect("scripts/smollm2.sh runs");
    assert!(
        out.status.success(),
        "scripts/smollm2.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let smollm2 = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let run_id = run(&s, "starter", &["starter_mmlu", "starter_refusal"], 2, 8);
    let report = grade(&s, run_id, &options(Some(GraderSpec::Local(smollm2)), None));
    assert_eq!(report.asked, 4, "{report:?}");
    // A real instruct model answers the protocol's one-word question: judgments parse.
    assert!(report.unparsed < report.asked, "{report:?}");
    let rows = aggregates(&s, run_id);
    let em = mean(
        &rows,
        "starter_mmlu",
        "judge_em@SmolLM2-135M-Instruct.Q4_1.",
    )
    .expect("SmolLM2's figure");
    assert!(em.value.is_some_and(|v| (0.0..=1.0).contains(&v)));
}

#[test]
fn a_local_embedder_scores_adv_instruction_against_each_groups_original() {
    let s = scratch();
    let embedder = s.dir.path().join("embed.gguf");
    write_gguf(
        &ModelSpec {
            name: "mobench-embed".into(),
            pooling: Some(1),
            ..ModelSpec::tiny()
        },
        &embedder,
    )
    .unwrap();
    // The first 24 rows: two groups of an original and eleven variants.
    let run_id = run(&s, "mobileaibench", &["adv_instruction"], 24, 6);
    let report = grade(
        &s,
        run_id,
        &options(None, Some(GraderSpec::Local(embedder.clone()))),
    );
    // Answers alike are embedded once (the cache is by text).
    assert_eq!(report.asked + report.cached, 24, "{report:?}");
    assert_eq!(report.graded, 22, "every variant, not the originals");
    let rows = aggregates(&s, run_id);
    let c = mean(&rows, "adv_instruction", "consistency@embed.").unwrap();
    assert_eq!(c.n, 22);
    assert!(c.value.is_some_and(|v| (-1.0..=1.0).contains(&(1.0 - v))));
    // The offline placeholder still says why it has no value.
    let offline = mean(&rows, "adv_instruction", "consistency").unwrap();
    assert!(offline.figure == "consistency" || offline.figure.contains('@'));
    let again = grade(
        &s,
        run_id,
        &options(None, Some(GraderSpec::Local(embedder))),
    );
    assert_eq!((again.asked, again.cached), (0, 24));
}

#[test]
fn unusable_graders_are_one_clear_error_and_change_nothing() {
    let s = scratch();
    let run_id = run(&s, "starter", &["starter_mmlu"], 2, 2);
    let before = aggregates(&s, run_id);
    let fails = |o: GradeOptions| {
        grade_runs(&s.db, &[run_id], &o, &CancelFlag::default(), &mut |_, _| {})
            .unwrap_err()
            .to_string()
    };

    assert!(GraderSpec::parse("gpt-4o")
        .unwrap_err()
        .to_string()
        .contains("local:PATH"));
    // A judge that is not a chat model.
    let plain = s.dir.path().join("plain.gguf");
    write_gguf(
        &ModelSpec {
            chat_template: None,
            ..ModelSpec::tiny()
        },
        &plain,
    )
    .unwrap();
    let e = fails(options(Some(GraderSpec::Local(plain.clone())), None));
    assert!(
        e.contains("chat template") && e.contains("plain.gguf"),
        "{e}"
    );
    // An embedder that pools nothing; but only adv_instruction needs one.
    let e = fails(options(None, Some(GraderSpec::Local(plain))));
    assert!(e.contains("nothing to grade"), "{e}");
    // An endpoint nobody answers at.
    let e = fails(GradeOptions {
        base_url: Some("http://127.0.0.1:9/v1".into()),
        ..options(Some(GraderSpec::OpenAi("gpt-4o".into())), None)
    });
    assert!(e.contains("127.0.0.1:9"), "{e}");
    // A speed run has no answers.
    let e = grade_runs(
        &s.db,
        &[run_id + 100],
        &options(Some(GraderSpec::Local(s.model.clone())), None),
        &CancelFlag::default(),
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains(&(run_id + 100).to_string()), "{e}");

    assert_eq!(
        format!("{:?}", aggregates(&s, run_id)),
        format!("{before:?}"),
        "the run's stored figures are untouched"
    );
}
