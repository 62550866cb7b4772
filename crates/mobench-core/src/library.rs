//! The model library: the built-in tiny model, and GGUF files the user imported, either copied
//! into the app's models folder (with progress, hashed on the way) or referenced in place, each
//! with the vision projector (mmproj GGUF) it runs image datasets with.
//!
//! Pairing a model with its projector: an `mmproj*.gguf` beside the model is paired on import
//! when it fits the model (its embeddings are as wide as the model's) and offered otherwise; the
//! user can pick another projector or remove the pairing. A model in the shared folder is paired
//! with the fitting projector beside it, found each time it is listed. A copied model's projector
//! is copied into the app's models folder too, so the pair survives the originals moving (on a
//! phone the picker hands over temporary copies). Projector files are never listed as models.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mobench_engine::llama::gguf;
use mobench_engine::llama::model::{self, ModelInfo};
use mobench_engine::llama::projector::inspect_projector;
use mobench_store::library::ModelSource;
use mobench_store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{io_error, AppError, AppResult, ErrorCode};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ModelEntry {
    pub path: String,
    pub file_name: String,
    pub name: Option<String>,
    pub architecture: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_params: u64,
    pub quantization: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: u64,
    /// `None` until the file has been hashed (imports are; a referenced file may not be yet).
    pub sha256: Option<String>,
    pub n_ctx_train: u32,
    pub has_chat_template: bool,
    pub source: ModelSource,
    /// Why the model cannot be used now (its file is gone or damaged), in words.
    pub problem: Option<String>,
    /// Width of the model's token embeddings, which its projector must project into (0: the file
    /// does not say).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_embd: u64,
    /// The vision projector image datasets run with; `None`: a text model here.
    pub projector: Option<ProjectorEntry>,
    /// A projector found beside the model and not paired with it: offered to the user, with why
    /// it cannot be paired (`problem`) when it does not fit.
    pub projector_offer: Option<ProjectorEntry>,
    /// Whether the user can pick or remove the model's projector (imported models; the built-in
    /// model has none, a model in the shared folder takes the one beside it).
    pub pairable: bool,
}

/// A vision projector (mmproj GGUF) as Models shows it beside its model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ProjectorEntry {
    pub path: String,
    pub file_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size_bytes: u64,
    /// llama.cpp's projector type (`mlp` for llava).
    pub projector_type: String,
    /// Side of the square image the encoder takes (0: it depends on the image).
    pub image_size: u32,
    /// Context positions one image takes, where the file fixes the count.
    pub image_tokens: Option<u32>,
    /// Width of the embeddings it hands the model.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub n_embd_out: u64,
    /// Why it cannot be used with the model now (gone, damaged, does not fit), in words.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    Copy,
    Reference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "lowercase")]
