//! `mobench` end to end: the real binary on real llama.cpp, one module a feature, one shared
//! support module (a private data folder and database per test, the binary run with a time limit,
//! and what it wrote read back).

mod bad_input;
mod grade;
mod models;
mod postgres;
mod quant;
mod resume;
mod run;
mod score_and_fetch;
mod share;
mod speed;
mod support;
mod telemetry;
mod vision;
