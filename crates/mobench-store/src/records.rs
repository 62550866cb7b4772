//! Plain records going in and out of the database.

use rusqlite::Row;
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

    fn parse(s: &str) -> RunStatus {
        match s {
            "completed" => RunStatus::Completed,
            "interrupted" => RunStatus::Interrupted,
            "paused" => RunStatus::Paused,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

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
    pub(crate) const COLUMNS: &'static str = "id, path, sha256, size_bytes, name, architecture, n_params, quantization, n_ctx_train, has_chat_template";

    pub(crate) fn from_row(r: &Row) -> rusqlite::Result<ModelRow> {
        Self::from_row_at(r, 0)
    }

    fn from_row_at(r: &Row, o: usize) -> rusqlite::Result<ModelRow> {
        Ok(ModelRow {
            id: r.get(o)?,
            path: r.get(o + 1)?,
            sha256: r.get(o + 2)?,
            size_bytes: r.get::<_, i64>(o + 3)? as u64,
            name: r.get(o + 4)?,
            architecture: r.get(o + 5)?,
            n_params: r.get::<_, i64>(o + 6)? as u64,
            quantization: r.get(o + 7)?,
            n_ctx_train: r.get(o + 8)?,
            has_chat_template: r.get(o + 9)?,
        })
    }

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
    pub kind: String,
    pub model_id: i64,
    pub settings_json: String,
    pub app_version: String,
    pub llama_version: String,
    pub device_json: String,
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
    pub kind: String,
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
}

impl RunRow {
    /// Whether `resume` can finish it: a suite run that stopped before its end.
    pub fn resumable(&self) -> bool {
        self.kind == "suite"
            && matches!(
                self.status,
                RunStatus::Interrupted | RunStatus::Paused | RunStatus::Failed
            )
    }

    pub(crate) const SELECT: &'static str = "SELECT r.id, r.kind, r.status, r.failure, r.settings_json, r.app_version,
            r.llama_version, r.device_json, r.started_at, r.finished_at,
            (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id),
            (SELECT COALESCE(SUM(json_array_length(rd.rows_json)), 0) FROM run_datasets rd WHERE rd.run_id = r.id),
            m.id, m.path, m.sha256, m.size_bytes, m.name, m.architecture, m.n_params, m.quantization,
            m.n_ctx_train, m.has_chat_template
        FROM runs r JOIN models m ON m.id = r.model_id";

    pub(crate) fn from_row(r: &Row) -> rusqlite::Result<RunRow> {
        Ok(RunRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            status: RunStatus::parse(&r.get::<_, String>(2)?),
            failure: r.get(3)?,
            settings_json: r.get(4)?,
            app_version: r.get(5)?,
            llama_version: r.get(6)?,
            device_json: r.get(7)?,
            started_at: r.get(8)?,
            finished_at: r.get(9)?,
            samples_done: r.get::<_, i64>(10)? as usize,
            samples_total: r.get::<_, i64>(11)? as usize,
            model: ModelRow::from_row_at(r, 12)?,
        })
    }
}

/// One model load of a run: cold = first load in the process.
#[derive(Debug, Clone)]
pub struct NewLoad {
    pub cold: bool,
    pub model_load_ms: f64,
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

#[derive(Debug, Clone)]
pub struct SampleRecord {
    pub dataset_id: i64,
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
    pub timings: SampleTimings,
    pub llama: Option<LlamaCounters>,
    pub scores: Vec<ScoreRecord>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub dataset: String,
    pub task: String,
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
    pub timings: SampleTimings,
    pub llama: Option<LlamaCounters>,
    pub scores: Vec<ScoreRecord>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub dataset_id: i64,
}

impl SampleRow {
    pub(crate) const SELECT: &'static str = "SELECT s.id, d.name, d.task, s.row_index, s.example_id, s.prompt,
            s.reference, s.prediction_raw, s.prediction, s.extra_json, s.error, s.truncated, s.stop_reason,
            s.prompt_tokens, s.output_tokens, s.ttft_ms, s.prefill_ms, s.prefill_tokens_per_s,
            s.decode_tokens_per_s, s.itl_p50_ms, s.itl_p95_ms, s.itl_max_ms, s.output_eval_ms, s.total_ms,
            s.llama_t_p_eval_ms, s.llama_t_eval_ms, s.llama_n_p_eval, s.llama_n_eval, s.dataset_id,
            s.decode_calls_ms
        FROM samples s JOIN datasets d ON d.id = s.dataset_id
        JOIN run_datasets rd ON rd.run_id = s.run_id AND rd.dataset_id = s.dataset_id";

    pub(crate) fn from_row(r: &Row) -> rusqlite::Result<SampleRow> {
        let llama = match (
            r.get::<_, Option<f64>>(24)?,
            r.get::<_, Option<f64>>(25)?,
            r.get::<_, Option<i64>>(26)?,
            r.get::<_, Option<i64>>(27)?,
        ) {
            (Some(t_p_eval_ms), Some(t_eval_ms), Some(n_p_eval), Some(n_eval)) => {
                Some(LlamaCounters {
                    t_p_eval_ms,
                    t_eval_ms,
                    n_p_eval,
                    n_eval,
                })
            }
            _ => None,
        };
        Ok(SampleRow {
            id: r.get(0)?,
            dataset: r.get(1)?,
            task: r.get(2)?,
            row_index: r.get::<_, i64>(3)? as usize,
            example_id: r.get(4)?,
            prompt: r.get(5)?,
            reference: r.get(6)?,
            prediction_raw: r.get(7)?,
            prediction: r.get(8)?,
            extra_json: r.get(9)?,
            error: r.get(10)?,
            truncated: r.get(11)?,
            stop_reason: r.get(12)?,
            prompt_tokens: r.get::<_, i64>(13)? as usize,
            output_tokens: r.get::<_, i64>(14)? as usize,
            timings: SampleTimings {
                ttft_ms: r.get(15)?,
                prefill_ms: r.get(16)?,
                prefill_tokens_per_s: r.get(17)?,
                decode_tokens_per_s: r.get(18)?,
                itl_p50_ms: r.get(19)?,
                itl_p95_ms: r.get(20)?,
                itl_max_ms: r.get(21)?,
                output_eval_ms: r.get(22)?,
                total_ms: r.get(23)?,
                decode_calls_ms: r.get(29)?,
            },
            llama,
            scores: Vec::new(),
            dataset_id: r.get(28)?,
        })
    }

    /// The value of one timing figure by its column name (see [`crate::TIMING_FIGURES`]).
    pub fn figure(&self, name: &str) -> Option<f64> {
        let t = &self.timings;
        match name {
            "ttft_ms" => t.ttft_ms,
            "prefill_tokens_per_s" => t.prefill_tokens_per_s,
            "decode_tokens_per_s" => t.decode_tokens_per_s,
            "itl_p50_ms" => t.itl_p50_ms,
            "itl_p95_ms" => t.itl_p95_ms,
            "itl_max_ms" => t.itl_max_ms,
            "output_eval_ms" => t.output_eval_ms,
            "total_ms" => Some(t.total_ms),
            "prompt_tokens" => Some(self.prompt_tokens as f64),
            "output_tokens" => Some(self.output_tokens as f64),
            _ => None,
        }
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
