//! What the app keeps while it runs: where its files are, its settings, the run queue, the
//! grading pass and the keychain endpoint API keys are kept in.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use mobench_store::Store;

use mobench_core::grading::{Grading, Keychain};
use mobench_core::runs::Runner;
use mobench_core::settings::{self, AppSettings};
use mobench_core::{AppResult, ErrorCode};

pub struct AppState {
    pub data_dir: PathBuf,
    pub db: PathBuf,
    pub datasets_dir: PathBuf,
    pub models_dir: PathBuf,
    /// The folder the user fills from outside the app, whose GGUF files are listed as models:
    /// iOS's Documents folder (Finder file sharing, the Files app). `None` on desktop.
    pub shared_dir: Option<PathBuf>,
    /// `MOBENCH_EXPORT_DIR`: exports go straight into this folder without a save dialog (for
    /// unattended use, such as the end-to-end test). Read once at start, never from the UI.
    pub export_dir: Option<PathBuf>,
    /// Whether the user may choose where the data lives (desktop: `MOBENCH_DATA_DIR`) or the OS
    /// fixes it (mobile).
    pub db_path_editable: bool,
    pub started: Instant,
    pub settings: Mutex<AppSettings>,
    pub runner: Runner,
    /// The grading pass (one at a time, none while a run goes).
    pub grading: Grading,
    /// The quantization study (one at a time, none beside a run or a grading pass).
    pub study: mobench_core::study::StudyRunner,
    /// Where endpoint API keys are kept: the OS keychain, opened on first use (tests put
    /// keyring's mock store here).
    pub keychain: Keychain,
    /// Held while a run or a grading pass is checked for and started, so that two windows (or
    /// two quick clicks) cannot start one of each at once.
    pub starting: Mutex<()>,
    /// `.mobench` files the OS opened with the app that the UI has not taken yet.
    pub opened_bundles: Mutex<Vec<String>>,
}

impl AppState {
    pub fn new(data_dir: PathBuf, started: Instant) -> AppResult<AppState> {
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| mobench_core::error::io_error(ErrorCode::Io, &data_dir, &e))?;
        let settings = settings::load(&data_dir);
        Ok(AppState {
            db: mobench_engine::paths::db_path(&data_dir),
            datasets_dir: mobench_engine::paths::datasets_dir(&data_dir),
            models_dir: mobench_engine::paths::models_dir(&data_dir),
            shared_dir: None,
            export_dir: std::env::var_os("MOBENCH_EXPORT_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            db_path_editable: cfg!(desktop),
            data_dir,
            started,
            settings: Mutex::new(settings),
            runner: Runner::default(),
            grading: Grading::default(),
            opened_bundles: Mutex::new(Vec::new()),
            study: Default::default(),
            keychain: Keychain::lazy(crate::keychain::open),
            starting: Mutex::new(()),
        })
    }

    /// A connection to the run database (runs left `running` by a killed process become
    /// interrupted on the way).
    pub fn store(&self) -> AppResult<Store> {
        Ok(mobench_engine::open_store(&self.db)?)
    }

    pub fn settings(&self) -> AppSettings {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_settings(&self, s: AppSettings) -> AppResult<AppSettings> {
        settings::save(&self.data_dir, &s)?;
        *self.settings.lock().unwrap_or_else(|p| p.into_inner()) = s.clone();
        Ok(s)
    }

    /// The settings `change` makes of the current ones, saved; the settings are locked
    /// throughout, so two changes never lose one another.
    pub fn update_settings(
        &self,
        change: impl FnOnce(&AppSettings) -> AppResult<AppSettings>,
    ) -> AppResult<AppSettings> {
        let mut current = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        let next = change(&current)?;
        settings::save(&self.data_dir, &next)?;
        *current = next.clone();
        Ok(next)
    }

    /// Held while a run or a grading pass is started (see `starting`).
    pub fn starting(&self) -> std::sync::MutexGuard<'_, ()> {
        self.starting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails with `Busy` while a run, a grading pass or a study goes on.
    pub fn ensure_idle(&self, what: &str) -> AppResult<()> {
        self.runner.ensure_idle(what)?;
        self.grading.ensure_idle(what)?;
        self.study.ensure_idle(what)
    }
}
