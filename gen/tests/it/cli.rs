//! The `mobench-gen` binary.

use std::process::Command;

use mobench_gen::{ModelSpec, ProjectorSpec};

fn mobench_gen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mobench-gen"))
        .args(args)
        .output()
        .expect("run mobench-gen")
}

#[test]
fn writes_a_model_and_reports_path_parameters_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cli.gguf");
    let out = mobench_gen(&[
        "--preset",
        "tiny",
        "--out",
        path.to_str().unwrap(),
        "--dtype",
        "f16",
        "--no-template",
        "--seed",
        "9",
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], path.to_str().unwrap());
    let params = format!("parameters: {}", ModelSpec::tiny().n_params());
    assert_eq!(lines[1], params);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(
        lines[2].starts_with(&format!("size: {size} bytes")),
        "{}",
        lines[2]
    );

    let bytes = std::fs::read(&path).unwrap();
    let gguf = crate::gguf_reader::parse(bytes);
    assert_eq!(gguf.get("general.file_type").as_u32(), 1);
    assert!(!gguf.kv.contains_key("tokenizer.chat_template"));
    assert!(gguf.get("general.description").as_str().contains("seed 9"));
}

#[test]
fn bad_input_gives_one_line_errors_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], i32); 5] = [
        (&["--preset", "huge", "--out", "x.gguf"], 2),
        (
            &["--preset", "tiny", "--out", "x.gguf", "--mmproj", "x.gguf"],
            2,
        ),
        (&["--out", "x.gguf"], 2),
        (&["--preset", "tiny", "--out", "x.gguf", "--seed", "-1"], 2),
        (&["--preset", "tiny", "--out", "/nonexistent-dir/x.gguf"], 1),
    ];
    for (args, code) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_mobench-gen"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[test]
fn writes_a_model_and_its_vision_projector() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    let mmproj = dir.path().join("tiny-mmproj.gguf");
    let out = mobench_gen(&[
        "--preset",
        "tiny",
        "--out",
        model.to_str().unwrap(),
        "--mmproj",
        mmproj.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert_eq!(lines[0], model.to_str().unwrap());
    assert_eq!(lines[3], mmproj.to_str().unwrap());
    let spec = ProjectorSpec::tiny_for(&ModelSpec::tiny());
    assert_eq!(lines[4], format!("parameters: {}", spec.n_params()));
    assert_eq!(lines[6], "image: 32x32 pixels, 16 tokens");

    let projector = crate::gguf_reader::parse(std::fs::read(&mmproj).unwrap());
    assert_eq!(projector.get("clip.projector_type").as_str(), "mlp");
    assert_eq!(
        projector.tensor("mm.2.weight").dims[1],
        u64::from(ModelSpec::tiny().n_embd)
    );
    let model = crate::gguf_reader::parse(std::fs::read(&model).unwrap());
    assert_eq!(model.get("general.architecture").as_str(), "llama");
}
