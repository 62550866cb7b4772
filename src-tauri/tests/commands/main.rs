//! Every command through Tauri's IPC on the mock runtime, with the app's real capability file:
//! a real SQLite file, the real llama.cpp on the generated tiny model, and a real HTTP server on
//! 127.0.0.1 for dataset downloads. One module a feature, over one support module.

mod app;
mod datasets;
mod grading;
mod hub;
mod lifecycle;
mod models;
mod runs;
mod settings;
mod sharing;
mod study;
mod support;
mod views;
mod vision;
