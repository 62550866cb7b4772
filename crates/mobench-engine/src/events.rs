//! One run pipeline, many observers: a run emits typed events to a sink; the sink's answer can stop it.

use serde::Serialize;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct PlannedDatasetInfo {
    pub dataset: String,
    pub task: String,
    pub samples: usize,
    pub already_done: usize,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ScoreBrief {
    pub metric: String,
    pub value: Option<f64>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
        model: String,
        resumed: bool,
        total: usize,
        already_done: usize,
        datasets: Vec<PlannedDatasetInfo>,
    },
    ModelLoaded {
        cold: bool,
        model_load_ms: f64,
        /// Loading the vision projector after the model (multimodal runs).
        projector_load_ms: Option<f64>,
        context_ms: f64,
        /// The context size llama.cpp made (it pads the one asked for).
        n_ctx: u32,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        n_params: u64,
        /// Where the layers went: "CPU" or the GPU backend and device.
        backend: String,
        gpu_layers_offloaded: u32,
        layers_total: u32,
    },
    SampleStarted {
        dataset: String,
        row: usize,
        prompt: String,
        /// The image shown with the prompt (multimodal datasets).
        image: Option<String>,
    },
    /// A piece of generated text, as it is produced.
    Token {
        text: String,
    },
    SampleFinished {
        dataset: String,
        row: usize,
        done: usize,
        total: usize,
        prompt_tokens: usize,
        output_tokens: usize,
        ttft_ms: Option<f64>,
        decode_tokens_per_s: Option<f64>,
        truncated: bool,
        error: Option<String>,
        scores: Vec<ScoreBrief>,
    },
    /// A speed run (`mobench speed`) began: its tests in order, or sustained mode.
    SpeedStarted {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
        model: String,
        tests: Vec<String>,
        sustained_minutes: Option<f64>,
        /// CPU features the processor has and this build's ggml does not use.
        unused_cpu_features: Vec<&'static str>,
    },
    SpeedTestFinished {
        index: usize,
        total: usize,
        name: String,
        n_threads: u32,
        avg_ts: f64,
        stddev_ts: f64,
        samples_ts: Vec<f64>,
    },
    SustainedRound(mobench_store::speed::RoundResult),
    /// A resource reading, sent from the sampler thread as it is taken (for live charts). A speed
    /// run samples from before its model loads, so its first readings precede `SpeedStarted`.
    Resource(mobench_telemetry::Reading),
    /// Something the user should know before trusting the figures (the model barely fits in
    /// memory, or will swap).
    Warning {
        message: String,
    },
    RunFinished {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
        status: mobench_store::RunStatus,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

pub trait Sink {
    fn on_event(&mut self, event: &Event) -> Control;

    /// Whether this sink wants an [`Event::Token`] per generated token (a live view does; a
    /// progress bar does not, and then none is sent).
    fn wants_tokens(&self) -> bool {
        true
    }
}

impl<F: FnMut(&Event) -> Control> Sink for F {
    fn on_event(&mut self, event: &Event) -> Control {
        self(event)
    }
}
