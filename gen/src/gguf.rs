//! The GGUF v3 container: header, metadata key/values and tensor directory.
//!
//! Layout (little-endian): magic `GGUF`, version u32, tensor count u64, key/value count u64,
//! the key/values, one directory entry per tensor (name, dims innermost first, ggml type,
//! offset into the data section), zero padding to `general.alignment`, then the tensor data,
//! each tensor starting on an aligned offset.

/// `general.alignment`; also ggml's default.
pub(crate) const ALIGNMENT: u64 = 32;

const MAGIC: &[u8; 4] = b"GGUF";
const VERSION: u32 = 3;

/// `gguf_type` codes.
mod value_type {
    pub const UINT32: u32 = 4;
    pub const INT32: u32 = 5;
    pub const FLOAT32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
}

/// The metadata value kinds this generator writes.
pub(crate) enum Value {
    U32(u32),
    F32(f32),
    Bool(bool),
    Str(String),
    StrArray(Vec<String>),
    F32Array(Vec<f32>),
    I32Array(Vec<i32>),
}

/// `ggml_type` codes of the tensor element types this generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TensorType {
    F32 = 0,
    F16 = 1,
}

impl TensorType {
    pub fn element_size(self) -> u64 {
        match self {
            TensorType::F32 => 4,
            TensorType::F16 => 2,
        }
    }
}

pub(crate) struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the contiguous (row) dimension.
    pub dims: Vec<u64>,
    pub kind: TensorType,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    pub fn n_bytes(&self) -> u64 {
        self.n_elements() * self.kind.element_size()
    }
}

/// The `general.*` keys every file this generator writes starts with.
pub(crate) fn general(
    architecture: &str,
    name: &str,
    seed: u64,
    file_type: u32,
) -> Vec<(&'static str, Value)> {
    vec![
        ("general.architecture", Value::Str(architecture.into())),
        ("general.name", Value::Str(name.into())),
        (
            "general.description",
            Value::Str(format!(
                "Random weights (seed {seed}) written by mobench-gen for tests and benchmarks; not a trained model"
            )),
        ),
        ("general.file_type", Value::U32(file_type)),
        ("general.alignment", Value::U32(ALIGNMENT as u32)),
    ]
}

pub(crate) fn align(offset: u64) -> u64 {
    offset.div_ceil(ALIGNMENT) * ALIGNMENT
}

/// Streams a tensor's `values` (its element count of them) in its storage type, followed by the
/// padding that aligns the next tensor.
pub(crate) fn write_tensor_data<W: std::io::Write>(
    out: &mut W,
    tensor: &TensorInfo,
    values: impl Iterator<Item = f32>,
) -> std::io::Result<()> {
    const FLUSH_AT: usize = 1 << 20;
    let mut buf = Vec::with_capacity(FLUSH_AT + 4);
    for value in values.take(tensor.n_elements() as usize) {
        match tensor.kind {
            TensorType::F32 => buf.extend_from_slice(&value.to_le_bytes()),
            TensorType::F16 => {
                buf.extend_from_slice(&crate::weights::f32_to_f16_bits(value).to_le_bytes())
            }
        }
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    let padding = align(tensor.n_bytes()) - tensor.n_bytes();
    buf.resize(buf.len() + padding as usize, 0);
    out.write_all(&buf)
}

/// Offsets of each tensor within the data section, and the section's total (padded) size.
pub(crate) fn data_layout(tensors: &[TensorInfo]) -> (Vec<u64>, u64) {
    let mut offsets = Vec::with_capacity(tensors.len());
    let mut next = 0;
    for tensor in tensors {
        offsets.push(next);
        next = align(next + tensor.n_bytes());
    }
    (offsets, next)
}

/// Everything before the tensor data, padded so the data section starts aligned.
pub(crate) fn header(metadata: &[(&str, Value)], tensors: &[TensorInfo]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    put_u64(&mut out, tensors.len() as u64);
    put_u64(&mut out, metadata.len() as u64);

    for (key, value) in metadata {
        put_str(&mut out, key);
        put_value(&mut out, value);
    }

    let (offsets, _) = data_layout(tensors);
    for (tensor, offset) in tensors.iter().zip(offsets) {
        put_str(&mut out, &tensor.name);
        put_u32(&mut out, tensor.dims.len() as u32);
        for &dim in &tensor.dims {
            put_u64(&mut out, dim);
        }
        put_u32(&mut out, tensor.kind as u32);
        put_u64(&mut out, offset);
    }

    out.resize(align(out.len() as u64) as usize, 0);
    out
}

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::U32(v) => {
            put_u32(out, value_type::UINT32);
            put_u32(out, *v);
        }
        Value::F32(v) => {
            put_u32(out, value_type::FLOAT32);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Bool(v) => {
            put_u32(out, value_type::BOOL);
            out.push(u8::from(*v));
        }
        Value::Str(v) => {
            put_u32(out, value_type::STRING);
            put_str(out, v);
        }
        Value::StrArray(items) => {
            put_array_header(out, value_type::STRING, items.len());
            for item in items {
                put_str(out, item);
            }
        }
        Value::F32Array(items) => {
            put_array_header(out, value_type::FLOAT32, items.len());
            for item in items {
                out.extend_from_slice(&item.to_le_bytes());
            }
        }
        Value::I32Array(items) => {
            put_array_header(out, value_type::INT32, items.len());
            for item in items {
                out.extend_from_slice(&item.to_le_bytes());
            }
        }
    }
}

fn put_array_header(out: &mut Vec<u8>, element_type: u32, len: usize) {
    put_u32(out, value_type::ARRAY);
    put_u32(out, element_type);
    put_u64(out, len as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
