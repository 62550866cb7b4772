//! The run database. One SQLite file, schema versioned in `user_version`, WAL and foreign keys
//! on every connection. Every finished sample is committed on its own, so a killed process loses
//! at most the sample in flight.
//!
//! Domain types: `records` (runs, samples, models), `speed`, `resources`, `library`;
//! statistics: `stats` and the per-dataset `aggregate`s; persistence: `db` (the SQL of each
//! table, its columns listed once); presentation: `export` (tables, one column list each).

mod aggregate;
mod db;
pub mod devices;
pub mod downloads;
mod error;
pub mod export;
pub mod library;
mod records;
pub mod resources;
pub mod speed;
pub mod stats;
pub mod studies;

pub use aggregate::TIMING_FIGURES;
pub use db::{
    travelling_columns, ImportReport, LevelFile, LevelProbe, LevelRun, Merged, NewLevel, RunData,
    Store, TableRows, BUNDLE_APPLICATION_ID, RUN_TABLES,
};
pub use error::{Result, StoreError};
pub use records::*;
pub use stats::{percentile, Stats};
