//! A small, strict GGUF v3 reader, written independently of the generator so the tests check
//! the file format rather than the generator's own idea of it.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    Arr(Vec<Val>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Val {
    pub fn as_u32(&self) -> u32 {
        match self {
            Val::U32(v) => *v,
            other => panic!("expected u32, got {other:?}"),
        }
    }

    pub fn as_f32(&self) -> f32 {
        match self {
            Val::F32(v) => *v,
            other => panic!("expected f32, got {other:?}"),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Val::Str(v) => v,
            other => panic!("expected string, got {other:?}"),
        }
    }

    pub fn as_bool(&self) -> bool {
        match self {
            Val::Bool(v) => *v,
            other => panic!("expected bool, got {other:?}"),
        }
    }

    pub fn as_arr(&self) -> &[Val] {
        match self {
            Val::Arr(v) => v,
            other => panic!("expected array, got {other:?}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: u32,
    /// Relative to the start of the data section.
    pub offset: u64,
}

impl Tensor {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    pub fn n_bytes(&self) -> u64 {
        let size = match self.ggml_type {
            0 => 4,
            1 => 2,
            other => panic!("unexpected ggml type {other}"),
        };
        self.n_elements() * size
    }
}

#[derive(Debug)]
pub struct Gguf {
    pub version: u32,
    pub kv: BTreeMap<String, Val>,
    /// Keys in file order, to check for duplicates.
    pub keys: Vec<String>,
    pub tensors: Vec<Tensor>,
    pub data_start: u64,
    pub bytes: Vec<u8>,
}

impl Gguf {
    pub fn get(&self, key: &str) -> &Val {
        self.kv
            .get(key)
            .unwrap_or_else(|| panic!("missing key {key}"))
    }

    pub fn tensor(&self, name: &str) -> &Tensor {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("missing tensor {name}"))
    }

    pub fn tensor_bytes(&self, name: &str) -> &[u8] {
        let tensor = self.tensor(name);
        let start = (self.data_start + tensor.offset) as usize;
        &self.bytes[start..start + tensor.n_bytes() as usize]
    }

    /// The values of an F32 tensor.
    pub fn f32_values(&self, name: &str) -> Vec<f32> {
        assert_eq!(self.tensor(name).ggml_type, 0, "{name} is not F32");
        self.tensor_bytes(name)
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect()
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let end = self.pos.checked_add(n).expect("length overflow");
        assert!(
            end <= self.bytes.len(),
            "unexpected end of file at {}",
            self.pos
        );
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        slice
    }

    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }

    fn string(&mut self) -> String {
        let len = self.u64() as usize;
        String::from_utf8(self.take(len).to_vec()).expect("GGUF strings are UTF-8")
    }

    fn value(&mut self, ty: u32) -> Val {
        match ty {
            0 => Val::U8(self.u8()),
            1 => Val::I8(self.u8() as i8),
            2 => Val::U16(self.u16()),
            3 => Val::I16(self.u16() as i16),
            4 => Val::U32(self.u32()),
            5 => Val::I32(self.u32() as i32),
            6 => Val::F32(f32::from_bits(self.u32())),
            7 => {
                let b = self.u8();
                assert!(b <= 1, "bool byte {b}");
                Val::Bool(b == 1)
            }
            8 => Val::Str(self.string()),
            9 => {
                let elem = self.u32();
                assert_ne!(elem, 9, "nested arrays are not expected");
                let n = self.u64();
                Val::Arr((0..n).map(|_| self.value(elem)).collect())
            }
            10 => Val::U64(self.u64()),
            11 => Val::I64(self.u64() as i64),
            12 => Val::F64(f64::from_bits(self.u64())),
            other => panic!("unknown GGUF value type {other}"),
        }
    }
}

pub fn parse(bytes: Vec<u8>) -> Gguf {
    let mut c = Cursor {
        bytes: &bytes,
        pos: 0,
    };
    assert_eq!(c.take(4), b"GGUF", "magic");
    let version = c.u32();
    let n_tensors = c.u64();
    let n_kv = c.u64();

    let mut kv = BTreeMap::new();
    let mut keys = Vec::new();
    for _ in 0..n_kv {
        let key = c.string();
        let ty = c.u32();
        let value = c.value(ty);
        keys.push(key.clone());
        assert!(
            kv.insert(key.clone(), value).is_none(),
            "duplicate key {key}"
        );
    }

    let mut tensors = Vec::new();
    for _ in 0..n_tensors {
        let name = c.string();
        let n_dims = c.u32();
        assert!((1..=4).contains(&n_dims), "{name}: {n_dims} dims");
        let dims = (0..n_dims).map(|_| c.u64()).collect();
        let ggml_type = c.u32();
        let offset = c.u64();
        tensors.push(Tensor {
            name,
            dims,
            ggml_type,
            offset,
        });
    }

    let alignment = match kv.get("general.alignment") {
        Some(v) => u64::from(v.as_u32()),
        None => 32,
    };
    let data_start = (c.pos as u64).div_ceil(alignment) * alignment;
    assert!(
        bytes[c.pos..data_start as usize].iter().all(|&b| b == 0),
        "header padding is not zero"
    );
    Gguf {
        version,
        kv,
        keys,
        tensors,
        data_start,
        bytes,
    }
}
