//! Where MobileAIBench keeps its files on a desktop: `MOBENCH_DATA_DIR`, else the platform's
//! data directory. The CLI and the desktop app share it, so each sees the other's runs.

use std::path::{Path, PathBuf};

/// The data directory, `None` when there is no home directory to keep it in.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MOBENCH_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("ai", "MobileAIBench", "mobench")
        .map(|d| d.data_dir().to_path_buf())
}

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("mobench.sqlite")
}

pub fn datasets_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("datasets")
}

pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}
