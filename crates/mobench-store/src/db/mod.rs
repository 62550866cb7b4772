//! Persistence: the SQLite file, its migrations, and the SQL of every table. A stored row's
//! columns are listed once ([`Stored`]); the INSERT and the SELECT are built from that list
//! and rows are read back by column name.

/// `read!(row, T { a, b, c: expr })`: a `T` whose fields are read from the row's columns of the
/// same names (a field given a value takes it instead), so a field and its column are named once.
/// `read!(row, prefix => T { .. })` reads the columns named with `prefix` before the field's name.
macro_rules! read {
    ($r:expr, $ty:ident { $($field:ident $(: $value:expr)?),* $(,)? }) => {
        read!($r, "" => $ty { $($field $(: $value)?),* })
    };
    ($r:expr, $prefix:expr => $ty:ident { $($field:ident $(: $value:expr)?),* $(,)? }) => {
        $ty { $($field: read!(@field $r, $prefix, $field $(, $value)?)),* }
    };
    (@field $r:expr, $prefix:expr, $field:ident) => {
        $r.get(format!("{}{}", $prefix, stringify!($field)).as_str())?
    };
    (@field $r:expr, $prefix:expr, $field:ident, $value:expr) => {
        $value
    };
}

mod bundle;
mod downloads;
mod judgments;
mod library;
mod migrations;
mod resources;
mod runs;
mod samples;
mod speed;
mod store;
mod studies;
mod transfer;

use rusqlite::types::Value;

pub use bundle::{ImportReport, BUNDLE_APPLICATION_ID};
pub use store::Store;
pub use studies::{LevelFile, LevelProbe, LevelRun, NewLevel};
pub use transfer::{travelling_columns, Merged, RunData, TableRows, RUN_TABLES};

/// Now, as every stored timestamp: RFC 3339 in UTC.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One column of a stored table: its name and the value a record puts in it.
pub(crate) struct Stored<T: ?Sized> {
    pub name: &'static str,
    pub value: fn(&T) -> Value,
}

/// A stored column, written `stored("name", |record| value)` in a table's list.
pub(crate) const fn stored<T: ?Sized>(name: &'static str, value: fn(&T) -> Value) -> Stored<T> {
    Stored { name, value }
}

/// `INSERT INTO table (keys..., columns...) VALUES (?1, ...)`: the keys come from the caller
/// (the run a row belongs to), the columns from the record.
pub(crate) fn insert_sql<T: ?Sized>(table: &str, keys: &[&str], columns: &[Stored<T>]) -> String {
    let names: Vec<&str> = keys
        .iter()
        .copied()
        .chain(columns.iter().map(|c| c.name))
        .collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}

/// The keys' values, then the record's, in [`insert_sql`]'s order.
pub(crate) fn insert_values<T: ?Sized>(
    keys: impl IntoIterator<Item = Value>,
    columns: &[Stored<T>],
    record: &T,
) -> rusqlite::ParamsFromIter<Vec<Value>> {
    let values: Vec<Value> = keys
        .into_iter()
        .chain(columns.iter().map(|c| (c.value)(record)))
        .collect();
    rusqlite::params_from_iter(values)
}

/// `alias.name AS name, ...` for a SELECT that reads the columns back by name.
pub(crate) fn select_list<T: ?Sized>(alias: &str, columns: &[Stored<T>]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{0} AS {0}", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An unsigned count as SQLite stores it.
pub(crate) fn int(v: u64) -> Value {
    Value::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

/// An optional unsigned count as SQLite stores it.
pub(crate) fn opt_int(v: Option<u64>) -> Value {
    v.map_or(Value::Null, int)
}

/// A JSON column read back; `what` names it in the error.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row,
    column: &str,
    what: &'static str,
) -> crate::Result<T> {
    serde_json::from_str(&r.get::<_, String>(column)?)
        .map_err(|source| crate::StoreError::Json { what, source })
}

/// A database with one model and one run of `kind`, for the store's unit tests.
#[cfg(test)]
pub(crate) fn test_run(kind: crate::RunKind) -> (Store, i64) {
    let mut store = Store::open_in_memory().unwrap();
    let model_id = store
        .upsert_model(&crate::NewModel {
            path: "m.gguf".into(),
            sha256: "00".into(),
            size_bytes: 1,
            name: None,
            architecture: None,
            n_params: 5,
            quantization: None,
            n_ctx_train: 64,
            has_chat_template: false,
        })
        .unwrap();
    let run_id = store
        .create_run(&test_new_run(kind, model_id), &[])
        .unwrap();
    (store, run_id)
}

#[cfg(test)]
pub(crate) fn test_new_run(kind: crate::RunKind, model_id: i64) -> crate::NewRun {
    crate::NewRun {
        kind,
        model_id,
        settings_json: "{}".into(),
        app_version: "t".into(),
        llama_version: "t".into(),
        device_json: "{}".into(),
        projector: None,
    }
}
