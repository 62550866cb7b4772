//! `mobench run` end to end on the real llama.cpp: the starter suite on the built-in model,
//! prompt formatting, every real MobileAIBench dataset file, sample selection, truncation,
//! the stored results as `runs`, `show` and `export` present them, and `inspect`.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{
    aggregates_by_dataset, count, fixture, integrity_check, number, numbers, run_id, sha256_hex,
    shared_datasets, write_model, Csv, Env,
};
use serde_json::Value;

const STARTER: [(&str, &str, &[&str]); 9] = [
    ("starter_qa", "question_answering", &["em", "f1", "bleu"]),
    (
        "starter_summarization",
        "summarization",
        &["rouge1", "rougeL"],
    ),
    ("starter_text2sql", "text2sql", &["sql_f1", "levenshtein"]),
    ("starter_mmlu", "mmlu", &["letter"]),
    ("starter_gsm8k", "math", &["number"]),
    ("starter_bbq", "trust_and_safety", &["letter"]),
    ("starter_social_chemistry", "trust_and_safety", &["label"]),
    ("starter_refusal", "trust_and_safety", &["refusal"]),
    ("starter_mt_bench", "mt_bench", &["judge"]),
];

/// The 14 MobileAIBench text datasets and the shared file each is read from.
const MOBILEAIBENCH: [(&str, &str); 14] = [
    ("hotpot_qa", "hotpot_qa.csv"),
    ("databricks_dolly_15k", "databricks_dolly_15k.csv"),
    ("cnn_dailymail", "cnn_dailymail.csv"),
    ("xsum", "edinburghNLP_xsum.csv"),
    ("sql_create_context", "sql_create_context.csv"),
    ("mmlu", "mmlu.csv"),
    ("gsm8k", "gsm8k.csv"),
    ("bbq", "bbq.csv"),
    ("truthful_qa", "truthful_qa.csv"),
    ("social_chemistry_101", "social_chemistry_101.csv"),
    ("do_not_answer", "do_not_answer.csv"),
    ("privacy_leakage", "privacy_leakage.csv"),
    ("adv_instruction", "adv_instruction.csv"),
    ("mt_bench", "mt_bench_question.jsonl"),
];

const SAMPLE_COLUMNS: [&str; 13] = [
    "run_id",
    "model",
    "task",
    "dataset",
    "sample_index",
    "prompt",
    "reference",
    "prediction",
    "ttft_ms",
    "prefill_tokens_per_s",
    "decode_tokens_per_s",
    "output_tokens",
    "total_ms",
];

fn figure(show: &Value, dataset: &str, figure: &str) -> Value {
    let grouped = aggregates_by_dataset(show);
    let v = &grouped[dataset]["figures"][figure];
    assert!(
        v.is_object(),
        "no figure {figure} for {dataset} in {grouped}"
    );
    v.clone()
}

/// Text cells a spreadsheet would evaluate as formulas must have been neutralized.
fn assert_no_formula_cells(csv: &Csv, columns: &[&str]) {
    for col in columns {
        for cell in csv.column(col) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{col} cell starts like a formula: {cell:?}"
            );
        }
    }
}

fn samples_by_dataset(csv: &Csv) -> BTreeMap<String, BTreeSet<usize>> {
    let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for r in &csv.rows {
        out.entry(r["dataset"].clone())
            .or_default()
            .insert(r["sample_index"].parse().expect("sample_index"));
    }
    out
}

