//! The run pipeline on the real llama.cpp and a generated model, observed through its events.

use std::path::{Path, PathBuf};

use mobench_engine::{
    resume, run_suite, CancelFlag, Control, Event, InferenceSettings, RunOutcome, RunRequest,
};
use mobench_store::{RunStatus, Store};
use mobench_tasks::Selection;

fn tiny_model(dir: &Path, template: bool) -> PathBuf {
    let mut spec = mobench_gen::ModelSpec::tiny();
    if !template {
        spec.chat_template = None;
    }
    let path = dir.join(if template {
        "tiny.gguf"
    } else {
        "tiny-plain.gguf"
    });
    mobench_gen::write_gguf(&spec, &path).unwrap();
    path
}

/// A scratch folder (removed when dropped) with the tiny model, with or without a chat
/// template, and the path of a run database in it.
fn scratch(template: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), template);
    let db = dir.path().join("runs.sqlite");
    (dir, model, db)
}

/// Resumes a run to its end with nobody watching its events.
fn resume_unwatched(db: &Path, run_id: i64) -> RunOutcome {
    resume(db, run_id, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap()
}

fn request(model: PathBuf, datasets: &[&str], limit: usize, max_tokens: u32) -> RunRequest {
    RunRequest {
        model,
        mmproj: None,
        suite: "starter".into(),
        tasks: vec![],
        datasets: datasets.iter().map(|s| s.to_string()).collect(),
        datasets_dir: None,
        selection: Selection {
            limit: Some(limit),
            seed: None,
        },
        inference: InferenceSettings {
            max_tokens: Some(max_tokens),
            threads: 2,
            ..Default::default()
        },
        sample_interval_ms: None,
        ignore_memory_limit: false,
    }
}

#[test]
fn events_timings_and_llama_counters_agree() {
    let (_dir, model, db) = scratch(true);
    let from_header = mobench_engine::llama::model::check(&model)
        .unwrap()
        .n_params;
    let mut events = Vec::new();
    let outcome = run_suite(
        &db,
        request(model, &["starter_qa", "starter_mt_bench"], 2, 6),
        CancelFlag::default(),
        &mut |e: &Event| {
            events.push(e.clone());
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!((outcome.samples_done, outcome.samples_total), (4, 4));
    assert!(matches!(
        events.first(),
        Some(Event::RunStarted { total: 4, .. })
    ));
    assert!(matches!(
        events.last(),
        Some(Event::RunFinished {
            status: RunStatus::Completed,
            ..
        })
    ));
    let finished = events
        .iter()
        .filter(|e| matches!(e, Event::SampleFinished { .. }))
        .count();
    assert_eq!(finished, 4);
    assert!(events.iter().any(|e| matches!(e, Event::Token { .. })));
    // The header's count (shown before a model is ever loaded) is llama.cpp's.
    assert!(events.iter().any(
        |e| matches!(e, Event::ModelLoaded { n_params, .. } if *n_params == from_header && from_header > 0)
    ));

    let store = Store::open(&db).unwrap();
    let samples = store.samples(outcome.run_id).unwrap();
    assert_eq!(samples.len(), 4);
    for s in &samples {
        let t = s.timings;
        assert!(s.prompt.contains("<|im_start|>"), "model template applied");
        assert!(t.ttft_ms.unwrap() > 0.0);
        assert!(t.prefill_tokens_per_s.unwrap() > 0.0);
        assert_eq!(s.output_tokens, 6, "the tiny model generates to the limit");
        assert!(t.decode_tokens_per_s.unwrap() > 0.0);
        assert!(t.itl_p50_ms.unwrap() <= t.itl_p95_ms.unwrap());
        assert!(t.itl_p95_ms.unwrap() <= t.itl_max_ms.unwrap());
        assert!(t.total_ms >= t.ttft_ms.unwrap() + t.output_eval_ms.unwrap() - 1e-9);
        let l = s.llama.unwrap();
        assert_eq!(
            l.n_p_eval as usize, s.prompt_tokens,
            "prompt tokens cross-check"
        );
        // The last sampled token is never fed back, so llama.cpp decodes one fewer.
        assert_eq!(l.n_eval as usize, s.output_tokens - 1);
        // llama.cpp keeps its timings only when asked (no_perf = false).
        assert!(
            l.t_p_eval_ms > 0.0 && l.t_eval_ms > 0.0,
            "llama.cpp timings kept"
        );
        // Our prefill and decode-call times wrap llama.cpp's: they can only be longer.
        assert!(t.prefill_ms.unwrap() >= l.t_p_eval_ms * 0.99);
        let inside = t.decode_calls_ms.unwrap();
        assert!(inside >= t.prefill_ms.unwrap() && inside <= t.total_ms);
        assert!(inside >= (l.t_p_eval_ms + l.t_eval_ms) * 0.99);
        assert_eq!(s.stop_reason, "max_tokens");
    }
    let mt = samples
        .iter()
        .find(|s| s.dataset == "starter_mt_bench")
        .unwrap();
    let extra: serde_json::Value = serde_json::from_str(mt.extra_json.as_ref().unwrap()).unwrap();
    assert_eq!(
        extra["turns"].as_array().unwrap().len(),
        2,
        "both turns stored"
    );
    assert!(
        mt.prompt.matches("<|im_start|>user").count() == 2,
        "second turn sees the first"
    );
    let loads = store.loads(outcome.run_id).unwrap();
    // Cold = first load in the process: tests run in parallel, so another test may have had it.
    assert!(!loads.last().unwrap().cold, "the model used is a warm load");
    match loads.as_slice() {
        [cold, _warm] => assert!(cold.cold),
        [_warm] => {}
        other => panic!("unexpected loads {other:?}"),
    }
    assert!(loads
        .iter()
        .all(|l| l.model_load_ms > 0.0 && l.context_ms > 0.0));
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn stop_from_the_sink_interrupts_and_resume_finishes_without_redoing() {
    let (_dir, model, db) = scratch(false);
    let mut seen = 0;
    let outcome = run_suite(
        &db,
        request(model, &["starter_mmlu", "starter_gsm8k"], 5, 4),
        CancelFlag::default(),
        &mut |e: &Event| {
            if matches!(e, Event::SampleFinished { .. }) {
                seen += 1;
                if seen == 3 {
                    return Control::Stop;
                }
            }
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Interrupted);
    let store = Store::open(&db).unwrap();
    let before = store.samples(outcome.run_id).unwrap();
    assert_eq!(
        before.len(),
        3,
        "the sink's Stop takes effect before the next sample"
    );
    assert!(
        !before[0].prompt.contains("<|im_start|>"),
        "plain format without a template"
    );

    let mut resumed_started = None;
    let again = resume(
        &db,
        outcome.run_id,
        CancelFlag::default(),
        &mut |e: &Event| {
            if let Event::RunStarted { already_done, .. } = e {
                resumed_started = Some(*already_done);
            }
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(again.status, RunStatus::Completed);
    assert_eq!(resumed_started, Some(before.len()));
    let after = store.samples(outcome.run_id).unwrap();
    assert_eq!(after.len(), 10);
    for b in &before {
        let a = after.iter().find(|a| a.id == b.id).expect("kept");
        assert_eq!(
            (a.row_index, &a.prediction_raw),
            (b.row_index, &b.prediction_raw)
        );
    }
    // Resuming a completed run does nothing.
    let noop = resume_unwatched(&db, outcome.run_id);
    assert_eq!(noop.status, RunStatus::Completed);
    assert_eq!(store.samples(outcome.run_id).unwrap().len(), 10);
}

#[test]
fn long_prompts_are_cut_in_their_long_field_only() {
    let (_dir, model, db) = scratch(true);
    let mut req = request(model, &["starter_summarization"], 1, 8);
    req.inference.n_ctx = 128;
    let outcome = run_suite(&db, req, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Completed);
    let store = Store::open(&db).unwrap();
    let s = &store.samples(outcome.run_id).unwrap()[0];
    assert!(s.truncated);
    // llama.cpp pads the context it makes; the one actually used is recorded with the load.
    let n_ctx = store.loads(outcome.run_id).unwrap().last().unwrap().n_ctx as usize;
    assert!(n_ctx >= 128, "{n_ctx}");
    assert!(
        s.prompt_tokens <= n_ctx - 8,
        "{} tokens of {n_ctx}",
        s.prompt_tokens
    );
    assert!(
        s.prompt_tokens > 100,
        "cut to fit, not emptied: {}",
        s.prompt_tokens
    );
    assert!(s
        .prompt
        .contains("Create a short summary of the following article: "));
    assert!(
        s.prompt.contains("good at summarizing"),
        "system prompt intact"
    );
}

/// A sink that records events and does not want per-token events.
struct NoTokens(Vec<Event>);

impl mobench_engine::Sink for NoTokens {
    fn on_event(&mut self, event: &Event) -> Control {
        self.0.push(event.clone());
        Control::Continue
    }
    fn wants_tokens(&self) -> bool {
        false
    }
}

#[test]
fn token_events_go_only_to_sinks_that_want_them() {
    let (_dir, model, db) = scratch(true);
    let mut sink = NoTokens(Vec::new());
    let outcome = run_suite(
        &db,
        request(model, &["starter_mmlu"], 2, 4),
        CancelFlag::default(),
        &mut sink,
    )
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Completed);
    assert!(!sink.0.iter().any(|e| matches!(e, Event::Token { .. })));
    let finished = sink
        .0
        .iter()
        .filter(|e| matches!(e, Event::SampleFinished { .. }))
        .count();
    assert_eq!(finished, 2);
}

#[test]
fn resources_are_sampled_through_the_run_streamed_and_summarised() {
    let (_dir, model, db) = scratch(true);
    let mut req = request(model, &["starter_qa", "starter_summarization"], 3, 48);
    req.inference.threads = 1;
    req.sample_interval_ms = Some(10);
    let mut events = Vec::new();
    let outcome = run_suite(&db, req, CancelFlag::default(), &mut |e: &Event| {
        events.push(e.clone());
        Control::Continue
    })
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Completed);
    assert!(
        matches!(events.first(), Some(Event::RunStarted { .. })),
        "the run is announced before its first reading"
    );
    let live = events
        .iter()
        .filter(|e| matches!(e, Event::Resource(_)))
        .count();

    let store = Store::open(&db).unwrap();
    let readings = store.readings(outcome.run_id).unwrap();
    assert_eq!(
        live,
        readings.len(),
        "every stored reading was also streamed"
    );
    assert!(readings.len() >= 3, "{} readings", readings.len());
    assert_eq!(
        readings[0].phase,
        mobench_telemetry::Phase::Idle,
        "baseline first"
    );
    assert!(
        readings
            .iter()
            .any(|r| r.phase == mobench_telemetry::Phase::Decode && r.sample_index.is_some()),
        "decode readings tagged with their sample: {readings:?}"
    );
    let figure = |name: &str| {
        store
            .resource_figures(outcome.run_id)
            .unwrap()
            .into_iter()
            .find(|f| f.figure == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let peak = figure("peak_memory_bytes").value.unwrap();
    let baseline = figure("baseline_memory_bytes").value.unwrap();
    assert!(peak > baseline, "peak {peak} > baseline {baseline}");
    assert!(figure("cpu_mean_pct").value.unwrap() > 0.0);
    assert_eq!(figure("readings").value, Some(readings.len() as f64));
    let battery = figure("battery_drain_pct_per_hour");
    assert!(
        battery.value.is_some() || battery.missing_reason.is_some_and(|r| !r.is_empty()),
        "a value or a reason, never a silent zero"
    );
}

#[test]
fn a_pause_stores_the_run_paused_and_resumable_and_resume_finishes_it() {
    let (_dir, model, db) = scratch(false);
    let flag = CancelFlag::default();
    let pauser = flag.clone();
    let mut seen = 0;
    let outcome = run_suite(
        &db,
        request(model, &["starter_mmlu"], 4, 4),
        flag,
        &mut |e: &Event| {
            if matches!(e, Event::SampleFinished { .. }) {
                seen += 1;
                if seen == 2 {
                    // What the app does when it goes to the background.
                    pauser.pause();
                    // A pause never turns a later cancel into a pause, nor the reverse.
                    pauser.pause();
                }
            }
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Paused);
    assert_eq!(
        outcome.reason.as_deref(),
        Some("paused: the app went to the background")
    );
    assert_eq!(pauser.reason(), Some(mobench_engine::StopReason::Paused));
    // A paused run is not taken for a killed one when the store is opened again, and it can
    // be resumed (what the app offers on the next launch when the system killed it meanwhile).
    let store = mobench_engine::open_store(&db).unwrap();
    let run = store.run(outcome.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Paused);
    assert!(run.resumable());
    assert_eq!(run.samples_done, 2);

    let again = resume_unwatched(&db, outcome.run_id);
    assert_eq!(again.status, RunStatus::Completed);
    assert_eq!(store.samples(outcome.run_id).unwrap().len(), 4);
    assert!(!store.run(outcome.run_id).unwrap().resumable());

    // A cancel wins over a pause.
    let flag = CancelFlag::default();
    flag.pause();
    flag.cancel();
    flag.pause();
    assert_eq!(flag.reason(), Some(mobench_engine::StopReason::Cancelled));
}

#[test]
fn gpu_layers_asked_for_on_a_cpu_build_are_recorded_as_cpu() {
    let (_dir, model, db) = scratch(true);
    let mut req = request(model, &["starter_qa"], 1, 2);
    req.inference.gpu_layers = mobench_engine::settings::ALL_GPU_LAYERS;
    let mut loads = Vec::new();
    let outcome = run_suite(&db, req, CancelFlag::default(), &mut |e: &Event| {
        if let Event::ModelLoaded {
            backend,
            gpu_layers_offloaded,
            layers_total,
            ..
        } = e
        {
            loads.push((backend.clone(), *gpu_layers_offloaded, *layers_total));
        }
        Control::Continue
    })
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Completed);
    // This build has no GPU backend: llama.cpp kept every layer on the CPU, and the run says so
    // instead of passing for a GPU run. The tiny model has 2 layers plus its output layer.
    let expected = if mobench_engine::llama::gpu_devices().is_empty() {
        ("CPU".to_string(), 0, 3)
    } else {
        (loads[0].0.clone(), 3, 3)
    };
    assert!(!loads.is_empty());
    assert!(loads.iter().all(|l| *l == expected), "{loads:?}");
    let stored = Store::open(&db).unwrap().loads(outcome.run_id).unwrap();
    assert_eq!(stored.len(), loads.len());
    for l in &stored {
        assert_eq!(l.backend.as_deref(), Some(expected.0.as_str()));
        assert_eq!(
            (l.gpu_layers_offloaded, l.layers_total),
            (Some(expected.1), Some(3))
        );
    }
    if expected.1 == 0 {
        assert_eq!(stored[0].placement(), "CPU");
    }
}

#[test]
fn the_memory_estimate_reads_the_models_shape_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny_model(dir.path(), true);
    let spec = mobench_gen::ModelSpec::tiny();
    let header = mobench_engine::llama::gguf::read_header(&path).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let shape = mobench_engine::llama::memory::Shape::from_header(&header, size);
    let head_dim = u64::from(spec.n_embd / spec.n_head);
    assert_eq!(
        (shape.n_layer, shape.n_embd, shape.n_head, shape.n_head_kv),
        (
            spec.n_layer.into(),
            spec.n_embd.into(),
            spec.n_head.into(),
            spec.n_head_kv.into()
        )
    );
    assert_eq!((shape.head_dim_k, shape.head_dim_v), (head_dim, head_dim));
    assert!(shape.n_vocab > 0);
    assert!(shape.weights_bytes > 0 && shape.weights_bytes <= size);
    let e = shape.estimate(1024, 256);
    // F16 K and V for every layer, KV head and position.
    assert_eq!(
        e.kv_cache_bytes,
        1024 * u64::from(spec.n_layer) * u64::from(spec.n_head_kv) * 2 * head_dim * 2
    );
    // On this machine the limit is the free system memory, which a 1M-parameter model fits.
    let fit = mobench_engine::llama::memory::check_model(&path, 1024, 256).unwrap();
    assert_eq!(fit.estimate, e);
    assert!(matches!(
        fit.limit,
        mobench_engine::llama::memory::Limit::Soft { .. }
    ));
    assert_eq!(fit.verdict, mobench_engine::llama::memory::Verdict::Fits);
}
