//! Folder datasets (the multimodal sets) against a real HTTP server on 127.0.0.1: every file of
//! the manifest is fetched and checked, an interrupted fetch resumes, a bad file is named.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use mobench_tasks::catalog::{folder_data_sha256, FolderFile};
use mobench_tasks::fetch::{
    fetch_dataset, is_present, sha256_file, verify_dataset, FetchError, Fetched, FileState,
};
use mobench_tasks::testkit::{Reply, TestServer};
use mobench_tasks::{Catalog, DatasetDef};

/// The files of a small folder, in the manifest's (sorted) order.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "answers.json",
            br#"{"1": {"answer": "B"}, "2": {"answer": "C"}}"#.to_vec(),
        ),
        ("images/1.jpg", bytes(90_000, 1)),
        ("images/2.jpg", bytes(120_000, 2)),
        (
            "prompts.json",
            br#"{"1": {"image_id": "1", "prompt": "a"}, "2": {"image_id": "2", "prompt": "b"}}"#
                .to_vec(),
        ),
    ]
}

/// Deterministic bytes that are not one repeated value.
fn bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut state: u32 = 0x2545_f491 ^ seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

fn sha256_of(body: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    fs::write(&path, body).unwrap();
    sha256_file(&path).unwrap()
}

/// The catalog's vqav2 entry with this test's manifest, downloading from `url`.
fn def(url: &str) -> DatasetDef {
    let mut d = Catalog::builtin().dataset("vqav2").unwrap().clone();
    d.files = files()
        .into_iter()
        .map(|(path, body)| FolderFile {
            path: path.into(),
            bytes: body.len() as u64,
            sha256: sha256_of(&body),
        })
        .collect();
    d.bytes = d.files.iter().map(|f| f.bytes).sum();
    let sha = |p: &str| d.files.iter().find(|f| f.path == p).unwrap().sha256.clone();
    d.sha256 = folder_data_sha256(&sha("prompts.json"), &sha("answers.json"));
    d.url = Some(url.to_string());
    d
}

/// Routes serving every file under `base`, with `changed` replacing some replies.
fn routes(base: &str, changed: &[(&str, Reply)]) -> Vec<(String, Reply)> {
    files()
        .into_iter()
        .map(|(path, body)| {
            let reply = changed
                .iter()
                .find(|(p, _)| *p == path)
                .map_or(Reply::Body(body), |(_, r)| r.clone());
            (format!("{base}/{path}"), reply)
        })
        .collect()
}

fn serve(routes: Vec<(String, Reply)>, max_requests: usize) -> TestServer {
    TestServer::start(
        routes
            .iter()
            .map(|(p, r)| (p.as_str(), r.clone()))
            .collect(),
        max_requests,
    )
}

/// The request paths a server received, in order.
fn paths(server: TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|head| head.split_whitespace().nth(1).unwrap_or("").to_string())
        .collect()
}

/// Every file under `dir`, as `/`-separated relative paths, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, "", &mut out);
    }
    out.sort();
    out
}

fn all_files() -> Vec<String> {
    files().iter().map(|(p, _)| p.to_string()).collect()
}

fn assert_all_right(folder: &Path) {
    for (path, body) in files() {
        assert_eq!(fs::read(folder.join(path)).unwrap(), body, "{path}");
    }
    assert_eq!(tree(folder), all_files(), "nothing else is left");
}

/// A URL where nothing listens: a fetch that needs no download never notices.
fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/gone/vqav2")
}

#[test]
fn every_file_is_fetched_and_an_interrupted_fetch_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let folder: PathBuf = dir.path().join("vqav2");
    let (_, image2) = files().remove(2);

    // The connection drops in the middle of images/2.jpg: the fetch stops there.
    let server = serve(
        routes(
            "/b/vqav2",
            &[("images/2.jpg", Reply::cut_short(&image2, 50_000))],
        ),
        3,
    );
    let d = def(&server.url("/b/vqav2"));
    let err = fetch_dataset(&d, dir.path(), None, &mut |_, _| {}).unwrap_err();
    let cut_url = server.url("/b/vqav2/images/2.jpg");
    assert!(
        matches!(&err, FetchError::Network { url, .. } if url == &cut_url),
        "{err:?}"
    );
    assert_eq!(
        paths(server),
        [
            "/b/vqav2/answers.json",
            "/b/vqav2/images/1.jpg",
            "/b/vqav2/images/2.jpg"
        ],
        "a network error stops the fetch"
    );
    assert_eq!(tree(&folder), ["answers.json", "images/1.jpg"]);
    assert!(!is_present(&d, dir.path()));
    // As if a killed process had left its partial file behind.
    fs::write(folder.join("images/2.jpg.part"), b"half of it").unwrap();

    // Run again: only what is missing is asked for; the partial file starts over.
    let server = serve(routes("/b/vqav2", &[]), 2);
    let d = def(&server.url("/b/vqav2"));
    let mut calls = Vec::new();
    let fetched = fetch_dataset(&d, dir.path(), None, &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(fetched, Fetched::Downloaded);
    assert_eq!(
        paths(server),
        ["/b/vqav2/images/2.jpg", "/b/vqav2/prompts.json"]
    );
    assert_all_right(&folder);
    assert!(is_present(&d, dir.path()));
    // Progress counts the whole folder, kept files included, and never goes back.
    assert!(calls.iter().all(|&(_, t)| t == Some(d.bytes)), "{calls:?}");
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
    assert_eq!(calls.first().unwrap().0, 0);
    assert_eq!(calls.last().unwrap().0, d.bytes);

    // Everything there: nothing is downloaded (nothing listens at the address).
    let d = def(&dead_url());
    let fetched = fetch_dataset(&d, dir.path(), None, &mut |_, _| {}).unwrap();
    assert_eq!(fetched, Fetched::AlreadyPresent);
    assert!(verify_dataset(&d, dir.path())
        .iter()
        .all(|c| c.state == FileState::Ok));
    // What the loader then reads.
    let ds = mobench_tasks::load::load(&d, Some(dir.path())).unwrap();
    assert_eq!(ds.sha256, d.sha256);
    assert_eq!(ds.examples.len(), 2);
}

