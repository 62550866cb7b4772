//! Bundles: a self-contained SQLite file (`.mobench`) holding chosen runs and everything they
//! refer to, in this database's schema (its version in `user_version`, marked as a bundle in
//! `application_id`). Written to a temporary file renamed when complete; read from a private
//! copy that is checked (and migrated, when older) before anything is merged, every bundle of
//! one import in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::transfer::{self, Merged, RunData};
use super::{migrations, Store};
use crate::{Result, StoreError};

/// `PRAGMA application_id` of a bundle ("MBND"): tells a bundle from any other SQLite file.
pub const BUNDLE_APPLICATION_ID: i32 = 0x4d42_4e44;

/// What an import did, run by run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// (local id, UUID) of each run added.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, string]>"))]
    pub added: Vec<(i64, String)>,
    /// (local id, UUID) of each run that was already here, identical.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, string]>"))]
    pub present: Vec<(i64, String)>,
}

impl Store {
    /// The UUID of this install's device, made once when the database was created.
    pub fn here_device(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT id FROM devices WHERE here = 1", [], |r| r.get(0))?)
    }

    /// The schema version of this mobench's databases (a shared server's schema follows it).
    pub fn schema_version() -> i64 {
        migrations::version()
    }

    /// The travelling columns of `table` with their declared SQL types.
    pub fn column_types(&self, table: &str) -> Result<Vec<(String, String)>> {
        let wanted = transfer::travelling_columns(&self.conn, table)?;
        let mut st = self
            .conn
            .prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?;
        let all = st
            .query_map([table], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(all
            .into_iter()
            .filter(|(c, _)| wanted.contains(c))
            .collect())
    }

    /// A run with everything that belongs to it, as it travels.
    pub fn run_data(&self, run_id: i64) -> Result<RunData> {
        RunData::read(&self.conn, run_id)
    }

    /// The local id of the run with this UUID, if it is here.
    pub fn run_by_uuid(&self, uuid: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT id FROM runs WHERE uuid = ?1", [uuid], |r| r.get(0))
            .optional()?)
    }

    /// Merges runs that came from elsewhere (`origin` says where), all or none: idempotent by
    /// UUID, a UUID already here with other content refused.
    pub fn merge_runs(&mut self, runs: &[RunData], origin: &str) -> Result<ImportReport> {
        let tx = self.conn.transaction()?;
        let mut report = ImportReport::default();
        for data in runs {
            match transfer::merge(&tx, data, origin)? {
                Merged::Added(id) => report.added.push((id, data.uuid.clone())),
                Merged::Present(id) => report.present.push((id, data.uuid.clone())),
            }
        }
        check_foreign_keys(&tx).map_err(|message| StoreError::Invalid {
            from: origin.to_string(),
            message,
        })?;
        tx.commit()?;
        Ok(report)
    }

    /// Writes runs `run_ids` into a new bundle at `out` (replaced if there), or nothing at all.
    pub fn export_bundle(&self, run_ids: &[i64], out: &Path) -> Result<()> {
        let mut runs = Vec::new();
        for &id in run_ids {
            let run = self.run(id)?;
            if run.status == crate::RunStatus::Running {
                return Err(bundle_err(
                    out,
                    format!("run {id} is still running; export it when it has finished or stopped"),
                ));
            }
            runs.push(self.run_data(id)?);
        }
        let partial = partial_path(out);
        let written = write_bundle(&partial, &runs);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, out).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            bundle_err(out, format!("cannot write it: {e}"))
        })
    }

    /// Imports bundles: every run of every file, checked first, merged in one transaction.
    pub fn import_bundles(&mut self, files: &[PathBuf]) -> Result<ImportReport> {
        let mut runs = Vec::new();
        let mut copies = Vec::new();
        for file in files {
            let copy = TempCopy::of(file)?;
            runs.extend(read_bundle(file, &copy.0)?);
            copies.push(copy);
        }
        let origin = files
            .iter()
            .map(|f| {
                f.file_name()
                    .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect::<Vec<_>>()
            .join(", ");
        self.merge_runs(&runs, &format!("bundle {origin}"))
    }
}

fn bundle_err(path: &Path, message: String) -> StoreError {
    StoreError::Bundle {
        path: path.to_path_buf(),
        message,
    }
}

/// `FILE.partial-PID` beside `out`, so the final rename stays on one file system.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

fn write_bundle(path: &Path, runs: &[RunData]) -> Result<()> {
    let err = |e: rusqlite::Error| bundle_err(path, format!("cannot write it: {e}"));
    if path.exists() {
        std::fs::remove_file(path)
            .map_err(|e| bundle_err(path, format!("cannot write it: {e}")))?;
    }
    let mut conn = Connection::open(path).map_err(err)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(err)?;
    migrations::apply(&mut conn, path)?;
    conn.pragma_update(None, "application_id", BUNDLE_APPLICATION_ID)
        .map_err(err)?;
    let tx = conn.transaction().map_err(err)?;
    // The bundle's own "this install" is no device: each run names the device that made it.
    tx.execute("DELETE FROM devices", []).map_err(err)?;
    for data in runs {
        transfer::write_verbatim(&tx, data)?;
    }
    tx.commit().map_err(err)?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(err)?;
    if ok != "ok" {
        return Err(bundle_err(path, format!("written damaged: {ok}")));
    }
    conn.close().map_err(|(_, e)| err(e))?;
    // The data on disk before the rename makes it visible.
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| bundle_err(path, format!("cannot write it: {e}")))
}

