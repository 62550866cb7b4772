//! Getting models from the Hugging Face hub into the library: the catalog of recommended phone
//! models, search, a repository's GGUF files marked with whether each fits this device, and
//! downloads that resume, are checked against the hub's sha256, and become ordinary library
//! models (kept in the app's `models/hub/<owner>--<name>/` folder, deleted with the model).
//!
//! Each download is recorded in the store as it goes, so the download list survives navigation
//! and a restart: a download found running at start was stopped by the app closing and is
//! paused; fetching it again resumes from its part files.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use mobench_engine::llama::memory::{self, Shape, Verdict};
use mobench_engine::llama::model;
use mobench_hub::{download, CatalogModel, Hub, HubError, ModelCatalog, RepoFile};
use mobench_store::downloads::{DownloadRow, DownloadStatus};
use mobench_store::library::ModelSource;
use mobench_store::Store;
use serde::Serialize;

use crate::error::{AppError, AppResult, ErrorCode};
use crate::library::{self, ModelEntry};

pub use mobench_hub::download::DownloadProgress;
pub use mobench_hub::{RepoSummary, DEFAULT_ENDPOINT, ENDPOINT_ENV, TOKEN_ENV};

impl From<HubError> for AppError {
    fn from(e: HubError) -> AppError {
        let code = match &e {
            HubError::Gated { .. } | HubError::TokenRefused { .. } => ErrorCode::Gated,
            HubError::NotFound { .. } => ErrorCode::NotFound,
            HubError::Checksum { .. } | HubError::Size { .. } => ErrorCode::Checksum,
            HubError::NotGguf { .. } => ErrorCode::ModelFile,
            HubError::NoSpace { .. } => ErrorCode::NoSpace,
            HubError::Cancelled { .. } => ErrorCode::Paused,
            HubError::Io { .. } => ErrorCode::Io,
            HubError::Invalid(_) => ErrorCode::Settings,
            HubError::Network { .. } | HubError::Http { .. } | HubError::NotApi { .. } => {
                ErrorCode::Download
            }
        };
        AppError::new(code, e.to_string())
    }
}

/// Whether a model of this size will fit in memory here, before it is downloaded: the engine's
/// estimate with what the file alone tells (its weights and llama.cpp's fixed needs; the context
/// comes on top once the header can be read).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DeviceFit {
    pub verdict: Verdict,
    /// In words, when it does not fit comfortably or cannot be told.
    pub message: Option<String>,
}

pub fn fit_for_size(bytes: u64) -> DeviceFit {
    let shape = Shape {
        weights_bytes: bytes,
        n_layer: 0,
        n_embd: 0,
        n_head: 0,
        n_head_kv: 0,
        head_dim_k: 0,
        head_dim_v: 0,
        n_vocab: 0,
        n_ctx_train: 0,
    };
    let estimate = shape.estimate(1, 1);
    let fit = memory::check(estimate, memory::current_limit(), 0);
    let need = estimate.total_bytes as f64 / 1e9;
    let message = match fit.verdict {
        Verdict::Fits => None,
        Verdict::Unknown => fit.message,
        Verdict::Tight => Some(format!(
            "needs at least {need:.2} GB before its context: it should fit, with little to spare"
        )),
        Verdict::WontFit => Some(format!(
            "needs at least {need:.2} GB before its context: more memory than this device has free"
        )),
    };
    DeviceFit {
        verdict: fit.verdict,
        message,
    }
}

/// The hub for these settings: `endpoint` (the app's setting), else `HF_ENDPOINT`, else
/// huggingface.co; the token from the caller (the keychain), else `HF_TOKEN`.
pub fn hub(endpoint: Option<&str>, token: Option<String>) -> AppResult<Hub> {
    Ok(Hub::new(
        endpoint,
        token.or_else(mobench_hub::client::token_from_env),
    )?)
}

/// A catalog model as Models shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CatalogEntry {
    pub name: String,
    pub title: String,
    pub repo: String,
    pub params: String,
    pub licence: String,
    pub template: String,
    pub notes: Option<String>,
    pub vision: bool,
    pub quants: Vec<CatalogQuantEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CatalogQuantEntry {
    pub quant: String,
    pub file: Option<String>,
    /// Known without asking the hub; else the hub's list gives it when fetching.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bytes: Option<u64>,
    pub fit: Option<DeviceFit>,
    /// `NAME:QUANT`, what `fetch` takes.
    pub spec: String,
}

