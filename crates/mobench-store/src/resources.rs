//! Resource figures of a run (CPU, memory, battery, energy, thermal), derived from the
//! sampler's readings, each with its reason when missing.

use serde::Serialize;

/// A per-run resource figure; `value` is None exactly when `missing_reason` says why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceFigure {
    pub figure: String,
    pub value: Option<f64>,
    pub missing_reason: Option<String>,
}
