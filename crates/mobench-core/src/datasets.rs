//! The datasets a run can use: the built-in starter suite and MobileAIBench's files, which are
//! downloaded from their catalog (or a mirror) and verified against their sha256.

use std::path::Path;
use std::time::{Duration, Instant};

use mobench_tasks::fetch::{self, Fetched};
use mobench_tasks::Catalog;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DatasetEntry {
    pub name: String,
    pub suite: String,
    pub task: String,
    pub rows: usize,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    pub builtin: bool,
    /// The file is on this device (built-in datasets always are).
    pub present: bool,
    pub downloadable: bool,
    pub licence: Option<String>,
    pub metrics: Vec<String>,
    /// It shows the model images: only a model with a vision projector can run it.
    pub multimodal: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DownloadProgress {
    pub dataset: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct FetchReport {
    pub dataset: String,
    pub ok: bool,
    /// What happened, in words (the error when it failed).
    pub message: String,
}

pub fn list(datasets_dir: &Path) -> Vec<DatasetEntry> {
    let catalog = Catalog::builtin();
    catalog
        .datasets()
        .iter()
        .map(|d| DatasetEntry {
            name: d.name.clone(),
            suite: d.suite.clone(),
            task: d.task.clone(),
            rows: d.rows,
            bytes: d.bytes,
            builtin: d.is_builtin(),
            present: mobench_tasks::fetch::is_present(d, datasets_dir),
            downloadable: d.url.is_some(),
            licence: Some(d.licence.clone()).filter(|l| !l.is_empty()),
            metrics: catalog
                .metrics_for(d)
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
            multimodal: d.is_multimodal(),
        })
        .collect()
}

/// Downloads the named datasets one after another; each gets a report, so one failure does not
/// hide the others.
pub fn fetch_all(
    datasets_dir: &Path,
    names: &[String],
    mirror: Option<&str>,
    progress: &mut dyn FnMut(DownloadProgress),
) -> Vec<FetchReport> {
    let catalog = Catalog::builtin();
    let mut reports = Vec::new();
    for name in names {
        let report = |ok: bool, message: String| FetchReport {
            dataset: name.clone(),
            ok,
            message,
        };
        let def = match catalog.dataset(name) {
            Ok(d) if d.url.is_some() => d,
            Ok(_) => {
                reports.push(report(true, "built in: nothing to download".into()));
                continue;
            }
            Err(e) => {
                reports.push(report(false, e.to_string()));
                continue;
            }
        };
        let mut last = Instant::now() - Duration::from_secs(1);
        let result = fetch::fetch_dataset(def, datasets_dir, mirror, &mut |done, total| {
            if last.elapsed() >= Duration::from_millis(100) {
                last = Instant::now();
                progress(DownloadProgress {
                    dataset: name.clone(),
                    bytes_done: done,
                    bytes_total: total.unwrap_or(def.bytes),
                });
            }
        });
        reports.push(match result {
            Ok(Fetched::AlreadyPresent) => report(true, "already here, checksum ok".into()),
            Ok(Fetched::Downloaded) => report(true, "downloaded, checksum ok".into()),
            Err(e) => report(false, crate::error::AppError::from(e).message),
        });
    }
    reports
}
