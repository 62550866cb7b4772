//! A vision projector ("mmproj") for a generated model: a small CLIP vision encoder and the
//! two-layer llava `mlp` projector (llava-phi-2's, the type MobileAIBench's own vision model
//! uses), written as the GGUF file llama.cpp's mtmd loads beside the text model.
//!
//! Names, keys and shapes are those llama.cpp's `tools/mtmd/clip.cpp` asks for:
//! `clip_model_loader::load_hparams` reads the `clip.vision.*` keys (the ones without a default
//! are all written here), `load_tensors` the tensors, and `clip_graph_llava::build`
//! (`models/llava.cpp`) uses them:
//!
//! | tensor | ggml shape (innermost first) |
//! | --- | --- |
//! | `v.patch_embd.weight` | `[patch, patch, 3, n_embd]` (a conv2d kernel) |
//! | `v.patch_embd.bias` | `[n_embd]` |
//! | `v.class_embd` | `[n_embd]` |
//! | `v.position_embd.weight` | `[n_embd, n_patches + 1]` (the class token has a position) |
//! | `v.pre_ln.{weight,bias}` | `[n_embd]` |
//! | `v.blk.N.{attn_q,attn_k,attn_v,attn_out}.weight` | `[n_embd, n_embd]`, bias `[n_embd]` |
//! | `v.blk.N.{ln1,ln2}.{weight,bias}` | `[n_embd]` |
//! | `v.blk.N.ffn_up.weight` | `[n_embd, n_ff]`, bias `[n_ff]` |
//! | `v.blk.N.ffn_down.weight` | `[n_ff, n_embd]`, bias `[n_embd]` |
//! | `mm.0.weight` | `[n_embd, n_embd_out]`, bias `[n_embd_out]` |
//! | `mm.2.weight` | `[n_embd_out, n_embd_out]`, bias `[n_embd_out]` |
//!
//! There is no `v.post_ln`: llava takes its features from the second-to-last block, so its
//! converter drops the final norm, and the graph skips it when absent. mtmd checks that
//! `mm.2.weight`'s output width equals the text model's embedding size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::GenError;
use crate::gguf::{self, TensorInfo, TensorType, Value};
use crate::model::write_atomically;
use crate::spec::{DType, ModelSpec};
use crate::weights::{SplitMix64, WEIGHT_STD};

/// CLIP's normalisation constants (OpenAI CLIP), as llava-phi-2's projector stores them.
const IMAGE_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
const IMAGE_STD: [f32; 3] = [0.268_629_55, 0.261_302_6, 0.275_777_1];
const LAYER_NORM_EPS: f32 = 1e-5;

/// Shape, storage and provenance of a generated llava-style vision projector.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectorSpec {
    /// Written to `general.name`.
    pub name: String,
    /// Side of the square image the encoder sees (`clip.vision.image_size`); mtmd resizes
    /// every image to it.
    pub image_size: u32,
    /// Side of one patch (`clip.vision.patch_size`); `image_size` is a multiple of it.
    pub patch_size: u32,
    /// Width of the vision encoder (`clip.vision.embedding_length`).
    pub n_embd: u32,
    /// Hidden width of its feed-forward blocks (`clip.vision.feed_forward_length`).
    pub n_ff: u32,
    /// Encoder blocks (`clip.vision.block_count`); llava runs all but the last.
    pub n_layer: u32,
    pub n_head: u32,
    /// Width of the embeddings the projector hands the text model: `mm.0` and `mm.2`'s output
    /// size, which must equal the text model's `n_embd`.
    pub n_embd_out: u32,
    /// Storage type of the matrices; the patch kernel, embeddings, norms and biases are F32.
    pub dtype: DType,
    /// Every weight is a deterministic function of this seed and the tensor's name.
    pub seed: u64,
}

impl ProjectorSpec {
    /// A projector for `model` of about 140,000 parameters: 32×32 images in 8×8
    /// patches (16 image tokens), two encoder blocks of width 64, projecting into the model's
    /// embedding size. Loads and encodes an image in a few milliseconds.
    pub fn tiny_for(model: &ModelSpec) -> Self {
        ProjectorSpec {
            name: format!("{}-mmproj", model.name),
            image_size: 32,
            patch_size: 8,
            n_embd: 64,
            n_ff: 256,
            n_layer: 2,
            n_head: 2,
            n_embd_out: model.n_embd,
            dtype: model.dtype,
            seed: model.seed,
        }
    }

    /// A projector for benchmarks: 224×224 images in 14×14 patches (256 image tokens, as a
    /// ViT-S/14), seven blocks of width 384 (six of them run), stored as the model's type.
    /// Encoding an image takes tens to hundreds of milliseconds on a laptop CPU.
    pub fn bench_for(model: &ModelSpec) -> Self {
        ProjectorSpec {
            name: format!("{}-mmproj", model.name),
            image_size: 224,
            patch_size: 14,
            n_embd: 384,
            n_ff: 1536,
            n_layer: 7,
            n_head: 6,
            n_embd_out: model.n_embd,
            dtype: model.dtype,
            seed: model.seed,
        }
    }

