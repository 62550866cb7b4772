//! Quantization on the device, the perplexity and KL-divergence probes, and the quantization
//! study, on the real llama.cpp with the generated tiny model.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{integrity_check, open_read_only, sha256_hex, wait_out, Env, COMMAND_TIMEOUT};

fn tiny(env: &Env) -> PathBuf {
    let path = env.path().join("base.gguf");
    if !path.exists() {
        mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &path).unwrap();
    }
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files in `dir` whose names end with `.part` (a quantization's temporary output).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

/// A text of about `words` words the tiny model's tokenizer cuts into many tokens.
fn text(env: &Env, words: usize) -> PathBuf {
    let path = env.path().join(format!("text-{words}.txt"));
    let mut t = String::new();
    for i in 0..words {
        t.push_str(["river ", "bridge ", "clock ", "gauge ", "the ", "of "][i * 7 % 6]);
        if i % 13 == 12 {
            t.push_str(".\n");
        }
    }
    std::fs::write(&path, t).unwrap();
    path
}

#[test]
fn quantizes_to_several_levels_checked_and_hashed() {
    let env = Env::new();
    let base = tiny(&env);
    // The types are llama.cpp's, with its llama_ftype values.
    let list = env.json(&["quantize", "--type", "list", "--json"]);
    let ftype = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .and_then(|t| t["ftype"].as_i64())
    };
    assert_eq!(ftype("Q4_K_M"), Some(15));
    assert_eq!(ftype("IQ4_XS"), Some(30));
    for qtype in ["Q8_0", "Q4_0", "Q4_K_M", "IQ4_NL"] {
        let out = env.path().join(format!("m.{qtype}.gguf"));
        let v = env.json(&[
            "quantize",
            "--model",
            s(&base),
            "--type",
            qtype,
            "--out",
            s(&out),
            "--threads",
            "1",
            "--json",
        ]);
        assert_eq!(v["type"], qtype, "{v}");
        assert_eq!(v["sha256"], sha256_hex(&out), "{v}");
        assert_eq!(
            v["size_bytes"].as_u64(),
            Some(std::fs::metadata(&out).unwrap().len())
        );
        assert!(
            v["size_bytes"].as_u64().unwrap() <= v["expected_bytes"].as_u64().unwrap(),
            "the dry run's estimate covers the file: {v}"
        );
        let info = env.json(&["inspect", s(&out), "--json"]);
        // The header's general.file_type, named as llama.cpp names it.
        assert_eq!(info["quantization"], qtype, "{info}");
        assert_eq!(v["requantized"], false);
    }
    // The levels differ from each other and from the base.
    let q8 = std::fs::metadata(env.path().join("m.Q8_0.gguf"))
        .unwrap()
        .len();
    let q4 = std::fs::metadata(env.path().join("m.Q4_0.gguf"))
        .unwrap()
        .len();
    assert!(q4 < q8 && q8 < std::fs::metadata(&base).unwrap().len());
    assert!(leftovers(env.path()).is_empty());

    // Requantizing from Q8_0 works, with a warning.
    let out = env.path().join("re.Q4_0.gguf");
    let o = env.ok(&[
        "quantize",
        "--model",
        s(&env.path().join("m.Q8_0.gguf")),
        "--type",
        "Q4_0",
        "--out",
        s(&out),
        "--threads",
        "1",
        "--json",
    ]);
    assert!(o.stderr.contains("already quantized (Q8_0)"), "{o}");
    assert_eq!(o.json()["requantized"], true);
}

