//! A grading pass over one stored run, on its own thread: the judge's pass, then the embedder's,
//! each through the engine's `grade_runs` (which caches every judgment, so a cancelled pass
//! loses only what was in flight), with its progress told to whoever watches and a cancel that
//! stops it between requests. One pass at a time, and none while a run is going: a run and a
//! grading pass would compete for the same CPU (and the run's figures with it).

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mobench_engine::grade::{grade_runs, GradeOptions, GraderSpec};
pub use mobench_engine::grade::{GradeResult, GradedFigure};
use mobench_engine::CancelFlag;
use mobench_judge::protocol::Protocol;
use mobench_store::{RunKind, Store};
use mobench_tasks::Catalog;
use serde::Serialize;

use super::graders::{self, GraderRole, GraderSource};
use super::keychain::Keychain;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::runs::Runner;
use crate::settings::AppSettings;

/// Which datasets of a run a judge and an embedder grade (as MobileAIBench graded them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct GradingPlan {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    pub judge: Vec<String>,
    pub embedder: Vec<String>,
}

/// The datasets of run `run_id` that a judge or an embedder grades; none for a speed run.
pub fn plan(store: &Store, run_id: i64) -> AppResult<GradingPlan> {
    let run = store.run(run_id)?;
    let mut plan = GradingPlan {
        run_id,
        judge: Vec::new(),
        embedder: Vec::new(),
    };
    if run.kind != RunKind::Suite {
        return Ok(plan);
    }
    let catalog = Catalog::builtin();
    for rd in store.run_datasets(run_id)? {
        match catalog.dataset(&rd.name).ok().and_then(|d| d.judge) {
            Some(Protocol::AdvInstruction) => plan.embedder.push(rd.name),
            Some(_) => plan.judge.push(rd.name),
            None => {}
        }
    }
    Ok(plan)
}

/// Which grader is at work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "lowercase")]
pub enum GradeStage {
    Judge,
    Embedder,
}

/// What a grading pass tells whoever watches it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GradeEvent {
    /// `done` of `total` requests of the grader at work (counted per dataset; answers from the
    /// cache count as done at once).
    Progress {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
        stage: GradeStage,
        done: usize,
        total: usize,
    },
    Finished {
        result: GradeResult,
    },
    Failed {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
        error: AppError,
    },
    Cancelled {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        run_id: i64,
    },
}

/// The grading pass in progress, for a window that opens (or reloads) while it goes on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct GradingStatus {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    /// The judge's and the embedder's names, as Settings shows them.
    pub judge: Option<String>,
    pub embedder: Option<String>,
    /// `None` until the first grader is at work.
    pub stage: Option<GradeStage>,
    pub done: usize,
    pub total: usize,
    pub cancelling: bool,
}

/// One grader ready for the engine. Holds an endpoint's key: it has no `Debug`, and the key goes
/// only into the engine's options.
struct ReadyGrader {
    name: String,
    spec: GraderSpec,
    base_url: Option<String>,
    api_key: Option<String>,
    remote: bool,
}

/// A grading pass to start: the run, its judge and its embedder.
pub struct GradeJob {
    pub run_id: i64,
    judge: Option<ReadyGrader>,
    embedder: Option<ReadyGrader>,
    threads: u32,
}

/// Requests in flight at once at an endpoint.
const ENDPOINT_CONCURRENCY: usize = 4;

impl GradeJob {
    /// Run `run_id` graded by the graders of `settings` with these ids, an endpoint's key taken
    /// from `keychain`.
    pub fn prepare(
        settings: &AppSettings,
        keychain: &Keychain,
        run_id: i64,
        judge: Option<&str>,
        embedder: Option<&str>,
    ) -> AppResult<GradeJob> {
        if judge.is_none() && embedder.is_none() {
            return Err(AppError::new(
                ErrorCode::Settings,
                "choose a judge or an embedder to grade with",
            ));
        }
        let ready = |id: Option<&str>, role: GraderRole| -> AppResult<Option<ReadyGrader>> {
            let Some(id) = id else { return Ok(None) };
            let g = graders::find(settings, id)?;
            if g.role != role {
                return Err(AppError::new(
                    ErrorCode::Settings,
                    format!(
                        "`{}` is {} {}, not {} {}",
                        g.name,
                        article(g.role),
                        g.role.word(),
                        article(role),
                        role.word()
                    ),
                ));
            }
            Ok(Some(match &g.source {
                GraderSource::Local { path } => ReadyGrader {
                    name: g.name.clone(),
                    spec: GraderSpec::Local(path.into()),
                    base_url: None,
                    api_key: None,
                    remote: false,
                },
                GraderSource::Endpoint {
                    base_url,
                    model,
                    needs_key,
                } => {
                    let api_key = if *needs_key {
                        Some(keychain.get(&g.id)?.ok_or_else(|| {
                            AppError::new(
                                ErrorCode::Settings,
                                format!(
                                    "`{}` needs an API key: enter it in Settings, under Judges \
                                     and embedders",
                                    g.name
                                ),
                            )
                        })?)
                    } else {
                        None
                    };
                    ReadyGrader {
                        name: g.name.clone(),
                        spec: GraderSpec::OpenAi(model.clone()),
                        base_url: Some(base_url.clone()),
                        api_key,
                        remote: true,
                    }
                }
            }))
        };
        Ok(GradeJob {
            run_id,
            judge: ready(judge, GraderRole::Judge)?,
            embedder: ready(embedder, GraderRole::Embedder)?,
            threads: settings.defaults.threads,
        })
    }
}

