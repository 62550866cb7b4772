//! Shared helpers for the `mobench` end-to-end tests: a private data folder and database per
//! test, running the real binary with a time limit (`process`), and reading what it wrote (JSON,
//! CSV, SQLite).

mod process;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

pub use process::{wait_out, write_model, Env, Out, COMMAND_TIMEOUT};

/// The real MobileAIBench dataset files, shared beside the workspace. CI always has them, so
/// their absence is a failure, never a silent pass.
pub fn shared_datasets() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench");
    assert!(
        dir.join("mmlu.csv").is_file(),
        "the MobileAIBench datasets are missing: expected them in {} \
         (the tests read ../shared/datasets/mobileaibench beside the workspace)",
        dir.display()
    );
    dir.canonicalize().expect("canonical datasets path")
}

/// Crafted dataset files committed under tests/fixtures/datasets.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}

impl Out {
    /// The one `mobench: error:` line, after checking that the command failed with exit code 1,
    /// printed the error as exactly one line, last, and did not panic. Lines before it are
    /// allowed only when `allow_log_lines` (progress lines of a run that started before failing).
    pub fn error_line_with(&self, allow_log_lines: bool) -> String {
        self.assert_no_panic();
        assert_eq!(self.code(), Some(1), "expected exit code 1:\n{self}");
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let errors: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains("mobench: error:"))
            .collect();
        assert_eq!(errors.len(), 1, "expected one error line:\n{self}");
        let last = *lines.last().expect("stderr has a line");
        assert!(
            last.starts_with("mobench: error: "),
            "the error is not the last line of stderr:\n{self}"
        );
        if !allow_log_lines {
            assert_eq!(lines.len(), 1, "expected only the error on stderr:\n{self}");
        }
        last.to_string()
    }

    pub fn error_line(&self) -> String {
        self.error_line_with(false)
    }
}

impl Env {
    /// Where `mobench run` writes the built-in model in this data folder.
    pub fn builtin_model(&self) -> PathBuf {
        self.data_dir().join("models").join("mobench-tiny.gguf")
    }

    /// `run` of the MobileAIBench suite with its dataset files from `dir`, plus `args`.
    pub fn run_suite_from(&self, dir: &Path, args: &[&str]) -> Out {
        let mut all = vec![
            "run",
            "--suite",
            "mobileaibench",
            "--datasets-dir",
            dir.to_str().expect("UTF-8 path"),
        ];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `run` of MobileAIBench's mmlu from `dir` (one-token answers), plus `extra` arguments.
    pub fn run_mmlu_from(&self, dir: &Path, extra: &[&str]) -> Out {
        let mut args = vec!["--datasets", "mmlu", "--max-tokens", "1"];
        args.extend_from_slice(extra);
        self.run_suite_from(dir, &args)
    }

    /// A one-dataset, one-token run of the built-in model: the cheapest completed run.
    pub fn quick_run(&self) -> Value {
        self.json(&[
            "run",
            "--datasets",
            "starter_mmlu",
            "--max-tokens",
            "1",
            "--json",
        ])
    }

    /// `runs --json`, the database as a user sees it.
    pub fn runs(&self) -> Value {
        self.json(&["runs", "--json"])
    }

    /// Exports one run's samples as CSV and reads them back.
    pub fn sample_rows(&self, run_id: i64) -> Csv {
        self.export_csv(&[&run_id.to_string(), "--samples"])
    }

    /// `export` with `args` and `--format csv` into a file of this home, which must succeed,
    /// read back.
    pub fn export_csv(&self, args: &[&str]) -> Csv {
        read_csv(&self.export_to("csv", args))
    }

    /// `export` with `args` and `--format json` into a file of this home, which must succeed,
    /// read back.
    pub fn export_json(&self, args: &[&str]) -> Value {
        let path = self.export_to("json", args);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
    }

    fn export_to(&self, format: &str, args: &[&str]) -> PathBuf {
        let path = self.path().join(format!("export.{format}"));
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", format, "--out", path.to_str().unwrap()]);
        self.ok(&all);
        path
    }

    pub fn conn(&self) -> Connection {
        open_read_only(&self.db())
    }
}

/// A JSON number, or a failure naming what was there instead.
/// `show --json`'s aggregates (one row per dataset, figure and statistic) grouped for lookup:
/// {dataset: {task, figures: {figure: {stat: value, n, missing_reason?, grader?}}}}.
pub fn aggregates_by_dataset(show: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for a in show["aggregates"]
        .as_array()
        .expect("aggregates in show --json")
    {
        let dataset = a["dataset"].as_str().expect("a dataset name");
        let entry = out
            .entry(dataset)
            .or_insert_with(|| serde_json::json!({ "task": a["task"], "figures": {} }));
        let fig = entry["figures"]
            .as_object_mut()
            .unwrap()
            .entry(a["figure"].as_str().expect("a figure name"))
            .or_insert_with(|| serde_json::json!({}));
        fig[a["stat"].as_str().expect("a statistic")] = a["value"].clone();
        fig["n"] = a["n"].clone();
        for optional in ["missing_reason", "grader"] {
            if !a[optional].is_null() {
                fig[optional] = a[optional].clone();
            }
        }
    }
    Value::Object(out)
}

pub fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A JSON array of numbers.
pub fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(number)
        .collect()
}

/// `run_id` of a `run --json` / `resume --json` result.
pub fn run_id(v: &Value) -> i64 {
    v["run_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no run_id in {v}"))
}

pub fn open_read_only(db: &Path) -> Connection {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap_or_else(|e| panic!("open {}: {e}", db.display()));
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

pub fn integrity_check(db: &Path) -> String {
    open_read_only(db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

pub fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Row counts of every table that holds results: what "the database is unchanged" compares.
pub fn table_counts(db: &Path) -> Vec<(String, i64)> {
    let conn = open_read_only(db);
    [
        "models",
        "datasets",
        "runs",
        "run_loads",
        "run_datasets",
        "samples",
        "sample_scores",
        "aggregates",
    ]
    .iter()
    .map(|t| {
        (
            t.to_string(),
            count(&conn, &format!("SELECT COUNT(*) FROM {t}")),
        )
    })
    .collect()
}

/// A parsed CSV file: its header and rows as column → value.
pub struct Csv {
    pub headers: Vec<String>,
    pub rows: Vec<HashMap<String, String>>,
    pub raw: Vec<u8>,
}

impl Csv {
    pub fn column(&self, name: &str) -> Vec<&str> {
        self.rows
            .iter()
            .map(|r| {
                r.get(name)
                    .unwrap_or_else(|| panic!("no column {name}"))
                    .as_str()
            })
            .collect()
    }
}

/// Reads a CSV file strictly as RFC 4180: every record has the header's number of fields.
fn read_csv(path: &Path) -> Csv {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let text = std::str::from_utf8(&raw).expect("CSV is UTF-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .expect("CSV header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: bad CSV record: {e}", path.display()));
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Csv { headers, rows, raw }
}

pub fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
