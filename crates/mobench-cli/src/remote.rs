//! `push` and `pull`: a shared PostgreSQL database for a device lab or a CI fleet. It holds the
//! tables a run travels with (see `mobench_store::RUN_TABLES`), their columns as this mobench's
//! SQLite schema has them, each run's rows keyed by its UUID (`run_uuid`, with the source's local
//! ids kept beside it, consistent within the run). The tool creates the tables and adds the
//! columns a newer schema brings, its version in `mobench_schema`. A run goes in or comes out in
//! one transaction, idempotent by UUID; pulled runs are merged as bundles are, all or none.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use mobench_store::devices::{FilteredRun, RunFilter};
use mobench_store::{ImportReport, RunData, RunStatus, Store, TableRows, RUN_TABLES};
use postgres::types::ToSql;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls};
use rusqlite::types::Value;
use serde_json::json;

/// Tables keyed by their own columns, shared by every run that refers to them; every other
/// table's rows belong to one run (`run_uuid`) and keep their order (`row_order`).
const SHARED: &[(&str, &str)] = &[
    ("devices", "id"),
    ("runs", "uuid"),
    ("judgments", "grader, input_hash"),
    ("embeddings", "embedder, input_hash"),
];

/// Serialises schema changes of concurrent pushers (`pg_advisory_xact_lock`'s key).
const SCHEMA_LOCK: i64 = 0x006d_6f62_656e_6368;

/// A column and its type: the SQLite schema's, which decides the PostgreSQL type and how a
/// value crosses.
#[derive(Clone)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    fn of(sqlite_type: &str) -> Kind {
        match sqlite_type.to_ascii_uppercase().as_str() {
            "INTEGER" => Kind::Integer,
            "REAL" => Kind::Real,
            "BLOB" => Kind::Blob,
            _ => Kind::Text,
        }
    }

    fn postgres(self) -> &'static str {
        match self {
            Kind::Integer => "BIGINT",
            Kind::Real => "DOUBLE PRECISION",
            Kind::Text => "TEXT",
            Kind::Blob => "BYTEA",
        }
    }
}

struct Table {
    name: &'static str,
    columns: Vec<Column>,
    /// The primary key of a shared table; `None`: a run's own rows.
    key: Option<&'static str>,
}

impl Table {
    fn remote(&self) -> String {
        format!("mobench_{}", self.name)
    }

