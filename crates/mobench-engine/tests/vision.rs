//! Image datasets on the real llama.cpp: a generated tiny model with its generated vision projector
//! runs rows of MobileAIBench's VQAv2 and ScienceQA sets (../shared/datasets), each image decoded,
//! encoded by mtmd and answered; bad projectors and bad images are clear errors.

use std::path::{Path, PathBuf};

use mobench_engine::{run_suite, CancelFlag, Control, Event, InferenceSettings, RunRequest};
use mobench_gen::{write_gguf, write_projector, ModelSpec, ProjectorSpec};
use mobench_store::{RunStatus, Store};
use mobench_tasks::Selection;

fn shared_datasets() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench");
    assert!(
        dir.join("vqav2/prompts.json").is_file(),
        "{} is missing (the tests read ../shared/datasets/mobileaibench beside the workspace)",
        dir.display()
    );
    dir
}

/// A scratch folder with the tiny model, its projector and a database path.
struct Scratch {
    dir: tempfile::TempDir,
    model: PathBuf,
    mmproj: PathBuf,
    db: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&spec, &model).unwrap();
    let mmproj = dir.path().join("mmproj-tiny.gguf");
    write_projector(&ProjectorSpec::tiny_for(&spec), &mmproj).unwrap();
    let db = dir.path().join("runs.sqlite");
    Scratch {
        dir,
        model,
        mmproj,
        db,
    }
}

fn request(s: &Scratch, datasets: &[&str], dir: &Path, limit: usize) -> RunRequest {
    RunRequest {
        model: s.model.clone(),
        mmproj: Some(s.mmproj.clone()),
        suite: "mobileaibench".into(),
        tasks: vec!["vqa".into()],
        datasets: datasets.iter().map(|d| d.to_string()).collect(),
        datasets_dir: Some(dir.to_path_buf()),
        selection: Selection {
            limit: Some(limit),
            seed: None,
        },
        inference: InferenceSettings {
            max_tokens: Some(4),
            threads: 2,
            ..Default::default()
        },
        sample_interval_ms: None,
        ignore_memory_limit: false,
    }
}

fn run(db: &Path, request: RunRequest) -> (mobench_engine::RunOutcome, Vec<Event>) {
    let mut events = Vec::new();
    let outcome = run_suite(db, request, CancelFlag::default(), &mut |e: &Event| {
        events.push(e.clone());
        Control::Continue
    })
    .unwrap();
    (outcome, events)
}

