//! What Linux says about the device: its model (DMI, or the device tree on ARM boards) and GPUs.

use std::path::Path;

use super::files::{attr, entries};
use super::paths::LinuxPaths;
use crate::parse;

/// The Linux parts of the device identity, read from the running system.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn identity() -> crate::identity::PlatformIdentity {
    let paths = LinuxPaths::system();
    crate::identity::PlatformIdentity::not_apple(device_model(&paths), gpus(&paths))
}

/// The device model from DMI, or from the device tree on ARM boards, or why neither.
pub fn device_model(paths: &LinuxPaths) -> Result<String, String> {
    dmi_model(&paths.dmi).or_else(|dmi_reason| {
        device_tree_model(&paths.device_tree_model)
            .map_err(|_| format!("{dmi_reason}; no device-tree model either"))
    })
}

/// `"<sys_vendor> <product_name>"` from a `/sys/class/dmi/id`-like folder, or why not.
pub fn dmi_model(root: &Path) -> Result<String, String> {
    if !root.is_dir() {
        return Err(format!(
            "no DMI information at {} (usual in virtual machines, containers and on ARM boards)",
            root.display()
        ));
    }
    let mut buf = String::new();
    let mut read = |name: &str| attr(root, name, &mut buf).ok();
    let vendor = read("sys_vendor");
    let product = read("product_name");
    let version = read("product_version");
    parse::dmi_model(vendor.as_deref(), product.as_deref(), version.as_deref())
        .ok_or_else(|| format!("DMI at {} has no usable product name", root.display()))
}

/// The device-tree model string (`/proc/device-tree/model`) that ARM boards report instead of DMI.
pub fn device_tree_model(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse::device_tree_model(&bytes).ok_or_else(|| format!("{} is empty", path.display()))
}

/// GPUs the kernel exposes: NVIDIA's driver names the model, other DRM devices are named by
/// vendor and PCI id. A present GPU says nothing about whether llama.cpp was built to use it;
/// the engine reports that from the build.
pub fn gpus(paths: &LinuxPaths) -> Result<String, String> {
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    let mut names: Vec<String> = entries(&paths.nvidia_gpus)
        .unwrap_or_default()
        .iter()
        .filter_map(|dir| parse::nvidia_gpu_model(&read(&dir.join("information"))?))
        .collect();
    let nvidia_named = !names.is_empty();
    let cards = entries(&paths.drm).unwrap_or_default();
    for card in cards.iter().filter(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(parse::is_drm_card)
    }) {
        let device = card.join("device");
        let Some(vendor_id) = read(&device.join("vendor")) else {
            continue;
        };
        let Some((vendor, name)) =
            parse::drm_gpu(&vendor_id, read(&device.join("device")).as_deref())
        else {
            continue;
        };
        if vendor == "NVIDIA" && nvidia_named {
            continue;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        Err(format!(
            "no GPU under {} or {}",
            paths.drm.display(),
            paths.nvidia_gpus.display()
        ))
    } else {
        Ok(names.join(", "))
    }
}
