//! Bad input ends in one clear line that names the file (and line), a non-zero exit, no panic,
//! and a database left as it was (a run that had started is marked failed with the reason).

use std::path::{Path, PathBuf};

use crate::support::{fixture, integrity_check, run_id, shared_datasets, table_counts, Env, Out};
use serde_json::Value;

/// What the database looked like before the bad command.
struct Snapshot {
    runs: Value,
    counts: Vec<(String, i64)>,
}

/// An environment whose database already holds one completed run.
fn seeded() -> (Env, Snapshot) {
    let env = Env::new();
    let result = env.quick_run();
    assert_eq!(result["status"], "completed");
    let snapshot = snapshot(&env);
    (env, snapshot)
}

fn snapshot(env: &Env) -> Snapshot {
    Snapshot {
        runs: env.runs(),
        counts: table_counts(&env.db()),
    }
}

fn assert_unchanged(env: &Env, before: &Snapshot) {
    assert_eq!(env.runs(), before.runs, "runs changed");
    assert_eq!(table_counts(&env.db()), before.counts, "tables changed");
    assert_eq!(integrity_check(&env.db()), "ok");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A one-dataset run on `model` (quick: one token per sample).
fn run_model(env: &Env, model: &Path) -> Out {
    env.run(&[
        "run",
        "--model",
        s(model),
        "--datasets",
        "starter_mmlu",
        "--max-tokens",
        "1",
    ])
}

fn assert_mentions(line: &str, parts: &[&str]) {
    for part in parts {
        assert!(line.contains(part), "{part:?} not in {line:?}");
    }
}

#[test]
fn bad_model_files_fail_before_a_run_starts() {
    let (env, before) = seeded();
    let dir = env.path();
    let missing = dir.join("missing.gguf");
    let text = dir.join("notes.gguf");
    std::fs::write(&text, "these are notes, not a model\n").unwrap();
    let truncated = dir.join("half.gguf");
    let full = std::fs::read(env.builtin_model()).expect("built-in model");
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let empty = dir.join("empty.gguf");
    std::fs::write(&empty, b"").unwrap();

    for (model, says) in [
        (&missing, "does not exist"),
        (&dir.to_path_buf(), "folder"),
        (&text, "not a GGUF file"),
        (&truncated, "truncated"),
        (&empty, "GGUF"),
    ] {
        let out = run_model(&env, model);
        let line = out.error_line();
        assert_mentions(&line, &[s(model), says]);
        assert_unchanged(&env, &before);

        // inspect says the same.
        let out = env.run(&["inspect", s(model), "--json"]);
        let line = out.error_line();
        assert_mentions(&line, &[s(model), says]);
        assert!(out.stdout.is_empty(), "{out}");
    }
}

/// Replaces `from` with `to` (same length) in the first place it occurs in `bytes`.
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(from)));
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn a_gguf_llama_cpp_cannot_load_marks_the_run_failed() {
    let (env, before) = seeded();
    let full = std::fs::read(env.builtin_model()).expect("built-in model");
    // A well-formed GGUF whose architecture llama.cpp does not know...
    let mut arch_value = b"general.architecture".to_vec();
    arch_value.extend_from_slice(&8u32.to_le_bytes()); // string
    arch_value.extend_from_slice(&5u64.to_le_bytes());
    let mut unknown_arch = arch_value.clone();
    arch_value.extend_from_slice(b"llama");
    unknown_arch.extend_from_slice(b"zzzzz");
    let unknown = env.path().join("unknown-arch.gguf");
    std::fs::write(&unknown, patch(&full, &arch_value, &unknown_arch)).unwrap();
    // ...and one missing a key its architecture requires.
    let no_layers = env.path().join("no-block-count.gguf");
    std::fs::write(
        &no_layers,
        patch(&full, b"llama.block_count", b"llama.block_cnt__"),
    )
    .unwrap();

    let mut runs_before = before.runs.as_array().unwrap().clone();
    // llama.cpp's own reason is carried into our message (its log stays off).
    for (model, why) in [(&unknown, "zzzzz"), (&no_layers, "block_count")] {
        let out = run_model(&env, model);
        // The run started, so progress lines may precede the error; llama.cpp's log may not.
        let line = out.error_line_with(true);
        assert!(!out.stderr.contains("llama_model_load"), "{out}");
        assert_mentions(&line, &[s(model), "could not load", why]);

        let runs = env.runs();
        let runs = runs.as_array().unwrap();
        assert_eq!(runs.len(), runs_before.len() + 1, "{runs:?}");
        assert_eq!(
            &runs[..runs_before.len()],
            &runs_before[..],
            "earlier runs unchanged"
        );
        let failed = runs.last().unwrap();
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["samples_done"], 0);
        let reason = failed["failure"].as_str().expect("a failure reason");
        assert_mentions(reason, &["could not load", why]);
        let show = env.show(run_id(failed));
        assert_eq!(show["run"]["failure"], failed["failure"]);
        runs_before = runs.clone();
    }
    // No sample or score was added by the failed runs.
    let counts = table_counts(&env.db());
    for table in ["samples", "sample_scores"] {
        let get = |c: &[(String, i64)]| c.iter().find(|(t, _)| t == table).unwrap().1;
        assert_eq!(get(&counts), get(&before.counts), "{table}");
    }
    assert_eq!(integrity_check(&env.db()), "ok");
}

