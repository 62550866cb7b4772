//! The suite run pipeline: plan (validating everything before the run is recorded), then run
//! sample by sample on the inference worker, committing each finished sample before the next
//! starts; an interrupted run is resumed from its stored plan.

mod plan;
mod run;
mod sample;

use std::path::Path;

use crate::error::EngineError;
use crate::events::Sink;
use crate::settings::RunRequest;
use crate::worker::{on_worker, CancelFlag, RunOutcome};

/// Starts a new suite run. Everything that can be checked is checked before the run is
/// created, so bad input leaves the database untouched.
pub fn run_suite(
    db: &Path,
    request: RunRequest,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
) -> Result<RunOutcome, EngineError> {
    on_worker(db, cancel, sink, move |store, cancel, tx| {
        let planned = plan::fresh(store, request)?;
        run::execute(store, planned, cancel, tx)
    })
}

/// Finishes an interrupted (or failed) run without redoing finished samples.
pub fn resume(
    db: &Path,
    run_id: i64,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
) -> Result<RunOutcome, EngineError> {
    on_worker(
        db,
        cancel,
        sink,
        move |store, cancel, tx| match plan::stored(store, run_id)? {
            plan::Stored::ToFinish(planned) => run::execute(store, *planned, cancel, tx),
            plan::Stored::Complete(outcome) => Ok(outcome),
        },
    )
}
