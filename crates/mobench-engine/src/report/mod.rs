//! What front ends show of stored runs: summaries with headline figures, comparisons against a
//! baseline, per-sample differences, and the tables they export.

pub mod export;
mod views;

pub use views::{
    compare, run_summary, sample_diff, summaries, CompareRow, Comparison, HeadlineFigure,
    RunSummary, SampleDiff, SampleDiffRow,
};