pub enum ImportStage {
    Checking,
    Copying,
    Hashing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ImportProgress {
    pub stage: ImportStage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_total: u64,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn entry(info: ModelInfo, source: ModelSource) -> ModelEntry {
    ModelEntry {
        file_name: file_name(&info.path),
        path: info.path.display().to_string(),
        name: info.name,
        architecture: info.architecture,
        n_params: info.n_params,
        quantization: info.quantization,
        size_bytes: info.size_bytes,
        sha256: Some(info.sha256).filter(|s| !s.is_empty()),
        n_ctx_train: info.n_ctx_train,
        has_chat_template: info.has_chat_template,
        source,
        problem: None,
        n_embd: info.n_embd,
        projector: None,
        projector_offer: None,
        pairable: matches!(source, ModelSource::Copied | ModelSource::Referenced),
    }
}

/// A model that cannot be used now, listed with the reason so the user can see and fix it.
fn problem_entry(path: &Path, source: ModelSource, problem: String) -> ModelEntry {
    ModelEntry {
        file_name: file_name(path),
        path: path.display().to_string(),
        name: None,
        architecture: None,
        n_params: 0,
        quantization: None,
        size_bytes: 0,
        sha256: None,
        n_ctx_train: 0,
        has_chat_template: false,
        source,
        problem: Some(problem),
        n_embd: 0,
        projector: None,
        projector_offer: None,
        pairable: matches!(source, ModelSource::Copied | ModelSource::Referenced),
    }
}

/// The entry of a library model, as [`list`] shows it.
pub(crate) fn entry_of(store: &Store, key: &str, source: ModelSource) -> AppResult<ModelEntry> {
    described(store, key, source)
}

/// The entry of the model at `path`, known to the library as `key` (its path as stored), with
/// its projector.
fn described(store: &Store, key: &str, source: ModelSource) -> AppResult<ModelEntry> {
    let path = Path::new(key);
    let info = match model::describe_known(path, store) {
        Ok(info) => info,
        Err(e) => return Ok(problem_entry(path, source, e.to_string())),
    };
    let (projector, offer) = match source {
        ModelSource::Builtin => (None, None),
        // Found by looking, like the model: the projector beside it that fits.
        ModelSource::Shared => match offer_beside(&info) {
            Some(p) if p.problem.is_none() => (Some(p), None),
            other => (None, other),
        },
        ModelSource::Copied | ModelSource::Referenced => match store.library_mmproj(key)? {
            Some(mmproj) => (Some(projector_entry(Path::new(&mmproj), &info)), None),
            None => (None, offer_beside(&info)),
        },
    };
    Ok(ModelEntry {
        projector,
        projector_offer: offer,
        ..entry(info, source)
    })
}

/// The projector at `path` as it would serve `model`.
fn projector_entry(path: &Path, model: &ModelInfo) -> ProjectorEntry {
    match inspect_projector(path) {
        Ok(p) => ProjectorEntry {
            file_name: file_name(&p.path),
            path: p.path.display().to_string(),
            size_bytes: p.bytes,
            problem: (model.n_embd > 0)
                .then(|| p.check_fits(&model.path, model.n_embd).err())
                .flatten()
                .map(|e| e.to_string()),
            projector_type: p.projector_type,
            image_size: p.image_size,
            image_tokens: p.image_tokens,
            n_embd_out: p.n_embd_out,
        },
        Err(e) => ProjectorEntry {
            file_name: file_name(path),
            path: path.display().to_string(),
            size_bytes: 0,
            projector_type: String::new(),
            image_size: 0,
            image_tokens: None,
            n_embd_out: 0,
            problem: Some(e.to_string()),
        },
    }
}

/// Whether a file name looks like a vision projector: `mmproj*.gguf`, as llama.cpp's converter
/// and the model hubs name them.
fn is_mmproj_name(name: &str) -> bool {
    is_gguf_name(name) && name.to_ascii_lowercase().starts_with("mmproj")
}

/// Whether the GGUF file at `path` is a vision projector rather than a model: its architecture
/// is `clip`, or it names a projector type.
pub fn is_projector_file(path: &Path) -> bool {
    gguf::read_metadata(path).is_ok_and(|h| {
        h.str("general.architecture") == Some("clip")
            || h.kv.contains_key("clip.projector_type")
            || h.kv.contains_key("clip.vision.projector_type")
    })
}

/// How much of the projector's name (after `mmproj` and separators) matches the model's: the
/// projector of `llava-1.5-7b.Q4_K_M.gguf` is `mmproj-llava-1.5-7b-f16.gguf` before
/// `mmproj-other.gguf`.
fn name_match(model: &Path, projector: &str) -> usize {
    let model = file_name(model).to_ascii_lowercase();
    let projector = projector.to_ascii_lowercase();
    let rest = projector
        .strip_prefix("mmproj")
        .unwrap_or(&projector)
        .trim_start_matches(['-', '_', '.', ' ']);
    model
        .chars()
        .zip(rest.chars())
        .take_while(|(a, b)| a == b)
        .count()
}

/// The projector beside `model` (an `mmproj*.gguf` in its folder): the best-named one that fits
/// it, or failing that the best-named one with why it does not fit; `None` if there is none.
fn offer_beside(model: &ModelInfo) -> Option<ProjectorEntry> {
    let dir = model.path.parent()?;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_mmproj_name(n) && dir.join(n) != model.path)
        .collect();
    names.sort_by(|a, b| {
        name_match(&model.path, b)
            .cmp(&name_match(&model.path, a))
            .then_with(|| a.cmp(b))
    });
    let candidates: Vec<ProjectorEntry> = names
        .iter()
        .map(|n| projector_entry(&dir.join(n), model))
        .collect();
    let first = candidates.first().cloned();
    candidates
        .into_iter()
        .find(|p| p.problem.is_none())
        .or(first)
}

/// The built-in model first, then the library in the order models were added, then the GGUF
/// files in the shared folder (`shared`: iOS's Documents folder, which Finder and the Files app
/// fill). A model whose file is gone, damaged or only in iCloud is listed with the problem.
pub fn list(store: &Store, data_dir: &Path, shared: Option<&Path>) -> AppResult<Vec<ModelEntry>> {
    let builtin = mobench_engine::ensure_builtin_model(data_dir)?;
    // The built-in model is small: hash it once so its identity shows like any other.
    let mut out = vec![entry(
        model::inspect(&builtin, Some(store))?,
        ModelSource::Builtin,
    )];
    for (path, source) in store.library()? {
        out.push(described(store, &path, source)?);
    }
    if let Some(dir) = shared {
        out.extend(shared_models(store, dir)?);
    }
    Ok(out)
}

/// The models in the shared folder, by file name. A `.gguf.partial` of a copy in progress,
/// projectors and other files are left out; an iCloud placeholder is listed with what to do
/// about it.
fn shared_models(store: &Store, dir: &Path) -> AppResult<Vec<ModelEntry>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(ErrorCode::Io, dir, &e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        if let Some(real) = model::icloud_placeholder_of(&name) {
            if is_gguf_name(real) && !is_mmproj_name(real) {
                let problem = format!("{real} {}", model::IN_CLOUD);
                out.push(problem_entry(&dir.join(real), ModelSource::Shared, problem));
            }
        } else if is_gguf_name(&name) && !is_projector_file(&dir.join(&name)) {
            let path = dir.join(&name).display().to_string();
            out.push(described(store, &path, ModelSource::Shared)?);
        }
    }
    Ok(out)
}

