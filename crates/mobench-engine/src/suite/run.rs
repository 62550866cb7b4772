//! The suite run pipeline: validate everything, plan, then run sample by sample on a dedicated
//! worker thread, committing each finished sample before the next starts.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{mpsc, Arc};

use llama_cpp_2::model::LlamaModel;
use mobench_metrics::Metric;
use mobench_store::{NewDataset, NewLoad, NewRun, PlannedDataset, RunStatus, Store};
use mobench_tasks::{load, Catalog, DatasetDef, Example, TaskDef};

use crate::error::EngineError;
use crate::events::{Control, Event, PlannedDatasetInfo, ScoreBrief, Sink};
use crate::llm::{self, ContextSettings, PromptFormat, Session};
use crate::memory::{self, Verdict};
use crate::model::{self, ModelInfo};
use crate::offload::Offload;
use crate::sample::Generator;
use crate::settings::RunRequest;
use crate::telemetry::RunTelemetry;
use mobench_telemetry::Phase;

/// Set from anywhere (a Ctrl-C handler, a UI button, the app going to the background) to stop a
/// run after the token in flight; the sample in flight is abandoned and redone on resume.
#[derive(Clone, Default)]
pub struct CancelFlag(Arc<AtomicU8>);

/// Why a run was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The user stopped it: stored as interrupted.
    Cancelled,
    /// The app went to the background: stored as paused, and resumed when it returns.
    Paused,
}

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const PAUSED: u8 = 2;

