//! What can go wrong talking to the hub or downloading from it, each as one line that says what
//! to do. No message ever holds the access token.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: the hub answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error(
        "{repo} is gated: accept its terms on the hub with your account, then give mobench an \
         access token of that account (HF_TOKEN, or Settings in the app)"
    )]
    Gated { repo: String },
    #[error("{repo}: the hub refused the access token (HTTP {status}); check that it is valid and has read access")]
    TokenRefused { repo: String, status: u16 },
    #[error("{what} was not found on the hub at {endpoint}")]
    NotFound { what: String, endpoint: String },
    #[error(
        "{url}: the hub answered with {what}, not its API's JSON (is {endpoint} a Hugging Face \
         hub or a mirror of one?)"
    )]
    NotApi {
        url: String,
        endpoint: String,
        what: String,
    },
    #[error("{file} from {repo} is not a GGUF file (the hub sent {what}); nothing was kept")]
    NotGguf {
        repo: String,
        file: String,
        what: String,
    },
    #[error(
        "checksum mismatch for {file} from {repo}: the hub lists sha256 {expected}, the download \
         has {actual} (the partial download was removed)"
    )]
    Checksum {
        repo: String,
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "size mismatch for {file} from {repo}: the hub lists {expected} bytes, the server sent \
         {actual} (the partial download was removed)"
    )]
    Size {
        repo: String,
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "not enough free space in {}: the download needs {need} more bytes, {free} are free",
        dir.display()
    )]
    NoSpace { dir: PathBuf, need: u64, free: u64 },
    #[error(
        "the download of {file} was paused after {done} of {total} bytes; fetch it again to resume"
    )]
    Cancelled { file: String, done: u64, total: u64 },
    #[error("I/O error on {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// A repository id, file name or catalog name that cannot be one.
    #[error("{0}")]
    Invalid(String),
}

impl HubError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> HubError {
        HubError::Io {
            path: path.into(),
            source,
        }
    }
}
