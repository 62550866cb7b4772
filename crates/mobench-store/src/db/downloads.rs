//! Model downloads from the hub, one row per model file of a repository.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Store};
use crate::downloads::{DownloadRow, DownloadStatus};
use crate::Result;

const COLUMNS: &str =
    "id, repo, file, mmproj, catalog, status, done_bytes, total_bytes, error, path, updated_at";

fn row(r: &Row) -> rusqlite::Result<DownloadRow> {
    let status: String = r.get("status")?;
    Ok(DownloadRow {
        id: r.get("id")?,
        repo: r.get("repo")?,
        file: r.get("file")?,
        mmproj: r.get("mmproj")?,
        catalog: r.get("catalog")?,
        status: DownloadStatus::parse(&status),
        done_bytes: r.get::<_, i64>("done_bytes")?.max(0) as u64,
        total_bytes: r.get::<_, i64>("total_bytes")?.max(0) as u64,
        error: r.get("error")?,
        path: r.get("path")?,
        updated_at: r.get("updated_at")?,
    })
}

impl Store {
    /// Records that the download of `file` of `repo` starts (again): running, no error. Returns
    /// its id, the same as before for a download asked for again.
    pub fn download_start(
        &self,
        repo: &str,
        file: &str,
        mmproj: Option<&str>,
        catalog: Option<&str>,
        done_bytes: u64,
        total_bytes: u64,
    ) -> Result<i64> {
        let t = now();
        let id = self.conn.query_row(
            "INSERT INTO model_downloads
                 (repo, file, mmproj, catalog, status, done_bytes, total_bytes, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?7)
             ON CONFLICT (repo, file) DO UPDATE SET
                 mmproj = excluded.mmproj, catalog = COALESCE(excluded.catalog, catalog),
                 status = 'running', done_bytes = excluded.done_bytes,
                 total_bytes = excluded.total_bytes, error = NULL, updated_at = excluded.updated_at
             RETURNING id",
            params![repo, file, mmproj, catalog, done_bytes as i64, total_bytes as i64, t],
            |r| r.get(0),
        )?;
        Ok(id)
    }

    pub fn download_progress(&self, id: i64, done_bytes: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE model_downloads SET done_bytes = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, done_bytes as i64, now()],
        )?;
        Ok(())
    }

    /// Where a download ended: done (with the model's path), paused or failed (with why).
    pub fn download_end(
        &self,
        id: i64,
        status: DownloadStatus,
        error: Option<&str>,
        path: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE model_downloads SET status = ?2, error = ?3, path = COALESCE(?4, path),
                 updated_at = ?5 WHERE id = ?1",
            params![id, status.as_str(), error, path, now()],
        )?;
        Ok(())
    }

    /// Downloads found running when the app starts were stopped by its closing: paused.
    pub fn downloads_pause_running(&self) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE model_downloads SET status = 'paused', updated_at = ?1 WHERE status = 'running'",
            [now()],
        )?)
    }

    /// Every download, the latest first.
    pub fn downloads(&self) -> Result<Vec<DownloadRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM model_downloads ORDER BY updated_at DESC, id DESC"
        ))?;
        let rows = st.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn download(&self, id: i64) -> Result<Option<DownloadRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM model_downloads WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?)
    }

    /// The download that made the library model at `path`.
    pub fn download_of_path(&self, path: &str) -> Result<Option<DownloadRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM model_downloads WHERE path = ?1"),
                [path],
                row,
            )
            .optional()?)
    }

    pub fn download_remove(&self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM model_downloads WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_started_progresses_ends_and_is_paused_at_restart() {
        let store = Store::open_in_memory().unwrap();
        let id = store
            .download_start("o/r", "m-Q4_0.gguf", None, Some("m"), 0, 1000)
            .unwrap();
        store.download_progress(id, 400).unwrap();
        let d = store.download(id).unwrap().unwrap();
        assert_eq!(
            (d.status, d.done_bytes, d.total_bytes),
            (DownloadStatus::Running, 400, 1000)
        );
        assert_eq!(store.downloads_pause_running().unwrap(), 1);
        assert_eq!(
            store.download(id).unwrap().unwrap().status,
            DownloadStatus::Paused
        );
        // Asked for again: the same row, running, the catalog name kept.
        let again = store
            .download_start("o/r", "m-Q4_0.gguf", None, None, 400, 1000)
            .unwrap();
        assert_eq!(again, id);
        store
            .download_end(id, DownloadStatus::Failed, Some("checksum mismatch"), None)
            .unwrap();
        let d = store.download(id).unwrap().unwrap();
        assert_eq!(d.status, DownloadStatus::Failed);
        assert_eq!(d.catalog.as_deref(), Some("m"));
        assert_eq!(d.error.as_deref(), Some("checksum mismatch"));
        store
            .download_end(id, DownloadStatus::Done, None, Some("/m/m-Q4_0.gguf"))
            .unwrap();
        assert_eq!(
            store
                .download_of_path("/m/m-Q4_0.gguf")
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert_eq!(store.downloads().unwrap().len(), 1);
        store.download_remove(id).unwrap();
        assert!(store.downloads().unwrap().is_empty());
    }
}
