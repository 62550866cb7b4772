//! Where mobench keeps its files (see `mobench_engine::paths`), or what the flags say.

use std::path::PathBuf;

use anyhow::{Context, Result};
use mobench_engine::paths;

pub fn data_dir() -> Result<PathBuf> {
    paths::data_dir()
        .context("no home directory to keep data in; set MOBENCH_DATA_DIR or pass --db")
}

pub fn db_path(flag: Option<PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(p) => Ok(p),
        None => Ok(paths::db_path(&data_dir()?)),
    }
}

pub fn datasets_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    match flag {
        Some(p) => Ok(p),
        None => Ok(paths::datasets_dir(&data_dir()?)),
    }
}
