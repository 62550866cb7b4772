//! Run settings: everything that changes a run's numbers, stored with the run as JSON.

use std::path::PathBuf;

use mobench_tasks::Selection;
use serde::{Deserialize, Serialize};

/// MobileAIBench's iOS app generates at most 128 tokens; `Mobile` reproduces that.
pub const MOBILE_MAX_TOKENS: u32 = 128;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// The tasks' own limits (MobileAIBench's Python harness): summarization 200, QA and SQL 512, others 1024.
    #[default]
    Accuracy,
    /// MobileAIBench's on-device settings: 128 new tokens at most.
    Mobile,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Sampling {
    /// MobileAIBench samples at temperature 0.0001, which is greedy in effect; we are greedy exactly.
    #[default]
    Greedy,
    Temperature {
        temperature: f32,
        top_p: f32,
        seed: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceSettings {
    pub threads: u32,
    pub n_ctx: u32,
    pub n_batch: u32,
    pub gpu_layers: u32,
    pub seed: u64,
    /// Overrides every task's limit when set.
    pub max_tokens: Option<u32>,
    pub preset: Preset,
    pub sampling: Sampling,
    /// Raw prompt template with `{system}` and `{prompt}`; `None` uses the model's own.
    pub template: Option<String>,
    /// Leave out the context passage of QA prompts (MobileAIBench's no-context ablation).
    pub no_context: bool,
}

impl InferenceSettings {
    /// The generation limit for a task whose own limit is `task_max`.
    pub fn max_tokens_for(&self, task_max: u32) -> u32 {
        match (self.max_tokens, self.preset) {
            (Some(m), _) => m,
            (None, Preset::Mobile) => MOBILE_MAX_TOKENS,
            (None, Preset::Accuracy) => task_max,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.threads == 0 {
            return Err("threads must be at least 1".into());
        }
        if self.n_ctx < 64 {
            return Err(format!(
                "context size {} is too small (at least 64)",
                self.n_ctx
            ));
        }
        if self.n_batch == 0 {
            return Err("batch size must be at least 1".into());
        }
        if self.max_tokens == Some(0) {
            return Err("max tokens must be at least 1".into());
        }
        if let Some(t) = &self.template {
            if !t.contains("{prompt}") {
                return Err("a raw template must contain {prompt}".into());
            }
        }
        if let Sampling::Temperature {
            temperature, top_p, ..
        } = self.sampling
        {
            let valid = temperature > 0.0 && top_p > 0.0 && top_p <= 1.0;
            if !valid {
                return Err("temperature must be > 0 and top-p in (0, 1]".into());
            }
        }
        Ok(())
    }
}

/// llama.cpp's "every layer": more than any model has, and `min(n, n_layer + 1)` are offloaded.
pub const ALL_GPU_LAYERS: u32 = 999;

/// Apple's GPUs share memory with the CPU and the engine always builds Metal there, so every
/// layer goes to the GPU by default; elsewhere a GPU is optional and the default is the CPU.
pub const DEFAULT_GPU_LAYERS: u32 = if cfg!(target_vendor = "apple") {
    ALL_GPU_LAYERS
} else {
    0
};

/// Physical cores (llama.cpp is fastest with one thread per physical core), else logical.
pub fn default_threads() -> u32 {
    sysinfo::System::physical_core_count()
        .ok()
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1) as u32
}

impl Default for InferenceSettings {
    fn default() -> Self {
        InferenceSettings {
            threads: default_threads(),
            n_ctx: 4096,
            n_batch: 512,
            gpu_layers: DEFAULT_GPU_LAYERS,
            seed: 0,
            max_tokens: None,
            preset: Preset::Accuracy,
            sampling: Sampling::Greedy,
            template: None,
            no_context: false,
        }
    }
}

/// What a suite run covers; stored with the run so `resume` can rebuild it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub model: PathBuf,
    /// The model's vision projector (mmproj GGUF), for datasets that show the model images.
    #[serde(default)]
    pub mmproj: Option<PathBuf>,
    pub suite: String,
    pub tasks: Vec<String>,
    pub datasets: Vec<String>,
    pub datasets_dir: Option<PathBuf>,
    pub selection: Selection,
    pub inference: InferenceSettings,
    /// Resource sampling interval (default 250 ms). Runs stored before telemetry have none.
    #[serde(default)]
    pub sample_interval_ms: Option<u32>,
    /// Load even when the model will not fit under the system's hard memory limit (iOS); the
    /// user was warned and chose to try.
    #[serde(default)]
    pub ignore_memory_limit: bool,
}

impl RunRequest {
    pub fn sample_interval(&self) -> std::time::Duration {
        sample_interval(self.sample_interval_ms)
    }
}

/// The sampling interval asked for, or the default.
pub fn sample_interval(ms: Option<u32>) -> std::time::Duration {
    ms.map_or(crate::telemetry::DEFAULT_INTERVAL, |ms| {
        std::time::Duration::from_millis(ms.into())
    })
}

/// Below 10 ms the sampler would cost more than it measures; above a minute a run has no series.
pub fn validate_sample_interval(ms: Option<u32>) -> Result<(), String> {
    match ms {
        Some(ms) if !(10..=60_000).contains(&ms) => Err(format!(
            "--sample-interval {ms}: choose between 10 and 60000 ms"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tokens_precedence() {
        let mut s = InferenceSettings::default();
        assert_eq!(s.max_tokens_for(200), 200);
        s.preset = Preset::Mobile;
        assert_eq!(s.max_tokens_for(200), 128);
        s.max_tokens = Some(7);
        assert_eq!(s.max_tokens_for(200), 7);
    }

    #[test]
    fn invalid_settings_are_named() {
        let s = InferenceSettings {
            template: Some("{system} no prompt".into()),
            ..Default::default()
        };
        assert!(s.validate().unwrap_err().contains("{prompt}"));
        let s = InferenceSettings {
            threads: 0,
            ..Default::default()
        };
        assert!(s.validate().is_err());
        assert!(InferenceSettings::default().validate().is_ok());
    }
}