/// A datasets folder holding one `mmlu.csv` with the given bytes.
fn datasets_dir_with_mmlu(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = env.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mmlu.csv"), bytes).unwrap();
    dir
}

/// A run of mmlu from `dir` fails in one line naming `dir`'s mmlu.csv and each of `parts`, and
/// leaves the database as `before`.
fn assert_mmlu_refused(env: &Env, before: &Snapshot, dir: &Path, parts: &[&str]) {
    let line = env.run_mmlu_from(dir, &["--limit", "1"]).error_line();
    assert_mentions(&line, &[s(&dir.join("mmlu.csv"))]);
    assert_mentions(&line, parts);
    assert_unchanged(env, before);
}

fn shared_mmlu() -> Vec<u8> {
    std::fs::read(shared_datasets().join("mmlu.csv")).expect("shared mmlu.csv")
}

#[test]
fn a_dataset_missing_a_column_is_named() {
    let (env, before) = seeded();
    let real = shared_mmlu();
    let header_end = real.iter().position(|&b| b == b'\n').unwrap();
    let header = String::from_utf8(real[..header_end].to_vec()).unwrap();
    assert!(header.contains("prompt"), "{header}");
    let mut bytes = header.replacen("prompt", "question", 1).into_bytes();
    bytes.extend_from_slice(&real[header_end..]);
    let dir = datasets_dir_with_mmlu(&env, "renamed", &bytes);
    assert_mmlu_refused(&env, &before, &dir, &["missing column", "prompt"]);
}

#[test]
fn invalid_utf8_in_a_dataset_names_its_line() {
    let (env, before) = seeded();
    let real = shared_mmlu();
    // A byte that is never valid UTF-8, in the middle of the file (inside a multi-line record).
    let at = real.len() / 2;
    let at = at + real[at..].iter().position(|&b| b == b' ').unwrap();
    let line_no = 1 + real[..at].iter().filter(|&&b| b == b'\n').count();
    let mut bytes = real.clone();
    bytes[at] = 0xff;
    let dir = datasets_dir_with_mmlu(&env, "utf8", &bytes);
    let at_line = format!("line {line_no}: invalid UTF-8");
    assert_mmlu_refused(&env, &before, &dir, &[&at_line]);
}

#[test]
fn a_broken_csv_quote_names_its_line() {
    let (env, before) = seeded();
    let dir = fixture("datasets/broken_quote");
    assert_mmlu_refused(
        &env,
        &before,
        &dir,
        &["line 6", "quoted field is never closed"],
    );
}

