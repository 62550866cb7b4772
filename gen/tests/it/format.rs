//! The written file, read back with an independent GGUF reader.

use std::path::Path;

use mobench_gen::{token_ids, write_gguf, DType, GenError, ModelSpec, CHATML_TEMPLATE};

use crate::gguf_reader::{self, Gguf, Val};

fn write_and_parse(spec: &ModelSpec, dir: &Path, file: &str) -> Gguf {
    let path = dir.join(file);
    write_gguf(spec, &path).expect("write model");
    gguf_reader::parse(std::fs::read(&path).expect("read model"))
}

fn std_dev(values: &[f32]) -> f32 {
    let n = values.len() as f32;
    let mean = values.iter().sum::<f32>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt()
}

#[test]
fn tiny_model_has_llama_hparams_and_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let gguf = write_and_parse(&spec, dir.path(), "tiny.gguf");

    assert_eq!(gguf.version, 3);
    assert_eq!(gguf.get("general.architecture").as_str(), "llama");
    assert_eq!(gguf.get("general.name").as_str(), spec.name);
    assert_eq!(gguf.get("general.file_type").as_u32(), 0);
    assert_eq!(gguf.get("general.alignment").as_u32(), 32);
    assert_eq!(gguf.get("llama.context_length").as_u32(), spec.n_ctx_train);
    assert_eq!(gguf.get("llama.embedding_length").as_u32(), spec.n_embd);
    assert_eq!(gguf.get("llama.block_count").as_u32(), spec.n_layer);
    assert_eq!(gguf.get("llama.feed_forward_length").as_u32(), spec.n_ff);
    assert_eq!(gguf.get("llama.attention.head_count").as_u32(), spec.n_head);
    assert_eq!(
        gguf.get("llama.attention.head_count_kv").as_u32(),
        spec.n_head_kv
    );
    assert_eq!(
        gguf.get("llama.rope.dimension_count").as_u32(),
        spec.n_embd / spec.n_head
    );
    assert_eq!(gguf.get("llama.rope.freq_base").as_f32(), 10_000.0);
    assert!(gguf.get("llama.attention.layer_norm_rms_epsilon").as_f32() > 0.0);

    let n_vocab = spec.n_vocab() as usize;
    assert_eq!(gguf.get("llama.vocab_size").as_u32() as usize, n_vocab);
    assert_eq!(gguf.get("tokenizer.ggml.model").as_str(), "llama");
    let tokens = gguf.get("tokenizer.ggml.tokens").as_arr();
    let scores = gguf.get("tokenizer.ggml.scores").as_arr();
    let types = gguf.get("tokenizer.ggml.token_type").as_arr();
    assert_eq!(tokens.len(), n_vocab);
    assert_eq!(scores.len(), n_vocab);
    assert_eq!(types.len(), n_vocab);
    assert!(
        (300..=8000).contains(&n_vocab),
        "a few hundred to a few thousand pieces, got {n_vocab}"
    );

    let token = |id: u32| tokens[id as usize].as_str();
    let token_type = |id: u32| types[id as usize].clone();
    assert_eq!(token(token_ids::UNK), "<unk>");
    assert_eq!(token_type(token_ids::UNK), Val::I32(2));
    assert_eq!(token(token_ids::BOS), "<s>");
    assert_eq!(token(token_ids::EOS), "</s>");
    assert_eq!(token(token_ids::IM_START), "<|im_start|>");
    assert_eq!(token(token_ids::IM_END), "<|im_end|>");
    for id in [
        token_ids::BOS,
        token_ids::EOS,
        token_ids::IM_START,
        token_ids::IM_END,
    ] {
        assert_eq!(token_type(id), Val::I32(3), "{} is CONTROL", token(id));
    }
    for byte in 0..=255u32 {
        assert_eq!(token(3 + byte), format!("<0x{byte:02X}>"));
        assert_eq!(token_type(3 + byte), Val::I32(6));
    }
    for piece in [
        "\u{2581}the",
        "\u{2581}Hello",
        "\u{2581}world",
        ",",
        "a",
        "ing",
    ] {
        assert!(
            tokens.iter().any(|t| t.as_str() == piece),
            "vocabulary lacks {piece:?}"
        );
    }
    let unique: std::collections::HashSet<&str> = tokens.iter().map(Val::as_str).collect();
    assert_eq!(unique.len(), n_vocab, "tokens are unique");

    assert_eq!(
        gguf.get("tokenizer.ggml.bos_token_id").as_u32(),
        token_ids::BOS
    );
    assert_eq!(
        gguf.get("tokenizer.ggml.eos_token_id").as_u32(),
        token_ids::EOS
    );
    assert_eq!(
        gguf.get("tokenizer.ggml.eot_token_id").as_u32(),
        token_ids::IM_END
    );
    assert!(gguf.get("tokenizer.ggml.add_bos_token").as_bool());
    assert_eq!(
        gguf.get("tokenizer.chat_template").as_str(),
        CHATML_TEMPLATE
    );
}

