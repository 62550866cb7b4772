//! The model library: the built-in tiny model, and GGUF files the user imported, either copied
//! into the app's models folder (with progress, hashed on the way) or referenced in place.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mobench_engine::llama::model::{self, ModelInfo};
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
    }
}

fn described(store: &Store, path: &Path, source: ModelSource) -> ModelEntry {
    match model::describe_known(path, store) {
        Ok(info) => entry(info, source),
        Err(e) => problem_entry(path, source, e.to_string()),
    }
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
        out.push(described(store, Path::new(&path), source));
    }
    if let Some(dir) = shared {
        out.extend(shared_models(store, dir)?);
    }
    Ok(out)
}

/// The models in the shared folder, by file name. A `.gguf.partial` of a copy in progress and
/// other files are left out; an iCloud placeholder is listed with what to do about it.
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
            if is_gguf_name(real) {
                let problem = format!("{real} {}", model::IN_CLOUD);
                out.push(problem_entry(&dir.join(real), ModelSource::Shared, problem));
            }
        } else if is_gguf_name(&name) {
            out.push(described(store, &dir.join(&name), ModelSource::Shared));
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

/// Imports a GGUF file. It is checked first (a file that is not GGUF, or is cut short, is refused
/// before anything is written); a copy goes to a `.partial` file renamed into place only when
/// complete, so a failed or full-disk copy leaves nothing behind.
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
        return Ok(entry(
            model::describe_known(from, store)?,
            ModelSource::Shared,
        ));
    }
    progress(ImportProgress {
        stage: ImportStage::Checking,
        bytes_done: 0,
        bytes_total: size,
    });
    let info = model::check(from)?;
    let (path, source) = match mode {
        ImportMode::Reference => {
            let sha = stream(from, ImportStage::Hashing, |_| Ok(()), progress)
                .map_err(|e| io_error(ErrorCode::ModelFile, from, &e))?;
            model::remember_sha256(&info.path, &sha, store)?;
            (info.path.clone(), ModelSource::Referenced)
        }
        ImportMode::Copy => {
            std::fs::create_dir_all(models_dir)
                .map_err(|e| io_error(ErrorCode::Io, models_dir, &e))?;
            let dest = free_name(models_dir, from);
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
            model::remember_sha256(&dest, &sha, store)?;
            (dest, ModelSource::Copied)
        }
    };
    store.library_add(&path.display().to_string(), source)?;
    Ok(entry(model::describe_known(&path, store)?, source))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Whether `file` lies directly in `dir`.
fn inside(dir: &Path, file: &Path) -> bool {
    canonical(file).parent() == Some(canonical(dir).as_path())
}

/// Removes a model from the library; a copy made by the app, or a file in the shared folder, is
/// deleted, a referenced file is left where it is.
pub fn delete(store: &Store, data_dir: &Path, shared: Option<&Path>, path: &str) -> AppResult<()> {
    if canonical(Path::new(path)) == canonical(&mobench_engine::builtin_model_path(data_dir)) {
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
    match store.library_remove(path)? {
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
/// before anything starts (the engine checks again at load: memory changes).
pub fn memory_fits(models: &[String], n_ctx: u32) -> AppResult<Vec<ModelFit>> {
    let n_batch = mobench_engine::InferenceSettings::default().n_batch;
    models
        .iter()
        .map(|model| {
            let fit = mobench_engine::llama::memory::check_model(Path::new(model), n_ctx, n_batch)?;
            Ok(ModelFit {
                model: model.clone(),
                fit,
            })
        })
        .collect()
}