pub fn catalog() -> Vec<CatalogEntry> {
    ModelCatalog::builtin()
        .models()
        .iter()
        .map(|m| CatalogEntry {
            name: m.name.clone(),
            title: m.title.clone(),
            repo: m.repo.clone(),
            params: m.params.clone(),
            licence: m.licence.clone(),
            template: m.template.clone(),
            notes: m.notes.clone(),
            vision: m.vision,
            quants: m
                .quants
                .iter()
                .map(|q| CatalogQuantEntry {
                    quant: q.quant.clone(),
                    file: q.file.clone(),
                    bytes: q.bytes,
                    fit: q.bytes.map(fit_for_size),
                    spec: format!("{}:{}", m.name, q.quant),
                })
                .collect(),
        })
        .collect()
}

pub fn search(hub: &Hub, text: &str) -> AppResult<Vec<RepoSummary>> {
    Ok(hub.search(text, 50)?)
}

/// A GGUF file of a repository as Models lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct HubFile {
    pub path: String,
    /// All parts, for a split model.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    pub sha256: Option<String>,
    pub quant: Option<String>,
    /// Parts, for a split model (listed once, by its first part).
    pub parts: Option<u32>,
    pub is_mmproj: bool,
    pub fit: DeviceFit,
}

/// The repository's GGUF files: models first (a split model once, with the size of all its
/// parts), then projectors; each marked with whether it fits this device.
pub fn repo_files(hub: &Hub, repo: &str) -> AppResult<Vec<HubFile>> {
    let files = hub.files(repo)?;
    let mut out: Vec<HubFile> = files
        .iter()
        .filter(|f| f.split.is_none_or(|(part, _)| part == 1))
        .map(|f| {
            let size = match f.split {
                Some(_) => mobench_hub::client::file_set_of(repo, &files, f)
                    .map(|set| set.iter().map(|p| p.size).sum())
                    .unwrap_or(f.size),
                None => f.size,
            };
            HubFile {
                path: f.path.clone(),
                size,
                sha256: f.sha256.clone(),
                quant: f.quant.clone(),
                parts: f.split.map(|(_, n)| n),
                is_mmproj: f.is_mmproj,
                fit: fit_for_size(size),
            }
        })
        .collect();
    out.sort_by_key(|f| f.is_mmproj);
    Ok(out)
}

/// What to fetch: a catalog model (`NAME` or `NAME:QUANT`) or a file of a repository.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchTarget {
    Catalog { spec: String },
    File { repo: String, file: String },
}

/// The files a fetch brings: the model (each part) and its projector.
#[derive(Debug, Clone)]
pub struct Plan {
    pub repo: String,
    pub catalog: Option<String>,
    pub model: Vec<RepoFile>,
    pub mmproj: Option<RepoFile>,
}

impl Plan {
    pub fn files(&self) -> Vec<RepoFile> {
        self.model.iter().chain(&self.mmproj).cloned().collect()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files().iter().map(|f| f.size).sum()
    }
}

/// Asks the hub which files `target` means.
pub fn plan(hub: &Hub, target: &FetchTarget) -> AppResult<Plan> {
    match target {
        FetchTarget::File { repo, file } => Ok(Plan {
            repo: repo.clone(),
            catalog: None,
            model: hub.file_set(repo, file)?,
            mmproj: None,
        }),
        FetchTarget::Catalog { spec } => {
            let catalog = ModelCatalog::builtin();
            let (model, quant): (&CatalogModel, _) = catalog.find(spec)?;
            let mut files = model
                .pick(quant, &hub.files(&model.repo)?)
                .map_err(|e| match e {
                    // The catalog does not know which hub it was asked of.
                    HubError::NotFound { what, .. } => HubError::NotFound {
                        what,
                        endpoint: hub.endpoint().to_owned(),
                    },
                    other => other,
                })?;
            let mmproj = if model.vision { files.pop() } else { None };
            Ok(Plan {
                repo: model.repo.clone(),
                catalog: Some(format!("{}:{}", model.name, quant.quant)),
                model: files,
                mmproj,
            })
        }
    }
}