/// A private copy of a bundle (removed when dropped): checking and migrating it leaves the
/// user's file as it was, and a file changing meanwhile cannot slip past the checks.
struct TempCopy(PathBuf);

impl TempCopy {
    fn of(file: &Path) -> Result<TempCopy> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let copy =
            std::env::temp_dir().join(format!("mobench-import-{}-{n}.sqlite", std::process::id()));
        std::fs::copy(file, &copy).map_err(|e| bundle_err(file, format!("cannot read it: {e}")))?;
        Ok(TempCopy(copy))
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every run of the bundle `file` (read from its private `copy`), after checking it is a bundle
/// this mobench understands, undamaged, with every row pointing at a row that is there.
fn read_bundle(file: &Path, copy: &Path) -> Result<Vec<RunData>> {
    let invalid = |message: String| bundle_err(file, message);
    let mut header = [0u8; 16];
    let read = std::fs::File::open(copy).and_then(|mut f| {
        use std::io::Read;
        f.read_exact(&mut header)
    });
    if read.is_err() || &header != b"SQLite format 3\0" {
        return Err(invalid(
            "is not a mobench bundle (not an SQLite file)".into(),
        ));
    }
    let damaged = |e: rusqlite::Error| invalid(format!("is damaged or truncated ({e})"));
    let mut conn = Connection::open_with_flags(
        copy,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(damaged)?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(damaged)?;
    if app_id != BUNDLE_APPLICATION_ID {
        return Err(invalid(
            "is not a mobench bundle (an SQLite file, but not one `mobench export --bundle` wrote)"
                .into(),
        ));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(damaged)?;
    let supported = migrations::version();
    if version > supported {
        return Err(invalid(format!(
            "was written by a newer mobench (schema version {version}; this one understands up \
             to {supported}); upgrade mobench to import it"
        )));
    }
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(damaged)?;
    if integrity != "ok" {
        let first = integrity.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(invalid(format!("is damaged ({first})")));
    }
    if version < supported {
        migrations::apply(&mut conn, copy).map_err(|e| {
            invalid(format!(
                "cannot be brought from schema version {version} to {supported}: {e}"
            ))
        })?;
    }
    check_foreign_keys(&conn).map_err(invalid)?;
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM runs ORDER BY id")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(damaged)?;
    if ids.is_empty() {
        return Err(invalid("holds no run".into()));
    }
    let mut runs = Vec::new();
    for id in ids {
        let data = RunData::read(&conn, id).map_err(|e| match e {
            StoreError::Sqlite(s) => damaged(s),
            other => other,
        })?;
        data.check().map_err(invalid)?;
        runs.push(data);
    }
    Ok(runs)
}

/// `PRAGMA foreign_key_check`, as one line naming the first broken reference.
fn check_foreign_keys(conn: &Connection) -> std::result::Result<(), String> {
    let broken: Vec<(String, String)> = conn
        .prepare("SELECT \"table\", parent FROM pragma_foreign_key_check")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(|e| format!("cannot check its references ({e})"))?;
    match broken.first() {
        None => Ok(()),
        Some((table, parent)) => Err(format!(
            "has {} row(s) pointing at nothing (first: a row of {table} whose {parent} row is missing)",
            broken.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_run;
    use crate::RunKind;

    /// A finished run with a dataset, a sample, its score and an aggregate, made in a new
    /// in-memory database (a device of its own).
    fn device_with_a_run() -> (Store, i64) {
        let (store, run) = test_run(RunKind::Suite);
        store
            .conn
            .execute_batch(&format!(
                "INSERT INTO datasets (id, name, task, suite, sha256, rows) VALUES (5, 'd', 'qa', 's', 'h', 3);
                 INSERT INTO run_datasets (run_id, dataset_id, position, task_version, rows_json, metrics_json)
                     VALUES ({run}, 5, 0, 1, '[0]', '[\"em\"]');
                 INSERT INTO samples (run_id, dataset_id, row_index, prompt, reference, prediction_raw,
                     prediction, truncated, stop_reason, prompt_tokens, output_tokens, ttft_ms, total_ms, finished_at)
                     VALUES ({run}, 5, 0, 'p', 'r', 'x', 'x', 0, 'eos', 7, 1, 12.5, 13.25, 't');
                 INSERT INTO sample_scores (sample_id, metric, value, grader)
                     VALUES (last_insert_rowid(), 'em', 1.0, 'judge:j');
                 INSERT INTO judgments (grader, input_hash, output, at) VALUES ('judge:j', 'h1', 'yes', 't');
                 INSERT INTO aggregates (run_id, dataset_id, figure, stat, value, n)
                     VALUES ({run}, 5, 'ttft_ms', 'mean', 12.5, 1);
                 UPDATE runs SET status = 'completed' WHERE id = {run};"
            ))
            .unwrap();
        (store, run)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_run_travels_once_and_keeps_its_device_and_figures() {
        let dir = tempfile::tempdir().unwrap();
        let (a, run) = device_with_a_run();
        let file = dir.path().join("r.mobench");
        a.export_bundle(&[run], &file).unwrap();
        assert!(!partial_path(&file).exists());

        let (mut b, _) = test_run(RunKind::Suite);
        let first = b.import_bundles(std::slice::from_ref(&file)).unwrap();
        assert_eq!(first.added.len(), 1);
        let (local, uuid) = &first.added[0];
        assert_eq!(*uuid, a.run(run).unwrap().uuid);
        // Another device's run: its own id here (b's first run kept 1), its device, its origin.
        assert_ne!(*local, run);
        let imported = b.run(*local).unwrap();
        assert_eq!(imported.device_id, a.here_device().unwrap());
        assert_ne!(imported.device_id, b.here_device().unwrap());
        assert_eq!(imported.origin.as_deref(), Some("bundle r.mobench"));
        assert_eq!(
            b.run_data(*local).unwrap().canonical(),
            a.run_data(run).unwrap().canonical()
        );
        assert_eq!(count(&b, "SELECT COUNT(*) FROM judgments"), 1);

        let again = b.import_bundles(std::slice::from_ref(&file)).unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.present, first.added);
        assert_eq!(count(&b, "SELECT COUNT(*) FROM runs"), 2);
        assert_eq!(count(&b, "SELECT COUNT(*) FROM samples"), 1);
    }

    #[test]
    fn a_different_run_under_a_known_uuid_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, run) = device_with_a_run();
        let file = dir.path().join("r.mobench");
        a.export_bundle(&[run], &file).unwrap();
        let (mut b, _) = test_run(RunKind::Suite);
        let (local, _) = b.import_bundles(std::slice::from_ref(&file)).unwrap().added[0].clone();
        b.conn
            .execute("UPDATE samples SET ttft_ms = 99 WHERE run_id = ?1", [local])
            .unwrap();
        let before = b.run_data(local).unwrap().canonical();
        let e = b.import_bundles(&[file]).unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { local_id, .. } if local_id == local),
            "{e}"
        );
        assert_eq!(b.run_data(local).unwrap().canonical(), before);
    }

    #[test]
    fn an_older_bundle_is_migrated_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        // A bundle as schema 8 wrote it: no UUIDs, no devices yet.
        let old = dir.path().join("old.mobench");
        let conn = Connection::open(&old).unwrap();
        for sql in &migrations::MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!(
            "PRAGMA user_version = 8; PRAGMA application_id = {BUNDLE_APPLICATION_ID};
             INSERT INTO models (id, path, sha256, size_bytes, added_at) VALUES (3, 'm', 'h', 1, 't');
             INSERT INTO runs (id, model_id, status, settings_json, app_version, llama_version,
                               device_json, started_at)
                 VALUES (9, 3, 'completed', '{{}}', 'v', 'l', '{{}}', '2026-12-07T10:00:00.5Z');"
        ))
        .unwrap();
        drop(conn);
        let (mut b, _) = test_run(RunKind::Suite);
        let report = b.import_bundles(std::slice::from_ref(&old)).unwrap();
        let uuid = uuid::Uuid::parse_str(&report.added[0].1).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
        // Its time is the run's start.
        let (secs, nanos) = uuid.get_timestamp().unwrap().to_unix();
        assert_eq!((secs, nanos / 1_000_000), (1_796_637_600, 500));
        // The user's file is as it was.
        let v: i64 = Connection::open(&old)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 8);

        let newer = dir.path().join("new.mobench");
        let conn = Connection::open(&newer).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA user_version = 99; PRAGMA application_id = {BUNDLE_APPLICATION_ID};"
        ))
        .unwrap();
        drop(conn);
        let e = b.import_bundles(&[newer]).unwrap_err().to_string();
        assert!(e.contains("newer mobench (schema version 99"), "{e}");
    }

    #[test]
    fn what_is_not_a_bundle_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let (mut b, _) = test_run(RunKind::Suite);
        let text = dir.path().join("notes.mobench");
        std::fs::write(&text, "hello").unwrap();
        let e = b.import_bundles(&[text]).unwrap_err().to_string();
        assert!(
            e.contains("notes.mobench: is not a mobench bundle (not an SQLite file)"),
            "{e}"
        );
        let db = dir.path().join("other.sqlite");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let e = b.import_bundles(&[db]).unwrap_err().to_string();
        assert!(e.contains("not one `mobench export --bundle` wrote"), "{e}");
        assert_eq!(count(&b, "SELECT COUNT(*) FROM runs"), 1);
    }
}
