//! A GGUF header reader: checks a file before llama.cpp sees it (so "not GGUF" and "truncated"
//! get their own clear errors instead of llama.cpp's generic load failure) and reads the metadata
//! we report (architecture, name, file type, context length, chat template), with each value's
//! GGUF type and the tensor directory (names, shapes, types) for checks that need them (a vision
//! projector's, before llama.cpp's mtmd, which aborts on a wrong type, sees it).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("not a GGUF file (it starts with {0:?}, not \"GGUF\")")]
    NotGguf(String),
    #[error("unsupported GGUF version {0}")]
    Version(u32),
    #[error("truncated: the header ends early ({0})")]
    TruncatedHeader(String),
    #[error("truncated: {actual} bytes, but its tensors need {expected}")]
    TruncatedData { expected: u64, actual: u64 },
    #[error("corrupt header: {0}")]
    Corrupt(String),
    #[error("cannot read: {0}")]
    Io(std::io::Error),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Arrays are skipped over (vocabularies run to hundreds of thousands of entries); only the length is kept.
    Array(u64),
}

/// `gguf_type` codes (ggml's gguf.h).
pub mod type_code {
    pub const UINT32: u32 = 4;
    pub const INT32: u32 = 5;
    pub const FLOAT32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
}

/// The GGUF type of a metadata value: its `gguf_type` code and, for an array, its elements'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueType {
    pub code: u32,
    pub element: Option<u32>,
}

impl ValueType {
    /// `u32`, `string`, `array of f32`, ...
    pub fn name(self) -> String {
        match self.element {
            Some(element) => format!("array of {}", type_name(element)),
            None => type_name(self.code).to_string(),
        }
    }
}

fn type_name(code: u32) -> &'static str {
    match code {
        0 => "u8",
        1 => "i8",
        2 => "u16",
        3 => "i16",
        4 => "u32",
        5 => "i32",
        6 => "f32",
        7 => "bool",
        8 => "string",
        9 => "array",
        10 => "u64",
        11 => "i64",
        12 => "f64",
        _ => "unknown type",
    }
}

/// One entry of the tensor directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorDesc {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost (row) dimension, `ne[0]` in ggml.
    pub dims: Vec<u64>,
    pub ggml_type: u32,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub version: u32,
    pub n_tensors: u64,
    /// Elements over all tensors: the parameter count llama.cpp reports, known without loading.
    pub n_elements: u64,
    pub kv: BTreeMap<String, Value>,
    /// The GGUF type of each value in `kv`.
    pub kv_types: BTreeMap<String, ValueType>,
    /// The tensor directory, in file order.
    pub tensors: Vec<TensorDesc>,
    /// End of the tensor data, where every tensor type is known.
    pub data_end: Option<u64>,
}

impl Header {
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.kv.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.kv.get(key) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorDesc> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// `general.file_type` as llama.cpp names it (`Q4_K_M`, `F16`, ...).
    pub fn quantization(&self) -> Option<String> {
        let ft = self.int("general.file_type")?;
        Some(file_type_name(ft).map_or_else(|| format!("type {ft}"), str::to_string))
    }
}

struct Reader<R> {
    inner: R,
    pos: u64,
}

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufError> {
        let mut b = [0u8; N];
        self.inner.read_exact(&mut b).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => GgufError::TruncatedHeader(format!("in {what}")),
            _ => GgufError::Io(e),
        })?;
        self.pos += N as u64;
        Ok(b)
    }
    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes(what)?))
    }
    fn skip(&mut self, n: u64, what: &str) -> Result<(), GgufError> {
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(GgufError::Io)?;
        if copied < n {
            return Err(GgufError::TruncatedHeader(format!("in {what}")));
        }
        self.pos += n;
        Ok(())
    }
    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        if len > 64 << 20 {
            return Err(GgufError::Corrupt(format!("{what}: string of {len} bytes")));
        }
        let mut buf = vec![0u8; len as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    GgufError::TruncatedHeader(format!("in {what}"))
                }
                _ => GgufError::Io(e),
            })?;
        self.pos += len;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
    fn scalar_size(ty: u32) -> Option<u64> {
        match ty {
            0 | 1 | 7 => Some(1),
            2 | 3 => Some(2),
            4..=6 => Some(4),
            10..=12 => Some(8),
            _ => None,
        }
    }
    /// The value, and for an array the type of its elements.
    fn value(&mut self, ty: u32, key: &str) -> Result<(Value, Option<u32>), GgufError> {
        if ty == 9 {
            let elem = self.u32(key)?;
            let n = self.u64(key)?;
            if let Some(size) = Self::scalar_size(elem) {
                self.skip(n.saturating_mul(size), key)?;
            } else if elem == 8 {
                for _ in 0..n {
                    let len = self.u64(key)?;
                    self.skip(len, key)?;
                }
            } else {
                return Err(GgufError::Corrupt(format!("{key}: array of type {elem}")));
            }
            return Ok((Value::Array(n), Some(elem)));
        }
        let value = match ty {
            0 => Value::Int(self.bytes::<1>(key)?[0] as i64),
            1 => Value::Int(self.bytes::<1>(key)?[0] as i8 as i64),
            2 => Value::Int(u16::from_le_bytes(self.bytes(key)?) as i64),
            3 => Value::Int(i16::from_le_bytes(self.bytes(key)?) as i64),
            4 => Value::Int(self.u32(key)? as i64),
            5 => Value::Int(i32::from_le_bytes(self.bytes(key)?) as i64),
            6 => Value::Float(f32::from_le_bytes(self.bytes(key)?) as f64),
            7 => Value::Bool(self.bytes::<1>(key)?[0] != 0),
            8 => Value::Str(self.string(key)?),
            10 => Value::Int(self.u64(key)? as i64),
            11 => Value::Int(i64::from_le_bytes(self.bytes(key)?)),
            12 => Value::Float(f64::from_le_bytes(self.bytes(key)?)),
            other => return Err(GgufError::Corrupt(format!("{key}: value type {other}"))),
        };
        Ok((value, None))
    }
}

