use crate::error::GenError;
use crate::vocab;

/// The standard ChatML template; llama.cpp recognises it by its `<|im_start|>` marker.
pub const CHATML_TEMPLATE: &str = r"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Storage type of the weight matrices. Norm vectors are always F32, as in llama.cpp's converters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F16,
}

impl DType {
    /// The `general.file_type` value (`llama_ftype`): ALL_F32 = 0, MOSTLY_F16 = 1.
    pub fn file_type(self) -> u32 {
        match self {
            DType::F32 => 0,
            DType::F16 => 1,
        }
    }
}

/// Shape, storage and provenance of a generated `llama`-architecture model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// Written to `general.name`.
    pub name: String,
    /// Synthetic pieces appended after the built-in English vocabulary to reach a realistic
    /// vocabulary size; the total is [`ModelSpec::n_vocab`].
    pub n_vocab_extra: usize,
    pub n_embd: u32,
    pub n_layer: u32,
    pub n_head: u32,
    pub n_head_kv: u32,
    pub n_ff: u32,
    pub n_ctx_train: u32,
    pub dtype: DType,
    /// Written to `tokenizer.chat_template` when present.
    pub chat_template: Option<String>,
    /// Every weight is a deterministic function of this seed and the tensor's name.
    pub seed: u64,
    /// Written to `llama.pooling_type` when present (llama.cpp's codes: 1 mean, 2 CLS, 3 last):
    /// the model then serves as an embedder whose vectors llama.cpp pools.
    pub pooling: Option<u32>,
}

/// Total vocabulary size `bench_100m` pads to, the size of the Llama 2 vocabulary.
const BENCH_VOCAB: usize = 32_000;

impl ModelSpec {
    /// A model of about a million parameters: loads and runs a 500-token prompt in a few
    /// milliseconds on a laptop core, yet has a real tokenizer and a ChatML template.
    ///
    /// The head size is 64, the size every llama.cpp backend has kernels for, and all
    /// row lengths are multiples of 32 so the file can be quantized to the legacy types.
    pub fn tiny() -> Self {
        ModelSpec {
            name: "mobench-tiny".to_owned(),
            n_vocab_extra: 0,
            n_embd: 128,
            n_layer: 2,
            n_head: 2,
            n_head_kv: 1,
            n_ff: 384,
            n_ctx_train: 4096,
            dtype: DType::F32,
            chat_template: Some(CHATML_TEMPLATE.to_owned()),
            seed: 42,
            pooling: None,
        }
    }

    /// A model of about 100M parameters with a 32,000-token vocabulary, stored as F16.
    ///
    /// Every row length is a multiple of 256 so that the k-quant types apply to all matrices
    /// when the file is quantized for speed comparisons.
    pub fn bench_100m() -> Self {
        ModelSpec {
            name: "mobench-100m".to_owned(),
            n_vocab_extra: BENCH_VOCAB - vocab::base_len(),
            n_embd: 768,
            n_layer: 10,
            n_head: 12,
            n_head_kv: 4,
            n_ff: 1536,
            n_ctx_train: 4096,
            dtype: DType::F16,
            chat_template: Some(CHATML_TEMPLATE.to_owned()),
            seed: 42,
            pooling: None,
        }
    }

    /// Number of tokens in the vocabulary (and rows of `token_embd` / `output`).
    pub fn n_vocab(&self) -> u64 {
        (vocab::base_len() + self.n_vocab_extra) as u64
    }

    /// Per-head size of queries, keys and values.
    pub fn head_dim(&self) -> u32 {
        self.n_embd / self.n_head.max(1)
    }

    /// Width of the key and value projections (grouped-query attention shares them).
    pub fn n_embd_kv(&self) -> u64 {
        u64::from(self.head_dim()) * u64::from(self.n_head_kv)
    }

    /// Number of weights in the file, counted the way llama.cpp's `llama_model_n_params` does:
    /// every element of every tensor, norms included.
    pub fn n_params(&self) -> u64 {
        let embd = u64::from(self.n_embd);
        let ff = u64::from(self.n_ff);
        let vocab = self.n_vocab();
        let per_layer = 2 * embd // attn_norm, ffn_norm
            + 2 * embd * embd // attn_q, attn_output
            + 2 * embd * self.n_embd_kv() // attn_k, attn_v
            + 3 * embd * ff; // ffn_gate, ffn_up, ffn_down
        2 * vocab * embd + embd + u64::from(self.n_layer) * per_layer
    }

    /// Checks the constraints llama.cpp's `llama` loader and graph put on the hyperparameters.
    pub fn validate(&self) -> Result<(), GenError> {
        let fail = |msg: String| Err(GenError::InvalidSpec(msg));
        if self.name.is_empty() {
            return fail("name is empty".into());
        }
        if self.n_embd == 0 || self.n_layer == 0 || self.n_ff == 0 || self.n_ctx_train == 0 {
            return fail("n_embd, n_layer, n_ff and n_ctx_train must be positive".into());
        }
        // LLAMA_MAX_LAYERS in llama.cpp.
        if self.n_layer > 512 {
            return fail(format!(
                "n_layer {} exceeds llama.cpp's limit of 512",
                self.n_layer
            ));
        }
        if self.n_head == 0 || self.n_head_kv == 0 {
            return fail("n_head and n_head_kv must be positive".into());
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return fail(format!(
                "n_embd {} is not a multiple of n_head {}",
                self.n_embd, self.n_head
            ));
        }
        if !self.n_head.is_multiple_of(self.n_head_kv) {
            return fail(format!(
                "n_head {} is not a multiple of n_head_kv {}",
                self.n_head, self.n_head_kv
            ));
        }
        // RoPE rotates pairs of dimensions.
        if !self.head_dim().is_multiple_of(2) {
            return fail(format!("head size {} is odd", self.head_dim()));
        }
        if let Some(template) = &self.chat_template {
            if template.is_empty() {
                return fail("chat template is empty (use None for no template)".into());
            }
        }
        // Token ids are i32 in llama.cpp.
        if self.n_vocab() > i32::MAX as u64 {
            return fail(format!(
                "vocabulary of {} tokens is too large",
                self.n_vocab()
            ));
        }
        Ok(())
    }
}