    /// The columns, quoted: a SQLite column may be a word PostgreSQL reserves.
    fn list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quoted(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables as this mobench's schema has them, in RUN_TABLES' order.
fn tables(store: &Store) -> Result<Vec<Table>> {
    RUN_TABLES
        .iter()
        .map(|(name, _)| {
            let columns = store
                .column_types(name)?
                .into_iter()
                .map(|(name, ty)| Column {
                    name,
                    kind: Kind::of(&ty),
                })
                .collect();
            let key = SHARED.iter().find(|(t, _)| t == name).map(|(_, k)| *k);
            Ok(Table { name, columns, key })
        })
        .collect()
}

/// A connected server, named without its password.
struct Remote {
    client: Client,
    name: String,
}

fn connect(url: &str) -> Result<Remote> {
    let mut config: Config = url
        .parse()
        .map_err(|e| anyhow!("the PostgreSQL URL is not valid ({e})"))?;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let name = format!(
        "{}@{}:{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        config
            .get_ports()
            .first()
            .map_or("5432".to_string(), |p| p.to_string()),
        config.get_dbname().unwrap_or("?")
    );
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let client = config
        .connect(NoTls)
        .with_context(|| format!("cannot connect to PostgreSQL at {name}"))?;
    Ok(Remote { client, name })
}

/// Creates the tables, or adds what a newer schema brings; refuses a server a newer mobench set up.
fn ensure_schema(remote: &mut Remote, tables: &[Table]) -> Result<()> {
    let name = remote.name.clone();
    let ours = Store::schema_version();
    let mut tx = remote.client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS mobench_schema (version BIGINT NOT NULL)")?;
    let theirs: Option<i64> = tx
        .query_opt("SELECT max(version) FROM mobench_schema", &[])?
        .and_then(|r| r.get(0));
    if let Some(v) = theirs.filter(|&v| v > ours) {
        bail!(
            "PostgreSQL at {name} holds mobench schema version {v}, newer than this mobench \
             understands ({ours}); upgrade mobench"
        );
    }
    if theirs == Some(ours) {
        return Ok(tx.commit()?);
    }
    // The runs table first: every run's rows refer to it.
    let runs_first = tables
        .iter()
        .filter(|t| t.name == "runs")
        .chain(tables.iter().filter(|t| t.name != "runs"));
    for t in runs_first {
        let mut defs: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("{} {}", quoted(&c.name), c.kind.postgres()))
            .collect();
        match t.key {
            Some(key) => defs.push(format!("PRIMARY KEY ({key})")),
            None => {
                defs.push(
                    "run_uuid TEXT NOT NULL REFERENCES mobench_runs (uuid) ON DELETE CASCADE"
                        .into(),
                );
                defs.push("row_order BIGINT NOT NULL".into());
            }
        }
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            t.remote(),
            defs.join(", ")
        ))?;
        if t.key.is_none() {
            tx.batch_execute(&format!(
                "CREATE INDEX IF NOT EXISTS {0}_by_run ON {0} (run_uuid, row_order)",
                t.remote()
            ))?;
        }
        // Columns a later schema added to the SQLite table.
        let have: Vec<String> = tx
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&t.remote()],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for c in t.columns.iter().filter(|c| !have.contains(&c.name)) {
            tx.batch_execute(&format!(
                "ALTER TABLE {} ADD COLUMN {} {}",
                t.remote(),
                quoted(&c.name),
                c.kind.postgres()
            ))?;
        }
    }
    tx.execute("DELETE FROM mobench_schema", &[])?;
    tx.execute("INSERT INTO mobench_schema (version) VALUES ($1)", &[&ours])?;
    tx.commit()?;
    tracing::info!(server = %name, version = ours, "PostgreSQL schema ready");
    Ok(())
}

/// A SQLite value as the PostgreSQL column of `kind` takes it.
fn to_sql(v: &Value, kind: Kind, at: &str) -> Result<Box<dyn ToSql + Sync>> {
    Ok(match (kind, v) {
        (Kind::Integer, Value::Integer(i)) => Box::new(Some(*i)),
        (Kind::Integer, Value::Null) => Box::new(None::<i64>),
        (Kind::Real, Value::Real(f)) => Box::new(Some(*f)),
        (Kind::Real, Value::Integer(i)) => Box::new(Some(*i as f64)),
        (Kind::Real, Value::Null) => Box::new(None::<f64>),
        (Kind::Text, Value::Text(s)) => Box::new(Some(s.clone())),
        (Kind::Text, Value::Null) => Box::new(None::<String>),
        (Kind::Blob, Value::Blob(b)) => Box::new(Some(b.clone())),
        (Kind::Blob, Value::Null) => Box::new(None::<Vec<u8>>),
        (_, other) => bail!("{at} holds {other:?}, which its column's type cannot hold"),
    })
}

fn from_sql(row: &postgres::Row, i: usize, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Integer => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Integer),
        Kind::Real => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::Real),
        Kind::Text => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text),
        Kind::Blob => row
            .try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Blob),
    })
}

