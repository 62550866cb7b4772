//! The device a run ran on, stored once per run: the telemetry crate's identity of the hardware
//! and OS, plus what this build of llama.cpp can use on it.

use std::sync::OnceLock;

use mobench_telemetry::DeviceIdentity;
use serde::{Deserialize, Serialize};

use super::offload::GpuDevice;

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
    let _ = super::backend();
    let (cpu_info, gpu_info, backends) = backend_devices();
    DeviceSummary {
        identity: mobench_telemetry::device_identity(),
        llama_cpp: LlamaBuild {
            bindings: format!("llama-cpp-2 {}", LLAMA_CPP_2_VERSION),
            system_info: system_info(),
            cpu_info,
            gpu_info,
            backends,
            unused_cpu_features: unused_cpu_features()
                .into_iter()
                .map(String::from)
                .collect(),
        },
    }
}

/// llama.cpp's description of this build: version of the bindings and the CPU/GPU features compiled in.
pub fn llama_build_info() -> String {
    format!("llama-cpp-2 {} ({})", LLAMA_CPP_2_VERSION, system_info())
}

/// llama.cpp's `llama_print_system_info`: the CPU features ggml was compiled with.
///
/// llama.cpp rebuilds that text in one static `std::string` on every call, so two threads calling
/// it at once corrupt the heap (seen as `free(): unaligned chunk` and garbled `llama_version`
/// cells when a run started while the app described the device). It is asked once per process,
/// under a lock, and kept.
pub fn system_info() -> String {
    static INFO: OnceLock<String> = OnceLock::new();
    INFO.get_or_init(|| {
        // SAFETY: the only call in this process (`OnceLock` runs it once); the pointer is read
        // before anything else could rebuild the string.
        let sys = unsafe { std::ffi::CStr::from_ptr(llama_cpp_sys_2::llama_print_system_info()) };
        sys.to_string_lossy().trim().to_string()
    })
    .clone()
}

pub const LLAMA_CPP_2_VERSION: &str = "0.1.160";

fn c_text(p: *const std::os::raw::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: ggml returns NUL-terminated strings that live as long as the backend.
        unsafe { std::ffi::CStr::from_ptr(p) }
            .to_string_lossy()
            .into_owned()
    }
}

/// Every device ggml registered: its type, its backend's name and its description.
fn devices() -> Vec<(llama_cpp_sys_2::ggml_backend_dev_type, String, String)> {
    use llama_cpp_sys_2 as sys;
    (0..unsafe { sys::ggml_backend_dev_count() })
        .map(|i| {
            let dev = unsafe { sys::ggml_backend_dev_get(i) };
            let reg = unsafe { sys::ggml_backend_dev_backend_reg(dev) };
            (
                unsafe { sys::ggml_backend_dev_type(dev) },
                c_text(unsafe { sys::ggml_backend_reg_name(reg) }),
                c_text(unsafe { sys::ggml_backend_dev_description(dev) }),
            )
        })
        .collect()
}

/// The GPU devices ggml registered (none in a CPU-only build), for [`super::offload::resolve`].
/// RPC servers are left out: llama.cpp does not place a model's layers on them by default.
pub fn gpu_devices() -> Vec<GpuDevice> {
    use llama_cpp_sys_2 as sys;
    devices()
        .into_iter()
        .filter(|(_, backend, _)| backend != "RPC")
        .filter_map(|(kind, backend, description)| {
            let integrated = match kind {
                sys::GGML_BACKEND_DEVICE_TYPE_GPU => false,
                sys::GGML_BACKEND_DEVICE_TYPE_IGPU => true,
                _ => return None,
            };
            Some(GpuDevice {
                backend,
                description,
                integrated,
            })
        })
        .collect()
}

/// llama-bench's `cpu_info`, `gpu_info` and `backends`: the descriptions of the CPU and GPU
/// devices ggml registered, and the non-CPU backends compiled in ("CPU" when none).
pub fn backend_devices() -> (String, String, String) {
    use llama_cpp_sys_2 as sys;
    let (mut cpus, mut gpus) = (Vec::new(), Vec::new());
    for (kind, _, description) in devices() {
        match kind {
            sys::GGML_BACKEND_DEVICE_TYPE_CPU | sys::GGML_BACKEND_DEVICE_TYPE_ACCEL => {
                cpus.push(description)
            }
            sys::GGML_BACKEND_DEVICE_TYPE_GPU | sys::GGML_BACKEND_DEVICE_TYPE_IGPU => {
                gpus.push(description)
            }
            _ => {}
        }
    }
    let backends: Vec<String> = (0..unsafe { sys::ggml_backend_reg_count() })
        .map(|i| c_text(unsafe { sys::ggml_backend_reg_name(sys::ggml_backend_reg_get(i)) }))
        .filter(|name| name != "CPU")
        .collect();
    let backends = if backends.is_empty() {
        "CPU".to_string()
    } else {
        backends.join(",")
    };
    (cpus.join(", "), gpus.join(", "), backends)
}

/// CPU features this processor has that the ggml in this binary was built without (x86 only:
/// the ones that decide llama.cpp's speed). A non-empty list means figures below the hardware's.
pub fn unused_cpu_features() -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let sys = system_info();
        let built = |name: &str| sys.contains(&format!("{name} = 1"));
        let mut missing = Vec::new();
        if std::arch::is_x86_feature_detected!("avx2") && !built("AVX2") {
            missing.push("AVX2");
        }
        if std::arch::is_x86_feature_detected!("fma") && !built("FMA") {
            missing.push("FMA");
        }
        if std::arch::is_x86_feature_detected!("f16c") && !built("F16C") {
            missing.push("F16C");
        }
        if std::arch::is_x86_feature_detected!("avx512f") && !built("AVX512") {
            missing.push("AVX512");
        }
        missing
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_info_is_safe_to_ask_from_many_threads() {
        // llama.cpp's own function is not: this failed with a corrupted heap or garbled text.
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| (0..500).map(|_| system_info()).collect::<Vec<_>>()))
            .collect();
        let first = system_info();
        assert!(first.contains("CPU"), "{first}");
        for t in threads {
            assert!(t.join().unwrap().iter().all(|s| *s == first));
        }
    }
}
