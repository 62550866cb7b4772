//! The core's integration tests, one binary: the run queue on the real engine (a generated tiny
//! model, the built-in starter datasets), the views and the data clean-up.

mod library;
mod runs;
mod support;
