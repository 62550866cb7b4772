//! Tasks are data: the catalog of tasks and datasets (`datasets/*.toml`), loading dataset files in
//! MobileAIBench's schemas, rendering prompts from recipes, and cleaning answers before scoring.

pub mod catalog;
pub mod cleanup;
pub mod fetch;
pub mod load;
pub mod prompt;
pub mod select;
mod starter;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use catalog::{Catalog, CatalogError, DatasetDef, Format, TaskDef};
pub use cleanup::Cleanup;
pub use load::{DatasetError, Example, LoadedDataset};
pub use prompt::{Rendered, RenderedTurn};
pub use select::Selection;
