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

/// Routes llama.cpp's and ggml's log through `forward`. Called once, before the backend starts.
pub(crate) fn install() {
    // SAFETY: `forward` is a plain function that lives for the whole program.
    unsafe { llama_cpp_sys_2::llama_log_set(Some(forward), std::ptr::null_mut()) };
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
