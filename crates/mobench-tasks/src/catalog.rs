//! The built-in catalog: task recipes (`datasets/tasks.toml`) and datasets
//! (`datasets/starter.toml`, `datasets/mobileaibench.toml`, `datasets/mobileaibench-vqa.toml`),
//! compiled into the binary so it works from any folder. Adding a dataset in an existing schema
//! is a catalog entry, not code.

use std::collections::BTreeMap;

use mobench_metrics::Metric;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cleanup::Cleanup;
use mobench_judge::protocol::Protocol;

const TASKS_TOML: &str = include_str!("../../../datasets/tasks.toml");
const STARTER_TOML: &str = include_str!("../../../datasets/starter.toml");
const MOBILEAIBENCH_TOML: &str = include_str!("../../../datasets/mobileaibench.toml");
const MOBILEAIBENCH_VQA_TOML: &str = include_str!("../../../datasets/mobileaibench-vqa.toml");

/// The files of a folder dataset that identify its data (see [`DatasetDef::sha256`]).
pub const FOLDER_DATA_FILES: [&str; 2] = ["prompts.json", "answers.json"];

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
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Jsonl,
    /// A folder in the layout of MobileAIBench's multimodal sets: `prompts.json`
    /// (`{question id: {image_id, prompt}}`), `answers.json` (`{question id: {answer, ...}}`) and
    /// `images/<question id>.jpg`. The dataset's `file` names the folder, and its manifest lists
    /// every file in it.
    VqaFolder,
}

/// One file of a folder dataset, as the catalog's manifest lists it: its path inside the folder
/// (`/`-separated), its size and its sha256 (lowercase hex).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FolderFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One dataset: which task it feeds, how its columns map onto the recipe's fields, and the
/// published data's identity (size, sha256, address).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetDef {
    #[serde(skip_deserializing)]
    pub name: String,
    pub suite: String,
    pub task: String,
    /// The file, or for a folder dataset the folder, relative to the datasets directory.
    pub file: String,
    pub format: Format,
    /// recipe field -> file column; `reference`, `id` and `turns` are special fields. In a folder
    /// dataset the columns are fields of a `prompts.json` entry (then of its `answers.json`
    /// entry), `reference` is taken from the `answers.json` entry, and `id` is the question id.
    pub columns: BTreeMap<String, String>,
    /// Overrides the task's default metrics (trust & safety datasets each grade differently).
    #[serde(default)]
    pub metrics: Option<Vec<Metric>>,
    /// How the paper graded it with a judge or an embedder (`mobench grade`), when it did:
    /// MobileAIBench's protocol for this dataset (`mobench_judge::protocol`).
    #[serde(default)]
    pub judge: Option<Protocol>,
    /// Strings that end generation as soon as the model writes one (MobileAIBench stops its VQA
    /// answers at the first newline); empty: the task's token limit and end-of-generation only.
    #[serde(default)]
    pub stop: Vec<String>,
    pub rows: usize,
    /// The file's size; for a folder dataset the size of all its files (derived from the manifest).
    #[serde(default)]
    pub bytes: u64,
    /// The file's sha256. For a folder dataset it identifies the data (the questions and answers,
    /// not the images) and is derived from the manifest: the sha256 of the text that
    /// `sha256sum prompts.json answers.json` prints inside the folder, as
    /// [`folder_data_sha256`] computes it; the images are checked one by one against the
    /// manifest when they are downloaded or verified.
    #[serde(default)]
    pub sha256: String,
    /// The file's address; for a folder dataset the folder's, which a file's path is appended to.
    #[serde(default)]
    pub url: Option<String>,
    pub licence: String,
    /// A folder dataset's files (from the catalog's `[manifests.<folder>]`); empty otherwise.
    #[serde(skip_deserializing, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FolderFile>,
}

impl DatasetDef {
    pub fn is_builtin(&self) -> bool {
        self.suite == "starter"
    }

    /// Image + text datasets (the folder format): a run needs a model with a vision projector.
    pub fn is_multimodal(&self) -> bool {
        self.format == Format::VqaFolder
    }
}

