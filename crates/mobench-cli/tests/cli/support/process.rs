//! Running the real `mobench` binary in a private home with a time limit, and its output.
//! The part of the test support that `benches/resource_accuracy.rs` shares (it includes this
//! file alone, so everything here is used by both).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// No command in these tests should take anywhere near this long; a hang fails the test
/// instead of blocking the suite.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(240);

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

    /// `mobench` with this test's data folder and database, and nothing from the real home.
    ///
    /// Runs use one thread unless told otherwise: tests run side by side on shared machines,
    /// where llama.cpp's OpenMP threads spinning on oversubscribed cores make runs crawl.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut args: Vec<&str> = args.to_vec();
        if matches!(args.first(), Some(&"run" | &"speed" | &"bench"))
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
            .env_remove("HF_ENDPOINT")
            .env_remove("HF_TOKEN")
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

    pub fn show(&self, run_id: i64) -> Value {
        self.json(&["show", &run_id.to_string(), "--json"])
    }

    /// A successful `run --json` of a generated 100M-parameter F16 model (written into this
    /// home first) with `args` after `--model`, waited for with the kernel's accounting of that
    /// one process (see [`wait_for_rusage`]). Returns the run's id and the accounting.
    pub fn run_100m_model(&self, args: &[&str]) -> (i64, libc::rusage) {
        let model = self.path().join("bench-100m.gguf");
        write_model(&mobench_gen::ModelSpec::bench_100m(), &model);
        let mut all = vec!["run", "--model", model.to_str().expect("UTF-8 path")];
        all.extend_from_slice(args);
        all.push("--json");
        let (out, usage) = wait_for_rusage(self.spawn(&all));
        out.assert_success();
        let run_id = out.json()["run_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no run_id:\n{out}"));
        (run_id, usage)
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
fn wait_for_rusage(child: Child) -> (Out, libc::rusage) {
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

/// Writes a generated model (random weights, real GGUF) to `path`.
pub fn write_model(spec: &mobench_gen::ModelSpec, path: &Path) {
    mobench_gen::write_gguf(spec, path).unwrap_or_else(|e| panic!("write model: {e}"));
}
