//! What front ends show of stored runs, the same way in the app and the CLI: the history with
//! each run's headline figures, one run in detail, comparisons against a baseline, the samples
//! where runs answered differently, and the tables they export.

mod detail;
pub mod export;
mod runs;

pub use detail::{
    detail, export_csv, readings, samples, sustained, ExportReport, RunDetail, SpeedTestRow,
    Sustained,
};
pub use runs::{
    compare, run_summary, sample_diff, summaries, CompareRow, Comparison, HeadlineFigure,
    RunSummary, SampleDiff, SampleDiffRow,
};