#[test]
fn starter_suite_runs_end_to_end_and_is_stored_shown_and_exported() {
    let env = Env::new();
    let out = env.ok(&["run", "--max-tokens", "8", "--json"]);
    assert_eq!(
        out.stdout.trim().lines().count(),
        1,
        "run --json prints one JSON object:\n{out}"
    );
    let result = out.json();
    let id = run_id(&result);
    assert_eq!(result["status"], "completed", "{result}");
    let total = result["samples_total"].as_i64().expect("samples_total");
    assert!(total >= 9, "the starter suite has a few items per dataset");
    assert_eq!(result["samples_done"].as_i64(), Some(total));
    assert!(
        env.builtin_model().is_file(),
        "the built-in model is generated in the data folder"
    );

    // runs --json
    let runs = env.runs();
    let runs = runs.as_array().expect("runs --json is an array");
    assert_eq!(runs.len(), 1, "{runs:?}");
    let r = &runs[0];
    assert_eq!(r["run_id"].as_i64(), Some(id));
    assert_eq!(r["status"], "completed");
    assert_eq!(r["model"]["name"], "mobench-tiny");
    assert_eq!(r["model"]["architecture"], "llama");
    assert!(r["started_at"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(r["finished_at"].as_str().is_some_and(|s| !s.is_empty()));

    // show --json: settings, device, aggregates for every starter dataset
    let show = env.show(id);
    assert_eq!(show["settings"]["suite"], "starter");
    assert_eq!(show["settings"]["inference"]["max_tokens"], 8);
    assert!(
        show["device"].as_object().is_some_and(|d| !d.is_empty()),
        "device summary: {}",
        show["device"]
    );
    let grouped = aggregates_by_dataset(&show);
    let aggregates = grouped.as_object().expect("aggregates object");
    let names: BTreeSet<&str> = aggregates.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = STARTER.iter().map(|(d, _, _)| *d).collect();
    assert_eq!(names, expected);
    let mut counted = 0;
    let mut decode_seen = false;
    for (dataset, task, metrics) in STARTER {
        assert_eq!(aggregates[dataset]["task"], task, "{dataset}");
        counted += number(&figure(&show, dataset, "samples")["count"]) as i64;
        for metric in metrics {
            let m = figure(&show, dataset, metric);
            assert!(
                m["grader"].as_str().is_some_and(|g| !g.is_empty()),
                "{dataset}.{metric} has no grader: {m}"
            );
            if *metric == "judge" {
                assert!(m["mean"].is_null(), "judge is never made up: {m}");
                assert_eq!(m["missing_reason"], "needs judge", "{m}");
            } else {
                let mean = number(&m["mean"]);
                assert!((0.0..=1.0).contains(&mean), "{dataset}.{metric} = {mean}");
                assert!(m.get("missing_reason").is_none(), "{m}");
            }
        }
        assert!(number(&figure(&show, dataset, "ttft_ms")["median"]) > 0.0);
        assert!(number(&figure(&show, dataset, "total_ms")["median"]) > 0.0);
        assert!(number(&figure(&show, dataset, "prefill_tokens_per_s")["median"]) > 0.0);
        let decode = &figure(&show, dataset, "decode_tokens_per_s")["median"];
        decode_seen |= decode.as_f64().is_some_and(|d| d > 0.0);
    }
    assert!(decode_seen, "some dataset has a decode rate");
    assert_eq!(counted, total, "per-dataset sample counts add up");

    // The database itself.
    let conn = env.conn();
    assert_eq!(integrity_check(&env.db()), "ok");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM samples"), total);
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM samples WHERE ttft_ms IS NULL OR total_ms IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM samples WHERE output_tokens > 8 OR prompt_tokens = 0"
        ),
        0,
        "--max-tokens 8 is respected and every prompt is tokenized"
    );
    assert!(count(&conn, "SELECT COUNT(*) FROM sample_scores") >= total);
    // llama.cpp's own counters are stored beside ours as a cross-check.
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM samples WHERE NOT (llama_t_p_eval_ms > 0) \
             OR llama_n_p_eval != prompt_tokens"
        ),
        0
    );

    // Aggregates as CSV: one row per run and dataset.
    let agg = env.export_csv(&[]);
    assert_eq!(agg.rows.len(), STARTER.len());
    for col in [
        "run_id", "model", "task", "dataset", "em", "rouge1", "letter",
    ] {
        assert!(agg.headers.iter().any(|h| h == col), "no column {col}");
    }
    let agg_datasets: BTreeSet<&str> = agg.column("dataset").into_iter().collect();
    assert_eq!(agg_datasets, expected);
    assert!(agg.raw.ends_with(b"\r\n"), "RFC 4180 records end in CRLF");

    // Samples as CSV: one row per sample, the required columns plus one per metric.
    let samples = env.export_csv(&["--samples"]);
    assert_eq!(samples.rows.len() as i64, total);
    for col in SAMPLE_COLUMNS.iter().chain(
        [
            "em",
            "f1",
            "bleu",
            "rouge1",
            "rougeL",
            "sql_f1",
            "levenshtein",
            "letter",
            "number",
            "label",
            "refusal",
            "truncated",
        ]
        .iter(),
    ) {
        assert!(
            samples.headers.iter().any(|h| h == col),
            "no column {col} in {:?}",
            samples.headers
        );
    }
    let header_line = samples.raw.split(|&b| b == b'\n').next().unwrap();
    assert!(header_line.ends_with(b"\r"), "header ends in CRLF");
    for r in &samples.rows {
        assert_eq!(r["run_id"], id.to_string());
        assert_eq!(r["model"], "mobench-tiny");
        assert!(r["ttft_ms"].parse::<f64>().expect("ttft_ms") > 0.0);
        assert!(r["total_ms"].parse::<f64>().expect("total_ms") > 0.0);
        assert!(r["output_tokens"].parse::<u32>().expect("output_tokens") <= 8);
    }
    assert_no_formula_cells(&samples, &["prompt", "reference", "prediction"]);
    // Multi-line prompts survive the CSV round trip byte for byte.
    let mut stmt = conn
        .prepare(
            "SELECT d.name, s.row_index, s.prompt FROM samples s \
             JOIN datasets d ON d.id = s.dataset_id WHERE s.run_id = ?1",
        )
        .unwrap();
    let stored: BTreeMap<(String, String), String> = stmt
        .query_map([id], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, i64>(1)?.to_string()),
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored.len() as i64, total);
    for r in &samples.rows {
        let key = (r["dataset"].clone(), r["sample_index"].clone());
        assert_eq!(
            stored.get(&key),
            Some(&r["prompt"]),
            "prompt of {key:?} differs between the database and the CSV"
        );
    }
    assert!(stored.values().any(|p| p.contains('\n')));

    // Aggregates as JSON.
    let json = env.export_json(&[]);
    let rows = json.as_array().expect("JSON export is an array");
    assert_eq!(rows.len(), STARTER.len());
    for row in rows {
        assert_eq!(row["run_id"].as_i64(), Some(id));
        assert_eq!(row["model"], "mobench-tiny");
        assert!(expected.contains(row["dataset"].as_str().unwrap()));
    }
}

