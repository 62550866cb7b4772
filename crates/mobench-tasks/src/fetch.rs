//! Downloading dataset files safely: the body is streamed into `<dest>.part` beside the
//! destination and hashed on the way, and the file is moved into place only when its sha256
//! (and size, when known) match. A failed download never leaves a partial file behind and never
//! touches an existing `dest`.
//!
//! A folder dataset (the multimodal sets) is its manifest's files, each fetched and checked the
//! same way; files already there with the right sha256 are kept, so an interrupted fetch resumes
//! where it stopped (the file it was writing starts over).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::catalog::{DatasetDef, FolderFile};

/// Progress is reported no more often than once per this many bytes.
const PROGRESS_STEP: u64 = 64 * 1024;
const BUFFER_SIZE: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A stall this long aborts the download. There is no limit on the whole transfer, because a
/// large file on a slow mobile link may legitimately take minutes.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const USER_AGENT: &str = concat!("mobench/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("download of {url} failed: the server answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("download of {url} failed: {message}")]
    Network { url: String, message: String },
    #[error("I/O error on {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "checksum mismatch for {}: expected {expected}, got {actual} (the partial download was removed)",
        path.display()
    )]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error(
        "size mismatch for {}: expected {expected} bytes, got {actual} (the download was discarded)",
        path.display()
    )]
    Size {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    /// Several files of a folder dataset failed (one failure is reported as itself).
    #[error("{} of the {total} files of {dataset} failed: {}", .errors.len(), summary(.errors))]
    Files {
        dataset: String,
        total: usize,
        errors: Vec<FetchError>,
    },
}

/// The first few errors, one line, and how many more there were.
fn summary(errors: &[FetchError]) -> String {
    const SHOWN: usize = 3;
    let mut text = errors
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > SHOWN {
        text.push_str(&format!("; and {} more", errors.len() - SHOWN));
    }
    text
}

/// What a downloaded file must be: its sha256 (hex, either case) and, where known, its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    pub sha256: &'a str,
    pub bytes: Option<u64>,
}

/// Downloads `url` into `dest`: streams into `dest` + ".part" in the same directory, hashing as
/// it goes, calls `progress(done_bytes, total_bytes_if_known)` at most every 64 KiB (and once at
/// the start and the end), verifies sha256 (and size), and renames into place only when it
/// matches. On any failure the partial file is removed and `dest` is untouched.
///
/// The parent directory of `dest` is created if it does not exist.
pub fn download(
    url: &str,
    dest: &Path,
    expected: &Expected,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<(), FetchError> {
    let part = part_path(dest)?;
    if let Some(dir) = dest.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| FetchError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }

    tracing::info!(url, dest = %dest.display(), "downloading");
    let response = agent().get(url).call().map_err(|err| match err {
        ureq::Error::Status(status, _) => FetchError::Http {
            url: url.to_owned(),
            status,
        },
        ureq::Error::Transport(transport) => FetchError::Network {
            url: url.to_owned(),
            message: transport_message(&transport),
        },
    })?;

    // ureq drops Content-Length when it decompresses a gzip body, so a length that is present
    // always counts the bytes we will read.
    let announced = response
        .header("content-length")
        .and_then(|value| value.trim().parse::<u64>().ok());
    if let (Some(want), Some(got)) = (expected.bytes, announced) {
        if want != got {
            return Err(FetchError::Size {
                path: dest.to_path_buf(),
                expected: want,
                actual: got,
            });
        }
    }
    let total = announced.or(expected.bytes);

    let mut guard = PartFile::create(part)?;
    let (done, actual) = stream_body(
        url,
        response.into_reader(),
        &mut guard,
        total,
        expected.bytes,
        dest,
        progress,
    )?;

    if let Some(want) = announced {
        if done < want {
            return Err(FetchError::Network {
                url: url.to_owned(),
                message: format!("the connection closed after {done} of {want} bytes"),
            });
        }
    }
    if let Some(want) = expected.bytes {
        if done != want {
            return Err(FetchError::Size {
                path: dest.to_path_buf(),
                expected: want,
                actual: done,
            });
        }
    }
    let want = expected.sha256.trim().to_ascii_lowercase();
    if actual != want {
        return Err(FetchError::Checksum {
            path: dest.to_path_buf(),
            expected: want,
            actual,
        });
    }

    guard.persist(dest)?;
    tracing::info!(url, dest = %dest.display(), bytes = done, "download verified");
    Ok(())
}

/// What [`fetch_dataset`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    /// The file was there with the catalog's checksum; nothing was downloaded.
    AlreadyPresent,
    Downloaded,
}

