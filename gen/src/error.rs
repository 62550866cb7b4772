use std::path::PathBuf;

/// Why a model could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The spec describes a model llama.cpp would refuse (or that cannot be written).
    #[error("invalid model spec: {0}")]
    InvalidSpec(String),

    /// The output path has no file name (for example `/` or `..`).
    #[error("output path {} does not name a file", path.display())]
    BadOutputPath { path: PathBuf },

    /// Creating, writing or renaming the file failed.
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
