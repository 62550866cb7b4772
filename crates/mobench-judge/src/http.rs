//! A judge and an embedder behind an OpenAI-compatible endpoint: OpenAI itself, or any server
//! that speaks its `/chat/completions` and `/embeddings` (llama.cpp's server, llama-cpp-python,
//! vLLM, Ollama…).
//!
//! The client is blocking (the engine grades on a worker thread) and robust the way a grading
//! pass over hundreds of samples needs: a connect timeout and a deadline for the whole response;
//! retries with exponential backoff and jitter for 408, 429, 5xx, timeouts and dropped
//! connections, waiting what `Retry-After` asks (up to a cap); one-line errors without retrying
//! for what retrying will not mend (a refused key, a wrong URL or model, a body that is not what
//! the API documents); and a bounded number of requests in flight ([`OpenAiJudge::chat_many`],
//! embedding batches).
//!
//! The API key is sent only in the `Authorization` header: it is never logged, never in an
//! error (a server's error text that echoes it is scrubbed), and `Debug` prints it redacted.

mod pool;
mod retry;

use std::fmt;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::{ChatRequest, Embedder, GradeError, Judge};

/// The environment variable [`OpenAiConfig::with_api_key_from_env`] reads.
pub const API_KEY_ENV: &str = "OPENAI_API_KEY";

/// The largest response body read; a judge's answer or a batch of embeddings is far smaller.
const MAX_BODY_BYTES: u64 = 256 << 20;

/// Where the endpoint is and how to talk to it.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API root, up to and including the version: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:8080/v1`. `/chat/completions` and `/embeddings` are appended.
    pub base_url: String,
    /// The model name the endpoint knows (`gpt-4o`, or whatever a local server calls its model).
    pub model: String,
    /// Sent as `Authorization: Bearer …`; none for local servers that need none.
    pub api_key: Option<String>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one request may take, from connecting to the last byte of the response.
    pub timeout: Duration,
    /// Retries after the first try, for failures that may pass (408, 429, 5xx, timeouts, dropped
    /// connections).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it, up to `backoff_cap`, with jitter.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The longest `Retry-After` honoured: a server that asks for more (a daily quota) fails the
    /// request at once rather than holding the grading pass.
    pub max_retry_after: Duration,
    /// Requests in flight at once in [`OpenAiJudge::chat_many`] and across embedding batches.
    pub concurrency: usize,
    /// The judge's answer budget (`max_tokens`).
    pub max_tokens: u32,
    /// The judge's temperature; the protocols grade at 0.
    pub temperature: f32,
    /// Texts per `/embeddings` request.
    pub embed_batch_size: usize,
}

impl OpenAiConfig {
    /// Defaults: no key, 10 s to connect, 300 s per request (a local CPU server writing 512
    /// tokens is slow), 4 retries backing off from 0.5 s to 30 s, `Retry-After` honoured up to
    /// 120 s, 4 requests at once, 512 tokens at temperature 0, 64 texts per embedding request.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(300),
            max_retries: 4,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            concurrency: 4,
            max_tokens: 512,
            temperature: 0.0,
            embed_batch_size: 64,
        }
    }

    /// The key from `OPENAI_API_KEY` when it is set and not empty; the config unchanged otherwise.
    pub fn with_api_key_from_env(mut self) -> Self {
        if let Some(key) = std::env::var(API_KEY_ENV)
            .ok()
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
        {
            self.api_key = Some(key);
        }
        self
    }

    /// The endpoint's host (and port when given), without any user info: what tells two
    /// endpoints serving a same-named model apart in an id.
    pub fn host(&self) -> String {
        host_of(&self.base_url)
    }

    fn validate(&self) -> Result<(), GradeError> {
        let problem =
            if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
                Some(format!(
                    "the endpoint's base URL must start with http:// or https://, not {:?}",
                    redact_userinfo(&self.base_url)
                ))
            } else if self.host().is_empty() {
                Some(format!(
                    "the endpoint's base URL {:?} names no host",
                    redact_userinfo(&self.base_url)
                ))
            } else if self.model.trim().is_empty() {
                Some("the endpoint's model name is empty".to_owned())
            } else if self.concurrency == 0 {
                Some("concurrency must be at least 1".to_owned())
            } else if self.embed_batch_size == 0 {
                Some("the embedding batch size must be at least 1".to_owned())
            } else if self.max_tokens == 0 {
                Some("max_tokens must be at least 1".to_owned())
            } else if !(self.temperature.is_finite() && self.temperature >= 0.0) {
                Some(format!(
                    "the temperature must be 0 or more, not {}",
                    self.temperature
                ))
            } else {
                None
            };
        match problem {
            Some(message) => Err(GradeError::Backend(message)),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &redact_userinfo(&self.base_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| Redacted))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_cap", &self.backoff_cap)
            .field("max_retry_after", &self.max_retry_after)
            .field("concurrency", &self.concurrency)
            .field("max_tokens", &self.max_tokens)
            .field("temperature", &self.temperature)
            .field("embed_batch_size", &self.embed_batch_size)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A judge behind `POST {base_url}/chat/completions`.
