//! A run as it travels between databases (a bundle, this file, a PostgreSQL server): its row and
//! every row it refers to or that refers to it, table by table, with the source's local ids.
//! Merging one into a database maps those ids to the database's own, so runs from many devices
//! live side by side; a run is known everywhere by its UUID.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::{Result, StoreError};

/// The tables a run's data spans, in an order that inserts a row after every row it refers to,
/// each with the rows of run `?1` (`S.` is the schema it is read from).
pub const RUN_TABLES: &[(&str, &str)] = &[
    ("models", "id = (SELECT model_id FROM S.runs WHERE id = ?1)"),
    (
        "datasets",
        "id IN (SELECT dataset_id FROM S.run_datasets WHERE run_id = ?1
                UNION SELECT dataset_id FROM S.samples WHERE run_id = ?1
                UNION SELECT dataset_id FROM S.aggregates WHERE run_id = ?1)",
    ),
    ("devices", "id = (SELECT device_id FROM S.runs WHERE id = ?1)"),
    ("runs", "id = ?1"),
    ("run_loads", "run_id = ?1"),
    ("run_datasets", "run_id = ?1"),
    ("samples", "run_id = ?1"),
    (
        "sample_scores",
        "sample_id IN (SELECT id FROM S.samples WHERE run_id = ?1)",
    ),
    ("aggregates", "run_id = ?1"),
    ("speed_results", "run_id = ?1"),
    ("speed_rounds", "run_id = ?1"),
    ("resource_samples", "run_id = ?1"),
    ("run_resources", "run_id = ?1"),
    // The judges' answers and embeddings the run's scores came from: a cache keyed by grader and
    // input, so the receiver can show a sample's raw judgment and grade again for nothing.
    (
        "judgments",
        "grader IN (SELECT sc.grader FROM S.sample_scores sc JOIN S.samples s ON s.id = sc.sample_id
                    WHERE s.run_id = ?1)",
    ),
    (
        "embeddings",
        "embedder IN (SELECT sc.grader FROM S.sample_scores sc JOIN S.samples s ON s.id = sc.sample_id
                      WHERE s.run_id = ?1)",
    ),
];

/// Columns that belong to one database only and never travel: which device is this install,
/// the process that ran a run here, where this database got a run from.
const LOCAL_COLUMNS: &[(&str, &str)] = &[("devices", "here"), ("runs", "pid"), ("runs", "origin")];

/// One table's rows of a run, the columns named.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRows {
    pub table: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl TableRows {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// A run and every row that belongs to it, with the local ids of the database it came from.
#[derive(Debug, Clone)]
pub struct RunData {
    pub uuid: String,
    pub tables: Vec<TableRows>,
}

/// What merging a run did.
#[derive(Debug, Clone, PartialEq)]
pub enum Merged {
    /// Added under this local id.
    Added(i64),
    /// Already here, the same in every figure, under this local id: nothing changed.
    Present(i64),
}

/// The columns of `table` that travel, in the schema's order.
pub fn travelling_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let columns: Vec<String> = st
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?
        .into_iter()
        .filter(|c| !LOCAL_COLUMNS.contains(&(table, c.as_str())))
        .collect();
    Ok(columns)
}

impl RunData {
    /// Reads run `run_id` and everything that belongs to it from `conn`.
    pub fn read(conn: &Connection, run_id: i64) -> Result<RunData> {
        let mut tables = Vec::new();
        for (table, filter) in RUN_TABLES {
            let columns = travelling_columns(conn, table)?;
            let sql = format!(
                "SELECT {} FROM {table} WHERE {} ORDER BY rowid",
                columns.join(", "),
                filter.replace("S.", "")
            );
            let mut st = conn.prepare(&sql)?;
            let n = columns.len();
            let rows = st
                .query_map([run_id], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
                .collect::<rusqlite::Result<Vec<Vec<Value>>>>()?;
            tables.push(TableRows {
                table,
                columns,
                rows,
            });
        }
        let data = RunData {
            uuid: String::new(),
            tables,
        };
        let uuid = match data.value("runs", "uuid") {
            Some(Value::Text(u)) => u.clone(),
            _ => return Err(StoreError::NoSuchRun(run_id)),
        };
        Ok(RunData { uuid, ..data })
    }

    pub fn table(&self, table: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.table == table)
    }

    /// The first row's `column` of `table` (the run's own row, its model, its device).
    pub fn value(&self, table: &str, column: &str) -> Option<&Value> {
        let t = self.table(table)?;
        t.rows.first()?.get(t.column(column)?)
    }