#[test]
fn a_dataset_without_rows_is_refused() {
    let (env, before) = seeded();
    assert_mmlu_refused(&env, &before, &fixture("datasets/no_rows"), &["no rows"]);

    // A folder without the file says how to get it.
    let empty = env.path().join("empty-datasets");
    std::fs::create_dir_all(&empty).unwrap();
    assert_mmlu_refused(&env, &before, &empty, &["datasets fetch"]);
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let (env, before) = seeded();
    for (args, valid) in [
        (
            ["--tasks", "translation"],
            &["translation", "question_answering", "summarization", "mmlu"][..],
        ),
        (
            ["--datasets", "imagenet"],
            &["imagenet", "starter_qa", "hotpot_qa", "mt_bench"][..],
        ),
        (
            ["--suite", "helm"],
            &["helm", "starter", "mobileaibench"][..],
        ),
    ] {
        let mut all = vec!["run", "--max-tokens", "1"];
        all.extend_from_slice(&args);
        let line = env.run(&all).error_line();
        assert_mentions(&line, valid);
        assert_mentions(&line, &["valid"]);
        assert_unchanged(&env, &before);
    }
}

#[test]
fn a_sampling_interval_out_of_range_is_refused_before_the_run() {
    let (env, before) = seeded();
    for interval in ["5", "600000"] {
        let line = env
            .run(&[
                "run",
                "--datasets",
                "starter_mmlu",
                "--sample-interval",
                interval,
            ])
            .error_line();
        assert_mentions(
            &line,
            &[&format!("--sample-interval {interval}"), "10 and 60000"],
        );
        assert_unchanged(&env, &before);
        let line = env
            .run(&["speed", "-p", "8", "-n", "0", "--sample-interval", interval])
            .error_line();
        assert_mentions(&line, &[&format!("--sample-interval {interval}")]);
        assert_unchanged(&env, &before);
    }
}

#[test]
fn an_unwritable_database_path_is_an_error() {
    let env = Env::new();
    // The parent "folder" is a regular file, so nothing can be created there (even as root).
    let blocker = env.path().join("not-a-folder");
    std::fs::write(&blocker, "keep me").unwrap();
    let db = blocker.join("mobench.sqlite");
    for args in [
        &["run", "--max-tokens", "1", "--datasets", "starter_mmlu"][..],
        &["runs", "--json"][..],
        &["export", "--format", "csv", "--out", "x.csv"][..],
    ] {
        let mut all = vec!["--db", s(&db)];
        all.extend_from_slice(args);
        let line = env.run(&all).error_line();
        assert_mentions(&line, &[s(&db)]);
        assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "keep me");
    }
    // MOBENCH_DB is honoured the same way.
    let out = env
        .command(&["runs"])
        .env("MOBENCH_DB", &db)
        .output()
        .unwrap();
    let out = Out {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_mentions(&out.error_line(), &[s(&db)]);

    // A database path that is a folder.
    let folder = env.path().join("a-folder");
    std::fs::create_dir_all(&folder).unwrap();
    let line = env.run(&["--db", s(&folder), "runs"]).error_line();
    assert_mentions(&line, &[s(&folder)]);
    assert!(!env.db().exists(), "the default database was not touched");
}

#[test]
fn unknown_run_ids_and_bad_flags() {
    let (env, before) = seeded();
    for args in [
        &["show", "999"][..],
        &["resume", "999"][..],
        &["compare", "1", "999"][..],
        &["export", "999", "--format", "csv", "--out", "x.csv"][..],
    ] {
        let line = env.run(args).error_line();
        assert_mentions(&line, &["999"]);
        assert_unchanged(&env, &before);
    }
    // Usage errors are clap's: exit code 2, no panic.
    for args in [
        &["run", "--limit", "many"][..],
        &["run", "--no-such-flag"][..],
        &["export", "--format", "xlsx", "--out", "x"][..],
    ] {
        let out = env.run(args);
        out.assert_no_panic();
        assert_eq!(out.code(), Some(2), "{out}");
    }
    assert_unchanged(&env, &before);
}
