//! The app's settings: defaults for new runs, the cool-down between queued runs, a dataset
//! mirror, the judges and embedders that grade runs (never their API keys: those are in the OS
//! keychain). Kept as JSON in the data folder; a damaged file is set aside, never silently lost.

use std::path::{Path, PathBuf};

use mobench_engine::{InferenceSettings, Preset};
use serde::{Deserialize, Serialize};

use crate::error::{io_error, AppError, AppResult, ErrorCode};
use crate::grading::GraderDef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct RunDefaults {
    pub preset: Preset,
    /// Examples per dataset; `None` runs every row.
    pub examples: Option<u32>,
    pub threads: u32,
    pub n_ctx: u32,
    pub gpu_layers: u32,
    pub max_tokens: Option<u32>,
    pub template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct AppSettings {
    pub defaults: RunDefaults,
    /// Seconds to wait between queued runs, so that one model's heat does not slow the next.
    pub cooldown_s: u32,
    /// A base URL serving the MobileAIBench dataset files, instead of their catalog URLs.
    pub dataset_mirror: Option<String>,
    /// The judges and embedders defined for grading runs (added and removed through
    /// `grading::graders`; a settings file from before they existed has none).
    #[serde(default)]
    pub graders: Vec<GraderDef>,
    /// A mirror of the Hugging Face hub models are fetched from (`HF_ENDPOINT` when unset, else
    /// huggingface.co).
    #[serde(default)]
    pub hub_endpoint: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        let engine = InferenceSettings::default();
        AppSettings {
            defaults: RunDefaults {
                preset: Preset::Mobile,
                examples: Some(10),
                threads: engine.threads,
                n_ctx: engine.n_ctx,
                gpu_layers: engine.gpu_layers,
                max_tokens: None,
                template: None,
            },
            cooldown_s: 0,
            dataset_mirror: None,
            graders: Vec::new(),
            hub_endpoint: None,
        }
    }
}

/// The most threads a run may ask for: every logical CPU.
pub fn max_threads() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// The engine's settings for a run with these choices (the engine validates them).
pub fn inference(d: &RunDefaults) -> InferenceSettings {
    InferenceSettings {
        threads: d.threads,
        n_ctx: d.n_ctx,
        gpu_layers: d.gpu_layers,
        max_tokens: d.max_tokens,
        preset: d.preset,
        template: d.template.clone().filter(|t| !t.trim().is_empty()),
        ..InferenceSettings::default()
    }
}

pub fn validate_run_choices(d: &RunDefaults) -> AppResult<()> {
    let invalid = |m: String| AppError::new(ErrorCode::Settings, m);
    if d.threads > max_threads() {
        return Err(invalid(format!(
            "{} threads is more than this device's {} CPUs",
            d.threads,
            max_threads()
        )));
    }
    if d.examples == Some(0) {
        return Err(invalid("examples per dataset must be at least 1".into()));
    }
    inference(d).validate().map_err(invalid)
}

impl AppSettings {
    pub fn validate(&self) -> AppResult<()> {
        validate_run_choices(&self.defaults)?;
        if self.cooldown_s > 3600 {
            return Err(AppError::new(
                ErrorCode::Settings,
                "the cool-down is at most 3600 seconds",
            ));
        }
        if let Some(m) = &self.dataset_mirror {
            if !(m.starts_with("http://") || m.starts_with("https://")) {
                return Err(AppError::new(
                    ErrorCode::Settings,
                    format!("the dataset mirror must be an http:// or https:// address, not `{m}`"),
                ));
            }
        }
        if let Some(m) = &self.hub_endpoint {
            if !(m.starts_with("http://") || m.starts_with("https://")) {
                return Err(AppError::new(
                    ErrorCode::Settings,
                    format!("the hub mirror must be an http:// or https:// address, not `{m}`"),
                ));
            }
        }
        crate::grading::graders::validate(&self.graders)
    }
}

pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// The saved settings, or the defaults. An unreadable file is renamed `settings.json.bad` so the
/// user's choices can still be recovered by hand.
pub fn load(data_dir: &Path) -> AppSettings {
    let path = settings_path(data_dir);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return AppSettings::default();
    };
    match serde_json::from_str::<AppSettings>(&text) {
        Ok(s) if s.validate().is_ok() => s,
        _ => {
            tracing::warn!(path = %path.display(), "settings file is invalid; using the defaults");
            let _ = std::fs::rename(&path, path.with_extension("json.bad"));
            AppSettings::default()
        }
    }
}

pub fn save(data_dir: &Path, settings: &AppSettings) -> AppResult<()> {
    settings.validate()?;
    let path = settings_path(data_dir);
    let text = serde_json::to_string_pretty(settings).expect("settings serialize");
    crate::views::export::write_atomically(&path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| io_error(ErrorCode::Io, &path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_come_back_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), AppSettings::default());
        let mut s = AppSettings {
            cooldown_s: 30,
            ..Default::default()
        };
        s.defaults.examples = Some(50);
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()), s);

        let mut bad = s.clone();
        bad.defaults.n_ctx = 8;
        let e = save(dir.path(), &bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::Settings);
        assert!(e.message.contains("context size 8"), "{}", e.message);
        bad = s.clone();
        bad.dataset_mirror = Some("ftp://x".into());
        assert_eq!(
            save(dir.path(), &bad).unwrap_err().code,
            ErrorCode::Settings
        );
        assert_eq!(load(dir.path()), s, "a refused save changes nothing");
    }

    #[test]
    fn a_damaged_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(settings_path(dir.path()), "{not json").unwrap();
        assert_eq!(load(dir.path()), AppSettings::default());
        assert!(dir.path().join("settings.json.bad").exists());
    }
}
