//! Plain records going in and out of the database.

use mobench_metrics::figure::{self, TIMING};
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Completed,
    Interrupted,
    /// Stopped because the app went to the background; resumes when it returns.
    Paused,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Paused => "paused",
            RunStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> RunStatus {
        match s {
            "completed" => RunStatus::Completed,
            "interrupted" => RunStatus::Interrupted,
            "paused" => RunStatus::Paused,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

/// What a run measures: a suite's tasks (scored samples) or llama-bench-style speed tests.
/// Stored as its lowercase name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Suite,
    Speed,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Suite => "suite",
            RunKind::Speed => "speed",
        }
    }

    /// The stored name; anything else is a suite run, the table's default.
    pub(crate) fn parse(s: &str) -> RunKind {
        match s {
            "speed" => RunKind::Speed,
            _ => RunKind::Suite,
        }
    }

    /// The one kind all of `kinds` are (`None` for none): speed runs and suite runs measure
    /// different things, so they are never compared or exported together.
    pub fn common(kinds: impl IntoIterator<Item = RunKind>) -> Result<Option<RunKind>, MixedKinds> {
        let mut kinds = kinds.into_iter();
        let first = kinds.next();
        match first {
            Some(k) if kinds.any(|o| o != k) => Err(MixedKinds),
            _ => Ok(first),
        }
    }
}

/// Its stored name; a width pads it as it would the text (`{:<6}`).
impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A set of runs holds both speed and suite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("speed runs and suite runs measure different things")]
pub struct MixedKinds;

#[derive(Debug, Clone)]
pub struct NewModel {
    pub path: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub name: Option<String>,
    pub architecture: Option<String>,
    pub n_params: u64,
    pub quantization: Option<String>,
    pub n_ctx_train: u32,
    pub has_chat_template: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ModelRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub path: String,
    pub sha256: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: u64,
    pub name: Option<String>,
    pub architecture: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_params: u64,
    pub quantization: Option<String>,
    pub n_ctx_train: u32,
    pub has_chat_template: bool,
}

impl ModelRow {
    /// A short display name: general.name, else the file name.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            std::path::Path::new(&self.path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.path.clone())
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewDataset {
    pub name: String,
    pub task: String,
    pub suite: String,
    pub sha256: String,
    pub rows: usize,
}

#[derive(Debug, Clone)]
pub struct NewRun {
    pub kind: RunKind,
    pub model_id: i64,
    pub settings_json: String,
    pub app_version: String,
    pub llama_version: String,
    pub device_json: String,
    /// The vision projector loaded beside the model, for a multimodal run.
    pub projector: Option<ProjectorRecord>,
}

/// One dataset of a run's plan: the exact rows it covers and the metrics it grades.
#[derive(Debug, Clone)]
pub struct PlannedDataset {
    pub dataset_id: i64,
    pub task_version: u32,
    pub rows: Vec<usize>,
    pub metrics: Vec<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct RunDatasetRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub dataset_id: i64,
    pub name: String,
    pub task: String,
    pub suite: String,
    pub sha256: String,
    pub dataset_rows: usize,
    pub task_version: u32,
    pub rows: Vec<usize>,
    pub metrics: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: RunKind,
    pub status: RunStatus,
    pub failure: Option<String>,
    pub settings_json: String,
    pub app_version: String,
    pub llama_version: String,
    pub device_json: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub samples_done: usize,
    pub samples_total: usize,
    pub model: ModelRow,
    /// The vision projector loaded beside the model, for a multimodal run.
    pub projector: Option<ProjectorRecord>,
    /// The run's globally unique id (UUID v7), the same on every device that holds it.
    pub uuid: String,
    /// The device that made the run (its install's UUID).
    pub device_id: String,
    /// Where an imported run came from (a bundle, a PostgreSQL server); `None`: made here.
    pub origin: Option<String>,
}

/// A vision projector (mmproj GGUF) as a run used it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectorRecord {
    pub path: String,
    pub sha256: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: u64,
    /// llama.cpp's projector type (`mlp` for llava).
    pub projector_type: String,
    pub image_size: u32,
    pub patch_size: u32,
}