/// (block size in elements, bytes per block) of a ggml tensor type.
fn type_size(ty: u32) -> Option<(u64, u64)> {
    Some(match ty {
        0 => (1, 4),      // F32
        1 => (1, 2),      // F16
        2 => (32, 18),    // Q4_0
        3 => (32, 20),    // Q4_1
        6 => (32, 22),    // Q5_0
        7 => (32, 24),    // Q5_1
        8 => (32, 34),    // Q8_0
        9 => (32, 36),    // Q8_1
        10 => (256, 84),  // Q2_K
        11 => (256, 110), // Q3_K
        12 => (256, 144), // Q4_K
        13 => (256, 176), // Q5_K
        14 => (256, 210), // Q6_K
        15 => (256, 292), // Q8_K
        16 => (256, 66),  // IQ2_XXS
        17 => (256, 74),  // IQ2_XS
        18 => (256, 98),  // IQ3_XXS
        19 => (256, 50),  // IQ1_S
        20 => (32, 18),   // IQ4_NL
        21 => (256, 110), // IQ3_S
        22 => (256, 82),  // IQ2_S
        23 => (256, 136), // IQ4_XS
        24 => (1, 1),     // I8
        25 => (1, 2),     // I16
        26 => (1, 4),     // I32
        27 => (1, 8),     // I64
        28 => (1, 8),     // F64
        29 => (256, 56),  // IQ1_M
        30 => (1, 2),     // BF16
        34 => (256, 54),  // TQ1_0
        35 => (256, 66),  // TQ2_0
        39 => (32, 17),   // MXFP4
        _ => return None,
    })
}

/// llama.cpp's name for a `general.file_type` value (from the linked build's `llama_ftype`).
fn file_type_name(ft: i64) -> Option<&'static str> {
    crate::quant::types::name_of(ft)
}

/// Reads and checks the header of the GGUF file at `path`.
pub fn read_header(path: &Path) -> Result<Header, GgufError> {
    read(path, true)
}

/// The header of the GGUF file at `path` without checking that the file holds all of its
/// tensors' data: enough to tell what a file is meant to be, even when it is cut short.
pub fn read_metadata(path: &Path) -> Result<Header, GgufError> {
    read(path, false)
}

