//! Datasets: what is there and what can be downloaded, from a mirror on 127.0.0.1.

use std::path::Path;

use mobench_tasks::testkit::{Reply, TestServer};
use serde_json::json;

use crate::support::app;

#[test]
fn datasets_download_from_a_mirror_and_a_bad_checksum_keeps_nothing() {
    let t = app();
    let listed = t.ok("list_datasets", json!({}));
    let find = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("starter_qa")["present"], true);
    assert_eq!(find("mmlu")["present"], false);
    assert_eq!(find("mmlu")["downloadable"], true);
    assert_eq!(find("vqav2")["multimodal"], true);
    assert_eq!(find("mmlu")["multimodal"], false);
    // An image set is there only when every file of its folder is: an empty folder is not it.
    std::fs::create_dir_all(t.state().datasets_dir.join("vqav2/images")).unwrap();
    let relisted = t.ok("list_datasets", json!({}));
    let vqav2 = relisted
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "vqav2")
        .unwrap();
    assert_eq!(vqav2["present"], false);
    std::fs::remove_dir_all(t.state().datasets_dir.join("vqav2")).unwrap();

    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/mobileaibench");
    let mmlu = std::fs::read(shared.join("mmlu.csv")).expect("../shared/datasets/mobileaibench");
    let server = TestServer::start(
        vec![
            ("/mmlu.csv", Reply::Body(mmlu)),
            (
                "/gsm8k.csv",
                Reply::Body(b"question,answer\n1+1?,2\n".to_vec()),
            ),
        ],
        2,
    );
    let mut s = t.ok("get_settings", json!({}));
    s["dataset_mirror"] = json!(server.base);
    t.ok("save_settings", json!({ "settings": s }));

    let reports = t.ok(
        "fetch_datasets",
        json!({ "names": ["mmlu", "gsm8k"], "onProgress": "__CHANNEL__:2" }),
    );
    assert_eq!(reports[0]["ok"], true, "{reports}");
    assert_eq!(reports[0]["message"], "downloaded, checksum ok");
    assert_eq!(reports[1]["ok"], false);
    let why = reports[1]["message"].as_str().unwrap();
    assert!(
        why.contains("gsm8k.csv") && why.contains("mismatch"),
        "{why}"
    );
    let names: Vec<String> = std::fs::read_dir(&t.state().datasets_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["mmlu.csv"],
        "nothing of the failed download is left"
    );
    server.requests();
}
