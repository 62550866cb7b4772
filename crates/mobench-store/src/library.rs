//! The app's model library: which files the user imported, and how.

use serde::{Deserialize, Serialize};

/// How a model came into the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// The project's generated tiny model, always present.
    Builtin,
    /// Copied into the app's models folder; deleting it removes the copy.
    Copied,
    /// Used where it lies; deleting it only forgets it.
    Referenced,
    /// In the folder the user shares with the app (iOS: its Documents folder, filled through
    /// Finder or the Files app). Found by looking, never stored; deleting it removes the file.
    Shared,
}

impl ModelSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ModelSource::Builtin => "builtin",
            ModelSource::Copied => "copied",
            ModelSource::Referenced => "referenced",
            ModelSource::Shared => "shared",
        }
    }
}
