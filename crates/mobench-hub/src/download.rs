//! Downloading a model's files from the hub so that nothing unchecked is ever kept.
//!
//! Each file streams into `<dest>.part`. A cancel, a lost connection or a closed app leaves the
//! part where it is, and the next download of the same file asks only for the rest (HTTP
//! `Range: bytes=N-`); a connection that drops mid-file is resumed the same way at once, a few
//! times. Only when the file has the size and the sha256 the hub lists for it (its LFS object
//! id) is it renamed into place; a file that is not GGUF, or does not match, is removed.
//! A split model's parts are one set, and the free space for all of it is checked first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::{preview, Hub, RepoFile};
use crate::error::HubError;
use crate::names;

/// Set from another thread to stop a download; the part file is kept for resuming.
pub type Cancel = AtomicBool;

const BUFFER_SIZE: usize = 256 * 1024;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Resumes after a dropped connection within one download.
const RETRIES: u32 = 3;

/// Where a download stands, over all of its files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownloadProgress {
    /// The file being fetched (its path in the repository).
    pub file: String,
    /// 0-based, of `files`.
    pub file_index: usize,
    pub files: usize,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

/// Limits of one download.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Count at most this much as free space (a quota); the file system's own free space
    /// always counts too.
    pub space: Option<u64>,
}

/// `<dest>` of a file of the repository in `dir`: its name, without the repository's folders
/// (a split model's parts stay side by side, as llama.cpp looks for them).
pub fn dest_path(dir: &Path, file: &RepoFile) -> PathBuf {
    dir.join(names::base_name(&file.path))
}

pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Bytes of `files` already in `dir`: complete files and parts.
pub fn bytes_present(dir: &Path, files: &[RepoFile]) -> u64 {
    files.iter().map(|f| present(dir, f)).sum()
}

fn present(dir: &Path, file: &RepoFile) -> u64 {
    let dest = dest_path(dir, file);
    let len = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    match len(&dest) {
        n if n == file.size => n,
        _ => len(&part_path(&dest)).min(file.size),
    }
}

/// Downloads `files` of `repo` into `dir` and returns where each went, in order. Files already
/// there with the hub's sha256 are kept; parts are resumed. Fails before fetching anything when
/// a file has no sha256 to check or the rest does not fit in the free space.
pub fn download_files(
    hub: &Hub,
    repo: &str,
    files: &[RepoFile],
    dir: &Path,
    limits: Limits,
    cancel: &Cancel,
    progress: &mut dyn FnMut(&DownloadProgress),
) -> Result<Vec<PathBuf>, HubError> {
    for file in files {
        crate::client::check_file_path(&file.path)?;
        if file.sha256.is_none() {
            return Err(HubError::Invalid(format!(
                "the hub lists no sha256 for {} in {repo} (it is not stored with Git LFS), so a \
                 download could not be checked; nothing was fetched",
                file.path
            )));
        }
    }
    fs::create_dir_all(dir).map_err(|e| HubError::io(dir, e))?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let need = total - bytes_present(dir, files);
    let free = crate::space::available(dir);
    let free = match (free, limits.space) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(free) = free.filter(|&free| need > free) {
        return Err(HubError::NoSpace {
            dir: dir.to_path_buf(),
            need,
            free,
        });
    }
    let mut out = Vec::with_capacity(files.len());
    let mut before = 0u64;
    for (index, file) in files.iter().enumerate() {
        let mut report = |done: u64| {
            progress(&DownloadProgress {
                file: file.path.clone(),
                file_index: index,
                files: files.len(),
                done_bytes: before + done,
                total_bytes: total,
            })
        };
        let dest = dest_path(dir, file);
        Fetch {
            hub,
            repo,
            file,
            dest: &dest,
            cancel,
        }
        .run(&mut report)?;
        before += file.size;
        out.push(dest);
    }
    Ok(out)
}