fn is_gguf_name(name: &str) -> bool {
    !name.starts_with('.')
        && Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

/// How often progress is reported while copying or hashing.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
const BUFFER: usize = 4 << 20;

/// Reads `from` to the end, hashing it and passing each chunk to `sink`; reports progress.
fn stream(
    from: &Path,
    stage: ImportStage,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    progress: &mut dyn FnMut(ImportProgress),
) -> std::io::Result<String> {
    let mut file = std::fs::File::open(from)?;
    let total = file.metadata()?.len();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUFFER];
    let (mut done, mut last) = (0u64, Instant::now());
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        sink(&buf[..n])?;
        done += n as u64;
        if last.elapsed() >= PROGRESS_EVERY {
            last = Instant::now();
            progress(ImportProgress {
                stage,
                bytes_done: done,
                bytes_total: total,
            });
        }
    }
    progress(ImportProgress {
        stage,
        bytes_done: done,
        bytes_total: total,
    });
    Ok(hex::encode(hasher.finalize()))
}

/// A name in `dir` for `file` that is not taken: `m.gguf`, then `m (2).gguf`, ...
fn free_name(dir: &Path, file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    let candidate = dir.join(format!("{stem}.gguf"));
    if !candidate.exists() {
        return candidate;
    }
    (2..)
        .map(|i| dir.join(format!("{stem} ({i}).gguf")))
        .find(|p| !p.exists())
        .expect("some name is free")
}

