//! Schema migrations: a const list of SQL files applied in order; the version is `user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::{Result, StoreError};

pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_speed.sql"),
    include_str!("../../migrations/0003_telemetry.sql"),
    include_str!("../../migrations/0004_library.sql"),
    include_str!("../../migrations/0005_pooled_means_index.sql"),
    include_str!("../../migrations/0006_paused_and_backend.sql"),
    include_str!("../../migrations/0007_images.sql"),
    include_str!("../../migrations/0008_judgments.sql"),
    include_str!("../../migrations/0009_studies.sql"),
    include_str!("../../migrations/0010_identity.sql"),
    include_str!("../../migrations/0011_model_downloads.sql"),
];

/// The schema version this build writes.
pub(crate) fn version() -> i64 {
    MIGRATIONS.len() as i64
}

pub(crate) fn apply(conn: &mut Connection, path: &Path) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported,
        });
    }
    if current == supported {
        return Ok(());
    }
    // A migration may rebuild a table that others reference: with foreign keys on, dropping the
    // old table would cascade into its children. They are checked before each commit instead.
    // (The pragma is a no-op inside a transaction, hence here.)
    let fk_on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = migrate(conn, current as usize);
    if fk_on {
        conn.pragma_update(None, "foreign_keys", true)?;
    }
    result
}

fn migrate(conn: &mut Connection, from: usize) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        let broken: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if broken > 0 {
            return Err(StoreError::Migration {
                version: i + 1,
                message: format!("it would leave {broken} rows pointing at nothing"),
            });
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_cleanly_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, Path::new(":memory:")).unwrap();
        apply(&mut conn, Path::new(":memory:")).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let fk: Vec<(String,)> = conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?,)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(fk.is_empty());
    }

    #[test]
    fn rebuilding_the_runs_table_keeps_runs_and_everything_that_points_at_them() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        // A database as the previous release left it (schema 5), with a run, a load and a dataset.
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            "INSERT INTO models (id, path, sha256, size_bytes, added_at) VALUES (1, 'm', 'h', 1, 't');
             INSERT INTO datasets (id, name, task, suite, sha256, rows) VALUES (1, 'd', 't', 's', 'h', 1);
             INSERT INTO runs (id, model_id, status, settings_json, app_version, llama_version,
                               device_json, started_at)
                 VALUES (7, 1, 'interrupted', '{}', 'v', 'l', '{}', 't');
             INSERT INTO run_loads (run_id, cold, model_load_ms, context_ms, n_ctx, at)
                 VALUES (7, 1, 1.0, 1.0, 64, 't');
             INSERT INTO run_datasets (run_id, dataset_id, position, task_version, rows_json, metrics_json)
                 VALUES (7, 1, 0, 1, '[0]', '[]');",
        )
        .unwrap();
        apply(&mut conn, Path::new(":memory:")).unwrap();
        let fk: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are on again");
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT COUNT(*) FROM runs WHERE id = 7 AND status = 'interrupted'"),
            1
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM run_loads WHERE run_id = 7 AND backend IS NULL"),
            1
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM run_datasets WHERE run_id = 7"),
            1
        );
        conn.execute("UPDATE runs SET status = 'paused' WHERE id = 7", [])
            .unwrap();
        assert!(conn
            .execute("UPDATE runs SET status = 'sleeping' WHERE id = 7", [])
            .is_err());
        // Deleting the run still cascades into its children through the rebuilt table.
        conn.execute("DELETE FROM runs WHERE id = 7", []).unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM run_loads"), 0);
        assert_eq!(count("SELECT COUNT(*) FROM run_datasets"), 0);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let e = apply(&mut conn, Path::new("x.sqlite")).unwrap_err();
        assert!(e.to_string().contains("newer than this mobench"));
    }
}