#[test]
fn prompts_use_the_chat_template_a_raw_template_or_plain_text() {
    let env = Env::new();
    let prompts = |args: &[&str]| -> Vec<String> {
        let mut all = vec![
            "run",
            "--datasets",
            "starter_qa",
            "--max-tokens",
            "1",
            "--json",
        ];
        all.extend_from_slice(args);
        let id = run_id(&env.json(&all));
        env.sample_rows(id)
            .column("prompt")
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    const SYSTEM: &str = "You're a helpful assistant proficient in answering questions";

    // The tiny model carries a ChatML template in its GGUF.
    let chat = prompts(&[]);
    assert_eq!(chat.len(), 5);
    for p in &chat {
        assert!(p.starts_with("<|im_start|>system\n"), "{p:?}");
        assert!(p.contains(SYSTEM), "{p:?}");
        assert!(p.contains("<|im_start|>user\n"), "{p:?}");
        assert!(p.ends_with("<|im_start|>assistant\n"), "{p:?}");
    }

    // A raw MobileAIBench-style template replaces it.
    let raw = prompts(&["--template", "{system} Instruct:{prompt}\nOutput:"]);
    assert_eq!(raw.len(), 5);
    for p in &raw {
        assert!(!p.contains("<|im_start|>"), "{p:?}");
        assert!(p.starts_with(SYSTEM), "{p:?}");
        assert!(p.contains(" Instruct:context: "), "{p:?}");
        assert!(p.contains("\nquestion: "), "{p:?}");
        assert!(p.ends_with("\nOutput:"), "{p:?}");
    }
    // Typed in a shell, `\n` arrives as backslash and n: it means a newline all the same.
    assert_eq!(
        prompts(&["--template", r"{system} Instruct:{prompt}\nOutput:"]),
        raw
    );

    // A model without a template gets plain prompts.
    let plain_model = env.path().join("no-template.gguf");
    write_model(
        &mobench_gen::ModelSpec {
            chat_template: None,
            ..mobench_gen::ModelSpec::tiny()
        },
        &plain_model,
    );
    let info = env.json(&["inspect", plain_model.to_str().unwrap(), "--json"]);
    assert_eq!(info["has_chat_template"], false);
    let plain = prompts(&["--model", plain_model.to_str().unwrap()]);
    assert_eq!(plain.len(), 5);
    for p in &plain {
        assert!(
            !p.contains("<|im_start|>") && !p.contains("<|im_end|>"),
            "{p:?}"
        );
        assert!(p.starts_with(SYSTEM), "{p:?}");
        assert!(p.contains("question: "), "{p:?}");
    }
}

#[test]
fn every_real_dataset_file_runs_through_the_cli() {
    let shared = shared_datasets();
    let env = Env::new();
    let result = env
        .run_suite_from(&shared, &["--limit", "1", "--max-tokens", "4", "--json"])
        .assert_success()
        .json();
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["samples_total"], 14);
    assert_eq!(result["samples_done"], 14);
    let id = run_id(&result);

    let show = env.show(id);
    let grouped = aggregates_by_dataset(&show);
    let listed: BTreeSet<&str> = grouped
        .as_object()
        .expect("aggregates")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = MOBILEAIBENCH.iter().map(|(d, _)| *d).collect();
    assert_eq!(listed, expected);
    for (dataset, _) in MOBILEAIBENCH {
        assert_eq!(number(&figure(&show, dataset, "samples")["count"]), 1.0);
    }
    let consistency = figure(&show, "adv_instruction", "consistency");
    assert!(consistency["mean"].is_null(), "{consistency}");
    assert_eq!(consistency["missing_reason"], "needs embeddings");
    let judge = figure(&show, "mt_bench", "judge");
    assert_eq!(judge["missing_reason"], "needs judge");
    // Graded datasets got a real number.
    for (dataset, metric) in [
        ("hotpot_qa", "f1"),
        ("xsum", "rougeL"),
        ("sql_create_context", "sql_f1"),
        ("mmlu", "letter"),
        ("gsm8k", "number"),
        ("social_chemistry_101", "label"),
        ("do_not_answer", "refusal"),
    ] {
        let m = figure(&show, dataset, metric);
        assert!(m["mean"].is_number(), "{dataset}.{metric}: {m}");
    }

    // The stored datasets are exactly the shared files.
    let conn = env.conn();
    for (dataset, file) in MOBILEAIBENCH {
        let sha: String = conn
            .query_row(
                "SELECT sha256 FROM datasets WHERE name = ?1",
                [dataset],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("dataset {dataset} not stored: {e}"));
        assert_eq!(sha, sha256_hex(&shared.join(file)), "{dataset}");
    }
    // --limit 1 without a seed takes the first row of each.
    let samples = env.sample_rows(id);
    assert_eq!(samples.rows.len(), 14);
    assert!(samples.column("sample_index").iter().all(|i| *i == "0"));
    assert_eq!(integrity_check(&env.db()), "ok");
}