#[test]
fn a_corrupted_file_is_fetched_again_and_a_bad_download_is_removed_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("vqav2");
    let server = serve(routes("/b/vqav2", &[]), 4);
    fetch_dataset(
        &def(&server.url("/b/vqav2")),
        dir.path(),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    server.requests();

    // A file damaged on disk: verify names it, fetch replaces just that one.
    let image1 = folder.join("images/1.jpg");
    let mut damaged = fs::read(&image1).unwrap();
    damaged[10] ^= 0xff;
    fs::write(&image1, &damaged).unwrap();
    let d = def(&dead_url());
    let checks = verify_dataset(&d, dir.path());
    assert_eq!(checks.len(), 4);
    let bad: Vec<_> = checks.iter().filter(|c| c.state != FileState::Ok).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].path, image1);
    assert_eq!(
        bad[0].state,
        FileState::Mismatch {
            actual: sha256_of(&damaged)
        }
    );
    assert!(
        is_present(&d, dir.path()),
        "presence does not read the files"
    );
    let server = serve(routes("/b/vqav2", &[]), 1);
    let fetched = fetch_dataset(
        &def(&server.url("/b/vqav2")),
        dir.path(),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(fetched, Fetched::Downloaded);
    assert_eq!(paths(server), ["/b/vqav2/images/1.jpg"]);
    assert_all_right(&folder);

    // The server sends wrong bytes of the right size: the bad file is removed, the error names
    // it, and the files after it are still fetched.
    fs::write(&image1, &damaged).unwrap();
    fs::remove_file(folder.join("prompts.json")).unwrap();
    let server = serve(
        routes(
            "/b/vqav2",
            &[("images/1.jpg", Reply::Body(damaged.clone()))],
        ),
        2,
    );
    let err = fetch_dataset(
        &def(&server.url("/b/vqav2")),
        dir.path(),
        None,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(
        matches!(&err, FetchError::Checksum { path, .. } if path == &image1),
        "{err:?}"
    );
    assert!(err.to_string().contains("images/1.jpg"), "{err}");
    assert_eq!(
        paths(server),
        ["/b/vqav2/images/1.jpg", "/b/vqav2/prompts.json"]
    );
    assert_eq!(
        tree(&folder),
        ["answers.json", "images/2.jpg", "prompts.json"]
    );
    let checks = verify_dataset(&d, dir.path());
    assert_eq!(checks[1].state, FileState::Missing);

    // Two files fail: one error lists both.
    fs::remove_file(folder.join("images/2.jpg")).unwrap();
    let server = serve(
        routes(
            "/b/vqav2",
            &[
                ("images/1.jpg", Reply::Status(404)),
                ("images/2.jpg", Reply::Body(bytes(120_000, 9))),
            ],
        ),
        2,
    );
    let err = fetch_dataset(
        &def(&server.url("/b/vqav2")),
        dir.path(),
        None,
        &mut |_, _| {},
    )
    .unwrap_err();
    server.requests();
    let message = err.to_string();
    assert!(
        matches!(&err, FetchError::Files { total: 4, errors, .. } if errors.len() == 2),
        "{err:?}"
    );
    assert!(
        message.starts_with("2 of the 4 files of vqav2 failed: "),
        "{message}"
    );
    assert!(
        message.contains("images/1.jpg failed: the server answered HTTP 404"),
        "{message}"
    );
    assert!(message.contains("checksum mismatch for "), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(tree(&folder), ["answers.json", "prompts.json"]);
}

#[test]
fn a_mirror_serves_the_folder_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(routes("/mirror/vqav2", &[]), 4);
    let d = def(&dead_url());
    let base = server.url("/mirror/");
    let fetched = fetch_dataset(&d, dir.path(), Some(&base), &mut |_, _| {}).unwrap();
    assert_eq!(fetched, Fetched::Downloaded);
    assert_eq!(paths(server).len(), 4);
    assert_all_right(&dir.path().join("vqav2"));
}

#[test]
fn the_published_folders_verify_file_by_file() {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench");
    let c = Catalog::builtin();
    for name in ["vqav2", "scienceqa"] {
        let d = c.dataset(name).unwrap();
        assert!(is_present(d, &shared), "{name}");
        let checks = verify_dataset(d, &shared);
        assert_eq!(checks.len(), 102);
        for check in &checks {
            assert_eq!(check.state, FileState::Ok, "{}", check.path.display());
        }
    }
    // A text dataset is one file, checked the same way.
    let mmlu = c.dataset("mmlu").unwrap();
    let checks = verify_dataset(mmlu, &shared);
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].state, FileState::Ok);
    assert!(
        verify_dataset(c.dataset("mmlu").unwrap(), Path::new("/nonexistent"))
            .iter()
            .all(|c| c.state == FileState::Missing)
    );
}