/// Where a repository's files are kept: `models/hub/<owner>--<name>/`.
pub fn repo_dir(data_dir: &Path, repo: &str) -> PathBuf {
    mobench_engine::paths::models_dir(data_dir)
        .join("hub")
        .join(repo.replace('/', "--"))
}

/// Limits of a download (a quota below the disk's free space).
pub type Limits = download::Limits;

/// Downloads what `plan` names, recording its progress in the store, and adds the model to the
/// library (paired with its projector). On a cancel the part files stay and the download is
/// paused; on any other failure it is recorded as failed with the reason, and nothing half
/// written is listed.
pub fn fetch(
    store: &Store,
    data_dir: &Path,
    hub: &Hub,
    plan: &Plan,
    limits: Limits,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&DownloadProgress),
) -> AppResult<ModelEntry> {
    let dir = repo_dir(data_dir, &plan.repo);
    let files = plan.files();
    let first = &plan.model[0];
    let id = store.download_start(
        &plan.repo,
        &first.path,
        plan.mmproj.as_ref().map(|m| m.path.as_str()),
        plan.catalog.as_deref(),
        download::bytes_present(&dir, &files),
        plan.total_bytes(),
    )?;
    let mut saved = Instant::now();
    let result =
        download::download_files(hub, &plan.repo, &files, &dir, limits, cancel, &mut |p| {
            if saved.elapsed() >= Duration::from_millis(500) {
                saved = Instant::now();
                let _ = store.download_progress(id, p.done_bytes);
            }
            progress(p)
        });
    let paths = match result {
        Ok(paths) => paths,
        Err(e) => {
            let status = match e {
                HubError::Cancelled { .. } => DownloadStatus::Paused,
                _ => DownloadStatus::Failed,
            };
            let _ = store.download_progress(id, download::bytes_present(&dir, &files));
            store.download_end(id, status, Some(&e.to_string()), None)?;
            return Err(e.into());
        }
    };
    match add_to_library(store, data_dir, plan, &paths) {
        Ok(entry) => {
            store.download_progress(id, plan.total_bytes())?;
            store.download_end(id, DownloadStatus::Done, None, Some(&entry.path))?;
            Ok(entry)
        }
        Err(e) => {
            for p in &paths {
                let _ = std::fs::remove_file(p);
            }
            store.download_end(id, DownloadStatus::Failed, Some(&e.message), None)?;
            Err(e)
        }
    }
}

fn add_to_library(
    store: &Store,
    data_dir: &Path,
    plan: &Plan,
    paths: &[PathBuf],
) -> AppResult<ModelEntry> {
    let model_path = &paths[0];
    // The hub's sha256 matched; llama.cpp must also be able to read it as a model.
    let info = model::check(model_path)?;
    if library::is_projector_file(model_path) {
        return Err(AppError::new(
            ErrorCode::ModelFile,
            format!(
                "{} is a vision projector (mmproj), not a model: fetch its model instead",
                plan.model[0].path
            ),
        ));
    }
    if let Some(sha) = &plan.model[0].sha256 {
        model::remember_sha256(&info.path, sha, store)?;
    }
    let key = model_path.display().to_string();
    store.library_add(&key, ModelSource::Copied)?;
    if plan.mmproj.is_some() {
        let projector = paths.last().expect("the projector was fetched");
        if let Err(e) = library::pair_projector(store, data_dir, &key, projector) {
            store.library_remove(&key)?;
            return Err(e);
        }
    }
    library::entry_of(store, &key, ModelSource::Copied)
}

/// Every download, latest first.
pub fn downloads(store: &Store) -> AppResult<Vec<DownloadRow>> {
    Ok(store.downloads()?)
}

/// Downloads stopped by the app closing are paused (at start, before any can run).
pub fn pause_interrupted(store: &Store) -> AppResult<usize> {
    Ok(store.downloads_pause_running()?)
}

/// What a stored download asks for again, to resume it.
pub fn target_of(row: &DownloadRow) -> FetchTarget {
    match &row.catalog {
        Some(spec) => FetchTarget::Catalog { spec: spec.clone() },
        None => FetchTarget::File {
            repo: row.repo.clone(),
            file: row.file.clone(),
        },
    }
}

