//! Multimodal models through IPC: a model paired with its vision projector (found beside it,
//! picked in a dialog, refused when it does not fit, removed), projector files never listed as
//! models, New run refusing image sets for a model without one, and a VQAv2 run whose images the
//! window gets as `data:` URLs, and only those.

use std::path::{Path, PathBuf};

use mobench_core::runs::LiveEvent;
use mobench_engine::events::Event;
use mobench_gen::{write_projector, ModelSpec, ProjectorSpec};
use serde_json::{json, Value};

use crate::support::{app, write_tiny_model, TestApp};

const PROGRESS: &str = "__CHANNEL__:1";

/// MobileAIBench's multimodal sets beside the workspace (never copied into the repository).
fn shared_datasets() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/mobileaibench");
    assert!(
        dir.join("vqav2/prompts.json").is_file(),
        "{} is missing (the tests read ../shared/datasets/mobileaibench beside the workspace)",
        dir.display()
    );
    // Spelt without `..`, as a folder the app is given is.
    std::fs::canonicalize(dir).unwrap()
}

fn tiny_projector(path: &Path) -> PathBuf {
    write_projector(&ProjectorSpec::tiny_for(&ModelSpec::tiny()), path).unwrap();
    path.to_path_buf()
}

/// A projector for a model with 256-wide embeddings (the tiny model's are 128 wide).
fn wide_projector(path: &Path) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let wide = ModelSpec {
        n_embd: 256,
        ..ModelSpec::tiny()
    };
    write_projector(&ProjectorSpec::tiny_for(&wide), path).unwrap();
    path.to_path_buf()
}

/// The user's folder `name` with the tiny model and, beside it, its projector.
fn llava_folder(t: &TestApp, name: &str) -> (PathBuf, PathBuf) {
    let dir = t.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let model = write_tiny_model(&dir.join("tiny-llava.gguf"));
    let mmproj = tiny_projector(&dir.join("mmproj-tiny-llava-f32.gguf"));
    (model, mmproj)
}

fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

/// A New run request of `datasets` of the mobileaibench suite: one row, four tokens.
fn vqa_request(model: &str, datasets: &[&str]) -> Value {
    json!({
        "models": [model],
        "suite": "mobileaibench",
        "datasets": datasets,
        "examples": 1,
        "sample_seed": null,
        "preset": "mobile",
        "threads": 1,
        "n_ctx": 512,
        "gpu_layers": 0,
        "max_tokens": 4,
        "template": null,
    })
}

