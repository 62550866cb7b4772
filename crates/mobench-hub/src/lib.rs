//! Models from Hugging Face, for the CLI and the app alike: the catalog of recommended phone
//! models (`models/catalog.toml`), the hub's search and file lists ([`Hub`]), and downloads that
//! resume with HTTP Range after a cancel or a lost connection and are checked against the hub's
//! sha256 (the LFS object id) before anything is kept ([`download`]).
//!
//! The hub is `https://huggingface.co`, or a mirror named by `HF_ENDPOINT` (as `huggingface_hub`
//! reads it) or by the caller. A token for gated repositories comes from the caller (the app's
//! keychain) or `HF_TOKEN`; it is sent only in the `Authorization` header, to the hub itself
//! (never to the host a download is redirected to), and never logged or put in an error.

pub mod catalog;
pub mod client;
pub mod download;
pub mod error;
pub mod names;
pub mod space;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use catalog::{CatalogModel, CatalogQuant, ModelCatalog};
pub use client::{Hub, RepoFile, RepoSummary, DEFAULT_ENDPOINT, ENDPOINT_ENV, TOKEN_ENV};
pub use download::{download_files, Cancel, DownloadProgress, Limits};
pub use error::HubError;
