//! The vision projector: read back with the independent GGUF reader, then loaded by llama.cpp's
//! mtmd beside its model and run on a real JPEG.

use std::ffi::CString;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::mtmd::{
    mtmd_default_marker, MtmdBitmap, MtmdContext, MtmdContextParams, MtmdInputChunkType,
    MtmdInputText,
};
use mobench_gen::{write_gguf, write_projector, DType, ModelSpec, ProjectorSpec};

use crate::gguf_reader::{self, Gguf, Val};
use crate::llama::backend;

/// A photo from MobileAIBench's VQAv2 split, read where the shared datasets live.
fn vqa_image() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets/mobileaibench/vqav2/images/393372013.jpg");
    assert!(
        path.is_file(),
        "the MobileAIBench VQAv2 images are missing: expected {} \
         (the tests read ../shared/datasets/mobileaibench beside the workspace)",
        path.display()
    );
    path
}

fn write_and_parse(spec: &ProjectorSpec, dir: &Path) -> Gguf {
    let path = dir.join("mmproj.gguf");
    write_projector(spec, &path).expect("write projector");
    gguf_reader::parse(std::fs::read(&path).expect("read projector"))
}

fn dims(gguf: &Gguf, name: &str) -> Vec<u64> {
    gguf.tensor(name).dims.clone()
}

#[test]
fn tiny_projector_has_the_keys_and_shapes_clip_reads() {
    let dir = tempfile::tempdir().unwrap();
    let model = ModelSpec::tiny();
    let spec = ProjectorSpec::tiny_for(&model);
    let gguf = write_and_parse(&spec, dir.path());

    assert_eq!(gguf.version, 3);
    assert_eq!(gguf.get("general.architecture").as_str(), "clip");
    assert_eq!(gguf.get("general.name").as_str(), "mobench-tiny-mmproj");
    assert_eq!(gguf.get("general.file_type").as_u32(), 0);
    assert_eq!(gguf.get("clip.projector_type").as_str(), "mlp");
    assert!(gguf.get("clip.has_vision_encoder").as_bool());
    let u32_keys = [
        ("clip.vision.image_size", 32),
        ("clip.vision.patch_size", 8),
        ("clip.vision.embedding_length", spec.n_embd),
        ("clip.vision.feed_forward_length", spec.n_ff),
        ("clip.vision.block_count", 2),
        ("clip.vision.attention.head_count", spec.n_head),
        ("clip.vision.projection_dim", model.n_embd),
    ];
    for (key, value) in u32_keys {
        assert_eq!(gguf.get(key).as_u32(), value, "{key}");
    }
    let eps = gguf
        .get("clip.vision.attention.layer_norm_epsilon")
        .as_f32();
    assert!(eps > 0.0 && eps < 1e-3);
    for key in ["clip.vision.image_mean", "clip.vision.image_std"] {
        let values = gguf.get(key).as_arr();
        assert_eq!(values.len(), 3, "{key}");
        assert!(values
            .iter()
            .all(|v| matches!(v, Val::F32(x) if *x > 0.0 && *x < 1.0)));
    }

    let embd = u64::from(spec.n_embd);
    let ff = u64::from(spec.n_ff);
    let out = u64::from(model.n_embd);
    assert_eq!(dims(&gguf, "v.patch_embd.weight"), [8, 8, 3, embd]);
    assert_eq!(dims(&gguf, "v.patch_embd.bias"), [embd]);
    assert_eq!(dims(&gguf, "v.class_embd"), [embd]);
    // One position per patch, plus the class token's.
    assert_eq!(dims(&gguf, "v.position_embd.weight"), [embd, 16 + 1]);
    assert_eq!(dims(&gguf, "v.pre_ln.weight"), [embd]);
    for layer in 0..2 {
        for part in ["attn_q", "attn_k", "attn_v", "attn_out"] {
            let name = format!("v.blk.{layer}.{part}");
            assert_eq!(dims(&gguf, &format!("{name}.weight")), [embd, embd]);
            assert_eq!(dims(&gguf, &format!("{name}.bias")), [embd]);
        }
        for part in ["ln1", "ln2"] {
            assert_eq!(dims(&gguf, &format!("v.blk.{layer}.{part}.weight")), [embd]);
            assert_eq!(dims(&gguf, &format!("v.blk.{layer}.{part}.bias")), [embd]);
        }
        assert_eq!(
            dims(&gguf, &format!("v.blk.{layer}.ffn_up.weight")),
            [embd, ff]
        );
        assert_eq!(
            dims(&gguf, &format!("v.blk.{layer}.ffn_down.weight")),
            [ff, embd]
        );
    }
    assert_eq!(dims(&gguf, "mm.0.weight"), [embd, out]);
    assert_eq!(dims(&gguf, "mm.0.bias"), [out]);
    // clip_n_mmproj_embd: mm.2.weight's ne[1] must be the text model's n_embd.
    assert_eq!(dims(&gguf, "mm.2.weight"), [out, out]);
    assert_eq!(dims(&gguf, "mm.2.bias"), [out]);
    // No final norm: llava reads the second-to-last block.
    assert!(gguf
        .tensors
        .iter()
        .all(|t| !t.name.starts_with("v.post_ln")));

    // Norms are the identity, weights small, everything aligned and inside the file.
    assert!(gguf.f32_values("v.pre_ln.weight").iter().all(|&v| v == 1.0));
    assert!(gguf
        .f32_values("v.blk.1.ln2.bias")
        .iter()
        .all(|&v| v == 0.0));
    let mm2 = gguf.f32_values("mm.2.weight");
    assert!(mm2.iter().all(|v| v.is_finite() && v.abs() < 0.1));
    let total: u64 = gguf.tensors.iter().map(|t| t.n_elements()).sum();
    assert_eq!(total, spec.n_params());
    for t in &gguf.tensors {
        assert_eq!(t.offset % 32, 0, "{} is not aligned", t.name);
        assert!(gguf.data_start + t.offset + t.n_bytes() <= gguf.bytes.len() as u64);
    }
}

