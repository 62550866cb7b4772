//! A model file's identity: checked before llama.cpp loads it, hashed (sha256, cached by
//! path + size + modification time), and described from its GGUF metadata.

use std::path::{Path, PathBuf};

use mobench_store::{NewModel, Store};
use serde::Serialize;

use super::gguf;
use crate::error::EngineError;

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub name: Option<String>,
    pub architecture: Option<String>,
    pub quantization: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
    pub n_ctx_train: u32,
    pub has_chat_template: bool,
    /// From the tensor shapes in the header; llama.cpp's own count replaces it once loaded.
    pub n_params: u64,
    /// Width of the model's token embeddings (what a vision projector must project into); 0 when
    /// the header does not say.
    pub n_embd: u64,
}

impl ModelInfo {
    /// The model's own name from its header, else its path.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.path.display().to_string())
    }

    pub fn to_record(&self) -> NewModel {
        NewModel {
            path: self.path.display().to_string(),
            sha256: self.sha256.clone(),
            size_bytes: self.size_bytes,
            name: self.name.clone(),
            architecture: self.architecture.clone(),
            n_params: self.n_params,
            quantization: self.quantization.clone(),
            n_ctx_train: self.n_ctx_train,
            has_chat_template: self.has_chat_template,
        }
    }
}

fn file_err(path: &Path, message: impl Into<String>) -> EngineError {
    EngineError::ModelFile {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Checks that `path` is a readable, complete GGUF file and describes it, sha256 included.
pub fn inspect(path: &Path, store: Option<&Store>) -> Result<ModelInfo, EngineError> {
    let (mut info, meta) = describe(path)?;
    info.sha256 = sha256_cached(path, &meta, store)?;
    Ok(info)
}

/// The checks and the description from the GGUF header alone, without reading the whole file
/// for its sha256 (which `inspect` adds): enough to validate a request before any work.
pub fn check(path: &Path) -> Result<ModelInfo, EngineError> {
    describe(path).map(|(info, _)| info)
}

/// The GGUF header of `path` after the checks every model gets (exists, is a file, is on this
/// device and not only in iCloud, is GGUF and whole), with the file's metadata.
pub fn checked_header(path: &Path) -> Result<(gguf::Header, std::fs::Metadata), EngineError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => file_err(path, "does not exist"),
        std::io::ErrorKind::PermissionDenied => {
            file_err(path, "cannot be read (permission denied)")
        }
        _ => file_err(path, format!("cannot be read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(file_err(path, "is a folder, not a GGUF file"));
    }
    if in_cloud_only(&meta) {
        // Reading it would download it first, inside the load time, and the system may evict
        // it again while it is mapped.
        return Err(file_err(path, IN_CLOUD));
    }
    let header = gguf::read_header(path).map_err(|e| match e {
        gguf::GgufError::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            file_err(path, "cannot be read (permission denied)")
        }
        other => file_err(path, other.to_string()),
    })?;
    Ok((header, meta))
}

fn describe(path: &Path) -> Result<(ModelInfo, std::fs::Metadata), EngineError> {
    let (header, meta) = checked_header(path)?;
    let arch = header.str("general.architecture").map(str::to_string);
    let n_ctx_train = arch
        .as_deref()
        .and_then(|a| header.int(&format!("{a}.context_length")))
        .unwrap_or(0) as u32;
    let n_embd = arch
        .as_deref()
        .and_then(|a| header.int(&format!("{a}.embedding_length")))
        .unwrap_or(0)
        .max(0) as u64;
    let info = ModelInfo {
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        name: header.str("general.name").map(str::to_string),
        architecture: arch,
        quantization: header.quantization(),
        size_bytes: meta.len(),
        sha256: String::new(),
        n_ctx_train,
        has_chat_template: header.str("tokenizer.chat_template").is_some(),
        n_params: header.n_elements,
        n_embd,
    };
    Ok((info, meta))
}

/// [`check`] plus the sha256 if it is already known (cached for this path, size and modification
/// time); never reads the whole file, so listing a library of large models stays instant.
pub fn describe_known(path: &Path, store: &Store) -> Result<ModelInfo, EngineError> {
    let (mut info, meta) = describe(path)?;
    info.sha256 = store
        .cached_sha256(&cache_key(path), meta.len(), mtime_ns(&meta))?
        .unwrap_or_default();
    Ok(info)
}

/// Why a file kept in iCloud is not used.
pub const IN_CLOUD: &str = "is stored in iCloud, not on this device: download it first (in the \
     Files app, \"Download Now\"); MobileAIBench never loads a model from iCloud";

/// APFS's `SF_DATALESS` (`<sys/stat.h>`): the file's data lives in the cloud and reading it
/// makes the system download it.
pub const SF_DATALESS: u32 = 0x4000_0000;

/// Whether only a placeholder of the file is on this device (iCloud Drive evicted its data).
pub fn in_cloud_only(meta: &std::fs::Metadata) -> bool {
    #[cfg(target_os = "ios")]
    use std::os::ios::fs::MetadataExt;
    #[cfg(target_os = "macos")]
    use std::os::macos::fs::MetadataExt;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    return meta.st_flags() & SF_DATALESS != 0;
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        let _ = meta;
        false
    }
}

