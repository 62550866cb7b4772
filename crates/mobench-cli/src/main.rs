//! `mobench`: glue over the engine crates. Arguments are resolved and validated before any work
//! starts; errors print as one line (the cause chain) with a non-zero exit.

mod cli;
mod commands;
mod device;
mod models;
mod paths;
mod progress;
mod quant;
mod remote;
mod report;
mod share;
mod speed;
mod study;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes: 0 success, 1 error, 2 bad usage (clap's own), 130 interrupted by the user.
pub const EXIT_INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    // Output piped into `head` and closed early ends the process quietly, as for other Unix
    // tools, instead of panicking at the next print (Rust ignores SIGPIPE by default). Every
    // write to the database is a transaction, so nothing is left half-written.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at startup, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    init_logging();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
            eprintln!("mobench: error: {}", dedup_chain(&chain));
            ExitCode::from(1)
        }
    }
}

/// Joins an error chain on one line, dropping a cause whose text its parent already contains.
fn dedup_chain(chain: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in chain {
        if !out.iter().any(|o| o.contains(c.as_str())) {
            out.push(c);
        }
    }
    out.join(": ")
}

/// Logs go to stderr, quiet by default: our warnings only. llama.cpp's own log is off (its errors
/// reach the user inside our one-line messages); `RUST_LOG=llama_cpp=info` shows it.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,llama_cpp=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn chain_dedup() {
        let c = vec!["a: b".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(super::dedup_chain(&c), "a: b: c");
    }
}
