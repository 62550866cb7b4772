//! The quantization types this llama.cpp build knows: each is one of llama.cpp's own
//! `LLAMA_FTYPE_*` constants (from the bindings of the linked tree) under the name llama.cpp's
//! `llama-quantize` gives it (the constant's suffix). A type the build lacks does not compile.

use serde::Serialize;

/// One llama.cpp file type (`llama_ftype`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuantType {
    /// llama-quantize's name for it, e.g. `Q4_K_M`.
    pub name: &'static str,
    /// The `llama_ftype` value, as stored in a GGUF's `general.file_type`.
    pub ftype: u32,
}

macro_rules! ftypes {
    ($( $name:ident = $constant:ident; )*) => {
        &[$( QuantType {
            name: stringify!($name),
            ftype: llama_cpp_sys_2::$constant as u32,
        }, )*]
    };
}

/// Every file type of the linked llama.cpp, in the order of its `llama_ftype` enum. Whether one
/// needs an importance matrix (which this product does not make) is llama.cpp's to say: a
/// quantization plan asks it in a dry run.
pub const ALL: &[QuantType] = ftypes![
    F32 = LLAMA_FTYPE_ALL_F32;
    F16 = LLAMA_FTYPE_MOSTLY_F16;
    Q4_0 = LLAMA_FTYPE_MOSTLY_Q4_0;
    Q4_1 = LLAMA_FTYPE_MOSTLY_Q4_1;
    Q8_0 = LLAMA_FTYPE_MOSTLY_Q8_0;
    Q5_0 = LLAMA_FTYPE_MOSTLY_Q5_0;
    Q5_1 = LLAMA_FTYPE_MOSTLY_Q5_1;
    Q2_K = LLAMA_FTYPE_MOSTLY_Q2_K;
    Q3_K_S = LLAMA_FTYPE_MOSTLY_Q3_K_S;
    Q3_K_M = LLAMA_FTYPE_MOSTLY_Q3_K_M;
    Q3_K_L = LLAMA_FTYPE_MOSTLY_Q3_K_L;
    Q4_K_S = LLAMA_FTYPE_MOSTLY_Q4_K_S;
    Q4_K_M = LLAMA_FTYPE_MOSTLY_Q4_K_M;
    Q5_K_S = LLAMA_FTYPE_MOSTLY_Q5_K_S;
    Q5_K_M = LLAMA_FTYPE_MOSTLY_Q5_K_M;
    Q6_K = LLAMA_FTYPE_MOSTLY_Q6_K;
    IQ2_XXS = LLAMA_FTYPE_MOSTLY_IQ2_XXS;
    IQ2_XS = LLAMA_FTYPE_MOSTLY_IQ2_XS;
    Q2_K_S = LLAMA_FTYPE_MOSTLY_Q2_K_S;
    IQ3_XS = LLAMA_FTYPE_MOSTLY_IQ3_XS;
    IQ3_XXS = LLAMA_FTYPE_MOSTLY_IQ3_XXS;
    IQ1_S = LLAMA_FTYPE_MOSTLY_IQ1_S;
    IQ4_NL = LLAMA_FTYPE_MOSTLY_IQ4_NL;
    IQ3_S = LLAMA_FTYPE_MOSTLY_IQ3_S;
    IQ3_M = LLAMA_FTYPE_MOSTLY_IQ3_M;
    IQ2_S = LLAMA_FTYPE_MOSTLY_IQ2_S;
    IQ2_M = LLAMA_FTYPE_MOSTLY_IQ2_M;
    IQ4_XS = LLAMA_FTYPE_MOSTLY_IQ4_XS;
    IQ1_M = LLAMA_FTYPE_MOSTLY_IQ1_M;
    BF16 = LLAMA_FTYPE_MOSTLY_BF16;
    TQ1_0 = LLAMA_FTYPE_MOSTLY_TQ1_0;
    TQ2_0 = LLAMA_FTYPE_MOSTLY_TQ2_0;
    MXFP4_MOE = LLAMA_FTYPE_MOSTLY_MXFP4_MOE;
    NVFP4 = LLAMA_FTYPE_MOSTLY_NVFP4;
    Q1_0 = LLAMA_FTYPE_MOSTLY_Q1_0;
    Q2_0 = LLAMA_FTYPE_MOSTLY_Q2_0;
];

/// The types a study offers by default, largest first: the usual levels from 8 down to 2 bits.
pub const USUAL: &[&str] = &[
    "Q8_0", "Q6_K", "Q5_K_M", "Q5_0", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K", "IQ4_NL", "IQ4_XS",
];

/// The source types a model can be quantized from: full precision, or Q8_0 (a requantization,
/// which llama-quantize allows only with `--allow-requantize` and which loses some quality).
pub const SOURCES: &[&str] = &["F32", "F16", "BF16", "Q8_0"];

/// The type named `name` (case-insensitive; llama-quantize's aliases `Q4_K`, `Q5_K`, `Q3_K`).
pub fn parse(name: &str) -> Option<QuantType> {
    let upper = name.trim().to_ascii_uppercase();
    let canonical = match upper.as_str() {
        "Q3_K" => "Q3_K_M",
        "Q4_K" => "Q4_K_M",
        "Q5_K" => "Q5_K_M",
        other => other,
    };
    ALL.iter().find(|t| t.name == canonical).copied()
}

/// The name of a `general.file_type` value.
pub fn name_of(ftype: i64) -> Option<&'static str> {
    ALL.iter()
        .find(|t| i64::from(t.ftype) == ftype)
        .map(|t| t.name)
}

/// The names of every type, for messages.
pub fn all_names() -> String {
    ALL.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_come_from_llama_cpp() {
        assert_eq!(parse("q4_k_m").unwrap().ftype, 15);
        assert_eq!(parse("Q4_K").unwrap().name, "Q4_K_M");
        assert_eq!(name_of(7), Some("Q8_0"));
        assert!(parse("Q4_9").is_none());
        for usual in USUAL {
            assert!(parse(usual).is_some(), "{usual}");
        }
        let mut values: Vec<u32> = ALL.iter().map(|t| t.ftype).collect();
        values.dedup();
        assert_eq!(values.len(), ALL.len(), "one entry per llama_ftype");
    }
}