fn article(role: GraderRole) -> &'static str {
    match role {
        GraderRole::Judge => "a",
        GraderRole::Embedder => "an",
    }
}

type Emit = Arc<dyn Fn(GradeEvent) + Send + Sync>;

struct Active {
    status: GradingStatus,
    cancel: CancelFlag,
    emit: Emit,
    /// Disconnects when the pass's thread ends.
    done: mpsc::Receiver<()>,
}

/// The one grading pass that may run at a time.
#[derive(Clone, Default)]
pub struct Grading(Arc<Mutex<Option<Active>>>);

/// Progress is told at most this often (an embedder may embed hundreds of answers a second).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Grading {
    fn slot(&self) -> MutexGuard<'_, Option<Active>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The pass in progress.
    pub fn status(&self) -> Option<GradingStatus> {
        self.slot().as_ref().map(|a| a.status.clone())
    }

    pub fn is_grading(&self, run_id: i64) -> bool {
        self.slot()
            .as_ref()
            .is_some_and(|a| a.status.run_id == run_id)
    }

    /// Fails with `Busy` while a pass goes on, naming what the user wanted to do.
    pub fn ensure_idle(&self, what: &str) -> AppResult<()> {
        match self.status() {
            Some(s) => Err(AppError::new(
                ErrorCode::Busy,
                format!(
                    "run {} is being graded: cancel the grading or wait for it to finish before \
                     you {what}",
                    s.run_id
                ),
            )),
            None => Ok(()),
        }
    }

    /// Stops the pass between two requests; what was answered stays cached.
    pub fn cancel(&self) -> bool {
        match self.slot().as_mut() {
            Some(a) => {
                a.cancel.cancel();
                a.status.cancelling = true;
                true
            }
            None => false,
        }
    }

    /// Cancels and waits (up to `timeout`) until the pass has stopped.
    pub fn shutdown(&self, timeout: Duration) {
        self.cancel();
        let done = self.slot().take().map(|a| a.done);
        if let Some(done) = done {
            let _ = done.recv_timeout(timeout);
        }
    }

    /// Sends the pass's further events to `emit` instead; `None` when none goes on.
    pub fn attach(
        &self,
        emit: impl Fn(GradeEvent) + Send + Sync + 'static,
    ) -> Option<GradingStatus> {
        let mut slot = self.slot();
        let a = slot.as_mut()?;
        a.emit = Arc::new(emit);
        Some(a.status.clone())
    }

    /// Starts grading `job.run_id` on a thread of its own; returns at once. Refused while
    /// `runner` has a run going (or paused), or another pass goes on.
    pub fn start(
        &self,
        db: PathBuf,
        job: GradeJob,
        runner: &Runner,
        emit: impl Fn(GradeEvent) + Send + Sync + 'static,
    ) -> AppResult<()> {
        if runner.active().is_some() || runner.is_paused() {
            return Err(AppError::new(
                ErrorCode::Busy,
                "a run is going: grading would compete with it for the CPU. Wait for it to \
                 finish or cancel it, then grade",
            ));
        }
        let run_id = job.run_id;
        let store = mobench_engine::open_store(&db)?;
        let plan = plan(&store, run_id)?;
        let kind = store.run(run_id)?.kind;
        drop(store);
        let mut passes = Vec::new();
        if let Some(j) = job.judge.as_ref().filter(|_| !plan.judge.is_empty()) {
            passes.push((GradeStage::Judge, j));
        }
        if let Some(e) = job.embedder.as_ref().filter(|_| !plan.embedder.is_empty()) {
            passes.push((GradeStage::Embedder, e));
        }
        if passes.is_empty() {
            return Err(AppError::new(
                ErrorCode::Settings,
                nothing_to_grade(run_id, kind, &plan),
            ));
        }
        let passes: Vec<(GradeStage, GradeOptions)> = passes
            .into_iter()
            .map(|(stage, g)| (stage, options(stage, g, job.threads)))
            .collect();
        let mut slot = self.slot();
        if let Some(a) = slot.as_ref() {
            return Err(AppError::new(
                ErrorCode::Busy,
                format!(
                    "run {} is being graded: wait for it to finish or cancel it first",
                    a.status.run_id
                ),
            ));
        }
        let cancel = CancelFlag::default();
        let (done_tx, done) = mpsc::channel();
        *slot = Some(Active {
            status: GradingStatus {
                run_id,
                judge: job.judge.as_ref().map(|g| g.name.clone()),
                embedder: job.embedder.as_ref().map(|g| g.name.clone()),
                stage: None,
                done: 0,
                total: 0,
                cancelling: false,
            },
            cancel: cancel.clone(),
            emit: Arc::new(emit),
            done,
        });
        drop(slot);
        let grading = self.clone();
        let spawned = std::thread::Builder::new()
            .name("mobench-grade".into())
            .spawn(move || {
                let _done = done_tx;
                grading.work(db, run_id, passes, cancel);
            });
        if let Err(e) = spawned {
            self.slot().take();
            return Err(AppError::new(
                ErrorCode::Internal,
                format!("cannot start the grading thread: {e}"),
            ));
        }
        Ok(())
    }

    /// The pass's thread: each grader in turn, then the end told.
    fn work(
        &self,
        db: PathBuf,
        run_id: i64,
        passes: Vec<(GradeStage, GradeOptions)>,
        cancel: CancelFlag,
    ) {
        let mut result = GradeResult {
            run_id,
            ..Default::default()
        };
        for (stage, options) in passes {
            self.update(|s| {
                s.stage = Some(stage);
                s.done = 0;
                s.total = 0;
            });
            let mut told = Instant::now() - PROGRESS_EVERY;
            let mut progress = |done: usize, total: usize| {
                self.update(|s| {
                    s.done = done;
                    s.total = total;
                });
                if done == total || told.elapsed() >= PROGRESS_EVERY {
                    told = Instant::now();
                    self.send(GradeEvent::Progress {
                        run_id,
                        stage,
                        done,
                        total,
                    });
                }
            };
            match grade_runs(&db, &[run_id], &options, &cancel, &mut progress) {
                Ok(reports) => reports.into_iter().for_each(|r| result.merge(r)),
                Err(e) => {
                    let event = if cancel.is_cancelled() {
                        GradeEvent::Cancelled { run_id }
                    } else {
                        let error = AppError::from(e);
                        tracing::warn!(run_id, error = %error.message, "grading failed");
                        GradeEvent::Failed { run_id, error }
                    };
                    self.finish(event);
                    return;
                }
            }
        }
        self.finish(if cancel.is_cancelled() {
            GradeEvent::Cancelled { run_id }
        } else {
            GradeEvent::Finished { result }
        });
    }

    fn update(&self, f: impl FnOnce(&mut GradingStatus)) {
        if let Some(a) = self.slot().as_mut() {
            f(&mut a.status);
        }
    }

    /// Sends an event to whoever watches now; the lock is not held while it is delivered.
    fn send(&self, event: GradeEvent) {
        let emit = self.slot().as_ref().map(|a| a.emit.clone());
        if let Some(emit) = emit {
            emit(event);
        }
    }

    /// Frees the slot, then tells the end (so the window may start another pass at once).
    fn finish(&self, event: GradeEvent) {
        let emit = self.slot().take().map(|a| a.emit);
        if let Some(emit) = emit {
            emit(event);
        }
    }
}

