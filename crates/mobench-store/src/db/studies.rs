//! The SQL of quantization studies and their levels. Each step's result is one UPDATE, committed
//! as it finishes.

use rusqlite::{params, OptionalExtension, Row};

use super::{now, Store};
use crate::studies::{LevelSource, StudyLevelRow, StudyRow, StudyStatus};
use crate::{Result, StoreError};

/// A level's file once it exists.
pub struct LevelFile<'a> {
    pub path: &'a str,
    pub size_bytes: u64,
    pub sha256: &'a str,
    pub quantize_s: Option<f64>,
}

/// A level planned when the study is created.
pub struct NewLevel<'a> {
    pub label: &'a str,
    pub source: LevelSource,
    pub qtype: Option<&'a str>,
    pub path: &'a str,
}

fn study(r: &Row) -> rusqlite::Result<StudyRow> {
    Ok(StudyRow {
        id: r.get("id")?,
        created_at: r.get("created_at")?,
        base_path: r.get("base_path")?,
        settings: r.get("settings")?,
        status: StudyStatus::parse(&r.get::<_, String>("status")?),
        reason: r.get("reason")?,
    })
}

fn level(r: &Row) -> rusqlite::Result<StudyLevelRow> {
    Ok(StudyLevelRow {
        study_id: r.get("study_id")?,
        position: r.get("position")?,
        label: r.get("label")?,
        source: LevelSource::parse(&r.get::<_, String>("source")?),
        qtype: r.get("qtype")?,
        path: r.get("path")?,
        size_bytes: r.get::<_, Option<i64>>("size_bytes")?.map(|v| v as u64),
        sha256: r.get("sha256")?,
        quantize_s: r.get("quantize_s")?,
        suite_run_id: r.get("suite_run_id")?,
        speed_run_id: r.get("speed_run_id")?,
        perplexity: r.get("perplexity")?,
        divergence: r.get("divergence")?,
    })
}

impl Store {
    /// Creates a study and its levels (the base first) in one transaction.
    pub fn create_study(
        &mut self,
        base_path: &str,
        settings_json: &str,
        levels: &[NewLevel],
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO studies (created_at, base_path, settings, status) VALUES (?1, ?2, ?3, ?4)",
            params![
                now(),
                base_path,
                settings_json,
                StudyStatus::Running.as_str()
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (i, l) in levels.iter().enumerate() {
            tx.execute(
                "INSERT INTO study_levels (study_id, position, label, source, qtype, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, i as i64, l.label, l.source.as_str(), l.qtype, l.path],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    pub fn study(&self, id: i64) -> Result<StudyRow> {
        self.conn
            .query_row("SELECT * FROM studies WHERE id = ?1", [id], study)
            .optional()?
            .ok_or(StoreError::NoSuchStudy(id))
    }

    pub fn studies(&self) -> Result<Vec<StudyRow>> {
        let mut st = self.conn.prepare("SELECT * FROM studies ORDER BY id")?;
        let rows = st.query_map([], study)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn study_levels(&self, id: i64) -> Result<Vec<StudyLevelRow>> {
        let mut st = self
            .conn
            .prepare("SELECT * FROM study_levels WHERE study_id = ?1 ORDER BY position")?;
        let rows = st
            .query_map([id], level)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn set_study_status(
        &self,
        id: i64,
        status: StudyStatus,
        reason: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE studies SET status = ?2, reason = ?3 WHERE id = ?1",
            params![id, status.as_str(), reason],
        )?;
        Ok(())
    }

    pub fn set_level_file(&self, id: i64, position: i64, f: &LevelFile) -> Result<()> {
        self.conn.execute(
            "UPDATE study_levels SET path = ?3, size_bytes = ?4, sha256 = ?5, quantize_s = ?6
             WHERE study_id = ?1 AND position = ?2",
            params![
                id,
                position,
                f.path,
                f.size_bytes as i64,
                f.sha256,
                f.quantize_s
            ],
        )?;
        Ok(())
    }

    /// Sets one of the level's result columns: `suite_run_id`, `speed_run_id` (a run id), or
    /// `perplexity`, `divergence` (JSON).
    pub fn set_level_run(
        &self,
        id: i64,
        position: i64,
        column: LevelRun,
        run_id: i64,
    ) -> Result<()> {
        let sql = match column {
            LevelRun::Suite => {
                "UPDATE study_levels SET suite_run_id = ?3 WHERE study_id = ?1 AND position = ?2"
            }
            LevelRun::Speed => {
                "UPDATE study_levels SET speed_run_id = ?3 WHERE study_id = ?1 AND position = ?2"
            }
        };
        self.conn.execute(sql, params![id, position, run_id])?;
        Ok(())
    }

    pub fn set_level_probe(
        &self,
        id: i64,
        position: i64,
        column: LevelProbe,
        json: &str,
    ) -> Result<()> {
        let sql = match column {
            LevelProbe::Perplexity => {
                "UPDATE study_levels SET perplexity = ?3 WHERE study_id = ?1 AND position = ?2"
            }
            LevelProbe::Divergence => {
                "UPDATE study_levels SET divergence = ?3 WHERE study_id = ?1 AND position = ?2"
            }
        };
        self.conn.execute(sql, params![id, position, json])?;
        Ok(())
    }

    pub fn set_study_pid(&self, id: i64, pid: u32) -> Result<()> {
        self.conn.execute(
            "UPDATE studies SET pid = ?2 WHERE id = ?1",
            params![id, pid],
        )?;
        Ok(())
    }

    pub fn study_pid(&self, id: i64) -> Result<Option<u32>> {
        Ok(self
            .conn
            .query_row("SELECT pid FROM studies WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Deletes a study (its runs stay, as ordinary runs).
    pub fn delete_study(&self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM studies WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
pub enum LevelRun {
    Suite,
    Speed,
}

#[derive(Debug, Clone, Copy)]
pub enum LevelProbe {
    Perplexity,
    Divergence,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_study_and_its_levels_round_trip() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .create_study(
                "/m/base.gguf",
                "{}",
                &[
                    NewLevel {
                        label: "base",
                        source: LevelSource::Base,
                        qtype: None,
                        path: "/m/base.gguf",
                    },
                    NewLevel {
                        label: "Q4_0",
                        source: LevelSource::Quantized,
                        qtype: Some("Q4_0"),
                        path: "/m/q.gguf",
                    },
                ],
            )
            .unwrap();
        s.set_level_file(
            id,
            1,
            &LevelFile {
                path: "/m/q.gguf",
                size_bytes: 10,
                sha256: "ab",
                quantize_s: Some(1.5),
            },
        )
        .unwrap();
        s.set_level_probe(id, 1, LevelProbe::Perplexity, "{\"ppl\":3.0}")
            .unwrap();
        let levels = s.study_levels(id).unwrap();
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[1].size_bytes, Some(10));
        assert_eq!(levels[1].perplexity.as_deref(), Some("{\"ppl\":3.0}"));
        assert_eq!(s.study(id).unwrap().status, StudyStatus::Running);
        s.set_study_status(id, StudyStatus::Completed, None)
            .unwrap();
        assert_eq!(s.studies().unwrap()[0].status, StudyStatus::Completed);
        s.delete_study(id).unwrap();
        assert!(
            s.study_levels(id).unwrap().is_empty(),
            "levels go with their study"
        );
        assert!(matches!(s.study(id), Err(StoreError::NoSuchStudy(_))));
    }
}