    /// Patches per side of the (resized) image.
    pub fn patches_per_side(&self) -> u32 {
        self.image_size / self.patch_size.max(1)
    }

    /// Embeddings one image becomes in the text model's context: one per patch.
    pub fn n_image_tokens(&self) -> u32 {
        self.patches_per_side() * self.patches_per_side()
    }

    /// Number of weights in the file (every element of every tensor).
    pub fn n_params(&self) -> u64 {
        tensor_infos(self).iter().map(TensorInfo::n_elements).sum()
    }

    /// Checks the constraints clip.cpp's loader and llava graph put on the hyperparameters.
    pub fn validate(&self) -> Result<(), GenError> {
        let fail = |msg: String| Err(GenError::InvalidSpec(format!("projector: {msg}")));
        if self.name.is_empty() {
            return fail("name is empty".into());
        }
        let positive = [
            self.image_size,
            self.patch_size,
            self.n_embd,
            self.n_ff,
            self.n_layer,
            self.n_head,
            self.n_embd_out,
        ];
        if positive.contains(&0) {
            return fail(
                "image_size, patch_size, n_embd, n_ff, n_layer, n_head and n_embd_out must be positive"
                    .into(),
            );
        }
        // clip.cpp's sanity checks in load_hparams.
        if self.image_size > 8192 {
            return fail(format!(
                "image_size {} exceeds clip.cpp's limit of 8192",
                self.image_size
            ));
        }
        if !self.image_size.is_multiple_of(self.patch_size) {
            return fail(format!(
                "image_size {} is not a multiple of patch_size {}",
                self.image_size, self.patch_size
            ));
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return fail(format!(
                "n_embd {} is not a multiple of n_head {}",
                self.n_embd, self.n_head
            ));
        }
        Ok(())
    }
}

/// Writes the projector described by `spec` to `path`, atomically as [`crate::write_gguf`]
/// does: readers never see a partial file.
pub fn write_projector(spec: &ProjectorSpec, path: &Path) -> Result<(), GenError> {
    spec.validate()?;
    write_atomically(path, |temp| write_file(spec, temp))?;
    tracing::debug!(
        path = %path.display(),
        n_params = spec.n_params(),
        n_image_tokens = spec.n_image_tokens(),
        "wrote GGUF vision projector"
    );
    Ok(())
}

fn write_file(spec: &ProjectorSpec, path: &Path) -> io::Result<()> {
    let tensors = tensor_infos(spec);
    let (_, data_size) = gguf::data_layout(&tensors);
    let header = gguf::header(&metadata(spec), &tensors);

    let file = File::create(path)?;
    file.set_len(header.len() as u64 + data_size)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    out.write_all(&header)?;
    for tensor in &tensors {
        write_tensor(&mut out, spec.seed, tensor)?;
    }
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()
}

fn metadata(spec: &ProjectorSpec) -> Vec<(&'static str, Value)> {
    let mut kv = gguf::general("clip", &spec.name, spec.seed, spec.dtype.file_type());
    kv.extend([
        ("clip.projector_type", Value::Str("mlp".into())),
        ("clip.has_vision_encoder", Value::Bool(true)),
        ("clip.has_text_encoder", Value::Bool(false)),
        // Read by older llava code only; llama.cpp now derives it from the projector type.
        ("clip.has_llava_projector", Value::Bool(true)),
        ("clip.vision.image_size", Value::U32(spec.image_size)),
        ("clip.vision.patch_size", Value::U32(spec.patch_size)),
        ("clip.vision.embedding_length", Value::U32(spec.n_embd)),
        ("clip.vision.feed_forward_length", Value::U32(spec.n_ff)),
        ("clip.vision.block_count", Value::U32(spec.n_layer)),
        ("clip.vision.attention.head_count", Value::U32(spec.n_head)),
        (
            "clip.vision.attention.layer_norm_epsilon",
            Value::F32(LAYER_NORM_EPS),
        ),
        // CLIP's own joint-embedding width; the llava graph does not use it, but clip.cpp
        // requires the key.
        ("clip.vision.projection_dim", Value::U32(spec.n_embd_out)),
        (
            "clip.vision.image_mean",
            Value::F32Array(IMAGE_MEAN.to_vec()),
        ),
        ("clip.vision.image_std", Value::F32Array(IMAGE_STD.to_vec())),
    ]);
    kv
}

/// How a tensor's values are made.
#[derive(Clone, Copy)]
enum Init {
    /// normal(0, 0.02)
    Random,
    Ones,
    Zeros,
}

fn init_of(name: &str) -> Init {
    let is_norm = name.contains("pre_ln.") || name.contains(".ln1.") || name.contains(".ln2.");
    match (is_norm, name.ends_with(".bias")) {
        (true, false) => Init::Ones,
        (true, true) => Init::Zeros,
        // Linear biases, embeddings and matrices are random, so every add in the graph is real.
        (false, _) => Init::Random,
    }
}

