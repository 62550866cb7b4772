//! A quantization study as stored: the study (base model, what is held fixed, status) and one
//! row per level, pointing at the level's ordinary suite and speed runs.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudyStatus {
    Running,
    Interrupted,
    Completed,
    Failed,
}

impl StudyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StudyStatus::Running => "running",
            StudyStatus::Interrupted => "interrupted",
            StudyStatus::Completed => "completed",
            StudyStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> StudyStatus {
        match s {
            "interrupted" => StudyStatus::Interrupted,
            "completed" => StudyStatus::Completed,
            "failed" => StudyStatus::Failed,
            _ => StudyStatus::Running,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StudyRow {
    pub id: i64,
    pub created_at: String,
    pub base_path: String,
    /// What is held fixed, as JSON (the engine's `StudySettings`).
    pub settings: String,
    pub status: StudyStatus,
    pub reason: Option<String>,
}

/// Where a level's model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelSource {
    Base,
    Quantized,
    Imported,
}

impl LevelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LevelSource::Base => "base",
            LevelSource::Quantized => "quantized",
            LevelSource::Imported => "imported",
        }
    }

    pub(crate) fn parse(s: &str) -> LevelSource {
        match s {
            "base" => LevelSource::Base,
            "imported" => LevelSource::Imported,
            _ => LevelSource::Quantized,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StudyLevelRow {
    pub study_id: i64,
    /// 0 is the base model.
    pub position: i64,
    pub label: String,
    pub source: LevelSource,
    pub qtype: Option<String>,
    pub path: String,
    pub size_bytes: Option<u64>,
    pub sha256: Option<String>,
    pub quantize_s: Option<f64>,
    pub suite_run_id: Option<i64>,
    pub speed_run_id: Option<i64>,
    /// JSON of the engine's `Perplexity`.
    pub perplexity: Option<String>,
    /// JSON of the engine's `Divergence` (levels other than the base).
    pub divergence: Option<String>,
}
