//! The speed-run pipeline (`mobench speed`): checks everything before loading the model, then
//! runs the tests (or sustained rounds) on the inference worker, storing each result as it ends.

use std::path::Path;

use llama_cpp_2::model::LlamaModel;
use mobench_store::speed::{RoundResult, SpeedTest};
use mobench_store::{NewLoad, RunKind, Store};
use mobench_telemetry::Phase;

use super::measure;
use super::request::{SpeedRequest, Sustained};
use crate::error::EngineError;
use crate::events::{Event, Sink};
use crate::llama::{self, model};
use crate::telemetry::RunTelemetry;
use crate::worker::{conclude, new_run, on_worker, CancelFlag, Emitter, RunOutcome};

/// Runs a speed benchmark and stores it as a run of kind `speed`. Bad input (counts, threads,
/// context, an unreadable model) fails before anything is loaded or written.
pub fn run_speed(
    db: &Path,
    request: SpeedRequest,
    cancel: CancelFlag,
    sink: &mut dyn Sink,
) -> Result<RunOutcome, EngineError> {
    // The header is enough to validate; the sha256 is taken (and cached) once, on the worker.
    let info = model::check(&request.model)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    request
        .validate(info.n_ctx_train, cores)
        .map_err(EngineError::Settings)?;
    on_worker(db, cancel, sink, move |store, cancel, tx| {
        execute(store, &request, cancel, tx)
    })
}

fn execute(
    store: &mut Store,
    request: &SpeedRequest,
    cancel: &CancelFlag,
    tx: &Emitter,
) -> Result<RunOutcome, EngineError> {
    let mut info = model::inspect(&request.model, Some(store))?;
    let tests = request.tests();
    let first_layers = tests.first().map_or(-1, |t| t.n_gpu_layers);
    // Sampling starts before the load, so the first reading is the memory baseline; the run is
    // created once llama.cpp accepted the model, and the readings so far are stored then.
    let mut telemetry = RunTelemetry::start(
        crate::settings::sample_interval(request.sample_interval_ms),
        tx.sender(),
    );
    telemetry.set_phase(Phase::Loading);
    let loaded = llama::load_model(&request.model, gpu_layers(first_layers))?;
    telemetry.set_phase(Phase::Idle);
    info.n_params = loaded.model.n_params();
    let model_id = store.upsert_model(&info.to_record())?;
    let run_id = store.create_run(&new_run(RunKind::Speed, model_id, request)?, &[])?;
    store.record_load(
        run_id,
        &NewLoad {
            cold: true,
            model_load_ms: loaded.load_ms,
            projector_load_ms: None,
            context_ms: 0.0,
            n_ctx: 0,
            backend: loaded.offload.backend.clone(),
            gpu_layers_offloaded: loaded.offload.gpu_layers_offloaded,
            layers_total: loaded.offload.layers_total,
        },
    )?;
    tx.send(Event::SpeedStarted {
        run_id,
        model: info.display_name(),
        tests: tests.iter().map(SpeedTest::name).collect(),
        sustained_minutes: request.sustained.map(|s| s.minutes),
        unused_cpu_features: llama::unused_cpu_features(),
    });
    let mut progress = Progress::default();
    let mut work = Work {
        store,
        run_id,
        request,
        cancel,
        tx,
        telemetry: &mut telemetry,
        progress: &mut progress,
    };
    let result = work
        .telemetry
        .flush(work.store, run_id)
        .and_then(|()| match request.sustained {
            Some(s) => work.sustained(&loaded.model, s),
            None => work.tests_in_turn(loaded.model, &tests),
        });
    telemetry.finish(store, run_id, progress.generated_tokens)?;
    // A speed run cannot be resumed, so a pause ends it like a cancel.
    let (status, reason) = conclude(store, tx, run_id, result, None)?;
    Ok(RunOutcome {
        run_id,
        status,
        reason,
        samples_done: progress.done,
        // a sustained run has as many rounds as fit its minutes
        samples_total: if request.sustained.is_some() {
            progress.done
        } else {
            tests.len()
        },
    })
}

