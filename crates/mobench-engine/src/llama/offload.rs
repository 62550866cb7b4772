//! Where llama.cpp puts a model's layers. Asking for GPU layers is a wish: with no GPU device
//! registered (a CPU-only build, Metal unavailable in a simulator or a VM) llama.cpp quietly
//! keeps every layer on the CPU. Peer apps report such runs as if the GPU had run them; we record
//! the backend that actually held the layers with each load.
//!
//! [`resolve`] mirrors llama.cpp's device choice (`llama_prepare_model_devices` and
//! `load_tensors` in llama.cpp b8xxx, default layer split): discrete GPUs if there are any, else
//! integrated ones of one backend; `min(requested, n_layer + 1)` layers go to them (the `+ 1` is
//! the output layer); none when the list is empty.

use serde::Serialize;

/// A GPU device ggml registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuDevice {
    /// The backend's name: "Metal", "CUDA", "Vulkan".
    pub backend: String,
    /// The device's own description ("Apple M2 Pro", "NVIDIA H200").
    pub description: String,
    /// Integrated GPUs are used only when no discrete one exists.
    pub integrated: bool,
}

/// What a load did with the layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offload {
    /// "CPU", or the GPU backend and its device ("Metal (Apple M2 Pro)").
    pub backend: String,
    pub gpu_layers_offloaded: u32,
    /// The model's layers plus its output layer: what "all layers" means.
    pub layers_total: u32,
    /// Why layers asked for the GPU stayed on the CPU; `None` when nothing was asked or all went.
    pub fallback: Option<String>,
}

pub fn resolve(requested: u32, n_layer: u32, devices: &[GpuDevice]) -> Offload {
    let layers_total = n_layer.saturating_add(1);
    let discrete: Vec<&GpuDevice> = devices.iter().filter(|d| !d.integrated).collect();
    let used: Vec<&GpuDevice> = if discrete.is_empty() {
        let first = devices.iter().find(|d| d.integrated);
        devices
            .iter()
            .filter(|d| d.integrated && first.is_some_and(|f| f.backend == d.backend))
            .collect()
    } else {
        discrete
    };
    let offloaded = if used.is_empty() {
        0
    } else {
        requested.min(layers_total)
    };
    let backend = if offloaded == 0 {
        "CPU".to_string()
    } else {
        let names: Vec<String> = used
            .iter()
            .map(|d| format!("{} ({})", d.backend, d.description))
            .collect();
        names.join(" + ")
    };
    let fallback = (requested > 0 && used.is_empty()).then(|| {
        "GPU layers were asked for, but this build of llama.cpp registered no GPU device, so every \
         layer ran on the CPU"
            .to_string()
    });
    Offload {
        backend,
        gpu_layers_offloaded: offloaded,
        layers_total,
        fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(backend: &str, description: &str, integrated: bool) -> GpuDevice {
        GpuDevice {
            backend: backend.into(),
            description: description.into(),
            integrated,
        }
    }

    #[test]
    fn no_device_means_cpu_and_says_why_when_gpu_was_asked_for() {
        let o = resolve(999, 32, &[]);
        assert_eq!(o.backend, "CPU");
        assert_eq!((o.gpu_layers_offloaded, o.layers_total), (0, 33));
        assert!(o.fallback.unwrap().contains("no GPU device"));
        assert_eq!(resolve(0, 32, &[]).fallback, None);
    }

    #[test]
    fn zero_layers_stay_on_the_cpu_even_with_a_gpu() {
        let o = resolve(0, 32, &[dev("Metal", "Apple M2", true)]);
        assert_eq!((o.backend.as_str(), o.gpu_layers_offloaded), ("CPU", 0));
        assert_eq!(o.fallback, None);
    }

    #[test]
    fn all_layers_are_capped_at_the_model_plus_its_output_layer() {
        let o = resolve(999, 32, &[dev("Metal", "Apple M2 Pro", true)]);
        assert_eq!(o.backend, "Metal (Apple M2 Pro)");
        assert_eq!((o.gpu_layers_offloaded, o.layers_total), (33, 33));
        let partial = resolve(10, 32, &[dev("Metal", "Apple M2 Pro", true)]);
        assert_eq!(partial.gpu_layers_offloaded, 10);
    }

    #[test]
    fn discrete_gpus_win_over_integrated_ones() {
        let devices = [
            dev("Vulkan", "Intel UHD 770", true),
            dev("CUDA", "NVIDIA H200", false),
        ];
        assert_eq!(resolve(999, 4, &devices).backend, "CUDA (NVIDIA H200)");
        let two = [dev("CUDA", "A", false), dev("CUDA", "B", false)];
        assert_eq!(resolve(999, 4, &two).backend, "CUDA (A) + CUDA (B)");
    }

    #[test]
    fn integrated_gpus_of_one_backend_only() {
        let devices = [
            dev("Vulkan", "Intel UHD 770", true),
            dev("OpenCL", "Intel UHD 770", true),
        ];
        assert_eq!(resolve(5, 4, &devices).backend, "Vulkan (Intel UHD 770)");
    }
}