pub struct OpenAiJudge {
    client: Client,
}

impl OpenAiJudge {
    /// Checks the config (one-line [`GradeError::Backend`] when it cannot work); sends nothing.
    pub fn new(config: OpenAiConfig) -> Result<Self, GradeError> {
        Ok(Self {
            client: Client::new(config)?,
        })
    }

    /// Stops retries, backoffs and [`chat_many`](Self::chat_many) early with
    /// [`GradeError::Cancelled`] once `flag` is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.client.cancel = Some(flag);
        self
    }

    pub fn config(&self) -> &OpenAiConfig {
        &self.client.config
    }

    /// One request, with its retries; what [`Judge::chat`] does, through a shared reference.
    pub fn chat_one(&self, request: &ChatRequest) -> Result<String, GradeError> {
        self.chat_inner(request).map_err(Failure::into_grade_error)
    }

    /// Every request, up to `concurrency` at once; one result per request, in input order.
    /// Until the endpoint has answered once, the first request goes alone, so that a wrong key,
    /// URL or model costs one request, not `concurrency`. Once a request fails with anything but
    /// [`GradeError::Input`] (the key refused, the URL or model not found, retries spent, an
    /// answer not in the API's shape, cancelled), the requests not yet sent are not sent and
    /// carry that error. ([`Judge::chat_many`] instead ends its answers at the first such error.)
    pub fn chat_many(&self, requests: &[ChatRequest]) -> Vec<Result<String, GradeError>> {
        self.client
            .map_requests(requests, |request| self.chat_inner(request))
            .into_iter()
            .map(|result| result.map_err(Failure::into_grade_error))
            .collect()
    }

    fn chat_inner(&self, request: &ChatRequest) -> Result<String, Failure> {
        let config = &self.client.config;
        let mut messages = Vec::with_capacity(2);
        if !request.system.is_empty() {
            messages.push(json!({"role": "system", "content": request.system}));
        }
        messages.push(json!({"role": "user", "content": request.user}));
        let body = json!({
            "model": config.model,
            "messages": messages,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "stream": false,
        });
        let url = self.client.shown_url("chat/completions");
        let answer = self.client.post_json("chat/completions", &body)?;
        let content = parse_chat_answer(&answer).map_err(|missing| {
            Failure::bad(format!(
                "{url} answered 200 but not as the chat completions API documents: {missing}"
            ))
        })?;
        let usage = answer
            .get("usage")
            .map(Value::to_string)
            .unwrap_or_default();
        tracing::debug!(url, model = config.model, usage, "judge answered");
        Ok(content)
    }
}

impl Judge for OpenAiJudge {
    /// `openai:<model>@<host>:t<temperature>:max<max_tokens>`.
    fn id(&self) -> String {
        let config = &self.client.config;
        format!(
            "openai:{}@{}:t{}:max{}",
            config.model, self.client.host, config.temperature, config.max_tokens
        )
    }

    fn chat(&mut self, request: &ChatRequest) -> Result<String, GradeError> {
        self.chat_one(request)
    }

