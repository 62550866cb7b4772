//! A vision projector (mmproj GGUF) checked in Rust before llama.cpp's mtmd sees it.
//!
//! mtmd aborts the whole process on many malformed projectors instead of returning an error: a
//! metadata value of the wrong type fails a `GGML_ASSERT` in gguf's getters, a missing
//! projection tensor is dereferenced as null when the output width is asked for
//! (`clip_n_mmproj_embd`), and a missing or misshapen weight fails an assert while the warm-up
//! graph is built. [`inspect_projector`] reads the GGUF header and refuses such files with a
//! one-line message naming the file and the fault, following what `tools/mtmd/clip.cpp`
//! (`clip_model_loader`: `load_hparams`, `load_tensors`; `clip_n_mmproj_embd`) and the llava
//! graph (`models/llava.cpp`) read.
//!
//! Every projector type gets the generic checks (the `clip.vision.*` keys clip.cpp reads without
//! a default, the types of every key it reads, the per-block tensors it requires, the tensor it
//! reads the output width from); llava's `mlp` type, MobileAIBench's own, also gets its graph's
//! tensors and shapes checked.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::gguf::{self, type_code, Header, TensorDesc, Value, ValueType};
use crate::error::EngineError;

/// The projector types llama.cpp knows, as `PROJECTOR_TYPE_NAMES` in llama.cpp's
/// `tools/mtmd/clip-impl.h` (llama-cpp-sys-2 0.1.161) spells them. `clip_projector_type_from_string`
/// maps any other name to `PROJECTOR_TYPE_UNKNOWN`, which `load_hparams` refuses. A unit test
/// compares this list with the header when the crate's sources are on this machine.
pub const PROJECTOR_TYPES: &[&str] = &[
    "mlp",
    "ldp",
    "ldpv2",
    "resampler",
    "adapter",
    "qwen2vl_merger",
    "qwen2.5vl_merger",
    "qwen3vl_merger",
    "ling3vl",
    "step3vl",
    "gemma3",
    "gemma3nv",
    "gemma3na",
    "gemma4v",
    "gemma4a",
    "gemma4uv",
    "gemma4ua",
    "phi4",
    "idefics3",
    "pixtral",
    "ultravox",
    "internvl",
    "llama4",
    "qwen2a",
    "qwen3a",
    "glma",
    "qwen2.5o",
    "voxtral",
    "meralion",
    "musicflamingo",
    "lfm2",
    "kimivl",
    "paddleocr",
    "lightonocr",
    "cogvlm",
    "janus_pro",
    "dots_ocr",
    "dots3note_v",
    "dots3note_a",
    "deepseekocr",
    "deepseekocr2",
    "deepseek4v",
    "lfm2a",
    "glm4v",
    "glm5v",
    "youtuvl",
    "yasa2",
    "kimik25",
    "nemotron_v2_vl",
    "exaone4_5",
    "hunyuanvl",
    "minicpmv4_6",
    "granite_speech",
    "mimovl",
    "minimax_m3",
    "granite4_vision",
    "mimo_audio",
    "parakeet",
    "qwen3tts_spkenc",
    "qwen3tts_gen",
    "pockettts_spkenc",
    "pockettts_gen",
    "muse-glimmer",
];

