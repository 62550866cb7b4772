//! A speed run as asked for: llama-bench's sweep of tests (or sustained mode), checked before
//! any model is loaded.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use mobench_store::speed::{FlashAttn, SpeedTest};

/// A speed run as asked for. Validated before any model is loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpeedRequest {
    pub model: PathBuf,
    pub n_prompt: Vec<u32>,
    pub n_gen: Vec<u32>,
    pub pg: Vec<(u32, u32)>,
    pub n_depth: Vec<u32>,
    pub reps: u32,
    pub threads: Vec<u32>,
    pub n_batch: Vec<u32>,
    pub n_ubatch: Vec<u32>,
    pub gpu_layers: Vec<i32>,
    pub flash_attn: FlashAttn,
    /// Cool-down before each test, in seconds.
    pub delay_s: u32,
    pub warmup: bool,
    /// Sustained mode instead of the tests above.
    pub sustained: Option<Sustained>,
    /// Resource sampling interval (default 250 ms).
    #[serde(default)]
    pub sample_interval_ms: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Sustained {
    pub minutes: f64,
    /// Tokens generated per round (each round starts from an empty context).
    pub round_tokens: u32,
}

impl SpeedRequest {
    /// llama-bench's defaults: pp512 and tg128, 5 repetitions, batch 2048, ubatch 512, every
    /// layer on the GPU, flash attention auto, threads = physical cores.
    pub fn new(model: PathBuf) -> SpeedRequest {
        SpeedRequest {
            model,
            n_prompt: vec![512],
            n_gen: vec![128],
            pg: Vec::new(),
            n_depth: vec![0],
            reps: 5,
            threads: vec![crate::settings::default_threads()],
            n_batch: vec![2048],
            n_ubatch: vec![512],
            gpu_layers: vec![-1],
            flash_attn: FlashAttn::Auto,
            delay_s: 0,
            warmup: true,
            sustained: None,
            sample_interval_ms: None,
        }
    }

    /// Every test of the sweep, in llama-bench's order (settings outside, then pp, tg, pg).
    pub fn tests(&self) -> Vec<SpeedTest> {
        let mut tests = Vec::new();
        for &n_gpu_layers in &self.gpu_layers {
            for &n_batch in &self.n_batch {
                for &n_ubatch in &self.n_ubatch {
                    for &n_threads in &self.threads {
                        for &n_depth in &self.n_depth {
                            let base = SpeedTest {
                                n_prompt: 0,
                                n_gen: 0,
                                n_depth,
                                n_threads,
                                n_batch,
                                n_ubatch,
                                n_gpu_layers,
                                flash_attn: self.flash_attn,
                            };
                            let shapes = self
                                .n_prompt
                                .iter()
                                .filter(|&&p| p > 0)
                                .map(|&p| (p, 0))
                                .chain(self.n_gen.iter().filter(|&&g| g > 0).map(|&g| (0, g)))
                                .chain(self.pg.iter().copied());
                            for (n_prompt, n_gen) in shapes {
                                tests.push(SpeedTest {
                                    n_prompt,
                                    n_gen,
                                    ..base
                                });
                            }
                        }
                    }
                }
            }
        }
        tests
    }

    /// Checks everything that does not need the model loaded. `n_ctx_train` comes from the
    /// GGUF header; `cores` is the number of logical CPUs.
    pub fn validate(&self, n_ctx_train: u32, cores: usize) -> Result<(), String> {
        crate::settings::validate_sample_interval(self.sample_interval_ms)?;
        if self.reps == 0 {
            return Err("--reps must be at least 1".into());
        }
        for (flag, list) in [
            ("--threads", &self.threads),
            ("--batch", &self.n_batch),
            ("--ubatch", &self.n_ubatch),
        ] {
            if list.is_empty() || list.contains(&0) {
                return Err(format!("{flag} must be at least 1"));
            }
        }
        if let Some(&t) = self.threads.iter().find(|&&t| t as usize > cores) {
            return Err(format!(
                "--threads {t} is more than this machine's {cores} logical CPUs"
            ));
        }
        if self.gpu_layers.iter().any(|&l| l < -1) {
            return Err("--gpu-layers must be -1 (all) or a layer count".into());
        }
        if let Some(s) = &self.sustained {
            if !(s.minutes > 0.0 && s.minutes.is_finite()) {
                return Err("--sustained needs a positive number of minutes".into());
            }
            if s.round_tokens == 0 {
                return Err("--round must be at least 1 token".into());
            }
            if s.round_tokens + 1 > n_ctx_train {
                return Err(format!(
                    "--round {} does not fit the model's {n_ctx_train}-token context",
                    s.round_tokens
                ));
            }
            return Ok(());
        }
        if self.pg.iter().any(|&(p, g)| p == 0 || g == 0) {
            return Err(
                "--pg needs two positive counts, prompt and generation (e.g. 512,128)".into(),
            );
        }
        let tests = self.tests();
        if tests.is_empty() {
            return Err("nothing to measure: give -p, -n or --pg a positive count".into());
        }
        if let Some(t) = tests.iter().find(|t| t.n_ctx() > n_ctx_train) {
            return Err(format!(
                "{} needs a {}-token context (depth + prompt + generation) but the model's is {n_ctx_train}",
                t.name(),
                t.n_ctx()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> SpeedRequest {
        SpeedRequest::new(PathBuf::from("m.gguf"))
    }

    #[test]
    fn lists_sweep_in_llama_bench_order() {
        let mut r = req();
        r.threads = vec![1, 2];
        r.pg = vec![(16, 8)];
        let names: Vec<_> = r
            .tests()
            .iter()
            .map(|t| format!("{}/{}", t.name(), t.n_threads))
            .collect();
        assert_eq!(
            names,
            [
                "pp512/1",
                "tg128/1",
                "pp16+tg8/1",
                "pp512/2",
                "tg128/2",
                "pp16+tg8/2"
            ]
        );
        r.n_prompt = vec![0];
        assert_eq!(
            r.tests().len(),
            4,
            "a zero count is skipped, as llama-bench does"
        );
    }

    /// Why a default request changed by `change` is refused (a 2048-token model, 4 CPUs).
    fn refused(change: impl FnOnce(&mut SpeedRequest)) -> String {
        let mut r = req();
        change(&mut r);
        r.validate(2048, 4).unwrap_err()
    }

    #[test]
    fn bad_requests_are_refused_before_loading() {
        assert!(refused(|r| r.reps = 0).contains("--reps"));
        assert!(refused(|r| r.threads = vec![8]).contains("more than this machine's 4"));
        assert!(refused(|r| r.threads = vec![0]).contains("--threads"));
        let e = refused(|r| r.n_depth = vec![2000]);
        assert!(
            e.contains("pp512 @ d2000 needs a 2512-token context"),
            "{e}"
        );
        let nothing = refused(|r| {
            r.n_prompt = vec![0];
            r.n_gen = vec![0];
        });
        assert!(nothing.contains("nothing to measure"));
        assert!(refused(|r| r.pg = vec![(0, 5)]).contains("--pg"));
        let sustained = refused(|r| {
            r.sustained = Some(Sustained {
                minutes: 0.0,
                round_tokens: 32,
            })
        });
        assert!(sustained.contains("--sustained"));
        assert!(req().validate(2048, 4).is_ok());
    }
}
