//! The downloader against a real HTTP server on 127.0.0.1.

use std::fs;
use std::net::TcpListener;
use std::path::Path;

use mobench_tasks::fetch::{download, sha256_file, Expected, FetchError};
use mobench_tasks::testkit::{Reply, TestServer};

/// Deterministic bytes that are not one repeated value.
fn body_of(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

fn sha256_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    fs::write(&path, bytes).unwrap();
    sha256_file(&path).unwrap()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A download that must fail, without progress reports.
fn failed_download(url: &str, dest: &Path, sha256: &str, bytes: Option<u64>) -> FetchError {
    download(url, dest, &Expected { sha256, bytes }, &mut |_, _| {}).unwrap_err()
}

/// Nothing of a failed download is left in `dir`: no partial file, no temporary one.
fn assert_nothing_left(dir: &Path) {
    let names = names_in(dir);
    assert!(names.is_empty(), "{names:?}");
}

const WRONG_SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn sha256_file_matches_a_known_vector() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc.txt");
    fs::write(&path, b"abc").unwrap();
    assert_eq!(
        sha256_file(&path).unwrap(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    let missing = dir.path().join("missing.txt");
    let err = sha256_file(&missing).unwrap_err();
    assert!(matches!(err, FetchError::Io { ref path, .. } if path == &missing));
    assert!(err.to_string().contains("missing.txt"), "{err}");
}

#[test]
fn a_good_download_lands_with_the_right_bytes_and_reports_progress() {
    let body = body_of(300 * 1024 + 123);
    let sha = sha256_of(&body);
    let server = TestServer::start(vec![("/data/mmlu.csv", Reply::Body(body.clone()))], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("nested").join("mmlu.csv");

    let mut calls = Vec::new();
    download(
        &server.url("/data/mmlu.csv"),
        &dest,
        &Expected {
            sha256: &sha.to_uppercase(),
            bytes: Some(body.len() as u64),
        },
        &mut |done, total| calls.push((done, total)),
    )
    .expect("download succeeds");

    assert_eq!(fs::read(&dest).unwrap(), body);
    assert_eq!(names_in(dest.parent().unwrap()), vec!["mmlu.csv"]);

    let total = body.len() as u64;
    assert!(calls.len() >= 3, "progress calls: {calls:?}");
    assert!(calls.iter().all(|&(_, t)| t == Some(total)), "{calls:?}");
    assert!(
        calls.windows(2).all(|w| w[0].0 < w[1].0),
        "progress must increase: {calls:?}"
    );
    let dones: Vec<u64> = calls.iter().map(|&(done, _)| done).collect();
    // Throttled: every report but the last comes at least 64 KiB after the previous one.
    let gaps = dones.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>();
    assert!(
        gaps[..gaps.len() - 1].iter().all(|&gap| gap >= 64 * 1024),
        "{dones:?}"
    );
    assert_eq!(*calls.last().unwrap(), (total, Some(total)));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let head = requests[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /data/mmlu.csv http/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "user-agent: mobench/{}\r\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{head}"
    );
}

#[test]
fn a_download_without_an_expected_size_still_checks_the_hash() {
    let body = body_of(1000);
    let sha = sha256_of(&body);
    let server = TestServer::start(vec![("/small.jsonl", Reply::Body(body.clone()))], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("small.jsonl");

    let mut calls = Vec::new();
    download(
        &server.url("/small.jsonl"),
        &dest,
        &Expected {
            sha256: &sha,
            bytes: None,
        },
        &mut |done, total| calls.push((done, total)),
    )
    .unwrap();
    server.requests();

    assert_eq!(fs::read(&dest).unwrap(), body);
    assert_eq!(calls.last(), Some(&(1000, Some(1000))));
}

#[test]
fn a_wrong_checksum_leaves_nothing_behind() {
    let body = body_of(200 * 1024);
    let server = TestServer::start(vec![("/bbq.csv", Reply::Body(body.clone()))], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bbq.csv");

    let err = failed_download(
        &server.url("/bbq.csv"),
        &dest,
        WRONG_SHA,
        Some(body.len() as u64),
    );
    server.requests();

    match &err {
        FetchError::Checksum {
            path,
            expected,
            actual,
        } => {
            assert_eq!(path, &dest);
            assert_eq!(expected, WRONG_SHA);
            assert_eq!(actual, &sha256_of(&body));
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.starts_with("checksum mismatch for "), "{message}");
    assert!(message.contains(&dest.display().to_string()), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_nothing_left(dir.path());
}

#[test]
fn a_404_is_an_http_error_naming_the_url() {
    let server = TestServer::start(vec![], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("gsm8k.csv");
    let url = server.url("/missing/gsm8k.csv");

    let err = failed_download(&url, &dest, WRONG_SHA, None);
    server.requests();

    assert!(
        matches!(&err, FetchError::Http { url: u, status: 404 } if u == &url),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("404"), "{message}");
    assert_nothing_left(dir.path());
}

#[test]
fn a_connection_closed_mid_body_is_an_error_and_leaves_nothing() {
    let body = body_of(100_000);
    let sha = sha256_of(&body);
    let server = TestServer::start(vec![("/cut.csv", Reply::cut_short(&body, 40_000))], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("cut.csv");
    let url = server.url("/cut.csv");

    let err = failed_download(&url, &dest, &sha, Some(body.len() as u64));
    server.requests();

    assert!(
        matches!(&err, FetchError::Network { url: u, .. } if u == &url),
        "{err:?}"
    );
    assert!(err.to_string().contains(&url), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");
    assert_nothing_left(dir.path());
}

#[test]
fn a_size_other_than_expected_is_refused() {
    let body = body_of(5000);
    let sha = sha256_of(&body);
    let server = TestServer::start(vec![("/x.csv", Reply::Body(body))], 1);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.csv");

    let err = failed_download(&server.url("/x.csv"), &dest, &sha, Some(4000));
    server.requests();

    assert!(
        matches!(&err, FetchError::Size { path, expected: 4000, actual: 5000 } if path == &dest),
        "{err:?}"
    );
    assert!(err.to_string().contains("x.csv"), "{err}");
    assert_nothing_left(dir.path());
}

#[test]
fn an_existing_file_is_kept_when_a_download_fails_and_replaced_when_it_succeeds() {
    let good = body_of(70_000);
    let server = TestServer::start(
        vec![
            ("/good.csv", Reply::Body(good.clone())),
            ("/cut.csv", Reply::cut_short(&good, 1000)),
        ],
        4,
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("mmlu.csv");
    fs::write(&dest, b"the old copy\n").unwrap();
    let sha = sha256_of(&good);
    let matching = Expected {
        sha256: &sha,
        bytes: Some(good.len() as u64),
    };

    let failures = [
        (server.url("/good.csv"), WRONG_SHA),
        (server.url("/cut.csv"), sha.as_str()),
        (server.url("/nowhere.csv"), sha.as_str()),
    ];
    for (url, sha256) in &failures {
        let expected = Expected {
            sha256,
            bytes: matching.bytes,
        };
        let result = download(url, &dest, &expected, &mut |_, _| {});
        assert!(result.is_err(), "{url} should fail");
        assert_eq!(fs::read(&dest).unwrap(), b"the old copy\n", "after {url}");
        assert_eq!(names_in(dir.path()), vec!["mmlu.csv"], "after {url}");
    }

    download(&server.url("/good.csv"), &dest, &matching, &mut |_, _| {}).unwrap();
    assert_eq!(fs::read(&dest).unwrap(), good);
    assert_eq!(names_in(dir.path()), vec!["mmlu.csv"]);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn an_unreachable_server_is_a_network_error_naming_the_url() {
    // A port that was just free: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hotpot_qa.csv");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("hotpot_qa.csv");

    let err = failed_download(&url, &dest, WRONG_SHA, None);

    assert!(
        matches!(&err, FetchError::Network { url: u, .. } if u == &url),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("download of {url} failed: ")),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
    assert_nothing_left(dir.path());
}
