//! Integration tests of mobench-gen: one test binary, as in the rest of the workspace.

#[cfg(feature = "cli")]
mod cli;
mod format;
mod gguf_reader;
mod llama;
mod projector;
