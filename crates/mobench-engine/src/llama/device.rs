//! The device a run ran on, stored once per run: the telemetry crate's identity of the hardware
//! and OS, plus what this build of llama.cpp can use on it.

use mobench_telemetry::DeviceIdentity;
use serde::{Deserialize, Serialize};

use crate::llm;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceSummary {
    #[serde(flatten)]
    pub identity: DeviceIdentity,
    pub llama_cpp: LlamaBuild,
}

/// The llama.cpp compiled into this binary and the backends and CPU features it uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LlamaBuild {
    pub bindings: String,
    /// llama.cpp's system info: the CPU features ggml was compiled with (AVX2 = 1, ...).
    pub system_info: String,
    pub cpu_info: String,
    pub gpu_info: String,
    pub backends: String,
    /// Features this CPU has that the build does not use (figures below the hardware's).
    pub unused_cpu_features: Vec<String>,
}

pub fn summary() -> DeviceSummary {
    // ggml registers its devices with the backend; make sure it is up before asking.
    let _ = llm::backend();
    let (cpu_info, gpu_info, backends) = llm::backend_devices();
    DeviceSummary {
        identity: mobench_telemetry::device_identity(),
        llama_cpp: LlamaBuild {
            bindings: format!("llama-cpp-2 {}", llm::LLAMA_CPP_2_VERSION),
            system_info: llm::system_info(),
            cpu_info,
            gpu_info,
            backends,
            unused_cpu_features: llm::unused_cpu_features()
                .into_iter()
                .map(String::from)
                .collect(),
        },
    }
}
