//! Speed tests exactly as llama.cpp's llama-bench defines them, so a figure from this engine can
//! be set beside any published llama-bench figure:
//! - `pp N`: N random tokens (BOS first when the model adds one) decoded as a prompt in
//!   `n_batch` chunks; `tg N`: N tokens decoded one at a time; `pg N,M`: both, timed together;
//!   `-d D`: the context is first filled to depth D (untimed).
//! - one untimed warm-up per test (the whole prompt, one generated token), the KV cache cleared
//!   before every repetition, no tokenization or sampling inside the timed window;
//! - per repetition t/s = tokens × 1e9 / ns; a test's figure is the mean and sample standard
//!   deviation of those rates, with the raw per-repetition samples kept.
//!
//! Sustained mode keeps generating in fixed-size rounds and records the rate of each round, to
//! show thermal throttling that a five-repetition test never sees.

mod measure;
mod request;
mod run;

pub use measure::model_meta;
pub use request::{SpeedRequest, Sustained};
pub use run::run_speed;
