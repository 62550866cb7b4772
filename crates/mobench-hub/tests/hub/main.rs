//! The hub client and downloads against a real HTTP server on 127.0.0.1 that answers as the hub
//! does (`mobench_hub::testkit::FakeHub`): search, file lists, redirected downloads with Range,
//! gated repositories, missing ones, and the faults a download must survive or refuse.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use mobench_hub::testkit::{listing, FakeFile, FakeHub, FakeRepo};
use mobench_hub::{download_files, Hub, HubError, Limits, ModelCatalog, RepoFile};

const REPO: &str = "TestOrg/Tiny-GGUF";

fn hub_with(files: Vec<FakeFile>) -> FakeHub {
    FakeHub::start(vec![FakeRepo::new(REPO, files)])
}

fn client(hub: &FakeHub) -> Hub {
    Hub::new(Some(hub.endpoint()), None).unwrap()
}

fn fetch(hub: &Hub, files: &[RepoFile], dir: &Path) -> Result<Vec<std::path::PathBuf>, HubError> {
    download_files(
        hub,
        REPO,
        files,
        dir,
        Limits::default(),
        &AtomicBool::new(false),
        &mut |_| {},
    )
}

#[test]
fn search_asks_for_gguf_repositories_and_lists_them() {
    let server = FakeHub::start(vec![
        FakeRepo::new("TestOrg/SmolThing-GGUF", vec![]),
        FakeRepo::new("Other/Big-GGUF", vec![]).gated(),
    ]);
    let found = client(&server)
        .search("smol thing", 20)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(found.is_empty(), "a space is not in the id: {found:?}");
    let found = client(&server).search("SMOL", 20).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "TestOrg/SmolThing-GGUF");
    assert!(!found[0].gated);
    let found = client(&server).search("gguf", 20).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().any(|r| r.id == "Other/Big-GGUF" && r.gated));
    let asked = server.requests();
    assert!(
        asked[0].starts_with("GET /api/models?search=smol+thing&filter=gguf")
            || asked[0].contains("search=smol%20thing&filter=gguf"),
        "{asked:?}"
    );
    let e = client(&server).search("  ", 20).unwrap_err().to_string();
    assert!(e.contains("search for what"), "{e}");
}

#[test]
fn a_file_list_has_sizes_sha256_quantizations_projectors_and_split_parts() {
    let server = hub_with(vec![
        FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 1000),
        FakeFile::gguf_like("mmproj-Tiny-f16.gguf", 300),
        FakeFile::gguf_like("big/Tiny-Q8_0-00001-of-00002.gguf", 500),
        FakeFile::gguf_like("big/Tiny-Q8_0-00002-of-00002.gguf", 400),
    ]);
    let files = client(&server).files(REPO).unwrap();
    // README.md and .gitattributes are not GGUF and are left out.
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Tiny-Q4_K_M.gguf",
            "big/Tiny-Q8_0-00001-of-00002.gguf",
            "big/Tiny-Q8_0-00002-of-00002.gguf",
            "mmproj-Tiny-f16.gguf"
        ]
    );
    let q4 = &files[0];
    assert_eq!(q4.size, 1000);
    assert_eq!(q4.quant.as_deref(), Some("Q4_K_M"));
    assert_eq!(q4.sha256.as_ref().map(String::len), Some(64));
    assert_eq!(files[1].split, Some((1, 2)));
    assert!(files[3].is_mmproj);
}

#[test]
fn a_download_is_checked_kept_and_not_fetched_twice() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 300_000)]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let got = download_files(
        &hub,
        REPO,
        &files,
        dir.path(),
        Limits::default(),
        &AtomicBool::new(false),
        &mut |p| seen.push(p.done_bytes),
    )
    .unwrap();
    assert_eq!(got, [dir.path().join("Tiny-Q4_K_M.gguf")]);
    assert_eq!(listing(dir.path()), ["Tiny-Q4_K_M.gguf"]);
    assert_eq!(seen.last(), Some(&300_000));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let downloads = server
        .requests()
        .iter()
        .filter(|r| r.contains("/cdn/"))
        .count();
    fetch(&hub, &files, dir.path()).unwrap();
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.contains("/cdn/"))
            .count(),
        downloads,
        "a verified file is not fetched again"
    );
}