    fn text(&self, table: &str, column: &str) -> Option<&str> {
        match self.value(table, column) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Checks what a merge relies on, before anything is written: one run with a valid UUID, the
    /// device that made it, its model, and no row of another run.
    pub fn check(&self) -> std::result::Result<(), String> {
        let count = |t: &str| self.table(t).map_or(0, |t| t.rows.len());
        if count("runs") != 1 {
            return Err(format!("{} run rows where one was expected", count("runs")));
        }
        let uuid = self.text("runs", "uuid").ok_or("a run without a UUID")?;
        uuid::Uuid::parse_str(uuid).map_err(|e| format!("run UUID {uuid:?} is not a UUID: {e}"))?;
        let device = self
            .text("runs", "device_id")
            .ok_or_else(|| format!("run {uuid} has no device"))?;
        if self.text("devices", "id") != Some(device) {
            return Err(format!("run {uuid}: its device {device} is missing"));
        }
        if count("models") != 1 {
            return Err(format!("run {uuid}: its model is missing"));
        }
        if self.text("runs", "status") == Some("running") {
            return Err(format!(
                "run {uuid} is still running where it was made; bring it when it has finished"
            ));
        }
        Ok(())
    }

    /// The run's content with every local id replaced by what it stands for (a model by its
    /// path and sha256, a dataset by its name and sha256, a sample by its dataset and row), rows
    /// sorted: equal for two copies of one run in any two databases, and only then.
    pub fn canonical(&self) -> Vec<(&'static str, Vec<String>)> {
        let keys = Keys::of(self);
        let mut out = Vec::new();
        for t in &self.tables {
            // The model and datasets appear through the keys; judgments and embeddings are a
            // cache that a device may have filled further.
            if matches!(
                t.table,
                "models" | "datasets" | "devices" | "judgments" | "embeddings"
            ) {
                continue;
            }
            let mut rows: Vec<String> = t
                .rows
                .iter()
                .map(|row| {
                    t.columns
                        .iter()
                        .zip(row)
                        .filter(|(c, _)| !matches!(c.as_str(), "id" | "run_id"))
                        .map(|(c, v)| match c.as_str() {
                            "model_id" => format!("model={:?}", keys.model),
                            "dataset_id" => format!("dataset={:?}", keys.dataset(v)),
                            "sample_id" => format!("sample={:?}", keys.sample(v)),
                            _ => format!("{c}={v:?}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            rows.sort();
            out.push((t.table, rows));
        }
        out
    }
}

/// What a run's local ids stand for, to compare runs across databases.
struct Keys {
    model: String,
    datasets: HashMap<i64, String>,
    samples: HashMap<i64, String>,
}

impl Keys {
    fn of(data: &RunData) -> Keys {
        // id -> the `cols` of its row in `t`, joined.
        let key = |t: &str, cols: &[&str], ds: &HashMap<i64, String>| -> HashMap<i64, String> {
            let Some(t) = data.table(t) else {
                return HashMap::new();
            };
            t.rows
                .iter()
                .filter_map(|row| {
                    let Value::Integer(id) = row.get(t.column("id")?)? else {
                        return None;
                    };
                    let k: Vec<String> = cols
                        .iter()
                        .map(|c| match (t.column(c).and_then(|i| row.get(i)), *c) {
                            // A sample's dataset by what it is, not by its id.
                            (Some(Value::Integer(d)), "dataset_id") => {
                                ds.get(d).cloned().unwrap_or_default()
                            }
                            (v, _) => format!("{v:?}"),
                        })
                        .collect();
                    Some((*id, k.join("|")))
                })
                .collect()
        };
        let datasets = key("datasets", &["name", "sha256"], &HashMap::new());
        let samples = key("samples", &["dataset_id", "row_index"], &datasets);
        Keys {
            model: key("models", &["path", "sha256"], &HashMap::new())
                .into_values()
                .next()
                .unwrap_or_default(),
            datasets,
            samples,
        }
    }

    fn dataset(&self, v: &Value) -> Option<&String> {
        match v {
            Value::Integer(i) => self.datasets.get(i),
            _ => None,
        }
    }

    fn sample(&self, v: &Value) -> Option<&String> {
        match v {
            Value::Integer(i) => self.samples.get(i),
            _ => None,
        }
    }
}

/// Writes `data` into `conn` with its ids as they are (a bundle being made: one source, so its
/// ids cannot collide). A model, dataset, device or cache entry two runs share is written once.
pub(crate) fn write_verbatim(conn: &Connection, data: &RunData) -> Result<()> {
    for t in &data.tables {
        let sql = insert_sql("INSERT OR IGNORE", t.table, &t.columns);
        let mut st = conn.prepare_cached(&sql)?;
        for row in &t.rows {
            st.execute(params_from_iter(row))?;
        }
    }
    Ok(())
}

fn insert_sql(verb: &str, table: &str, columns: &[String]) -> String {
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    format!(
        "{verb} INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        marks.join(", ")
    )
}

/// Merges `data` into `conn` (inside the caller's transaction): idempotent by the run's UUID; a
/// run already here with different content is an error. `origin` says where it came from.
pub(crate) fn merge(conn: &Connection, data: &RunData, origin: &str) -> Result<Merged> {
    data.check().map_err(|message| StoreError::Invalid {
        from: origin.to_string(),
        message,
    })?;
    let existing: Option<i64> = conn
        .query_row("SELECT id FROM runs WHERE uuid = ?1", [&data.uuid], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = existing {
        let here = RunData::read(conn, id)?;
        if here.canonical() == data.canonical() {
            return Ok(Merged::Present(id));
        }
        return Err(StoreError::Conflict {
            uuid: data.uuid.clone(),
            local_id: id,
            from: origin.to_string(),
        });
    }
    let here_device: String =
        conn.query_row("SELECT id FROM devices WHERE here = 1", [], |r| r.get(0))?;
    let made_here = data.text("runs", "device_id") == Some(here_device.as_str());
    let mut ids = IdMap::default();
    for t in &data.tables {
        match t.table {
            "models" => {
                for row in &t.rows {
                    let id = find_or_insert(conn, t, row, &["path", "sha256"])?;
                    ids.map("model", t, row, id);
                }
            }
            "datasets" => {
                for row in &t.rows {
                    let id = find_or_insert(conn, t, row, &["name", "sha256"])?;
                    ids.map("dataset", t, row, id);
                }
            }
            "devices" | "judgments" | "embeddings" => write_rows(conn, "INSERT OR IGNORE", t)?,
            _ => {
                let mut columns = t.columns.clone();
                if t.table == "runs" {
                    columns.push("origin".into());
                }
                let keeps_id = !matches!(t.table, "runs" | "run_loads" | "samples");
                let (columns, positions): (Vec<String>, Vec<usize>) = columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| keeps_id || c.as_str() != "id")
                    .map(|(i, c)| (c.clone(), i))
                    .unzip();
                let sql = insert_sql("INSERT", t.table, &columns);
                for row in &t.rows {
                    let values: Vec<Value> = positions
                        .iter()
                        .map(|&i| {
                            let v = row.get(i).cloned().unwrap_or(Value::Null);
                            match columns_name(t, i) {
                                "model_id" => ids.get("model", &v),
                                "dataset_id" => ids.get("dataset", &v),
                                "sample_id" => ids.get("sample", &v),
                                "run_id" => ids.get("run", &v),
                                "origin" if made_here => Value::Null,
                                "origin" => Value::Text(origin.to_string()),
                                _ => v,
                            }
                        })
                        .collect();
                    conn.prepare_cached(&sql)?
                        .execute(params_from_iter(values))?;
                    match t.table {
                        "runs" => ids.map("run", t, row, conn.last_insert_rowid()),
                        "samples" => ids.map("sample", t, row, conn.last_insert_rowid()),
                        _ => {}
                    }
                }
            }
        }
    }
    Ok(Merged::Added(ids.run.unwrap_or_default()))
}

/// Column `i` of `t`, or "origin" for the one a merge appends to a run.
fn columns_name(t: &TableRows, i: usize) -> &str {
    t.columns.get(i).map_or("origin", |c| c.as_str())
}

fn write_rows(conn: &Connection, verb: &str, t: &TableRows) -> Result<()> {
    let sql = insert_sql(verb, t.table, &t.columns);
    let mut st = conn.prepare_cached(&sql)?;
    for row in &t.rows {
        st.execute(params_from_iter(row))?;
    }
    Ok(())
}

/// The local id of the row of `t` whose `key` columns match `row`'s, inserting it (without its
/// source id) when there is none.
fn find_or_insert(conn: &Connection, t: &TableRows, row: &[Value], key: &[&str]) -> Result<i64> {
    let key_values: Vec<&Value> = key
        .iter()
        .map(|k| t.column(k).and_then(|i| row.get(i)).unwrap_or(&Value::Null))
        .collect();
    let filter: Vec<String> = key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ?{}", i + 1))
        .collect();
    let find = format!("SELECT id FROM {} WHERE {}", t.table, filter.join(" AND "));
    if let Some(id) = conn
        .query_row(&find, params_from_iter(&key_values), |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    let (columns, values): (Vec<String>, Vec<Value>) = t
        .columns
        .iter()
        .zip(row)
        .filter(|(c, _)| c.as_str() != "id")
        .map(|(c, v)| (c.clone(), v.clone()))
        .unzip();
    conn.execute(
        &insert_sql("INSERT", t.table, &columns),
        params_from_iter(values),
    )?;
    Ok(conn.last_insert_rowid())
}

/// Source ids to local ids, per kind of row.
#[derive(Default)]
struct IdMap {
    ids: HashMap<(&'static str, i64), i64>,
    run: Option<i64>,
}

impl IdMap {
    fn map(&mut self, kind: &'static str, t: &TableRows, row: &[Value], local: i64) {
        if kind == "run" {
            self.run = Some(local);
        }
        if let Some(Value::Integer(source)) = t.column("id").and_then(|i| row.get(i)) {
            self.ids.insert((kind, *source), local);
        }
    }

    /// The local id for source id `v` (a run's children all belong to the one run). An id the
    /// source had no row for stays as it was, so the foreign key check catches it.
    fn get(&self, kind: &'static str, v: &Value) -> Value {
        if kind == "run" {
            return self.run.map_or(Value::Null, Value::Integer);
        }
        match v {
            Value::Integer(i) => self
                .ids
                .get(&(kind, *i))
                .map_or(Value::Integer(-1), |l| Value::Integer(*l)),
            other => other.clone(),
        }
    }
}
