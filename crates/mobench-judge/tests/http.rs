//! The OpenAI-compatible client against real HTTP servers on 127.0.0.1, written here: a
//! well-behaved one and ones that fail the ways endpoints do (429 with Retry-After, 5xx, stalls,
//! dropped connections, bodies not in the API's shape, refused keys, wrong URLs). Each server
//! counts the requests it saw and how many were in flight at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mobench_judge::http::{OpenAiConfig, OpenAiEmbedder, OpenAiJudge};
use mobench_judge::{ChatRequest, Embedder, GradeError, Judge};
use serde_json::{json, Value};

const KEY: &str = "sk-test-0123456789-very-secret";

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    path: String,
    authorization: Option<String>,
    body: Value,
}

/// What the server does with a request.
enum Reply {
    /// Status, extra headers, body.
    Send(u16, Vec<(&'static str, String)>, String),
    /// Answer after holding the request this long (counted as in flight meanwhile).
    After(Duration, Box<Reply>),
    /// Say nothing for this long, then close.
    Stall(Duration),
    /// Close the connection without a word.
    Drop,
}

fn ok_json(body: Value) -> Reply {
    Reply::Send(200, Vec::new(), body.to_string())
}

fn status(code: u16, body: Value) -> Reply {
    Reply::Send(code, Vec::new(), body.to_string())
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Server {
    /// Serves every connection on its own thread; `handler` gets the request's number (from 0,
    /// in arrival order) and the request.
    fn start(handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (seen, max_in_flight) = (seen.clone(), max_in_flight.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (seen, handler) = (seen.clone(), handler.clone());
                    let (in_flight, max_in_flight) = (in_flight.clone(), max_in_flight.clone());
                    thread::spawn(move || {
                        let Some(request) = read_request(&stream) else {
                            return;
                        };
                        let number = {
                            let mut seen = seen.lock().unwrap();
                            seen.push(request.clone());
                            seen.len() - 1
                        };
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        max_in_flight.fetch_max(now, Ordering::SeqCst);
                        let reply = handler(number, &request);
                        respond(stream, reply, &in_flight);
                    });
                }
            });
        }
        Self {
            addr,
            seen,
            max_in_flight,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// A config for this server that retries quickly.
    fn config(&self) -> OpenAiConfig {
        let mut config = OpenAiConfig::new(self.base_url(), "judge-model");
        config.api_key = Some(KEY.to_owned());
        config.max_tokens = 64;
        config.timeout = Duration::from_secs(5);
        config.backoff_base = Duration::from_millis(10);
        config.backoff_cap = Duration::from_millis(100);
        config
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut length = 0;
    let mut authorization = None;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        at: Instant::now(),
        path,
        authorization,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

fn respond(mut stream: TcpStream, reply: Reply, in_flight: &AtomicUsize) {
    match reply {
        Reply::After(hold, reply) => {
            thread::sleep(hold);
            respond(stream, *reply, in_flight);
        }
        Reply::Stall(hold) => {
            thread::sleep(hold);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        Reply::Drop => {
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Reply::Send(code, headers, body) => {
            // Out of flight before the client can see the answer and send its next request.
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let mut text = format!(
                "HTTP/1.1 {code} Whatever\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str("\r\n");
            text.push_str(&body);
            let _ = stream.write_all(text.as_bytes());
            let _ = stream.flush();
        }
    }
}

/// An OpenAI-shaped answer: chat echoes the last message; embeddings are `[len, 1, 2]` per text,
/// listed in reverse order with their index.
fn well_behaved(_: usize, request: &Seen) -> Reply {
    match request.path.as_str() {
        "/v1/chat/completions" => {
            let messages = request.body["messages"].as_array().unwrap();
            let last = messages.last().unwrap()["content"].as_str().unwrap();
            ok_json(chat_answer(&format!("judged: {last}")))
        }
        "/v1/embeddings" => {
            let inputs = request.body["input"].as_array().unwrap();
            let mut data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let len = text.as_str().unwrap().len() as f64;
                    json!({"object": "embedding", "index": i, "embedding": [len, 1.0, 2.0]})
                })
                .collect();
            data.reverse();
            ok_json(json!({"object": "list", "data": data, "model": request.body["model"]}))
        }
        _ => status(404, json!({"error": {"message": "no such route"}})),
    }
}

fn chat_answer(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    })
}

fn request(user: &str) -> ChatRequest {
    ChatRequest {
        system: "You are a judge.".into(),
        user: user.into(),
    }
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn chat_sends_the_documented_request_and_reads_the_answer() {
    let server = Server::start(well_behaved);
    let mut judge = OpenAiJudge::new(server.config()).unwrap();
    assert_eq!(
        judge.id(),
        format!("openai:judge-model@{}:t0:max64", server.addr)
    );
    assert_eq!(
        judge.chat(&request("is 2+2 4?")).unwrap(),
        "judged: is 2+2 4?"
    );

    let no_system = ChatRequest {
        system: String::new(),
        user: "hello".into(),
    };
    assert_eq!(judge.chat(&no_system).unwrap(), "judged: hello");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        seen[0].body,
        json!({
            "model": "judge-model",
            "messages": [
                {"role": "system", "content": "You are a judge."},
                {"role": "user", "content": "is 2+2 4?"},
            ],
            "temperature": 0.0,
            "max_tokens": 64,
            "stream": false,
        })
    );
    assert_eq!(
        seen[1].body["messages"],
        json!([{"role": "user", "content": "hello"}])
    );
}

#[test]
fn ids_tell_endpoints_apart_and_never_hold_the_key() {
    let a = OpenAiJudge::new(OpenAiConfig::new("http://127.0.0.1:1/v1", "m")).unwrap();
    let mut other = OpenAiConfig::new("https://api.example.com/v1/", "m");
    other.api_key = Some(KEY.into());
    other.max_tokens = 1024;
    let b = OpenAiJudge::new(other.clone()).unwrap();
    assert_eq!(a.id(), "openai:m@127.0.0.1:1:t0:max512");
    assert_eq!(b.id(), "openai:m@api.example.com:t0:max1024");
    let e = OpenAiEmbedder::new(other).unwrap();
    assert_eq!(e.id(), "openai-embed:m@api.example.com");
    for text in [b.id(), e.id(), format!("{b:?}"), format!("{e:?}")] {
        assert!(!text.contains(KEY), "{text}");
    }
}

#[test]
fn embeddings_come_back_in_input_order_normalized_and_in_batches() {
    let server = Server::start(well_behaved);
    let mut config = server.config();
    config.embed_batch_size = 2;
    let mut embedder = OpenAiEmbedder::new(config).unwrap();
    assert_eq!(
        embedder.id(),
        format!("openai-embed:judge-model@{}", server.addr)
    );
    let inputs = texts(&["a", "bb", "ccc", "dddd", "eeeee"]);
    let vectors = embedder.embed(&inputs).unwrap();
    assert_eq!(vectors.len(), 5);
    for (text, vector) in inputs.iter().zip(&vectors) {
        let len = text.len() as f32;
        let norm = (len * len + 5.0).sqrt();
        let expected = [len / norm, 1.0 / norm, 2.0 / norm];
        for (got, want) in vector.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{text}: {vector:?}");
        }
    }
    assert_eq!(embedder.dimension(), Some(3));
    // Batches of 2, 2 and 1, whatever order they arrived in.
    let mut sizes: Vec<usize> = server
        .seen()
        .iter()
        .map(|seen| {
            assert_eq!(seen.path, "/v1/embeddings");
            assert_eq!(seen.body["model"], "judge-model");
            seen.body["input"].as_array().unwrap().len()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [1, 2, 2]);
    assert!(embedder.embed(&[]).unwrap().is_empty());
    assert_eq!(server.count(), 3);
}

#[test]
fn a_change_of_dimension_between_calls_is_an_embedding_error() {
    let server = Server::start(|number, request: &Seen| {
        let dimension = if number == 0 { 3 } else { 4 };
        let data: Vec<Value> = (0..request.body["input"].as_array().unwrap().len())
            .map(|i| json!({"index": i, "embedding": vec![1.0; dimension]}))
            .collect();
        ok_json(json!({"data": data}))
    });
    let mut embedder = OpenAiEmbedder::new(server.config()).unwrap();
    embedder.embed(&texts(&["x"])).unwrap();
    let err = embedder.embed(&texts(&["y"])).unwrap_err();
    assert!(matches!(err, GradeError::Embedding(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("3 before, 4 now"), "{message}");
}

#[test]
fn a_429_waits_what_retry_after_asks_then_succeeds() {
    let server = Server::start(|number, request: &Seen| {
        if number == 0 {
            Reply::Send(
                429,
                vec![("Retry-After", "1".into())],
                json!({"error": {"message": "Rate limit reached"}}).to_string(),
            )
        } else {
            well_behaved(number, request)
        }
    });
    let judge = OpenAiJudge::new(server.config()).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "judged: q");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[test]
fn a_retry_after_date_is_honoured() {
    // Two seconds ahead, at a one-second resolution: at least one second to wait.
    let at = SystemTime::now() + Duration::from_secs(2);
    let server = Server::start(move |number, request: &Seen| {
        if number == 0 {
            Reply::Send(503, vec![("Retry-After", http_date(at))], String::new())
        } else {
            well_behaved(number, request)
        }
    });
    let judge = OpenAiJudge::new(server.config()).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "judged: q");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
}

#[test]
fn a_retry_after_beyond_the_cap_fails_at_once() {
    let server = Server::start(|_, _: &Seen| {
        Reply::Send(429, vec![("Retry-After", "86400".into())], String::new())
    });
    let started = Instant::now();
    let err = OpenAiJudge::new(server.config())
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("86400 s"), "{err}");
    assert_eq!(server.count(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_500_is_retried() {
    let server = Server::start(|number, request: &Seen| {
        if number == 0 {
            status(500, json!({"error": {"message": "boom"}}))
        } else {
            well_behaved(number, request)
        }
    });
    let judge = OpenAiJudge::new(server.config()).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "judged: q");
    assert_eq!(server.count(), 2);
}

#[test]
fn retries_stop_after_max_retries_with_the_last_reason() {
    let server =
        Server::start(|_, _: &Seen| status(502, json!({"error": {"message": "bad gateway"}})));
    let mut config = server.config();
    config.max_retries = 2;
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Unavailable(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("3 tries"), "{message}");
    assert!(
        message.contains("502") && message.contains("bad gateway"),
        "{message}"
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn a_stalled_response_times_out_and_is_retried() {
    let server = Server::start(|number, request: &Seen| {
        if number == 0 {
            Reply::Stall(Duration::from_secs(3))
        } else {
            well_behaved(number, request)
        }
    });
    let mut config = server.config();
    config.timeout = Duration::from_millis(300);
    let judge = OpenAiJudge::new(config).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "judged: q");
    assert_eq!(server.count(), 2);
}

#[test]
fn a_response_that_keeps_stalling_is_a_clear_timeout() {
    let server = Server::start(|_, _: &Seen| Reply::Stall(Duration::from_secs(3)));
    let mut config = server.config();
    config.timeout = Duration::from_millis(300);
    config.max_retries = 1;
    let started = Instant::now();
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Unavailable(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("2 tries"), "{message}");
    assert!(message.contains("within 0.3 s"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(server.count(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_body_cut_off_midway_is_retried() {
    // The first answer announces more than it sends, then closes the connection.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    {
        let requests = requests.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                read_request(&stream).unwrap();
                let n = requests.fetch_add(1, Ordering::SeqCst);
                let body = chat_answer("whole").to_string();
                let text = if n == 0 {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                        body.len(),
                        &body[..10]
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                stream.write_all(text.as_bytes()).unwrap();
            }
        });
    }
    let mut config = OpenAiConfig::new(format!("http://{addr}/v1"), "m");
    config.backoff_base = Duration::from_millis(10);
    let judge = OpenAiJudge::new(config).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "whole");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[test]
fn a_dropped_connection_is_retried() {
    let server = Server::start(|number, request: &Seen| {
        if number == 0 {
            Reply::Drop
        } else {
            well_behaved(number, request)
        }
    });
    let judge = OpenAiJudge::new(server.config()).unwrap();
    assert_eq!(judge.chat_one(&request("q")).unwrap(), "judged: q");
    assert_eq!(server.count(), 2);
}

#[test]
fn connections_that_keep_dropping_end_as_unavailable() {
    let server = Server::start(|_, _: &Seen| Reply::Drop);
    let mut config = server.config();
    config.max_retries = 3;
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("4 tries"), "{err}");
    assert_eq!(server.count(), 4);
}

#[test]
fn a_refused_connection_is_retried_then_unavailable() {
    // Bind then close: nothing listens on this port.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = OpenAiConfig::new(format!("http://{addr}/v1"), "m");
    config.backoff_base = Duration::from_millis(10);
    config.max_retries = 1;
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn a_body_that_is_not_json_is_a_backend_error_without_retry() {
    let server = Server::start(|_, _: &Seen| Reply::Send(200, vec![], "<html>oops</html>".into()));
    let err = OpenAiJudge::new(server.config())
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("not JSON") && message.contains("<html>oops"),
        "{message}"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn json_not_in_the_documented_shape_names_what_is_missing() {
    let server = Server::start(|_, request: &Seen| match request.path.as_str() {
        "/v1/chat/completions" => ok_json(json!({"choices": [{"text": "legacy"}]})),
        _ => ok_json(json!({"data": [{"index": 0, "vector": [1.0]}]})),
    });
    let err = OpenAiJudge::new(server.config())
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    assert!(
        err.to_string().contains("choices[0] has no \"message\""),
        "{err}"
    );
    let err = OpenAiEmbedder::new(server.config())
        .unwrap()
        .embed_texts(&texts(&["x"]))
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    assert!(
        err.to_string().contains("data[0] has no \"embedding\""),
        "{err}"
    );
    assert_eq!(server.count(), 2);
}

#[test]
fn a_401_names_the_key_variable_but_never_the_key() {
    // The server echoes what it was sent, as some do.
    let server = Server::start(|_, request: &Seen| {
        status(
            401,
            json!({"error": {"message": format!("Incorrect API key provided: {:?}", request.authorization)}}),
        )
    });
    let judge = OpenAiJudge::new(server.config()).unwrap();
    let err = judge.chat_one(&request("q")).unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("refused the API key (401)"), "{message}");
    assert!(message.contains("OPENAI_API_KEY"), "{message}");
    for text in [message, format!("{err:?}"), format!("{judge:?}")] {
        assert!(
            !text.contains(KEY) && !text.contains("very-secret"),
            "{text}"
        );
    }
    assert_eq!(server.count(), 1);

    // Without a key the message says to set one.
    let mut config = server.config();
    config.api_key = None;
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(err.to_string().contains("none was given"), "{err}");
    assert_eq!(server.count(), 2);
    assert_eq!(server.seen()[1].authorization, None);
}

#[test]
fn a_5xx_error_text_that_echoes_the_key_is_scrubbed() {
    let server = Server::start(|_, request: &Seen| {
        status(
            503,
            json!({"error": {"message": format!("overloaded for {:?}", request.authorization)}}),
        )
    });
    let mut config = server.config();
    config.max_retries = 0;
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("overloaded") && message.contains("<redacted>"),
        "{message}"
    );
    assert!(!message.contains(KEY), "{message}");
}

#[test]
fn a_404_names_the_url_and_the_model() {
    let server = Server::start(|_, _: &Seen| {
        status(
            404,
            json!({"error": {"message": "The model `judge-model` does not exist"}}),
        )
    });
    let err = OpenAiJudge::new(server.config())
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("{}/chat/completions", server.base_url())),
        "{message}"
    );
    assert!(
        message.contains("\"judge-model\"") && message.contains("404"),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");
    assert_eq!(server.count(), 1);

    // A base URL without /v1 gets a hint.
    let mut config = server.config();
    config.base_url = format!("http://{}", server.addr);
    let err = OpenAiJudge::new(config)
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(err.to_string().contains("ends in /v1"), "{err}");
}

#[test]
fn a_400_is_not_retried() {
    let server = Server::start(|_, _: &Seen| {
        status(
            400,
            json!({"error": {"message": "Unrecognized request argument supplied: foo"}}),
        )
    });
    let err = OpenAiJudge::new(server.config())
        .unwrap()
        .chat_one(&request("q"))
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    assert!(
        err.to_string().contains("Unrecognized request argument"),
        "{err}"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn a_request_too_long_for_the_context_is_an_input_error_and_the_others_go_on() {
    // As OpenAI, llama-cpp-python and llama.cpp's server word it.
    let server = Server::start(|number, request: &Seen| {
        let user = request.body["messages"][1]["content"]
            .as_str()
            .unwrap_or("");
        let message = match user {
            "long-openai" => "This model's maximum context length is 8192 tokens.",
            "long-llama-cpp-python" => "Requested tokens (9000) exceed context window of 2048",
            "long-llama-server" => "the request exceeds the available context size",
            _ => return well_behaved(number, request),
        };
        status(400, json!({"error": {"message": message}}))
    });
    let mut config = server.config();
    config.concurrency = 2;
    let mut judge = OpenAiJudge::new(config).unwrap();
    let requests: Vec<ChatRequest> = [
        "a",
        "long-openai",
        "b",
        "long-llama-cpp-python",
        "long-llama-server",
        "c",
    ]
    .iter()
    .map(|user| request(user))
    .collect();
    let answers = Judge::chat_many(&mut judge, &requests);
    assert_eq!(answers.len(), 6);
    for (i, answer) in answers.iter().enumerate() {
        match i {
            1 | 3 | 4 => {
                let Err(GradeError::Input(why)) = answer else {
                    panic!("{i}: {answer:?}");
                };
                assert!(why.contains("does not fit"), "{why}");
            }
            _ => assert!(answer.is_ok(), "{i}: {answer:?}"),
        }
    }
    assert_eq!(server.count(), 6);
}

#[test]
fn the_trait_s_chat_many_ends_its_answers_at_an_error_that_stops_grading() {
    let server = Server::start(|number, request: &Seen| {
        if request.body["messages"][1]["content"] == "broken" {
            ok_json(json!({"choices": []}))
        } else {
            well_behaved(number, request)
        }
    });
    let mut config = server.config();
    config.concurrency = 1;
    let mut judge = OpenAiJudge::new(config).unwrap();
    let requests: Vec<ChatRequest> = ["a", "broken", "b", "c"]
        .iter()
        .map(|user| request(user))
        .collect();
    let answers = Judge::chat_many(&mut judge, &requests);
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(answers[0].is_ok());
    assert!(
        matches!(answers[1], Err(GradeError::Backend(_))),
        "{answers:?}"
    );
    assert_eq!(server.count(), 2);
    // The inherent one answers every request: those not sent carry the error.
    let answers = judge.chat_many(&requests);
    assert_eq!(answers.len(), 4);
    assert!(answers[2..].iter().all(|a| a.is_err()), "{answers:?}");
    assert_eq!(server.count(), 4);
}

#[test]
fn chat_many_keeps_at_most_concurrency_in_flight_and_the_input_order() {
    let server = Server::start(|number, request: &Seen| {
        Reply::After(
            Duration::from_millis(100),
            Box::new(well_behaved(number, request)),
        )
    });
    let mut config = server.config();
    config.concurrency = 3;
    let judge = OpenAiJudge::new(config).unwrap();
    let requests: Vec<ChatRequest> = (0..12).map(|i| request(&format!("q{i}"))).collect();
    let started = Instant::now();
    let answers = judge.chat_many(&requests);
    let elapsed = started.elapsed();
    let answers: Vec<String> = answers.into_iter().map(Result::unwrap).collect();
    let expected: Vec<String> = (0..12).map(|i| format!("judged: q{i}")).collect();
    assert_eq!(answers, expected);
    assert_eq!(server.count(), 12);
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= 3, "{max} in flight");
    assert!(max >= 2, "only {max} in flight: not concurrent");
    // 12 requests of 100 ms, 3 at a time, take about 400 ms; one at a time, 1.2 s.
    assert!(elapsed < Duration::from_millis(1100), "{elapsed:?}");
}

#[test]
fn embedding_batches_share_the_concurrency_bound() {
    let server = Server::start(|number, request: &Seen| {
        Reply::After(
            Duration::from_millis(50),
            Box::new(well_behaved(number, request)),
        )
    });
    let mut config = server.config();
    config.concurrency = 2;
    config.embed_batch_size = 1;
    let embedder = OpenAiEmbedder::new(config).unwrap();
    let inputs: Vec<String> = (0..8).map(|i| "x".repeat(i + 1)).collect();
    let vectors = embedder.embed_texts(&inputs).unwrap();
    assert_eq!(vectors.len(), 8);
    // Input order: the first component grows with the text's length.
    assert!(vectors.windows(2).all(|w| w[0][0] < w[1][0]), "{vectors:?}");
    assert_eq!(server.count(), 8);
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!((1..=2).contains(&max), "{max} in flight");
}

#[test]
fn chat_many_stops_sending_once_the_key_is_refused() {
    let server = Server::start(|_, _: &Seen| {
        Reply::After(Duration::from_millis(20), Box::new(status(401, json!({}))))
    });
    let mut config = server.config();
    config.concurrency = 4;
    let judge = OpenAiJudge::new(config).unwrap();
    let requests: Vec<ChatRequest> = (0..20).map(|i| request(&format!("q{i}"))).collect();
    let answers = judge.chat_many(&requests);
    assert_eq!(answers.len(), 20);
    for answer in &answers {
        let err = answer.as_ref().unwrap_err();
        assert!(err.to_string().contains("refused the API key"), "{err}");
    }
    // The endpoint had not answered yet, so the first request went alone.
    assert_eq!(server.count(), 1);
}

#[test]
fn cancelling_ends_a_backoff_at_once() {
    let server = Server::start(|_, _: &Seen| status(503, json!({})));
    let mut config = server.config();
    config.backoff_base = Duration::from_secs(30);
    config.backoff_cap = Duration::from_secs(30);
    let cancel = Arc::new(AtomicBool::new(false));
    let judge = OpenAiJudge::new(config)
        .unwrap()
        .with_cancel(cancel.clone());
    {
        let cancel = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            cancel.store(true, Ordering::SeqCst);
        });
    }
    let started = Instant::now();
    let answers = judge.chat_many(&[request("a"), request("b")]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for answer in answers {
        assert!(matches!(answer, Err(GradeError::Cancelled)), "{answer:?}");
    }
    // The first went alone (the endpoint had not answered yet), and was not retried.
    assert_eq!(server.count(), 1);
}

/// `at` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let weekday = DAYS[(days % 7) as usize];
    // Walk the calendar from 1970: plain, and enough for a test.
    let (mut year, mut left) = (1970u64, days);
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    while left >= if leap(year) { 366 } else { 365 } {
        left -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while left >= lengths[month] {
        left -= lengths[month];
        month += 1;
    }
    format!(
        "{weekday}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        left + 1,
        MONTHS[month],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn the_test_date_formatter_is_right() {
    assert_eq!(
        http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
}

#[test]
fn credentials_in_the_base_url_stay_out_of_errors() {
    let server = Server::start(|_, _: &Seen| status(404, json!({"detail": "Not Found"})));
    let mut config = server.config();
    config.base_url = format!("http://user:pw-secret@{}/v1", server.addr);
    config.api_key = None;
    let judge = OpenAiJudge::new(config).unwrap();
    let err = judge.chat_one(&request("q")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("404") && message.contains("Not Found"),
        "{message}"
    );
    for text in [message, format!("{judge:?}"), judge.id()] {
        assert!(!text.contains("pw-secret"), "{text}");
    }
    // They are still sent, as Basic authentication.
    let sent = server.seen()[0].authorization.clone().unwrap();
    assert!(sent.starts_with("Basic "), "{sent}");
}
