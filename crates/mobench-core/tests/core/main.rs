//! The core's integration tests, one binary: the run queue on the real engine (a generated tiny
//! model, the built-in starter datasets), the views, the data clean-up, and grading runs with a
//! judge.

mod grading;
mod library;
mod runs;
mod support;
