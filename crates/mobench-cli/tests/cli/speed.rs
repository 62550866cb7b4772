//! `mobench speed` end to end on the real llama.cpp and the built-in model: llama-bench's
//! statistics and field names, sweeps, pg and depth tests, sustained mode, the stored speed runs
//! as `runs`, `show`, `compare` and `export` present them, and bad input refused up front.

use crate::support::{count, integrity_check, number, numbers, wait_out, Env, COMMAND_TIMEOUT};

/// llama-bench's JSON fields (`test::get_fields()` plus the two sample arrays), in its order:
/// the contract these tests hold the speed runs to, one name a line.
fn llama_bench_fields() -> Vec<&'static str> {
    let fields: Vec<&str> = include_str!("llama_bench_fields.txt").lines().collect();
    assert_eq!(fields.len(), 44, "llama_bench_fields.txt");
    fields
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn last_run_id(env: &Env) -> i64 {
    env.runs().as_array().unwrap().last().unwrap()["run_id"]
        .as_i64()
        .unwrap()
}

#[test]
fn tests_report_llama_bench_fields_and_statistics_of_their_repetitions() {
    let env = Env::new();
    let out = env.ok(&[
        "speed", "-p", "32", "-n", "8", "--pg", "16,4", "-d", "0,8", "-r", "3", "--json",
    ]);
    let rows = out.json();
    let rows = rows
        .as_array()
        .expect("a JSON array, as llama-bench -o json");
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            let (p, g, d) = (&r["n_prompt"], &r["n_gen"], &r["n_depth"]);
            format!("{p}/{g}/{d}")
        })
        .collect();
    assert_eq!(
        names,
        ["32/0/0", "0/8/0", "16/4/0", "32/0/8", "0/8/8", "16/4/8"],
        "pp, tg then pg for each depth, as llama-bench orders them"
    );
    for r in rows {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            llama_bench_fields(),
            "llama-bench's fields in its order"
        );
        let ns = numbers(&r["samples_ns"]);
        let ts = numbers(&r["samples_ts"]);
        assert_eq!(ns.len(), 3, "one sample per repetition: {r}");
        let tokens = number(&r["n_prompt"]) + number(&r["n_gen"]);
        for (n, t) in ns.iter().zip(&ts) {
            assert!(*n > 0.0);
            assert!(close(*t, tokens * 1e9 / n), "t/s = tokens × 1e9 / ns");
        }
        let mean = ts.iter().sum::<f64>() / 3.0;
        let sd = (ts.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!(close(number(&r["avg_ts"]), mean), "avg_ts is the mean: {r}");
        assert!(
            close(number(&r["stddev_ts"]), sd),
            "stddev_ts is the sample SD: {r}"
        );
        assert!(number(&r["avg_ts"]) > 0.0);
        let mean_ns = ns.iter().sum::<f64>() / 3.0;
        assert!((number(&r["avg_ns"]) - mean_ns).abs() <= 1.0);
        assert_eq!(r["n_threads"], 1);
        assert_eq!(r["n_batch"], 2048);
        assert_eq!(r["n_ubatch"], 512);
        assert_eq!(r["n_gpu_layers"], -1);
        assert_eq!(r["type_k"], "f16");
        let model_type = r["model_type"].as_str().unwrap();
        assert!(
            model_type.starts_with("llama ") && model_type.ends_with(" F32"),
            "llama.cpp's own description: {model_type}"
        );
        let n_params = r["model_n_params"].as_u64().unwrap();
        assert!((1_400_000..1_450_000).contains(&n_params), "{n_params}");
        assert!(r["model_size"].as_u64().unwrap() > 4 * 1_400_000);
        assert!(r["model_filename"]
            .as_str()
            .unwrap()
            .ends_with("mobench-tiny.gguf"));
        assert!(!r["cpu_info"].as_str().unwrap().is_empty());
        assert_eq!(r["backends"], "CPU");
        assert!(r["test_time"].as_str().unwrap().ends_with('Z'));
    }

    // Stored as a speed run, listed, shown and exported in the same fields.
    let run_id = last_run_id(&env);
    let listed = env.runs();
    assert_eq!(listed[0]["kind"], "speed");
    assert_eq!(listed[0]["status"], "completed");
    let shown = env.json(&["show", &run_id.to_string(), "--json"]);
    assert_eq!(shown["run"]["kind"], "speed");
    // Each llama-bench row is one speed test of the run detail, with the same rates.
    let tests = shown["speed"]
        .as_array()
        .expect("speed tests in show --json");
    assert_eq!(tests.len(), rows.len(), "{shown}");
    for (test, row) in tests.iter().zip(rows.iter()) {
        assert_eq!(test["n_threads"], row["n_threads"], "{test} vs {row}");
        assert_eq!(test["avg_ts"], row["avg_ts"], "{test} vs {row}");
        assert_eq!(test["stddev_ts"], row["stddev_ts"], "{test} vs {row}");
        assert_eq!(test["samples_ts"], row["samples_ts"], "{test} vs {row}");
    }
    assert!(shown["device"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(
        shown["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["figure"] == "peak_memory_bytes" && f["value"].as_f64().unwrap() > 0.0),
        "speed runs are sampled too: {shown}"
    );
    let md = env.ok(&["show", &run_id.to_string()]).stdout;
    assert!(
        md.contains("| model") && md.contains("pp32 @ d8") && md.contains("pp16+tg4"),
        "{md}"
    );

    let csv = env.export_csv(&[&run_id.to_string()]);
    assert_eq!(
        csv.headers,
        llama_bench_fields()[..42],
        "llama-bench's CSV fields"
    );
    assert_eq!(csv.rows.len(), 6);
    assert_eq!(csv.rows[3]["n_depth"], "8");
    let avg: f64 = csv.rows[0]["avg_ts"].parse().unwrap();
    assert!(close(avg, number(&rows[0]["avg_ts"])));
}

#[test]
fn thread_lists_sweep_and_speed_runs_compare_by_test() {
    let env = Env::new();
    let md = env
        .ok(&["bench", "-p", "16", "-n", "4", "-r", "2", "-t", "1,2"])
        .stdout;
    assert_eq!(
        md.lines().count(),
        2 + 4,
        "header, rule and one row per combination:\n{md}"
    );
    let first = last_run_id(&env);
    // `bench` (above) is the command's alias, `speed` its name.
    env.ok(&["speed", "-p", "16", "-n", "4", "-r", "2"]);
    let second = last_run_id(&env);
    let cmp = env.json(&["compare", &first.to_string(), &second.to_string(), "--json"]);
    let rows = cmp["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "pp16 and tg4 at 1 and 2 threads: {cmp}");
    let pp1 = rows
        .iter()
        .find(|r| r["test"] == "pp16" && r["n_threads"] == 1)
        .unwrap();
    let (a, b) = (number(&pp1["avg_ts"][0]), number(&pp1["avg_ts"][1]));
    assert!(close(number(&pp1["ratio_vs_baseline"][1]), b / a));
    let two_threads_only_in_first = rows
        .iter()
        .find(|r| r["test"] == "tg4" && r["n_threads"] == 2)
        .unwrap();
    assert!(two_threads_only_in_first["avg_ts"][1].is_null());

    // A speed run cannot be set beside a suite run.
    let suite = env.quick_run();
    let out = env.run(&["compare", &first.to_string(), &suite["run_id"].to_string()]);
    assert!(
        out.error_line().contains("compare them separately"),
        "{out}"
    );
    let csv = env.path().join("mixed.csv");
    let out = env.run(&[
        "export",
        &first.to_string(),
        &suite["run_id"].to_string(),
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(out.error_line().contains("separately"), "{out}");
    assert!(!csv.exists());
    // Exporting everything: suite runs by default, speed runs with --speed.
    let exported = env.export_json(&["--speed"]);
    assert_eq!(exported.as_array().unwrap().len(), 6);
}

#[test]
fn sustained_mode_records_rounds_and_summarises_the_rate_over_time() {
    let env = Env::new();
    let v = env.json(&["speed", "--sustained", "0.03", "--round", "16", "--json"]);
    let rounds = v["rounds"].as_array().unwrap();
    assert!(rounds.len() >= 2, "{v}");
    for (i, r) in rounds.iter().enumerate() {
        assert_eq!(r["round"], i);
        assert_eq!(r["tokens"], 16);
        assert!(close(
            number(&r["tokens_per_s"]),
            16.0 * 1e9 / number(&r["duration_ns"])
        ));
    }
    let s = &v["summary"];
    assert_eq!(s["rounds"], rounds.len());
    assert!(close(
        number(&s["initial_ts"]),
        number(&rounds[0]["tokens_per_s"])
    ));
    let last = number(&rounds[rounds.len() - 1]["tokens_per_s"]);
    assert!(close(
        number(&s["last_over_first"]),
        last / number(&s["initial_ts"])
    ));
    assert!(
        s["at_minutes"][0][1].is_null(),
        "a 2-second run has no 1-minute rate"
    );
    // The run detail carries the same rounds and summary.
    let shown = env.show(v["run_id"].as_i64().unwrap());
    assert_eq!(shown["sustained"], v, "{shown}");
    let text = env.ok(&["show", &v["run_id"].to_string()]).stdout;
    assert!(
        text.contains("after  1 min      n/a (the run was shorter)"),
        "{text}"
    );
    // Thermal state: when it left nominal, that it never did, or why it is unknown here.
    let left = text
        .lines()
        .find(|l| l.starts_with("left nominal at"))
        .unwrap();
    match s["thermal_unavailable"].as_str() {
        Some(why) => assert!(left.contains(why), "{left}"),
        None => assert!(!left.contains("n/a"), "{left}"),
    }
}

#[test]
fn bad_requests_fail_before_loading_and_write_nothing() {
    let env = Env::new();
    let not_gguf = env.path().join("notes.gguf");
    std::fs::write(&not_gguf, "hello").unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["speed", "-r", "0"], "--reps must be at least 1"),
        (&["speed", "-t", "4096"], "more than this machine's"),
        (&["speed", "-p", "0", "-n", "0"], "nothing to measure"),
        (
            &["speed", "-d", "4000", "-p", "512"],
            "needs a 4512-token context",
        ),
        (&["speed", "--pg", "512"], "--pg 512: expected two counts"),
        (
            &["speed", "--sustained", "-1"],
            "--sustained needs a positive",
        ),
        (
            &["speed", "--model", not_gguf.to_str().unwrap()],
            "notes.gguf",
        ),
    ];
    for (args, expected) in cases {
        let out = env.run(args);
        let line = out.error_line();
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    let out = env.run(&["speed", "-r", "-3"]);
    assert_eq!(out.code(), Some(2), "clap refuses a negative count: {out}");
    if env.db().exists() {
        assert_eq!(count(&env.conn(), "SELECT COUNT(*) FROM runs"), 0);
    }
}

#[test]
fn ctrl_c_stops_a_sustained_run_keeping_its_rounds() {
    let env = Env::new();
    let mut child = env.spawn(&["speed", "--sustained", "5", "--round", "16", "--json"]);
    // Wait until a few rounds are stored, then do what Ctrl-C in a terminal does.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(child.try_wait().unwrap().is_none(), "ended before Ctrl-C");
        let rounds = rusqlite::Connection::open_with_flags(
            env.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.query_row("SELECT COUNT(*) FROM speed_rounds", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .unwrap_or(0);
        if rounds >= 3 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no rounds stored");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with our own child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = wait_out(child, COMMAND_TIMEOUT);
    out.assert_no_panic();
    assert_eq!(out.code(), Some(130), "Ctrl-C exits with 130:\n{out}");
    let v = out.json();
    assert!(v["rounds"].as_array().unwrap().len() >= 3, "{v}");
    let run = env.runs()[0].clone();
    assert_eq!(run["status"], "interrupted");
    assert_eq!(integrity_check(&env.db()), "ok");
}
