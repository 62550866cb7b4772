//! Assembles a `llama`-architecture GGUF file from a [`ModelSpec`] and writes it atomically.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::GenError;
use crate::gguf::{self, TensorInfo, TensorType, Value};
use crate::spec::{DType, ModelSpec};
use crate::vocab::{self, TokenType};
use crate::weights::{SplitMix64, WEIGHT_STD};

const ARCH: &str = "llama";
const RMS_NORM_EPS: f32 = 1e-5;
const ROPE_FREQ_BASE: f32 = 10_000.0;

/// Writes the model described by `spec` to `path`.
///
/// The file is written to a temporary file in the same directory and renamed over `path`
/// only once complete and flushed to disk, so readers never see a partial model.
pub fn write_gguf(spec: &ModelSpec, path: &Path) -> Result<(), GenError> {
    spec.validate()?;
    write_atomically(path, |temp| write_file(spec, temp))?;
    tracing::debug!(
        path = %path.display(),
        n_params = spec.n_params(),
        n_vocab = spec.n_vocab(),
        "wrote GGUF model"
    );
    Ok(())
}

/// Runs `write` on a temporary file in `path`'s directory and renames it over `path` once
/// `write` has returned (having flushed the file to disk); on failure the temporary file is
/// removed and `path` is left as it was.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> Result<(), GenError> {
    let file_name = path.file_name().ok_or_else(|| GenError::BadOutputPath {
        path: path.to_owned(),
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = temp_path(dir, &file_name.to_string_lossy());
    let result = write(&temp).and_then(|()| fs::rename(&temp, path));
    if let Err(source) = result {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&temp);
        return Err(GenError::Io {
            path: path.to_owned(),
            source,
        });
    }
    Ok(())
}

/// A hidden name unique to this process and call, so concurrent writers never share a file.
fn temp_path(dir: &Path, file_name: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{file_name}.{}.{n}.tmp", std::process::id()))
}

fn write_file(spec: &ModelSpec, path: &Path) -> io::Result<()> {
    let vocab = vocab::build(spec.n_vocab_extra);
    let tensors = tensor_infos(spec);
    let (_, data_size) = gguf::data_layout(&tensors);
    let token_types = vocab.types.clone();
    let header = gguf::header(&metadata(spec, vocab), &tensors);

    let file = File::create(path)?;
    file.set_len(header.len() as u64 + data_size)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&header)?;
    for tensor in &tensors {
        write_tensor(&mut out, spec.seed, tensor, &token_types)?;
    }
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

fn metadata(spec: &ModelSpec, vocab: vocab::Vocab) -> Vec<(&'static str, Value)> {
    let mut kv = gguf::general(ARCH, &spec.name, spec.seed, spec.dtype.file_type());
    kv.extend([
        ("llama.vocab_size", Value::U32(spec.n_vocab() as u32)),
        ("llama.context_length", Value::U32(spec.n_ctx_train)),
        ("llama.embedding_length", Value::U32(spec.n_embd)),
        ("llama.block_count", Value::U32(spec.n_layer)),
        ("llama.feed_forward_length", Value::U32(spec.n_ff)),
        ("llama.attention.head_count", Value::U32(spec.n_head)),
        ("llama.attention.head_count_kv", Value::U32(spec.n_head_kv)),
        ("llama.rope.dimension_count", Value::U32(spec.head_dim())),
        ("llama.rope.freq_base", Value::F32(ROPE_FREQ_BASE)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            Value::F32(RMS_NORM_EPS),
        ),
        ("tokenizer.ggml.model", Value::Str("llama".into())),
        ("tokenizer.ggml.tokens", Value::StrArray(vocab.tokens)),
        ("tokenizer.ggml.scores", Value::F32Array(vocab.scores)),
        (
            "tokenizer.ggml.token_type",
            Value::I32Array(vocab.types.iter().map(|&t| t as i32).collect()),
        ),
        ("tokenizer.ggml.bos_token_id", Value::U32(vocab::BOS_ID)),
        ("tokenizer.ggml.eos_token_id", Value::U32(vocab::EOS_ID)),
        ("tokenizer.ggml.unknown_token_id", Value::U32(vocab::UNK_ID)),
        // <|im_end|> closes a ChatML turn, so it must end generation as </s> does.
        ("tokenizer.ggml.eot_token_id", Value::U32(vocab::IM_END_ID)),
        ("tokenizer.ggml.add_bos_token", Value::Bool(true)),
        ("tokenizer.ggml.add_eos_token", Value::Bool(false)),
    ]);
    if let Some(template) = &spec.chat_template {
        kv.push(("tokenizer.chat_template", Value::Str(template.clone())));
    }
    if let Some(pooling) = spec.pooling {
        kv.push(("llama.pooling_type", Value::U32(pooling)));
    }
    kv
}