fn options(stage: GradeStage, g: &ReadyGrader, threads: u32) -> GradeOptions {
    let spec = Some(g.spec.clone());
    let (judge, embedder) = match stage {
        GradeStage::Judge => (spec, None),
        GradeStage::Embedder => (None, spec),
    };
    GradeOptions {
        judge,
        embedder,
        only: Vec::new(),
        base_url: g.base_url.clone(),
        api_key: g.api_key.clone(),
        concurrency: if g.remote { ENDPOINT_CONCURRENCY } else { 1 },
        threads,
    }
}

/// Why a run has nothing for the graders given, and what would grade it.
fn nothing_to_grade(run_id: i64, kind: RunKind, plan: &GradingPlan) -> String {
    if kind != RunKind::Suite {
        return format!("run {run_id} is a {kind} run: only suite runs have answers to grade");
    }
    let mut needs = Vec::new();
    if !plan.judge.is_empty() {
        needs.push(format!("a judge ({})", plan.judge.join(", ")));
    }
    if !plan.embedder.is_empty() {
        needs.push(format!("an embedder ({})", plan.embedder.join(", ")));
    }
    if needs.is_empty() {
        format!(
            "run {run_id} has nothing to grade: none of its datasets was graded by a judge or an \
             embedder in MobileAIBench"
        )
    } else {
        format!(
            "run {run_id} has nothing to grade with what was chosen: its datasets need {}",
            needs.join(" and ")
        )
    }
}