/// Tensor names and shapes exactly as clip.cpp's loader and llava graph ask for them.
fn tensor_infos(spec: &ProjectorSpec) -> Vec<TensorInfo> {
    let matrix_type = match spec.dtype {
        DType::F32 => TensorType::F32,
        DType::F16 => TensorType::F16,
    };
    let embd = u64::from(spec.n_embd);
    let ff = u64::from(spec.n_ff);
    let out = u64::from(spec.n_embd_out);
    let patch = u64::from(spec.patch_size);
    let n_pos = u64::from(spec.n_image_tokens()) + 1;
    let f32_tensor = |name: String, dims: &[u64]| TensorInfo {
        name,
        dims: dims.to_vec(),
        kind: TensorType::F32,
    };
    let matrix = |name: String, dims: [u64; 2]| TensorInfo {
        name,
        dims: dims.to_vec(),
        kind: matrix_type,
    };

    let mut tensors = vec![
        f32_tensor("v.patch_embd.weight".into(), &[patch, patch, 3, embd]),
        f32_tensor("v.patch_embd.bias".into(), &[embd]),
        f32_tensor("v.class_embd".into(), &[embd]),
        f32_tensor("v.position_embd.weight".into(), &[embd, n_pos]),
        f32_tensor("v.pre_ln.weight".into(), &[embd]),
        f32_tensor("v.pre_ln.bias".into(), &[embd]),
    ];
    for layer in 0..spec.n_layer {
        let blk = |part: &str, kind: &str| format!("v.blk.{layer}.{part}.{kind}");
        for part in ["attn_q", "attn_k", "attn_v", "attn_out"] {
            tensors.push(matrix(blk(part, "weight"), [embd, embd]));
            tensors.push(f32_tensor(blk(part, "bias"), &[embd]));
        }
        for part in ["ln1", "ln2"] {
            tensors.push(f32_tensor(blk(part, "weight"), &[embd]));
            tensors.push(f32_tensor(blk(part, "bias"), &[embd]));
        }
        tensors.push(matrix(blk("ffn_up", "weight"), [embd, ff]));
        tensors.push(f32_tensor(blk("ffn_up", "bias"), &[ff]));
        tensors.push(matrix(blk("ffn_down", "weight"), [ff, embd]));
        tensors.push(f32_tensor(blk("ffn_down", "bias"), &[embd]));
    }
    tensors.extend([
        matrix("mm.0.weight".into(), [embd, out]),
        f32_tensor("mm.0.bias".into(), &[out]),
        matrix("mm.2.weight".into(), [out, out]),
        f32_tensor("mm.2.bias".into(), &[out]),
    ]);
    tensors
}

/// Streams one tensor's values, followed by the padding that aligns the next one.
///
/// Norm weights are 1 and norm biases 0; everything else is normal(0, 0.02). With the layer
/// norms in between, activations stay of order one through any number of blocks, and the
/// projected embeddings are small and finite.
fn write_tensor<W: Write>(out: &mut W, seed: u64, tensor: &TensorInfo) -> io::Result<()> {
    let init = init_of(&tensor.name);
    let mut rng = SplitMix64::for_tensor(seed, &tensor.name);
    let values = (0..tensor.n_elements()).map(|_| match init {
        Init::Random => rng.next_normal() * WEIGHT_STD,
        Init::Ones => 1.0,
        Init::Zeros => 0.0,
    });
    gguf::write_tensor_data(out, tensor, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_project_into_the_model() {
        for (model, spec) in [
            (
                ModelSpec::tiny(),
                ProjectorSpec::tiny_for(&ModelSpec::tiny()),
            ),
            (
                ModelSpec::bench_100m(),
                ProjectorSpec::bench_for(&ModelSpec::bench_100m()),
            ),
        ] {
            spec.validate().unwrap();
            assert_eq!(spec.n_embd_out, model.n_embd);
        }
        assert_eq!(
            ProjectorSpec::tiny_for(&ModelSpec::tiny()).n_image_tokens(),
            16
        );
        assert_eq!(
            ProjectorSpec::bench_for(&ModelSpec::bench_100m()).n_image_tokens(),
            256
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        let base = ProjectorSpec::tiny_for(&ModelSpec::tiny());
        let cases = [
            ProjectorSpec {
                patch_size: 7,
                ..base.clone()
            },
            ProjectorSpec {
                n_head: 3,
                ..base.clone()
            },
            ProjectorSpec {
                n_embd_out: 0,
                ..base.clone()
            },
            ProjectorSpec {
                image_size: 16384,
                patch_size: 16,
                ..base.clone()
            },
        ];
        for spec in cases {
            let err = spec.validate().unwrap_err().to_string();
            assert!(err.starts_with("invalid model spec: projector: "), "{err}");
        }
    }

    #[test]
    fn norms_are_identity_and_the_rest_random() {
        assert!(matches!(init_of("v.pre_ln.weight"), Init::Ones));
        assert!(matches!(init_of("v.blk.0.ln2.bias"), Init::Zeros));
        assert!(matches!(init_of("v.blk.1.attn_q.bias"), Init::Random));
        assert!(matches!(init_of("mm.2.weight"), Init::Random));
        assert!(matches!(init_of("v.class_embd"), Init::Random));
    }
}