#[test]
fn f16_projector_stores_matrices_as_f16_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let model = ModelSpec {
        dtype: DType::F16,
        ..ModelSpec::tiny()
    };
    let spec = ProjectorSpec::tiny_for(&model);
    let gguf = write_and_parse(&spec, dir.path());
    assert_eq!(gguf.get("general.file_type").as_u32(), 1);
    assert_eq!(gguf.tensor("mm.0.weight").ggml_type, 1);
    assert_eq!(gguf.tensor("v.blk.0.attn_q.weight").ggml_type, 1);
    // The conv kernel, embeddings, norms and biases stay F32.
    for name in ["v.patch_embd.weight", "v.position_embd.weight", "mm.2.bias"] {
        assert_eq!(gguf.tensor(name).ggml_type, 0, "{name}");
    }

    let again = tempfile::tempdir().unwrap();
    let other = write_and_parse(&spec, again.path());
    assert_eq!(gguf.bytes, other.bytes, "same spec, same bytes");
    let reseeded = write_and_parse(
        &ProjectorSpec {
            seed: 7,
            ..spec.clone()
        },
        again.path(),
    );
    assert_ne!(
        gguf.tensor_bytes("mm.0.weight"),
        reseeded.tensor_bytes("mm.0.weight")
    );
}

#[test]
fn bench_projector_makes_256_image_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ProjectorSpec::bench_for(&ModelSpec::bench_100m());
    assert_eq!(spec.n_image_tokens(), 256);
    let gguf = write_and_parse(&spec, dir.path());
    assert_eq!(gguf.get("clip.vision.image_size").as_u32(), 224);
    assert_eq!(gguf.get("clip.vision.patch_size").as_u32(), 14);
    assert_eq!(
        dims(&gguf, "v.position_embd.weight"),
        [u64::from(spec.n_embd), 257]
    );
    assert_eq!(dims(&gguf, "mm.2.weight")[1], 768);
}

struct Encoded {
    image_tokens: usize,
    n_past: i32,
    total_positions: i32,
    load: Duration,
    eval: Duration,
}

