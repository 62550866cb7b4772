//! llama.cpp's log, forwarded to `tracing` (target `llama_cpp`), with the first error since a
//! checkpoint kept so a failure we report can say what llama.cpp said (its API returns only a null
//! pointer; the first error is the cause, later ones are "failed to load model" echoes).

use std::ffi::{c_char, c_void, CStr};
use std::sync::Mutex;

use llama_cpp_sys_2::ggml_log_level;

static FIRST_ERROR: Mutex<Option<String>> = Mutex::new(None);

unsafe extern "C" fn forward(level: ggml_log_level, text: *const c_char, _: *mut c_void) {
    if text.is_null() {
        return;
    }
    // SAFETY: llama.cpp passes a NUL-terminated string valid for the duration of the call.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let line = text.trim_end();
    if line.is_empty() {
        return;
    }
    quant_log::observe(line);
    match level {
        llama_cpp_sys_2::GGML_LOG_LEVEL_ERROR => {
            tracing::error!(target: "llama_cpp", "{line}");
            if let Ok(mut first) = FIRST_ERROR.lock() {
                if first.is_none() {
                    *first = Some(without_function_prefix(line.trim()).to_string());
                }
            }
        }
        llama_cpp_sys_2::GGML_LOG_LEVEL_WARN => tracing::warn!(target: "llama_cpp", "{line}"),
        llama_cpp_sys_2::GGML_LOG_LEVEL_INFO => tracing::info!(target: "llama_cpp", "{line}"),
        _ => tracing::debug!(target: "llama_cpp", "{line}"),
    }
}

/// mtmd's (the vision projector's) log: forwarded like llama.cpp's, and its announcements of an
/// image being encoded are stamped with our clock for the sample measuring it ([`image_marks`]).
unsafe extern "C" fn forward_mtmd(level: ggml_log_level, text: *const c_char, data: *mut c_void) {
    if !text.is_null() {
        // SAFETY: as in `forward`.
        let line = unsafe { CStr::from_ptr(text) }.to_string_lossy();
        image_marks::observe(line.trim());
    }
    // SAFETY: same contract as this function's.
    unsafe { forward(level, text, data) }
}

/// Routes llama.cpp's, ggml's and mtmd's logs through `forward`. Called once, before the backend
/// starts.
pub(crate) fn install() {
    // SAFETY: `forward` and `forward_mtmd` are plain functions that live for the whole program.
    unsafe {
        llama_cpp_sys_2::llama_log_set(Some(forward), std::ptr::null_mut());
        llama_cpp_sys_2::mtmd_helper_log_set(Some(forward_mtmd), std::ptr::null_mut());
    }
}

/// When mtmd says it starts and finishes encoding an image, on this thread: mtmd evaluates a
/// prompt's chunks (text decode, image encode, image decode) in one call, and these lines are the
/// only boundary between its phases. Our clock stamps them at microsecond resolution; mtmd's own
/// figure (whole milliseconds) is kept beside ours as the cross-check.
pub(crate) mod image_marks {
    use std::cell::RefCell;
    use std::time::Instant;

    #[derive(Debug, Default, Clone)]
    pub(crate) struct Marks {
        started: Option<Instant>,
        /// Image slices encoded (llava's `mlp` projector makes one per image).
        pub slices: u32,
        /// Encoding time over all slices, by our clock.
        pub encode_ms: f64,
        /// The same by mtmd's own "image slice encoded in N ms" lines.
        pub mtmd_encode_ms: Option<f64>,
    }

    thread_local! {
        static MARKS: RefCell<Option<Marks>> = const { RefCell::new(None) };
    }

    /// Starts recording on this thread.
    pub(crate) fn start() {
        MARKS.with(|m| *m.borrow_mut() = Some(Marks::default()));
    }

    /// Stops recording and returns what was seen.
    pub(crate) fn take() -> Marks {
        MARKS.with(|m| m.borrow_mut().take()).unwrap_or_default()
    }

    pub(super) fn observe(line: &str) {
        let now = Instant::now();
        MARKS.with(|m| {
            let mut m = m.borrow_mut();
            let Some(marks) = m.as_mut() else { return };
            if line.starts_with("encoding image slice") {
                marks.started = Some(now);
            } else if let Some(rest) = line.strip_prefix("image slice encoded in ") {
                if let Some(start) = marks.started.take() {
                    marks.encode_ms += (now - start).as_secs_f64() * 1e3;
                    marks.slices += 1;
                }
                if let Some(ms) = rest.strip_suffix(" ms").and_then(|n| n.parse::<f64>().ok()) {
                    *marks.mtmd_encode_ms.get_or_insert(0.0) += ms;
                }
            }
        });
    }
}