/// The data identity of a folder dataset from the sha256s of its `prompts.json` and
/// `answers.json`: the sha256 of `"<prompts sha256>  prompts.json\n<answers sha256>  answers.json\n"`
/// (what `sha256sum prompts.json answers.json | sha256sum` prints, run inside the folder).
pub fn folder_data_sha256(prompts_sha256: &str, answers_sha256: &str) -> String {
    let [prompts, answers] = FOLDER_DATA_FILES;
    let listing = format!(
        "{}  {prompts}\n{}  {answers}\n",
        prompts_sha256.to_ascii_lowercase(),
        answers_sha256.to_ascii_lowercase()
    );
    hex::encode(Sha256::digest(listing.as_bytes()))
}

#[derive(Deserialize)]
struct TasksFile {
    tasks: BTreeMap<String, TaskDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetsFile {
    datasets: BTreeMap<String, DatasetDef>,
    /// Folder name -> every file in it.
    #[serde(default)]
    manifests: BTreeMap<String, Manifest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    files: Vec<FolderFile>,
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
        Self::parse(
            TASKS_TOML,
            &[STARTER_TOML, MOBILEAIBENCH_TOML, MOBILEAIBENCH_VQA_TOML],
        )
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
            let mut file: DatasetsFile =
                toml::from_str(text).map_err(|e| CatalogError::Invalid {
                    file: "datasets",
                    message: e.to_string(),
                })?;
            // TOML tables are unordered; keep the order in which the file lists them.
            let mut entries: Vec<(usize, DatasetDef)> = Vec::new();
            for (name, mut def) in std::mem::take(&mut file.datasets) {
                let pos = text
                    .find(&format!("[datasets.{name}]"))
                    .unwrap_or(usize::MAX);
                def.name = name;
                attach_manifest(&mut def, &mut file.manifests)?;
                entries.push((pos, def));
            }
            if let Some(folder) = file.manifests.keys().next() {
                return Err(invalid(format!(
                    "manifest `{folder}` belongs to no folder dataset in its file"
                )));
            }
            entries.sort_by_key(|(pos, _)| *pos);
            datasets.extend(entries.into_iter().map(|(_, d)| d));
        }
        for d in &datasets {
            if d.sha256.len() != 64 || !d.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(format!(
                    "dataset `{}` has no sha256 (64 hex digits)",
                    d.name
                )));
            }
            if d.bytes == 0 {
                return Err(invalid(format!("dataset `{}` has no bytes", d.name)));
            }
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
    ///
    /// Multimodal datasets (image + text, [`DatasetDef::is_multimodal`]) are left out of a suite
    /// unless their task is named (`vqa`) or they are named themselves: a text-only model cannot
    /// run them, so `--suite mobileaibench` alone means the text datasets.
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
                .filter(|d| {
                    if tasks.is_empty() {
                        !d.is_multimodal()
                    } else {
                        tasks.contains(&d.task)
                    }
                })
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

fn invalid(message: String) -> CatalogError {
    CatalogError::Invalid {
        file: "datasets",
        message,
    }
}

