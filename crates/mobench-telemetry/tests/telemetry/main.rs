//! Integration tests for mobench-telemetry: one test binary, one module per area.

mod identity;
mod linux;
mod parse;
mod probe;
mod sampler;
mod summary;

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod live;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod live_linux;

#[cfg(target_vendor = "apple")]
mod live_apple;

use std::path::PathBuf;

pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

pub fn fixture_text(relative: &str) -> String {
    std::fs::read_to_string(fixture(relative)).expect("fixture exists")
}
