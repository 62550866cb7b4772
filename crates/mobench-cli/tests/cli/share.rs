//! Runs between devices: bundles out of one database of real runs into another (twice), the
//! runs compared there figure by figure, the history filtered by device, the devices side by
//! side; and every bad bundle refused in one line with the database exactly as it was.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{open_read_only, run_id, Env};

/// A device of its own (a database, so an install's device id) with a finished suite run and a
/// finished speed run of the built-in model.
pub fn device_with_runs() -> (Env, i64, i64) {
    let env = Env::new();
    let suite = run_id(&env.quick_run());
    env.ok(&["speed", "-p", "16", "-n", "4", "-r", "2", "--json"]);
    let speed = last_run(&env);
    (env, suite, speed)
}

fn last_run(env: &Env) -> i64 {
    env.runs().as_array().unwrap().last().unwrap()["run_id"]
        .as_i64()
        .unwrap()
}

/// `runs --json`'s entry of run `id`.
pub fn run_entry(env: &Env, id: i64) -> Value {
    env.runs()
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == id)
        .unwrap_or_else(|| panic!("no run {id}"))
        .clone()
}

/// Everything exports say of a run, its local id left out: per-dataset figures, every sample,
/// every resource reading (suite runs), or llama-bench's fields (speed runs).
pub fn figures(env: &Env, id: i64) -> Vec<Vec<(String, String)>> {
    let id_text = id.to_string();
    let speed = run_entry(env, id)["kind"] == "speed";
    let mut tables = vec![env.export_json(&[&id_text])];
    if !speed {
        tables.push(env.export_json(&[&id_text, "--samples"]));
        tables.push(env.export_json(&[&id_text, "--telemetry"]));
    }
    let mut out = Vec::new();
    for t in tables {
        for row in t.as_array().expect("a JSON array") {
            out.push(
                row.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| k.as_str() != "run_id")
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect(),
            );
        }
    }
    assert!(!out.is_empty(), "a run with figures");
    out
}

/// Every row of every table, by table: what "the database is exactly as before" compares.
pub fn dump(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = open_read_only(db);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let mut st = conn.prepare(&format!("SELECT * FROM {t}")).unwrap();
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (t, rows)
        })
        .collect()
}