impl RunRow {
    /// Whether `resume` can finish it: a suite run that stopped before its end.
    pub fn resumable(&self) -> bool {
        self.kind == RunKind::Suite
            && matches!(
                self.status,
                RunStatus::Interrupted | RunStatus::Paused | RunStatus::Failed
            )
    }
}

/// One model load of a run: cold = first load in the process.
#[derive(Debug, Clone)]
pub struct NewLoad {
    pub cold: bool,
    pub model_load_ms: f64,
    /// Loading the vision projector after the model (multimodal runs).
    pub projector_load_ms: Option<f64>,
    pub context_ms: f64,
    pub n_ctx: u32,
    /// Where the layers went: "CPU", or the GPU backend and device ("Metal (Apple M2)").
    pub backend: String,
    pub gpu_layers_offloaded: u32,
    pub layers_total: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct LoadRow {
    pub cold: bool,
    pub model_load_ms: f64,
    pub projector_load_ms: Option<f64>,
    pub context_ms: f64,
    pub n_ctx: u32,
    pub at: String,
    /// `None` for loads stored before the backend was recorded.
    pub backend: Option<String>,
    pub gpu_layers_offloaded: Option<u32>,
    pub layers_total: Option<u32>,
}

impl LoadRow {
    /// "CPU", "Metal (Apple M2), 33/33 layers", or why it is not known.
    pub fn placement(&self) -> String {
        match (&self.backend, self.gpu_layers_offloaded, self.layers_total) {
            (Some(b), Some(0), _) | (Some(b), None, _) => b.clone(),
            (Some(b), Some(n), Some(t)) => format!("{b}, {n}/{t} layers"),
            (Some(b), Some(n), None) => format!("{b}, {n} layers"),
            (None, ..) => "backend not recorded (stored by an older mobench)".to_string(),
        }
    }
}

/// A sample's efficiency figures, as GUIDE.md defines them. `None` = could not be measured
/// (for example a decode rate needs at least two generated tokens).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleTimings {
    pub ttft_ms: Option<f64>,
    pub prefill_ms: Option<f64>,
    /// Wall time inside all `llama_decode` calls (prompt and generation): what the sample spent
    /// in llama.cpp, as opposed to the harness around it.
    pub decode_calls_ms: Option<f64>,
    pub prefill_tokens_per_s: Option<f64>,
    pub decode_tokens_per_s: Option<f64>,
    pub itl_p50_ms: Option<f64>,
    pub itl_p95_ms: Option<f64>,
    pub itl_max_ms: Option<f64>,
    pub output_eval_ms: Option<f64>,
    pub total_ms: f64,
    /// Decoding the sample's image file into a bitmap (multimodal samples).
    pub image_decode_ms: Option<f64>,
    /// Encoding the image with the vision projector (multimodal samples).
    pub image_encode_ms: Option<f64>,
}

/// llama.cpp's own counters for the sample, kept beside ours as a cross-check.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LlamaCounters {
    pub t_p_eval_ms: f64,
    pub t_eval_ms: f64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_p_eval: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_eval: i64,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub metric: String,
    pub value: Option<f64>,
    pub extracted: Option<String>,
    pub flag: Option<String>,
    pub missing_reason: Option<String>,
    pub grader: String,
}

/// One finished sample as it is stored: what went in, what came out, its figures and scores.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleRecord {
    pub row_index: usize,
    pub example_id: Option<String>,
    pub prompt: String,
    pub reference: String,
    pub prediction_raw: String,
    pub prediction: String,
    pub extra_json: Option<String>,
    pub error: Option<String>,
    pub truncated: bool,
    pub stop_reason: String,
    pub prompt_tokens: usize,
    pub output_tokens: usize,
    /// The image file shown with the prompt (multimodal samples), as the run found it.
    pub image_path: Option<String>,
    /// Context positions the image took; counted in `prompt_tokens`.
    pub image_tokens: Option<usize>,
    /// The prompt's text tokens alone, for a prompt with an image.
    pub prompt_text_tokens: Option<usize>,
    pub timings: SampleTimings,
    pub llama: Option<LlamaCounters>,
    pub scores: Vec<ScoreRecord>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub dataset_id: i64,
}

