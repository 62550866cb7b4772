//! What front ends show of stored runs, the same way in the app and the CLI: the history with
//! each run's headline figures, one run in detail, comparisons against a baseline, the samples
//! where runs answered differently, the tables they export, and the images samples showed.

mod detail;
mod devices;
pub mod export;
mod image;
mod runs;

pub use detail::{
    detail, export_csv, readings, samples, sustained, ExportReport, RunDetail, SpeedTestRow,
    Sustained,
};
pub use devices::{devices, BoardDevice, BoardFigure, BoardGroup, BOARD_FIGURES};
pub use image::image_data_url;
pub use runs::{
    compare, run_summary, sample_diff, summaries, CompareRow, Comparison, HeadlineFigure,
    RunSummary, SampleDiff, SampleDiffRow,
};
