//! Export tables, each built from one column list (a column's name beside its cell): runs with
//! their aggregates, samples, llama-bench's speed results, resource readings. The same
//! [`Table`] is written as CSV or JSON.

mod llama_bench;
mod readings;
mod runs;
mod samples;
mod table;

pub use llama_bench::{llama_bench_table, SpeedSource};
pub use readings::readings_table;
pub use runs::{runs_table, RunExport};
pub use samples::samples_table;
pub use table::{cells, col, headers, neutralize, Cell, Column, Table};
