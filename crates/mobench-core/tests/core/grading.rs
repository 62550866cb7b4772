//! Grading stored runs from the app's core: judges and embedders defined from Models and
//! endpoints, their keys in (keyring's mock) keychain and nowhere else, a grading pass on the
//! real llama.cpp with the tiny model as the judge (its progress, its figures in the run's views
//! and exports), cancel, and no grading while a run is going.

use std::sync::mpsc;
use std::time::Duration;

use mobench_core::grading::{
    self, GradeEvent, GradeJob, GradeStage, GraderRole, GraderSource, Grading, Keychain, NewGrader,
};
use mobench_core::library::{self, ImportMode};
use mobench_core::runs::{LiveEvent, NewRunRequest};
use mobench_core::settings::{self, AppSettings};
use mobench_core::testkit::{until, until_finished};
use mobench_core::views::{self, export::ExportKind};
use mobench_core::ErrorCode;
use mobench_engine::events::Event;

use crate::support::{tiny_request, Bench};

fn local(role: GraderRole, path: &str) -> NewGrader {
    NewGrader {
        name: String::new(),
        role,
        source: GraderSource::Local { path: path.into() },
    }
}

fn endpoint(name: &str, needs_key: bool) -> NewGrader {
    NewGrader {
        name: name.into(),
        role: GraderRole::Judge,
        source: GraderSource::Endpoint {
            base_url: "https://api.example.com/v1".into(),
            model: "gpt-4o".into(),
            needs_key,
        },
    }
}

/// The settings of `bench` with the built-in model as a judge; the judge's id.
fn with_local_judge(bench: &Bench) -> (AppSettings, String) {
    let models = library::list(&bench.store(), bench.dir.path(), None).unwrap();
    let (s, judge) = grading::graders::add(
        &AppSettings::default(),
        local(GraderRole::Judge, &bench.model),
        &models,
    )
    .unwrap();
    (s, judge.id)
}

/// A finished starter run of `datasets`, `examples` rows each.
fn finished_run(bench: &Bench, datasets: &[&str], examples: u32) -> i64 {
    let request = NewRunRequest {
        datasets: datasets.iter().map(|d| d.to_string()).collect(),
        examples: Some(examples),
        ..tiny_request(std::slice::from_ref(&bench.model))
    };
    let jobs = request
        .jobs(&bench.store(), bench.dir.path(), &bench.datasets_dir())
        .unwrap();
    let events = until_finished(&bench.start(jobs, 0));
    events
        .iter()
        .find_map(|e| match e {
            LiveEvent::Run(Event::RunFinished { run_id, .. }) => Some(*run_id),
            _ => None,
        })
        .expect("the run finished")
}

/// Starts grading; its events arrive on the receiver.
fn start(
    bench: &Bench,
    grading: &Grading,
    job: GradeJob,
) -> mobench_core::AppResult<mpsc::Receiver<GradeEvent>> {
    let (tx, rx) = mpsc::channel();
    grading.start(bench.db(), job, &bench.runner, move |e| {
        let _ = tx.send(e);
    })?;
    Ok(rx)
}

/// The events of a grading pass, up to and including its end.
fn until_done(rx: &mpsc::Receiver<GradeEvent>) -> Vec<GradeEvent> {
    let mut events = Vec::new();
    loop {
        let e = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("the grading pass did not end: {events:?}"));
        let end = !matches!(e, GradeEvent::Progress { .. });
        events.push(e);
        if end {
            return events;
        }
    }
}

