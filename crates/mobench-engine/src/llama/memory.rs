//! Will the model fit? iOS kills an app that goes over its memory limit without a word; a
//! desktop swaps, and its speed figures stop meaning anything. Before a load the engine compares
//! what the model will need with what the process may still use, and says in plain words when it
//! will not fit.
//!
//! The estimate is llama.cpp's three large allocations, from the GGUF header alone:
//! - weights: the file's tensor data (mapped, and on Apple copied or wrapped into Metal buffers;
//!   either way it counts towards the app's footprint once touched);
//! - KV cache: `n_ctx × n_layer × (n_embd_k_gqa + n_embd_v_gqa)` F16 values (llama.cpp's default
//!   cache type);
//! - work space: the compute graph of one batch, dominated by the attention scores
//!   (`n_batch × n_ctx × n_head` F32 without flash attention) and the logits
//!   (`n_vocab` F32 per output); plus a fixed allowance for llama.cpp's and the app's own needs.
//!
//! It errs on the high side: flash attention (on by default where the backend supports it)
//! needs far less work space than assumed here.

use std::path::Path;

use serde::Serialize;

use super::gguf::{self, Header};
use crate::error::EngineError;

/// What the estimate adds for llama.cpp's own state, the tokenizer and the engine.
pub const OVERHEAD_BYTES: u64 = 64 << 20;

/// Above this share of the memory available, the model fits but with little to spare.
const TIGHT: f64 = 0.85;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Estimate {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub weights_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub kv_cache_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub work_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
}

/// The model's shape as far as memory goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub weights_bytes: u64,
    pub n_layer: u64,
    pub n_embd: u64,
    pub n_head: u64,
    pub n_head_kv: u64,
    pub head_dim_k: u64,
    pub head_dim_v: u64,
    pub n_vocab: u64,
    /// The training context (`{arch}.context_length`); 0 when the header does not say.
    pub n_ctx_train: u32,
}

impl Shape {
    /// From a GGUF header; `file_size` stands in for the tensor data when the header cannot
    /// size it. Missing hyperparameters count as zero (a smaller, not a wrong, estimate).
    pub fn from_header(header: &Header, file_size: u64) -> Shape {
        let arch = header.str("general.architecture").unwrap_or("llama");
        let int = |key: &str| {
            header
                .int(&format!("{arch}.{key}"))
                .and_then(|v| u64::try_from(v).ok())
        };
        let n_embd = int("embedding_length").unwrap_or(0);
        let n_head = int("attention.head_count").unwrap_or(0);
        let head_dim = n_embd.checked_div(n_head).unwrap_or(0);
        let n_vocab =
            int("vocab_size").unwrap_or_else(|| match header.kv.get("tokenizer.ggml.tokens") {
                Some(gguf::Value::Array(n)) => *n,
                _ => 0,
            });
        Shape {
            weights_bytes: header.data_end.unwrap_or(file_size).min(file_size),
            n_layer: int("block_count").unwrap_or(0),
            n_embd,
            n_head,
            n_head_kv: int("attention.head_count_kv").unwrap_or(n_head),
            head_dim_k: int("attention.key_length").unwrap_or(head_dim),
            head_dim_v: int("attention.value_length").unwrap_or(head_dim),
            n_vocab,
            n_ctx_train: int("context_length").map_or(0, |n| n.min(u64::from(u32::MAX)) as u32),
        }
    }

    /// The context a session asked for `n_ctx` gets: cut to the training context, as the run's
    /// session is.
    pub fn context(&self, n_ctx: u32) -> u32 {
        match self.n_ctx_train {
            0 => n_ctx,
            train => n_ctx.min(train.max(64)),
        }
    }

    pub fn estimate(&self, n_ctx: u32, n_batch: u32) -> Estimate {
        let (n_ctx, n_batch) = (u64::from(n_ctx), u64::from(n_batch.min(n_ctx)));
        let kv_per_token = self.n_layer * self.n_head_kv * (self.head_dim_k + self.head_dim_v) * 2;
        let kv_cache_bytes = n_ctx * kv_per_token;
        let scores = n_batch * n_ctx * self.n_head * 4;
        let activations = n_batch * self.n_embd * 4 * 8;
        let logits = self.n_vocab * 4 * 2;
        let work_bytes = scores + activations + logits + OVERHEAD_BYTES;
        Estimate {
            weights_bytes: self.weights_bytes,
            kv_cache_bytes,
            work_bytes,
            total_bytes: self.weights_bytes + kv_cache_bytes + work_bytes,
        }
    }
}