/// Where `clip_n_mmproj_embd` reads the width of the embeddings a projector produces.
#[derive(Clone, Copy)]
enum Width {
    /// `ne[dim]` of this tensor.
    Dim(&'static str, usize),
    /// qwen3vl: `mm.2.bias`'s `ne[0]` times one plus the number of deepstack layers.
    Qwen3vl,
    /// granite4_vision: `clip.vision.feature_layer`'s length times `projection_dim`.
    Granite4Vision,
}

/// The vision projector types and where their output width is read (`clip_n_mmproj_embd`,
/// with the tensor names `load_tensors` gives its fields). The types of `PROJECTOR_TYPES`
/// missing here are audio (or speech generation) projectors, which clip.cpp never loads as a
/// vision encoder. `mlp` with an `mm.3.weight` is llava's Yi variant (`MLP_NORM`), handled in
/// [`output_width`].
const VISION_WIDTH: &[(&str, Width)] = &[
    ("mlp", Width::Dim("mm.2.weight", 1)),
    ("ldp", Width::Dim("mm.model.mb_block.1.block.2.1.bias", 0)),
    ("ldpv2", Width::Dim("mm.model.peg.0.bias", 0)),
    ("resampler", Width::Dim("resampler.proj.weight", 0)),
    (
        "adapter",
        Width::Dim("adapter.linear.dense_4h_to_h.weight", 1),
    ),
    ("qwen2vl_merger", Width::Dim("mm.2.bias", 0)),
    ("qwen2.5vl_merger", Width::Dim("mm.2.bias", 0)),
    // Loaded as qwen2.5vl_merger for vision.
    ("qwen2.5o", Width::Dim("mm.2.bias", 0)),
    ("qwen3vl_merger", Width::Qwen3vl),
    ("ling3vl", Width::Dim("mm.2.bias", 0)),
    ("step3vl", Width::Dim("mm.model.fc.weight", 1)),
    ("gemma3", Width::Dim("mm.input_projection.weight", 0)),
    ("gemma3nv", Width::Dim("mm.input_projection.weight", 0)),
    ("gemma4v", Width::Dim("mm.input_projection.weight", 1)),
    ("gemma4uv", Width::Dim("mm.input_projection.weight", 1)),
    ("phi4", Width::Dim("mm.2.weight", 1)),
    ("idefics3", Width::Dim("mm.model.fc.weight", 1)),
    ("pixtral", Width::Dim("mm.2.weight", 1)),
    ("internvl", Width::Dim("mm.model.mlp.3.weight", 1)),
    ("llama4", Width::Dim("mm.model.fc.weight", 1)),
    ("lfm2", Width::Dim("mm.2.weight", 1)),
    ("kimivl", Width::Dim("mm.2.weight", 1)),
    ("paddleocr", Width::Dim("mm.2.weight", 1)),
    ("lightonocr", Width::Dim("mm.2.weight", 1)),
    ("cogvlm", Width::Dim("mm.down.weight", 1)),
    ("janus_pro", Width::Dim("mm.1.bias", 0)),
    ("dots_ocr", Width::Dim("mm.2.weight", 1)),
    ("dots3note_v", Width::Dim("mm.2.weight", 1)),
    ("deepseekocr", Width::Dim("mm.model.fc.weight", 1)),
    ("deepseekocr2", Width::Dim("mm.model.fc.weight", 1)),
    ("deepseek4v", Width::Dim("mm.2.weight", 1)),
    ("glm4v", Width::Dim("mm.down.weight", 1)),
    ("glm5v", Width::Dim("mm.down.weight", 1)),
    ("youtuvl", Width::Dim("mm.2.bias", 0)),
    ("yasa2", Width::Dim("mm.2.weight", 1)),
    ("kimik25", Width::Dim("mm.2.weight", 1)),
    ("nemotron_v2_vl", Width::Dim("mm.model.mlp.3.weight", 1)),
    ("exaone4_5", Width::Dim("mm.2.bias", 0)),
    ("hunyuanvl", Width::Dim("mm.model.fc.weight", 1)),
    ("minicpmv4_6", Width::Dim("mm.down.weight", 1)),
    ("mimovl", Width::Dim("mm.2.weight", 1)),
    ("minimax_m3", Width::Dim("mm.merger.fc2.bias", 0)),
    ("granite4_vision", Width::Granite4Vision),
    ("muse-glimmer", Width::Dim("mm.2.weight", 1)),
];

/// Types whose encoder has no standard transformer blocks (`has_standard_layers` is false in
/// `load_tensors`), so `v.blk.N.*` is not required.
const NO_STANDARD_LAYERS: &[&str] = &["gemma3nv"];

/// What a projector file says about itself, once [`inspect_projector`] found it loadable.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectorInfo {
    pub path: PathBuf,
    /// File size.
    pub bytes: u64,
    /// `clip.projector_type` (or `clip.vision.projector_type` in a mixed-modality file).
    pub projector_type: String,
    /// `general.name`.
    pub name: Option<String>,
    /// Side of the square image the encoder is trained on (`clip.vision.image_size`); 0 where
    /// the size is dynamic.
    pub image_size: u32,
    /// `clip.vision.patch_size`.
    pub patch_size: u32,
    /// Width of the vision encoder (`clip.vision.embedding_length`).
    pub n_embd: u32,
    /// Encoder blocks (`clip.vision.block_count`).
    pub n_layer: u32,
    /// Width of the embeddings handed to the text model, which must equal the model's
    /// embedding size: read from the projection tensor's shape as `clip_n_mmproj_embd` does
    /// (`mm.2.weight`'s `ne[1]` for `mlp`).
    pub n_embd_out: u64,
    /// Embeddings one image becomes at `image_size`, where that is fixed by the file
    /// (`(image_size / patch_size)^2` for the llava `mlp` types); `None` where the count
    /// depends on the image or on merging this check does not follow.
    pub image_tokens: Option<u32>,
    /// Whether the file also holds an audio encoder (`clip.has_audio_encoder`).
    pub has_audio_encoder: bool,
    /// `general.file_type` as llama.cpp names it (`F16`, `Q8_0`, ...).
    pub quantization: Option<String>,
}

impl ProjectorInfo {
    /// Whether this projector's embeddings fit a text model of embedding size `model_n_embd`,
    /// as mtmd requires (it refuses the pair otherwise, after loading both).
    pub fn check_fits(&self, model_path: &Path, model_n_embd: u64) -> Result<(), EngineError> {
        if self.n_embd_out == model_n_embd {
            return Ok(());
        }
        Err(fault(
            &self.path,
            format!(
                "projects to {}-wide embeddings but model {} has {}",
                self.n_embd_out,
                model_path.display(),
                model_n_embd
            ),
        ))
    }
}

