//! Model downloads from the hub as stored: what was asked for and how far it got.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum DownloadStatus {
    /// Fetching now, or, found so at start, stopped by the app closing (then it is paused).
    Running,
    /// Stopped by the user or the app closing; resumes from its part files.
    Paused,
    Failed,
    Done,
}

impl DownloadStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DownloadStatus::Running => "running",
            DownloadStatus::Paused => "paused",
            DownloadStatus::Failed => "failed",
            DownloadStatus::Done => "done",
        }
    }

    pub(crate) fn parse(text: &str) -> DownloadStatus {
        match text {
            "running" => DownloadStatus::Running,
            "paused" => DownloadStatus::Paused,
            "done" => DownloadStatus::Done,
            _ => DownloadStatus::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DownloadRow {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub repo: String,
    pub file: String,
    pub mmproj: Option<String>,
    pub catalog: Option<String>,
    pub status: DownloadStatus,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
    pub error: Option<String>,
    pub path: Option<String>,
    pub updated_at: String,
}