/// Makes a catalog dataset's file present and verified in `dir`: from its catalog URL, or from
/// `mirror` (a base URL the file name is appended to).
///
/// A folder dataset is every file of its manifest, fetched into `dir/<folder>/<path>` from the
/// folder's URL (or `mirror/<folder>`) followed by `/<path>`. Files already there with the
/// manifest's sha256 are kept; one there with another sha256 is removed and fetched again. A file
/// that fails (HTTP error, wrong size or checksum) is reported and the others are still fetched;
/// a network or disk error stops the fetch, since the next file would fail the same way. Running
/// it again resumes. `progress` counts the bytes of the whole folder (files kept included).
pub fn fetch_dataset(
    def: &DatasetDef,
    dir: &Path,
    mirror: Option<&str>,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched, FetchError> {
    let url = match mirror {
        Some(m) => format!("{}/{}", m.trim_end_matches('/'), def.file),
        None => def.url.clone().ok_or_else(|| FetchError::Network {
            url: String::new(),
            message: format!("{} is built in and has nothing to download", def.name),
        })?,
    };
    if def.is_multimodal() {
        return fetch_folder(def, dir, &url, progress);
    }
    let dest = dir.join(&def.file);
    if dest.exists() && sha256_file(&dest).ok().as_deref() == Some(def.sha256.as_str()) {
        return Ok(Fetched::AlreadyPresent);
    }
    let expected = Expected {
        sha256: &def.sha256,
        bytes: Some(def.bytes),
    };
    download(&url, &dest, &expected, progress)?;
    Ok(Fetched::Downloaded)
}

fn fetch_folder(
    def: &DatasetDef,
    dir: &Path,
    base: &str,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched, FetchError> {
    let folder = dir.join(&def.file);
    let total = Some(def.bytes);
    let base = base.trim_end_matches('/');
    // Bytes of the files dealt with so far, kept or downloaded.
    let mut finished = 0u64;
    let mut downloaded = 0usize;
    let mut errors = Vec::new();
    progress(0, total);
    for file in &def.files {
        let dest = folder_file(&folder, file);
        match check_file(&dest, &file.sha256) {
            FileState::Ok => {
                finished += file.bytes;
                progress(finished, total);
                continue;
            }
            FileState::Mismatch { actual } => {
                tracing::warn!(path = %dest.display(), actual, expected = file.sha256, "replacing a file that does not match the catalog");
                if let Err(source) = fs::remove_file(&dest) {
                    errors.push(FetchError::Io { path: dest, source });
                    break;
                }
            }
            FileState::Missing | FileState::Unreadable { .. } => {}
        }
        let url = format!("{base}/{}", file.path);
        let expected = Expected {
            sha256: &file.sha256,
            bytes: Some(file.bytes),
        };
        let result = download(&url, &dest, &expected, &mut |done, _| {
            progress(finished + done.min(file.bytes), total)
        });
        finished += file.bytes;
        match result {
            Ok(()) => downloaded += 1,
            Err(e @ (FetchError::Network { .. } | FetchError::Io { .. })) => {
                errors.push(e);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 if downloaded == 0 => Ok(Fetched::AlreadyPresent),
        0 => Ok(Fetched::Downloaded),
        1 => Err(errors.remove(0)),
        _ => Err(FetchError::Files {
            dataset: def.name.clone(),
            total: def.files.len(),
            errors,
        }),
    }
}

/// Where a manifest's file lives in the folder (its `/`-separated path, on this platform).
fn folder_file(folder: &Path, file: &FolderFile) -> PathBuf {
    file.path
        .split('/')
        .fold(folder.to_path_buf(), |path, part| path.join(part))
}

/// A dataset file on disk, against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Ok,
    Missing,
    Mismatch { actual: String },
    Unreadable { message: String },
}

/// One file of a dataset, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub path: PathBuf,
    pub expected_sha256: String,
    pub state: FileState,
}

fn check_file(path: &Path, expected_sha256: &str) -> FileState {
    match sha256_file(path) {
        Ok(actual) if actual.eq_ignore_ascii_case(expected_sha256.trim()) => FileState::Ok,
        Ok(actual) => FileState::Mismatch { actual },
        Err(FetchError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            FileState::Missing
        }
        Err(e) => FileState::Unreadable {
            message: e.to_string(),
        },
    }
}

/// Checks every file of a downloadable dataset in `dir` against the catalog's sha256: the file,
/// or each file of a folder dataset's manifest, in the manifest's order. Built-in datasets have
/// nothing on disk and give no checks.
pub fn verify_dataset(def: &DatasetDef, dir: &Path) -> Vec<FileCheck> {
    if def.is_builtin() {
        return Vec::new();
    }
    let check = |path: PathBuf, sha256: &str| FileCheck {
        state: check_file(&path, sha256),
        path,
        expected_sha256: sha256.to_string(),
    };
    if def.is_multimodal() {
        let folder = dir.join(&def.file);
        def.files
            .iter()
            .map(|f| check(folder_file(&folder, f), &f.sha256))
            .collect()
    } else {
        vec![check(dir.join(&def.file), &def.sha256)]
    }
}

/// Whether a dataset's files are all in `dir` (built-in datasets always are). Only their
/// presence is looked at; [`verify_dataset`] checks their contents.
pub fn is_present(def: &DatasetDef, dir: &Path) -> bool {
    if def.is_builtin() {
        true
    } else if def.is_multimodal() {
        let folder = dir.join(&def.file);
        def.files.iter().all(|f| folder_file(&folder, f).is_file())
    } else {
        dir.join(&def.file).exists()
    }
}

/// Streams a file through sha256 and returns lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let io_error = |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BUFFER_SIZE];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_error(err)),
        };
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Copies the body into the part file, hashing and reporting progress; returns the byte count
/// and the lowercase hex sha256.
fn stream_body(
    url: &str,
    mut body: impl Read,
    part: &mut PartFile,
    total: Option<u64>,
    limit: Option<u64>,
    dest: &Path,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<(u64, String), FetchError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BUFFER_SIZE];
    let mut done = 0u64;
    let mut reported = 0u64;
    progress(0, total);
    loop {
        let n = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                return Err(FetchError::Network {
                    url: url.to_owned(),
                    message: format!(
                        "reading the response failed after {done} bytes: {}",
                        one_line(&err.to_string())
                    ),
                })
            }
        };
        let chunk = &buffer[..n];
        part.write_all(chunk)?;
        hasher.update(chunk);
        done += n as u64;
        // Stop early rather than fill the disk with something that cannot be the right file.
        if let Some(limit) = limit.filter(|&limit| done > limit) {
            return Err(FetchError::Size {
                path: dest.to_path_buf(),
                expected: limit,
                actual: done,
            });
        }
        if done - reported >= PROGRESS_STEP {
            progress(done, total);
            reported = done;
        }
    }
    if done != reported {
        progress(done, total);
    }
    Ok((done, hex::encode(hasher.finalize())))
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(READ_TIMEOUT)
        .timeout_write(READ_TIMEOUT)
        .user_agent(USER_AGENT)
        .build()
}

