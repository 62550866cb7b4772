//! A stand-in for the Hugging Face hub on 127.0.0.1, for tests (no network, no mocks): it
//! answers the documented shapes of search (`/api/models?search=`), file trees
//! (`/api/models/{repo}/tree/main`, sizes and LFS sha256), and downloads (`/{repo}/resolve/main/
//! {file}`, redirected to a "CDN" on another host name, served with Range), 401 with
//! `X-Error-Code: GatedRepo` for a gated repository without the right token, 404 with
//! `RepoNotFound`/`EntryNotFound`; and faults on request: a connection cut after some bytes
//! (once), a wrong sha256 in the list, a download or an API answered with an HTML page.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct FakeFile {
    pub path: String,
    pub bytes: Vec<u8>,
    /// The sha256 the file list states; `None`: the contents' own.
    pub listed_sha256: Option<String>,
    /// The size the file list states; `None`: the contents' own.
    pub listed_size: Option<u64>,
}

impl FakeFile {
    pub fn new(path: &str, bytes: Vec<u8>) -> FakeFile {
        FakeFile {
            path: path.into(),
            bytes,
            listed_sha256: None,
            listed_size: None,
        }
    }

    /// `size` bytes that start as a GGUF file does, then a pattern (not a loadable model).
    pub fn gguf_like(path: &str, size: usize) -> FakeFile {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend((0..size.saturating_sub(4)).map(|i| (i * 7 % 251) as u8));
        FakeFile::new(path, bytes)
    }

    /// Listed with another sha256 than its contents have.
    pub fn with_wrong_sha256(mut self) -> FakeFile {
        self.listed_sha256 = Some("0".repeat(64));
        self
    }

    /// Listed with another size than its contents have (a huge one: a disk that is too full).
    pub fn with_listed_size(mut self, size: u64) -> FakeFile {
        self.listed_size = Some(size);
        self
    }

    fn size(&self) -> u64 {
        self.listed_size.unwrap_or(self.bytes.len() as u64)
    }

    fn sha256(&self) -> String {
        self.listed_sha256
            .clone()
            .unwrap_or_else(|| hex::encode(Sha256::digest(&self.bytes)))
    }
}

#[derive(Clone)]
pub struct FakeRepo {
    pub id: String,
    pub gated: bool,
    pub downloads: u64,
    pub files: Vec<FakeFile>,
}

impl FakeRepo {
    pub fn new(id: &str, files: Vec<FakeFile>) -> FakeRepo {
        FakeRepo {
            id: id.into(),
            gated: false,
            downloads: 0,
            files,
        }
    }

    pub fn gated(mut self) -> FakeRepo {
        self.gated = true;
        self
    }
}

#[derive(Default)]
struct State {
    repos: Vec<FakeRepo>,
    token: Option<String>,
    /// File path → bytes to send before cutting the connection, once.
    cuts: HashMap<String, usize>,
    html_api: bool,
    html_downloads: bool,
    /// Downloads go out this many bytes at a time, with this pause between.
    slow: Option<(usize, Duration)>,
    log: Vec<String>,
}

/// The server; it stops when dropped.
pub struct FakeHub {
    endpoint: String,
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl FakeHub {
    pub fn start(repos: Vec<FakeRepo>) -> FakeHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            repos,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let handle = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let state = state.clone();
                            thread::spawn(move || serve(stream, port, &state));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        FakeHub {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
            stop,
            handle: Some(handle),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Gated repositories answer only requests with `Authorization: Bearer <token>`.
    pub fn require_token(&self, token: &str) {
        self.state.lock().unwrap().token = Some(token.into());
    }

    /// The next download of `path` (its path in the repository) sends `after` bytes, then the
    /// connection is cut.
    pub fn cut_once(&self, path: &str, after: usize) {
        self.state.lock().unwrap().cuts.insert(path.into(), after);
    }

    /// Downloads trickle out `chunk` bytes every `pause` (so a test can pause one midway).
    pub fn slow_downloads(&self, chunk: usize, pause: Duration) {
        self.state.lock().unwrap().slow = Some((chunk, pause));
    }

    pub fn answer_api_with_html(&self) {
        self.state.lock().unwrap().html_api = true;
    }

    pub fn answer_downloads_with_html(&self) {
        self.state.lock().unwrap().html_downloads = true;
    }

    /// Each request so far: `GET /path?query range=<Range or -> auth=<yes|no>`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Send only this many bytes of the body, then close.
    cut: Option<usize>,
    slow: Option<(usize, Duration)>,
}

impl Answer {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            cut: None,
            slow: None,
        }
    }

    fn json(value: serde_json::Value) -> Answer {
        Answer::new(200, "application/json", value.to_string().into_bytes())
    }

    fn error(status: u16, code: &str, message: &str) -> Answer {
        let mut a = Answer::new(
            status,
            "application/json",
            serde_json::json!({ "error": message })
                .to_string()
                .into_bytes(),
        );
        a.headers.push(("X-Error-Code".into(), code.into()));
        a
    }

    fn header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

fn serve(stream: TcpStream, port: u16, state: &Mutex<State>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h.trim().is_empty() => break,
            Ok(_) => {
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
        }
    }
    let answer = {
        let mut state = state.lock().unwrap();
        state.log.push(format!(
            "GET {target} range={} auth={}",
            headers.get("range").map_or("-", String::as_str),
            if headers.contains_key("authorization") {
                "yes"
            } else {
                "no"
            }
        ));
        route(&mut state, port, &target, &headers)
    };
    write_answer(stream, answer);
}

