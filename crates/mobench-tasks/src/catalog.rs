//! The built-in catalog: task recipes (`datasets/tasks.toml`) and datasets
//! (`datasets/starter.toml`, `datasets/mobileaibench.toml`), compiled into the binary so it
//! works from any folder. Adding a dataset in an existing schema is a catalog entry, not code.

use std::collections::BTreeMap;

use mobench_metrics::Metric;
use serde::{Deserialize, Serialize};

use crate::cleanup::Cleanup;

const TASKS_TOML: &str = include_str!("../../../datasets/tasks.toml");
const STARTER_TOML: &str = include_str!("../../../datasets/starter.toml");
const MOBILEAIBENCH_TOML: &str = include_str!("../../../datasets/mobileaibench.toml");

/// Suites a run can be asked for by name.
pub const SUITES: &[&str] = &["starter", "mobileaibench"];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown task `{name}` (valid: {valid})")]
    UnknownTask { name: String, valid: String },
    #[error("unknown dataset `{name}` (valid: {valid})")]
    UnknownDataset { name: String, valid: String },
    #[error("unknown suite `{name}` (valid: {valid})")]
    UnknownSuite { name: String, valid: String },
    #[error("no dataset of suite `{suite}` matches the tasks and datasets asked for")]
    EmptySelection { suite: String },
    #[error("catalog {file} is invalid: {message}")]
    Invalid { file: &'static str, message: String },
}

/// A prompt recipe with its generation limit, clean-up filter and default metrics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TaskDef {
    #[serde(skip_deserializing)]
    pub name: String,
    pub version: u32,
    pub system: String,
    pub prompt: String,
    pub long_field: String,
    pub max_tokens: u32,
    pub cleanup: Cleanup,
    pub metrics: Vec<Metric>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

/// One dataset file: which task it feeds, how its columns map onto the recipe's fields, and
/// the published file's identity (size, sha256, address).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetDef {
    #[serde(skip_deserializing)]
    pub name: String,
    pub suite: String,
    pub task: String,
    pub file: String,
    pub format: Format,
    /// recipe field -> file column; `reference`, `id` and `turns` are special fields.
    pub columns: BTreeMap<String, String>,
    /// Overrides the task's default metrics (trust & safety datasets each grade differently).
    #[serde(default)]
    pub metrics: Option<Vec<Metric>>,
    pub rows: usize,
    pub bytes: u64,
    pub sha256: String,
    #[serde(default)]
    pub url: Option<String>,
    pub licence: String,
}

impl DatasetDef {
    pub fn is_builtin(&self) -> bool {
        self.suite == "starter"
    }
}

#[derive(Deserialize)]
struct TasksFile {
    tasks: BTreeMap<String, TaskDef>,
}

#[derive(Deserialize)]
struct DatasetsFile {
    datasets: BTreeMap<String, DatasetDef>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    tasks: BTreeMap<String, TaskDef>,
    /// In catalog order (starter first, then MobileAIBench's order), so runs are stable.
    datasets: Vec<DatasetDef>,
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn builtin() -> Catalog {
        // The embedded files are validated by this crate's tests, so failing here is a build defect.
        Self::parse(TASKS_TOML, &[STARTER_TOML, MOBILEAIBENCH_TOML])
            .unwrap_or_else(|e| panic!("built-in catalog is invalid: {e}"))
    }

    fn parse(tasks: &str, dataset_files: &[&str]) -> Result<Catalog, CatalogError> {
        let mut tasks = toml::from_str::<TasksFile>(tasks)
            .map_err(|e| CatalogError::Invalid {
                file: "tasks.toml",
                message: e.to_string(),
            })?
            .tasks;
        for (name, task) in tasks.iter_mut() {
            task.name = name.clone();
        }
        let mut datasets = Vec::new();
        for text in dataset_files {
            let file: DatasetsFile = toml::from_str(text).map_err(|e| CatalogError::Invalid {
                file: "datasets",
                message: e.to_string(),
            })?;
            // TOML tables are unordered; keep the order in which the file lists them.
            let mut entries: Vec<(usize, DatasetDef)> = file
                .datasets
                .into_iter()
                .map(|(name, mut def)| {
                    let pos = text
                        .find(&format!("[datasets.{name}]"))
                        .unwrap_or(usize::MAX);
                    def.name = name;
                    (pos, def)
                })
                .collect();
            entries.sort_by_key(|(pos, _)| *pos);
            datasets.extend(entries.into_iter().map(|(_, d)| d));
        }
        for d in &datasets {
            if !tasks.contains_key(&d.task) {
                return Err(CatalogError::Invalid {
                    file: "datasets",
                    message: format!("dataset `{}` names unknown task `{}`", d.name, d.task),
                });
            }
            if !d.columns.contains_key("reference") && !d.columns.contains_key("turns") {
                return Err(CatalogError::Invalid {
                    file: "datasets",
                    message: format!("dataset `{}` maps no `reference` column", d.name),
                });
            }
        }
        Ok(Catalog { tasks, datasets })
    }

    pub fn tasks(&self) -> impl Iterator<Item = &TaskDef> {
        self.tasks.values()
    }

    pub fn datasets(&self) -> &[DatasetDef] {
        &self.datasets
    }