    /// Up to `concurrency` at once (see [`OpenAiJudge::chat_many`]); as the trait asks, the
    /// answers end at the first error that stops grading (anything but [`GradeError::Input`]),
    /// even where later requests, in flight at the time, were answered.
    fn chat_many(&mut self, requests: &[ChatRequest]) -> Vec<Result<String, GradeError>> {
        let mut answers = OpenAiJudge::chat_many(self, requests);
        if let Some(stop) = answers
            .iter()
            .position(|a| matches!(a, Err(e) if !matches!(e, GradeError::Input(_))))
        {
            answers.truncate(stop + 1);
        }
        answers
    }
}

impl fmt::Debug for OpenAiJudge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiJudge")
            .field("id", &self.id())
            .field("config", &self.client.config)
            .finish()
    }
}

/// An embedder behind `POST {base_url}/embeddings`: vectors L2-normalized, of one dimension for
/// the embedder's whole life.
pub struct OpenAiEmbedder {
    client: Client,
    /// The dimension of the first vectors seen.
    dimension: Mutex<Option<usize>>,
}

impl OpenAiEmbedder {
    /// Checks the config (one-line [`GradeError::Backend`] when it cannot work); sends nothing.
    pub fn new(config: OpenAiConfig) -> Result<Self, GradeError> {
        Ok(Self {
            client: Client::new(config)?,
            dimension: Mutex::new(None),
        })
    }

    /// Stops retries, backoffs and further batches early with [`GradeError::Cancelled`] once
    /// `flag` is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.client.cancel = Some(flag);
        self
    }

    pub fn config(&self) -> &OpenAiConfig {
        &self.client.config
    }

    /// The dimension of the vectors so far; `None` before the first.
    pub fn dimension(&self) -> Option<usize> {
        *self
            .dimension
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One unit vector per text, in order: `embed_batch_size` texts per request, up to
    /// `concurrency` requests at once. What [`Embedder::embed`] does, through a shared reference.
    pub fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, GradeError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let batches: Vec<&[String]> = texts.chunks(self.client.config.embed_batch_size).collect();
        let mut vectors = Vec::with_capacity(texts.len());
        let results = self
            .client
            .map_requests(&batches, |batch| self.embed_batch(batch));
        for result in results {
            vectors.extend(result.map_err(Failure::into_grade_error)?);
        }
        self.check_dimension(&vectors)?;
        Ok(vectors)
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, Failure> {
        let body = json!({
            "model": self.client.config.model,
            "input": texts,
        });
        let url = self.client.shown_url("embeddings");
        let answer = self.client.post_json("embeddings", &body)?;
        let vectors = parse_embeddings(&answer, texts.len()).map_err(|missing| {
            Failure::bad(format!(
                "{url} answered 200 but not as the embeddings API documents: {missing}"
            ))
        })?;
        vectors
            .into_iter()
            .enumerate()
            .map(|(i, vector)| {
                normalize(vector).ok_or_else(|| {
                    Failure::bad(format!(
                        "{url} returned a zero-length vector for input {i}, which has no direction"
                    ))
                })
            })
            .collect()
    }

    fn check_dimension(&self, vectors: &[Vec<f32>]) -> Result<(), GradeError> {
        let mut known = self
            .dimension
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for vector in vectors {
            let expected = *known.get_or_insert(vector.len());
            if vector.len() != expected {
                return Err(GradeError::Embedding(format!(
                    "the embedder {} changed dimension: {expected} before, {} now",
                    self.id(),
                    vector.len()
                )));
            }
        }
        Ok(())
    }
}

impl Embedder for OpenAiEmbedder {
    /// `openai-embed:<model>@<host>`.
    fn id(&self) -> String {
        format!(
            "openai-embed:{}@{}",
            self.client.config.model, self.client.host
        )
    }

    fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, GradeError> {
        self.embed_texts(texts)
    }
}

impl fmt::Debug for OpenAiEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiEmbedder")
            .field("id", &self.id())
            .field("config", &self.client.config)
            .field("dimension", &self.dimension())
            .finish()
    }
}

/// Why a request failed, and whether the requests after it can fare better.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    kind: FailureKind,
    message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailureKind {
    /// Every request to this endpoint will fail the same way: the key refused, the URL or model
    /// not found, a redirect.
    Refused,
    /// This request failed and retrying it will not help (a 400, a body not in the API's shape).
    Bad,
    /// This request does not fit the model's context; the others may.
    Input,
    /// Still failing after the retries.
    Unavailable,
    Cancelled,
}

