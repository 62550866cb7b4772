//! Quantizing a model on this device with llama.cpp's own quantizer (`llama_model_quantize`, the
//! code behind `llama-quantize`), checked before it starts and after it ends.
//!
//! llama.cpp's call has no progress callback and no way to stop it. Progress comes from the line
//! it logs per tensor (see `llama::log::quant_log`). It runs on a thread of its own and writes to
//! a hidden temporary file beside the output, renamed into place only once the result is checked:
//! a cancel returns at once and unlinks the temporary file (llama.cpp cannot be interrupted: its
//! thread runs to its end in the background, into a file no name points at); a killed process
//! leaves only the temporary file, which the next quantization to the same output (a resumed
//! study's, say) removes first. The output path never holds a partial file.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::types::{self, QuantType};
use crate::error::EngineError;
use crate::events::Control;
use crate::llama::log::quant_log;
use crate::llama::{backend, load_model, model};

/// What a quantization will do, decided before anything is written.
#[derive(Debug, Clone, Serialize)]
pub struct QuantPlan {
    pub base: PathBuf,
    /// The base model's type, e.g. `F16`.
    pub base_type: String,
    pub base_architecture: Option<String>,
    pub qtype: QuantType,
    pub out: PathBuf,
    /// The base is already quantized (Q8_0): llama-quantize needs `--allow-requantize` for it.
    pub requantize: bool,
    /// The output's size as llama.cpp's dry run computes it, plus the header.
    pub expected_bytes: u64,
    /// Free space where the output goes, when the system says.
    pub free_bytes: Option<u64>,
    pub warnings: Vec<String>,
}

/// A quantized model, checked (its header is whole and says the type asked for, llama.cpp loads
/// it) and hashed.
#[derive(Debug, Clone, Serialize)]
pub struct Quantized {
    pub path: PathBuf,
    pub qtype: &'static str,
    pub size_bytes: u64,
    pub sha256: String,
    pub seconds: f64,
    pub requantized: bool,
    pub warnings: Vec<String>,
}

/// Tensors done so far.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct QuantProgress {
    pub tensors_done: u32,
    pub tensors_total: u32,
}