#[test]
fn graders_are_defined_from_models_and_endpoints_and_settings_never_hold_a_key() {
    let bench = Bench::new();
    let store = bench.store();
    let data = bench.dir.path();
    // The built-in model is a chat model: a judge, not an embedder (it declares no pooling).
    let (s, judge_id) = with_local_judge(&bench);
    let models = library::list(&store, data, None).unwrap();
    let e =
        grading::graders::add(&s, local(GraderRole::Embedder, &bench.model), &models).unwrap_err();
    assert_eq!(e.code, ErrorCode::ModelFile);
    assert!(e.message.contains("declares no pooling"), "{}", e.message);
    // A generated embedding model, once in Models, is an embedder; a judge it cannot be.
    let embed = data.join("mine").join("embed.gguf");
    std::fs::create_dir_all(embed.parent().unwrap()).unwrap();
    let spec = mobench_gen::ModelSpec {
        name: "mobench-embed".into(),
        pooling: Some(1),
        chat_template: None,
        ..mobench_gen::ModelSpec::tiny()
    };
    mobench_gen::write_gguf(&spec, &embed).unwrap();
    let outside = grading::graders::add(
        &s,
        local(GraderRole::Embedder, &embed.display().to_string()),
        &models,
    )
    .unwrap_err();
    assert!(
        outside.message.contains("not a model in Models"),
        "{}",
        outside.message
    );
    let entry = library::import(
        &store,
        &mobench_engine::paths::models_dir(data),
        None,
        &embed,
        ImportMode::Reference,
        &mut |_| {},
    )
    .unwrap();
    let models = library::list(&store, data, None).unwrap();
    let (s, embedder) =
        grading::graders::add(&s, local(GraderRole::Embedder, &entry.path), &models).unwrap();
    assert_eq!(embedder.name, "embed");
    let e = grading::graders::add(&s, local(GraderRole::Judge, &entry.path), &models).unwrap_err();
    assert!(e.message.contains("no chat template"), "{}", e.message);

    // An endpoint that needs a key: the key goes to the keychain, the settings file has none.
    let (s, api) = grading::graders::add(&s, endpoint("OpenAI", true), &models).unwrap();
    let keychain = Keychain::new(keyring_core::mock::Store::new().unwrap());
    let key = "sk-core-test-4f1c9a";
    keychain.set(&api.id, key).unwrap();
    settings::save(data, &s).unwrap();
    let text = std::fs::read_to_string(settings::settings_path(data)).unwrap();
    assert!(text.contains("OpenAI") && text.contains(&judge_id));
    assert!(!text.contains(key), "the key is in settings.json");
    let loaded = settings::load(data);
    assert_eq!(loaded, s);
    assert_eq!(loaded.graders.len(), 3);
    assert!(keychain.has(&api.id).unwrap());

    // A settings file from before graders existed loads with none.
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    old.as_object_mut().unwrap().remove("graders");
    std::fs::write(settings::settings_path(data), old.to_string()).unwrap();
    assert!(settings::load(data).graders.is_empty());

    // Grading with an endpoint whose key was never entered says so before anything starts.
    let (s, keyless) = grading::graders::add(&s, endpoint("Other", true), &models).unwrap();
    let e = GradeJob::prepare(&s, &keychain, 1, Some(&keyless.id), None)
        .err()
        .unwrap();
    assert!(e.message.contains("needs an API key"), "{}", e.message);
    let e = GradeJob::prepare(&s, &keychain, 1, Some(&embedder.id), None)
        .err()
        .unwrap();
    assert_eq!(e.message, "`embed` is an embedder, not a judge");
    let e = GradeJob::prepare(&s, &keychain, 1, None, None)
        .err()
        .unwrap();
    assert_eq!(e.code, ErrorCode::Settings);
}