impl Failure {
    fn refused(message: String) -> Self {
        Self {
            kind: FailureKind::Refused,
            message,
        }
    }

    fn bad(message: String) -> Self {
        Self {
            kind: FailureKind::Bad,
            message,
        }
    }

    fn cancelled() -> Self {
        Self {
            kind: FailureKind::Cancelled,
            message: String::new(),
        }
    }

    /// Whether the requests not yet sent should not be sent: after anything but a request
    /// too long for the model, as grading stops then.
    pub(crate) fn ends_batch(&self) -> bool {
        self.kind != FailureKind::Input
    }

    fn into_grade_error(self) -> GradeError {
        match self.kind {
            FailureKind::Refused | FailureKind::Bad => GradeError::Backend(self.message),
            FailureKind::Input => GradeError::Input(self.message),
            FailureKind::Unavailable => GradeError::Unavailable(self.message),
            FailureKind::Cancelled => GradeError::Cancelled,
        }
    }
}

/// The transport shared by the judge and the embedder.
struct Client {
    agent: ureq::Agent,
    config: OpenAiConfig,
    /// `base_url` without its trailing slashes.
    base: String,
    /// `base` as messages and logs show it: without any `user:password@`.
    shown_base: String,
    host: String,
    cancel: Option<Arc<AtomicBool>>,
    /// Whether the endpoint has answered a request (with JSON, or saying it was too long): until
    /// then a batch's first request goes alone.
    proven: AtomicBool,
}

/// What one try came to.
enum Attempt {
    Done(Value),
    /// Worth another try: why, and how long the server asked us to wait.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fail(Failure),
}

impl Client {
    fn new(config: OpenAiConfig) -> Result<Self, GradeError> {
        config.validate()?;
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(config.connect_timeout)
            .timeout(config.timeout)
            // A redirect would turn the POST into a GET, or carry the key elsewhere: report it.
            .redirects(0)
            .user_agent(concat!("mobench-judge/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            agent,
            base: config.base_url.trim_end_matches('/').to_owned(),
            shown_base: redact_userinfo(config.base_url.trim_end_matches('/')),
            host: config.host(),
            config,
            cancel: None,
            proven: AtomicBool::new(false),
        })
    }

    /// `work` over `items`, up to `concurrency` at once (see [`pool::map_bounded`]); the first
    /// alone while the endpoint has not answered yet.
    fn map_requests<T, O, F>(&self, items: &[T], work: F) -> Vec<Result<O, Failure>>
    where
        T: Sync,
        O: Send,
        F: Fn(&T) -> Result<O, Failure> + Sync,
    {
        let concurrency = self.config.concurrency;
        if items.len() < 2 || concurrency < 2 || self.proven.load(Ordering::Relaxed) {
            return pool::map_bounded(items, concurrency, work);
        }
        let first = work(&items[0]);
        let mut results = match &first {
            Err(failure) if failure.ends_batch() => {
                (1..items.len()).map(|_| Err(failure.clone())).collect()
            }
            _ => pool::map_bounded(&items[1..], concurrency, work),
        };
        results.insert(0, first);
        results
    }