#[test]
fn bad_quantizations_are_refused_in_one_line_and_write_nothing() {
    let env = Env::new();
    let base = tiny(&env);
    let out = env.path().join("out.gguf");
    let q4 = env.path().join("q4.gguf");
    env.ok(&[
        "quantize",
        "--model",
        s(&base),
        "--type",
        "Q4_0",
        "--out",
        s(&q4),
        "--threads",
        "1",
    ]);
    let not_gguf = env.path().join("notes.gguf");
    std::fs::write(&not_gguf, "hello, not a model").unwrap();
    // Rows of 256 values: llama.cpp's very-low-bit types apply (on the tiny model's rows of 128
    // it falls back to types that need no importance matrix).
    let wide = env.path().join("wide.gguf");
    let spec = mobench_gen::ModelSpec {
        n_embd: 256,
        n_ff: 512,
        ..mobench_gen::ModelSpec::tiny()
    };
    mobench_gen::write_gguf(&spec, &wide).unwrap();
    let cases: [(&Path, &str, &str); 5] = [
        (
            &base,
            "Q4_9",
            "not a quantization type this llama.cpp build knows",
        ),
        (
            &q4,
            "Q2_K",
            "cannot be quantized from; quantize from a F32, F16, BF16, Q8_0 model",
        ),
        (&not_gguf, "Q4_0", "notes.gguf"),
        (&wide, "IQ2_XXS", "needs an importance matrix"),
        (&env.path().join("missing.gguf"), "Q4_0", "does not exist"),
    ];
    for (model, qtype, want) in cases {
        let o = env.run(&[
            "quantize",
            "--model",
            s(model),
            "--type",
            qtype,
            "--out",
            s(&out),
        ]);
        let line = o.error_line();
        assert!(line.contains(want), "{qtype}: {line}");
        assert!(!out.exists(), "{qtype}: nothing written");
        assert!(
            leftovers(env.path()).is_empty(),
            "{qtype}: no temporary file"
        );
    }
    // The output's folder must exist.
    let o = env.run(&[
        "quantize",
        "--model",
        s(&base),
        "--type",
        "Q4_0",
        "--out",
        s(&env.path().join("no/such/dir/x.gguf")),
    ]);
    assert!(o.error_line().contains("does not exist"));
}

#[test]
fn a_killed_quantization_leaves_no_output_and_the_next_one_cleans_up() {
    let env = Env::new();
    let base = tiny(&env);
    let out = env.path().join("k.Q4_0.gguf");
    let part = env.path().join(".k.Q4_0.gguf.part");
    // What a quantization killed mid-write leaves: only the hidden temporary file.
    std::fs::write(&part, b"GGUF half written").unwrap();
    let mut child = env.spawn(&[
        "quantize",
        "--model",
        s(&base),
        "--type",
        "Q4_0",
        "--out",
        s(&out),
    ]);
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert!(
        !out.exists(),
        "a killed quantization never leaves the output"
    );
    env.ok(&[
        "quantize",
        "--model",
        s(&base),
        "--type",
        "Q4_0",
        "--out",
        s(&out),
        "--threads",
        "1",
    ]);
    assert!(out.exists());
    assert!(!part.exists(), "the stale temporary file is gone");
}

