//! The stand-in hub of the tests as a process, for the app's end-to-end test: serves GGUF files
//! under the repositories named, on 127.0.0.1, until killed; prints its endpoint (for
//! HF_ENDPOINT) as its first line.
//!
//!   fake_hub OWNER/NAME=FILE.gguf [OWNER/NAME=FILE.gguf ...]
//!
//! A file is served under its own name. Built with `--features testkit`.

use std::io::Write;
use std::path::Path;

use mobench_hub::testkit::{FakeFile, FakeHub, FakeRepo};

fn main() {
    let mut repos: Vec<FakeRepo> = Vec::new();
    for arg in std::env::args().skip(1) {
        let Some((repo, file)) = arg.split_once('=') else {
            eprintln!("fake_hub: {arg} is not OWNER/NAME=FILE");
            std::process::exit(2);
        };
        let bytes = std::fs::read(file).unwrap_or_else(|e| {
            eprintln!("fake_hub: cannot read {file}: {e}");
            std::process::exit(1);
        });
        let name = Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match repos.iter_mut().find(|r| r.id == repo) {
            Some(r) => r.files.push(FakeFile::new(&name, bytes)),
            None => repos.push(FakeRepo::new(repo, vec![FakeFile::new(&name, bytes)])),
        }
    }
    let hub = FakeHub::start(repos);
    println!("{}", hub.endpoint());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
