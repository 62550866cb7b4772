//! What names the device and its GPUs: DMI, the device tree, NVIDIA's driver and DRM cards.

/// Values firmware vendors leave in DMI fields they did not fill in.
const DMI_PLACEHOLDERS: &[&str] = &[
    "",
    "to be filled by o.e.m.",
    "system product name",
    "system manufacturer",
    "default string",
    "not applicable",
    "none",
    "unknown",
    "o.e.m.",
    "oem",
];

fn dmi_value(text: Option<&str>) -> Option<String> {
    let v = text?.trim();
    (!DMI_PLACEHOLDERS.contains(&v.to_ascii_lowercase().as_str())).then(|| v.to_string())
}

/// `"<sys_vendor> <product_name>"` from the texts of `/sys/class/dmi/id`'s `sys_vendor`,
/// `product_name` and `product_version` (`None` for one that could not be read), or `None`
/// when they name no product.
pub fn dmi_model(
    sys_vendor: Option<&str>,
    product_name: Option<&str>,
    product_version: Option<&str>,
) -> Option<String> {
    let vendor = dmi_value(sys_vendor);
    let product = dmi_value(product_name);
    // Lenovo puts the type number in product_name and the model in product_version.
    let version = dmi_value(product_version).filter(|_| {
        vendor
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("LENOVO"))
    });
    let product = match (product, version) {
        (Some(p), Some(v)) => Some(format!("{v} ({p})")),
        (p, v) => p.or(v),
    };
    match (vendor, product?) {
        (Some(v), p) if p.to_ascii_lowercase().starts_with(&v.to_ascii_lowercase()) => Some(p),
        (Some(v), p) => Some(format!("{v} {p}")),
        (None, p) => Some(p),
    }
}

/// The model string of `/proc/device-tree/model`, which ARM boards report instead of DMI
/// (NUL-terminated); `None` when it is empty.
pub fn device_tree_model(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let model = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!model.is_empty()).then(|| model.to_string())
}

/// The `Model:` line of NVIDIA's `/proc/driver/nvidia/gpus/<bus>/information`.
pub fn nvidia_gpu_model(information: &str) -> Option<String> {
    information
        .lines()
        .find_map(|l| l.strip_prefix("Model:"))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
}

/// Whether a `/sys/class/drm` entry is a card (`card0`), not a connector (`card1-eDP-1`) or a
/// render node.
pub fn is_drm_card(name: &str) -> bool {
    name.strip_prefix("card")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// PCI vendor IDs of GPU makers, for naming DRM devices.
fn gpu_vendor(id: &str) -> Option<&'static str> {
    match id.trim().to_ascii_lowercase().as_str() {
        "0x10de" => Some("NVIDIA"),
        "0x1002" => Some("AMD"),
        "0x8086" => Some("Intel"),
        "0x5143" => Some("Qualcomm"),
        "0x13b5" => Some("ARM"),
        _ => None,
    }
}

/// A DRM card's GPU from the texts of its `device/vendor` and `device/device` PCI ids: the
/// maker and a name such as `Intel GPU (PCI 8086:9a49)`. `None` for a vendor that makes no GPUs.
pub fn drm_gpu(vendor_id: &str, device_id: Option<&str>) -> Option<(&'static str, String)> {
    let vendor = gpu_vendor(vendor_id)?;
    let vendor_hex = vendor_id.trim().trim_start_matches("0x");
    let name = match device_id {
        Some(d) => format!(
            "{vendor} GPU (PCI {vendor_hex}:{})",
            d.trim().trim_start_matches("0x")
        ),
        None => format!("{vendor} GPU"),
    };
    Some((vendor, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmi_model_from_texts() {
        let lenovo = dmi_model(Some("LENOVO\n"), Some("20XWCTO1WW\n"), Some("ThinkPad X\n"));
        assert_eq!(lenovo.as_deref(), Some("LENOVO ThinkPad X (20XWCTO1WW)"));
        // Other vendors' product_version is a revision, not a model.
        assert_eq!(
            dmi_model(Some("Dell Inc."), Some("XPS 13"), Some("A01")).as_deref(),
            Some("Dell Inc. XPS 13")
        );
        assert_eq!(
            dmi_model(None, Some("Framework Laptop"), None).as_deref(),
            Some("Framework Laptop")
        );
        assert_eq!(
            dmi_model(Some("Acme"), Some("To be filled by O.E.M."), None),
            None
        );
        assert_eq!(dmi_model(None, None, None), None);
    }

    #[test]
    fn device_tree_gpu_and_card_names() {
        assert_eq!(
            device_tree_model(b"Raspberry Pi 5\0").as_deref(),
            Some("Raspberry Pi 5")
        );
        assert_eq!(device_tree_model(b"\0\n"), None);
        assert_eq!(
            nvidia_gpu_model("Model: \t NVIDIA X\nIRQ: 1\n").as_deref(),
            Some("NVIDIA X")
        );
        assert_eq!(nvidia_gpu_model("Model:  \n"), None);
        assert!(is_drm_card("card0") && is_drm_card("card12"));
        assert!(!is_drm_card("card1-eDP-1") && !is_drm_card("card") && !is_drm_card("renderD128"));
        assert_eq!(
            drm_gpu("0x8086\n", Some("0x9a49\n")),
            Some(("Intel", "Intel GPU (PCI 8086:9a49)".to_string()))
        );
        assert_eq!(drm_gpu("0x1AF4", Some("0x1050")), None);
        assert_eq!(drm_gpu("0x1002", None).unwrap().1, "AMD GPU");
    }
}
