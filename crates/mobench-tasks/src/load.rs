//! Reading dataset files in MobileAIBench's schemas (CSV per RFC 4180, JSON lines, or a folder
//! of questions, answers and images), with errors that name the file, the line (or the
//! question) and what is wrong.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalog::{folder_data_sha256, DatasetDef, Format, FOLDER_DATA_FILES};

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not found (run `mobench datasets fetch` or pass --datasets-dir)")]
    Missing { path: PathBuf },
    #[error("{path}: line {line}: invalid UTF-8")]
    Utf8 { path: PathBuf, line: u64 },
    #[error("{path}: line {line}: quoted field is never closed")]
    UnclosedQuote { path: PathBuf, line: u64 },
    #[error("{path}: line {line}: {message}")]
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: missing column(s) {missing} (found: {found})")]
    MissingColumns {
        path: PathBuf,
        missing: String,
        found: String,
    },
    #[error("{path}: no rows")]
    Empty { path: PathBuf },
    /// One question of a folder dataset is unusable (`path` is the file that is wrong).
    #[error("{path}: question `{id}`: {message}")]
    Question {
        path: PathBuf,
        id: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// One row, with the recipe's fields already mapped from the file's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// 0-based data row in the file (the header is not a row).
    pub row: usize,
    pub id: Option<String>,
    pub fields: BTreeMap<String, String>,
    pub reference: String,
    /// Conversation turns (mt_bench); empty for single-turn tasks.
    pub turns: Vec<String>,
    /// The image that goes with the prompt (`<folder>/images/<id>.jpg`, joined onto the datasets
    /// directory), for multimodal datasets; `None` for text datasets. It is not read when the
    /// dataset is loaded, so a missing or broken image fails only its own sample.
    pub image: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct LoadedDataset {
    /// The file, or for a folder dataset the folder.
    pub path: PathBuf,
    /// The sha256 of the file; for a folder dataset the identity of its questions and answers,
    /// from the sha256s of `prompts.json` and `answers.json` (the images are not read: see
    /// [`crate::catalog::folder_data_sha256`]), equal to the catalog's `sha256` for the
    /// published data.
    pub sha256: String,
    pub examples: Vec<Example>,
}

/// Loads a dataset: built-in starter data from the binary, other suites from `dir`.
pub fn load(def: &DatasetDef, dir: Option<&Path>) -> Result<LoadedDataset, DatasetError> {
    if def.is_builtin() {
        let bytes = crate::starter::file(&def.file).ok_or_else(|| DatasetError::Missing {
            path: PathBuf::from(format!("<built-in>/{}", def.file)),
        })?;
        return parse(
            def,
            &PathBuf::from(format!("<built-in>/{}", def.file)),
            bytes,
        );
    }
    let path = dir.unwrap_or_else(|| Path::new(".")).join(&def.file);
    if def.format == Format::VqaFolder {
        return load_folder(def, &path);
    }
    let bytes = read(&path)?;
    parse(def, &path, &bytes)
}

fn read(path: &Path) -> Result<Vec<u8>, DatasetError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DatasetError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            DatasetError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Parses a dataset file's bytes. `path` is used in error messages only.
pub fn parse(def: &DatasetDef, path: &Path, bytes: &[u8]) -> Result<LoadedDataset, DatasetError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let examples = match def.format {
        Format::Csv => parse_csv(def, path, bytes)?,
        Format::Jsonl => parse_jsonl(def, path, bytes)?,
        Format::VqaFolder => {
            return Err(DatasetError::Invalid {
                path: path.to_path_buf(),
                message: "a folder dataset is read from its folder (load), not from one file"
                    .into(),
            })
        }
    };
    if examples.is_empty() {
        return Err(DatasetError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(LoadedDataset {
        path: path.to_path_buf(),
        sha256,
        examples,
    })
}

fn parse_csv(def: &DatasetDef, path: &Path, bytes: &[u8]) -> Result<Vec<Example>, DatasetError> {
    // The csv crate reports invalid UTF-8 at the position where the record (or, for the first
    // data row, the header) starts; checking the whole file names the line of the bad byte.
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(DatasetError::Utf8 {
            path: path.to_path_buf(),
            line: line_of(bytes, e.valid_up_to()),
        });
    }
    // The csv crate reads an unterminated quote to the end of the file without complaint,
    // silently swallowing rows; find it first so the user hears which line is broken.
    if let Some(line) = unclosed_quote_line(bytes) {
        return Err(DatasetError::UnclosedQuote {
            path: path.to_path_buf(),
            line,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, bytes, e))?
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let column_index = |col: &str| headers.iter().position(|h| h == col);
    let mut missing = Vec::new();
    let mut mapping = Vec::new();
    for (field, col) in &def.columns {
        match column_index(col) {
            Some(i) => mapping.push((field.clone(), i)),
            None => missing.push(col.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(DatasetError::MissingColumns {
            path: path.to_path_buf(),
            missing: missing.join(", "),
            found: headers.join(", "),
        });
    }
    let mut out = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(|e| csv_error(path, bytes, e))?;
        let mut fields = BTreeMap::new();
        for (field, i) in &mapping {
            fields.insert(field.clone(), record.get(*i).unwrap_or("").to_string());
        }
        out.push(example_from_fields(row, fields, Vec::new()));
    }
    Ok(out)
}

fn parse_jsonl(def: &DatasetDef, path: &Path, bytes: &[u8]) -> Result<Vec<Example>, DatasetError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DatasetError::Utf8 {
        path: path.to_path_buf(),
        line: line_of(bytes, e.valid_up_to()),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        let malformed = |message: String| DatasetError::Malformed {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| malformed(json_error_in_line(&e)))?;
        let obj = value
            .as_object()
            .ok_or_else(|| malformed("expected a JSON object".into()))?;
        let mut fields = BTreeMap::new();
        let mut turns = Vec::new();
        let mut missing = Vec::new();
        for (field, col) in &def.columns {
            match obj.get(col) {
                None => missing.push(col.clone()),
                Some(v) if field == "turns" => {
                    turns = v
                        .as_array()
                        .and_then(|a| a.iter().map(|t| t.as_str().map(String::from)).collect())
                        .ok_or_else(|| malformed(format!("`{col}` must be an array of strings")))?;
                    if turns.is_empty() {
                        return Err(malformed(format!("`{col}` is empty")));
                    }
                }
                Some(serde_json::Value::String(s)) => {
                    fields.insert(field.clone(), s.clone());
                }
                Some(other) => {
                    fields.insert(field.clone(), other.to_string());
                }
            }
        }
        if !missing.is_empty() {
            return Err(DatasetError::MissingColumns {
                path: path.to_path_buf(),
                missing: missing.join(", "),
                found: obj.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
        out.push(example_from_fields(out.len(), fields, turns));
    }
    Ok(out)
}

/// The 1-based line holding byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64
}

/// A JSON error inside one line of a JSON-lines file, as "column C: invalid JSON: what".
/// serde's own text ends "at line 1 column C", which misleads when the file's line is 37.
pub fn json_error_in_line(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text.split(" at line ").next().unwrap_or(&text);
    format!("column {}: invalid JSON: {what}", e.column())
}

fn example_from_fields(
    row: usize,
    mut fields: BTreeMap<String, String>,
    turns: Vec<String>,
) -> Example {
    let reference = fields.remove("reference").unwrap_or_default();
    let id = fields.remove("id");
    Example {
        row,
        id,
        fields,
        reference,
        turns,
        image: None,
    }
}

/// Reads a folder dataset: `prompts.json` in its own order (the order MobileAIBench runs it in),
/// each question's answer from `answers.json`, and the path of its image (not the image itself).
fn load_folder(def: &DatasetDef, folder: &Path) -> Result<LoadedDataset, DatasetError> {
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(DatasetError::Invalid {
                path: folder.to_path_buf(),
                message: "not a folder (this dataset is a folder of questions, answers and images)"
                    .into(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DatasetError::Missing {
                path: folder.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(DatasetError::Io {
                path: folder.to_path_buf(),
                source,
            })
        }
    }
    let [prompts_name, answers_name] = FOLDER_DATA_FILES;
    let prompts_path = folder.join(prompts_name);
    let answers_path = folder.join(answers_name);
    let prompts_bytes = read(&prompts_path)?;
    let answers_bytes = read(&answers_path)?;
    let sha256 = folder_data_sha256(
        &hex::encode(Sha256::digest(&prompts_bytes)),
        &hex::encode(Sha256::digest(&answers_bytes)),
    );
    let prompts = members(&prompts_path, &prompts_bytes)?;
    let answers = members(&answers_path, &answers_bytes)?;
    let mut answer_of: HashMap<&str, &Value> = HashMap::with_capacity(answers.len());
    for (id, answer) in &answers {
        if answer_of.insert(id, answer).is_some() {
            return Err(question(&answers_path, id, "listed twice"));
        }
    }

    let images = folder.join("images");
    let mut seen = std::collections::HashSet::with_capacity(prompts.len());
    let mut examples = Vec::with_capacity(prompts.len());
    for (row, (id, entry)) in prompts.iter().enumerate() {
        if !seen.insert(id.as_str()) {
            return Err(question(&prompts_path, id, "listed twice"));
        }
        if !usable_as_file_name(id) {
            return Err(question(
                &prompts_path,
                id,
                "the id cannot name an image file (images/<id>.jpg)",
            ));
        }
        let Some(prompt) = entry.as_object() else {
            return Err(question(&prompts_path, id, "expected an object of fields"));
        };
        let Some(answer) = answer_of.get(id.as_str()) else {
            return Err(question(
                &answers_path,
                id,
                &format!("no answer (the question is in {prompts_name})"),
            ));
        };
        let Some(answer) = answer.as_object() else {
            return Err(question(&answers_path, id, "expected an object of fields"));
        };
        let mut fields = BTreeMap::new();
        let mut reference = String::new();
        for (field, col) in &def.columns {
            match field.as_str() {
                // The question id is the id; a folder has no conversation turns.
                "id" | "turns" => continue,
                "reference" => {
                    let value = answer
                        .get(col)
                        .ok_or_else(|| no_field(&answers_path, id, col, answer))?;
                    reference = reference_text(value).ok_or_else(|| {
                        question(
                            &answers_path,
                            id,
                            &format!("`{col}` must be a string or a list of strings"),
                        )
                    })?;
                }
                _ => {
                    let value = prompt
                        .get(col)
                        .or_else(|| answer.get(col))
                        .ok_or_else(|| no_field(&prompts_path, id, col, prompt))?;
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    fields.insert(field.clone(), text);
                }
            }
        }
        examples.push(Example {
            row,
            id: Some(id.clone()),
            fields,
            reference,
            turns: Vec::new(),
            image: Some(images.join(format!("{id}.jpg"))),
        });
    }
    if examples.is_empty() {
        return Err(DatasetError::Empty { path: prompts_path });
    }
    Ok(LoadedDataset {
        path: folder.to_path_buf(),
        sha256,
        examples,
    })
}

/// A reference as text: a string as it is, a list of strings (VQAv2's ten human answers) as its
/// JSON array text, which the metric parses back.
fn reference_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let answers: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            serde_json::to_string(&answers?).ok()
        }
        _ => None,
    }
}

fn question(path: &Path, id: &str, message: &str) -> DatasetError {
    DatasetError::Question {
        path: path.to_path_buf(),
        id: id.to_string(),
        message: message.to_string(),
    }
}

fn no_field(
    path: &Path,
    id: &str,
    col: &str,
    found: &serde_json::Map<String, Value>,
) -> DatasetError {
    let found = found.keys().cloned().collect::<Vec<_>>().join(", ");
    question(path, id, &format!("no `{col}` field (found: {found})"))
}

/// A question id names its image file, so it must stay one plain name inside `images/`.
fn usable_as_file_name(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\\', '\0', ':'])
}

/// The members of the JSON object `bytes` holds, in the file's order (serde_json's own map is
/// sorted unless a crate-wide feature is switched on, which would reorder every other map).
fn members(path: &Path, bytes: &[u8]) -> Result<Vec<(String, Value)>, DatasetError> {
    serde_json::from_slice::<Members>(bytes)
        .map(|m| m.0)
        .map_err(|e| {
            let text = e.to_string();
            let what = text.split(" at line ").next().unwrap_or(&text);
            let what = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    format!("invalid JSON: {what}")
                }
                _ => what.to_string(),
            };
            // serde_json says column 0 for a value of the wrong type at the start of a line.
            let message = match e.column() {
                0 => what,
                column => format!("column {column}: {what}"),
            };
            DatasetError::Malformed {
                path: path.to_path_buf(),
                line: e.line() as u64,
                message,
            }
        })
}

struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object keyed by question id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

fn csv_error(path: &Path, bytes: &[u8], e: csv::Error) -> DatasetError {
    // The csv crate's line numbers run one short in CRLF files (a record's position is taken
    // before the previous record's '\n' is read), so the line is counted from the byte offset,
    // skipping the line break the record's position may still point at.
    let line_at = |p: &csv::Position| {
        let mut at = usize::try_from(p.byte()).map_or(bytes.len(), |b| b.min(bytes.len()));
        while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        line_of(bytes, at.min(bytes.len()))
    };
    let line = e.position().map_or(0, line_at);
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => DatasetError::Utf8 {
            path: path.to_path_buf(),
            line: pos.as_ref().map_or(line, line_at),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DatasetError::Malformed {
            path: path.to_path_buf(),
            line,
            message: format!("expected {expected_len} fields, found {len}"),
        },
        _ => DatasetError::Malformed {
            path: path.to_path_buf(),
            line,
            message: e.to_string(),
        },
    }
}

/// The line on which a quoted field opens and never closes, per RFC 4180 (`""` escapes a quote).
fn unclosed_quote_line(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut in_quotes = false;
    let mut opened_on = 0u64;
    let mut at_field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && at_field_start {
            in_quotes = true;
            opened_on = line;
        }
        if b == b'\n' {
            line += 1;
        }
        at_field_start = !in_quotes && matches!(b, b',' | b'\n' | b'\r');
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn def(name: &str) -> DatasetDef {
        Catalog::builtin().dataset(name).unwrap().clone()
    }

    fn p() -> PathBuf {
        PathBuf::from("/data/mmlu.csv")
    }

    #[test]
    fn parses_quoted_multiline_fields() {
        let csv = "system,prompt,answer\nsys,\"line1\nline2, with \"\"quote\"\"\",B\n";
        let ds = parse(&def("mmlu"), &p(), csv.as_bytes()).unwrap();
        assert_eq!(ds.examples.len(), 1);
        assert_eq!(
            ds.examples[0].fields["prompt"],
            "line1\nline2, with \"quote\""
        );
        assert_eq!(ds.examples[0].reference, "B");
        assert_eq!(ds.sha256.len(), 64);
    }

    #[test]
    fn missing_column_is_named() {
        let e = parse(&def("mmlu"), &p(), b"system,question,answer\na,b,c\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/data/mmlu.csv: missing column(s) prompt (found: system, question, answer)"
        );
    }

    #[test]
    fn broken_quote_names_its_line() {
        let csv = "system,prompt,answer\na,b,C\nx,\"never closed,B\ny,z,A\n";
        let e = parse(&def("mmlu"), &p(), csv.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/data/mmlu.csv: line 3: quoted field is never closed"
        );
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let mut csv = b"system,prompt,answer\na,b,C\n".to_vec();
        csv.extend_from_slice(b"x,\xff\xfe,B\n");
        let e = parse(&def("mmlu"), &p(), &csv).unwrap_err();
        assert_eq!(e.to_string(), "/data/mmlu.csv: line 3: invalid UTF-8");
        let mut first_row = b"system,prompt,answer\nsys,\"multi\nline\n".to_vec();
        first_row.extend_from_slice(b"bad \xff here\",B\n");
        let e = parse(&def("mmlu"), &p(), &first_row).unwrap_err();
        assert_eq!(e.to_string(), "/data/mmlu.csv: line 4: invalid UTF-8");
    }

    #[test]
    fn no_rows_and_ragged_rows() {
        let e = parse(&def("mmlu"), &p(), b"system,prompt,answer\n").unwrap_err();
        assert_eq!(e.to_string(), "/data/mmlu.csv: no rows");
        let e = parse(&def("mmlu"), &p(), b"system,prompt,answer\na,b\n").unwrap_err();
        assert!(
            e.to_string().contains("line 2: expected 3 fields, found 2"),
            "{e}"
        );
        // CRLF records (most MobileAIBench files) and multi-line fields count lines the same.
        for (csv, line) in [
            ("system,prompt,answer\r\na,b,C\r\nx,y\r\n", 3),
            ("system,prompt,answer\na,\"b\nb\",C\nx,y\n", 4),
            ("system,prompt,answer\r\na,\"b\r\nb\",C\r\n\r\nx,y\r\n", 5),
        ] {
            let e = parse(&def("mmlu"), &p(), csv.as_bytes()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("/data/mmlu.csv: line {line}: expected 3 fields, found 2"),
                "{csv:?}"
            );
        }
    }

    #[test]
    fn jsonl_turns() {
        let d = def("mt_bench");
        let text = "{\"question_id\": 81, \"category\": \"w\", \"turns\": [\"a\", \"b\"]}\n\n";
        let ds = parse(&d, Path::new("q.jsonl"), text.as_bytes()).unwrap();
        assert_eq!(ds.examples[0].turns, ["a", "b"]);
        assert_eq!(ds.examples[0].id.as_deref(), Some("81"));
        assert_eq!(ds.examples[0].fields["category"], "w");
        let e = parse(&d, Path::new("q.jsonl"), b"{\"question_id\": 1}\n").unwrap_err();
        assert!(
            e.to_string().contains("missing column(s) category, turns"),
            "{e}"
        );
        let e = parse(&d, Path::new("q.jsonl"), b"{\"question_id\": 1,\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("q.jsonl: line 1: column 18: invalid JSON: EOF while parsing"),
            "{e}"
        );
    }

    #[test]
    fn quote_scanner_accepts_escaped_and_bare_quotes() {
        assert_eq!(unclosed_quote_line(b"a,\"b\"\"c\"\n"), None);
        assert_eq!(
            unclosed_quote_line(b"a,b\"c\n"),
            None,
            "bare quote inside a field"
        );
        assert_eq!(unclosed_quote_line(b"a\n\"b\n"), Some(2));
    }

    fn shared() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/mobileaibench")
    }

    #[test]
    fn loads_the_published_folders_in_file_order() {
        let dir = shared();
        let d = def("vqav2");
        let ds = load(&d, Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ds.examples.len(), d.rows);
        assert_eq!(ds.sha256, d.sha256, "the catalog's data identity");
        assert_eq!(ds.path, dir.join("vqav2"));
        let first = &ds.examples[0];
        assert_eq!(first.id.as_deref(), Some("393372013"));
        assert_eq!(
            first.fields["prompt"],
            "What color hair does the woman have?\nAnswer the question using a single word or phrase."
        );
        assert_eq!(first.fields["image_id"], "393372");
        assert_eq!(
            first.reference,
            r#"["blue","blue","purple","purple","blue","purple","purple","purple","purple","blue"]"#
        );
        assert_eq!(
            first.image.as_deref(),
            Some(dir.join("vqav2/images/393372013.jpg").as_path())
        );
        for (row, ex) in ds.examples.iter().enumerate() {
            assert_eq!(ex.row, row);
            assert!(ex.image.as_ref().unwrap().is_file(), "{:?}", ex.image);
            let answers: Vec<String> = serde_json::from_str(&ex.reference).unwrap();
            assert_eq!(answers.len(), 10);
        }

        let d = def("scienceqa");
        let ds = load(&d, Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ds.sha256, d.sha256);
        // The file's order, which is not the ids' sorted order.
        let ids: Vec<_> = ds.examples[..3]
            .iter()
            .map(|e| e.id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["8", "113", "132"]);
        assert_eq!(ds.examples[0].reference, "B");
        assert!(ds.examples[0].fields["prompt"].starts_with("Context: Use the data"));
        assert!(ds
            .examples
            .iter()
            .all(|e| e.image.as_ref().unwrap().is_file()));
    }

    /// A folder `vqav2` in a fresh directory holding these two files (None: left out).
    fn folder(prompts: Option<&str>, answers: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("vqav2");
        std::fs::create_dir(&f).unwrap();
        if let Some(p) = prompts {
            std::fs::write(f.join("prompts.json"), p).unwrap();
        }
        if let Some(a) = answers {
            std::fs::write(f.join("answers.json"), a).unwrap();
        }
        dir
    }

    fn folder_error(prompts: Option<&str>, answers: Option<&str>) -> (String, PathBuf) {
        let dir = folder(prompts, answers);
        let e = load(&def("vqav2"), Some(dir.path()))
            .unwrap_err()
            .to_string();
        (e, dir.path().join("vqav2"))
    }

    const ONE_PROMPT: &str = r#"{"7": {"image_id": "70", "prompt": "What?"}}"#;

    #[test]
    fn a_folder_in_the_same_layout_needs_only_a_catalog_entry() {
        let dir = folder(
            Some(r#"{"b": {"image_id": 1, "q": "Which?"}, "a": {"image_id": 2, "q": "Who?"}}"#),
            Some(r#"{"a": {"answer": "x", "mc": "y"}, "b": {"answer": ["p", "q"], "mc": "z"}}"#),
        );
        let mut d = def("vqav2");
        d.columns = [("question", "q"), ("best", "mc"), ("reference", "answer")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let ds = load(&d, Some(dir.path())).unwrap();
        let b = &ds.examples[0];
        assert_eq!((b.id.as_deref(), b.row), (Some("b"), 0));
        assert_eq!(b.fields["question"], "Which?");
        assert_eq!(b.fields["best"], "z", "a field only the answers have");
        assert_eq!(b.reference, r#"["p","q"]"#);
        assert_eq!(ds.examples[1].reference, "x");
        assert_eq!(
            ds.examples[1].image.as_deref(),
            Some(dir.path().join("vqav2/images/a.jpg").as_path()),
            "the image is named by the question id and not read"
        );
        let prompts = std::fs::read(dir.path().join("vqav2/prompts.json")).unwrap();
        let answers = std::fs::read(dir.path().join("vqav2/answers.json")).unwrap();
        assert_eq!(
            ds.sha256,
            folder_data_sha256(
                &hex::encode(Sha256::digest(&prompts)),
                &hex::encode(Sha256::digest(&answers))
            )
        );
        // Any change to the answers changes the identity.
        std::fs::write(
            dir.path().join("vqav2/answers.json"),
            [&answers[..answers.len() - 1], b" }"].concat(),
        )
        .unwrap();
        assert_ne!(load(&d, Some(dir.path())).unwrap().sha256, ds.sha256);
    }

    #[test]
    fn a_missing_folder_or_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&def("vqav2"), Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}: not found (run `mobench datasets fetch` or pass --datasets-dir)",
                dir.path().join("vqav2").display()
            )
        );
        std::fs::write(dir.path().join("vqav2"), "a file").unwrap();
        let e = load(&def("vqav2"), Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with(
                "vqav2: not a folder (this dataset is a folder of questions, answers and images)"
            ),
            "{e}"
        );

        let (e, f) = folder_error(None, Some("{}"));
        assert!(
            e.starts_with(&format!("{}: not found", f.join("prompts.json").display())),
            "{e}"
        );
        let (e, f) = folder_error(Some(ONE_PROMPT), None);
        assert!(
            e.starts_with(&format!("{}: not found", f.join("answers.json").display())),
            "{e}"
        );
    }

    #[test]
    fn malformed_json_names_file_and_line() {
        let broken = "{\n  \"1\": {\"image_id\": \"1\", \"prompt\": \"a\"},\n  \"2\": }\n";
        let (e, f) = folder_error(Some(broken), Some("{}"));
        assert!(
            e.starts_with(&format!(
                "{}: line 3: column 8: invalid JSON: ",
                f.join("prompts.json").display()
            )),
            "{e}"
        );
        let (e, f) = folder_error(Some(ONE_PROMPT), Some("[\"B\"]"));
        assert_eq!(
            e,
            format!(
                "{}: line 1: invalid type: sequence, expected a JSON object keyed by question id",
                f.join("answers.json").display()
            )
        );
        let (e, _) = folder_error(Some("{}"), Some("{}"));
        assert!(e.ends_with("prompts.json: no rows"), "{e}");
    }

    #[test]
    fn unusable_questions_are_named_with_their_file() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                ONE_PROMPT,
                r#"{"8": {"answer": "B"}}"#,
                "answers.json",
                "question `7`: no answer (the question is in prompts.json)",
            ),
            (
                ONE_PROMPT,
                r#"{"7": {"answer": 5}}"#,
                "answers.json",
                "question `7`: `answer` must be a string or a list of strings",
            ),
            (
                ONE_PROMPT,
                r#"{"7": {"answer": ["yes", 2]}}"#,
                "answers.json",
                "question `7`: `answer` must be a string or a list of strings",
            ),
            (
                ONE_PROMPT,
                r#"{"7": {"image_id": "70"}}"#,
                "answers.json",
                "question `7`: no `answer` field (found: image_id)",
            ),
            (
                ONE_PROMPT,
                r#"{"7": "B"}"#,
                "answers.json",
                "question `7`: expected an object of fields",
            ),
            (
                r#"{"7": {"image_id": "70"}}"#,
                r#"{"7": {"answer": "B"}}"#,
                "prompts.json",
                "question `7`: no `prompt` field (found: image_id)",
            ),
            (
                r#"{"7": {"prompt": "a", "image_id": "1"}, "7": {"prompt": "b"}}"#,
                r#"{"7": {"answer": "B"}}"#,
                "prompts.json",
                "question `7`: listed twice",
            ),
            (
                r#"{"../7": {"prompt": "a"}}"#,
                r#"{"../7": {"answer": "B"}}"#,
                "prompts.json",
                "question `../7`: the id cannot name an image file (images/<id>.jpg)",
            ),
        ];
        for (prompts, answers, file, message) in cases {
            let (e, f) = folder_error(Some(prompts), Some(answers));
            assert_eq!(
                e,
                format!("{}: {message}", f.join(file).display()),
                "{prompts} {answers}"
            );
        }
    }

    #[test]
    fn a_folder_dataset_is_not_one_file() {
        let e = parse(&def("vqav2"), Path::new("x"), b"{}").unwrap_err();
        assert!(e.to_string().contains("folder dataset"), "{e}");
    }

    #[test]
    fn missing_file_says_how_to_get_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&def("mmlu"), Some(dir.path())).unwrap_err();
        assert!(e.to_string().contains("mobench datasets fetch"), "{e}");
    }
}