#[test]
fn vqav2_and_scienceqa_rows_are_answered_timed_and_scored() {
    let s = scratch();
    let (outcome, events) = run(
        &s.db,
        request(&s, &["vqav2", "scienceqa"], &shared_datasets(), 3),
    );
    assert_eq!(outcome.status, RunStatus::Completed, "{:?}", outcome.reason);
    assert_eq!(outcome.samples_done, 6);

    let store = Store::open(&s.db).unwrap();
    let run = store.run(outcome.run_id).unwrap();
    let projector = run.projector.expect("the run records its projector");
    assert_eq!(projector.projector_type, "mlp");
    assert_eq!(projector.sha256.len(), 64);
    let loads = store.loads(outcome.run_id).unwrap();
    assert!(loads
        .iter()
        .all(|l| l.projector_load_ms.is_some_and(|ms| ms > 0.0)));

    let tokens_per_image = {
        let p = ProjectorSpec::tiny_for(&ModelSpec::tiny());
        p.n_image_tokens() as usize
    };
    let samples = store.samples(outcome.run_id).unwrap();
    assert_eq!(samples.len(), 6);
    for row in &samples {
        let sample = &row.sample;
        assert!(sample.error.is_none(), "{:?}", sample.error);
        let image = sample.image_path.as_deref().unwrap();
        assert!(image.ends_with(&format!("{}.jpg", sample.example_id.as_deref().unwrap())));
        assert_eq!(sample.image_tokens, Some(tokens_per_image));
        let text = sample.prompt_text_tokens.unwrap();
        assert!(text > 5, "the question's text is tokenized: {text}");
        assert_eq!(sample.prompt_tokens, text + tokens_per_image);
        let t = &sample.timings;
        let (decode, encode) = (t.image_decode_ms.unwrap(), t.image_encode_ms.unwrap());
        assert!(decode > 0.0 && encode > 0.0, "{decode} {encode}");
        // TTFT counts from the start of the request: the image's decoding and encoding are in it.
        assert!(t.ttft_ms.unwrap() >= decode + encode);
        // mtmd's own figure is whole milliseconds: ours agrees within that.
        let extra: serde_json::Value =
            serde_json::from_str(sample.extra_json.as_deref().unwrap()).unwrap();
        let mtmd = extra["mtmd_image_encode_ms"].as_f64().unwrap();
        assert!(
            (encode - mtmd).abs() <= 1.0 + 0.05 * mtmd,
            "{encode} vs {mtmd}"
        );
        // The prompt is the model's chat template around the image marker, then the question.
        let question = serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(shared_datasets().join(&row.dataset).join("prompts.json")).unwrap(),
        )
        .unwrap()[sample.example_id.as_deref().unwrap()]["prompt"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            sample.prompt.contains(&format!("<__media__>{question}")),
            "{}",
            sample.prompt
        );
        assert!(sample
            .prompt
            .contains("You are an assistant for Visual Question Answering."));
        let metric = if row.dataset == "vqav2" {
            "vqa_accuracy"
        } else {
            "letter"
        };
        let score = sample.scores.iter().find(|sc| sc.metric == metric).unwrap();
        assert!(score.value.is_some(), "{score:?}");
    }
    // VQAv2's answers stop at the first newline.
    assert!(samples
        .iter()
        .filter(|r| r.dataset == "vqav2")
        .all(|r| !r.sample.prediction_raw.contains('\n')));
    // The image figures are aggregated per dataset like the other timings.
    let aggregates = store.aggregates(outcome.run_id).unwrap();
    for fig in [
        "image_encode_ms",
        "image_decode_ms",
        "image_tokens",
        "prompt_text_tokens",
    ] {
        assert!(
            aggregates
                .iter()
                .any(|a| a.figure == fig && a.stat == "mean" && a.value.is_some()),
            "{fig}"
        );
    }
    // A live view sees the image with the question.
    assert!(events.iter().any(|e| matches!(
        e,
        Event::SampleStarted { image: Some(path), .. } if path.ends_with(".jpg")
    )));
}

#[test]
fn a_missing_empty_or_broken_image_fails_its_sample_and_the_run_goes_on() {
    let s = scratch();
    // A copy of the first rows of VQAv2, with its first three images spoiled.
    let data = s.dir.path().join("data");
    let from = shared_datasets().join("vqav2");
    let to = data.join("vqav2");
    std::fs::create_dir_all(to.join("images")).unwrap();
    for f in ["prompts.json", "answers.json"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let prompts: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(from.join("prompts.json")).unwrap()).unwrap();
    let ids: Vec<&String> = prompts.keys().take(4).collect();
    let image = |id: &str| to.join("images").join(format!("{id}.jpg"));
    // ids[0]: missing; ids[1]: empty; ids[2]: not an image; ids[3]: fine.
    std::fs::write(image(ids[1]), b"").unwrap();
    std::fs::write(image(ids[2]), b"this is not a JPEG").unwrap();
    std::fs::copy(
        from.join("images").join(format!("{}.jpg", ids[3])),
        image(ids[3]),
    )
    .unwrap();

    let (outcome, _) = run(&s.db, request(&s, &["vqav2"], &data, 4));
    assert_eq!(outcome.status, RunStatus::Completed, "{:?}", outcome.reason);
    let store = Store::open(&s.db).unwrap();
    let samples = store.samples(outcome.run_id).unwrap();
    let error = |i: usize| {
        samples
            .iter()
            .find(|r| r.sample.example_id.as_deref() == Some(ids[i].as_str()))
            .unwrap()
            .sample
            .error
            .clone()
    };
    assert!(error(0).unwrap().contains("not found"), "{:?}", error(0));
    assert!(error(1).unwrap().contains("empty"), "{:?}", error(1));
    assert!(
        error(2).unwrap().contains("cannot decode"),
        "{:?}",
        error(2)
    );
    assert_eq!(error(3), None);
    for (i, id) in ids.iter().take(3).enumerate() {
        assert!(error(i).unwrap().contains(&format!("{id}.jpg")));
    }
}