impl CancelFlag {
    /// Stops the run for good (a cancel also overrides an earlier pause).
    pub fn cancel(&self) {
        self.0.store(CANCELLED, Ordering::SeqCst);
    }
    /// Stops the run to be resumed later; does nothing after a cancel.
    pub fn pause(&self) {
        let _ = self
            .0
            .compare_exchange(RUNNING, PAUSED, Ordering::SeqCst, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) != RUNNING
    }
    pub fn reason(&self) -> Option<StopReason> {
        match self.0.load(Ordering::SeqCst) {
            RUNNING => None,
            PAUSED => Some(StopReason::Paused),
            _ => Some(StopReason::Cancelled),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: RunStatus,
    pub reason: Option<String>,
    pub samples_done: usize,
    pub samples_total: usize,
}

/// One dataset of a run: its recipe, its rows, where they are stored and how they are graded.
pub(crate) struct PlanItem {
    pub(crate) def: DatasetDef,
    pub(crate) task: TaskDef,
    pub(crate) examples: Vec<Example>,
    pub(crate) dataset_id: i64,
    pub(crate) rows: Vec<usize>,
    pub(crate) metrics: Vec<String>,
}

/// The worker's end of the event channel. Token events are only sent to sinks that want them:
/// one per generated token would wake the receiving thread on the per-token path for nothing.
pub(crate) struct Emitter {
    tx: mpsc::Sender<Event>,
    tokens: bool,
}

impl Emitter {
    /// A closed channel means nobody listens any more; the run goes on and is stored all the same.
    pub(crate) fn send(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    /// A sender for other threads of the run (the resource sampler).
    pub(crate) fn sender(&self) -> mpsc::Sender<Event> {
        self.tx.clone()
    }

    pub(crate) fn token(&self, text: &str) {
        if self.tokens {
            self.send(Event::Token {
                text: text.to_string(),
            });
        }
    }
}

/// What every stage of a run needs: where it is stored, what was asked, how to stop, whom to tell.
struct RunCtx<'a> {
    store: &'a mut Store,
    run_id: i64,
    request: &'a RunRequest,
    cancel: &'a CancelFlag,
    tx: &'a Emitter,
}

/// Starts a new suite run. Everything that can be checked is checked before the run is
/// created, so bad input leaves the database untouched.
pub fn run_suite(
    db: &Path,
    request: RunRequest,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
) -> Result<RunOutcome, EngineError> {
    let db = db.to_path_buf();
    on_worker(cancel.clone(), sink, move |tx| {
        let mut store = open_store(&db)?;
        start(&mut store, request, &cancel, tx)
    })
}

/// Finishes an interrupted (or failed) run without redoing finished samples.
pub fn resume(
    db: &Path,
    run_id: i64,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
) -> Result<RunOutcome, EngineError> {
    let db = db.to_path_buf();
    on_worker(cancel.clone(), sink, move |tx| {
        let mut store = open_store(&db)?;
        continue_run(&mut store, run_id, &cancel, tx)
    })
}

/// Runs `work` on a dedicated thread (llama.cpp contexts must stay on the thread that made
/// them, and callers may be UI or async threads), forwarding its events to `sink` here.
pub(crate) fn on_worker<F>(
    cancel: CancelFlag,
    sink: &mut dyn Sink,
    work: F,
) -> Result<RunOutcome, EngineError>
where
    F: FnOnce(&Emitter) -> Result<RunOutcome, EngineError> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Event>();
    let tx = Emitter {
        tx,
        tokens: sink.wants_tokens(),
    };
    let handle = std::thread::Builder::new()
        .name("mobench-inference".into())
        .spawn(move || work(&tx))
        .map_err(|e| EngineError::Worker(e.to_string()))?;
    for event in rx {
        if sink.on_event(&event) == Control::Stop {
            cancel.cancel();
        }
    }
    handle
        .join()
        .map_err(|_| EngineError::Worker("the inference thread panicked".into()))?
}

fn start(
    store: &mut Store,
    request: RunRequest,
    cancel: &CancelFlag,
    tx: &Emitter,
) -> Result<RunOutcome, EngineError> {
    request
        .inference
        .validate()
        .map_err(EngineError::Settings)?;
    let catalog = Catalog::builtin();
    let defs = catalog.select(&request.suite, &request.tasks, &request.datasets)?;
    let mut info = model::inspect(&request.model, Some(store))?;
    let mut loaded = Vec::new();
    for def in defs {
        let ds = load::load(def, request.datasets_dir.as_deref())?;
        loaded.push((def.clone(), ds));
    }
    let mut plan = Vec::new();
    for (def, ds) in loaded {
        let dataset_id = store.upsert_dataset(&NewDataset {
            name: def.name.clone(),
            task: def.task.clone(),
            suite: def.suite.clone(),
            sha256: ds.sha256.clone(),
            rows: ds.examples.len(),
        })?;
        let task = catalog.task(&def.task)?.clone();
        let rows = request.selection.pick(ds.examples.len());
        let metrics = catalog
            .metrics_for(&def)
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        plan.push(PlanItem {
            def,
            task,
            examples: ds.examples,
            dataset_id,
            rows,
            metrics,
        });
    }
    let model_id = store.upsert_model(&info.to_record())?;
    let settings_json =
        serde_json::to_string(&request).map_err(|e| EngineError::Settings(e.to_string()))?;
    let run_id = store.create_run(
        &NewRun {
            kind: "suite".into(),
            model_id,
            settings_json,
            app_version: env!("CARGO_PKG_VERSION").into(),
            llama_version: llm::llama_build_info(),
            device_json: serde_json::to_string(&crate::device::summary()).unwrap_or_default(),
        },
        &plan
            .iter()
            .map(|p| PlannedDataset {
                dataset_id: p.dataset_id,
                task_version: p.task.version,
                rows: p.rows.clone(),
                metrics: p.metrics.clone(),
            })
            .collect::<Vec<_>>(),
    )?;
    let mut ctx = RunCtx {
        store,
        run_id,
        request: &request,
        cancel,
        tx,
    };
    execute(&mut ctx, &mut info, plan, false)
}

fn continue_run(
    store: &mut Store,
    run_id: i64,
    cancel: &CancelFlag,
    tx: &Emitter,
) -> Result<RunOutcome, EngineError> {
    let run = store.run(run_id)?;
    let resume_err = |reason: String| EngineError::Resume { run_id, reason };
    if run.status == RunStatus::Completed {
        return Ok(RunOutcome {
            run_id,
            status: run.status,
            reason: None,
            samples_done: run.samples_done,
            samples_total: run.samples_total,
        });
    }
    if run.status == RunStatus::Running {
        return Err(resume_err("it is still running in another process".into()));
    }
    if run.kind != "suite" {
        return Err(resume_err(format!(
            "runs of kind `{}` cannot be resumed",
            run.kind
        )));
    }
    let request: RunRequest = serde_json::from_str(&run.settings_json)
        .map_err(|e| resume_err(format!("its stored settings are unreadable: {e}")))?;
    let mut info = model::inspect(&request.model, Some(store))?;
    if info.sha256 != run.model.sha256 {
        return Err(resume_err(format!(
            "the model file {} changed since the run started (sha256 differs)",
            request.model.display()
        )));
    }
    let catalog = Catalog::builtin();
    let mut plan = Vec::new();
    for rd in store.run_datasets(run_id)? {
        let def = catalog.dataset(&rd.name)?.clone();
        let ds = load::load(&def, request.datasets_dir.as_deref())?;
        if ds.sha256 != rd.sha256 {
            return Err(resume_err(format!(
                "dataset file {} changed since the run started (sha256 differs)",
                ds.path.display()
            )));
        }
        let task = catalog.task(&def.task)?.clone();
        if task.version != rd.task_version {
            return Err(resume_err(format!(
                "task `{}` changed (recipe version {} -> {})",
                task.name, rd.task_version, task.version
            )));
        }
        plan.push(PlanItem {
            def,
            task,
            examples: ds.examples,
            dataset_id: rd.dataset_id,
            rows: rd.rows,
            metrics: rd.metrics,
        });
    }
    store.claim_run(run_id)?;
    let mut ctx = RunCtx {
        store,
        run_id,
        request: &request,
        cancel,
        tx,
    };
    execute(&mut ctx, &mut info, plan, true)
}

/// Opens the run database the way every front end should: a run still marked `running` whose
/// process is gone was killed, and becomes `interrupted` (resumable) before anyone looks.
pub fn open_store(db: &Path) -> Result<Store, EngineError> {
    let store = Store::open(db)?;
    reconcile_stale_runs(&store)?;
    Ok(store)
}

fn reconcile_stale_runs(store: &Store) -> Result<(), EngineError> {
    for (id, pid) in store.running_runs()? {
        let alive = pid.is_some_and(process_alive);
        if !alive {
            store.set_status(
                id,
                RunStatus::Interrupted,
                Some("the process running it ended before it finished"),
            )?;
        }
    }
    Ok(())
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(mut sys) = sysinfo::System::new() else {
        // Cannot tell: treat it as alive rather than steal a run from a live process.
        return true;
    };
    let pid = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
    sys.process(pid).is_some()
}

fn execute(
    ctx: &mut RunCtx,
    info: &mut ModelInfo,
    plan: Vec<PlanItem>,
    resumed: bool,
) -> Result<RunOutcome, EngineError> {
    let result = announce(ctx, info, &plan, resumed).and_then(|done_rows| {
        // Sampling starts before the model loads: its first reading is the memory baseline.
        let mut telemetry = RunTelemetry::start(ctx.request.sample_interval(), ctx.tx.sender());
        let result = execute_inner(ctx, info, &plan, &done_rows, &mut telemetry);
        let generated = ctx.store.generated_tokens(ctx.run_id)?;
        telemetry.finish(ctx.store, ctx.run_id, generated)?;
        result
    });
    let (store, run_id, tx) = (&mut *ctx.store, ctx.run_id, ctx.tx);
    store.compute_aggregates(run_id)?;
    let (status, reason) = conclude(store, tx, run_id, result, ctx.cancel.reason())?;
    let run = store.run(run_id)?;
    Ok(RunOutcome {
        run_id,
        status,
        reason,
        samples_done: run.samples_done,
        samples_total: run.samples_total,
    })
}

/// Stores how a run's work ended (Ok(true): all done, Ok(false): stopped for `stop`, Err:
/// failed) and tells the sink; the work's own error is returned after that.
pub(crate) fn conclude(
    store: &Store,
    tx: &Emitter,
    run_id: i64,
    result: Result<bool, EngineError>,
    stop: Option<StopReason>,
) -> Result<(RunStatus, Option<String>), EngineError> {
    let (status, reason) = match &result {
        Ok(true) => (RunStatus::Completed, None),
        Ok(false) if stop == Some(StopReason::Paused) => (
            RunStatus::Paused,
            Some("paused: the app went to the background".to_string()),
        ),
        Ok(false) => (
            RunStatus::Interrupted,
            Some("cancelled by the user".to_string()),
        ),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    store.set_status(run_id, status, reason.as_deref())?;
    tx.send(Event::RunFinished {
        run_id,
        status,
        reason: reason.clone(),
    });
    result?;
    Ok((status, reason))
}

/// Tells the sink what the run covers and what is already done; returns the finished rows of
/// each dataset.
fn announce(
    ctx: &mut RunCtx,
    info: &ModelInfo,
    plan: &[PlanItem],
    resumed: bool,
) -> Result<Vec<Vec<usize>>, EngineError> {
    let (run_id, tx) = (ctx.run_id, ctx.tx);
    let store = &mut *ctx.store;
    let mut datasets = Vec::new();
    let mut done_rows = Vec::new();
    for p in plan {
        let done = store.finished_rows(run_id, p.dataset_id)?;
        datasets.push(PlannedDatasetInfo {
            dataset: p.def.name.clone(),
            task: p.def.task.clone(),
            samples: p.rows.len(),
            already_done: done.len(),
        });
        done_rows.push(done);
    }
    let total: usize = plan.iter().map(|p| p.rows.len()).sum();
    let done: usize = done_rows.iter().map(Vec::len).sum();
    tx.send(Event::RunStarted {
        run_id,
        model: info
            .name
            .clone()
            .unwrap_or_else(|| info.path.display().to_string()),
        resumed,
        total,
        already_done: done,
        datasets,
    });
    Ok(done_rows)
}

/// Returns Ok(true) when every planned sample is done, Ok(false) when cancelled.
fn execute_inner(
    ctx: &mut RunCtx,
    info: &mut ModelInfo,
    plan: &[PlanItem],
    done_rows: &[Vec<usize>],
    telemetry: &mut RunTelemetry,
) -> Result<bool, EngineError> {
    let (run_id, request, cancel, tx) = (ctx.run_id, ctx.request, ctx.cancel, ctx.tx);
    let store = &mut *ctx.store;
    let s = &request.inference;
    let total: usize = plan.iter().map(|p| p.rows.len()).sum();
    let mut done: usize = done_rows.iter().map(Vec::len).sum();
    if done == total {
        return Ok(true);
    }

    check_memory(&info.path, request, tx)?;
    telemetry.set_phase(Phase::Loading);
    let Measured {
        model,
        loads: cold_ms,
        offload,
    } = load_measured(&info.path, s.gpu_layers)?;
    let n_ctx = s.n_ctx.min(model.n_ctx_train().max(64));
    let mut session = Session::new(
        &model,
        ContextSettings {
            n_ctx,
            n_batch: s.n_batch,
            threads: s.threads,
        },
    )?;
    telemetry.set_phase(Phase::Idle);
    session.phase = telemetry.tracker().clone();
    info.n_params = model.n_params();
    store.upsert_model(&info.to_record())?;
    for (cold, ms) in cold_ms {
        store.record_load(
            run_id,
            &NewLoad {
                cold,
                model_load_ms: ms,
                context_ms: session.context_ms,
                n_ctx: session.n_ctx(),
                backend: offload.backend.clone(),
                gpu_layers_offloaded: offload.gpu_layers_offloaded,
                layers_total: offload.layers_total,
            },
        )?;
        tx.send(Event::ModelLoaded {
            cold,
            model_load_ms: ms,
            context_ms: session.context_ms,
            n_ctx: session.n_ctx(),
            n_params: info.n_params,
            backend: offload.backend.clone(),
            gpu_layers_offloaded: offload.gpu_layers_offloaded,
            layers_total: offload.layers_total,
        });
    }
    let format = match &s.template {
        Some(raw) => PromptFormat::Raw(raw.clone()),
        None => match model.chat_template(None) {
            Ok(t) => PromptFormat::Model(t),
            Err(_) => PromptFormat::Plain,
        },
    };
    let mut generator = Generator {
        session,
        format,
        sampling: s.sampling.clone(),
        omit: if s.no_context {
            vec!["context".into()]
        } else {
            Vec::new()
        },
    };
    for (p, finished) in plan.iter().zip(done_rows) {
        let metrics: Vec<Metric> = p
            .metrics
            .iter()
            .map(|m| Metric::from_name(m).map_err(|e| EngineError::Settings(e.to_string())))
            .collect::<Result<_, _>>()?;
        let max_tokens = s.max_tokens_for(p.task.max_tokens);
        for &row in &p.rows {
            if finished.binary_search(&row).is_ok() {
                continue;
            }
            if cancel.is_cancelled() {
                return Ok(false);
            }
            let example = p.examples.get(row).ok_or_else(|| EngineError::Resume {
                run_id,
                reason: format!("{} has no row {row}", p.def.name),
            })?;
            telemetry.tracker().set(Phase::Idle, Some(done as u64));
            let sample = generator.run_sample(p, example, &metrics, max_tokens, cancel, tx);
            telemetry.set_phase(Phase::Idle);
            let Some(record) = sample? else {
                return Ok(false);
            };
            store.insert_sample(run_id, &record)?;
            telemetry.flush(store, run_id)?;
            done += 1;
            tx.send(Event::SampleFinished {
                dataset: p.def.name.clone(),
                row,
                done,
                total,
                prompt_tokens: record.prompt_tokens,
                output_tokens: record.output_tokens,
                ttft_ms: record.timings.ttft_ms,
                decode_tokens_per_s: record.timings.decode_tokens_per_s,
                truncated: record.truncated,
                error: record.error.clone(),
                scores: record
                    .scores
                    .iter()
                    .map(|s| ScoreBrief {
                        metric: s.metric.clone(),
                        value: s.value,
                    })
                    .collect(),
            });
        }
    }
    Ok(true)
}

/// Refuses a model that would get the app killed (iOS's hard limit), unless the user chose to
/// try anyway; warns when it will barely fit or will swap.
fn check_memory(path: &Path, request: &RunRequest, tx: &Emitter) -> Result<(), EngineError> {
    let s = &request.inference;
    let fit = memory::check_model(path, s.n_ctx, s.n_batch)?;
    tracing::info!(verdict = ?fit.verdict, need = fit.estimate.total_bytes, limit = ?fit.limit, "memory check");
    match fit.message {
        Some(message) if fit.is_fatal() && !request.ignore_memory_limit => {
            Err(EngineError::WontFit {
                path: path.to_path_buf(),
                message,
            })
        }
        Some(message) if fit.verdict != Verdict::Unknown => {
            tx.send(Event::Warning { message });
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Loads the model cold (first load in this process), then again warm (file in the page
/// cache, allocator warmed): both are reported. The warm instance is the one used.
fn load_measured(path: &Path, gpu_layers: u32) -> Result<Measured, EngineError> {
    static LOADED_ONCE: AtomicBool = AtomicBool::new(false);
    let first = llm::load_model(path, gpu_layers)?;
    let cold = !LOADED_ONCE.swap(true, Ordering::SeqCst);
    if !cold {
        return Ok(Measured {
            model: first.model,
            loads: vec![(false, first.load_ms)],
            offload: first.offload,
        });
    }
    drop(first.model);
    let second = llm::load_model(path, gpu_layers)?;
    Ok(Measured {
        model: second.model,
        loads: vec![(true, first.load_ms), (false, second.load_ms)],
        offload: second.offload,
    })
}

/// The model to use, each load's (cold, milliseconds), and where its layers went.
struct Measured {
    model: LlamaModel,
    loads: Vec<(bool, f64)>,
    offload: Offload,
}