/// What llama.cpp's quantizer says on this thread: it has no progress callback, but logs one
/// line per tensor (`[   3/  12] blk.0.attn_q.weight - ...`) as it goes, and the sizes at the
/// end (`quant size  = 12.34 MiB`), which a dry run computes without writing anything.
pub(crate) mod quant_log {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// Tensors done and in all, packed (done << 32 | total) so a reader sees a consistent pair.
    #[derive(Debug, Default, Clone)]
    pub(crate) struct Progress(Arc<AtomicU64>);

    impl Progress {
        pub(crate) fn get(&self) -> (u32, u32) {
            let v = self.0.load(Ordering::Relaxed);
            ((v >> 32) as u32, v as u32)
        }
    }

    #[derive(Debug, Default, Clone)]
    pub(crate) struct Seen {
        pub progress: Progress,
        /// `model size` and `quant size`, MiB.
        pub model_mib: Option<f64>,
        pub quant_mib: Option<f64>,
        /// A dry run found tensors that need an importance matrix.
        pub needs_imatrix: bool,
    }

    thread_local! {
        static SEEN: RefCell<Option<Seen>> = const { RefCell::new(None) };
    }

    /// Starts recording on this thread; `progress` is updated as tensors are done.
    pub(crate) fn start(progress: Progress) {
        SEEN.with(|s| {
            *s.borrow_mut() = Some(Seen {
                progress,
                ..Seen::default()
            })
        });
    }

    /// Stops recording and returns what was seen.
    pub(crate) fn take() -> Seen {
        SEEN.with(|s| s.borrow_mut().take()).unwrap_or_default()
    }

    pub(super) fn observe(line: &str) {
        SEEN.with(|s| {
            let mut s = s.borrow_mut();
            let Some(seen) = s.as_mut() else { return };
            if let Some((done, total)) = tensor_counter(line) {
                seen.progress.0.store(
                    (u64::from(done) << 32) | u64::from(total),
                    Ordering::Relaxed,
                );
            } else if let Some(mib) = mib_after(line, "model size  =") {
                seen.model_mib = Some(mib);
            } else if let Some(mib) = mib_after(line, "quant size  =") {
                seen.quant_mib = Some(mib);
            } else if line.contains("will require an imatrix") {
                seen.needs_imatrix = true;
            }
        });
    }

    /// `[   3/  12] ...` -> (3, 12).
    pub(super) fn tensor_counter(line: &str) -> Option<(u32, u32)> {
        let inner = line.trim_start().strip_prefix('[')?.split_once(']')?.0;
        let (done, total) = inner.split_once('/')?;
        Some((done.trim().parse().ok()?, total.trim().parse().ok()?))
    }

    fn mib_after(line: &str, key: &str) -> Option<f64> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.split_whitespace().next()?.parse().ok()
    }
}

/// Forgets the error kept (call before an operation whose failure you will report).
pub(crate) fn clear_error() {
    if let Ok(mut last) = FIRST_ERROR.lock() {
        *last = None;
    }
}

/// llama.cpp prefixes messages with the C function's name (`llama_model_load: ...`).
fn without_function_prefix(line: &str) -> &str {
    match line.split_once(": ") {
        Some((head, rest)) if head.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => rest,
        _ => line,
    }
}

/// The first error llama.cpp logged since `clear_error`.
pub(crate) fn first_error() -> Option<String> {
    FIRST_ERROR.lock().ok().and_then(|l| l.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantizer_lines_are_read() {
        use super::quant_log::*;
        assert_eq!(
            tensor_counter(
                "[   3/  12]            blk.0.attn_q.weight - [  128,   128], type =    f32, "
            ),
            Some((3, 12))
        );
        assert_eq!(
            tensor_counter("llama_model_quantize_impl: model size"),
            None
        );
        start(Progress::default());
        super::quant_log::observe(
            "llama_model_quantize_impl: quant size  =     1.25 MiB (4.50 BPW)",
        );
        super::quant_log::observe("[   2/   5] token_embd.weight - [ 128, 512], type = f32, ");
        let seen = take();
        assert_eq!(seen.quant_mib, Some(1.25));
        assert_eq!(seen.progress.get(), (2, 5));
        assert!(!seen.needs_imatrix);
    }

    #[test]
    fn function_prefix_is_dropped() {
        assert_eq!(
            super::without_function_prefix("llama_model_load: error loading model: x"),
            "error loading model: x"
        );
        assert_eq!(
            super::without_function_prefix("no prefix here"),
            "no prefix here"
        );
    }
}
