//! `mobench grade` end to end: a judge behind an OpenAI-compatible endpoint (a real HTTP server
//! on 127.0.0.1 written here, answering as the API documents and counting what it is asked), a
//! grading pass killed mid-way and run again asking nothing twice, `show --judgments`, and the
//! bad grader specs and endpoints that are one clear line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{wait_out, Env, COMMAND_TIMEOUT};

/// An OpenAI-shaped chat endpoint: every answer is "Correct", after `delay`; it keeps each
/// request's body.
struct Endpoint {
    base: String,
    bodies: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

fn endpoint(delay: Duration, status: u16) -> Endpoint {
    answering("Correct", delay, status)
}

/// An endpoint whose every chat answer is `content`.
fn answering(content: &'static str, delay: Duration, status: u16) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let (b, c) = (bodies.clone(), count.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            c.fetch_add(1, Ordering::SeqCst);
            b.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            std::thread::sleep(delay);
            let json = serde_json::json!({
                "id": "x", "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
            })
            .to_string();
            let reason = if status == 200 { "OK" } else { "Unauthorized" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                json.len()
            );
        }
    });
    Endpoint {
        base,
        bodies,
        count,
    }
}

/// A finished starter run with five mmlu and four refusal samples to grade.
fn graded_run(env: &Env) -> i64 {
    env.json(&[
        "run",
        "--datasets",
        "starter_mmlu,starter_refusal",
        "--max-tokens",
        "2",
        "--json",
    ])["run_id"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_killed_grading_pass_resumes_and_asks_the_endpoint_nothing_twice() {
    let env = Env::new();
    let run_id = graded_run(&env).to_string();
    let server = endpoint(Duration::from_millis(300), 200);
    let args = [
        "grade",
        &run_id,
        "--judge",
        "openai:judge-model",
        "--base-url",
        &server.base,
        "--concurrency",
        "1",
        "--json",
    ];
    let mut child = env.spawn(&args);
    while server.count.load(Ordering::SeqCst) < 4 {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let before = server.count.load(Ordering::SeqCst);

    let report = env.json(&args);
    let r = &report[0];
    let total = 9;
    // What was answered before the kill was kept (all but at most the one in flight).
    assert!(
        r["cached"].as_u64().unwrap() >= before as u64 - 1,
        "{report}"
    );
    assert_eq!(
        r["cached"].as_u64().unwrap() + r["asked"].as_u64().unwrap(),
        total,
        "{report}"
    );
    let asked_in_all = server.count.load(Ordering::SeqCst);
    assert!(
        asked_in_all <= total as usize + 1,
        "{asked_in_all} requests"
    );
    let figure = r["figures"][0]["figure"].as_str().unwrap();
    assert!(figure.starts_with("judge_em@judge-model."), "{figure}");
    assert_eq!(
        r["figures"][0]["value"].as_f64(),
        Some(1.0),
        "every judgment said Correct"
    );
    // "Correct" says neither yes nor no to the refusal question: 0.5 each, and counted.
    assert_eq!(r["figures"][1]["value"].as_f64(), Some(0.5));
    assert_eq!(r["unparsed"], 4);

    // The requests are MobileAIBench's: its system prompt, the raw question, temperature 0.
    let body: serde_json::Value = serde_json::from_str(&server.bodies.lock().unwrap()[0]).unwrap();
    assert_eq!(body["model"], "judge-model");
    assert_eq!(body["temperature"], 0.0);
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.starts_with("You are a teacher and need to grade"),
        "{system}"
    );
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.starts_with("<question>") && user.contains("<student_answer>"),
        "{user}"
    );
    assert!(
        !user.contains("<|im_start|>"),
        "the judge sees the raw question: {user}"
    );

    // Grading again asks nothing at all.
    let again = env.json(&args);
    assert_eq!(again[0]["asked"], 0);
    assert_eq!(server.count.load(Ordering::SeqCst), asked_in_all);

    // Each judge's answer is shown with its sample.
    let shown = env.json(&["show", &run_id, "--judgments", "--json"]);
    let rows = shown.as_array().unwrap();
    assert_eq!(rows.len(), total as usize);
    assert!(rows.iter().all(|r| r["judgment"] == "Correct"));
    // The offline figures and the judge's stand side by side, each with its grader.
    let detail = env.show(run_id.parse().unwrap());
    let graders: Vec<&str> = detail["aggregates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["dataset"] == "starter_mmlu" && a["stat"] == "mean")
        .filter_map(|a| a["grader"].as_str())
        .collect();
    assert!(graders.contains(&"mobench-offline/1"), "{graders:?}");
    assert!(
        graders.iter().any(|g| g.starts_with("judge:openai:")),
        "{graders:?}"
    );
}

#[test]
fn mt_bench_is_graded_turn_by_turn_with_fastchats_prompts() {
    let env = Env::new();
    let run_id = env.json(&[
        "run",
        "--datasets",
        "starter_mt_bench",
        "--max-tokens",
        "2",
        "--json",
    ])["run_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let server = answering("The answer is fine. Rating: [[8]]", Duration::ZERO, 200);
    let report = env.json(&[
        "grade",
        &run_id,
        "--judge",
        "openai:gpt-4",
        "--base-url",
        &server.base,
        "--json",
    ]);
    let r = &report[0];
    // The writing question's two turns are judged; the reasoning one needs a reference answer
    // that FastChat has only for MT-Bench's own questions.
    assert_eq!(r["asked"], 2, "{report}");
    assert_eq!(r["figures"][0]["value"].as_f64(), Some(8.0), "{report}");
    assert!(
        r["missing"][0]
            .as_str()
            .unwrap()
            .contains("reference answer"),
        "{report}"
    );
    let bodies = server.bodies.lock().unwrap();
    let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    let second: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    let user = |b: &serde_json::Value| b["messages"][1]["content"].as_str().unwrap().to_string();
    assert!(
        user(&first).contains("[The Start of Assistant's Answer]"),
        "{}",
        user(&first)
    );
    assert!(
        user(&second).contains("<|The Start of Assistant A's Conversation with User|>"),
        "{}",
        user(&second)
    );
    // Each turn's rating is the sample's, in the samples export.
    let csv = env.sample_rows(run_id.parse().unwrap());
    let figure = r["figures"][0]["figure"].as_str().unwrap();
    assert_eq!(csv.column(figure)[0], "8");
    assert_eq!(csv.column(&format!("{figure}#2"))[0], "8");
}

#[test]
fn bad_graders_and_endpoints_are_one_clear_line_and_keep_the_figures() {
    let env = Env::new();
    let run_id = graded_run(&env).to_string();
    let before = env.show(run_id.parse().unwrap())["aggregates"].clone();

    let line = env
        .run(&["grade", &run_id, "--judge", "gpt-4o"])
        .error_line();
    assert!(line.contains("unknown grader `gpt-4o`"), "{line}");
    let line = env.run(&["grade", &run_id]).error_line();
    assert!(line.contains("--judge"), "{line}");
    let line = env
        .command(&["grade", &run_id, "--judge", "openai:gpt-4o"])
        .env_remove("OPENAI_API_KEY")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .unwrap();
    assert!(line.contains("OPENAI_API_KEY"), "{line}");
    // A wrong key: the endpoint says 401, once, and the key is never printed.
    let refusing = endpoint(Duration::ZERO, 401);
    let out = wait_out(
        env.command(&[
            "grade",
            &run_id,
            "--judge",
            "openai:gpt-4o",
            "--base-url",
            &refusing.base,
        ])
        .env("OPENAI_API_KEY", "sk-secret-test-key")
        .spawn()
        .unwrap(),
        COMMAND_TIMEOUT,
    );
    let line = out.error_line_with(true);
    assert!(line.contains("401"), "{line}");
    assert!(!out.stderr.contains("sk-secret") && !out.stdout.contains("sk-secret"));
    assert_eq!(
        refusing.count.load(Ordering::SeqCst),
        1,
        "a 401 is not retried"
    );
    // A judge file that is not a chat model.
    let plain = env.path().join("plain.gguf");
    crate::support::write_model(
        &mobench_gen::ModelSpec {
            chat_template: None,
            ..mobench_gen::ModelSpec::tiny()
        },
        &plain,
    );
    let line = env
        .run(&[
            "grade",
            &run_id,
            "--judge",
            &format!("local:{}", plain.display()),
        ])
        .error_line();
    assert!(line.contains("chat template"), "{line}");

    assert_eq!(env.show(run_id.parse().unwrap())["aggregates"], before);
}

/// A proxy in front of `upstream` (host:port) that answers the first request with 429 and a
/// `Retry-After` of one second, the second with a 500, the third by dropping the connection, and
/// passes every later one through; it counts what it saw.
fn faulty_proxy(upstream: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { return };
            let n = c.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let mut head = Vec::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                // One request per connection: the upstream closes after answering.
                if line.to_ascii_lowercase().starts_with("connection:") {
                    continue;
                }
                if line == "\r\n" {
                    head.extend_from_slice(b"Connection: close\r\n\r\n");
                    break;
                }
                head.extend_from_slice(line.as_bytes());
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            match n {
                0 => {
                    let _ = client.write_all(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                1 => {
                    let _ = client.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                2 => drop(client),
                _ => {
                    let Ok(mut up) = std::net::TcpStream::connect(&upstream) else {
                        continue;
                    };
                    let _ = up.write_all(&head);
                    let _ = up.write_all(&body);
                    let mut answer = Vec::new();
                    let _ = up.read_to_end(&mut answer);
                    let _ = client.write_all(&answer);
                }
            }
        }
    });
    (base, count)
}

/// Grading through llama-cpp-python's OpenAI-compatible server, behind a proxy that injects a
/// 429 with Retry-After, a 500 and a dropped connection: the retries get through, and a grading
/// pass run again asks nothing. Run by scripts/test.sh's "openai server" stage:
///
/// ```text
/// export MOBENCH_OPENAI_BASE_URL=$(scripts/openai-server.sh start --model tiny.gguf --pooling mean)
/// cargo test -p mobench-cli --test cli real_server -- --ignored
/// ```
#[test]
#[ignore = "needs MOBENCH_OPENAI_BASE_URL (scripts/openai-server.sh start) and --ignored"]
fn grading_through_a_real_server_behind_a_faulty_proxy() {
    let real = std::env::var("MOBENCH_OPENAI_BASE_URL")
        .expect("set MOBENCH_OPENAI_BASE_URL (scripts/openai-server.sh start prints it)");
    let upstream = real
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_string();
    let (base, seen) = faulty_proxy(upstream);
    let env = Env::new();
    let run_id = graded_run(&env).to_string();
    let adv = env.json(&[
        "run",
        "--suite",
        "mobileaibench",
        "--datasets",
        "adv_instruction",
        "--datasets-dir",
        crate::support::shared_datasets().to_str().unwrap(),
        "--limit",
        "13",
        "--max-tokens",
        "4",
        "--json",
    ])["run_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let args = [
        "grade",
        &run_id,
        &adv,
        "--judge",
        "openai:judge",
        "--embedder",
        "openai:judge",
        "--base-url",
        &base,
        "--concurrency",
        "2",
        "--json",
    ];
    let report = env.json(&args);
    // 9 judgments, and the 13 answers embedded (fewer when answers repeat), after three faults.
    assert_eq!(report[0]["asked"], 9, "{report}");
    assert_eq!(report[0]["graded"], 9, "{report}");
    assert!(report[1]["asked"].as_u64().unwrap() >= 1, "{report}");
    // Rows 0-11 are a group's original and its eleven variants; row 12 opens the next group,
    // whose variants this run did not reach: it is set apart, not an error.
    assert_eq!(report[1]["graded"], 11, "{report}");
    assert!(seen.load(Ordering::SeqCst) >= 3 + 9);
    let figure = report[1]["figures"][0]["figure"].as_str().unwrap();
    assert!(figure.starts_with("consistency@judge."), "{figure}");

    let before = seen.load(Ordering::SeqCst);
    let again = env.json(&args);
    assert_eq!(
        (again[0]["asked"].as_u64(), again[1]["asked"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        before,
        "nothing is asked twice"
    );
}