#[test]
fn seeded_sample_selection_is_reproducible() {
    let shared = shared_datasets();
    let env = Env::new();
    let picked = |seed: Option<&str>| {
        let mut args = vec!["--limit", "2", "--max-tokens", "1", "--json"];
        if let Some(seed) = seed {
            args.extend_from_slice(&["--sample-seed", seed]);
        }
        let result = env.run_suite_from(&shared, &args).assert_success().json();
        assert_eq!(result["status"], "completed", "{result}");
        let id = run_id(&result);
        let show = env.show(id);
        let recorded = &show["settings"]["selection"];
        assert_eq!(recorded["limit"], 2, "the selection is recorded in the run");
        assert_eq!(
            recorded["seed"].as_u64(),
            seed.map(|s| s.parse::<u64>().unwrap())
        );
        samples_by_dataset(&env.sample_rows(id))
    };
    let seven = picked(Some("7"));
    assert_eq!(seven.len(), 14);
    assert!(seven.values().all(|rows| rows.len() == 2), "{seven:?}");
    assert_eq!(
        picked(Some("7")),
        seven,
        "the same seed picks the same rows"
    );
    assert_ne!(picked(Some("8")), seven, "another seed picks other rows");
    let first = picked(None);
    assert!(
        first
            .values()
            .all(|rows| *rows == BTreeSet::from([0usize, 1])),
        "{first:?}"
    );
    assert_ne!(first, seven, "a seed does not pick the first rows");
}

