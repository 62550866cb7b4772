//! The OpenAI-compatible client against a real server (llama-cpp-python's), chat and embeddings:
//!
//! ```text
//! ./target/debug/mobench-gen --preset tiny --out /tmp/t.gguf
//! export MOBENCH_OPENAI_BASE_URL=$(scripts/openai-server.sh start --model /tmp/t.gguf --pooling mean)
//! cargo test -p mobench-judge --test http_server -- --ignored
//! scripts/openai-server.sh stop
//! ```
//!
//! `--pooling mean` makes the generated chat model an embedder too (it declares no pooling, and
//! the server would answer one vector per token). `MOBENCH_OPENAI_MODEL` names the model (default
//! `judge`, the script's alias) and `OPENAI_API_KEY` the key, if the server was started with
//! `--api-key` (then a wrong key's 401 is checked too). Ignored by default: the server takes
//! minutes to install and is not part of the plain test run.

use std::time::Duration;

use mobench_judge::http::{OpenAiConfig, OpenAiEmbedder, OpenAiJudge};
use mobench_judge::{ChatRequest, Embedder, GradeError, Judge};

fn config() -> OpenAiConfig {
    let base_url = std::env::var("MOBENCH_OPENAI_BASE_URL").unwrap_or_else(|_| {
        panic!(
            "set MOBENCH_OPENAI_BASE_URL to the server's base URL \
             (scripts/openai-server.sh start prints it)"
        )
    });
    let model = std::env::var("MOBENCH_OPENAI_MODEL").unwrap_or_else(|_| "judge".to_owned());
    let mut config = OpenAiConfig::new(base_url, model).with_api_key_from_env();
    // A CPU server answering one request at a time.
    config.timeout = Duration::from_secs(120);
    config.max_tokens = 16;
    config.concurrency = 2;
    config.embed_batch_size = 2;
    config
}

#[test]
#[ignore = "needs MOBENCH_OPENAI_BASE_URL (scripts/openai-server.sh start) and --ignored"]
fn chat_against_a_real_server() {
    let config = config();
    let mut judge = OpenAiJudge::new(config.clone()).unwrap();
    assert_eq!(
        judge.id(),
        format!("openai:{}@{}:t0:max16", config.model, config.host())
    );
    let request = ChatRequest {
        system: "You are a strict grader. Answer yes or no.".into(),
        user: "Is the answer \"4\" correct for \"2+2\"?".into(),
    };
    // A model with random weights says anything, even nothing; what matters is the round trip.
    let first = judge.chat(&request).unwrap();
    // Temperature 0: the same question, the same answer.
    assert_eq!(judge.chat(&request).unwrap(), first);

    let requests: Vec<ChatRequest> = (0..3)
        .map(|i| ChatRequest {
            system: String::new(),
            user: format!("Count to {i}."),
        })
        .collect();
    for answer in judge.chat_many(&requests) {
        answer.unwrap();
    }

    // The server's own 404 for a base URL without /v1, as one clear line.
    let mut wrong = config.clone();
    wrong.base_url = config
        .base_url
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_owned();
    let err = OpenAiJudge::new(wrong)
        .unwrap()
        .chat_one(&request)
        .unwrap_err();
    assert!(matches!(err, GradeError::Backend(_)), "{err:?}");
    assert!(err.to_string().contains("404"), "{err}");

    // A server started with --api-key refuses another key, without retrying.
    if config.api_key.is_some() {
        let mut wrong = config.clone();
        wrong.api_key = Some("sk-not-the-key".into());
        let err = OpenAiJudge::new(wrong)
            .unwrap()
            .chat_one(&request)
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("refused the API key (401)"), "{message}");
        assert!(!message.contains("sk-not-the-key"), "{message}");
    }
}

#[test]
#[ignore = "needs MOBENCH_OPENAI_BASE_URL (scripts/openai-server.sh start) and --ignored"]
fn embeddings_against_a_real_server() {
    let config = config();
    let mut embedder = OpenAiEmbedder::new(config.clone()).unwrap();
    assert_eq!(
        embedder.id(),
        format!("openai-embed:{}@{}", config.model, config.host())
    );
    let texts: Vec<String> = [
        "a",
        "the same text",
        "something else entirely",
        "the same text",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let vectors = embedder.embed(&texts).unwrap();
    assert_eq!(vectors.len(), texts.len());
    let dimension = vectors[0].len();
    assert!(dimension > 0);
    for vector in &vectors {
        assert_eq!(vector.len(), dimension);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    // The same text, in another batch, the same vector.
    for (a, b) in vectors[1].iter().zip(&vectors[3]) {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
    assert_eq!(embedder.dimension(), Some(dimension));
    let again = embedder.embed(&texts[..1]).unwrap();
    assert_eq!(again[0].len(), dimension);
}