/// Gives a folder dataset its manifest's files, size and data sha256 (a folder dataset states
/// neither `bytes` nor `sha256` itself, so they cannot disagree with its files).
fn attach_manifest(
    def: &mut DatasetDef,
    manifests: &mut BTreeMap<String, Manifest>,
) -> Result<(), CatalogError> {
    if !def.is_multimodal() {
        return Ok(());
    }
    let name = &def.name;
    if def.bytes != 0 || !def.sha256.is_empty() {
        return Err(invalid(format!(
            "folder dataset `{name}` states bytes or sha256; they come from its manifest"
        )));
    }
    let Some(manifest) = manifests.remove(&def.file) else {
        return Err(invalid(format!(
            "folder dataset `{name}` has no `[manifests.{}]` in its file",
            def.file
        )));
    };
    let mut seen = std::collections::BTreeSet::new();
    for f in &manifest.files {
        let safe = !f.path.is_empty()
            && !f.path.starts_with('/')
            && !f.path.contains('\\')
            && f.path
                .split('/')
                .all(|part| !matches!(part, "" | "." | ".."));
        if !safe {
            return Err(invalid(format!(
                "manifest `{}` lists an unsafe path `{}`",
                def.file, f.path
            )));
        }
        if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(format!(
                "manifest `{}`: `{}` has no sha256 (64 hex digits)",
                def.file, f.path
            )));
        }
        if !seen.insert(f.path.as_str()) {
            return Err(invalid(format!(
                "manifest `{}` lists `{}` twice",
                def.file, f.path
            )));
        }
    }
    let sha_of = |wanted: &str| {
        manifest
            .files
            .iter()
            .find(|f| f.path == wanted)
            .map(|f| f.sha256.clone())
            .ok_or_else(|| invalid(format!("manifest `{}` lacks `{wanted}`", def.file)))
    };
    let [prompts, answers] = FOLDER_DATA_FILES;
    def.sha256 = folder_data_sha256(&sha_of(prompts)?, &sha_of(answers)?);
    def.bytes = manifest.files.iter().map(|f| f.bytes).sum();
    def.files = manifest.files;
    Ok(())
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
        let mobileaibench = c.datasets().iter().filter(|d| d.suite == "mobileaibench");
        assert_eq!(mobileaibench.clone().count(), 16);
        let text = mobileaibench.filter(|d| !d.is_multimodal()).count();
        assert_eq!(text, 14, "MobileAIBench's text datasets");
    }

    #[test]
    fn vqa_task_and_folder_datasets_follow_mobileaibench() {
        let c = Catalog::builtin();
        let vqa = c.task("vqa").unwrap();
        assert_eq!(
            vqa.system,
            "You are an assistant for Visual Question Answering."
        );
        assert_eq!(vqa.prompt, "{prompt}");
        assert_eq!(vqa.max_tokens, 256);
        assert_eq!(vqa.cleanup, Cleanup::None);

        let base = "https://raw.githubusercontent.com/SalesforceAIResearch/MobileAIBench/9aca89218b5c271e5cf18fa857409b5e2a84c9bb/ios-app/MobileAIBench/MobileAIBench/";
        for (name, metric) in [
            ("vqav2", Metric::VqaAccuracy),
            ("scienceqa", Metric::Letter),
        ] {
            let d = c.dataset(name).unwrap();
            assert!(d.is_multimodal() && !d.is_builtin(), "{name}");
            assert_eq!((d.task.as_str(), d.file.as_str()), ("vqa", name));
            assert_eq!(c.metrics_for(d), [metric], "{name}");
            assert_eq!(
                d.stop,
                ["\n"],
                "{name}: MobileAIBench stops at the first newline"
            );
            assert_eq!(d.url.as_deref(), Some(format!("{base}{name}").as_str()));
            assert_eq!(d.rows, 100);
            // prompts.json, answers.json and one image per question.
            assert_eq!(d.files.len(), 102, "{name}");
            let images = d.files.iter().filter(|f| f.path.starts_with("images/"));
            assert_eq!(images.count(), 100, "{name}");
            assert_eq!(d.bytes, d.files.iter().map(|f| f.bytes).sum::<u64>());
        }
        // `cd <folder> && sha256sum prompts.json answers.json | sha256sum` on the published data.
        assert_eq!(
            c.dataset("vqav2").unwrap().sha256,
            "dcab2e110446cc4f8f60555d797e5a5280d4d947390a082ee82586dd316b7a5b"
        );
        assert_eq!(
            c.dataset("scienceqa").unwrap().sha256,
            "a157e787ad5dc86181d9099a476ec9ef9e6a973aa8433d7e627de312efe1edc6"
        );
        assert_eq!(c.dataset("vqav2").unwrap().bytes, 16_133_765);
        assert_eq!(c.dataset("scienceqa").unwrap().bytes, 1_929_511);
        assert!(c
            .datasets()
            .iter()
            .filter(|d| !d.is_multimodal())
            .all(|d| d.stop.is_empty()));
    }

    #[test]
    fn folder_data_sha256_is_sha256sum_of_the_two_files() {
        // printf '%s  prompts.json\n%s  answers.json\n' $(sha of "p") $(sha of "a") | sha256sum
        assert_eq!(
            folder_data_sha256(
                "148DE9C5A7A44D19E56CD9AE1A554BF67847AFB0C58F6E12FA29AC7DDFCA9940",
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            ),
            "721877bf6cecb06aa2af64d5b476d1f24f19b7ed13ecd84c22b4378b9a178ba5"
        );
    }

    #[test]
    fn a_suite_leaves_image_sets_out_unless_asked_for() {
        let c = Catalog::builtin();
        let names = |s: Vec<&DatasetDef>| s.iter().map(|d| d.name.clone()).collect::<Vec<_>>();
        let all = c.select("mobileaibench", &[], &[]).unwrap();
        assert_eq!(all.len(), 14);
        assert!(all.iter().all(|d| !d.is_multimodal()));
        let vqa = c.select("mobileaibench", &["vqa".into()], &[]).unwrap();
        assert_eq!(names(vqa), ["vqav2", "scienceqa"]);
        let mixed = c
            .select("mobileaibench", &["mmlu".into(), "vqa".into()], &[])
            .unwrap();
        assert_eq!(names(mixed), ["mmlu", "vqav2", "scienceqa"]);
        let named = c
            .select("mobileaibench", &[], &["scienceqa".into(), "gsm8k".into()])
            .unwrap();
        assert_eq!(names(named), ["scienceqa", "gsm8k"]);
        // The starter suite has no image sets, so asking it for `vqa` selects nothing.
        let e = c.select("starter", &["vqa".into()], &[]).unwrap_err();
        assert!(matches!(e, CatalogError::EmptySelection { .. }), "{e}");
    }

    /// A folder dataset entry with `extra` lines, followed by `manifest` (TOML).
    fn folder_catalog(extra: &str, manifest: &str) -> Result<Catalog, CatalogError> {
        let text = format!(
            "[datasets.pics]\nsuite='mobileaibench'\ntask='vqa'\nfile='pics'\nformat='vqa_folder'\ncolumns={{prompt='prompt', reference='answer'}}\nrows=1\nlicence='x'\n{extra}\n{manifest}"
        );
        Catalog::parse(TASKS_TOML, &[&text])
    }

    const SHA: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    fn manifest(paths: &[&str]) -> String {
        let files: Vec<String> = paths
            .iter()
            .map(|p| format!("{{ path = '{p}', bytes = 10, sha256 = '{SHA}' }}"))
            .collect();
        format!("[manifests.pics]\nfiles = [{}]\n", files.join(", "))
    }

    #[test]
    fn a_folder_dataset_takes_size_and_sha256_from_its_manifest() {
        let good = manifest(&["answers.json", "images/1.jpg", "prompts.json"]);
        let c = folder_catalog("", &good).unwrap();
        let d = c.dataset("pics").unwrap();
        assert_eq!(d.bytes, 30);
        assert_eq!(d.sha256, folder_data_sha256(SHA, SHA));
        assert_eq!(d.files.len(), 3);
        assert!(d.stop.is_empty());

        let err =
            |extra: &str, manifest: &str| folder_catalog(extra, manifest).unwrap_err().to_string();
        assert!(err("", "").contains("has no `[manifests.pics]`"));
        assert!(err("bytes=30", &good).contains("states bytes or sha256"));
        for bad in ["../x", "/etc/passwd", "images//1.jpg", "a\\\\b", ""] {
            let e = err("", &manifest(&["answers.json", "prompts.json", bad]));
            assert!(e.contains("unsafe path"), "{bad:?}: {e}");
        }
        let e = err(
            "",
            &manifest(&["answers.json", "prompts.json", "answers.json"]),
        );
        assert!(e.contains("lists `answers.json` twice"), "{e}");
        let e = err("", &manifest(&["answers.json", "images/1.jpg"]));
        assert!(e.contains("lacks `prompts.json`"), "{e}");
        let orphan = format!("{good}[manifests.other]\nfiles = []\n");
        assert!(err("", &orphan).contains("manifest `other` belongs to no folder dataset"));
        let short_sha = good.replace(SHA, "abc");
        assert!(err("", &short_sha).contains("has no sha256"));
    }

    #[test]
    fn judged_datasets_follow_the_papers_mapping() {
        let c = Catalog::builtin();
        for d in c.datasets().iter().filter(|d| d.suite == "mobileaibench") {
            assert_eq!(
                d.judge,
                mobench_judge::protocol::protocol_for(&d.name),
                "{}",
                d.name
            );
        }
        assert_eq!(
            c.dataset("starter_mmlu").unwrap().judge,
            Some(Protocol::ExactMatch)
        );
        assert_eq!(
            c.dataset("starter_mt_bench").unwrap().judge,
            Some(Protocol::MtBench)
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
        let bad = format!("[datasets.x]\nsuite='starter'\ntask='nope'\nfile='x.csv'\nformat='csv'\ncolumns={{reference='a'}}\nrows=1\nbytes=1\nsha256='{}'\nlicence='x'\n", "0".repeat(64));
        let e = Catalog::parse(TASKS_TOML, &[&bad]).unwrap_err();
        assert!(e.to_string().contains("unknown task `nope`"));
    }
}