/// llama-bench's -1 means every layer.
fn gpu_layers(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Tests or rounds finished so far, and the tokens they generated (for per-token figures).
#[derive(Default)]
struct Progress {
    done: usize,
    generated_tokens: u64,
}

/// What the stages of a speed run share.
struct Work<'a> {
    store: &'a mut Store,
    run_id: i64,
    request: &'a SpeedRequest,
    cancel: &'a CancelFlag,
    tx: &'a Emitter,
    telemetry: &'a mut RunTelemetry,
    progress: &'a mut Progress,
}

impl Work<'_> {
    /// Returns Ok(true) when every test ran, Ok(false) when cancelled.
    fn tests_in_turn(
        &mut self,
        mut model: LlamaModel,
        tests: &[SpeedTest],
    ) -> Result<bool, EngineError> {
        let mut loaded_layers = tests.first().map_or(-1, |t| t.n_gpu_layers);
        let mut meta = measure::model_meta(&model);
        for (i, test) in tests.iter().enumerate() {
            if test.n_gpu_layers != loaded_layers {
                // Like llama-bench: the model is reloaded only when its own parameters change.
                drop(model);
                self.telemetry.set_phase(Phase::Loading);
                model =
                    llama::load_model(&self.request.model, gpu_layers(test.n_gpu_layers))?.model;
                self.telemetry.set_phase(Phase::Idle);
                loaded_layers = test.n_gpu_layers;
                meta = measure::model_meta(&model);
            }
            if !self.cancel.cool_down(self.request.delay_s) {
                return Ok(false);
            }
            self.telemetry.tracker().set(Phase::Idle, Some(i as u64));
            let cancel = self.cancel;
            let result = measure::run_test(
                &model,
                test,
                self.request.reps,
                self.request.warmup,
                self.telemetry.tracker(),
                &|| cancel.is_cancelled(),
            );
            self.telemetry.set_phase(Phase::Idle);
            let Some(result) = result? else {
                return Ok(false);
            };
            self.store
                .insert_speed_result(self.run_id, i, &result, &meta)?;
            self.telemetry.flush(self.store, self.run_id)?;
            self.progress.done += 1;
            self.progress.generated_tokens += u64::from(test.n_gen) * u64::from(self.request.reps);
            self.tx.send(Event::SpeedTestFinished {
                index: i,
                total: tests.len(),
                name: test.name(),
                n_threads: test.n_threads,
                avg_ts: result.avg_ts(),
                stddev_ts: result.stddev_ts(),
                samples_ts: result.samples_ts(),
            });
        }
        Ok(true)
    }

    /// Rounds of `round_tokens` from an empty context until the time is up; each round is
    /// stored with the device's thermal state and CPU at its end.
    fn sustained(&mut self, model: &LlamaModel, s: Sustained) -> Result<bool, EngineError> {
        let r = self.request;
        let test = SpeedTest {
            n_prompt: 0,
            n_gen: s.round_tokens,
            n_depth: 0,
            n_threads: r.threads[0],
            n_batch: r.n_batch[0],
            n_ubatch: r.n_ubatch[0],
            n_gpu_layers: r.gpu_layers[0],
            flash_attn: r.flash_attn,
        };
        let cancel = self.cancel;
        let tracker = self.telemetry.tracker().clone();
        measure::run_sustained(
            model,
            &test,
            s.minutes,
            &tracker,
            &|| cancel.is_cancelled(),
            &mut |round, elapsed_ms, duration_ns| {
                let now = self.telemetry.latest();
                let round = RoundResult {
                    round,
                    elapsed_ms,
                    tokens: s.round_tokens,
                    duration_ns,
                    tokens_per_s: RoundResult::rate(s.round_tokens, duration_ns),
                    thermal_state: now
                        .as_ref()
                        .and_then(|r| r.thermal_state)
                        .map(|t| t.as_str().to_string()),
                    temperature_c: now.as_ref().and_then(|r| r.temperature_c),
                    cpu_pct: now.as_ref().and_then(|r| r.process_cpu_pct),
                };
                self.store.insert_speed_round(self.run_id, &round)?;
                self.telemetry.flush(self.store, self.run_id)?;
                self.progress.done = round.round as usize + 1;
                self.progress.generated_tokens += u64::from(s.round_tokens);
                self.tx.send(Event::SustainedRound(round));
                Ok(())
            },
        )
    }
}
