//! Device identity and the Apple marketing-name table.

use mobench_telemetry::{apple_marketing_name, device_identity, DeviceIdentity};

#[test]
fn apple_identifiers_map_to_marketing_names() {
    assert_eq!(apple_marketing_name("iPhone15,2"), Some("iPhone 14 Pro"));
    assert_eq!(apple_marketing_name("iPhone12,1"), Some("iPhone 11"));
    assert_eq!(apple_marketing_name("iPhone17,5"), Some("iPhone 16e"));
    assert_eq!(apple_marketing_name("iPhone18,3"), Some("iPhone 17"));
    assert_eq!(apple_marketing_name("iPhone18,4"), Some("iPhone Air"));
    assert_eq!(
        apple_marketing_name("iPad16,3"),
        Some("iPad Pro 11-inch (M4)")
    );
    assert_eq!(
        apple_marketing_name("iPad13,18"),
        Some("iPad (10th generation)")
    );
    assert_eq!(
        apple_marketing_name("Mac14,2"),
        Some("MacBook Air (M2, 2022)")
    );
    assert_eq!(
        apple_marketing_name("MacBookPro18,3"),
        Some("MacBook Pro (14-inch, 2021)")
    );
    assert_eq!(apple_marketing_name("Mac16,10"), Some("Mac mini (2024)"));
    assert_eq!(
        apple_marketing_name(" Mac15,12\n"),
        Some("MacBook Air (13-inch, M3, 2024)")
    );
    // Simulators report the host architecture; unknown and future models are not guessed.
    assert_eq!(apple_marketing_name("arm64"), None);
    assert_eq!(apple_marketing_name("x86_64"), None);
    assert_eq!(apple_marketing_name("iPhone99,9"), None);
    assert_eq!(apple_marketing_name("iphone15,2"), None);
    assert_eq!(apple_marketing_name(""), None);
}

#[test]
fn identity_of_this_device_explains_every_missing_field() {
    let id = device_identity();
    assert!(!id.os.is_empty());
    assert_eq!(id.arch, std::env::consts::ARCH);
    assert!(id.logical_cores >= 1);
    assert!(id.total_memory_bytes.is_some_and(|m| m > 0));
    let missing = |field: &str| {
        id.unavailable
            .iter()
            .any(|m| m.field == field && !m.reason.is_empty())
    };
    let optional = [
        ("os_version", id.os_version.is_none()),
        ("kernel_version", id.kernel_version.is_none()),
        ("device_model", id.device_model.is_none()),
        ("device_name", id.device_name.is_none()),
        ("cpu_brand", id.cpu_brand.is_none()),
        ("physical_cores", id.physical_cores.is_none()),
        ("performance_cores", id.performance_cores.is_none()),
        ("efficiency_cores", id.efficiency_cores.is_none()),
        ("gpu", id.gpu.is_none()),
        ("metal", id.metal.is_none()),
    ];
    for (field, is_none) in optional {
        assert_eq!(is_none, missing(field), "{field}: {id:#?}");
    }
    #[cfg(not(target_vendor = "apple"))]
    assert_eq!(id.metal, Some(false));

    let json = serde_json::to_string(&id).unwrap();
    let back: DeviceIdentity = serde_json::from_str(&json).unwrap();
    assert_eq!(back, id);
}