#[test]
fn an_image_dataset_without_a_projector_is_refused_before_anything_is_stored() {
    let s = scratch();
    let mut req = request(&s, &["vqav2", "scienceqa"], &shared_datasets(), 1);
    req.mmproj = None;
    let e = run_suite(&s.db, req, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("vqav2, scienceqa"), "{e}");
    assert!(e.contains("--mmproj"), "{e}");
    let store = Store::open(&s.db).unwrap();
    assert!(store.runs().unwrap().is_empty());
}

#[test]
fn a_projector_for_another_model_names_both_widths() {
    let s = scratch();
    let mut wide = ModelSpec::tiny();
    wide.n_embd *= 2;
    let other = s.dir.path().join("mmproj-wide.gguf");
    write_projector(&ProjectorSpec::tiny_for(&wide), &other).unwrap();
    let mut req = request(&s, &["vqav2"], &shared_datasets(), 1);
    req.mmproj = Some(other);
    let e = run_suite(&s.db, req, CancelFlag::default(), &mut |_: &Event| {
        Control::Continue
    })
    .unwrap_err()
    .to_string();
    let (model_width, projector_width) = (ModelSpec::tiny().n_embd, wide.n_embd);
    assert!(e.contains(&model_width.to_string()), "{e}");
    assert!(e.contains(&projector_width.to_string()), "{e}");
    assert!(Store::open(&s.db).unwrap().runs().unwrap().is_empty());
}

#[test]
fn the_memory_check_counts_the_projector_with_the_model() {
    use mobench_engine::llama::memory::{check_model, check_model_with};
    let s = scratch();
    let alone = check_model(&s.model, 1024, 256).unwrap().estimate;
    let paired = check_model_with(&s.model, Some(&s.mmproj), 1024, 256)
        .unwrap()
        .estimate;
    let projector = std::fs::metadata(&s.mmproj).unwrap().len();
    assert_eq!(paired.weights_bytes, alone.weights_bytes + projector);
    assert_eq!(paired.total_bytes, alone.total_bytes + projector);
}

#[test]
fn an_interrupted_image_run_resumes_with_its_projector_and_refuses_a_changed_one() {
    let s = scratch();
    let mut seen = 0;
    let outcome = run_suite(
        &s.db,
        request(&s, &["scienceqa"], &shared_datasets(), 3),
        CancelFlag::default(),
        &mut |e: &Event| {
            if matches!(e, Event::SampleFinished { .. }) {
                seen += 1;
                if seen == 1 {
                    return Control::Stop;
                }
            }
            Control::Continue
        },
    )
    .unwrap();
    assert_eq!(outcome.status, RunStatus::Interrupted);

    // The projector file is replaced by another: the stored run no longer describes it.
    let original = std::fs::read(&s.mmproj).unwrap();
    let mut other = ProjectorSpec::tiny_for(&ModelSpec::tiny());
    other.seed += 1;
    write_projector(&other, &s.mmproj).unwrap();
    let e = mobench_engine::resume(
        &s.db,
        outcome.run_id,
        CancelFlag::default(),
        &mut |_: &Event| Control::Continue,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("projector") && e.contains("changed"), "{e}");

    std::fs::write(&s.mmproj, original).unwrap();
    let again = mobench_engine::resume(
        &s.db,
        outcome.run_id,
        CancelFlag::default(),
        &mut |_: &Event| Control::Continue,
    )
    .unwrap();
    assert_eq!(again.status, RunStatus::Completed, "{:?}", again.reason);
    let store = Store::open(&s.db).unwrap();
    let samples = store.samples(outcome.run_id).unwrap();
    assert_eq!(samples.len(), 3);
    assert!(samples
        .iter()
        .all(|r| r.sample.error.is_none() && r.sample.image_tokens == Some(16)));
}