/// Forgets a download that is not running, with its part files; a finished one's model stays in
/// the library (delete it there).
pub fn forget_download(store: &Store, data_dir: &Path, id: i64) -> AppResult<()> {
    let row = store
        .download(id)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("there is no download {id}")))?;
    if row.status == DownloadStatus::Running {
        return Err(AppError::new(
            ErrorCode::Busy,
            format!("{} is downloading: pause it first", row.file),
        ));
    }
    if row.status != DownloadStatus::Done {
        let dir = repo_dir(data_dir, &row.repo);
        for name in [Some(&row.file), row.mmproj.as_ref()].into_iter().flatten() {
            remove_parts(&dir, name);
        }
    }
    store.download_remove(id)?;
    Ok(())
}

/// Removes `.part` files of `file` (every part of a split model) in `dir`.
fn remove_parts(dir: &Path, file: &str) {
    let base = mobench_hub::names::base_name(file);
    let mut names = vec![base.to_owned()];
    if let Some((_, count)) = mobench_hub::names::split_part(base) {
        names.extend((2..=count).filter_map(|n| mobench_hub::names::split_sibling(base, n, count)));
    }
    for name in names {
        let _ = std::fs::remove_file(download::part_path(&dir.join(name)));
    }
}

/// The other parts of a downloaded split model, deleted with its first (the library's entry).
pub(crate) fn split_siblings(path: &Path) -> Vec<PathBuf> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let Some((1, count)) = mobench_hub::names::split_part(name) else {
        return Vec::new();
    };
    (2..=count)
        .filter_map(|n| mobench_hub::names::split_sibling(name, n, count))
        .map(|sibling| path.with_file_name(sibling))
        .collect()
}

/// After a downloaded model was deleted from the library: its other parts go too, its
/// download's record, and its folder when that is now empty.
pub(crate) fn forget_deleted(store: &Store, path: &str) -> AppResult<()> {
    for sibling in split_siblings(Path::new(path)) {
        let _ = std::fs::remove_file(sibling);
    }
    if let Some(row) = store.download_of_path(path)? {
        store.download_remove(row.id)?;
        if let Some(dir) = Path::new(path).parent() {
            // Only succeeds when empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_models_other_parts_are_found_from_its_first() {
        let first = Path::new("/d/m/x-Q8_0-00001-of-00003.gguf");
        assert_eq!(
            split_siblings(first),
            [
                PathBuf::from("/d/m/x-Q8_0-00002-of-00003.gguf"),
                PathBuf::from("/d/m/x-Q8_0-00003-of-00003.gguf")
            ]
        );
        assert!(split_siblings(Path::new("/d/m/x-Q8_0.gguf")).is_empty());
        // Only the first part is a library entry; a later part names no siblings.
        assert!(split_siblings(Path::new("/d/m/x-Q8_0-00002-of-00003.gguf")).is_empty());
    }

    #[test]
    fn a_file_the_size_of_a_phone_model_fits_and_a_huge_one_does_not() {
        assert_ne!(fit_for_size(1 << 20).verdict, Verdict::WontFit);
        let huge = fit_for_size(1 << 50);
        assert!(
            matches!(huge.verdict, Verdict::WontFit | Verdict::Unknown),
            "{huge:?}"
        );
        if huge.verdict == Verdict::WontFit {
            assert!(huge
                .message
                .unwrap()
                .contains("more memory than this device has free"));
        }
    }

    #[test]
    fn hub_errors_keep_their_meaning_as_codes() {
        let e: AppError = HubError::Gated { repo: "a/b".into() }.into();
        assert_eq!(e.code, ErrorCode::Gated);
        let e: AppError = HubError::NoSpace {
            dir: "/d".into(),
            need: 2,
            free: 1,
        }
        .into();
        assert_eq!(e.code, ErrorCode::NoSpace);
        let e: AppError = HubError::Cancelled {
            file: "f".into(),
            done: 1,
            total: 2,
        }
        .into();
        assert_eq!(e.code, ErrorCode::Paused);
    }
}
