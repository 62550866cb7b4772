//! Shared helpers for the `mobench` end-to-end tests: a private data folder and database per
//! test, running the real binary with a time limit, and reading what it wrote (JSON, CSV, SQLite).
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use tempfile::TempDir;

/// No command in these tests should take anywhere near this long; a hang fails the test
/// instead of blocking the suite.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(240);

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

/// The finished output of one `mobench` invocation.
#[derive(Debug)]
pub struct Out {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Nothing a user must never see: a panic or a hint to set RUST_BACKTRACE.
    pub fn assert_no_panic(&self) {
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(
                !self.stderr.contains(bad) && !self.stdout.contains(bad),
                "output contains {bad:?}:\n{self}"
            );
        }
    }

    pub fn assert_success(&self) -> &Self {
        self.assert_no_panic();
        assert_eq!(self.code(), Some(0), "expected success:\n{self}");
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{self}"))
    }

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

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// A private home for one test: data folder (built-in model, downloads) and database.
pub struct Env {
    pub dir: TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    pub fn db(&self) -> PathBuf {
        self.path().join("mobench.sqlite")
    }

    /// Where `mobench run` writes the built-in model in this data folder.
    pub fn builtin_model(&self) -> PathBuf {
        self.data_dir().join("models").join("mobench-tiny.gguf")
    }

    /// `mobench` with this test's data folder and database, and nothing from the real home.
    ///
    /// Runs use one thread unless told otherwise: tests run side by side on shared machines,
    /// where llama.cpp's OpenMP threads spinning on oversubscribed cores make runs crawl.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut args: Vec<&str> = args.to_vec();
        if matches!(args.first(), Some(&"run" | &"bench"))
            && !args.contains(&"--threads")
            && !args.contains(&"-t")
        {
            args.splice(1..1, ["--threads", "1"]);
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mobench"));
        cmd.args(&args)
            .current_dir(self.path())
            .env("MOBENCH_DATA_DIR", self.data_dir())
            .env("MOBENCH_DB", self.db())
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("xdg"))
            .env_remove("MOBENCH_DATASETS_MIRROR")
            .env_remove("RUST_LOG")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("start mobench")
    }

    pub fn run(&self, args: &[&str]) -> Out {
        wait_out(self.spawn(args), COMMAND_TIMEOUT)
    }

    /// Runs a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        out.assert_success();
        out
    }

    /// Runs a command that must succeed and print one JSON value.
    pub fn json(&self, args: &[&str]) -> Value {
        self.ok(args).json()
    }

    /// `run` of MobileAIBench's mmlu from `dir` (one-token answers), plus `extra` arguments.
    pub fn run_mmlu_from(&self, dir: &Path, extra: &[&str]) -> Out {
        let dir = dir.to_str().expect("UTF-8 path");
        let mut args = vec![
            "run",
            "--suite",
            "mobileaibench",
            "--datasets",
            "mmlu",
            "--datasets-dir",
            dir,
            "--max-tokens",
            "1",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
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

    pub fn show(&self, run_id: i64) -> Value {
        self.json(&["show", &run_id.to_string(), "--json"])
    }

    /// Exports one run's samples as CSV and reads them back.
    pub fn sample_rows(&self, run_id: i64) -> Csv {
        let out = self.path().join(format!("samples-{run_id}.csv"));
        self.ok(&[
            "export",
            &run_id.to_string(),
            "--samples",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ]);
        read_csv(&out)
    }

    pub fn conn(&self) -> Connection {
        open_read_only(&self.db())
    }
}

/// Waits for `child` with a time limit, collecting its output.
pub fn wait_out(child: Child, limit: Duration) -> Out {
    collect(child, |child| {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("wait for mobench") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mobench did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
}

/// Waits for `child` with `wait4`, which also returns the kernel's resource accounting of that
/// one process (its peak resident set, `ru_maxrss`, in KiB).
pub fn wait_for_rusage(child: Child) -> (Out, libc::rusage) {
    use std::os::unix::process::ExitStatusExt;
    // SAFETY: rusage is plain old data; zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let out = collect(child, |child| {
        let pid = child.id() as libc::pid_t;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let mut status = 0;
            // SAFETY: valid pointers to locals; the pid is our own unreaped child.
            let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
            assert!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
            if r == pid {
                return std::process::ExitStatus::from_raw(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("mobench did not finish within {COMMAND_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    (out, usage)
}

/// Reads the child's output on two threads (so neither pipe fills up) while `wait` waits.
fn collect(mut child: Child, wait: impl FnOnce(&mut Child) -> ExitStatus) -> Out {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let status = wait(&mut child);
    Out {
        status,
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
    }
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
pub fn read_csv(path: &Path) -> Csv {
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

/// Writes a generated model (random weights, real GGUF) to `path`.
pub fn write_model(spec: &mobench_gen::ModelSpec, path: &Path) {
    mobench_gen::write_gguf(spec, path).unwrap_or_else(|e| panic!("write model: {e}"));
}