#[test]
fn a_long_article_is_truncated_to_fit_the_context() {
    let shared = shared_datasets();
    let env = Env::new();
    let result = env
        .run_suite_from(
            &shared,
            &[
                "--datasets",
                "cnn_dailymail",
                "--limit",
                "1",
                "--ctx",
                "256",
                "--max-tokens",
                "4",
                "--json",
            ],
        )
        .assert_success()
        .json();
    assert_eq!(result["status"], "completed", "{result}");
    let id = run_id(&result);
    let samples = env.sample_rows(id);
    assert_eq!(samples.rows.len(), 1);
    let s = &samples.rows[0];
    assert_eq!(s["truncated"], "true", "{s:?}");
    assert_eq!(s["error"], "");
    let prompt_tokens: usize = s["prompt_tokens"].parse().unwrap();
    assert!(prompt_tokens <= 256, "prompt of {prompt_tokens} tokens");
    // The article is cut, never the instruction or the turn structure.
    let p = &s["prompt"];
    assert!(
        p.contains("Create a short summary of the following article: "),
        "{p:?}"
    );
    assert!(p.ends_with("<|im_start|>assistant\n"), "{p:?}");
    let show = env.show(id);
    assert_eq!(
        number(&figure(&show, "cnn_dailymail", "truncated")["count"]),
        1.0
    );
}