#[test]
fn perplexity_and_kl_divergence_on_the_real_llama_cpp() {
    let env = Env::new();
    let base = tiny(&env);
    let text = text(&env, 600);
    let ppl = env.json(&[
        "ppl",
        "--model",
        s(&base),
        "--text",
        s(&text),
        "--ctx",
        "64",
        "--threads",
        "1",
        "--json",
    ]);
    let p = &ppl["perplexity"];
    let value = p["ppl"].as_f64().unwrap();
    assert!(value.is_finite() && value > 1.0, "{ppl}");
    let chunks = p["chunks"].as_u64().unwrap();
    assert!(chunks >= 2, "{ppl}");
    assert_eq!(
        p["tokens_scored"].as_u64(),
        Some(chunks * (64 - 32 - 1)),
        "{ppl}"
    );

    // A model against itself diverges by nothing and agrees on every top token.
    let same = env.json(&[
        "kld",
        "--base",
        s(&base),
        "--model",
        s(&base),
        "--text",
        s(&text),
        "--ctx",
        "64",
        "--threads",
        "1",
        "--json",
    ]);
    assert_eq!(same["kld"]["mean"].as_f64(), Some(0.0), "{same}");
    assert_eq!(same["kld"]["p99"].as_f64(), Some(0.0), "{same}");
    assert_eq!(same["kld"]["same_top"].as_f64(), Some(1.0), "{same}");
    assert_eq!(same["base_perplexity"]["ppl"].as_f64(), Some(value));

    // A quantized level diverges, by more at fewer bits.
    let q8 = env.path().join("q8.gguf");
    let q4 = env.path().join("q4.gguf");
    for (t, out) in [("Q8_0", &q8), ("Q4_0", &q4)] {
        env.ok(&[
            "quantize",
            "--model",
            s(&base),
            "--type",
            t,
            "--out",
            s(out),
            "--threads",
            "1",
        ]);
    }
    let kld = |m: &Path| {
        env.json(&[
            "kld",
            "--base",
            s(&base),
            "--model",
            s(m),
            "--text",
            s(&text),
            "--ctx",
            "64",
            "--threads",
            "1",
            "--json",
        ])["kld"]["mean"]
            .as_f64()
            .unwrap()
    };
    let (k8, k4) = (kld(&q8), kld(&q4));
    assert!(k8 > 0.0 && k4 > k8, "Q8_0 {k8}, Q4_0 {k4}");
}

#[test]
fn probes_refuse_short_texts_and_pairs_of_different_models() {
    let env = Env::new();
    let base = tiny(&env);
    let short = text(&env, 5);
    let o = env.run(&[
        "ppl",
        "--model",
        s(&base),
        "--text",
        s(&short),
        "--ctx",
        "64",
        "--json",
    ]);
    assert!(o.error_line().contains("at least two windows"), "{o}");
    let other = env.path().join("other.gguf");
    let spec = mobench_gen::ModelSpec {
        n_vocab_extra: 7,
        ..mobench_gen::ModelSpec::tiny()
    };
    mobench_gen::write_gguf(&spec, &other).unwrap();
    let long = text(&env, 600);
    let o = env.run(&[
        "kld",
        "--base",
        s(&base),
        "--model",
        s(&other),
        "--text",
        s(&long),
        "--ctx",
        "64",
        "--threads",
        "1",
        "--json",
    ]);
    let line = o.error_line();
    assert!(
        line.contains("vocabulary") && line.contains("other.gguf"),
        "{line}"
    );
}

const STUDY: &[&str] = &[
    "study",
    "--types",
    "Q8_0,Q4_0",
    "--datasets",
    "starter_mmlu",
    "--limit",
    "2",
    "--max-tokens",
    "4",
    "--threads",
    "1",
    "--ctx",
    "512",
    "--pp",
    "16",
    "--tg",
    "4",
    "--reps",
    "1",
    "--probe-ctx",
    "64",
    "--json",
];

fn study_args<'a>(base: &'a str, text: &'a str, out_dir: &'a str) -> Vec<&'a str> {
    let mut a = STUDY.to_vec();
    a.extend(["--base", base, "--text", text, "--out-dir", out_dir]);
    a
}

