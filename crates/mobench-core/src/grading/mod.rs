//! Grading stored runs with a judge or an embedder from the app, as MobileAIBench's paper did:
//! the graders the user defines in Settings (`graders`), their API keys in the OS keychain
//! (`keychain`), and the grading pass that runs on its own thread with progress and cancel
//! (`pass`), over the engine's `mobench_engine::grade`.

pub mod graders;
pub mod keychain;
mod pass;

pub use graders::{GraderDef, GraderRole, GraderSource, NewGrader};
pub use keychain::Keychain;
pub use pass::{
    plan, GradeEvent, GradeJob, GradeResult, GradeStage, GradedFigure, Grading, GradingPlan,
    GradingStatus,
};