/// Copies `from` into `dir` under a free name, through a `.partial` file renamed into place only
/// when complete, so a failed or full-disk copy leaves nothing behind; hashes it on the way.
fn copy_into(
    dir: &Path,
    from: &Path,
    progress: &mut dyn FnMut(ImportProgress),
) -> AppResult<(PathBuf, String)> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(ErrorCode::Io, dir, &e))?;
    let dest = free_name(dir, from);
    let partial = dest.with_extension("gguf.partial");
    let mut copy = || -> std::io::Result<String> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        let sha = stream(
            from,
            ImportStage::Copying,
            |chunk| out.write_all(chunk),
            progress,
        )?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&partial, &dest)?;
        Ok(sha)
    };
    let sha = copy().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        io_error(ErrorCode::Io, &dest, &e)
    })?;
    Ok((dest, sha))
}

/// A projector picked for a model is refused as a model.
fn refuse_projector(path: &Path) -> AppResult<()> {
    if is_projector_file(path) {
        return Err(AppError::new(
            ErrorCode::ModelFile,
            format!(
                "{} is a vision projector (mmproj), not a model: import its model, then pair \
                 this file with it in Models",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Imports a GGUF file. It is checked first (a file that is not GGUF, is cut short, or is a
/// vision projector is refused before anything is written); a copy goes to a `.partial` file
/// renamed into place only when complete. A projector beside the file that fits the model is
/// paired with it (copied too when the model is).
pub fn import(
    store: &Store,
    models_dir: &Path,
    shared: Option<&Path>,
    from: &Path,
    mode: ImportMode,
    progress: &mut dyn FnMut(ImportProgress),
) -> AppResult<ModelEntry> {
    let size = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
    if shared.is_some_and(|dir| inside(dir, from)) {
        // Already listed from the shared folder: a copy would only double a large file.
        refuse_projector(from)?;
        let info = model::describe_known(from, store)?;
        return described(store, &info.path.display().to_string(), ModelSource::Shared);
    }
    progress(ImportProgress {
        stage: ImportStage::Checking,
        bytes_done: 0,
        bytes_total: size,
    });
    refuse_projector(from)?;
    let info = model::check(from)?;
    let (path, source) = match mode {
        ImportMode::Reference => {
            let sha = stream(from, ImportStage::Hashing, |_| Ok(()), progress)
                .map_err(|e| io_error(ErrorCode::ModelFile, from, &e))?;
            model::remember_sha256(&info.path, &sha, store)?;
            (info.path.clone(), ModelSource::Referenced)
        }
        ImportMode::Copy => {
            let (dest, sha) = copy_into(models_dir, from, progress)?;
            model::remember_sha256(&dest, &sha, store)?;
            (dest, ModelSource::Copied)
        }
    };
    let key = path.display().to_string();
    store.library_add(&key, source)?;
    if let Some(found) = offer_beside(&info).filter(|p| p.problem.is_none()) {
        let mmproj = keep_projector(store, models_dir, source, Path::new(&found.path), progress)?;
        store.library_set_mmproj(&key, Some(&mmproj))?;
    }
    described(store, &key, source)
}

/// Where a model's projector is kept: a copied model's is copied into the models folder beside
/// it (unless it is there already), any other model's is used where it lies.
fn keep_projector(
    store: &Store,
    models_dir: &Path,
    source: ModelSource,
    projector: &Path,
    progress: &mut dyn FnMut(ImportProgress),
) -> AppResult<String> {
    // A model fetched from the hub has its projector beside it, in a folder of the models folder.
    let in_models = canonical(projector).starts_with(canonical(models_dir));
    if source != ModelSource::Copied || in_models {
        return Ok(canonical(projector).display().to_string());
    }
    let (dest, sha) = copy_into(models_dir, projector, progress)?;
    model::remember_sha256(&dest, &sha, store)?;
    Ok(dest.display().to_string())
}

/// The library's row for the model at `path` (its path as stored, and how it was added), however
/// the path is spelt.
fn library_row(store: &Store, path: &str) -> AppResult<Option<(String, ModelSource)>> {
    let want = canonical(Path::new(path));
    Ok(store
        .library()?
        .into_iter()
        .find(|(p, _)| p == path || canonical(Path::new(p)) == want))
}

fn is_builtin(data_dir: &Path, path: &str) -> bool {
    canonical(Path::new(path)) == canonical(&mobench_engine::builtin_model_path(data_dir))
}

/// Why the model at `path` cannot be paired by the user.
fn not_pairable(data_dir: &Path, path: &str) -> AppError {
    if is_builtin(data_dir, path) {
        return AppError::new(
            ErrorCode::BuiltinModel,
            "the built-in model is a text model: it takes no vision projector",
        );
    }
    AppError::new(
        ErrorCode::NotFound,
        format!(
            "{path} is not an imported model: import it first (a model in the shared folder is \
             paired with the mmproj file beside it)"
        ),
    )
}

/// Pairs an imported model with the vision projector at `projector`, after checking that it is
/// a projector llama.cpp can load and that its embeddings are as wide as the model's (the error
/// names both widths). The projector replaces any paired before.
pub fn pair_projector(
    store: &Store,
    data_dir: &Path,
    model: &str,
    projector: &Path,
) -> AppResult<ModelEntry> {
    let (key, source) = library_row(store, model)?.ok_or_else(|| not_pairable(data_dir, model))?;
    let info = model::describe_known(Path::new(&key), store)?;
    // Hashed now, once: the runs that use it record its sha256.
    mobench_engine::llama::projector_record(projector, &info, Some(store))?;
    let models_dir = mobench_engine::paths::models_dir(data_dir);
    let mmproj = keep_projector(store, &models_dir, source, projector, &mut |_| {})?;
    let before = store.library_mmproj(&key)?;
    store.library_set_mmproj(&key, Some(&mmproj))?;
    if let Some(old) = before.filter(|old| *old != mmproj) {
        forget_copy(store, data_dir, &old)?;
    }
    described(store, &key, source)
}

/// Pairs an imported model with the projector found beside it (the one its entry offers), so
/// accepting the offer needs no file dialog.
pub fn pair_beside(store: &Store, data_dir: &Path, model: &str) -> AppResult<ModelEntry> {
    let (key, _) = library_row(store, model)?.ok_or_else(|| not_pairable(data_dir, model))?;
    let info = model::describe_known(Path::new(&key), store)?;
    let offer = offer_beside(&info).ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("there is no mmproj*.gguf file beside {key}: pick the projector instead"),
        )
    })?;
    if let Some(problem) = offer.problem {
        return Err(AppError::new(ErrorCode::Projector, problem));
    }
    pair_projector(store, data_dir, &key, Path::new(&offer.path))
}

/// Removes an imported model's pairing with its projector: image datasets are then refused for
/// it. A projector the app copied is deleted when no other model uses it.
pub fn unpair_projector(store: &Store, data_dir: &Path, model: &str) -> AppResult<ModelEntry> {
    let (key, source) = library_row(store, model)?.ok_or_else(|| not_pairable(data_dir, model))?;
    let before = store.library_mmproj(&key)?;
    store.library_set_mmproj(&key, None)?;
    if let Some(old) = before {
        forget_copy(store, data_dir, &old)?;
    }
    described(store, &key, source)
}

/// Deletes a projector the app copied into its models folder once no model uses it; a projector
/// anywhere else is the user's and stays.
fn forget_copy(store: &Store, data_dir: &Path, mmproj: &str) -> AppResult<()> {
    let models_dir = canonical(&mobench_engine::paths::models_dir(data_dir));
    let file = Path::new(mmproj);
    if canonical(file).starts_with(&models_dir)
        && store.library_models_with_mmproj(mmproj)?.is_empty()
    {
        if let Err(e) = std::fs::remove_file(file) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(io_error(ErrorCode::Io, file, &e));
            }
        }
    }
    Ok(())
}

/// The vision projector the model at `path` runs image datasets with: an imported model's
/// pairing, none for the built-in model, and for any other model (the shared folder's) the
/// projector beside it that fits.
pub fn projector_for(store: &Store, data_dir: &Path, path: &str) -> AppResult<Option<PathBuf>> {
    if is_builtin(data_dir, path) {
        return Ok(None);
    }
    if let Some((key, _)) = library_row(store, path)? {
        return Ok(store.library_mmproj(&key)?.map(PathBuf::from));
    }
    let info = model::check(Path::new(path))?;
    Ok(offer_beside(&info)
        .filter(|p| p.problem.is_none())
        .map(|p| PathBuf::from(p.path)))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Whether `file` lies directly in `dir`.
fn inside(dir: &Path, file: &Path) -> bool {
    canonical(file).parent() == Some(canonical(dir).as_path())
}

/// Removes a model from the library; a copy made by the app, or a file in the shared folder, is
/// deleted, a referenced file is left where it is. A projector the app copied for the model goes
/// with it.
pub fn delete(store: &Store, data_dir: &Path, shared: Option<&Path>, path: &str) -> AppResult<()> {
    if is_builtin(data_dir, path) {
        return Err(AppError::new(
            ErrorCode::BuiltinModel,
            "the built-in model is part of the app and cannot be deleted",
        ));
    }
    if let Some(dir) = shared.filter(|dir| inside(dir, Path::new(path))) {
        let file = Path::new(path);
        if !is_gguf_name(&file_name(file)) {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("{path} is not a model in {}", dir.display()),
            ));
        }
        return std::fs::remove_file(file).map_err(|e| io_error(ErrorCode::Io, file, &e));
    }
    let mmproj = store.library_mmproj(path)?;
    let removed = store.library_remove(path)?;
    if let Some(old) = &mmproj {
        forget_copy(store, data_dir, old)?;
    }
    match removed {
        None => Err(AppError::new(
            ErrorCode::NotFound,
            format!("{path} is not in the model library"),
        )),
        Some(ModelSource::Copied) => {
            let models_dir = canonical(&mobench_engine::paths::models_dir(data_dir));
            let file = Path::new(path);
            // Only ever delete inside the app's own models folder.
            if canonical(file).starts_with(&models_dir) {
                if let Err(e) = std::fs::remove_file(file) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        return Err(io_error(ErrorCode::Io, file, &e));
                    }
                }
                // A model fetched from the hub: its other parts and its download's record.
                crate::hub::forget_deleted(store, path)?;
            }
            Ok(())
        }
        Some(_) => Ok(()),
    }
}

/// Whether a model will fit in memory at a context size.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ModelFit {
    pub model: String,
    pub fit: mobench_engine::llama::memory::Fit,
}

/// The memory check the engine makes before each load, made early so a front end can warn
/// before anything starts (the engine checks again at load: memory changes). With `images` (the
/// run shows images), each model's vision projector counts with its weights.
pub fn memory_fits(
    store: &Store,
    data_dir: &Path,
    models: &[String],
    n_ctx: u32,
    images: bool,
) -> AppResult<Vec<ModelFit>> {
    let n_batch = mobench_engine::InferenceSettings::default().n_batch;
    models
        .iter()
        .map(|model| {
            let projector = if images {
                projector_for(store, data_dir, model)?
            } else {
                None
            };
            let fit = mobench_engine::llama::memory::check_model_with(
                Path::new(model),
                projector.as_deref(),
                n_ctx,
                n_batch,
            )?;
            Ok(ModelFit {
                model: model.clone(),
                fit,
            })
        })
        .collect()
}