fn fault(path: &Path, message: impl Into<String>) -> EngineError {
    EngineError::Projector {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads the GGUF header of the projector at `path` and checks that mtmd can load it as a
/// vision encoder: a GGUF file, complete, of a projector type llama.cpp knows, with the keys
/// (of the types) and tensors clip.cpp requires for that type.
pub fn inspect_projector(path: &Path) -> Result<ProjectorInfo, EngineError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fault(path, "does not exist"),
        std::io::ErrorKind::PermissionDenied => fault(path, "cannot be read (permission denied)"),
        _ => fault(path, format!("cannot be read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(fault(path, "is a folder, not a GGUF file"));
    }
    let header = gguf::read_header(path).map_err(|e| match e {
        gguf::GgufError::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            fault(path, "cannot be read (permission denied)")
        }
        other => fault(path, other.to_string()),
    })?;
    let info = check(&header).map_err(|message| fault(path, message))?;
    Ok(ProjectorInfo {
        path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        bytes: meta.len(),
        ..info
    })
}

/// Keys clip.cpp reads for a vision encoder with `gguf_get_val_*` getters that abort on a
/// wrong type, and whether it requires them (`load_hparams`, generic part, and the
/// loader's constructor). Per-type keys (merge factors, pixel limits) are left to clip.cpp.
const VISION_KEYS: &[(&str, u32, bool)] = &[
    ("general.name", type_code::STRING, false),
    ("general.description", type_code::STRING, false),
    ("clip.has_vision_encoder", type_code::BOOL, true),
    ("clip.has_audio_encoder", type_code::BOOL, false),
    ("clip.has_gen_audio_encoder", type_code::BOOL, false),
    ("clip.vision.embedding_length", type_code::UINT32, true),
    ("clip.vision.attention.head_count", type_code::UINT32, true),
    ("clip.vision.attention.head_dim", type_code::UINT32, false),
    (
        "clip.vision.attention.head_count_kv",
        type_code::UINT32,
        false,
    ),
    ("clip.vision.feed_forward_length", type_code::UINT32, true),
    ("clip.vision.block_count", type_code::UINT32, true),
    ("clip.vision.projection_dim", type_code::UINT32, true),
    (
        "clip.vision.attention.layer_norm_epsilon",
        type_code::FLOAT32,
        true,
    ),
    ("clip.vision.image_size", type_code::UINT32, true),
    ("clip.vision.patch_size", type_code::UINT32, true),
    ("clip.minicpmv_version", type_code::INT32, false),
    ("clip.minicpmv_query_num", type_code::UINT32, false),
    ("clip.use_gelu", type_code::BOOL, false),
    ("clip.use_silu", type_code::BOOL, false),
    ("clip.vision.mm_patch_merge_type", type_code::STRING, false),
];

/// Array keys clip.cpp reads (it checks their element type itself, but refuses a wrong one).
const VISION_ARRAYS: &[(&str, u32, bool)] = &[
    ("clip.vision.image_mean", type_code::FLOAT32, true),
    ("clip.vision.image_std", type_code::FLOAT32, true),
    ("clip.vision.image_grid_pinpoints", type_code::INT32, false),
    ("clip.vision.feature_layer", type_code::INT32, false),
];

fn is_type(h: &Header, key: &str, code: u32) -> bool {
    h.kv_types.get(key)
        == Some(&ValueType {
            code,
            element: None,
        })
}

fn type_label(code: u32) -> String {
    ValueType {
        code,
        element: None,
    }
    .name()
}

/// Everything but the path and file size; `Err` is the one-line fault.
fn check(h: &Header) -> Result<ProjectorInfo, String> {
    for (key, code, _) in VISION_KEYS {
        if let Some(found) = h.kv_types.get(*key) {
            if !is_type(h, key, *code) {
                return Err(format!(
                    "{key} is {} where llama.cpp reads {} (it would abort)",
                    found.name(),
                    type_label(*code)
                ));
            }
        }
    }

    let projector_type = projector_type(h)?;
    match h.kv.get("clip.has_vision_encoder") {
        Some(Value::Bool(true)) => {}
        Some(_) => {
            return Err(format!(
                "has no vision encoder (clip.has_vision_encoder is false; projector type {projector_type})"
            ))
        }
        None => {
            return Err(format!(
                "is missing clip.has_vision_encoder (without it mtmd loads no vision encoder; projector type {projector_type})"
            ))
        }
    }
    if !PROJECTOR_TYPES.contains(&projector_type.as_str()) {
        return Err(format!(
            "unknown projector type \"{projector_type}\" (not one of the {} types this build's llama.cpp knows)",
            PROJECTOR_TYPES.len()
        ));
    }
    let width_rule = VISION_WIDTH
        .iter()
        .find(|(name, _)| *name == projector_type)
        .map(|(_, rule)| *rule)
        .ok_or_else(|| {
            format!("projector type \"{projector_type}\" is an audio projector, not a vision one")
        })?;

    for (key, code, required) in VISION_KEYS {
        if *required && !h.kv.contains_key(*key) {
            return Err(format!(
                "is missing {key} (a {} llama.cpp requires)",
                type_label(*code)
            ));
        }
    }
    for (key, element, required) in VISION_ARRAYS {
        match h.kv_types.get(*key) {
            None if *required => {
                return Err(format!(
                    "is missing {key} (an array of {} llama.cpp requires)",
                    type_label(*element)
                ))
            }
            None => {}
            Some(t) if t.element != Some(*element) => {
                return Err(format!(
                    "{key} is {} where llama.cpp reads an array of {}",
                    t.name(),
                    type_label(*element)
                ))
            }
            Some(_) => {}
        }
    }
    for key in ["clip.vision.image_mean", "clip.vision.image_std"] {
        if let Some(Value::Array(n)) = h.kv.get(key) {
            if *n < 3 {
                return Err(format!(
                    "{key} has {n} values; llama.cpp needs one per colour channel (3)"
                ));
            }
        }
    }

    let u32_key = |key: &str| h.int(key).unwrap_or(0) as u32;
    let n_embd = u32_key("clip.vision.embedding_length");
    let n_head = u32_key("clip.vision.attention.head_count");
    let n_layer = u32_key("clip.vision.block_count");
    let image_size = u32_key("clip.vision.image_size");
    let patch_size = u32_key("clip.vision.patch_size");
    // clip.cpp's sanity checks (it throws on these; 0 would also divide by zero below).
    if n_embd == 0 {
        return Err("clip.vision.embedding_length is 0".into());
    }
    if patch_size == 0 || patch_size >= 65536 {
        return Err(format!(
            "clip.vision.patch_size {patch_size} is out of range (1 to 65535)"
        ));
    }
    if image_size > 8192 {
        return Err(format!(
            "clip.vision.image_size {image_size} exceeds llama.cpp's limit of 8192"
        ));
    }
    if n_layer > 4096 {
        return Err(format!("clip.vision.block_count {n_layer} is implausible"));
    }

    if !NO_STANDARD_LAYERS.contains(&projector_type.as_str()) {
        check_blocks(h, n_layer)?;
    }

    let is_mlp = projector_type == "mlp";
    let mlp_norm = is_mlp && h.tensor("mm.3.weight").is_some();
    let n_embd_out = if mlp_norm {
        // llava's Yi variant: clip.cpp switches to MLP_NORM and reads mm.3.bias.
        dim(h, "mm.3.bias", 0)?
    } else {
        output_width(h, width_rule, n_layer)?
    };
    let mut image_tokens = None;
    if is_mlp {
        check_llava_graph(h, n_embd, n_head, image_size, patch_size, mlp_norm)?;
        let side = image_size / patch_size;
        image_tokens = Some(side * side);
    }

    Ok(ProjectorInfo {
        path: PathBuf::new(),
        bytes: 0,
        projector_type,
        name: h.str("general.name").map(str::to_string),
        image_size,
        patch_size,
        n_embd,
        n_layer,
        n_embd_out,
        image_tokens,
        has_audio_encoder: matches!(h.kv.get("clip.has_audio_encoder"), Some(Value::Bool(true))),
        quantization: h.quantization(),
    })
}

/// The projector type as `load_hparams` reads it: `clip.projector_type`, else (in a file with
/// several modalities) `clip.vision.projector_type`.
fn projector_type(h: &Header) -> Result<String, String> {
    for key in ["clip.projector_type", "clip.vision.projector_type"] {
        match h.kv.get(key) {
            Some(Value::Str(s)) if !s.is_empty() => return Ok(s.clone()),
            Some(Value::Str(_)) | None => {}
            Some(_) => {
                return Err(format!(
                    "{key} is {} where llama.cpp reads a string (it would abort)",
                    h.kv_types[key].name()
                ))
            }
        }
    }
    let what = match h.str("general.architecture") {
        Some("clip") | None => "".to_string(),
        Some(arch) => format!(" (its architecture is {arch}: a model, not a projector?)"),
    };
    Err(format!(
        "is not a vision projector: it has no clip.projector_type{what}"
    ))
}

fn tensor<'h>(h: &'h Header, name: &str, why: &str) -> Result<&'h TensorDesc, String> {
    h.tensor(name)
        .ok_or_else(|| format!("is missing tensor {name} ({why})"))
}