#[test]
fn the_tiny_model_grades_a_run_as_a_judge_and_its_figures_reach_the_views_and_exports() {
    let bench = Bench::new();
    let offline = finished_run(&bench, &["starter_mmlu", "starter_qa"], 2);
    let run_id = finished_run(&bench, &["starter_mmlu", "starter_qa"], 2);
    let store = bench.store();
    let plan = grading::plan(&store, run_id).unwrap();
    assert_eq!(plan.judge, ["starter_mmlu"]);
    assert!(plan.embedder.is_empty());

    let (s, judge) = with_local_judge(&bench);
    let keychain = Keychain::unavailable("not needed here");
    let grading = Grading::default();
    // The embedder's datasets are none of this run's: choosing only an embedder grades nothing.
    let job = GradeJob::prepare(&s, &keychain, run_id, Some(&judge), None).unwrap();
    let events = until_done(&start(&bench, &grading, job).unwrap());
    let progress: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            GradeEvent::Progress {
                stage: GradeStage::Judge,
                done,
                total,
                ..
            } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(progress.first(), Some(&(0, 2)), "{events:?}");
    assert_eq!(progress.last(), Some(&(2, 2)), "{events:?}");
    let Some(GradeEvent::Finished { result }) = events.last() else {
        panic!("grading did not finish: {events:?}")
    };
    assert_eq!((result.graded, result.asked, result.cached), (2, 2, 0));
    let figure = &result.figures[0];
    assert_eq!(figure.dataset, "starter_mmlu");
    assert!(
        figure.figure.starts_with("judge_em@mobench-tiny."),
        "{}",
        figure.figure
    );
    assert!(grading.status().is_none());

    // The run's detail has the judge's figure beside the offline one, with its grader.
    let detail = views::detail(&store, run_id).unwrap();
    let judged = detail
        .aggregates
        .iter()
        .find(|a| a.figure == figure.figure && a.stat == "mean")
        .expect("the judge's figure in the detail");
    assert!(judged
        .grader
        .as_deref()
        .unwrap()
        .starts_with("judge:local:mobench-tiny:"));
    // Compare: the judge's figure is a row of its own, apart from the offline metric.
    let cmp = views::compare(&store, &[offline, run_id], offline).unwrap();
    let mmlu: Vec<(&str, &[Option<f64>])> = cmp
        .rows
        .iter()
        .filter(|r| r.dataset == "starter_mmlu" && r.stat == "mean")
        .map(|r| (r.figure.as_str(), r.values.as_slice()))
        .collect();
    let judge_row = mmlu.iter().find(|(f, _)| *f == figure.figure).unwrap();
    assert_eq!(
        judge_row.1[0], None,
        "the offline-only run has no judge figure"
    );
    assert_eq!(judge_row.1[1], figure.value);
    assert!(
        mmlu.iter()
            .any(|(f, v)| !f.contains('@') && v.iter().all(Option::is_some)),
        "the offline metric is its own row: {mmlu:?}"
    );
    // The exports carry it as a column (runs, samples) and a row (comparison).
    let runs = views::export::table(&store, ExportKind::Runs, &[run_id], None).unwrap();
    assert!(runs.columns.contains(&figure.figure), "{:?}", runs.columns);
    let samples = views::export::table(&store, ExportKind::Samples, &[run_id], None).unwrap();
    assert!(samples.columns.contains(&figure.figure));
    let cmp = views::export::table(
        &store,
        ExportKind::Comparison,
        &[offline, run_id],
        Some(offline),
    )
    .unwrap();
    let mut csv = Vec::new();
    cmp.write_csv(&mut csv).unwrap();
    assert!(String::from_utf8(csv).unwrap().contains(&figure.figure));

    // Grading again asks the judge nothing.
    let job = GradeJob::prepare(&s, &keychain, run_id, Some(&judge), None).unwrap();
    let events = until_done(&start(&bench, &grading, job).unwrap());
    let Some(GradeEvent::Finished { result }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!((result.asked, result.cached), (0, 2));
    // A run with nothing a judge grades is refused before anything starts.
    let qa = finished_run(&bench, &["starter_qa"], 1);
    let job = GradeJob::prepare(&s, &keychain, qa, Some(&judge), None).unwrap();
    let e = start(&bench, &grading, job).err().unwrap();
    assert!(e.message.contains("nothing to grade"), "{}", e.message);
}

#[test]
fn grading_is_cancelled_between_requests_and_refused_while_a_run_is_going() {
    let bench = Bench::new();
    let run_id = finished_run(&bench, &["starter_mmlu"], 5);
    let (s, judge) = with_local_judge(&bench);
    let keychain = Keychain::unavailable("not needed here");
    let grading = Grading::default();

    let job = GradeJob::prepare(&s, &keychain, run_id, Some(&judge), None).unwrap();
    let rx = start(&bench, &grading, job).unwrap();
    assert!(grading.is_grading(run_id));
    assert_eq!(
        grading.ensure_idle("delete it").unwrap_err().code,
        ErrorCode::Busy
    );
    // One pass at a time.
    let job = GradeJob::prepare(&s, &keychain, run_id, Some(&judge), None).unwrap();
    assert_eq!(
        start(&bench, &grading, job).err().unwrap().code,
        ErrorCode::Busy
    );
    assert!(grading.cancel());
    assert!(grading.status().is_none_or(|s| s.cancelling));
    let events = until_done(&rx);
    assert!(
        matches!(events.last(), Some(GradeEvent::Cancelled { run_id: r }) if *r == run_id),
        "{events:?}"
    );
    assert!(grading.status().is_none());
    let judged = views::detail(&bench.store(), run_id)
        .unwrap()
        .aggregates
        .into_iter()
        .filter(|a| a.figure.contains('@'))
        .count();
    assert_eq!(judged, 0, "a cancelled pass writes no figure");

    // While a run is going, grading is refused with why.
    let queue = bench.start(bench.jobs(1), 0);
    until(&queue, |e| {
        matches!(e, LiveEvent::Run(Event::RunStarted { .. }))
    });
    let job = GradeJob::prepare(&s, &keychain, run_id, Some(&judge), None).unwrap();
    let e = start(&bench, &grading, job).err().unwrap();
    assert_eq!(e.code, ErrorCode::Busy);
    assert!(
        e.message.contains("compete with it for the CPU"),
        "{}",
        e.message
    );
    bench.runner.cancel();
    until_finished(&queue);
}
