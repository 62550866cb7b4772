//! Where mobench keeps its files: `MOBENCH_DATA_DIR`, else the platform data directory.

use std::path::PathBuf;

use anyhow::{Context, Result};

pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MOBENCH_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("ai", "MobileAIBench", "mobench")
        .map(|d| d.data_dir().to_path_buf())
        .context("no home directory to keep data in; set MOBENCH_DATA_DIR or pass --db")
}

pub fn db_path(flag: Option<PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(p) => Ok(p),
        None => Ok(data_dir()?.join("mobench.sqlite")),
    }
}

pub fn datasets_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(p) => Ok(p),
        None => Ok(data_dir()?.join("datasets")),
    }
}