#[test]
fn a_cut_connection_is_resumed_with_a_range_request() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 400_000)]);
    server.cut_once("Tiny-Q4_K_M.gguf", 150_000);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fetch(&hub, &files, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listing(dir.path()), ["Tiny-Q4_K_M.gguf"]);
    let cdn: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.contains("/cdn/"))
        .collect();
    assert_eq!(cdn.len(), 2, "{cdn:?}");
    assert!(cdn[0].contains("range=-"), "{cdn:?}");
    assert!(cdn[1].contains("range=bytes=150000-"), "{cdn:?}");
    assert_eq!(
        mobench_tasks::fetch::sha256_file(&dir.path().join("Tiny-Q4_K_M.gguf")).unwrap(),
        files[0].sha256.clone().unwrap()
    );
}

#[test]
fn a_cancelled_download_keeps_its_part_and_the_next_one_resumes() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 3_000_000)]);
    // Slow enough that progress is reported (every 100 ms) before the end.
    server.slow_downloads(64 * 1024, std::time::Duration::from_millis(10));
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let e = download_files(
        &hub,
        REPO,
        &files,
        dir.path(),
        Limits::default(),
        &cancel,
        &mut |p| {
            if p.done_bytes > 0 {
                cancel.store(true, Ordering::Relaxed)
            }
        },
    )
    .unwrap_err();
    assert!(matches!(e, HubError::Cancelled { .. }), "{e}");
    assert!(e.to_string().contains("fetch it again to resume"), "{e}");
    let part = dir.path().join("Tiny-Q4_K_M.gguf.part");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < 3_000_000, "{kept}");
    assert_eq!(listing(dir.path()), ["Tiny-Q4_K_M.gguf.part"]);

    fetch(&hub, &files, dir.path()).unwrap();
    assert_eq!(listing(dir.path()), ["Tiny-Q4_K_M.gguf"]);
    let last = server
        .requests()
        .into_iter()
        .rfind(|r| r.contains("/cdn/"))
        .unwrap();
    assert!(last.contains(&format!("range=bytes={kept}-")), "{last}");
}

