//! Reading dataset files in MobileAIBench's schemas (CSV per RFC 4180, or JSON lines), with
//! errors that name the file, the line and what is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::{DatasetDef, Format};

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
}

#[derive(Debug, Clone)]
pub struct LoadedDataset {
    pub path: PathBuf,
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
    let bytes = std::fs::read(&path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DatasetError::Missing { path: path.clone() }
        } else {
            DatasetError::Io {
                path: path.clone(),
                source,
            }
        }
    })?;
    parse(def, &path, &bytes)
}

/// Parses a dataset file's bytes. `path` is used in error messages only.
pub fn parse(def: &DatasetDef, path: &Path, bytes: &[u8]) -> Result<LoadedDataset, DatasetError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let examples = match def.format {
        Format::Csv => parse_csv(def, path, bytes)?,
        Format::Jsonl => parse_jsonl(def, path, bytes)?,
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
        let e = parse(&d, Path::new("q.jsonl"), b"{\"question_id\": 1}\n").unwrap_err();
        assert!(e.to_string().contains("missing column(s) turns"), "{e}");
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

    #[test]
    fn missing_file_says_how_to_get_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&def("mmlu"), Some(dir.path())).unwrap_err();
        assert!(e.to_string().contains("mobench datasets fetch"), "{e}");
    }
}
