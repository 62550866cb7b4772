//! Runs of many devices in one history: what a device is called (from the identity its runs
//! recorded, with its id's first characters, since two machines of one kind read the same), and
//! the history's filters by device, model and quantization.

use serde_json::Value;

use crate::RunRow;

/// A device's name as its run recorded it: "iPhone 15 Pro (iPhone16,1)", or the system, the
/// architecture and the CPU; then the first 8 characters of its id.
pub fn device_label(device_json: &str, device_id: &str) -> String {
    let identity: Value = serde_json::from_str(device_json).unwrap_or(Value::Null);
    let field = |k: &str| identity.get(k).and_then(Value::as_str).map(str::to_string);
    let name = match (field("device_name"), field("device_model")) {
        (Some(n), Some(m)) if n != m => format!("{n} ({m})"),
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => {
            let parts: Vec<String> = [field("os"), field("arch"), field("cpu_brand")]
                .into_iter()
                .flatten()
                .collect();
            if parts.is_empty() {
                "unknown device".to_string()
            } else {
                parts.join(" ")
            }
        }
    };
    format!("{name} [{}]", short_id(device_id))
}

/// The first 8 characters of a device's id, as labels show it.
pub fn short_id(device_id: &str) -> &str {
    device_id.get(..8).unwrap_or(device_id)
}

impl RunRow {
    /// The device that made the run, by name (see [`device_label`]).
    pub fn device_label(&self) -> String {
        device_label(&self.device_json, &self.device_id)
    }
}

/// What a filter looks at of a run.
pub struct FilteredRun<'a> {
    pub device_id: &'a str,
    pub device_json: &'a str,
    pub model_name: &'a str,
    pub model_path: &'a str,
    pub model_sha256: &'a str,
    pub quantization: Option<&'a str>,
}

/// Which runs a history shows: each given filter must match (case-insensitively).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunFilter {
    /// The device's id (or its start) or a part of its name.
    pub device: Option<String>,
    /// A part of the model's name or file name, or the start of its sha256.
    pub model: Option<String>,
    /// The quantization, exactly ("Q4_0", "F16").
    pub quant: Option<String>,
}

impl RunFilter {
    pub fn matches(&self, run: &RunRow) -> bool {
        self.matches_parts(&FilteredRun {
            device_id: &run.device_id,
            device_json: &run.device_json,
            model_name: &run.model.display_name(),
            model_path: &run.model.path,
            model_sha256: &run.model.sha256,
            quantization: run.model.quantization.as_deref(),
        })
    }

    /// [`RunFilter::matches`] for a run known by these parts only (a server's listing).
    pub fn matches_parts(&self, run: &FilteredRun) -> bool {
        let has = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
        let device = self.device.as_deref().is_none_or(|d| {
            run.device_id.starts_with(&d.to_lowercase())
                || has(&device_label(run.device_json, run.device_id), d)
        });
        let model = self.model.as_deref().is_none_or(|m| {
            has(run.model_name, m)
                || has(run.model_path, m)
                || run.model_sha256.starts_with(&m.to_lowercase())
        });
        let quant = self.quant.as_deref().is_none_or(|q| {
            run.quantization
                .is_some_and(|have| have.eq_ignore_ascii_case(q))
        });
        device && model && quant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_what_it_recorded_and_its_id() {
        let id = "0193a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            device_label(
                r#"{"device_name":"iPhone 15 Pro","device_model":"iPhone16,1"}"#,
                id
            ),
            "iPhone 15 Pro (iPhone16,1) [0193a1b2]"
        );
        assert_eq!(
            device_label(r#"{"os":"Linux","arch":"x86_64","cpu_brand":"EPYC"}"#, id),
            "Linux x86_64 EPYC [0193a1b2]"
        );
        assert_eq!(device_label("{}", id), "unknown device [0193a1b2]");
    }
}