    /// The URL of `endpoint` as messages and logs name it.
    fn shown_url(&self, endpoint: &str) -> String {
        format!("{}/{endpoint}", self.shown_base)
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// POSTs `body` and returns the JSON of a 2xx answer, retrying what may pass.
    fn post_json(&self, endpoint: &str, body: &Value) -> Result<Value, Failure> {
        let target = format!("{}/{endpoint}", self.base);
        let url = &self.shown_url(endpoint);
        let body = body.to_string();
        let tries = self.config.max_retries.saturating_add(1);
        for attempt in 0..tries {
            if self.cancelled() {
                return Err(Failure::cancelled());
            }
            let started = Instant::now();
            let (reason, retry_after) = match self.try_once(&target, url, &body) {
                Attempt::Done(value) => {
                    self.proven.store(true, Ordering::Relaxed);
                    return Ok(value);
                }
                Attempt::Fail(failure) => {
                    // Too long for the model: the key, URL and model were all accepted.
                    if failure.kind == FailureKind::Input {
                        self.proven.store(true, Ordering::Relaxed);
                    }
                    return Err(failure);
                }
                Attempt::Retry {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            let tries_so_far = attempt + 1;
            if tries_so_far == tries {
                return Err(Failure {
                    kind: FailureKind::Unavailable,
                    message: format!(
                        "{url} is still failing after {tries} {}: {reason}",
                        plural(tries, "try", "tries")
                    ),
                });
            }
            let wait = match retry_after {
                Some(asked) if asked > self.config.max_retry_after => {
                    return Err(Failure {
                        kind: FailureKind::Unavailable,
                        message: format!(
                            "{url} asked to be retried after {} s, longer than the {} s this \
                             client waits: {reason}",
                            asked.as_secs_f64().ceil(),
                            self.config.max_retry_after.as_secs_f64()
                        ),
                    });
                }
                Some(asked) => retry::spread(asked),
                None => retry::backoff(self.config.backoff_base, self.config.backoff_cap, attempt),
            };
            tracing::warn!(
                url,
                model = self.config.model,
                attempt = tries_so_far,
                elapsed_ms = started.elapsed().as_millis() as u64,
                wait_ms = wait.as_millis() as u64,
                reason,
                "request failed; retrying"
            );
            if !self.sleep(wait) {
                return Err(Failure::cancelled());
            }
        }
        unreachable!("the last try returns")
    }

    /// Sleeps `wait` unless cancelled first; whether it slept the whole time.
    fn sleep(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        loop {
            if self.cancelled() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }

    /// One POST to `target`, which messages name as `url`.
    fn try_once(&self, target: &str, url: &str, body: &str) -> Attempt {
        let mut request = self
            .agent
            .post(target)
            .set("Content-Type", "application/json")
            .set("Accept", "application/json");
        if let Some(key) = &self.config.api_key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        tracing::debug!(url, model = self.config.model, "sending request");
        match request.send_string(body) {
            Ok(response) => self.read_success(url, response),
            Err(ureq::Error::Status(status, response)) => {
                self.classify_status(url, status, response)
            }
            Err(ureq::Error::Transport(transport)) => {
                let message = self.transport_message(&transport);
                use ureq::ErrorKind::*;
                match transport.kind() {
                    ConnectionFailed | Io | BadStatus | BadHeader | ProxyConnect => {
                        Attempt::Retry {
                            reason: message,
                            retry_after: None,
                        }
                    }
                    _ => Attempt::Fail(Failure::refused(format!("{url}: {message}"))),
                }
            }
        }
    }

    fn read_success(&self, url: &str, response: ureq::Response) -> Attempt {
        let status = response.status();
        if (300..400).contains(&status) {
            let location = response.header("location").unwrap_or("nowhere");
            return Attempt::Fail(Failure::refused(format!(
                "{url} redirects ({status}) to {}: use the endpoint's final URL as the base URL",
                redact_userinfo(location)
            )));
        }
        let bytes = match read_body(response) {
            Ok(bytes) => bytes,
            // Cut off midway (a timeout, a dropped connection): another try may get it whole.
            Err(err) => {
                return Attempt::Retry {
                    reason: format!("the response broke off: {}", self.io_message(&err)),
                    retry_after: None,
                }
            }
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => Attempt::Done(value),
            Err(err) => Attempt::Fail(Failure::bad(format!(
                "{url} answered {status} with a body that is not JSON ({err}): {}",
                self.excerpt(&String::from_utf8_lossy(&bytes))
            ))),
        }
    }

    fn classify_status(&self, url: &str, status: u16, response: ureq::Response) -> Attempt {
        let retry_after = retry_after_of(&response);
        let status_text = response.status_text().to_owned();
        let detail = read_body(response)
            .map(|bytes| self.server_message(&bytes))
            .unwrap_or_default();
        let with_detail = |text: String| {
            if detail.is_empty() {
                text
            } else {
                format!("{text} ({detail})")
            }
        };
        match status {
            401 | 403 => {
                // The server's text is left out: some echo (part of) the key they were sent.
                let message = match (&self.config.api_key, status) {
                    (None, _) => format!(
                        "{url} wants an API key ({status}) and none was given: set {API_KEY_ENV}"
                    ),
                    (Some(_), 401) => format!(
                        "the endpoint refused the API key (401) at {url}: check {API_KEY_ENV}"
                    ),
                    (Some(_), _) => format!(
                        "the endpoint denied this API key access (403) at {url}: check \
                         {API_KEY_ENV} and the key's permissions for model {:?}",
                        self.config.model
                    ),
                };
                Attempt::Fail(Failure::refused(message))
            }
            404 => {
                let hint = if self.base.ends_with("/v1") {
                    ""
                } else {
                    " (most servers' base URL ends in /v1)"
                };
                Attempt::Fail(Failure::refused(with_detail(format!(
                    "{url} answered 404 for model {:?}: check the base URL{hint} and the model name",
                    self.config.model
                ))))
            }
            408 | 429 | 500 | 502..=504 | 506..=599 => Attempt::Retry {
                reason: with_detail(format!("{status} {status_text}")),
                retry_after,
            },
            400 | 413 | 422 if detail_says_too_long(&detail) => Attempt::Fail(Failure {
                kind: FailureKind::Input,
                message: with_detail(format!(
                    "{url} answered {status}: the request does not fit model {:?}'s context",
                    self.config.model
                )),
            }),
            _ => Attempt::Fail(Failure::bad(with_detail(format!(
                "{url} answered {status} {status_text} for model {:?}",
                self.config.model
            )))),
        }
    }

    /// The error text a server put in its body (`{"error": {"message": …}}`, `{"detail": …}`,
    /// or the text itself), on one short line with the key scrubbed.
    fn server_message(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let from_json = serde_json::from_str::<Value>(&text).ok().and_then(|value| {
            let error = value.get("error");
            let picked = error
                .and_then(|e| e.get("message"))
                .or(error)
                .or_else(|| value.get("detail"))
                .or_else(|| value.get("message"))?;
            Some(match picked {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        });
        self.excerpt(&from_json.unwrap_or_else(|| text.into_owned()))
    }

    /// `text` on one line, at most 200 characters, without the key.
    fn excerpt(&self, text: &str) -> String {
        let line = self.scrub(&one_line(text));
        if line.chars().count() > 200 {
            let cut: String = line.chars().take(200).collect();
            format!("{cut}…")
        } else {
            line
        }
    }

    fn scrub(&self, text: &str) -> String {
        match self.config.api_key.as_deref() {
            Some(key) if !key.is_empty() => text.replace(key, "<redacted>"),
            _ => text.to_owned(),
        }
    }

    /// ureq's own Display repeats the URL, which our messages already name.
    fn transport_message(&self, transport: &ureq::Transport) -> String {
        if let Some(io) = std::error::Error::source(transport)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
        {
            if is_timeout(io) {
                return self.timeout_message();
            }
        }
        let mut message = transport.kind().to_string().to_lowercase();
        if let Some(detail) = transport.message() {
            message.push_str(": ");
            message.push_str(detail);
        }
        if let Some(source) = std::error::Error::source(transport) {
            message.push_str(": ");
            message.push_str(&source.to_string());
        }
        self.scrub(&one_line(&message))
    }

    fn io_message(&self, err: &std::io::Error) -> String {
        if is_timeout(err) {
            self.timeout_message()
        } else {
            self.scrub(&one_line(&err.to_string()))
        }
    }

    fn timeout_message(&self) -> String {
        format!(
            "no complete answer within {} s (the request timeout)",
            self.config.timeout.as_secs_f64()
        )
    }
}

/// Whether a server's error text says the request is longer than the model's context, as
/// OpenAI, vLLM, llama.cpp's server and llama-cpp-python word it.
fn detail_says_too_long(detail: &str) -> bool {
    let detail = detail.to_ascii_lowercase();
    [
        "context length",
        "context_length",
        "context window",
        "context size",
        "exceed_context",
        "too many tokens",
        "prompt is too long",
    ]
    .iter()
    .any(|phrase| detail.contains(phrase))
}

fn is_timeout(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn read_body(response: ureq::Response) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BODY_BYTES {
        return Err(std::io::Error::other(format!(
            "the response is larger than {} MiB",
            MAX_BODY_BYTES >> 20
        )));
    }
    Ok(bytes)
}

fn retry_after_of(response: &ureq::Response) -> Option<Duration> {
    // OpenAI also sends milliseconds in `retry-after-ms`, which is finer when present.
    if let Some(ms) = response
        .header("retry-after-ms")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms.min(1e12) / 1000.0));
    }
    retry::parse_retry_after(response.header("retry-after")?, SystemTime::now())
}

/// `choices[0].message.content`, or what of that path is missing.
fn parse_chat_answer(answer: &Value) -> Result<String, String> {
    let choices = answer
        .get("choices")
        .ok_or("it has no \"choices\"")?
        .as_array()
        .ok_or("its \"choices\" is not a list")?;
    let choice = choices.first().ok_or("its \"choices\" is empty")?;
    let message = choice
        .get("message")
        .ok_or("choices[0] has no \"message\"")?;
    match message.get("content") {
        Some(Value::String(content)) => Ok(content.clone()),
        Some(Value::Null) | None => {
            let finish = choice
                .get("finish_reason")
                .and_then(Value::as_str)
                .unwrap_or("not given");
            Err(format!(
                "choices[0].message has no \"content\" (finish_reason: {finish})"
            ))
        }
        Some(_) => Err("choices[0].message.content is not a string".to_owned()),
    }
}

/// `data[i].embedding` ordered by `data[i].index` (their order when no item has an index), or
/// what is missing or inconsistent.
fn parse_embeddings(answer: &Value, expected: usize) -> Result<Vec<Vec<f32>>, String> {
    let data = answer
        .get("data")
        .ok_or("it has no \"data\"")?
        .as_array()
        .ok_or("its \"data\" is not a list")?;
    if data.len() != expected {
        return Err(format!(
            "it has {} vectors for {expected} inputs",
            data.len()
        ));
    }
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in data.iter().enumerate() {
        let index = match item.get("index") {
            None => position,
            Some(index) => index
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| format!("data[{position}].index is not a whole number"))?,
        };
        let embedding = item
            .get("embedding")
            .ok_or_else(|| format!("data[{position}] has no \"embedding\""))?;
        let numbers = match embedding {
            Value::Array(numbers) => numbers,
            Value::String(_) => {
                return Err(format!(
                    "data[{position}].embedding is a string (base64?), not a list of numbers"
                ))
            }
            _ => return Err(format!("data[{position}].embedding is not a list")),
        };
        let vector = numbers
            .iter()
            .map(|n| n.as_f64().map(|n| n as f32))
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| {
                format!(
                    "data[{position}].embedding is not a flat list of numbers (a per-token \
                     embedding? the server's model may pool no vector per text)"
                )
            })?;
        if vector.is_empty() {
            return Err(format!("data[{position}].embedding is empty"));
        }
        let slot = vectors.get_mut(index).ok_or_else(|| {
            format!("data[{position}].index is {index}, past the {expected} inputs")
        })?;
        if slot.is_some() {
            return Err(format!("index {index} appears twice in \"data\""));
        }
        *slot = Some(vector);
    }
    let vectors: Vec<Vec<f32>> = vectors.into_iter().flatten().collect();
    // `expected` items filled `expected` distinct slots, so none is empty.
    debug_assert_eq!(vectors.len(), expected);
    let dimension = vectors[0].len();
    if let Some((i, other)) = vectors
        .iter()
        .enumerate()
        .find(|(_, v)| v.len() != dimension)
    {
        return Err(format!(
            "its vectors differ in dimension: {dimension} for input 0, {} for input {i}",
            other.len()
        ));
    }
    Ok(vectors)
}

/// `vector` scaled to length 1; `None` when it has no length (or is not finite).
fn normalize(mut vector: Vec<f32>) -> Option<Vec<f32>> {
    let norm = vector
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return None;
    }
    for x in &mut vector {
        *x = (f64::from(*x) / norm) as f32;
    }
    Some(vector)
}