fn route(state: &mut State, port: u16, target: &str, headers: &HashMap<String, String>) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = decode(path);
    if state.html_api && path.starts_with("/api/") {
        return Answer::new(
            200,
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
        );
    }
    let authorized = |state: &State, repo: &FakeRepo| {
        !repo.gated
            || state
                .token
                .as_ref()
                .is_some_and(|t| headers.get("authorization") == Some(&format!("Bearer {t}")))
    };
    if path == "/api/models" {
        let search = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("search="))
            .map(|s| decode(&s.replace('+', " ")).to_lowercase())
            .unwrap_or_default();
        let found: Vec<serde_json::Value> = state
            .repos
            .iter()
            .filter(|r| r.id.to_lowercase().contains(&search))
            .map(|r| {
                serde_json::json!({
                    "_id": hex::encode(Sha256::digest(r.id.as_bytes()))[..24].to_string(),
                    "id": r.id, "modelId": r.id, "likes": 3, "downloads": r.downloads,
                    "gated": if r.gated { serde_json::json!("manual") } else { serde_json::json!(false) },
                    "private": false, "tags": ["gguf"], "library_name": "gguf",
                })
            })
            .collect();
        return Answer::json(serde_json::Value::Array(found));
    }
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let Some(repo_id) = rest.strip_suffix("/tree/main") else {
            return Answer::error(404, "RepoNotFound", "Repository not found");
        };
        let Some(repo) = state.repos.iter().find(|r| r.id == repo_id) else {
            return Answer::error(404, "RepoNotFound", "Repository not found");
        };
        if !authorized(&*state, repo) {
            return Answer::error(401, "GatedRepo", "Access to this model is restricted");
        }
        let mut entries = vec![
            serde_json::json!({"type": "file", "oid": "1f2e", "size": 1519, "path": ".gitattributes"}),
        ];
        entries.push(
            serde_json::json!({"type": "file", "oid": "9a8b", "size": 120, "path": "README.md"}),
        );
        for f in &repo.files {
            entries.push(serde_json::json!({
                "type": "file", "oid": "5d1c", "size": f.size(), "path": f.path,
                "lfs": { "oid": f.sha256(), "size": f.size(), "pointerSize": 135 },
            }));
        }
        return Answer::json(serde_json::Value::Array(entries));
    }
    if let Some(rest) = path.strip_prefix("/cdn/") {
        let Some((bytes, file_path)) =
            find_file(state, rest).map(|(_, f)| (f.bytes.clone(), f.path.clone()))
        else {
            return Answer::error(404, "EntryNotFound", "Entry not found");
        };
        if state.html_downloads {
            return Answer::new(
                200,
                "text/html",
                b"<html><body>Please log in</body></html>".to_vec(),
            );
        }
        let cut = state.cuts.remove(&file_path);
        let range = headers
            .get("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|s| s.parse::<usize>().ok());
        let mut answer = match range {
            Some(start) if start >= bytes.len() => {
                return Answer::new(416, "text/plain", b"range not satisfiable".to_vec())
                    .header("Content-Range", &format!("bytes */{}", bytes.len()))
            }
            Some(start) => Answer::new(206, "binary/octet-stream", bytes[start..].to_vec()).header(
                "Content-Range",
                &format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len()),
            ),
            None => Answer::new(200, "binary/octet-stream", bytes),
        };
        answer.cut = cut;
        answer.slow = state.slow;
        return answer.header("Accept-Ranges", "bytes");
    }
    // /{owner}/{name}/resolve/main/{file}
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    if let [owner, name, "resolve", "main", file] = parts[..] {
        let id = format!("{owner}/{name}");
        let Some(repo) = state.repos.iter().find(|r| r.id == id) else {
            return Answer::error(404, "RepoNotFound", "Repository not found");
        };
        if !authorized(&*state, repo) {
            return Answer::error(401, "GatedRepo", "Access to this model is restricted");
        }
        if !repo.files.iter().any(|f| f.path == file) {
            return Answer::error(404, "EntryNotFound", "Entry not found");
        }
        // Another host name for the same server, as the hub's CDN is another host: the token
        // must not follow the redirect.
        let location = format!("http://localhost:{port}/cdn/{id}/{file}");
        return Answer::new(302, "text/plain", Vec::new()).header("Location", &location);
    }
    Answer::new(404, "text/plain", b"Not Found".to_vec())
}

fn find_file<'a>(state: &'a State, rest: &str) -> Option<(&'a FakeRepo, &'a FakeFile)> {
    state.repos.iter().find_map(|r| {
        let file = rest.strip_prefix(&r.id)?.strip_prefix('/')?;
        r.files.iter().find(|f| f.path == file).map(|f| (r, f))
    })
}

fn write_answer(mut stream: TcpStream, answer: Answer) {
    let reason = match answer.status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        answer.body.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    let sent = answer
        .cut
        .unwrap_or(answer.body.len())
        .min(answer.body.len());
    match answer.slow {
        Some((chunk, pause)) => {
            for piece in answer.body[..sent].chunks(chunk.max(1)) {
                if stream.write_all(piece).is_err() {
                    return;
                }
                thread::sleep(pause);
            }
        }
        None => {
            let _ = stream.write_all(&answer.body[..sent]);
        }
    }
    let _ = stream.flush();
    if answer.cut.is_some() {
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The names in a folder, sorted (none when it does not exist): what a download left behind.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
