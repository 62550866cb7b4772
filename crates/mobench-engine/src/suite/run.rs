//! A suite run executed: the model loaded (cold, then warm) and every planned sample not yet
//! finished run in turn, each committed before the next starts.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use llama_cpp_2::model::LlamaModel;
use mobench_metrics::Metric;
use mobench_store::{NewLoad, Store};
use mobench_telemetry::Phase;

use super::plan::{PlanItem, Planned};
use super::sample::Generator;
use crate::error::EngineError;
use crate::events::{Event, PlannedDatasetInfo, ScoreBrief};
use crate::llama::memory::{self, Verdict};
use crate::llama::model::ModelInfo;
use crate::llama::offload::Offload;
use crate::llama::{self, ContextSettings, LoadedModel, PromptFormat, Session, Vision};
use crate::settings::RunRequest;
use crate::telemetry::RunTelemetry;
use crate::worker::{conclude, CancelFlag, Emitter, RunOutcome};

/// What every stage of a run needs: where it is stored, what was asked, how to stop, whom to tell.
struct RunCtx<'a> {
    store: &'a mut Store,
    run_id: i64,
    request: &'a RunRequest,
    cancel: &'a CancelFlag,
    tx: &'a Emitter,
}

/// Runs what is left of a planned run and stores how it ended.
pub(crate) fn execute(
    store: &mut Store,
    planned: Planned,
    cancel: &CancelFlag,
    tx: &Emitter,
) -> Result<RunOutcome, EngineError> {
    let Planned {
        run_id,
        request,
        mut info,
        plan,
        resumed,
    } = planned;
    let ctx = &mut RunCtx {
        store,
        run_id,
        request: &request,
        cancel,
        tx,
    };
    let info = &mut info;
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
        model: info.display_name(),
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
        vision,
    } = load_measured(info, request)?;
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
    for Load {
        cold,
        model_ms: ms,
        projector_ms,
    } in cold_ms
    {
        store.record_load(
            run_id,
            &NewLoad {
                cold,
                model_load_ms: ms,
                projector_load_ms: projector_ms,
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
            projector_load_ms: projector_ms,
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
        vision,
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
            tx.sample_finished(Event::SampleFinished {
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
    let fit = memory::check_model_with(path, request.mmproj.as_deref(), s.n_ctx, s.n_batch)?;
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
/// cache, allocator warmed): both are reported. The warm instance is the one used. A run's vision
/// projector is loaded after each instance of the model, as part of its load.
fn load_measured(info: &ModelInfo, request: &RunRequest) -> Result<Measured, EngineError> {
    static LOADED_ONCE: AtomicBool = AtomicBool::new(false);
    let s = &request.inference;
    let load = || -> Result<(LoadedModel, Option<Vision>), EngineError> {
        let loaded = llama::load_model(&info.path, s.gpu_layers)?;
        let vision = match &request.mmproj {
            Some(path) => Some(Vision::load(
                path,
                &loaded.model,
                &info.path,
                s.threads,
                s.gpu_layers > 0,
            )?),
            None => None,
        };
        Ok((loaded, vision))
    };
    let timed = |l: &LoadedModel, v: &Option<Vision>, cold: bool| Load {
        cold,
        model_ms: l.load_ms,
        projector_ms: v.as_ref().map(|v| v.load_ms),
    };
    let (first, first_vision) = load()?;
    let cold = !LOADED_ONCE.swap(true, Ordering::SeqCst);
    let mut loads = vec![timed(&first, &first_vision, cold)];
    let (used, vision) = if cold {
        // The projector refers to its model: it goes first.
        drop(first_vision);
        drop(first.model);
        let (second, vision) = load()?;
        loads.push(timed(&second, &vision, false));
        (second, vision)
    } else {
        (first, first_vision)
    };
    Ok(Measured {
        model: used.model,
        loads,
        offload: used.offload,
        vision,
    })
}

/// One load of the model (and its projector), in milliseconds.
struct Load {
    cold: bool,
    model_ms: f64,
    projector_ms: Option<f64>,
}

/// The model to use, each load, where its layers went, and its projector.
struct Measured {
    model: LlamaModel,
    loads: Vec<Load>,
    offload: Offload,
    vision: Option<Vision>,
}