#[test]
fn tensors_are_aligned_complete_and_count_n_params() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let gguf = write_and_parse(&spec, dir.path(), "tiny.gguf");

    assert_eq!(gguf.tensors.len(), 3 + 9 * spec.n_layer as usize);
    assert_eq!(gguf.data_start % 32, 0);

    let embd = u64::from(spec.n_embd);
    let kv = embd / u64::from(spec.n_head) * u64::from(spec.n_head_kv);
    let ff = u64::from(spec.n_ff);
    let vocab = spec.n_vocab();
    let mut expected: Vec<(String, Vec<u64>)> = vec![
        ("token_embd.weight".into(), vec![embd, vocab]),
        ("output_norm.weight".into(), vec![embd]),
        ("output.weight".into(), vec![embd, vocab]),
    ];
    for layer in 0..spec.n_layer {
        let name = |part: &str| format!("blk.{layer}.{part}.weight");
        expected.extend([
            (name("attn_norm"), vec![embd]),
            (name("attn_q"), vec![embd, embd]),
            (name("attn_k"), vec![embd, kv]),
            (name("attn_v"), vec![embd, kv]),
            (name("attn_output"), vec![embd, embd]),
            (name("ffn_norm"), vec![embd]),
            (name("ffn_gate"), vec![embd, ff]),
            (name("ffn_up"), vec![embd, ff]),
            (name("ffn_down"), vec![ff, embd]),
        ]);
    }
    for (name, dims) in &expected {
        assert_eq!(&gguf.tensor(name).dims, dims, "{name}");
    }

    // Tensors are packed in order, each on a 32-byte boundary, without overlap, and the data
    // section ends exactly at the end of the file.
    let mut end = 0;
    for tensor in &gguf.tensors {
        assert_eq!(tensor.offset % 32, 0, "{} offset", tensor.name);
        assert!(tensor.offset >= end, "{} overlaps", tensor.name);
        assert_eq!(
            tensor.offset,
            end.div_ceil(32) * 32,
            "{} is packed",
            tensor.name
        );
        end = tensor.offset + tensor.n_bytes();
    }
    assert_eq!(
        gguf.bytes.len() as u64,
        gguf.data_start + end.div_ceil(32) * 32
    );

    let n_params: u64 = gguf.tensors.iter().map(|t| t.n_elements()).sum();
    assert_eq!(n_params, spec.n_params());
}

#[test]
fn weights_are_small_random_norms_one_and_non_text_logits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let gguf = write_and_parse(&spec, dir.path(), "tiny.gguf");
    let embd = spec.n_embd as usize;

    assert!(gguf
        .f32_values("output_norm.weight")
        .iter()
        .all(|&v| v == 1.0));
    assert!(gguf
        .f32_values("blk.1.ffn_norm.weight")
        .iter()
        .all(|&v| v == 1.0));

    let q = gguf.f32_values("blk.0.attn_q.weight");
    let sd = std_dev(&q);
    assert!((0.018..0.022).contains(&sd), "attn_q std {sd}");

    let output = gguf.f32_values("output.weight");
    let row = |id: usize| &output[id * embd..(id + 1) * embd];
    for id in [
        token_ids::UNK,
        token_ids::BOS,
        token_ids::EOS,
        token_ids::IM_START,
        token_ids::IM_END,
    ] {
        assert!(
            row(id as usize).iter().all(|&v| v == 0.0),
            "row {id} is zero"
        );
    }
    assert!(
        row(3 + 0x41).iter().all(|&v| v == 0.0),
        "byte rows are zero"
    );
    let first_piece = token_ids::IM_END as usize + 1;
    let sd = std_dev(row(first_piece));
    assert!(sd > 0.01, "text rows are random, std {sd}");
    // The embedding is not tied: special tokens still have distinct inputs.
    let embedding = gguf.f32_values("token_embd.weight");
    assert!(embedding[..embd].iter().any(|&v| v != 0.0));
}