struct Fetch<'a> {
    hub: &'a Hub,
    repo: &'a str,
    file: &'a RepoFile,
    dest: &'a Path,
    cancel: &'a Cancel,
}

/// How one attempt at the rest of a file ended, short of success.
enum Stop {
    /// A dropped connection or a stall: worth resuming at once.
    Retry(HubError),
    Fail(HubError),
}

impl Fetch<'_> {
    fn sha256(&self) -> &str {
        self.file.sha256.as_deref().unwrap_or_default()
    }

    fn run(&self, report: &mut dyn FnMut(u64)) -> Result<(), HubError> {
        let part = part_path(self.dest);
        if let Ok(meta) = fs::metadata(self.dest) {
            if meta.len() == self.file.size && self.hash(self.dest)? == self.sha256() {
                report(self.file.size);
                return Ok(());
            }
            tracing::warn!(dest = %self.dest.display(), "replacing a file that does not match the hub's");
            fs::remove_file(self.dest).map_err(|e| HubError::io(self.dest, e))?;
        }
        let mut retries = 0;
        loop {
            match self.attempt(&part, report) {
                Ok(()) => break,
                Err(Stop::Retry(e))
                    if retries < RETRIES && !self.cancel.load(Ordering::Relaxed) =>
                {
                    retries += 1;
                    tracing::info!(file = %self.file.path, error = %e, retries, "resuming after a dropped connection");
                    std::thread::sleep(Duration::from_millis(200 * u64::from(retries)));
                }
                Err(Stop::Retry(e) | Stop::Fail(e)) => return Err(e),
            }
        }
        self.verify(&part)?;
        fs::rename(&part, self.dest).map_err(|e| HubError::io(self.dest, e))?;
        tracing::info!(repo = self.repo, file = %self.file.path, bytes = self.file.size, "download verified");
        Ok(())
    }

    /// Asks for the rest of the file after what the part holds, and appends it.
    fn attempt(&self, part: &Path, report: &mut dyn FnMut(u64)) -> Result<(), Stop> {
        let size = self.file.size;
        let mut offset = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        if offset > size {
            remove(part);
            offset = 0;
        }
        if offset == size {
            return Ok(());
        }
        let url = self.hub.resolve_url(self.repo, &self.file.path);
        let mut request = self.hub.get(&url);
        if offset > 0 {
            request = request.set("Range", &format!("bytes={offset}-"));
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(416, _)) => {
                // The part is not a prefix the server recognises: start over.
                remove(part);
                return Err(Stop::Retry(HubError::Network {
                    url,
                    message: "the server refused to resume the partial download".into(),
                }));
            }
            Err(e @ ureq::Error::Transport(_)) => {
                return Err(Stop::Retry(self.hub.status_error(
                    e,
                    &url,
                    self.repo,
                    Some(&self.file.path),
                )))
            }
            Err(e) => {
                return Err(Stop::Fail(self.hub.status_error(
                    e,
                    &url,
                    self.repo,
                    Some(&self.file.path),
                )))
            }
        };
        if response.content_type().contains("html") {
            return Err(Stop::Fail(HubError::NotGguf {
                repo: self.repo.into(),
                file: self.file.path.clone(),
                what: "a web page (HTML)".into(),
            }));
        }
        let append = match response.status() {
            206 => {
                let start = response
                    .header("content-range")
                    .and_then(|r| r.trim().strip_prefix("bytes "))
                    .and_then(|r| r.split('-').next())
                    .and_then(|s| s.trim().parse::<u64>().ok());
                if start != Some(offset) {
                    remove(part);
                    return Err(Stop::Retry(HubError::Network {
                        url,
                        message: format!("the server resumed at another byte than {offset}"),
                    }));
                }
                true
            }
            // The server ignored the Range header: the whole file comes again.
            _ => false,
        };
        if !append {
            offset = 0;
        }
        let mut out = match if append {
            OpenOptions::new().append(true).open(part)
        } else {
            File::create(part)
        } {
            Ok(f) => f,
            Err(e) => return Err(Stop::Fail(HubError::io(part, e))),
        };
        let mut body = response.into_reader();
        let mut buffer = vec![0u8; BUFFER_SIZE];
        let mut done = offset;
        let mut head: Vec<u8> = Vec::new();
        let mut last = Instant::now();
        report(done);
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                let _ = out.sync_all();
                return Err(Stop::Fail(HubError::Cancelled {
                    file: self.file.path.clone(),
                    done,
                    total: size,
                }));
            }
            let n = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = out.sync_all();
                    return Err(Stop::Retry(HubError::Network {
                        url,
                        message: format!(
                            "the connection dropped after {done} of {size} bytes ({}); the part is kept for resuming",
                            one_line(&e.to_string())
                        ),
                    }));
                }
            };
            let chunk = &buffer[..n];
            // A file that does not start as GGUF does is not kept: an error page, a pointer file.
            if offset == 0 && head.len() < 4 {
                head.extend_from_slice(&chunk[..chunk.len().min(4 - head.len())]);
                if head.len() == 4 && head != b"GGUF" {
                    drop(out);
                    remove(part);
                    return Err(Stop::Fail(HubError::NotGguf {
                        repo: self.repo.into(),
                        file: self.file.path.clone(),
                        what: format!("data starting {}", preview(chunk)),
                    }));
                }
            }
            if done + n as u64 > size {
                drop(out);
                remove(part);
                return Err(Stop::Fail(HubError::Size {
                    repo: self.repo.into(),
                    file: self.file.path.clone(),
                    expected: size,
                    actual: done + n as u64,
                }));
            }
            if let Err(e) = out.write_all(chunk) {
                return Err(Stop::Fail(HubError::io(part, e)));
            }
            done += n as u64;
            if last.elapsed() >= PROGRESS_EVERY {
                last = Instant::now();
                report(done);
            }
        }
        if let Err(e) = out.sync_all() {
            return Err(Stop::Fail(HubError::io(part, e)));
        }
        report(done);
        if done < size {
            return Err(Stop::Retry(HubError::Network {
                url,
                message: format!(
                    "the connection closed after {done} of {size} bytes; the part is kept for resuming"
                ),
            }));
        }
        if offset == 0 && head.len() < 4 {
            remove(part);
            return Err(Stop::Fail(HubError::NotGguf {
                repo: self.repo.into(),
                file: self.file.path.clone(),
                what: format!("only {done} bytes"),
            }));
        }
        Ok(())
    }

    /// The complete part against the hub's size and sha256; removed when it does not match.
    fn verify(&self, part: &Path) -> Result<(), HubError> {
        let len = fs::metadata(part).map_err(|e| HubError::io(part, e))?.len();
        if len != self.file.size {
            remove(part);
            return Err(HubError::Size {
                repo: self.repo.into(),
                file: self.file.path.clone(),
                expected: self.file.size,
                actual: len,
            });
        }
        let actual = self.hash(part)?;
        if actual != self.sha256() {
            remove(part);
            return Err(HubError::Checksum {
                repo: self.repo.into(),
                file: self.file.path.clone(),
                expected: self.sha256().into(),
                actual,
            });
        }
        let mut magic = [0u8; 4];
        File::open(part)
            .and_then(|mut f| f.read_exact(&mut magic))
            .map_err(|e| HubError::io(part, e))?;
        if &magic != b"GGUF" {
            remove(part);
            return Err(HubError::NotGguf {
                repo: self.repo.into(),
                file: self.file.path.clone(),
                what: format!("data starting {}", preview(&magic)),
            });
        }
        Ok(())
    }

    fn hash(&self, path: &Path) -> Result<String, HubError> {
        mobench_tasks::fetch::sha256_file(path).map_err(|e| match e {
            mobench_tasks::fetch::FetchError::Io { path, source } => HubError::Io { path, source },
            other => HubError::Invalid(other.to_string()),
        })
    }
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not remove a partial download");
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