    pub fn task(&self, name: &str) -> Result<&TaskDef, CatalogError> {
        self.tasks
            .get(name)
            .ok_or_else(|| CatalogError::UnknownTask {
                name: name.to_string(),
                valid: self.tasks.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }

    pub fn dataset(&self, name: &str) -> Result<&DatasetDef, CatalogError> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| CatalogError::UnknownDataset {
                name: name.to_string(),
                valid: self
                    .datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Metrics graded for a dataset: its own list, else its task's.
    pub fn metrics_for(&self, dataset: &DatasetDef) -> Vec<Metric> {
        match &dataset.metrics {
            Some(m) => m.clone(),
            None => self
                .tasks
                .get(&dataset.task)
                .map(|t| t.metrics.clone())
                .unwrap_or_default(),
        }
    }

    /// Resolves a run's selection. Named datasets are taken from any suite; otherwise the
    /// suite's datasets, narrowed to the named tasks. Every name is validated first.
    pub fn select(
        &self,
        suite: &str,
        tasks: &[String],
        datasets: &[String],
    ) -> Result<Vec<&DatasetDef>, CatalogError> {
        if !SUITES.contains(&suite) {
            return Err(CatalogError::UnknownSuite {
                name: suite.to_string(),
                valid: SUITES.join(", "),
            });
        }
        for t in tasks {
            self.task(t)?;
        }
        let chosen: Vec<&DatasetDef> = if datasets.is_empty() {
            self.datasets
                .iter()
                .filter(|d| d.suite == suite)
                .filter(|d| tasks.is_empty() || tasks.contains(&d.task))
                .collect()
        } else {
            let mut out = Vec::new();
            for name in datasets {
                let d = self.dataset(name)?;
                if (tasks.is_empty() || tasks.contains(&d.task)) && !out.contains(&d) {
                    out.push(d);
                }
            }
            out
        };
        if chosen.is_empty() {
            return Err(CatalogError::EmptySelection {
                suite: suite.to_string(),
            });
        }
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_covers_every_task() {
        let c = Catalog::builtin();
        for t in [
            "question_answering",
            "summarization",
            "text2sql",
            "mmlu",
            "math",
            "trust_and_safety",
            "mt_bench",
        ] {
            let task = c.task(t).unwrap();
            assert!(c
                .datasets()
                .iter()
                .any(|d| d.task == t && d.suite == "mobileaibench"));
            assert!(c
                .datasets()
                .iter()
                .any(|d| d.task == t && d.suite == "starter"));
            assert!(task.max_tokens > 0);
        }
        assert_eq!(
            c.datasets()
                .iter()
                .filter(|d| d.suite == "mobileaibench")
                .count(),
            14
        );
    }

    #[test]
    fn issue_max_tokens_defaults() {
        let c = Catalog::builtin();
        assert_eq!(c.task("summarization").unwrap().max_tokens, 200);
        assert_eq!(c.task("question_answering").unwrap().max_tokens, 512);
        assert_eq!(c.task("text2sql").unwrap().max_tokens, 512);
        assert_eq!(c.task("mmlu").unwrap().max_tokens, 1024);
    }

    #[test]
    fn unknown_names_list_valid_ones() {
        let c = Catalog::builtin();
        let e = c.select("starter", &["poetry".into()], &[]).unwrap_err();
        assert!(e.to_string().contains("unknown task `poetry`"));
        assert!(e.to_string().contains("summarization"));
        let e = c.select("starter", &[], &["nope".into()]).unwrap_err();
        assert!(e.to_string().contains("hotpot_qa"));
        let e = c.select("huge", &[], &[]).unwrap_err();
        assert!(e.to_string().contains("starter, mobileaibench"));
    }

    #[test]
    fn selection_by_task_and_dataset() {
        let c = Catalog::builtin();
        let s = c
            .select("mobileaibench", &["summarization".into()], &[])
            .unwrap();
        let names: Vec<_> = s.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["cnn_dailymail", "xsum"]);
        let s = c
            .select(
                "starter",
                &[],
                &["mmlu".into(), "gsm8k".into(), "mmlu".into()],
            )
            .unwrap();
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn trust_and_safety_metrics_per_dataset() {
        let c = Catalog::builtin();
        let m = |n: &str| c.metrics_for(c.dataset(n).unwrap());
        assert_eq!(m("bbq"), [Metric::Letter]);
        assert_eq!(m("do_not_answer"), [Metric::Refusal]);
        assert_eq!(m("social_chemistry_101"), [Metric::Label]);
        assert_eq!(m("adv_instruction"), [Metric::Consistency]);
        assert_eq!(m("hotpot_qa"), [Metric::Em, Metric::F1, Metric::Bleu]);
    }

    #[test]
    fn a_dataset_naming_an_unknown_task_is_rejected() {
        let bad = "[datasets.x]\nsuite='starter'\ntask='nope'\nfile='x.csv'\nformat='csv'\ncolumns={reference='a'}\nrows=1\nbytes=1\nsha256='0'\nlicence='x'\n";
        let e = Catalog::parse(TASKS_TOML, &[bad]).unwrap_err();
        assert!(e.to_string().contains("unknown task `nope`"));
    }
}