fn err(path: &Path, message: impl Into<String>) -> EngineError {
    EngineError::Quantize {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The ggml tensor types a model may be quantized from.
// ggml's enums are `u32` in Linux bindings and `i32` in others: the casts are for those.
#[allow(clippy::unnecessary_cast)]
fn source_tensor_ok(ggml_type: u32) -> Option<bool> {
    // Some(requantize?) for the allowed ones.
    match ggml_type {
        t if t == llama_cpp_sys_2::GGML_TYPE_F32 as u32
            || t == llama_cpp_sys_2::GGML_TYPE_F16 as u32
            || t == llama_cpp_sys_2::GGML_TYPE_BF16 as u32 =>
        {
            Some(false)
        }
        t if t == llama_cpp_sys_2::GGML_TYPE_Q8_0 as u32 => Some(true),
        _ => None,
    }
}

/// The hidden file a quantization to `out` writes before it is checked and renamed.
pub fn temp_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.gguf".into());
    out.with_file_name(format!(".{name}.part"))
}

/// Checks a quantization of `base` to `type_name` written to `out` before anything is written:
/// the base is a whole GGUF in a type that can be quantized from, the type is one this llama.cpp
/// knows and can make without an importance matrix, and the output fits on the disk.
pub fn plan(base: &Path, type_name: &str, out: &Path) -> Result<QuantPlan, EngineError> {
    let qtype = types::parse(type_name).ok_or_else(|| {
        err(
            out,
            format!(
                "'{type_name}' is not a quantization type this llama.cpp build knows (it knows {})",
                types::all_names()
            ),
        )
    })?;
    let (header, meta) = model::checked_header(base)?;
    let base_type = header.quantization().unwrap_or_else(|| "unknown".into());
    let mut requantize = false;
    for t in &header.tensors {
        match source_tensor_ok(t.ggml_type) {
            Some(re) => requantize |= re,
            None => {
                return Err(err(
                    base,
                    format!(
                        "is {base_type} (tensor {} is of ggml type {}): it cannot be quantized \
                         from; quantize from a {} model",
                        t.name,
                        ggml_type_name(t.ggml_type),
                        types::SOURCES.join(", ")
                    ),
                ))
            }
        }
    }
    if header.str("general.architecture").is_none() {
        return Err(err(
            base,
            "has no general.architecture: llama.cpp cannot load it",
        ));
    }
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !out_dir.is_dir() {
        return Err(err(
            out,
            format!("its folder {} does not exist", out_dir.display()),
        ));
    }
    if same_file(base, out) {
        return Err(err(
            out,
            "is the base model itself: choose another output file",
        ));
    }
    let mut warnings = Vec::new();
    if requantize {
        warnings.push(format!(
            "{} is already quantized ({base_type}): requantizing to {} loses more quality than \
             quantizing from F16 or F32 would (llama-quantize needs --allow-requantize for this)",
            base.display(),
            qtype.name
        ));
    }
    let dry = dry_run(base, qtype)?;
    if dry.needs_imatrix {
        return Err(err(
            out,
            format!(
                "{} needs an importance matrix for this model, which MobileAIBench does not make; \
                 choose another type (e.g. {})",
                qtype.name,
                types::USUAL.join(", ")
            ),
        ));
    }
    let (Some(model_mib), Some(quant_mib)) = (dry.model_mib, dry.quant_mib) else {
        return Err(err(
            base,
            "llama.cpp's dry run did not report the sizes; cannot check the free space",
        ));
    };
    let mib = |m: f64| (m * 1024.0 * 1024.0).round() as u64;
    // Header and padding are the input's bytes outside its tensor data; the dry run's sizes are
    // printed to 0.01 MiB, so allow for that rounding.
    let header_bytes = meta.len().saturating_sub(mib(model_mib));
    let expected_bytes = mib(quant_mib) + header_bytes + mib(0.01);
    let free_bytes = free_space(&out_dir);
    check_space(out, expected_bytes, free_bytes)?;
    if free_bytes.is_none() {
        warnings.push(format!(
            "the free space in {} is unknown; the output needs about {:.1} MB",
            out_dir.display(),
            expected_bytes as f64 / 1e6
        ));
    }
    Ok(QuantPlan {
        base: base.to_path_buf(),
        base_type,
        base_architecture: header.str("general.architecture").map(str::to_string),
        qtype,
        out: out.to_path_buf(),
        requantize,
        expected_bytes,
        free_bytes,
        warnings,
    })
}

/// Some room beyond the expected size, so the disk is not filled to the last byte.
const SPACE_MARGIN: u64 = 16 << 20;

fn check_space(out: &Path, expected: u64, free: Option<u64>) -> Result<(), EngineError> {
    match free {
        Some(free) if free < expected + SPACE_MARGIN => Err(err(
            out,
            format!(
                "not enough free space: the output needs about {:.1} MB (and {} MB spare), {:.1} \
                 MB are free",
                expected as f64 / 1e6,
                SPACE_MARGIN >> 20,
                free as f64 / 1e6
            ),
        )),
        _ => Ok(()),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[allow(clippy::unnecessary_cast)]
fn ggml_type_name(t: u32) -> String {
    // SAFETY: ggml returns a static string for every type value below GGML_TYPE_COUNT, and
    // "NONE" (never a null pointer) for the removed ones; the bound is checked first.
    if t >= llama_cpp_sys_2::GGML_TYPE_COUNT as u32 {
        return format!("{t}");
    }
    let p = unsafe { llama_cpp_sys_2::ggml_type_name(t as llama_cpp_sys_2::ggml_type) };
    if p.is_null() {
        return format!("{t}");
    }
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

fn c_path(path: &Path) -> Result<CString, EngineError> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| err(path, "the path holds a NUL byte"))
}

fn params(
    qtype: QuantType,
    threads: u32,
    requantize: bool,
) -> llama_cpp_sys_2::llama_model_quantize_params {
    // SAFETY: returns a plain struct of defaults.
    let mut p = unsafe { llama_cpp_sys_2::llama_model_quantize_default_params() };
    p.ftype = qtype.ftype as llama_cpp_sys_2::llama_ftype;
    p.nthread = threads as i32;
    p.allow_requantize = requantize;
    p
}

/// llama.cpp's dry run: the sizes it would write and whether it needs an importance matrix.
fn dry_run(base: &Path, qtype: QuantType) -> Result<quant_log::Seen, EngineError> {
    backend()?;
    let inp = c_path(base)?;
    let out = CString::default();
    let mut p = params(qtype, 1, true);
    p.dry_run = true;
    crate::llama::log::clear_error();
    quant_log::start(quant_log::Progress::default());
    // SAFETY: both paths are NUL-terminated and outlive the call; `p` is a valid params struct.
    let rc = unsafe { llama_cpp_sys_2::llama_model_quantize(inp.as_ptr(), out.as_ptr(), &p) };
    let seen = quant_log::take();
    if rc != 0 {
        let why = crate::llama::log::first_error().unwrap_or_else(|| format!("code {rc}"));
        return Err(err(base, format!("llama.cpp cannot quantize it: {why}")));
    }
    Ok(seen)
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
pub fn free_space(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let c = CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
        // SAFETY: `c` is NUL-terminated; `st` is written by statvfs on success.
        if unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
            return None;
        }
        let st = unsafe { st.assume_init() };
        #[allow(clippy::unnecessary_cast)]
        Some(st.f_bavail as u64 * st.f_frsize as u64)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Quantizes as planned with `threads` threads (0: llama.cpp's default, every hardware thread),
/// reporting progress about every 100 ms; `Control::Stop` from `on_progress` cancels.
pub fn quantize(
    plan: &QuantPlan,
    threads: u32,
    on_progress: &mut dyn FnMut(QuantProgress) -> Control,
) -> Result<Quantized, EngineError> {
    backend()?;
    let out = plan.out.clone();
    let part = temp_path(&out);
    // A quantization killed before left this behind.
    remove_quietly(&part);
    let inp = c_path(&plan.base)?;
    let part_c = c_path(&part)?;
    let (qtype, requantize) = (plan.qtype, plan.requantize);
    let progress = quant_log::Progress::default();
    let abandoned = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    {
        let progress = progress.clone();
        let abandoned = abandoned.clone();
        let part = part.clone();
        std::thread::Builder::new()
            .name("mobench-quantize".into())
            .spawn(move || {
                // Made here: the struct holds raw pointers (all null), which are not `Send`.
                let p = params(qtype, threads, requantize);
                crate::llama::log::clear_error();
                quant_log::start(progress);
                // SAFETY: both paths are NUL-terminated and owned by this thread for the call;
                // `p` is a valid params struct.
                let rc = unsafe {
                    llama_cpp_sys_2::llama_model_quantize(inp.as_ptr(), part_c.as_ptr(), &p)
                };
                quant_log::take();
                let why = crate::llama::log::first_error();
                if rc != 0 || abandoned.load(Ordering::SeqCst) {
                    remove_quietly(&part);
                }
                let _ = tx.send((rc, why));
            })
            .map_err(|e| err(&out, format!("cannot start the quantizer's thread: {e}")))?;
    }
    let (rc, why) = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(done) => break done,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let (done, total) = progress.get();
                let control = on_progress(QuantProgress {
                    tensors_done: done,
                    tensors_total: total,
                });
                if control == Control::Stop {
                    abandoned.store(true, Ordering::SeqCst);
                    // Unlinked now: llama.cpp may go on writing into the open file until it
                    // returns, but no name points at it (and the thread removes what it made
                    // after this, if llama.cpp had not opened it yet).
                    remove_quietly(&part);
                    tracing::info!(
                        target: "mobench",
                        "quantization to {} cancelled; llama.cpp cannot be interrupted, so its \
                         thread finishes in the background and what it wrote is deleted",
                        out.display()
                    );
                    return Err(EngineError::Cancelled);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                remove_quietly(&part);
                return Err(err(&out, "the quantizer's thread stopped unexpectedly"));
            }
        }
    };
    if rc != 0 {
        remove_quietly(&part);
        let why = why.unwrap_or_else(|| format!("code {rc}"));
        return Err(err(&out, format!("llama.cpp's quantizer failed: {why}")));
    }
    let (done, total) = progress.get();
    on_progress(QuantProgress {
        tensors_done: done.max(total),
        tensors_total: total,
    });
    let checked = verify(&part, plan.qtype).inspect_err(|_| remove_quietly(&part))?;
    let sha256 = model::sha256_file(&part).inspect_err(|_| remove_quietly(&part))?;
    std::fs::rename(&part, &out).map_err(|e| {
        remove_quietly(&part);
        err(&out, format!("cannot move the result into place: {e}"))
    })?;
    Ok(Quantized {
        path: out,
        qtype: plan.qtype.name,
        size_bytes: checked,
        sha256,
        seconds: started.elapsed().as_secs_f64(),
        requantized: plan.requantize,
        warnings: plan.warnings.clone(),
    })
}

/// The output is a whole GGUF of the type asked for, and llama.cpp loads it. Returns its size.
fn verify(path: &Path, qtype: QuantType) -> Result<u64, EngineError> {
    let (header, meta) = model::checked_header(path)?;
    let ft = header.int("general.file_type");
    if ft != Some(i64::from(qtype.ftype)) {
        return Err(err(
            path,
            format!(
                "the result says file type {:?}, not {} ({})",
                ft, qtype.name, qtype.ftype
            ),
        ));
    }
    drop(header);
    load_model(path, 0)?;
    Ok(meta.len())
}

fn remove_quietly(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(target: "mobench", "cannot remove {}: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_little_space_is_refused_before_writing() {
        let out = Path::new("/tmp/x.gguf");
        let e = check_space(out, 100 << 20, Some(50 << 20)).unwrap_err();
        assert!(e.to_string().contains("not enough free space"), "{e}");
        assert!(check_space(out, 100 << 20, Some(200 << 20)).is_ok());
        assert!(check_space(out, 100 << 20, None).is_ok());
    }

    #[test]
    fn temp_file_is_hidden_beside_the_output() {
        assert_eq!(
            temp_path(Path::new("/m/a.Q4_0.gguf")),
            Path::new("/m/.a.Q4_0.gguf.part")
        );
    }
}
