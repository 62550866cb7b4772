//! Pairing models with their vision projectors: the one beside an imported model, one the user
//! picks (checked against the model), removing it, projector files never listed as models, and
//! New run requests that take each model's projector or are refused without one.

use std::path::{Path, PathBuf};

use mobench_core::library::{self, ImportMode, ModelEntry};
use mobench_core::runs::NewRunRequest;
use mobench_core::ErrorCode;
use mobench_gen::{write_gguf, write_projector, ModelSpec, ProjectorSpec};
use mobench_store::Store;

use crate::support::tiny_request;

/// A data folder with its database, and a folder of the user's own files.
struct Library {
    dir: tempfile::TempDir,
    store: Store,
}

impl Library {
    fn new() -> Library {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = mobench_engine::open_store(&mobench_engine::paths::db_path(&data)).unwrap();
        Library { dir, store }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn models_dir(&self) -> PathBuf {
        mobench_engine::paths::models_dir(&self.data_dir())
    }

    /// `folder/name`, made if need be, in the user's own files.
    fn file(&self, folder: &str, name: &str) -> PathBuf {
        let dir = self.dir.path().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn list(&self) -> Vec<ModelEntry> {
        library::list(&self.store, &self.data_dir(), None).unwrap()
    }

    fn import(&self, path: &Path, mode: ImportMode) -> ModelEntry {
        library::import(
            &self.store,
            &self.models_dir(),
            None,
            path,
            mode,
            &mut |_| {},
        )
        .unwrap()
    }

    fn request(
        &self,
        req: &NewRunRequest,
    ) -> mobench_core::AppResult<Vec<mobench_engine::RunRequest>> {
        req.resolve(
            &self.store,
            &self.data_dir(),
            &self.data_dir().join("datasets"),
        )
    }
}

/// The tiny model (128-wide embeddings) at `path`.
fn tiny_model(path: PathBuf) -> PathBuf {
    write_gguf(&ModelSpec::tiny(), &path).unwrap();
    path
}

/// A projector that fits the tiny model, at `path`.
fn tiny_projector(path: PathBuf) -> PathBuf {
    write_projector(&ProjectorSpec::tiny_for(&ModelSpec::tiny()), &path).unwrap();
    path
}

/// A projector for a model with 256-wide embeddings, at `path`.
fn wide_projector(path: PathBuf) -> PathBuf {
    let wide = ModelSpec {
        n_embd: 256,
        ..ModelSpec::tiny()
    };
    write_projector(&ProjectorSpec::tiny_for(&wide), &path).unwrap();
    path
}

fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

/// A New run request for `datasets` of the mobileaibench suite.
fn vqa_request(models: &[String], datasets: &[&str]) -> NewRunRequest {
    NewRunRequest {
        suite: "mobileaibench".into(),
        datasets: datasets.iter().map(|d| d.to_string()).collect(),
        ..tiny_request(models)
    }
}

#[test]
fn a_projector_beside_an_imported_model_is_paired_when_it_fits_and_offered_when_it_does_not() {
    let lib = Library::new();
    let model = tiny_model(lib.file("llava", "tiny.gguf"));
    let mmproj = tiny_projector(lib.file("llava", "mmproj-tiny-f32.gguf"));
    // Another projector in the folder, less like the model's name, that does not fit.
    wide_projector(lib.file("llava", "mmproj-other.gguf"));

    let entry = lib.import(&model, ImportMode::Reference);
    let projector = entry.projector.as_ref().expect("paired on import");
    assert_eq!(projector.path, canonical(&mmproj));
    assert_eq!(projector.file_name, "mmproj-tiny-f32.gguf");
    assert_eq!(
        projector.size_bytes,
        std::fs::metadata(&mmproj).unwrap().len()
    );
    assert_eq!(projector.projector_type, "mlp");
    assert_eq!(
        (projector.image_size, projector.image_tokens),
        (32, Some(16))
    );
    assert_eq!((projector.n_embd_out, entry.n_embd), (128, 128));
    assert_eq!(projector.problem, None);
    assert!(entry.pairable);
    // One entry with both: the projectors are not models.
    let listed = lib.list();
    assert_eq!(listed.len(), 2, "the built-in model and the imported one");
    assert_eq!(listed[1], entry);
    assert_eq!(listed[0].projector, None);
    assert!(!listed[0].pairable);

    // A projector beside a model that it does not fit is offered with why, not paired.
    let other = tiny_model(lib.file("wide", "tiny.gguf"));
    let wide = wide_projector(lib.file("wide", "mmproj-tiny.gguf"));
    let entry = lib.import(&other, ImportMode::Reference);
    assert_eq!(entry.projector, None);
    let offer = entry.projector_offer.expect("offered");
    assert_eq!(offer.path, canonical(&wide));
    let why = offer.problem.unwrap();
    assert!(why.contains("256-wide") && why.contains("has 128"), "{why}");
    let refused = lib
        .request(&vqa_request(std::slice::from_ref(&entry.path), &["vqav2"]))
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Settings);
    // Accepting that offer is refused with the same reason.
    let e = library::pair_beside(&lib.store, &lib.data_dir(), &entry.path).unwrap_err();
    assert_eq!((e.code, e.message), (ErrorCode::Projector, why));

    // The fitting one, removed, is offered again and accepted without a dialog.
    let first = &lib.list()[1];
    let removed = library::unpair_projector(&lib.store, &lib.data_dir(), &first.path).unwrap();
    assert_eq!(removed.projector, None);
    assert_eq!(removed.projector_offer.unwrap().path, canonical(&mmproj));
    let accepted = library::pair_beside(&lib.store, &lib.data_dir(), &first.path).unwrap();
    assert_eq!(accepted.projector.unwrap().path, canonical(&mmproj));
}

#[test]
fn a_copied_model_takes_a_copy_of_its_projector_which_goes_when_it_is_deleted() {
    let lib = Library::new();
    let model = tiny_model(lib.file("download", "tiny.gguf"));
    tiny_projector(lib.file("download", "mmproj-tiny.gguf"));
    let entry = lib.import(&model, ImportMode::Copy);
    let copy = PathBuf::from(&entry.projector.as_ref().unwrap().path);
    assert_eq!(
        copy.parent().unwrap(),
        std::fs::canonicalize(lib.models_dir()).unwrap()
    );
    assert!(copy.is_file());
    // Only the model is listed.
    assert_eq!(lib.list().len(), 2);

    library::delete(&lib.store, &lib.data_dir(), None, &entry.path).unwrap();
    assert!(!copy.exists(), "the projector copy went with its model");
    assert!(
        lib.file("download", "mmproj-tiny.gguf").exists(),
        "the original stays"
    );
}

#[test]
fn a_picked_projector_is_checked_against_its_model_and_the_pairing_can_be_removed() {
    let lib = Library::new();
    let model = tiny_model(lib.file("models", "tiny.gguf"));
    let entry = lib.import(&model, ImportMode::Reference);
    assert_eq!(
        (entry.projector.clone(), entry.projector_offer.clone()),
        (None, None)
    );
    let data = lib.data_dir();

    // A projector for another width: refused, naming both widths and both files.
    let wide = wide_projector(lib.file("elsewhere", "vision.gguf"));
    let e = library::pair_projector(&lib.store, &data, &entry.path, &wide).unwrap_err();
    assert_eq!(e.code, ErrorCode::Projector);
    assert!(
        e.message.contains("256-wide") && e.message.contains("has 128"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("vision.gguf") && e.message.contains("tiny.gguf"),
        "{}",
        e.message
    );
    // A model is not a projector.
    let e = library::pair_projector(&lib.store, &data, &entry.path, &model).unwrap_err();
    assert_eq!(e.code, ErrorCode::Projector, "{}", e.message);

    let fits = tiny_projector(lib.file("elsewhere", "vision-tiny.gguf"));
    let paired = library::pair_projector(&lib.store, &data, &entry.path, &fits).unwrap();
    assert_eq!(paired.projector.as_ref().unwrap().path, canonical(&fits));
    assert_eq!(lib.list()[1], paired);
    let runs = lib
        .request(&vqa_request(
            std::slice::from_ref(&paired.path),
            &["vqav2", "scienceqa"],
        ))
        .unwrap();
    assert_eq!(
        runs[0].mmproj.as_deref(),
        Some(Path::new(&canonical(&fits)))
    );

    let unpaired = library::unpair_projector(&lib.store, &data, &entry.path).unwrap();
    assert_eq!(unpaired.projector, None);
    assert!(
        fits.exists(),
        "a projector of the user's own is never deleted"
    );
    assert_eq!(lib.list()[1].projector, None);

    // Only an imported model is paired by the user.
    let builtin = lib.list()[0].path.clone();
    let e = library::pair_projector(&lib.store, &data, &builtin, &fits).unwrap_err();
    assert_eq!(e.code, ErrorCode::BuiltinModel);
    let e = library::pair_projector(&lib.store, &data, "/nowhere/x.gguf", &fits).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[test]
fn projector_files_are_not_models() {
    let lib = Library::new();
    let mmproj = tiny_projector(lib.file("picked", "mmproj-tiny.gguf"));
    // Named like a model, it is still a projector.
    let renamed = tiny_projector(lib.file("picked", "vision.gguf"));
    for file in [&mmproj, &renamed] {
        let e = library::import(
            &lib.store,
            &lib.models_dir(),
            None,
            file,
            ImportMode::Copy,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::ModelFile);
        assert!(e.message.contains("is a vision projector"), "{}", e.message);
        assert!(library::is_projector_file(file));
    }
    assert_eq!(lib.list().len(), 1);
    assert!(!library::is_projector_file(Path::new(&lib.list()[0].path)));

    // The shared folder lists the model, paired with the projector beside it.
    let shared = lib.dir.path().join("Documents");
    std::fs::create_dir_all(&shared).unwrap();
    tiny_model(shared.join("tiny.gguf"));
    tiny_projector(shared.join("mmproj-tiny.gguf"));
    tiny_projector(shared.join("clip.gguf"));
    let listed = library::list(&lib.store, &lib.data_dir(), Some(&shared)).unwrap();
    let names: Vec<&str> = listed.iter().map(|m| m.file_name.as_str()).collect();
    assert_eq!(names, ["mobench-tiny.gguf", "tiny.gguf"]);
    let projector = listed[1].projector.as_ref().expect("the one beside it");
    assert_eq!(projector.file_name, "mmproj-tiny.gguf");
    assert!(!listed[1].pairable);
    let runs = lib
        .request(&vqa_request(&[listed[1].path.clone()], &["vqav2"]))
        .unwrap();
    assert_eq!(
        runs[0].mmproj.as_ref().unwrap().file_name().unwrap(),
        "mmproj-tiny.gguf"
    );
}

#[test]
fn a_run_takes_each_models_projector_only_for_image_sets_and_is_refused_without_one() {
    let lib = Library::new();
    let builtin = lib.list()[0].path.clone();
    let model = tiny_model(lib.file("llava", "tiny.gguf"));
    tiny_projector(lib.file("llava", "mmproj-tiny.gguf"));
    let paired = lib.import(&model, ImportMode::Reference).path;

    // Text sets: no projector is loaded, even for a paired model.
    let runs = lib
        .request(&tiny_request(&[paired.clone(), builtin.clone()]))
        .unwrap();
    assert!(runs.iter().all(|r| r.mmproj.is_none()));
    let runs = lib
        .request(&vqa_request(
            std::slice::from_ref(&paired),
            &["mmlu", "vqav2"],
        ))
        .unwrap();
    assert!(runs[0].mmproj.is_some());

    // A model without one is named, with the sets that need it.
    let e = lib
        .request(&vqa_request(
            &[paired, builtin.clone()],
            &["vqav2", "mmlu", "scienceqa"],
        ))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Settings);
    assert_eq!(
        e.message,
        "model mobench-tiny (mobench-tiny.gguf) has no vision projector, which vqav2, scienceqa \
         need: pair one with it in Models, or leave them out"
    );
    let e = lib
        .request(&vqa_request(&[builtin], &["vqav2"]))
        .unwrap_err();
    assert!(
        e.message
            .ends_with("which vqav2 needs: pair one with it in Models, or leave it out"),
        "{}",
        e.message
    );
}