/// A stored sample read back: the record with its id and its dataset's name and task, all in
/// one flat object.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub dataset: String,
    pub task: String,
    #[serde(flatten)]
    pub sample: SampleRecord,
}

// `row.prompt` reads `row.sample.prompt`: a row is its record and a little more.
impl std::ops::Deref for SampleRow {
    type Target = SampleRecord;
    fn deref(&self) -> &SampleRecord {
        &self.sample
    }
}

impl SampleRecord {
    /// This sample's value of each timing figure of the registry
    /// (`mobench_metrics::figure::TIMING`), named by it.
    pub fn timing_values(&self) -> [(&'static str, Option<f64>); TIMING.len()] {
        let t = &self.timings;
        [
            (figure::TTFT_MS.name, t.ttft_ms),
            (figure::PREFILL_TOKENS_PER_S.name, t.prefill_tokens_per_s),
            (figure::DECODE_TOKENS_PER_S.name, t.decode_tokens_per_s),
            (figure::ITL_P50_MS.name, t.itl_p50_ms),
            (figure::ITL_P95_MS.name, t.itl_p95_ms),
            (figure::ITL_MAX_MS.name, t.itl_max_ms),
            (figure::OUTPUT_EVAL_MS.name, t.output_eval_ms),
            (figure::TOTAL_MS.name, Some(t.total_ms)),
            (figure::PROMPT_TOKENS.name, Some(self.prompt_tokens as f64)),
            (figure::OUTPUT_TOKENS.name, Some(self.output_tokens as f64)),
            (figure::IMAGE_DECODE_MS.name, t.image_decode_ms),
            (figure::IMAGE_ENCODE_MS.name, t.image_encode_ms),
            (
                figure::IMAGE_TOKENS.name,
                self.image_tokens.map(|n| n as f64),
            ),
            (
                figure::PROMPT_TEXT_TOKENS.name,
                self.prompt_text_tokens.map(|n| n as f64),
            ),
        ]
    }

    /// The value of one timing figure by its name (see [`crate::TIMING_FIGURES`]).
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.timing_values()
            .into_iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v)
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct AggregateRow {
    #[serde(skip)]
    pub dataset_id: i64,
    pub dataset: String,
    pub task: String,
    pub figure: String,
    pub stat: String,
    pub value: Option<f64>,
    pub n: usize,
    pub missing_reason: Option<String>,
    pub grader: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_kind_is_stored_and_shown_by_its_name() {
        for kind in [RunKind::Suite, RunKind::Speed] {
            assert_eq!(RunKind::parse(kind.as_str()), kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(format!("{:<6}|", RunKind::Speed), "speed |");
    }

    #[test]
    fn every_timing_figure_of_the_registry_has_a_value_in_its_order() {
        let record = SampleRecord {
            row_index: 0,
            example_id: None,
            prompt: String::new(),
            reference: String::new(),
            prediction_raw: String::new(),
            prediction: String::new(),
            extra_json: None,
            error: None,
            truncated: false,
            stop_reason: "eos".into(),
            prompt_tokens: 7,
            output_tokens: 3,
            timings: SampleTimings {
                ttft_ms: Some(1.5),
                total_ms: 4.0,
                ..SampleTimings::default()
            },
            image_path: None,
            image_tokens: None,
            prompt_text_tokens: None,
            llama: None,
            scores: Vec::new(),
            dataset_id: 1,
        };
        let names: Vec<&str> = record.timing_values().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, crate::TIMING_FIGURES);
        assert_eq!(record.figure("ttft_ms"), Some(1.5));
        assert_eq!(record.figure("total_ms"), Some(4.0));
        assert_eq!(record.figure("output_tokens"), Some(3.0));
        assert_eq!(record.figure("decode_tokens_per_s"), None);
        assert_eq!(record.figure("no_such_figure"), None);
    }

    #[test]
    fn runs_of_both_kinds_have_no_common_kind() {
        use RunKind::{Speed, Suite};
        assert_eq!(RunKind::common([]), Ok(None));
        assert_eq!(RunKind::common([Speed, Speed]), Ok(Some(Speed)));
        assert_eq!(RunKind::common([Suite]), Ok(Some(Suite)));
        assert_eq!(RunKind::common([Suite, Suite, Speed]), Err(MixedKinds));
    }
}