/// How much more memory the process may use, and what happens beyond it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Limit {
    /// iOS's `os_proc_available_memory`: past it the system kills the app.
    Hard {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: u64,
    },
    /// Free memory of the whole system (Linux `MemAvailable`, macOS): past it the system swaps.
    Soft {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: u64,
    },
    Unknown {
        reason: String,
    },
}

/// What the process may use now, read from the telemetry probe.
pub fn current_limit() -> Limit {
    let mut probe = mobench_telemetry::Probe::new();
    let reading = probe.read(&mobench_telemetry::PhaseTracker::default());
    if let Some(bytes) = reading.headroom_bytes {
        return Limit::Hard { bytes };
    }
    if let Some(bytes) = reading.system_memory_available_bytes {
        return Limit::Soft { bytes };
    }
    let reason = probe
        .sensors()
        .into_iter()
        .find(|s| s.sensor == "system_memory")
        .and_then(|s| s.reason)
        .unwrap_or_else(|| "the free memory could not be read".into());
    Limit::Unknown { reason }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fits,
    /// Fits, with less than 15% to spare.
    Tight,
    WontFit,
    Unknown,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fit {
    pub estimate: Estimate,
    pub limit: Limit,
    pub verdict: Verdict,
    /// Plain words for the user; `None` when it fits comfortably.
    pub message: Option<String>,
}

impl Fit {
    /// Loading would get the app killed (a hard limit, exceeded).
    pub fn is_fatal(&self) -> bool {
        self.verdict == Verdict::WontFit && matches!(self.limit, Limit::Hard { .. })
    }
}

pub fn check(estimate: Estimate, limit: Limit, n_ctx: u32) -> Fit {
    let need = estimate.total_bytes;
    let breakdown = format!(
        "about {} ({} of weights, {} for a {}-token context, {} of work space)",
        gb(need),
        gb(estimate.weights_bytes),
        gb(estimate.kv_cache_bytes),
        n_ctx,
        gb(estimate.work_bytes)
    );
    let (verdict, message) = match &limit {
        Limit::Unknown { reason } => (
            Verdict::Unknown,
            Some(format!(
                "This model needs {breakdown}; whether that fits is unknown here ({reason})."
            )),
        ),
        Limit::Hard { bytes } | Limit::Soft { bytes } => {
            let hard = matches!(limit, Limit::Hard { .. });
            let have = format!(
                "{} {}",
                gb(*bytes),
                if hard {
                    "is all the system lets this app use now"
                } else {
                    "of memory is free now"
                }
            );
            if need > *bytes {
                let consequence = if hard {
                    "The system would close the app part-way through the load or the run."
                } else {
                    "The system would have to swap, and the speed figures would mean little."
                };
                (
                    Verdict::WontFit,
                    Some(format!(
                        "This model will not fit: it needs {breakdown}, but {have}. {consequence} \
                         Choose a smaller quantization or a shorter context, or close other apps."
                    )),
                )
            } else if need as f64 > *bytes as f64 * TIGHT {
                (
                    Verdict::Tight,
                    Some(format!(
                        "This model needs {breakdown} and {have}: it should fit, with little to \
                         spare. Closing other apps first is safer."
                    )),
                )
            } else {
                (Verdict::Fits, None)
            }
        }
    };
    Fit {
        estimate,
        limit,
        verdict,
        message,
    }
}

/// The estimate for `path` with the context asked for (cut to the model's training context, as
/// the run's session will be), against what the process may use now.
pub fn check_model(path: &Path, n_ctx: u32, n_batch: u32) -> Result<Fit, EngineError> {
    check_model_with(path, None, n_ctx, n_batch)
}

/// [`check_model`] for a model loaded with its vision projector, whose weights count with the
/// model's (its encoder's work buffers, a few MB for small projectors, are not estimated).
pub fn check_model_with(
    path: &Path,
    projector: Option<&Path>,
    n_ctx: u32,
    n_batch: u32,
) -> Result<Fit, EngineError> {
    let (header, meta) = super::model::checked_header(path)?;
    let mut shape = Shape::from_header(&header, meta.len());
    if let Some(p) = projector {
        shape.weights_bytes += std::fs::metadata(p)
            .map_err(|e| EngineError::Projector {
                path: p.to_path_buf(),
                message: format!("cannot be read: {e}"),
            })?
            .len();
    }
    let n_ctx = shape.context(n_ctx);
    Ok(check(
        shape.estimate(n_ctx, n_batch),
        current_limit(),
        n_ctx,
    ))
}

/// "3.2 GB", "412 MB": decimal units, as phones and the Files app show sizes.
fn gb(bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        format!("{:.1} GB", bytes as f64 / 1e9)
    } else {
        format!("{} MB", (bytes as f64 / 1e6).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama-2-7B's shape (32 layers, 4096 wide, 32 heads, 32 000 tokens) as Q4_K_M (4.08 GB).
    fn llama7b() -> Shape {
        Shape {
            weights_bytes: 4_081_004_224,
            n_layer: 32,
            n_embd: 4096,
            n_head: 32,
            n_head_kv: 32,
            head_dim_k: 128,
            head_dim_v: 128,
            n_vocab: 32_000,
            n_ctx_train: 4096,
        }
    }

    #[test]
    fn kv_cache_matches_llama_cpp_for_llama_7b() {
        // llama.cpp prints "KV self size = 2048.00 MiB" for this model at n_ctx 4096 (F16 K and V).
        let e = llama7b().estimate(4096, 512);
        assert_eq!(e.kv_cache_bytes, 2048 << 20);
        assert_eq!(
            e.total_bytes,
            e.weights_bytes + e.kv_cache_bytes + e.work_bytes
        );
        // Grouped-query attention shrinks the cache by the group size.
        let gqa = Shape {
            n_head_kv: 8,
            ..llama7b()
        };
        assert_eq!(gqa.estimate(4096, 512).kv_cache_bytes, 512 << 20);
    }

    #[test]
    fn the_context_is_cut_to_the_training_context_like_the_session() {
        assert_eq!(llama7b().context(8192), 4096);
        assert_eq!(llama7b().context(512), 512);
        let unknown = Shape {
            n_ctx_train: 0,
            ..llama7b()
        };
        assert_eq!(unknown.context(8192), 8192);
    }

    #[test]
    fn the_context_drives_the_estimate() {
        let small = llama7b().estimate(512, 512);
        let large = llama7b().estimate(8192, 512);
        assert!(large.kv_cache_bytes == 16 * small.kv_cache_bytes);
        assert!(large.work_bytes > small.work_bytes);
        // A batch larger than the context is cut to the context, as llama.cpp does.
        assert_eq!(
            llama7b().estimate(256, 4096).work_bytes,
            llama7b().estimate(256, 256).work_bytes
        );
    }

    /// A 7B model with a 4096-token context against `limit`.
    fn check_7b(limit: Limit) -> Fit {
        check(llama7b().estimate(4096, 512), limit, 4096)
    }

    /// Under a hard limit of `bytes`.
    fn hard(bytes: u64) -> Limit {
        Limit::Hard { bytes }
    }

    #[test]
    fn a_hard_limit_exceeded_is_fatal_and_says_so_plainly() {
        let fit = check_7b(hard(3_000_000_000));
        assert_eq!(fit.verdict, Verdict::WontFit);
        assert!(fit.is_fatal());
        let m = fit.message.unwrap();
        assert!(
            m.starts_with("This model will not fit: it needs about 6."),
            "{m}"
        );
        assert!(
            m.contains("3.0 GB is all the system lets this app use now"),
            "{m}"
        );
        assert!(m.contains("close the app"), "{m}");
        assert!(m.contains("4096-token context"), "{m}");
    }

    #[test]
    fn a_soft_limit_exceeded_warns_but_is_not_fatal() {
        let fit = check_7b(Limit::Soft {
            bytes: 2_000_000_000,
        });
        assert_eq!(fit.verdict, Verdict::WontFit);
        assert!(!fit.is_fatal());
        assert!(fit.message.unwrap().contains("swap"));
    }

    #[test]
    fn tight_fits_and_comfortable_fits() {
        let need = llama7b().estimate(4096, 512).total_bytes;
        let tight = check_7b(hard(need + need / 20));
        assert_eq!(tight.verdict, Verdict::Tight);
        assert!(!tight.is_fatal());
        assert!(tight.message.unwrap().contains("little to spare"));
        let roomy = check_7b(hard(need * 2));
        assert_eq!((roomy.verdict, roomy.message), (Verdict::Fits, None));
        // Exactly at the limit still fits.
        assert_ne!(check_7b(hard(need)).verdict, Verdict::WontFit);
    }

    #[test]
    fn an_unknown_limit_is_said_with_its_reason() {
        let e = llama7b().estimate(512, 512);
        let fit = check(
            e,
            Limit::Unknown {
                reason: "no /proc/meminfo".into(),
            },
            512,
        );
        assert_eq!(fit.verdict, Verdict::Unknown);
        assert!(!fit.is_fatal());
        assert!(fit.message.unwrap().contains("(no /proc/meminfo)"));
    }

    #[test]
    fn sizes_read_like_the_files_app() {
        assert_eq!(gb(4_081_004_224), "4.1 GB");
        assert_eq!(gb(412_300_000), "412 MB");
    }
}