/// The authority of `url` without user info: `host[:port]`, lower-cased.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.to_ascii_lowercase()
}

/// `url` with any `user:password@` replaced, for messages.
fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((_, host)) if scheme.is_empty() => format!("<redacted>@{host}{path}"),
        Some((_, host)) => format!("{scheme}://<redacted>@{host}{path}"),
        None => url.to_owned(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plural<'a>(n: u32, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_the_port_and_drop_user_info() {
        assert_eq!(host_of("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host_of("http://127.0.0.1:8080/v1/"), "127.0.0.1:8080");
        assert_eq!(
            host_of("http://user:secret@Example.COM:9/v1"),
            "example.com:9"
        );
        assert_eq!(host_of("http://h?x=1"), "h");
        assert_eq!(
            redact_userinfo("http://user:secret@h:9/v1"),
            "http://<redacted>@h:9/v1"
        );
        assert_eq!(redact_userinfo("http://h:9/v1"), "http://h:9/v1");
    }

    #[test]
    fn chat_answers_name_what_is_missing() {
        let ok = json!({"choices": [{"message": {"role": "assistant", "content": "yes"}}]});
        assert_eq!(parse_chat_answer(&ok).unwrap(), "yes");
        for (answer, missing) in [
            (json!({}), "no \"choices\""),
            (json!({"choices": {}}), "not a list"),
            (json!({"choices": []}), "is empty"),
            (json!({"choices": [{}]}), "no \"message\""),
            (
                json!({"choices": [{"message": {"content": null}, "finish_reason": "length"}]}),
                "finish_reason: length",
            ),
            (
                json!({"choices": [{"message": {"content": 3}}]}),
                "not a string",
            ),
        ] {
            let err = parse_chat_answer(&answer).unwrap_err();
            assert!(err.contains(missing), "{err}");
        }
    }

    #[test]
    fn embeddings_follow_their_index() {
        let answer = json!({"data": [
            {"index": 1, "embedding": [0.0, 2.0]},
            {"index": 0, "embedding": [1.0, 0.0]},
        ]});
        assert_eq!(
            parse_embeddings(&answer, 2).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 2.0]]
        );
        for (answer, n, missing) in [
            (json!({}), 1, "no \"data\""),
            (json!({"data": []}), 1, "0 vectors for 1 inputs"),
            (json!({"data": [{"index": 0}]}), 1, "no \"embedding\""),
            (json!({"data": [{"embedding": "AAAA"}]}), 1, "base64"),
            (json!({"data": [{"embedding": [[1.0]]}]}), 1, "flat list"),
            (json!({"data": [{"embedding": []}]}), 1, "is empty"),
            (
                json!({"data": [{"index": 5, "embedding": [1.0]}]}),
                1,
                "past the 1 inputs",
            ),
            (
                json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]}),
                2,
                "appears twice",
            ),
            (
                json!({"data": [{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}]}),
                2,
                "differ in dimension",
            ),
        ] {
            let err = parse_embeddings(&answer, n).unwrap_err();
            assert!(err.contains(missing), "{err}");
        }
    }

    #[test]
    fn vectors_are_scaled_to_unit_length() {
        assert_eq!(normalize(vec![3.0, 4.0]).unwrap(), vec![0.6, 0.8]);
        assert!(normalize(vec![0.0, 0.0]).is_none());
        assert!(normalize(vec![f32::NAN]).is_none());
    }

    #[test]
    fn debug_redacts_the_key_and_user_info() {
        let mut config = OpenAiConfig::new("http://me:pw@127.0.0.1:1/v1", "m");
        config.api_key = Some("sk-very-secret".into());
        let judge = OpenAiJudge::new(config.clone()).unwrap();
        for text in [format!("{config:?}"), format!("{judge:?}")] {
            assert!(!text.contains("sk-very-secret"), "{text}");
            assert!(!text.contains("pw"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
    }

    #[test]
    fn bad_configs_are_refused_before_sending() {
        type Change = fn(&mut OpenAiConfig);
        let cases: [(Change, &str); 5] = [
            (|c| c.base_url = "127.0.0.1:8080".into(), "http://"),
            (|c| c.model = " ".into(), "model"),
            (|c| c.concurrency = 0, "concurrency"),
            (|c| c.embed_batch_size = 0, "batch size"),
            (|c| c.temperature = f32::NAN, "temperature"),
        ];
        for (change, expected) in cases {
            let mut config = OpenAiConfig::new("http://127.0.0.1:1/v1", "m");
            change(&mut config);
            let err = OpenAiJudge::new(config).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