#[test]
fn f16_files_store_matrices_as_f16_and_norms_as_f32() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = ModelSpec::tiny();
    let f32_size = {
        write_gguf(&spec, &dir.path().join("f32.gguf")).unwrap();
        std::fs::metadata(dir.path().join("f32.gguf"))
            .unwrap()
            .len()
    };
    spec.dtype = DType::F16;
    let gguf = write_and_parse(&spec, dir.path(), "f16.gguf");

    assert_eq!(gguf.get("general.file_type").as_u32(), 1);
    for tensor in &gguf.tensors {
        let expected = if tensor.dims.len() == 1 { 0 } else { 1 };
        assert_eq!(tensor.ggml_type, expected, "{}", tensor.name);
    }
    let ratio = gguf.bytes.len() as f64 / f32_size as f64;
    assert!((0.45..0.6).contains(&ratio), "F16 / F32 size ratio {ratio}");

    // F16 values round-trip to the F32 file's values within half precision.
    let half = gguf.tensor_bytes("blk.0.attn_k.weight");
    let max = half
        .chunks_exact(2)
        .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])).abs())
        .fold(0.0f32, f32::max);
    assert!(max > 0.03 && max < 0.1, "max |w| {max}");
}

fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1F);
    let man = f32::from(bits & 0x3FF);
    match exp {
        0 => sign * man * 2.0f32.powi(-24),
        31 => sign * f32::INFINITY,
        _ => sign * (1.0 + man / 1024.0) * 2.0f32.powi(exp - 15),
    }
}

#[test]
fn no_template_leaves_the_key_out() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec {
        chat_template: None,
        ..ModelSpec::tiny()
    };
    let gguf = write_and_parse(&spec, dir.path(), "plain.gguf");
    assert!(!gguf.kv.contains_key("tokenizer.chat_template"));
    assert_eq!(gguf.keys.len(), gguf.kv.len());
}

#[test]
fn output_is_deterministic_in_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ModelSpec::tiny();
    let write = |spec: &ModelSpec, file: &str| {
        let path = dir.path().join(file);
        write_gguf(spec, &path).unwrap();
        std::fs::read(path).unwrap()
    };
    let a = write(&spec, "a.gguf");
    let b = write(&spec, "b.gguf");
    let c = write(
        &ModelSpec {
            seed: 7,
            ..spec.clone()
        },
        "c.gguf",
    );
    assert_eq!(a, b);
    assert_eq!(a.len(), c.len());
    assert_ne!(a, c);
}

#[test]
fn write_replaces_atomically_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    std::fs::write(&path, b"old contents").unwrap();
    write_gguf(&ModelSpec::tiny(), &path).unwrap();
    assert_eq!(&std::fs::read(&path).unwrap()[..4], b"GGUF");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("model.gguf")]);
}

#[test]
fn errors_are_typed_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();

    let missing_dir = dir.path().join("no/such/dir/model.gguf");
    match write_gguf(&ModelSpec::tiny(), &missing_dir) {
        Err(GenError::Io { path, .. }) => assert_eq!(path, missing_dir),
        other => panic!("expected an I/O error, got {other:?}"),
    }

    let bad = ModelSpec {
        n_head: 3,
        ..ModelSpec::tiny()
    };
    let path = dir.path().join("bad.gguf");
    let err = write_gguf(&bad, &path).unwrap_err();
    assert!(matches!(err, GenError::InvalidSpec(_)), "{err:?}");
    assert!(err.to_string().contains("n_head"), "{err}");
    assert!(!path.exists());

    let gqa = ModelSpec {
        n_head_kv: 3,
        n_head: 4,
        ..ModelSpec::tiny()
    };
    assert!(matches!(gqa.validate(), Err(GenError::InvalidSpec(_))));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[test]
fn bench_preset_is_about_100m_parameters_with_a_32k_vocabulary() {
    let spec = ModelSpec::bench_100m();
    spec.validate().unwrap();
    assert_eq!(spec.n_vocab(), 32_000);
    assert_eq!(spec.dtype, DType::F16);
    let n = spec.n_params();
    assert!((90_000_000..=115_000_000).contains(&n), "{n} parameters");
    assert!(ModelSpec::tiny().n_params() < 3_000_000);
}
