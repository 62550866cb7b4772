//! What a GGUF file's name says: its quantization (`Q4_K_M`), whether it is a vision projector
//! (`mmproj*`), and whether it is one part of a split model (`-00001-of-00003.gguf`, as
//! llama.cpp's `gguf-split` names the parts).

/// The quantization names llama.cpp gives its files (`llama-quantize --help`), longest first
/// where one is the start of another.
const QUANTS: &[&str] = &[
    "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
    "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "Q2_K_S", "Q2_K_L", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L",
    "Q3_K_XL", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M", "Q4_K_L",
    "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M", "Q5_K_L", "Q6_K_L", "Q6_K", "Q8_0", "MXFP4", "BF16", "F16",
    "F32",
];

/// Whether the name ends in `.gguf` (any case).
pub fn is_gguf(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".gguf")
}

/// The file's name without its folders.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether the file is a vision projector by its name (`mmproj*.gguf`, also inside a name such
/// as `llava-phi-2-mmproj-f16.gguf`).
pub fn is_mmproj(path: &str) -> bool {
    is_gguf(path) && base_name(path).to_ascii_lowercase().contains("mmproj")
}

/// The quantization a file name carries, in llama.cpp's spelling (`q4_k_m` → `Q4_K_M`): a part
/// of the name between `-` or `.` that is one of llama.cpp's quantization names.
pub fn quant_from_name(path: &str) -> Option<String> {
    let name = base_name(path);
    let stem = name
        .strip_suffix(".gguf")
        .or_else(|| name.strip_suffix(".GGUF"))
        .unwrap_or(name);
    let upper = stem.to_ascii_uppercase();
    upper
        .split(['-', '.'])
        .rev()
        .find_map(|part| QUANTS.iter().find(|q| **q == part))
        .map(|q| q.to_string())
}

/// A part of a split model: `(part, count)`, counting from 1, from `…-00002-of-00005.gguf`.
pub fn split_part(path: &str) -> Option<(u32, u32)> {
    let name = base_name(path);
    let stem = name.get(..name.len().checked_sub(5)?)?;
    if !is_gguf(name) {
        return None;
    }
    // …-NNNNN-of-MMMMM
    let (head, count) = stem.rsplit_once("-of-")?;
    let (_, part) = head.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(part) || !digits(count) {
        return None;
    }
    let (part, count) = (part.parse().ok()?, count.parse().ok()?);
    (part >= 1 && part <= count).then_some((part, count))
}

/// The name of part `part` of the split model whose first part is `first`.
pub fn split_sibling(first: &str, part: u32, count: u32) -> Option<String> {
    split_part(first)?;
    let cut = first.len() - "00001-of-00003.gguf".len();
    let ext = &first[first.len() - 5..];
    Some(format!("{}{part:05}-of-{count:05}{ext}", &first[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizations_from_the_names_the_hub_uses() {
        for (name, want) in [
            ("SmolLM2-135M-Instruct.Q4_1.gguf", Some("Q4_1")),
            ("qwen2.5-0.5b-instruct-q4_k_m.gguf", Some("Q4_K_M")),
            ("google_gemma-3-1b-it-Q4_K_M.gguf", Some("Q4_K_M")),
            ("Llama-3.2-1B-Instruct-IQ4_XS.gguf", Some("IQ4_XS")),
            ("SmolVLM-500M-Instruct-f16.gguf", Some("F16")),
            ("big/model-Q8_0-00001-of-00003.gguf", Some("Q8_0")),
            ("ggml-model.gguf", None),
            // A version number is no quantization.
            ("Q4-ish-2.5.gguf", None),
        ] {
            assert_eq!(quant_from_name(name).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn split_parts_and_their_siblings() {
        assert_eq!(split_part("m-Q4_K_M-00001-of-00003.gguf"), Some((1, 3)));
        assert_eq!(split_part("dir/m-00003-of-00003.gguf"), Some((3, 3)));
        assert_eq!(split_part("m-00004-of-00003.gguf"), None);
        assert_eq!(split_part("m-1-of-3.gguf"), None);
        assert_eq!(split_part("m.gguf"), None);
        assert_eq!(
            split_sibling("dir/m-00001-of-00003.gguf", 2, 3).as_deref(),
            Some("dir/m-00002-of-00003.gguf")
        );
        assert!(is_mmproj("mmproj-SmolVLM-500M-Instruct-Q8_0.gguf"));
        assert!(is_mmproj("x/llava-phi-2-mmproj-f16.gguf"));
        assert!(!is_mmproj("model-Q8_0.gguf"));
    }
}
