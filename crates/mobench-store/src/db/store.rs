//! The database file: opened with WAL and foreign keys on every connection, its schema brought
//! up to date, and the cache of file hashes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::migrations;
use crate::{Result, StoreError};

pub struct Store {
    pub(super) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| open_err(format!("cannot create folder {}: {e}", parent.display())))?;
        }
        if path.is_dir() {
            return Err(open_err("is a folder, not a database file".into()));
        }
        let conn = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        Self::configure(conn, path.to_path_buf())
    }

    pub fn open_in_memory() -> Result<Store> {
        Self::configure(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn configure(mut conn: Connection, path: PathBuf) -> Result<Store> {
        let map = |e: rusqlite::Error| StoreError::Open {
            path: path.clone(),
            message: match &e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ReadOnly
                        || f.code == rusqlite::ErrorCode::CannotOpen =>
                {
                    "cannot write here (read-only location or no permission)".to_string()
                }
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    "is not a mobench database (not SQLite)".to_string()
                }
                _ => e.to_string(),
            },
        };
        conn.busy_timeout(Duration::from_secs(5)).map_err(map)?;
        // journal_mode returns a row; WAL keeps readers (the app's history view) off the writer's back.
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(map)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(map)?;
        migrations::apply(&mut conn, &path).map_err(|e| match e {
            StoreError::Sqlite(s) => map(s),
            other => other,
        })?;
        Ok(Store { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    // ---- file hashes ----

    pub fn cached_sha256(&self, path: &str, size: u64, mtime_ns: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256 FROM file_hashes WHERE path = ?1 AND size_bytes = ?2 AND mtime_ns = ?3",
                params![path, size as i64, mtime_ns],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn put_sha256(&self, path: &str, size: u64, mtime_ns: i64, sha256: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO file_hashes (path, size_bytes, mtime_ns, sha256) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (path) DO UPDATE SET size_bytes = ?2, mtime_ns = ?3, sha256 = ?4",
            params![path, size as i64, mtime_ns, sha256],
        )?;
        Ok(())
    }
}