/// Loads `model` and `projector` (written to `dir`) with mtmd, tokenizes a ChatML prompt around
/// the VQAv2 photo and evaluates every chunk; the logits after the prompt must be finite, so
/// the image embeddings were too.
fn encode_photo(model: &ModelSpec, projector: &ProjectorSpec, dir: &Path) -> Encoded {
    let model_path = dir.join("model.gguf");
    let mmproj_path = dir.join("mmproj.gguf");
    write_gguf(model, &model_path).expect("write model");
    write_projector(projector, &mmproj_path).expect("write projector");

    let llama = LlamaModel::load_from_file(backend(), &model_path, &LlamaModelParams::default())
        .expect("llama.cpp loads the model");
    let params = MtmdContextParams {
        use_gpu: false,
        print_timings: false,
        n_threads: 2,
        media_marker: CString::new(mtmd_default_marker()).unwrap(),
        image_min_tokens: -1,
        image_max_tokens: -1,
    };
    let started = Instant::now();
    let mut mtmd = MtmdContext::init_from_file(mmproj_path.to_str().unwrap(), &llama, &params)
        .expect("mtmd loads the projector beside the model");
    let load = started.elapsed();
    assert!(mtmd.support_vision());
    assert!(!mtmd.support_audio());

    let image = vqa_image();
    let bitmap = MtmdBitmap::from_file(&mtmd, image.to_str().unwrap(), false)
        .expect("mtmd decodes the JPEG");
    assert!(bitmap.nx() > 0 && bitmap.ny() > 0);

    let text = format!(
        "<|im_start|>user\n{}\nWhat is in the picture?<|im_end|>\n<|im_start|>assistant\n",
        mtmd_default_marker()
    );
    let chunks = mtmd
        .tokenize(
            MtmdInputText {
                text,
                add_special: true,
                parse_special: true,
            },
            &[&bitmap],
        )
        .expect("tokenize");
    let images: Vec<usize> = (0..chunks.len())
        .map(|i| chunks.get(i).unwrap())
        .filter(|c| c.chunk_type() == MtmdInputChunkType::Image)
        .map(|c| c.n_tokens())
        .collect();
    assert_eq!(images.len(), 1, "one image chunk");

    let n_ctx = 1024;
    let ctx_params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(n_ctx)
        .with_n_threads(2)
        .with_n_threads_batch(2);
    let mut ctx = llama.new_context(backend(), ctx_params).expect("context");
    let started = Instant::now();
    let n_past = chunks
        .eval_chunks(&mut mtmd, &mut ctx, 0, 0, n_ctx as i32, true)
        .expect("mtmd encodes the image and decodes every chunk");
    let eval = started.elapsed();
    let logits = ctx.get_logits_ith(-1);
    assert_eq!(logits.len(), model.n_vocab() as usize);
    assert!(
        logits.iter().all(|l| l.is_finite()),
        "non-finite logits after the image"
    );
    Encoded {
        image_tokens: images[0],
        n_past,
        total_positions: chunks.total_positions(),
        load,
        eval,
    }
}

#[test]
fn tiny_projector_runs_a_real_jpeg_in_mtmd() {
    let dir = tempfile::tempdir().unwrap();
    let model = ModelSpec::tiny();
    let projector = ProjectorSpec::tiny_for(&model);
    let encoded = encode_photo(&model, &projector, dir.path());
    // (image_size / patch_size)^2 = (32 / 8)^2
    assert_eq!(encoded.image_tokens, 16);
    assert_eq!(encoded.image_tokens, projector.n_image_tokens() as usize);
    assert_eq!(encoded.n_past, encoded.total_positions);
}

/// The benchmark projector beside a one-layer model of the 100m model's width (the 100m model
/// itself takes a while to write): 256 image tokens, and an encode long enough to time.
#[test]
fn bench_projector_runs_a_real_jpeg_in_mtmd() {
    let dir = tempfile::tempdir().unwrap();
    let model = ModelSpec {
        n_layer: 1,
        n_vocab_extra: 0,
        ..ModelSpec::bench_100m()
    };
    let projector = ProjectorSpec::bench_for(&model);
    let encoded = encode_photo(&model, &projector, dir.path());
    assert_eq!(encoded.image_tokens, 256);
    assert_eq!(encoded.n_past, encoded.total_positions);
    eprintln!(
        "bench projector: {} params, mtmd load {:?}, image + prompt evaluated in {:?}",
        projector.n_params(),
        encoded.load,
        encoded.eval
    );
}