#[test]
fn a_checksum_mismatch_removes_the_partial_download() {
    let server = hub_with(vec![
        FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 50_000).with_wrong_sha256()
    ]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = fetch(&hub, &files, dir.path()).unwrap_err();
    assert!(matches!(e, HubError::Checksum { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("checksum mismatch for Tiny-Q4_K_M.gguf") && text.contains("removed"),
        "{text}"
    );
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn a_split_model_is_fetched_as_one_set() {
    let server = hub_with(vec![
        FakeFile::gguf_like("Tiny-Q8_0-00001-of-00003.gguf", 20_000),
        FakeFile::gguf_like("Tiny-Q8_0-00002-of-00003.gguf", 20_000),
        FakeFile::gguf_like("Tiny-Q8_0-00003-of-00003.gguf", 7_000),
        FakeFile::gguf_like("Lone-Q8_0-00001-of-00002.gguf", 100),
    ]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q8_0-00001-of-00003.gguf").unwrap();
    assert_eq!(files.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    let mut totals = Vec::new();
    download_files(
        &hub,
        REPO,
        &files,
        dir.path(),
        Limits::default(),
        &AtomicBool::new(false),
        &mut |p| totals.push((p.file_index, p.total_bytes)),
    )
    .unwrap();
    assert_eq!(
        listing(dir.path()),
        [
            "Tiny-Q8_0-00001-of-00003.gguf",
            "Tiny-Q8_0-00002-of-00003.gguf",
            "Tiny-Q8_0-00003-of-00003.gguf"
        ]
    );
    assert!(totals.iter().all(|(_, t)| *t == 47_000));
    assert_eq!(totals.last().unwrap().0, 2);

    let e = hub
        .file_set(REPO, "Tiny-Q8_0-00002-of-00003.gguf")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("part 2 of 3") && e.contains("Tiny-Q8_0-00001-of-00003.gguf"),
        "{e}"
    );
    let e = hub
        .file_set(REPO, "Lone-Q8_0-00001-of-00002.gguf")
        .unwrap_err()
        .to_string();
    assert!(e.contains("lacks part 2"), "{e}");
}

#[test]
fn no_space_is_refused_before_anything_is_fetched() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 200_000)]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        space: Some(150_000),
    };
    let e = download_files(
        &hub,
        REPO,
        &files,
        dir.path(),
        limits,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            HubError::NoSpace {
                need: 200_000,
                free: 150_000,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("not enough free space"), "{e}");
    assert!(listing(dir.path()).is_empty());
    assert!(!server.requests().iter().any(|r| r.contains("/resolve/")));
    // What a part already holds does not need space again.
    std::fs::write(
        dir.path().join("Tiny-Q4_K_M.gguf.part"),
        &server_bytes(&hub, &files[0])[..60_000],
    )
    .unwrap();
    download_files(
        &hub,
        REPO,
        &files,
        dir.path(),
        limits,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(listing(dir.path()), ["Tiny-Q4_K_M.gguf"]);
}

/// The first bytes the fake hub serves for `file` (fetched by a plain download elsewhere).
fn server_bytes(hub: &Hub, file: &RepoFile) -> Vec<u8> {
    let other = tempfile::tempdir().unwrap();
    fetch(hub, std::slice::from_ref(file), other.path()).unwrap();
    std::fs::read(other.path().join(&file.path)).unwrap()
}

#[test]
fn a_file_that_is_not_gguf_is_not_kept() {
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(vec![0u8; 5000]);
    let server = hub_with(vec![FakeFile::new("Tiny-Q4_K_M.gguf", zip)]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = fetch(&hub, &files, dir.path()).unwrap_err();
    assert!(matches!(e, HubError::NotGguf { .. }), "{e}");
    assert!(e.to_string().contains("is not a GGUF file"), "{e}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn html_and_garbage_answers_are_named_as_such() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 1000)]);
    let hub = client(&server);
    let files = hub.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    server.answer_downloads_with_html();
    let dir = tempfile::tempdir().unwrap();
    let e = fetch(&hub, &files, dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("not a GGUF file") && e.contains("web page"),
        "{e}"
    );
    assert!(listing(dir.path()).is_empty());
    server.answer_api_with_html();
    let e = hub.files(REPO).unwrap_err().to_string();
    assert!(e.contains("web page (HTML), not its API's JSON"), "{e}");

    let garbage = mobench_tasks::testkit::TestServer::start(
        vec![(
            "/api/models/TestOrg/Tiny-GGUF/tree/main?recursive=true",
            mobench_tasks::testkit::Reply::Body(b"\x00\x01 not json".to_vec()),
        )],
        1,
    );
    let e = Hub::new(Some(&garbage.base), None)
        .unwrap()
        .files(REPO)
        .unwrap_err()
        .to_string();
    assert!(e.contains("text that is not JSON"), "{e}");
}

#[test]
fn gated_repositories_need_a_token_which_goes_to_the_hub_only() {
    let server = FakeHub::start(vec![FakeRepo::new(
        REPO,
        vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 2000)],
    )
    .gated()]);
    server.require_token("hf_right");
    let e = client(&server).files(REPO).unwrap_err();
    assert!(matches!(e, HubError::Gated { .. }), "{e}");
    assert!(e.to_string().contains("HF_TOKEN"), "{e}");
    let wrong = Hub::new(Some(server.endpoint()), Some("hf_wrong".into())).unwrap();
    // The hub says "gated" for a token without access too.
    assert!(matches!(
        wrong.files(REPO).unwrap_err(),
        HubError::Gated { .. }
    ));
    let right = Hub::new(Some(server.endpoint()), Some("hf_right".into())).unwrap();
    let files = right.file_set(REPO, "Tiny-Q4_K_M.gguf").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fetch(&right, &files, dir.path()).unwrap();
    let requests = server.requests();
    let resolve = requests.iter().rfind(|r| r.contains("/resolve/")).unwrap();
    let cdn = requests.iter().rfind(|r| r.contains("/cdn/")).unwrap();
    assert!(resolve.ends_with("auth=yes"), "{resolve}");
    assert!(
        cdn.ends_with("auth=no"),
        "the token followed the redirect: {cdn}"
    );
}

#[test]
fn unknown_repositories_and_files_are_named() {
    let server = hub_with(vec![FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 1000)]);
    let hub = client(&server);
    let e = hub.files("TestOrg/Nothing-GGUF").unwrap_err().to_string();
    assert!(
        e.contains("the repository TestOrg/Nothing-GGUF was not found"),
        "{e}"
    );
    let e = hub
        .file_set(REPO, "Tiny-Q2_K.gguf")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Tiny-Q2_K.gguf in TestOrg/Tiny-GGUF was not found"),
        "{e}"
    );
    // A file that vanished between the list and the download: the hub's 404.
    let ghost = RepoFile {
        path: "Ghost-Q4_0.gguf".into(),
        size: 10,
        sha256: Some("0".repeat(64)),
        quant: Some("Q4_0".into()),
        split: None,
        is_mmproj: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let e = fetch(&hub, &[ghost], dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("Ghost-Q4_0.gguf in TestOrg/Tiny-GGUF was not found"),
        "{e}"
    );
    let e = Hub::new(Some("http://127.0.0.1:9"), None)
        .unwrap()
        .files(REPO)
        .unwrap_err()
        .to_string();
    assert!(e.contains("127.0.0.1:9") && e.contains("connection"), "{e}");
}

#[test]
fn a_catalog_entry_resolves_its_files_from_the_list() {
    let catalog = ModelCatalog::parse(
        r#"
[models.tiny]
title = "Tiny"
repo = "TestOrg/Tiny-GGUF"
params = "1M"
licence = "MIT"
template = "none"
quants = [{ quant = "Q8_0" }, { quant = "Q4_K_M", file = "Tiny-Q4_K_M.gguf" }]

[models.tiny-vision]
title = "Tiny vision"
repo = "TestOrg/Tiny-GGUF"
params = "1M"
licence = "MIT"
template = "none"
vision = true
quants = [{ quant = "Q4_K_M", sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }]
"#,
    )
    .unwrap();
    let server = hub_with(vec![
        FakeFile::gguf_like("Tiny-Q4_K_M.gguf", 100),
        FakeFile::gguf_like("Tiny-Q8_0.gguf", 100),
        FakeFile::gguf_like("mmproj-Tiny-Q8_0.gguf", 50),
        FakeFile::gguf_like("mmproj-Tiny-f16.gguf", 50),
    ]);
    let files = client(&server).files(REPO).unwrap();
    let (model, quant) = catalog.find("tiny").unwrap();
    let picked = model.pick(quant, &files).unwrap();
    assert_eq!(
        picked.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["Tiny-Q8_0.gguf"]
    );
    // A catalog sha256 that the hub's list contradicts is refused before any download.
    let (model, quant) = catalog.find("tiny-vision").unwrap();
    let e = model.pick(quant, &files).unwrap_err().to_string();
    assert!(
        e.contains("checksum mismatch") && e.contains("in the hub's file list"),
        "{e}"
    );
    let unchecked = mobench_hub::CatalogQuant {
        sha256: None,
        ..quant.clone()
    };
    let picked = model.pick(&unchecked, &files).unwrap();
    assert_eq!(
        picked.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["Tiny-Q4_K_M.gguf", "mmproj-Tiny-f16.gguf"]
    );
}