/// Tensor names and shapes exactly as llama.cpp's `llama` loader asks for them.
fn tensor_infos(spec: &ModelSpec) -> Vec<TensorInfo> {
    let matrix_type = match spec.dtype {
        DType::F32 => TensorType::F32,
        DType::F16 => TensorType::F16,
    };
    let embd = u64::from(spec.n_embd);
    let ff = u64::from(spec.n_ff);
    let kv = spec.n_embd_kv();
    let vocab = spec.n_vocab();
    let matrix = |name: String, dims: [u64; 2]| TensorInfo {
        name,
        dims: dims.to_vec(),
        kind: matrix_type,
    };
    let norm = |name: String| TensorInfo {
        name,
        dims: vec![embd],
        kind: TensorType::F32,
    };

    let mut tensors = vec![matrix("token_embd.weight".into(), [embd, vocab])];
    for layer in 0..spec.n_layer {
        let blk = |part: &str| format!("blk.{layer}.{part}.weight");
        tensors.extend([
            norm(blk("attn_norm")),
            matrix(blk("attn_q"), [embd, embd]),
            matrix(blk("attn_k"), [embd, kv]),
            matrix(blk("attn_v"), [embd, kv]),
            matrix(blk("attn_output"), [embd, embd]),
            norm(blk("ffn_norm")),
            matrix(blk("ffn_gate"), [embd, ff]),
            matrix(blk("ffn_up"), [embd, ff]),
            matrix(blk("ffn_down"), [ff, embd]),
        ]);
    }
    tensors.push(norm("output_norm.weight".into()));
    tensors.push(matrix("output.weight".into(), [embd, vocab]));
    tensors
}

/// Streams one tensor's values, followed by the padding that aligns the next one.
///
/// Norm weights are 1.0; matrices are normal(0, 0.02). In `output.weight` the rows of every
/// token that is not plain text (`<unk>`, `<s>`, `</s>`, the ChatML markers, the byte tokens)
/// are zero, so those logits are exactly 0 while the text pieces' logits spread around 0.
/// The model stays a valid model, but greedy decoding practically never ends a turn or emits
/// invalid UTF-8: a random model would otherwise often stop after a token or two, and the
/// tests and benchmarks need full-length generations. Sampling with temperature can still
/// pick these tokens, with a probability near 1/n_vocab per step.
fn write_tensor<W: Write>(
    out: &mut W,
    seed: u64,
    tensor: &TensorInfo,
    token_types: &[TokenType],
) -> io::Result<()> {
    let is_norm = tensor.dims.len() == 1;
    let is_output = tensor.name == "output.weight";
    let row_len = tensor.dims[0];
    let mut rng = SplitMix64::for_tensor(seed, &tensor.name);
    let values = (0..tensor.n_elements()).map(|i| {
        if is_norm {
            return 1.0;
        }
        // Drawn even for zeroed rows so that every other row keeps its value.
        let x = rng.next_normal() * WEIGHT_STD;
        let zero_row = is_output && !vocab::is_text(token_types[(i / row_len) as usize]);
        if zero_row {
            0.0
        } else {
            x
        }
    });
    gguf::write_tensor_data(out, tensor, values)
}