fn read(path: &Path, check_size: bool) -> Result<Header, GgufError> {
    let file = File::open(path).map_err(GgufError::Io)?;
    let file_len = file.metadata().map_err(GgufError::Io)?.len();
    let mut r = Reader {
        inner: BufReader::with_capacity(1 << 16, file),
        pos: 0,
    };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut r.inner, &mut magic).map_err(GgufError::Io)?;
    if &magic[..got] != b"GGUF" {
        return Err(GgufError::NotGguf(
            String::from_utf8_lossy(&magic[..got])
                .escape_default()
                .to_string(),
        ));
    }
    r.pos = 4;
    let version = r.u32("version")?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::Version(version));
    }
    let n_tensors = r.u64("tensor count")?;
    let n_kv = r.u64("metadata count")?;
    if n_tensors > 1 << 24 || n_kv > 1 << 24 {
        return Err(GgufError::Corrupt(format!(
            "{n_tensors} tensors, {n_kv} metadata entries"
        )));
    }
    let mut kv = BTreeMap::new();
    let mut kv_types = BTreeMap::new();
    for _ in 0..n_kv {
        let key = r.string("metadata key")?;
        let ty = r.u32(&key)?;
        let (v, element) = r.value(ty, &key)?;
        kv_types.insert(key.clone(), ValueType { code: ty, element });
        kv.insert(key, v);
    }
    let alignment = match kv.get("general.alignment") {
        Some(Value::Int(a)) if *a > 0 => *a as u64,
        _ => 32,
    };
    let mut data_len: Option<u64> = Some(0);
    let mut n_elements: u64 = 0;
    let mut tensors = Vec::with_capacity(n_tensors.min(1 << 16) as usize);
    for _ in 0..n_tensors {
        let name = r.string("tensor name")?;
        let n_dims = r.u32(&name)?;
        if n_dims > 8 {
            return Err(GgufError::Corrupt(format!(
                "tensor {name}: {n_dims} dimensions"
            )));
        }
        let mut elems: u64 = 1;
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let dim = r.u64(&name)?;
            elems = elems.saturating_mul(dim);
            dims.push(dim);
        }
        n_elements = n_elements.saturating_add(elems);
        let ty = r.u32(&name)?;
        let offset = r.u64(&name)?;
        data_len = match (data_len, type_size(ty)) {
            (Some(end), Some((block, bytes))) => {
                Some(end.max(offset.saturating_add(elems / block * bytes)))
            }
            _ => None,
        };
        tensors.push(TensorDesc {
            name,
            dims,
            ggml_type: ty,
        });
    }
    let data_start = r.pos.div_ceil(alignment) * alignment;
    let data_end = data_len.map(|l| data_start + l);
    if let Some(end) = data_end.filter(|_| check_size) {
        if file_len < end {
            return Err(GgufError::TruncatedData {
                expected: end,
                actual: file_len,
            });
        }
    }
    Ok(Header {
        version,
        n_tensors,
        n_elements,
        kv,
        kv_types,
        tensors,
        data_end,
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn minimal(tensor_bytes: usize) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(1u64.to_le_bytes()); // tensors
        b.extend(2u64.to_le_bytes()); // kv
        let key = |b: &mut Vec<u8>, k: &str| {
            b.extend((k.len() as u64).to_le_bytes());
            b.extend(k.as_bytes());
        };
        key(&mut b, "general.architecture");
        b.extend(8u32.to_le_bytes());
        key(&mut b, "llama");
        key(&mut b, "general.file_type");
        b.extend(4u32.to_le_bytes());
        b.extend(15u32.to_le_bytes());
        key(&mut b, "w");
        b.extend(1u32.to_le_bytes());
        b.extend(8u64.to_le_bytes()); // 8 elements
        b.extend(0u32.to_le_bytes()); // F32
        b.extend(0u64.to_le_bytes());
        while !b.len().is_multiple_of(32) {
            b.push(0);
        }
        b.extend(vec![0u8; tensor_bytes]);
        b
    }

    #[test]
    fn reads_metadata_and_checks_size() {
        let f = write(&minimal(32));
        let h = read_header(f.path()).unwrap();
        assert_eq!(h.str("general.architecture"), Some("llama"));
        assert_eq!(h.quantization().as_deref(), Some("Q4_K_M"));
        assert_eq!(h.n_tensors, 1);
        assert_eq!(
            h.kv_types["general.file_type"],
            ValueType {
                code: type_code::UINT32,
                element: None
            }
        );
        assert_eq!(h.kv_types["general.architecture"].name(), "string");
        assert_eq!(
            h.tensors,
            [TensorDesc {
                name: "w".into(),
                dims: vec![8],
                ggml_type: 0
            }]
        );
        assert_eq!(h.tensor("w").map(|t| t.dims[0]), Some(8));
        assert!(h.tensor("x").is_none());
    }

    #[test]
    fn array_types_are_named_by_their_elements() {
        let t = ValueType {
            code: type_code::ARRAY,
            element: Some(type_code::FLOAT32),
        };
        assert_eq!(t.name(), "array of f32");
    }

    #[test]
    fn truncated_data_and_header_are_told_apart() {
        let f = write(&minimal(31));
        let e = read_header(f.path()).unwrap_err();
        assert!(matches!(e, GgufError::TruncatedData { .. }), "{e}");
        let h = read_metadata(f.path()).unwrap();
        assert_eq!(h.str("general.architecture"), Some("llama"));
        let full = minimal(32);
        let f = write(&full[..40]);
        let e = read_header(f.path()).unwrap_err();
        assert!(matches!(e, GgufError::TruncatedHeader(_)), "{e}");
    }

    #[test]
    fn non_gguf_is_named() {
        let f = write(b"PK\x03\x04zipzip");
        let e = read_header(f.path()).unwrap_err();
        assert!(e.to_string().starts_with("not a GGUF file"), "{e}");
        let f = write(b"");
        assert!(matches!(read_header(f.path()), Err(GgufError::NotGguf(_))));
    }
}