/// The table: the last JSON line of a study's output.
fn table(out: &crate::support::Out) -> Value {
    let last = out.stdout.lines().rfind(|l| !l.trim().is_empty()).unwrap();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

fn check_table(t: &Value) {
    assert_eq!(t["status"], "completed", "{t}");
    let levels = t["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 3);
    assert_eq!(levels[0]["label"], "base");
    assert_eq!(levels[1]["label"], "Q8_0");
    assert_eq!(levels[2]["label"], "Q4_0");
    for l in levels {
        assert!(l["size_bytes"].as_u64().unwrap() > 0, "{l}");
        assert!(l["pp_tokens_per_s"].as_f64().unwrap() > 0.0, "{l}");
        assert!(l["tg_tokens_per_s"].as_f64().unwrap() > 0.0, "{l}");
        assert!(l["ttft_ms"].as_f64().unwrap() > 0.0, "{l}");
        assert!(l["perplexity"]["ppl"].as_f64().unwrap() > 1.0, "{l}");
        let tasks = l["tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 1, "{l}");
        assert_eq!(tasks[0]["dataset"], "starter_mmlu");
        // Energy is unavailable on this machine, with the reason.
        let e = &l["energy_j_per_token"];
        assert!(
            e["value"].is_number() || e["missing_reason"].is_string(),
            "{l}"
        );
    }
    assert!(levels[0]["divergence"].is_null());
    assert!(levels[2]["divergence"]["mean"].as_f64().unwrap() > 0.0);
    let rec = &t["recommendation"];
    assert!(rec["reason"].as_str().unwrap().len() > 10, "{rec}");
    assert_eq!(rec["keep_share"].as_f64(), Some(0.98));
    // Held fixed and recorded.
    assert_eq!(t["settings"]["inference"]["threads"], 1);
    assert_eq!(t["settings"]["selection"]["limit"], 2);
}

#[test]
fn a_study_runs_every_level_and_resumes_after_a_kill() {
    let env = Env::new();
    let base = tiny(&env);
    let text = text(&env, 600);
    let out_dir = env.path().join("levels");
    let args = study_args(s(&base), s(&text), s(&out_dir));

    // Killed once the second level's suite run has started.
    let mut child = env.spawn(&args);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the study ended ({status}) before it could be killed");
        }
        let started = rusqlite::Connection::open_with_flags(
            env.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM study_levels WHERE position = 1 AND suite_run_id IS NOT NULL",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .unwrap_or(0);
        if started > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the study did not reach level 1");
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    assert_eq!(integrity_check(&env.db()), "ok");
    let conn = open_read_only(&env.db());
    let (id, status): (i64, String) = conn
        .query_row("SELECT id, status FROM studies", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        status, "running",
        "a killed study is still marked as running"
    );
    let q8_sha: String = conn
        .query_row(
            "SELECT sha256 FROM study_levels WHERE position = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);

    // What a kill in the middle of the next level's quantization would leave beside it.
    let part = out_dir.join(".base.Q4_0.gguf.part");
    assert!(
        !out_dir.join("base.Q4_0.gguf").exists(),
        "Q4_0 was not made before the kill"
    );
    std::fs::write(&part, b"GGUF cut short").unwrap();

    let csv = env.path().join("study.csv");
    let id_arg = id.to_string();
    let resume = ["study", "--resume", &id_arg, "--json", "--csv", s(&csv)];
    let out = wait_out(env.spawn(&resume), COMMAND_TIMEOUT);
    out.assert_success();
    let t = table(&out);
    check_table(&t);
    // The level made before the kill was kept, not made again.
    assert_eq!(t["levels"][1]["sha256"], q8_sha.as_str());
    assert!(leftovers(&out_dir).is_empty());
    // Every level's suite run is one completed ordinary run; the interrupted one was resumed.
    let conn = open_read_only(&env.db());
    let suite_runs: i64 = conn
        .query_row("SELECT COUNT(*) FROM runs WHERE kind = 'suite'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(suite_runs, 3);
    let incomplete: i64 = conn
        .query_row("SELECT COUNT(*) FROM runs WHERE status != 'completed' AND id IN (SELECT suite_run_id FROM study_levels)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(incomplete, 0);
    // The CSV has a row per level and the task's columns.
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("level,source,size_bytes,peak_memory_bytes"),
        "{header}"
    );
    assert!(header.contains("starter_mmlu:"), "{header}");
    assert_eq!(lines.count(), 3);
    // `--show` prints the same table.
    let shown = env.json(&["study", "--show", &id.to_string(), "--json"]);
    assert_eq!(shown["levels"], t["levels"]);
}
