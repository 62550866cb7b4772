//! Marketing names for Apple hardware identifiers (`hw.machine` on iOS, `hw.model` on macOS).
//!
//! Results are compared across phones by name, and "iPhone15,2" means nothing to most readers.
//! Mac names follow Apple's "Identify your Mac" pages, which name some models by size and date
//! rather than chip. Unknown identifiers get `None` (shown as the raw identifier), never a guess.

const MODELS: &[(&str, &str)] = &[
    // iPhone
    ("iPhone12,1", "iPhone 11"),
    ("iPhone12,3", "iPhone 11 Pro"),
    ("iPhone12,5", "iPhone 11 Pro Max"),
    ("iPhone12,8", "iPhone SE (2nd generation)"),
    ("iPhone13,1", "iPhone 12 mini"),
    ("iPhone13,2", "iPhone 12"),
    ("iPhone13,3", "iPhone 12 Pro"),
    ("iPhone13,4", "iPhone 12 Pro Max"),
    ("iPhone14,2", "iPhone 13 Pro"),
    ("iPhone14,3", "iPhone 13 Pro Max"),
    ("iPhone14,4", "iPhone 13 mini"),
    ("iPhone14,5", "iPhone 13"),
    ("iPhone14,6", "iPhone SE (3rd generation)"),
    ("iPhone14,7", "iPhone 14"),
    ("iPhone14,8", "iPhone 14 Plus"),
    ("iPhone15,2", "iPhone 14 Pro"),
    ("iPhone15,3", "iPhone 14 Pro Max"),
    ("iPhone15,4", "iPhone 15"),
    ("iPhone15,5", "iPhone 15 Plus"),
    ("iPhone16,1", "iPhone 15 Pro"),
    ("iPhone16,2", "iPhone 15 Pro Max"),
    ("iPhone17,1", "iPhone 16 Pro"),
    ("iPhone17,2", "iPhone 16 Pro Max"),
    ("iPhone17,3", "iPhone 16"),
    ("iPhone17,4", "iPhone 16 Plus"),
    ("iPhone17,5", "iPhone 16e"),
    ("iPhone18,1", "iPhone 17 Pro"),
    ("iPhone18,2", "iPhone 17 Pro Max"),
    ("iPhone18,3", "iPhone 17"),
    ("iPhone18,4", "iPhone Air"),
    ("iPhone18,5", "iPhone 17e"),
    // iPad
    ("iPad8,9", "iPad Pro 11-inch (2nd generation)"),
    ("iPad8,10", "iPad Pro 11-inch (2nd generation)"),
    ("iPad8,11", "iPad Pro 12.9-inch (4th generation)"),
    ("iPad8,12", "iPad Pro 12.9-inch (4th generation)"),
    ("iPad11,6", "iPad (8th generation)"),
    ("iPad11,7", "iPad (8th generation)"),
    ("iPad12,1", "iPad (9th generation)"),
    ("iPad12,2", "iPad (9th generation)"),
    ("iPad13,1", "iPad Air (4th generation)"),
    ("iPad13,2", "iPad Air (4th generation)"),
    ("iPad13,4", "iPad Pro 11-inch (3rd generation)"),
    ("iPad13,5", "iPad Pro 11-inch (3rd generation)"),
    ("iPad13,6", "iPad Pro 11-inch (3rd generation)"),
    ("iPad13,7", "iPad Pro 11-inch (3rd generation)"),
    ("iPad13,8", "iPad Pro 12.9-inch (5th generation)"),
    ("iPad13,9", "iPad Pro 12.9-inch (5th generation)"),
    ("iPad13,10", "iPad Pro 12.9-inch (5th generation)"),
    ("iPad13,11", "iPad Pro 12.9-inch (5th generation)"),
    ("iPad13,16", "iPad Air (5th generation)"),
    ("iPad13,17", "iPad Air (5th generation)"),
    ("iPad13,18", "iPad (10th generation)"),
    ("iPad13,19", "iPad (10th generation)"),
    ("iPad14,1", "iPad mini (6th generation)"),
    ("iPad14,2", "iPad mini (6th generation)"),
    ("iPad14,3", "iPad Pro 11-inch (4th generation)"),
    ("iPad14,4", "iPad Pro 11-inch (4th generation)"),
    ("iPad14,5", "iPad Pro 12.9-inch (6th generation)"),
    ("iPad14,6", "iPad Pro 12.9-inch (6th generation)"),
    ("iPad14,8", "iPad Air 11-inch (M2)"),
    ("iPad14,9", "iPad Air 11-inch (M2)"),
    ("iPad14,10", "iPad Air 13-inch (M2)"),
    ("iPad14,11", "iPad Air 13-inch (M2)"),
    ("iPad15,3", "iPad Air 11-inch (M3)"),
    ("iPad15,4", "iPad Air 11-inch (M3)"),
    ("iPad15,5", "iPad Air 13-inch (M3)"),
    ("iPad15,6", "iPad Air 13-inch (M3)"),
    ("iPad15,7", "iPad (A16)"),
    ("iPad15,8", "iPad (A16)"),
    ("iPad16,1", "iPad mini (A17 Pro)"),
    ("iPad16,2", "iPad mini (A17 Pro)"),
    ("iPad16,3", "iPad Pro 11-inch (M4)"),
    ("iPad16,4", "iPad Pro 11-inch (M4)"),
    ("iPad16,5", "iPad Pro 13-inch (M4)"),
    ("iPad16,6", "iPad Pro 13-inch (M4)"),
    ("iPad16,8", "iPad Air 11-inch (M4)"),
    ("iPad16,9", "iPad Air 11-inch (M4)"),
    ("iPad16,10", "iPad Air 13-inch (M4)"),
    ("iPad16,11", "iPad Air 13-inch (M4)"),
    ("iPad17,1", "iPad Pro 11-inch (M5)"),
    ("iPad17,2", "iPad Pro 11-inch (M5)"),
    ("iPad17,3", "iPad Pro 13-inch (M5)"),
    ("iPad17,4", "iPad Pro 13-inch (M5)"),
    // Apple silicon Macs
    ("MacBookAir10,1", "MacBook Air (M1, 2020)"),
    ("MacBookPro17,1", "MacBook Pro (13-inch, M1, 2020)"),
    ("Macmini9,1", "Mac mini (M1, 2020)"),
    ("iMac21,1", "iMac (24-inch, M1, 2021)"),
    ("iMac21,2", "iMac (24-inch, M1, 2021)"),
    ("MacBookPro18,1", "MacBook Pro (16-inch, 2021)"),
    ("MacBookPro18,2", "MacBook Pro (16-inch, 2021)"),
    ("MacBookPro18,3", "MacBook Pro (14-inch, 2021)"),
    ("MacBookPro18,4", "MacBook Pro (14-inch, 2021)"),
    ("Mac13,1", "Mac Studio (2022)"),
    ("Mac13,2", "Mac Studio (2022)"),
    ("Mac14,2", "MacBook Air (M2, 2022)"),
    ("Mac14,3", "Mac mini (2023)"),
    ("Mac14,5", "MacBook Pro (14-inch, 2023)"),
    ("Mac14,6", "MacBook Pro (16-inch, 2023)"),
    ("Mac14,7", "MacBook Pro (13-inch, M2, 2022)"),
    ("Mac14,8", "Mac Pro (2023)"),
    ("Mac14,9", "MacBook Pro (14-inch, 2023)"),
    ("Mac14,10", "MacBook Pro (16-inch, 2023)"),
    ("Mac14,12", "Mac mini (2023)"),
    ("Mac14,13", "Mac Studio (2023)"),
    ("Mac14,14", "Mac Studio (2023)"),
    ("Mac14,15", "MacBook Air (15-inch, M2, 2023)"),
    ("Mac15,3", "MacBook Pro (14-inch, Nov 2023)"),
    ("Mac15,4", "iMac (24-inch, 2023, Two ports)"),
    ("Mac15,5", "iMac (24-inch, 2023, Four ports)"),
    ("Mac15,6", "MacBook Pro (14-inch, Nov 2023)"),
    ("Mac15,7", "MacBook Pro (16-inch, Nov 2023)"),
    ("Mac15,8", "MacBook Pro (14-inch, Nov 2023)"),
    ("Mac15,9", "MacBook Pro (16-inch, Nov 2023)"),
    ("Mac15,10", "MacBook Pro (14-inch, Nov 2023)"),
    ("Mac15,11", "MacBook Pro (16-inch, Nov 2023)"),
    ("Mac15,12", "MacBook Air (13-inch, M3, 2024)"),
    ("Mac15,13", "MacBook Air (15-inch, M3, 2024)"),
    ("Mac15,14", "Mac Studio (2025)"),
    ("Mac16,1", "MacBook Pro (14-inch, 2024)"),
    ("Mac16,2", "iMac (24-inch, 2024, Two ports)"),
    ("Mac16,3", "iMac (24-inch, 2024, Four ports)"),
    ("Mac16,5", "MacBook Pro (16-inch, 2024)"),
    ("Mac16,6", "MacBook Pro (14-inch, 2024)"),
    ("Mac16,7", "MacBook Pro (16-inch, 2024)"),
    ("Mac16,8", "MacBook Pro (14-inch, 2024)"),
    ("Mac16,9", "Mac Studio (2025)"),
    ("Mac16,10", "Mac mini (2024)"),
    ("Mac16,11", "Mac mini (2024)"),
    ("Mac16,12", "MacBook Air (13-inch, M4, 2025)"),
    ("Mac16,13", "MacBook Air (15-inch, M4, 2025)"),
    ("Mac17,2", "MacBook Pro (14-inch, M5)"),
];

/// The marketing name for an Apple hardware identifier such as `iPhone15,2` or `Mac14,2`.
/// Simulator identifiers (`arm64`, `x86_64`) and unknown models give `None`.
pub fn apple_marketing_name(identifier: &str) -> Option<&'static str> {
    let id = identifier.trim();
    MODELS
        .iter()
        .find(|(model, _)| *model == id)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::MODELS;
    use std::collections::HashSet;

    #[test]
    fn identifiers_are_unique() {
        let mut seen = HashSet::new();
        for (id, _) in MODELS {
            assert!(seen.insert(id), "{id} appears twice");
        }
    }
}
