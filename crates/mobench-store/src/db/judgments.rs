//! The judgment cache: a judge's answer or an embedding, by its maker and exact input; and the
//! scores a grading pass adds to stored samples.

use rusqlite::{params, OptionalExtension};

use super::{insert_sql, insert_values, now, Store};
use crate::records::ScoreRecord;
use crate::Result;

impl Store {
    /// The answer `grader` gave to the input whose sha256 is `input_hash`, if it was asked.
    pub fn judgment(&self, grader: &str, input_hash: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT output FROM judgments WHERE grader = ?1 AND input_hash = ?2",
                params![grader, input_hash],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Keeps a judge's answer (committed at once: a kill loses at most the one in flight).
    pub fn put_judgment(&self, grader: &str, input_hash: &str, output: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO judgments (grader, input_hash, output, at)
             VALUES (?1, ?2, ?3, ?4)",
            params![grader, input_hash, output, now()],
        )?;
        Ok(())
    }

    /// The vector `embedder` made of the input whose sha256 is `input_hash`, if it was asked.
    pub fn embedding(&self, embedder: &str, input_hash: &str) -> Result<Option<Vec<f32>>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT vector FROM embeddings WHERE embedder = ?1 AND input_hash = ?2",
                params![embedder, input_hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok(blob.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    pub fn put_embedding(&self, embedder: &str, input_hash: &str, vector: &[f32]) -> Result<()> {
        let blob: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.conn.execute(
            "INSERT OR REPLACE INTO embeddings (embedder, input_hash, dim, vector, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![embedder, input_hash, vector.len() as i64, blob, now()],
        )?;
        Ok(())
    }

    /// Adds scores to a stored sample, replacing any of the same metric (the same grader grading
    /// again); the sample's other scores are kept.
    pub fn put_scores(&mut self, sample_id: i64, scores: &[ScoreRecord]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx
                .prepare_cached("DELETE FROM sample_scores WHERE sample_id = ?1 AND metric = ?2")?;
            let mut ins = tx.prepare_cached(&insert_sql(
                "sample_scores",
                &["sample_id"],
                super::samples::SCORE_COLUMNS,
            ))?;
            for sc in scores {
                del.execute(params![sample_id, sc.metric])?;
                ins.execute(insert_values(
                    [sample_id.into()],
                    super::samples::SCORE_COLUMNS,
                    sc,
                ))?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::db::test_run;
    use crate::RunKind;

    #[test]
    fn judgments_and_embeddings_are_kept_by_maker_and_input() {
        let (store, _) = test_run(RunKind::Suite);
        assert_eq!(store.judgment("judge:a", "h1").unwrap(), None);
        store.put_judgment("judge:a", "h1", "Correct.").unwrap();
        assert_eq!(
            store.judgment("judge:a", "h1").unwrap().as_deref(),
            Some("Correct.")
        );
        assert_eq!(store.judgment("judge:b", "h1").unwrap(), None);
        store.put_embedding("embed:e", "h1", &[0.6, -0.8]).unwrap();
        assert_eq!(
            store.embedding("embed:e", "h1").unwrap(),
            Some(vec![0.6, -0.8])
        );
        assert_eq!(store.embedding("embed:e", "h2").unwrap(), None);
    }
}