fn dim(h: &Header, name: &str, d: usize) -> Result<u64, String> {
    let t = tensor(h, name, "llama.cpp reads the projection width from it")?;
    t.dims.get(d).copied().ok_or_else(|| {
        format!(
            "tensor {name} has {} dimensions; llama.cpp reads the projection width from dimension {d}",
            t.dims.len()
        )
    })
}

/// The tensors `load_tensors` requires in every block of a standard encoder: the attention
/// output and, unless the block is a mixture of experts, the feed-forward up and down.
fn check_blocks(h: &Header, n_layer: u32) -> Result<(), String> {
    const WHY: &str = "llama.cpp requires it in every block";
    for il in 0..n_layer {
        tensor(h, &format!("v.blk.{il}.attn_out.weight"), WHY)?;
        let moe = h
            .tensor(&format!("v.blk.{il}.ffn_gate_exps.weight"))
            .is_some();
        if !moe {
            tensor(h, &format!("v.blk.{il}.ffn_up.weight"), WHY)?;
            tensor(h, &format!("v.blk.{il}.ffn_down.weight"), WHY)?;
        }
    }
    Ok(())
}

fn output_width(h: &Header, rule: Width, n_layer: u32) -> Result<u64, String> {
    match rule {
        Width::Dim(name, d) => dim(h, name, d),
        Width::Qwen3vl => {
            let deepstack = (0..n_layer)
                .filter(|il| h.tensor(&format!("v.deepstack.{il}.fc1.weight")).is_some())
                .count() as u64;
            Ok(dim(h, "mm.2.bias", 0)? * (1 + deepstack))
        }
        Width::Granite4Vision => {
            let n = match h.kv.get("clip.vision.feature_layer") {
                Some(Value::Array(n)) => *n,
                _ => 0,
            };
            Ok(n * h.int("clip.vision.projection_dim").unwrap_or(0).max(0) as u64)
        }
    }
}