/// The file an iCloud placeholder stands for: iCloud Drive replaces an evicted `m.gguf` with a
/// hidden `.m.gguf.icloud`.
pub fn icloud_placeholder_of(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix('.')?
        .strip_suffix(".icloud")
        .filter(|name| !name.is_empty())
}

/// Records a sha256 computed elsewhere (while copying the file, say) so it is not computed again.
pub fn remember_sha256(path: &Path, sha256: &str, store: &Store) -> Result<(), EngineError> {
    let meta =
        std::fs::metadata(path).map_err(|e| file_err(path, format!("cannot be read: {e}")))?;
    store.put_sha256(&cache_key(path), meta.len(), mtime_ns(&meta), sha256)?;
    Ok(())
}

fn cache_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

pub(crate) fn sha256_cached(
    path: &Path,
    meta: &std::fs::Metadata,
    store: Option<&Store>,
) -> Result<String, EngineError> {
    let key = cache_key(path);
    if let Some(store) = store {
        if let Some(hit) = store.cached_sha256(&key, meta.len(), mtime_ns(meta))? {
            return Ok(hit);
        }
    }
    let sha = sha256_file(path)?;
    if let Some(store) = store {
        store.put_sha256(&key, meta.len(), mtime_ns(meta), &sha)?;
    }
    Ok(sha)
}

/// Streams a file through sha256.
pub fn sha256_file(path: &Path) -> Result<String, EngineError> {
    mobench_tasks::fetch::sha256_file(path)
        .map_err(|e| file_err(path, format!("cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icloud_placeholders_name_the_file_they_stand_for() {
        assert_eq!(
            icloud_placeholder_of(".phi-2.Q4_K_M.gguf.icloud"),
            Some("phi-2.Q4_K_M.gguf")
        );
        assert_eq!(icloud_placeholder_of("phi-2.gguf"), None);
        assert_eq!(icloud_placeholder_of(".hidden.gguf"), None);
        assert_eq!(icloud_placeholder_of("..icloud"), None);
    }

    #[test]
    fn sha256_is_cached_by_path_size_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        mobench_gen::write_gguf(&mobench_gen::ModelSpec::tiny(), &path).unwrap();
        let store = Store::open_in_memory().unwrap();
        let real = inspect(&path, Some(&store)).unwrap().sha256;
        assert_eq!(real, sha256_file(&path).unwrap());

        // A cached value is used while path, size and mtime are unchanged...
        let meta = std::fs::metadata(&path).unwrap();
        let key = std::fs::canonicalize(&path).unwrap().display().to_string();
        store
            .put_sha256(&key, meta.len(), mtime_ns(&meta), "cached")
            .unwrap();
        assert_eq!(inspect(&path, Some(&store)).unwrap().sha256, "cached");

        // ...and not once the file changes.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(inspect(&path, Some(&store)).unwrap().sha256, real);
    }
}