#[test]
fn a_model_is_paired_with_its_projector_in_models() {
    let t = app();
    let (model, mmproj) = llava_folder(&t, "llava");
    t.pick(&model);
    let entry = t.ok(
        "import_model",
        json!({ "path": model, "mode": "reference", "onProgress": PROGRESS }),
    );
    // The projector beside it fits: paired on import, shown in the model's one entry.
    let projector = &entry["projector"];
    assert_eq!(projector["path"], canonical(&mmproj), "{entry}");
    assert_eq!(projector["projector_type"], "mlp");
    assert_eq!(projector["image_size"], 32);
    assert_eq!(projector["image_tokens"], 16);
    assert_eq!(
        projector["size_bytes"].as_u64().unwrap(),
        std::fs::metadata(&mmproj).unwrap().len()
    );
    assert_eq!(entry["pairable"], true);
    let models = t.models();
    let files: Vec<&str> = models
        .iter()
        .map(|m| m["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["mobench-tiny.gguf", "tiny-llava.gguf"],
        "projectors are not models"
    );
    assert_eq!(models[1], entry);
    let path = entry["path"].as_str().unwrap();

    // Removed: image sets are refused for it; the file beside it is offered again.
    let removed = t.ok("unpair_projector", json!({ "model": path }));
    assert!(removed["projector"].is_null());
    assert_eq!(removed["projector_offer"]["path"], canonical(&mmproj));
    assert!(removed["projector_offer"]["problem"].is_null());
    assert!(mmproj.exists(), "the user's file is kept");
    // The offer is accepted without a dialog; removed again.
    let accepted = t.ok("pair_projector_beside", json!({ "model": path }));
    assert_eq!(accepted["projector"]["path"], canonical(&mmproj));
    assert!(accepted["projector_offer"].is_null());
    t.ok("unpair_projector", json!({ "model": path }));
    let (code, message) = t.err(
        "start_run",
        json!({ "request": vqa_request(path, &["vqav2"]), "onEvent": "__CHANNEL__:2" }),
    );
    assert_eq!(code, "settings");
    assert_eq!(
        message,
        "model mobench-tiny (tiny-llava.gguf) has no vision projector, which vqav2 needs: pair \
         one with it in Models, or leave it out"
    );

    // Picked in a dialog: only a file the user chose, and only one that fits the model.
    let wide = wide_projector(&t.dir.path().join("elsewhere").join("vision-wide.gguf"));
    let pair = |p: &Path| json!({ "model": path, "projector": p });
    assert_eq!(t.err("pair_projector", pair(&wide)).0, "not_chosen");
    t.pick(&wide);
    let (code, message) = t.err("pair_projector", pair(&wide));
    assert_eq!(code, "projector");
    assert!(
        message.contains("projects to 256-wide embeddings")
            && message.contains("has 128")
            && message.contains("vision-wide.gguf"),
        "{message}"
    );
    t.pick(&mmproj);
    let paired = t.ok("pair_projector", pair(&mmproj));
    assert_eq!(paired["projector"]["path"], canonical(&mmproj));
    assert_eq!(t.models()[1], paired);
    // Its weights count in the memory check of a run that shows images.
    let weights = |images: bool| {
        let fit = t.ok(
            "memory_fit",
            json!({ "models": [path], "nCtx": 512, "images": images }),
        );
        fit[0]["fit"]["estimate"]["weights_bytes"].as_u64().unwrap()
    };
    assert_eq!(
        weights(true) - weights(false),
        std::fs::metadata(&mmproj).unwrap().len()
    );

    // The built-in model is a text model; a projector is not a model.
    let builtin = t.builtin();
    let (code, _) = t.err(
        "pair_projector",
        json!({ "model": builtin, "projector": mmproj }),
    );
    assert_eq!(code, "builtin_model");
    let (code, message) = t.err(
        "import_model",
        json!({ "path": mmproj, "mode": "copy", "onProgress": PROGRESS }),
    );
    assert_eq!(code, "model_file");
    assert!(message.contains("is a vision projector"), "{message}");
    assert_eq!(t.models().len(), 2);
}

/// The image path of each sample the events started.
fn images_shown(events: &[LiveEvent]) -> Vec<Option<String>> {
    events
        .iter()
        .filter_map(|e| match e {
            LiveEvent::Run(Event::SampleStarted { image, .. }) => Some(image.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_vqav2_run_shows_its_images_to_the_window_and_nothing_else() {
    let t = app();
    let (model, mmproj) = llava_folder(&t, "llava");
    t.pick(&model);
    let entry = t.ok(
        "import_model",
        json!({ "path": model, "mode": "copy", "onProgress": PROGRESS }),
    );
    let path = entry["path"].as_str().unwrap().to_string();
    let copied = entry["projector"]["path"].as_str().unwrap().to_string();
    assert!(
        Path::new(&copied).starts_with(std::fs::canonicalize(&t.state().models_dir).unwrap()),
        "a copied model's projector is copied too: {copied}"
    );

    // The run reads the shared copy of the set: its images lie outside the app's datasets
    // folder, and are shown because the run stored them.
    let request = serde_json::from_value(vqa_request(&path, &["vqav2"])).unwrap();
    let state = t.state();
    let store = state.store().unwrap();
    let jobs = mobench_core::runs::NewRunRequest::jobs(
        &request,
        &store,
        &state.data_dir,
        &shared_datasets(),
    )
    .unwrap();
    let events = mobench_core::testkit::until_finished(&t.start_jobs(jobs));
    let shown = images_shown(&events);
    assert_eq!(shown.len(), 1, "one row");
    let image = shown[0]
        .clone()
        .expect("the sample's image arrives with it");
    assert!(
        image.ends_with(".jpg") && Path::new(&image).is_file(),
        "{image}"
    );

    let run = t.runs()[0].clone();
    let run_id = run["id"].as_i64().unwrap();
    assert_eq!(run["status"], "completed");
    assert_eq!(run["projector"]["path"], copied);
    assert_eq!(run["projector"]["projector_type"], "mlp");
    let detail = t.ok("get_run", json!({ "runId": run_id }));
    assert!(detail["loads"][0]["projector_load_ms"].as_f64().unwrap() > 0.0);
    let samples = t.ok("get_samples", json!({ "runId": run_id }));
    let sample = &samples[0];
    assert_eq!(sample["image_path"], image.as_str());
    assert_eq!(sample["image_tokens"], 16);
    assert!(sample["timings"]["image_encode_ms"].as_f64().unwrap() > 0.0);
    assert!(sample["scores"][0]["metric"] == "vqa_accuracy", "{sample}");

    // Compared like any run: the same set again, with the image encode time beside TTFT.
    let again = mobench_core::runs::NewRunRequest::jobs(
        &request,
        &store,
        &state.data_dir,
        &shared_datasets(),
    )
    .unwrap();
    mobench_core::testkit::until_finished(&t.start_jobs(again));
    let second = t.runs()[0]["id"].as_i64().unwrap();
    let comparison = t.ok(
        "compare_runs",
        json!({ "runIds": [run_id, second], "baseline": run_id }),
    );
    let compared: Vec<(&str, &str)> = comparison["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["dataset"].as_str().unwrap(),
                r["figure"].as_str().unwrap(),
            )
        })
        .collect();
    for figure in ["vqa_accuracy", "ttft_ms", "image_encode_ms"] {
        assert!(compared.contains(&("vqav2", figure)), "{compared:?}");
    }

    // Its samples export like any run's, with the image columns.
    let csv = t.state().data_dir.join("vision-samples.csv");
    let report = t.ok(
        "export_csv",
        json!({ "kind": "samples", "runIds": [run_id], "baseline": null, "path": csv }),
    );
    assert_eq!(report["rows"], 1);
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let column = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(column("image_path"), image);
    assert_eq!(column("dataset"), "vqav2");
    assert!(header.iter().any(|h| h == "vqa_accuracy"), "{header:?}");

    // The image as a data: URL, for the run that showed it.
    let url = t.ok("image_data_url", json!({ "path": image, "runId": run_id }));
    let url = url.as_str().unwrap();
    let bytes = std::fs::read(&image).unwrap();
    assert!(
        url.starts_with("data:image/jpeg;base64,/9j/"),
        "{}",
        &url[..40]
    );
    assert_eq!(
        url.len(),
        "data:image/jpeg;base64,".len() + bytes.len().div_ceil(3) * 4
    );
    // Without the run it is outside the app's datasets folder: refused.
    let (code, message) = t.err("image_data_url", json!({ "path": image, "runId": null }));
    assert_eq!(code, "not_found");
    assert!(message.contains("not an image of a dataset"), "{message}");

    // An image in the app's datasets folder needs no run; nothing else is read.
    let datasets = t.state().datasets_dir.clone();
    let here = datasets.join("vqav2").join("images").join("x.jpg");
    std::fs::create_dir_all(here.parent().unwrap()).unwrap();
    std::fs::copy(&image, &here).unwrap();
    let url = t.ok("image_data_url", json!({ "path": here, "runId": null }));
    assert!(url.as_str().unwrap().starts_with("data:image/jpeg;base64,"));
    let not_image = datasets.join("vqav2").join("prompts.json");
    std::fs::write(&not_image, "{}").unwrap();
    let climbing = format!(
        "{}/../../models/{}",
        datasets.join("vqav2").display(),
        "x.gguf"
    );
    for (refused, why) in [
        (mmproj.display().to_string(), "not an image of a dataset"),
        (not_image.display().to_string(), "not a JPEG"),
        (climbing, "not an absolute path to an image"),
        (
            "images/x.jpg".to_string(),
            "not an absolute path to an image",
        ),
    ] {
        let (code, message) = t.err(
            "image_data_url",
            json!({ "path": refused, "runId": run_id }),
        );
        assert_eq!(code, "not_found");
        assert!(message.contains(why), "{message}");
    }
}