/// What llava's graph (`clip_graph_llava::build`, `models/llava.cpp`) uses without checking
/// it is there, and the shapes its ops assert on.
fn check_llava_graph(
    h: &Header,
    n_embd: u32,
    n_head: u32,
    image_size: u32,
    patch_size: u32,
    mlp_norm: bool,
) -> Result<(), String> {
    const WHY: &str = "llava's graph uses it";
    let n_embd = u64::from(n_embd);
    let expect = |name: &str, want: &[u64]| -> Result<(), String> {
        let t = tensor(h, name, WHY)?;
        if t.dims != want {
            return Err(format!(
                "tensor {name} has shape {:?}; llava's graph needs {want:?}",
                t.dims
            ));
        }
        Ok(())
    };

    let heads_divide = n_head > 0 && n_embd.is_multiple_of(u64::from(n_head));
    if !heads_divide && h.int("clip.vision.attention.head_dim").is_none() {
        return Err(format!(
            "clip.vision.embedding_length {n_embd} is not a multiple of clip.vision.attention.head_count {n_head}"
        ));
    }
    let patch = u64::from(patch_size);
    expect("v.patch_embd.weight", &[patch, patch, 3, n_embd])?;
    let has_class = h.tensor("v.class_embd").is_some();
    if has_class {
        expect("v.class_embd", &[n_embd])?;
    }
    let side = u64::from(image_size / patch_size);
    let n_pos = side * side + u64::from(has_class);
    let pos = tensor(h, "v.position_embd.weight", WHY)?;
    if pos.dims.len() != 2 || pos.dims[0] != n_embd || pos.dims[1] < n_pos {
        return Err(format!(
            "tensor v.position_embd.weight has shape {:?}; llava's graph needs [{n_embd}, {n_pos}] \
             for {image_size}px images in {patch_size}px patches",
            pos.dims
        ));
    }
    let n_layer = h.int("clip.vision.block_count").unwrap_or(0);
    for il in 0..n_layer {
        for part in ["attn_q", "attn_k", "attn_v"] {
            tensor(h, &format!("v.blk.{il}.{part}.weight"), WHY)?;
        }
    }

    let mm0 = tensor(h, "mm.0.weight", WHY)?;
    if mm0.dims.len() != 2 || mm0.dims[0] != n_embd {
        return Err(format!(
            "tensor mm.0.weight has shape {:?}; its input width must be the encoder's {n_embd}",
            mm0.dims
        ));
    }
    let hidden = mm0.dims[1];
    expect("mm.0.bias", &[hidden])?;
    if mlp_norm {
        for name in ["mm.1.weight", "mm.1.bias"] {
            expect(name, &[hidden])?;
        }
        let mm3 = tensor(h, "mm.3.weight", WHY)?;
        let out = mm3.dims.get(1).copied().unwrap_or(0);
        expect("mm.3.weight", &[hidden, out])?;
        for name in ["mm.3.bias", "mm.4.weight", "mm.4.bias"] {
            expect(name, &[out])?;
        }
    } else {
        let mm2 = tensor(
            h,
            "mm.2.weight",
            "llama.cpp reads the projection width from it",
        )?;
        let out = mm2.dims.get(1).copied().unwrap_or(0);
        if mm2.dims.len() != 2 || mm2.dims[0] != hidden {
            return Err(format!(
                "tensor mm.2.weight has shape {:?}; its input width must be mm.0's output, {hidden}",
                mm2.dims
            ));
        }
        expect("mm.2.bias", &[out])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use mobench_gen::{write_gguf, write_projector, ModelSpec, ProjectorSpec};

    /// A tiny model and its projector, written into a fresh folder.
    struct Pair {
        dir: tempfile::TempDir,
        model: PathBuf,
        mmproj: PathBuf,
    }

    fn pair() -> Pair {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("tiny.gguf");
        let mmproj = dir.path().join("tiny-mmproj.gguf");
        let spec = ModelSpec::tiny();
        write_gguf(&spec, &model).unwrap();
        write_projector(&ProjectorSpec::tiny_for(&spec), &mmproj).unwrap();
        Pair { dir, model, mmproj }
    }

    /// The message of `inspect_projector`'s error, checked to be one line naming the file.
    fn refusal(path: &Path) -> String {
        let err = inspect_projector(path).expect_err("the projector is refused");
        let text = err.to_string();
        assert!(matches!(err, EngineError::Projector { .. }), "{err:?}");
        assert!(
            text.starts_with(&format!("projector {}: ", path.display())),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
        text
    }

    // --- A minimal GGUF writer, so each case changes exactly one thing. ---

    enum V {
        U32(u32),
        F32(f32),
        Bool(bool),
        Str(&'static str),
        F32s(Vec<f32>),
    }

    fn put_str(b: &mut Vec<u8>, s: &str) {
        b.extend((s.len() as u64).to_le_bytes());
        b.extend(s.as_bytes());
    }

    /// A GGUF v3 file with these key/values and F32 tensors of these shapes (zero data).
    fn gguf_bytes(kv: &[(&str, V)], tensors: &[(String, Vec<u64>)]) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend((tensors.len() as u64).to_le_bytes());
        b.extend((kv.len() as u64).to_le_bytes());
        for (key, v) in kv {
            put_str(&mut b, key);
            match v {
                V::U32(x) => {
                    b.extend(4u32.to_le_bytes());
                    b.extend(x.to_le_bytes());
                }
                V::F32(x) => {
                    b.extend(6u32.to_le_bytes());
                    b.extend(x.to_le_bytes());
                }
                V::Bool(x) => {
                    b.extend(7u32.to_le_bytes());
                    b.push(u8::from(*x));
                }
                V::Str(s) => {
                    b.extend(8u32.to_le_bytes());
                    put_str(&mut b, s);
                }
                V::F32s(xs) => {
                    b.extend(9u32.to_le_bytes());
                    b.extend(6u32.to_le_bytes());
                    b.extend((xs.len() as u64).to_le_bytes());
                    for x in xs {
                        b.extend(x.to_le_bytes());
                    }
                }
            }
        }
        let mut offset = 0u64;
        for (name, dims) in tensors {
            put_str(&mut b, name);
            b.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                b.extend(d.to_le_bytes());
            }
            b.extend(0u32.to_le_bytes());
            b.extend(offset.to_le_bytes());
            offset += (dims.iter().product::<u64>() * 4).div_ceil(32) * 32;
        }
        while !b.len().is_multiple_of(32) {
            b.push(0);
        }
        b.resize(b.len() + offset as usize, 0);
        b
    }

    /// The keys of a small valid `mlp` projector (vision width 8, 16px images in 8px patches,
    /// one block, projecting to 16).
    fn mlp_keys() -> Vec<(&'static str, V)> {
        vec![
            ("general.architecture", V::Str("clip")),
            ("clip.projector_type", V::Str("mlp")),
            ("clip.has_vision_encoder", V::Bool(true)),
            ("clip.vision.image_size", V::U32(16)),
            ("clip.vision.patch_size", V::U32(8)),
            ("clip.vision.embedding_length", V::U32(8)),
            ("clip.vision.feed_forward_length", V::U32(32)),
            ("clip.vision.block_count", V::U32(1)),
            ("clip.vision.attention.head_count", V::U32(2)),
            ("clip.vision.attention.layer_norm_epsilon", V::F32(1e-5)),
            ("clip.vision.projection_dim", V::U32(16)),
            ("clip.vision.image_mean", V::F32s(vec![0.5; 3])),
            ("clip.vision.image_std", V::F32s(vec![0.5; 3])),
        ]
    }

    fn mlp_tensors() -> Vec<(String, Vec<u64>)> {
        let mut t: Vec<(String, Vec<u64>)> = vec![
            ("v.patch_embd.weight".into(), vec![8, 8, 3, 8]),
            ("v.position_embd.weight".into(), vec![8, 4]),
        ];
        for part in ["attn_q", "attn_k", "attn_v", "attn_out"] {
            t.push((format!("v.blk.0.{part}.weight"), vec![8, 8]));
        }
        t.push(("v.blk.0.ffn_up.weight".into(), vec![8, 32]));
        t.push(("v.blk.0.ffn_down.weight".into(), vec![32, 8]));
        t.push(("mm.0.weight".into(), vec![8, 16]));
        t.push(("mm.0.bias".into(), vec![16]));
        t.push(("mm.2.weight".into(), vec![16, 16]));
        t.push(("mm.2.bias".into(), vec![16]));
        t
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn the_generated_pair_passes_and_fits() {
        let p = pair();
        let info = inspect_projector(&p.mmproj).unwrap();
        let spec = ProjectorSpec::tiny_for(&ModelSpec::tiny());
        assert_eq!(info.projector_type, "mlp");
        assert_eq!(info.image_size, 32);
        assert_eq!(info.patch_size, 8);
        assert_eq!(info.n_embd, spec.n_embd);
        assert_eq!(info.n_layer, 2);
        assert_eq!(info.n_embd_out, u64::from(ModelSpec::tiny().n_embd));
        assert_eq!(info.image_tokens, Some(16));
        assert_eq!(info.name.as_deref(), Some("mobench-tiny-mmproj"));
        assert_eq!(info.bytes, std::fs::metadata(&p.mmproj).unwrap().len());
        assert_eq!(info.quantization.as_deref(), Some("F32"));
        assert!(!info.has_audio_encoder);
        info.check_fits(&p.model, 128).unwrap();

        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["n_embd_out"], 128);
        assert_eq!(json["projector_type"], "mlp");

        // The benchmark preset too.
        let bench = p.dir.path().join("bench-mmproj.gguf");
        let model = ModelSpec::bench_100m();
        write_projector(&ProjectorSpec::bench_for(&model), &bench).unwrap();
        let info = inspect_projector(&bench).unwrap();
        assert_eq!(info.image_tokens, Some(256));
        assert_eq!(info.n_embd_out, 768);
        assert_eq!(info.quantization.as_deref(), Some("F16"));
    }

    #[test]
    fn a_width_mismatch_names_both_files_and_sizes() {
        let p = pair();
        let info = inspect_projector(&p.mmproj).unwrap();
        let err = info.check_fits(&p.model, 2560).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "projector {}: projects to 128-wide embeddings but model {} has 2560",
                info.path.display(),
                p.model.display()
            )
        );
    }

    #[test]
    fn a_hand_made_minimal_projector_passes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "min.gguf",
            &gguf_bytes(&mlp_keys(), &mlp_tensors()),
        );
        let info = inspect_projector(&path).unwrap();
        assert_eq!(info.n_embd_out, 16);
        assert_eq!(info.image_tokens, Some(4));
        assert_eq!(info.name, None);
    }

    #[test]
    fn not_gguf_missing_and_folders_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "photo.jpg", b"\xff\xd8\xff\xe0JFIF");
        assert!(refusal(&path).contains("not a GGUF file"));
        assert!(refusal(&dir.path().join("absent.gguf")).ends_with("does not exist"));
        assert!(refusal(dir.path()).contains("is a folder"));
    }

    #[test]
    fn truncated_files_are_named() {
        let p = pair();
        let bytes = std::fs::read(&p.mmproj).unwrap();
        let cut = write(p.dir.path(), "cut.gguf", &bytes[..bytes.len() - 100]);
        let text = refusal(&cut);
        assert!(text.contains("truncated"), "{text}");
        assert!(text.contains(&(bytes.len() - 100).to_string()), "{text}");
        let header_only = write(p.dir.path(), "head.gguf", &bytes[..60]);
        assert!(refusal(&header_only).contains("truncated"));
    }

    #[test]
    fn a_model_is_not_a_projector() {
        let p = pair();
        let text = refusal(&p.model);
        assert!(text.contains("no clip.projector_type"), "{text}");
        assert!(text.contains("architecture is llama"), "{text}");
    }

    #[test]
    fn missing_required_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        for key in [
            "clip.vision.embedding_length",
            "clip.vision.attention.head_count",
            "clip.vision.feed_forward_length",
            "clip.vision.block_count",
            "clip.vision.projection_dim",
            "clip.vision.attention.layer_norm_epsilon",
            "clip.vision.image_size",
            "clip.vision.patch_size",
            "clip.vision.image_mean",
            "clip.vision.image_std",
        ] {
            let keys: Vec<_> = mlp_keys().into_iter().filter(|(k, _)| *k != key).collect();
            let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
            let text = refusal(&path);
            assert!(text.contains(&format!("is missing {key}")), "{text}");
        }
        // Without the vision flag mtmd would load nothing.
        let keys: Vec<_> = mlp_keys()
            .into_iter()
            .filter(|(k, _)| *k != "clip.has_vision_encoder")
            .collect();
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
        assert!(refusal(&path).contains("is missing clip.has_vision_encoder"));
        let keys: Vec<_> = mlp_keys()
            .into_iter()
            .map(|(k, v)| match k {
                "clip.has_vision_encoder" => (k, V::Bool(false)),
                _ => (k, v),
            })
            .collect();
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
        assert!(refusal(&path).contains("has no vision encoder"));
    }

    #[test]
    fn keys_of_the_wrong_type_are_refused_before_llama_cpp_aborts() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<_> = mlp_keys()
            .into_iter()
            .map(|(k, v)| match k {
                "clip.vision.image_size" => (k, V::F32(224.0)),
                _ => (k, v),
            })
            .collect();
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
        let text = refusal(&path);
        assert!(
            text.contains("clip.vision.image_size is f32 where llama.cpp reads u32"),
            "{text}"
        );
        let keys: Vec<_> = mlp_keys()
            .into_iter()
            .map(|(k, v)| match k {
                "clip.vision.image_mean" => (k, V::F32(0.5)),
                _ => (k, v),
            })
            .collect();
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
        assert!(refusal(&path)
            .contains("clip.vision.image_mean is f32 where llama.cpp reads an array of f32"));
    }

    #[test]
    fn unknown_and_audio_projector_types_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let with_type = |t: &'static str| -> Vec<(&'static str, V)> {
            mlp_keys()
                .into_iter()
                .map(|(k, v)| match k {
                    "clip.projector_type" => (k, V::Str(t)),
                    _ => (k, v),
                })
                .collect()
        };
        let path = write(
            dir.path(),
            "p.gguf",
            &gguf_bytes(&with_type("mlp2"), &mlp_tensors()),
        );
        assert!(refusal(&path).contains("unknown projector type \"mlp2\""));
        let path = write(
            dir.path(),
            "p.gguf",
            &gguf_bytes(&with_type("ultravox"), &mlp_tensors()),
        );
        assert!(refusal(&path).contains("is an audio projector"));
    }

    #[test]
    fn missing_required_tensors_are_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "mm.2.weight",
            "mm.2.bias",
            "mm.0.weight",
            "mm.0.bias",
            "v.patch_embd.weight",
            "v.position_embd.weight",
            "v.blk.0.attn_out.weight",
            "v.blk.0.attn_q.weight",
            "v.blk.0.ffn_down.weight",
        ] {
            let tensors: Vec<_> = mlp_tensors()
                .into_iter()
                .filter(|(n, _)| n != name)
                .collect();
            let path = write(dir.path(), "p.gguf", &gguf_bytes(&mlp_keys(), &tensors));
            let text = refusal(&path);
            assert!(
                text.contains(&format!("is missing tensor {name} (")),
                "{text}"
            );
        }
        // The generic rule for another type: its projection tensor.
        let keys: Vec<_> = mlp_keys()
            .into_iter()
            .map(|(k, v)| match k {
                "clip.projector_type" => (k, V::Str("idefics3")),
                _ => (k, v),
            })
            .collect();
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &mlp_tensors()));
        assert!(refusal(&path).contains("is missing tensor mm.model.fc.weight"));
        let mut tensors = mlp_tensors();
        tensors.push(("mm.model.fc.weight".into(), vec![32, 2048]));
        let path = write(dir.path(), "p.gguf", &gguf_bytes(&keys, &tensors));
        let info = inspect_projector(&path).unwrap();
        assert_eq!(info.n_embd_out, 2048);
        assert_eq!(info.image_tokens, None);
    }

    #[test]
    fn misshapen_llava_tensors_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "v.patch_embd.weight",
                vec![14, 14, 3, 8],
                "v.patch_embd.weight has shape",
            ),
            (
                "v.position_embd.weight",
                vec![8, 3],
                "v.position_embd.weight has shape",
            ),
            ("mm.0.weight", vec![16, 16], "mm.0.weight has shape"),
            ("mm.2.weight", vec![8, 16], "mm.2.weight has shape"),
        ];
        for (name, dims, expected) in cases {
            let tensors: Vec<_> = mlp_tensors()
                .into_iter()
                .map(|(n, d)| if n == name { (n, dims.clone()) } else { (n, d) })
                .collect();
            let path = write(dir.path(), "p.gguf", &gguf_bytes(&mlp_keys(), &tensors));
            let text = refusal(&path);
            assert!(text.contains(expected), "{text}");
        }
    }

    /// The const list against llama.cpp's own, where the crate's sources are on this machine
    /// (they are wherever this crate was built from the registry).
    #[test]
    fn projector_types_match_clip_impl_h() {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        let Some(registry) = home.map(|h| h.join("registry/src")) else {
            eprintln!("no cargo home: clip-impl.h not compared");
            return;
        };
        let header = std::fs::read_dir(&registry)
            .into_iter()
            .flatten()
            .flatten()
            .map(|index| {
                index
                    .path()
                    .join("llama-cpp-sys-2-0.1.161/llama.cpp/tools/mtmd/clip-impl.h")
            })
            .find(|p| p.is_file());
        let Some(header) = header else {
            eprintln!("llama-cpp-sys-2's sources not found: clip-impl.h not compared");
            return;
        };
        let text = std::fs::read_to_string(&header).unwrap();
        let start = text
            .find("PROJECTOR_TYPE_NAMES = {")
            .expect("PROJECTOR_TYPE_NAMES in clip-impl.h");
        let block = &text[start..start + text[start..].find("};").unwrap()];
        let names: Vec<&str> = block
            .lines()
            .filter_map(|line| {
                let open = line.find('"')?;
                let len = line[open + 1..].find('"')?;
                Some(&line[open + 1..open + 1 + len])
            })
            .collect();
        assert_eq!(
            names,
            PROJECTOR_TYPES,
            "update PROJECTOR_TYPES from {}",
            header.display()
        );
    }

    #[test]
    fn every_width_rule_names_a_known_type() {
        for (name, _) in VISION_WIDTH {
            assert!(PROJECTOR_TYPES.contains(name), "{name}");
        }
    }
}
