//! Views of stored runs: comparison, sample differences, and CSV exports where the user chose.

use serde_json::json;

use crate::support::{app, rows_of, tiny_request};

#[test]
fn two_runs_are_compared_and_exported_where_the_user_chose() {
    let t = app();
    let model = t.builtin();
    t.run_collecting(tiny_request(&model, 1));
    t.run_collecting(tiny_request(&model, 1));
    let runs = t.runs();
    let (newest, oldest) = (
        runs[0]["id"].as_i64().unwrap(),
        runs[1]["id"].as_i64().unwrap(),
    );

    let cmp = t.ok(
        "compare_runs",
        json!({ "runIds": [oldest, newest], "baseline": newest }),
    );
    assert_eq!(cmp["baseline"], newest);
    let ttft = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dataset"] == "starter_qa" && r["figure"] == "ttft_ms")
        .unwrap();
    assert_eq!(ttft["higher_is_better"], false);
    let v: Vec<f64> = ttft["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let d = ttft["deltas"][0].as_f64().unwrap();
    assert!((d - (v[0] - v[1])).abs() < 1e-9);
    assert_eq!(ttft["deltas"][1], 0.0);
    // Greedy decoding of the same model answers the same: no differing samples.
    let diff = t.ok(
        "sample_diff",
        json!({ "runIds": [oldest, newest], "dataset": "starter_qa" }),
    );
    assert_eq!(diff["rows"].as_array().unwrap().len(), 0, "{diff}");
    assert_eq!(diff["metric"], "em");

    // Exports go where the user chose; anywhere else is refused.
    let out = t.dir.path().join("exports");
    std::fs::create_dir_all(&out).unwrap();
    for (kind, rows) in [
        ("runs", 4),
        ("samples", 4),
        ("comparison", cmp["rows"].as_array().unwrap().len()),
    ] {
        let path = out.join(format!("{kind}.csv"));
        t.pick(&path);
        let report = t.ok(
            "export_csv",
            json!({ "kind": kind, "runIds": [oldest, newest], "baseline": oldest, "path": path }),
        );
        assert_eq!(report["rows"], rows, "{kind}");
        assert_eq!(rows_of(&path).len(), rows, "{kind}");
    }
    let header = csv::Reader::from_path(out.join("comparison.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(&header[4], format!("run_{oldest}"));
    let runs_to =
        |path| json!({ "kind": "runs", "runIds": [newest], "baseline": null, "path": path });
    let (code, _) = t.err("export_csv", runs_to(out.join("other.csv")));
    assert_eq!(code, "not_chosen");
    let sneaky = t.state().data_dir.join("../escape.csv");
    assert_eq!(t.err("export_csv", runs_to(sneaky)).0, "not_chosen");
    let missing_dir = out.join("gone/x.csv");
    t.pick(&missing_dir);
    let (code, message) = t.err("export_csv", runs_to(missing_dir));
    assert_eq!(code, "export");
    assert!(message.contains("x.csv"), "{message}");
}