fn device_id(env: &Env, run: i64) -> String {
    run_entry(env, run)["device"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_bundle_brings_runs_to_another_device_once_with_every_figure() {
    let (a, a_suite, a_speed) = device_with_runs();
    let b = Env::new();
    let b_suite = run_id(&b.quick_run());
    let a_device = device_id(&a, a_suite);
    assert_ne!(a_device, device_id(&b, b_suite), "each install its device");

    let bundle = a.path().join("runs.mobench");
    let out = a.ok(&[
        "export",
        &a_suite.to_string(),
        &a_speed.to_string(),
        "--bundle",
        bundle.to_str().unwrap(),
    ]);
    assert!(out.stdout.contains("wrote 2 run(s)"));
    let leftovers: Vec<_> = std::fs::read_dir(a.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial file left");

    let first = b.json(&["import", bundle.to_str().unwrap(), "--json"]);
    let added: Vec<i64> = first["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_i64().unwrap())
        .collect();
    assert_eq!(added.len(), 2, "{first}");
    let after_first = dump(&b.db());
    let again = b.json(&["import", bundle.to_str().unwrap(), "--json"]);
    assert_eq!(
        again["added"],
        Value::Array(vec![]),
        "importing twice adds nothing"
    );
    assert_eq!(again["present"].as_array().unwrap().len(), 2);
    assert_eq!(
        dump(&b.db()),
        after_first,
        "the second import changed nothing"
    );

    // The runs keep their UUIDs and their device, are marked with where they came from, and
    // every figure is the same as on the device that made them.
    for (&theirs, &mine) in [a_suite, a_speed].iter().zip(&added) {
        let (orig, copy) = (run_entry(&a, theirs), run_entry(&b, mine));
        assert_eq!(orig["uuid"], copy["uuid"]);
        assert_eq!(copy["device"], orig["device"]);
        assert_eq!(copy["origin"], "bundle runs.mobench");
        assert_eq!(orig["origin"], Value::Null);
        assert_eq!(
            figures(&b, mine),
            figures(&a, theirs),
            "run {theirs} → {mine}"
        );
    }

    // One history of two devices: filtered by device, compared with each run's device named.
    let only_a = b.json(&["runs", "--device", &a_device[..8], "--json"]);
    assert_eq!(only_a.as_array().unwrap().len(), 2, "{only_a}");
    let compare = b.ok(&["compare", &b_suite.to_string(), &added[0].to_string()]);
    let text = compare.stdout.clone();
    assert!(text.contains(&a_device[..8]), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("device ")).count(),
        2,
        "{text}"
    );

    // The devices side by side: the built-in model on both, with its figures.
    let board = b.json(&["devices", "--json"]);
    let group = &board.as_array().unwrap()[0];
    let devices = group["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2, "{board}");
    let of_a = devices
        .iter()
        .find(|d| d["device_id"] == a_device.as_str())
        .unwrap();
    let figure = |name: &str| {
        of_a["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["figure"].as_str().unwrap().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {of_a}"))
            .clone()
    };
    assert!(figure("pp16")["value"].as_f64().unwrap() > 0.0);
    assert!(figure("tg4")["value"].as_f64().unwrap() > 0.0);
    assert!(figure("ttft_ms")["value"].as_f64().unwrap() > 0.0);
    let energy = figure("energy_j_per_token");
    assert!(
        energy["value"].as_f64().is_some() || energy["missing_reason"].is_string(),
        "a value or why not: {energy}"
    );
    let text = b.ok(&["devices"]).stdout;
    assert!(
        text.contains("pp16 t/s") && text.contains(&a_device[..8]),
        "{text}"
    );
}

#[test]
fn a_bad_bundle_is_refused_in_one_line_and_the_database_stays_as_it_was() {
    let (a, a_suite, _) = device_with_runs();
    let b = Env::new();
    run_id(&b.quick_run());
    let good = a.path().join("good.mobench");
    a.ok(&[
        "export",
        &a_suite.to_string(),
        "--bundle",
        good.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&good).unwrap();
    let write = |name: &str, data: &[u8]| {
        let p = b.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let text = write("notes.mobench", b"these are not runs");
    let truncated = write("truncated.mobench", &bytes[..bytes.len() / 3]);
    let mut scrambled = bytes.clone();
    for b in scrambled.iter_mut().skip(bytes.len() / 2).take(4096) {
        *b = 0xa5;
    }
    let corrupted = write("corrupted.mobench", &scrambled);
    let newer = write("newer.mobench", &bytes);
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let missing = b.path().join("missing.mobench");

    let before = dump(&b.db());
    for (file, says) in [
        (&text, "is not a mobench bundle (not an SQLite file)"),
        (&truncated, "damaged"),
        (&corrupted, "damaged"),
        (&newer, "newer mobench (schema version 999"),
        (&missing, "cannot read it"),
    ] {
        let line = b
            .run(&["import", good.to_str().unwrap(), file.to_str().unwrap()])
            .error_line();
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            line.contains(&*name) && line.contains(says),
            "{name}: {line}"
        );
        assert_eq!(dump(&b.db()), before, "{name}: the database changed");
    }

    // A run whose UUID is here already with other figures: refused, nothing changed.
    b.ok(&["import", good.to_str().unwrap()]);
    let conn = rusqlite::Connection::open(b.db()).unwrap();
    conn.execute(
        "UPDATE samples SET ttft_ms = ttft_ms + 1
         WHERE run_id = (SELECT id FROM runs WHERE origin IS NOT NULL)",
        [],
    )
    .unwrap();
    drop(conn);
    let before = dump(&b.db());
    let line = b.run(&["import", good.to_str().unwrap()]).error_line();
    assert!(
        line.contains("is already here as run") && line.contains("different content"),
        "{line}"
    );
    assert_eq!(dump(&b.db()), before);
}