#[test]
fn export_neutralizes_cells_that_look_like_formulas() {
    let env = Env::new();
    let dir = fixture("datasets/formula");
    let result = env
        .run_mmlu_from(&dir, &["--template", "{prompt}", "--json"])
        .assert_success()
        .json();
    let id = run_id(&result);
    let samples = env.sample_rows(id);
    assert_eq!(samples.rows.len(), 2);
    let references: BTreeSet<&str> = samples.column("reference").into_iter().collect();
    assert_eq!(references, BTreeSet::from(["'=SUM(1,2)", "'@A"]));
    for p in samples.column("prompt") {
        assert!(p.starts_with("'+") || p.starts_with("'-"), "{p:?}");
    }
    // Only the export is neutralized; the database keeps the data as it was.
    let raw: String = env
        .conn()
        .query_row(
            "SELECT reference FROM samples WHERE reference LIKE '=%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, "=SUM(1,2)");
}

#[test]
fn inspect_describes_a_gguf_model() {
    let env = Env::new();
    let path = env.path().join("tiny.gguf");
    let spec = mobench_gen::ModelSpec::tiny();
    write_model(&spec, &path);
    let info = env.json(&["inspect", path.to_str().unwrap(), "--json"]);
    assert_eq!(info["architecture"], "llama");
    assert_eq!(info["name"], "mobench-tiny");
    assert_eq!(info["quantization"], "F32");
    assert_eq!(info["n_params"].as_u64(), Some(spec.n_params()));
    assert_eq!(
        info["size_bytes"].as_u64(),
        Some(std::fs::metadata(&path).unwrap().len())
    );
    let sha = info["sha256"].as_str().expect("sha256");
    assert_eq!(sha.len(), 64);
    assert!(sha
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(sha, sha256_hex(&path));
    assert_eq!(
        info["n_ctx_train"].as_u64(),
        Some(u64::from(spec.n_ctx_train))
    );
    assert_eq!(info["has_chat_template"], true);

    // The readable form says the same.
    let text = env.ok(&["inspect", path.to_str().unwrap()]).stdout;
    assert!(text.contains("llama") && text.contains(sha), "{text}");
}

#[test]
fn inspect_describes_a_vision_projector_and_whether_it_fits_a_model() {
    use mobench_gen::{write_projector, ModelSpec, ProjectorSpec};
    let env = Env::new();
    let model = env.path().join("tiny.gguf");
    let mmproj = env.path().join("tiny-mmproj.gguf");
    let spec = ModelSpec::tiny();
    write_model(&spec, &model);
    write_projector(&ProjectorSpec::tiny_for(&spec), &mmproj).unwrap();
    let (m, p) = (model.to_str().unwrap(), mmproj.to_str().unwrap());

    let info = env.json(&["inspect", p, "--model", m, "--json"]);
    assert_eq!(info["kind"], "projector");
    assert_eq!(info["projector_type"], "mlp");
    assert_eq!(info["name"], "mobench-tiny-mmproj");
    assert_eq!(info["image_size"], 32);
    assert_eq!(info["patch_size"], 8);
    assert_eq!(info["image_tokens"], 16);
    assert_eq!(info["n_embd_out"].as_u64(), Some(u64::from(spec.n_embd)));
    assert_eq!(
        info["bytes"].as_u64(),
        Some(std::fs::metadata(&mmproj).unwrap().len())
    );
    let sha = info["sha256"].as_str().expect("sha256");
    assert_eq!(sha, sha256_hex(&mmproj));
    assert_eq!(info["fits"]["fits"], true);
    assert_eq!(
        info["fits"]["model_n_embd"].as_u64(),
        Some(u64::from(spec.n_embd))
    );

    // The readable form, without a model to fit.
    let text = env.ok(&["inspect", p]).stdout;
    for expected in [
        "projector type  mlp",
        "image size      32 px",
        "patch size      8 px",
        "image tokens    16 per image",
        "projects to     128-wide embeddings",
        sha,
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(!text.contains("fits model"), "{text}");

    // A projector for a wider model: described, then refused in one line naming both sizes.
    let wide = env.path().join("wide-mmproj.gguf");
    let wide_spec = ProjectorSpec {
        n_embd_out: 2560,
        ..ProjectorSpec::tiny_for(&spec)
    };
    write_projector(&wide_spec, &wide).unwrap();
    let out = env.run(&["inspect", wide.to_str().unwrap(), "--model", m]);
    let line = out.error_line();
    assert!(
        line.contains("projects to 2560-wide embeddings but model")
            && line.contains("tiny.gguf has 128"),
        "{line}"
    );
    assert!(out.stdout.contains("fits model      no"), "{}", out.stdout);

    // A malformed projector is refused before llama.cpp could abort on it.
    let bytes = std::fs::read(&mmproj).unwrap();
    let cut = env.path().join("cut-mmproj.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() - 64]).unwrap();
    let line = env.run(&["inspect", cut.to_str().unwrap()]).error_line();
    assert!(
        line.contains("projector ") && line.contains("truncated"),
        "{line}"
    );

    // --model is for projectors only.
    let line = env.run(&["inspect", m, "--model", m]).error_line();
    assert!(line.contains("is not a projector"), "{line}");
}

#[test]
fn compare_sets_runs_side_by_side_against_the_first() {
    let env = Env::new();
    let short = |max: &str| {
        run_id(&env.json(&[
            "run",
            "--datasets",
            "starter_qa,starter_mmlu",
            "--max-tokens",
            max,
            "--json",
        ]))
    };
    let (a, b) = (short("2"), short("6"));
    let cmp = env.json(&["compare", &a.to_string(), &b.to_string(), "--json"]);
    assert_eq!(cmp["baseline"], a);
    let rows = cmp["rows"].as_array().unwrap();
    let row = |dataset: &str, figure: &str| {
        rows.iter()
            .find(|r| r["dataset"] == dataset && r["figure"] == figure)
            .unwrap_or_else(|| panic!("no {dataset}/{figure} row in {cmp}"))
    };
    // Quality per dataset, with the metric's direction.
    let f1 = row("starter_qa", "f1");
    assert_eq!(f1["higher_is_better"], true);
    assert_eq!(f1["values"].as_array().unwrap().len(), 2);
    assert!(row("starter_mmlu", "letter")["values"][1].is_number());
    // Speed too; the baseline's delta to itself is zero, the other's is the difference.
    let ttft = row("starter_qa", "ttft_ms");
    assert_eq!(ttft["higher_is_better"], false);
    let v = numbers(&ttft["values"]);
    let d = numbers(&ttft["delta_vs_baseline"]);
    assert_eq!(d[0], 0.0);
    assert!((d[1] - (v[1] - v[0])).abs() < 1e-9);

    // The readable table names both runs and marks the baseline.
    let text = env.ok(&["compare", &a.to_string(), &b.to_string()]).stdout;
    assert!(text.contains(&format!("run {a}")) && text.contains(&format!("run {b}")));
    assert!(text.contains(&format!("baseline: run {a}")), "{text}");

    // One run is not a comparison; an unknown run is named.
    env.run(&["compare", &a.to_string()]).assert_no_panic();
    assert_eq!(env.run(&["compare", &a.to_string()]).code(), Some(2));
    let missing = env.run(&["compare", &a.to_string(), "999"]).error_line();
    assert!(missing.contains("no run with id 999"), "{missing}");
}