/// `dest` with ".part" appended to its file name.
fn part_path(dest: &Path) -> Result<PathBuf, FetchError> {
    let Some(name) = dest.file_name() else {
        return Err(FetchError::Io {
            path: dest.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
        });
    };
    let mut part_name = name.to_os_string();
    part_name.push(".part");
    Ok(dest.with_file_name(part_name))
}

/// A ureq transport error in one line, without the URL (ureq's own Display repeats it, which
/// our messages already name). Shared by every blocking download (datasets, models).
pub fn transport_message(transport: &ureq::Transport) -> String {
    let mut message = transport.kind().to_string().to_lowercase();
    if let Some(detail) = transport.message() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(source) = std::error::Error::source(transport) {
        message.push_str(": ");
        message.push_str(&source.to_string());
    }
    one_line(&message)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `.part` file being written; removed on drop unless it was moved into place.
struct PartFile {
    path: PathBuf,
    file: Option<File>,
}

impl PartFile {
    fn create(path: PathBuf) -> Result<Self, FetchError> {
        match File::create(&path) {
            Ok(file) => Ok(Self {
                path,
                file: Some(file),
            }),
            Err(source) => Err(FetchError::Io { path, source }),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), FetchError> {
        let result = match self.file.as_mut() {
            Some(file) => file.write_all(bytes),
            None => Err(io::Error::other("the file was already closed")),
        };
        result.map_err(|source| self.io_error(source))
    }

    /// Flushes the data to disk and renames the file to `dest`.
    fn persist(mut self, dest: &Path) -> Result<(), FetchError> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|source| self.io_error(source))?;
        }
        fs::rename(&self.path, dest).map_err(|source| FetchError::Io {
            path: dest.to_path_buf(),
            source,
        })?;
        self.path = PathBuf::new();
        Ok(())
    }

    fn io_error(&self, source: io::Error) -> FetchError {
        FetchError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        // Close before removing, which Windows requires.
        drop(self.file.take());
        if self.path.as_os_str().is_empty() {
            return;
        }
        if let Err(err) = fs::remove_file(&self.path) {
            if err.kind() != io::ErrorKind::NotFound {
                tracing::warn!(path = %self.path.display(), error = %err, "could not remove a partial download");
            }
        }
    }
}