fn insert(tx: &mut impl GenericClient, t: &Table, rows: &TableRows, run_uuid: &str) -> Result<u64> {
    let mut names: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    if t.key.is_none() {
        names.extend(["run_uuid".to_string(), "row_order".to_string()]);
    }
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let conflict = match t.key {
        Some(key) => format!(" ON CONFLICT ({key}) DO NOTHING"),
        None => String::new(),
    };
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}){conflict}",
        t.remote(),
        names.join(", "),
        marks.join(", ")
    );
    let statement = tx.prepare(&sql)?;
    let mut inserted = 0;
    for (order, row) in rows.rows.iter().enumerate() {
        let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        for c in &t.columns {
            let v = rows
                .column(&c.name)
                .and_then(|i| row.get(i))
                .unwrap_or(&Value::Null);
            params.push(to_sql(v, c.kind, &format!("{}.{}", t.name, c.name))?);
        }
        if t.key.is_none() {
            params.push(Box::new(run_uuid.to_string()));
            params.push(Box::new(order as i64));
        }
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        inserted += tx.execute(&statement, &refs)?;
    }
    Ok(inserted)
}

/// The run `uuid` as the server holds it, in RUN_TABLES' order.
fn read_run(client: &mut impl GenericClient, tables: &[Table], uuid: &str) -> Result<RunData> {
    let mut read: Vec<TableRows> = Vec::new();
    // The run's row first: its device is found through it.
    let runs_first = tables
        .iter()
        .filter(|t| t.name == "runs")
        .chain(tables.iter().filter(|t| t.name != "runs"));
    for t in runs_first {
        let param: Box<dyn ToSql + Sync> = match t.name {
            "devices" => Box::new(text_of(&read, "runs", "device_id").unwrap_or_default()),
            // The judge's answers and embeddings the run's scores came from.
            "judgments" | "embeddings" => Box::new(graders(&read)),
            _ => Box::new(uuid.to_string()),
        };
        let filter = match t.name {
            "runs" => "uuid = $1",
            "devices" => "id = $1",
            "judgments" => "grader = ANY($1)",
            "embeddings" => "embedder = ANY($1)",
            _ => "run_uuid = $1 ORDER BY row_order",
        };
        let sql = format!("SELECT {} FROM {} WHERE {filter}", t.list(), t.remote());
        let mut values = Vec::new();
        for row in client.query(&sql, &[param.as_ref()])? {
            values.push(
                t.columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| from_sql(&row, i, c.kind))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        read.push(TableRows {
            table: t.name,
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            rows: values,
        });
    }
    read.sort_by_key(|r| RUN_TABLES.iter().position(|(t, _)| *t == r.table));
    Ok(RunData {
        uuid: uuid.to_string(),
        tables: read,
    })
}

fn text_of(read: &[TableRows], table: &str, column: &str) -> Option<String> {
    let t = read.iter().find(|r| r.table == table)?;
    match t.rows.first()?.get(t.column(column)?)? {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

/// The graders of the scores read so far.
fn graders(read: &[TableRows]) -> Vec<String> {
    let Some(t) = read.iter().find(|r| r.table == "sample_scores") else {
        return Vec::new();
    };
    let Some(i) = t.column("grader") else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for row in &t.rows {
        if let Some(Value::Text(g)) = row.get(i) {
            if !out.contains(g) {
                out.push(g.clone());
            }
        }
    }
    out
}

/// What a push or pull did.
#[derive(Default)]
struct Report {
    done: Vec<(i64, String)>,
    present: Vec<(i64, String)>,
}

pub fn push(store: &Store, run_ids: &[i64], all: bool, url: &str, json: bool) -> Result<ExitCode> {
    let ids: Vec<i64> = if all {
        let here = store.here_device()?;
        store
            .runs()?
            .into_iter()
            .filter(|r| r.device_id == here && r.status != RunStatus::Running)
            .map(|r| r.id)
            .collect()
    } else {
        run_ids.to_vec()
    };
    // Everything is read and checked before the server is touched.
    let mut runs = Vec::new();
    for &id in &ids {
        let data = store.run_data(id)?;
        data.check().map_err(|m| anyhow!("run {id}: {m}"))?;
        runs.push((id, data));
    }
    let tables = tables(store)?;
    let mut remote = connect(url)?;
    ensure_schema(&mut remote, &tables)?;
    let name = remote.name.clone();
    let mut report = Report::default();
    for (id, data) in &runs {
        // One transaction per run: a push stopped half-way leaves whole runs only.
        let mut tx = remote.client.transaction()?;
        let runs_table = tables.iter().find(|t| t.name == "runs").expect("runs");
        let run_rows = data.table("runs").expect("checked: one run row");
        if insert(&mut tx, runs_table, run_rows, &data.uuid)? == 0 {
            // Already there: the same run, or a conflict to report.
            let there = read_run(&mut tx, &tables, &data.uuid)?;
            tx.rollback()?;
            if there.canonical() != data.canonical() {
                bail!(
                    "run {id} ({}) is already on PostgreSQL at {name} with different content;                      nothing of it was pushed",
                    data.uuid
                );
            }
            report.present.push((*id, data.uuid.clone()));
            continue;
        }
        for t in tables.iter().filter(|t| t.name != "runs") {
            if let Some(rows) = data.table(t.name) {
                insert(&mut tx, t, rows, &data.uuid)
                    .with_context(|| format!("pushing run {id}'s {}", t.name))?;
            }
        }
        tx.commit()?;
        report.done.push((*id, data.uuid.clone()));
    }
    if json {
        let list = |l: &[(i64, String)]| -> Vec<serde_json::Value> {
            l.iter()
                .map(|(id, u)| json!({"run_id": id, "uuid": u}))
                .collect()
        };
        println!(
            "{}",
            json!({"pushed": list(&report.done), "present": list(&report.present)})
        );
    } else {
        for (id, uuid) in &report.done {
            println!("pushed run {id} ({uuid}) to {name}");
        }
        for (id, uuid) in &report.present {
            println!("already there: run {id} ({uuid})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn pull(store: &mut Store, url: &str, filter: &RunFilter, json: bool) -> Result<ExitCode> {
    let tables = tables(store)?;
    let mut remote = connect(url)?;
    ensure_schema(&mut remote, &tables)?;
    let name = remote.name.clone();
    // One snapshot: runs pushed meanwhile are left for the next pull, never half-read.
    let mut tx = remote
        .client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let listing = tx.query(
        "SELECT r.uuid, r.device_id, r.device_json, m.name, m.path, m.sha256, m.quantization
         FROM mobench_runs r
         LEFT JOIN mobench_models m ON m.run_uuid = r.uuid AND m.id = r.model_id
         ORDER BY r.uuid",
        &[],
    )?;
    let mut wanted = Vec::new();
    for row in &listing {
        let text = |i: usize| -> Result<String> {
            Ok(row.try_get::<_, Option<String>>(i)?.unwrap_or_default())
        };
        let (uuid, path) = (text(0)?, text(4)?);
        let model_name = match row.try_get::<_, Option<String>>(3)? {
            Some(n) => n,
            None => std::path::Path::new(&path)
                .file_name()
                .map_or(path.clone(), |f| f.to_string_lossy().into_owned()),
        };
        let quantization: Option<String> = row.try_get(6)?;
        let keep = filter.matches_parts(&FilteredRun {
            device_id: &text(1)?,
            device_json: &text(2)?,
            model_name: &model_name,
            model_path: &path,
            model_sha256: &text(5)?,
            quantization: quantization.as_deref(),
        });
        if keep {
            wanted.push(uuid);
        }
    }
    let mut runs = Vec::new();
    for uuid in &wanted {
        runs.push(read_run(&mut tx, &tables, uuid)?);
    }
    tx.commit()?;
    let report: ImportReport = store.merge_runs(&runs, &format!("PostgreSQL {name}"))?;
    if !json && report.added.is_empty() && report.present.is_empty() {
        println!("no run on {name} matches");
        return Ok(ExitCode::SUCCESS);
    }
    crate::share::print_merge(store, &report, json)
}
