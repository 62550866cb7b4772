//! Samples with their scores, and the aggregates derived from them.

use rusqlite::types::Value;
use rusqlite::Row;

use super::{insert_sql, insert_values, int, select_list, stored, Store, Stored};
use crate::aggregate::{self, Computed};
use crate::records::{
    AggregateRow, LlamaCounters, SampleRecord, SampleRow, SampleTimings, ScoreRecord,
};
use crate::Result;

/// The stored columns of a sample, in the table's order; the INSERT and the SELECT come from
/// this list and [`sample_from_row`] reads each by its name.
const SAMPLE_COLUMNS: &[Stored<SampleRecord>] = &[
    stored("dataset_id", |s| s.dataset_id.into()),
    stored("row_index", |s| int(s.row_index as u64)),
    stored("example_id", |s| s.example_id.clone().into()),
    stored("prompt", |s| s.prompt.clone().into()),
    stored("reference", |s| s.reference.clone().into()),
    stored("prediction_raw", |s| s.prediction_raw.clone().into()),
    stored("prediction", |s| s.prediction.clone().into()),
    stored("extra_json", |s| s.extra_json.clone().into()),
    stored("error", |s| s.error.clone().into()),
    stored("truncated", |s| s.truncated.into()),
    stored("stop_reason", |s| s.stop_reason.clone().into()),
    stored("prompt_tokens", |s| int(s.prompt_tokens as u64)),
    stored("output_tokens", |s| int(s.output_tokens as u64)),
    stored("ttft_ms", |s| s.timings.ttft_ms.into()),
    stored("prefill_ms", |s| s.timings.prefill_ms.into()),
    stored("prefill_tokens_per_s", |s| {
        s.timings.prefill_tokens_per_s.into()
    }),
    stored("decode_tokens_per_s", |s| {
        s.timings.decode_tokens_per_s.into()
    }),
    stored("itl_p50_ms", |s| s.timings.itl_p50_ms.into()),
    stored("itl_p95_ms", |s| s.timings.itl_p95_ms.into()),
    stored("itl_max_ms", |s| s.timings.itl_max_ms.into()),
    stored("output_eval_ms", |s| s.timings.output_eval_ms.into()),
    stored("total_ms", |s| s.timings.total_ms.into()),
    stored("decode_calls_ms", |s| s.timings.decode_calls_ms.into()),
    stored("llama_t_p_eval_ms", |s| {
        s.llama.map(|l| l.t_p_eval_ms).into()
    }),
    stored("llama_t_eval_ms", |s| s.llama.map(|l| l.t_eval_ms).into()),
    stored("llama_n_p_eval", |s| s.llama.map(|l| l.n_p_eval).into()),
    stored("llama_n_eval", |s| s.llama.map(|l| l.n_eval).into()),
    stored("image_path", |s| s.image_path.clone().into()),
    stored("image_decode_ms", |s| s.timings.image_decode_ms.into()),
    stored("image_encode_ms", |s| s.timings.image_encode_ms.into()),
    stored("image_tokens", |s| s.image_tokens.map(|n| n as i64).into()),
    stored("prompt_text_tokens", |s| {
        s.prompt_text_tokens.map(|n| n as i64).into()
    }),
];

/// The stored columns of a score.
pub(super) const SCORE_COLUMNS: &[Stored<ScoreRecord>] = &[
    stored("metric", |s| s.metric.clone().into()),
    stored("value", |s| s.value.into()),
    stored("extracted", |s| s.extracted.clone().into()),
    stored("flag", |s| s.flag.clone().into()),
    stored("missing_reason", |s| s.missing_reason.clone().into()),
    stored("grader", |s| s.grader.clone().into()),
];

/// The stored columns of an aggregate: one statistic of one figure over a dataset's samples.
const AGGREGATE_COLUMNS: &[Stored<Computed>] = &[
    stored("dataset_id", |a| a.dataset_id.into()),
    stored("figure", |a| a.figure.clone().into()),
    stored("stat", |a| a.stat.to_string().into()),
    stored("value", |a| a.value.into()),
    stored("n", |a| int(a.n as u64)),
    stored("missing_reason", |a| a.missing_reason.clone().into()),
    stored("grader", |a| a.grader.clone().into()),
];

fn sample_from_row(r: &Row) -> rusqlite::Result<SampleRow> {
    let llama = match (
        r.get("llama_t_p_eval_ms")?,
        r.get("llama_t_eval_ms")?,
        r.get("llama_n_p_eval")?,
        r.get("llama_n_eval")?,
    ) {
        (Some(t_p_eval_ms), Some(t_eval_ms), Some(n_p_eval), Some(n_eval)) => Some(LlamaCounters {
            t_p_eval_ms,
            t_eval_ms,
            n_p_eval,
            n_eval,
        }),
        _ => None,
    };
    let timings = read!(
        r,
        SampleTimings {
            ttft_ms,
            prefill_ms,
            decode_calls_ms,
            prefill_tokens_per_s,
            decode_tokens_per_s,
            itl_p50_ms,
            itl_p95_ms,
            itl_max_ms,
            output_eval_ms,
            total_ms,
            image_decode_ms,
            image_encode_ms,
        }
    );
    let sample = read!(
        r,
        SampleRecord {
            dataset_id,
            row_index,
            example_id,
            prompt,
            reference,
            prediction_raw,
            prediction,
            extra_json,
            error,
            truncated,
            stop_reason,
            prompt_tokens,
            output_tokens,
            image_path,
            image_tokens,
            prompt_text_tokens,
            timings: timings,
            llama: llama,
            scores: Vec::new(),
        }
    );
    Ok(read!(
        r,
        SampleRow {
            id,
            dataset,
            task,
            sample: sample
        }
    ))
}

fn score_from_row(r: &Row) -> rusqlite::Result<ScoreRecord> {
    Ok(read!(
        r,
        ScoreRecord {
            metric,
            value,
            extracted,
            flag,
            missing_reason,
            grader,
        }
    ))
}

impl Store {
    /// Row indices already finished for one dataset of a run.
    pub fn finished_rows(&self, run_id: i64, dataset_id: i64) -> Result<Vec<usize>> {
        let mut st = self.conn.prepare(
            "SELECT row_index FROM samples WHERE run_id = ?1 AND dataset_id = ?2 ORDER BY row_index",
        )?;
        let rows = st
            .query_map([run_id, dataset_id], |r| {
                r.get::<_, i64>(0).map(|v| v as usize)
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Commits one finished sample with its scores, atomically.
    pub fn insert_sample(&mut self, run_id: i64, s: &SampleRecord) -> Result<i64> {
        let tx = self.conn.transaction()?;
        // Prepared once per connection: this runs after every sample.
        tx.prepare_cached(&insert_sql(
            "samples",
            &["run_id", "finished_at"],
            SAMPLE_COLUMNS,
        ))?
        .execute(insert_values(
            [Value::from(run_id), super::now().into()],
            SAMPLE_COLUMNS,
            s,
        ))?;
        let sample_id = tx.last_insert_rowid();
        let mut insert_score =
            tx.prepare_cached(&insert_sql("sample_scores", &["sample_id"], SCORE_COLUMNS))?;
        for sc in &s.scores {
            insert_score.execute(insert_values([Value::from(sample_id)], SCORE_COLUMNS, sc))?;
        }
        drop(insert_score);
        tx.commit()?;
        Ok(sample_id)
    }

    /// Samples of a run in plan order, with their scores.
    pub fn samples(&self, run_id: i64) -> Result<Vec<SampleRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT s.id AS id, d.name AS dataset, d.task AS task, {}
             FROM samples s JOIN datasets d ON d.id = s.dataset_id
             JOIN run_datasets rd ON rd.run_id = s.run_id AND rd.dataset_id = s.dataset_id
             WHERE s.run_id = ?1 ORDER BY rd.position, s.row_index",
            select_list("s", SAMPLE_COLUMNS)
        ))?;
        let mut rows: Vec<SampleRow> = st
            .query_map([run_id], sample_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut sc = self.conn.prepare(&format!(
            "SELECT sc.sample_id AS sample_id, {}
             FROM sample_scores sc WHERE sc.sample_id IN (SELECT id FROM samples WHERE run_id = ?1)
             ORDER BY sc.sample_id, sc.rowid",
            select_list("sc", SCORE_COLUMNS)
        ))?;
        let scores = sc
            .query_map([run_id], |r| {
                Ok((r.get::<_, i64>("sample_id")?, score_from_row(r)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut by_id: std::collections::HashMap<i64, Vec<ScoreRecord>> = Default::default();
        for (id, s) in scores {
            by_id.entry(id).or_default().push(s);
        }
        for row in &mut rows {
            row.sample.scores = by_id.remove(&row.id).unwrap_or_default();
        }
        Ok(rows)
    }

    /// Tokens generated by a run's samples (battery drain and energy per token use it).
    pub fn generated_tokens(&self, run_id: i64) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(output_tokens), 0) FROM samples WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?)
    }

    /// Recomputes a run's per-dataset aggregates from its samples.
    pub fn compute_aggregates(&mut self, run_id: i64) -> Result<()> {
        let samples = self.samples(run_id)?;
        let datasets = self.run_datasets(run_id)?;
        let rows = aggregate::compute(&datasets, &samples);
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM aggregates WHERE run_id = ?1", [run_id])?;
        let sql = insert_sql("aggregates", &["run_id"], AGGREGATE_COLUMNS);
        for a in &rows {
            tx.execute(
                &sql,
                insert_values([Value::from(run_id)], AGGREGATE_COLUMNS, a),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn aggregates(&self, run_id: i64) -> Result<Vec<AggregateRow>> {
        let mut st = self.conn.prepare(
            "SELECT a.dataset_id AS dataset_id, d.name AS dataset, d.task AS task,
                    a.figure AS figure, a.stat AS stat, a.value AS value, a.n AS n,
                    a.missing_reason AS missing_reason, a.grader AS grader
             FROM aggregates a JOIN datasets d ON d.id = a.dataset_id
             JOIN run_datasets rd ON rd.run_id = a.run_id AND rd.dataset_id = a.dataset_id
             WHERE a.run_id = ?1 ORDER BY rd.position, a.rowid",
        )?;
        let rows = st
            .query_map([run_id], |r| {
                Ok(read!(
                    r,
                    AggregateRow {
                        dataset_id,
                        dataset,
                        task,
                        figure,
                        stat,
                        value,
                        n,
                        missing_reason,
                        grader,
                    }
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Each figure's mean over all of a run's samples, pooled from the per-dataset means
    /// (weighted by how many samples each has): `(run_id, figure, value)` for every run.
    pub fn pooled_means(&self) -> Result<Vec<(i64, String, Option<f64>)>> {
        self.pooled(None)
    }

    /// [`Store::pooled_means`] of one run.
    pub fn pooled_means_of(&self, run_id: i64) -> Result<Vec<(String, Option<f64>)>> {
        Ok(self
            .pooled(Some(run_id))?
            .into_iter()
            .map(|(_, f, v)| (f, v))
            .collect())
    }

    fn pooled(&self, run_id: Option<i64>) -> Result<Vec<(i64, String, Option<f64>)>> {
        let mut st = self.conn.prepare(
            "SELECT run_id, figure,
                    SUM(value * n) / NULLIF(SUM(CASE WHEN value IS NULL THEN 0 ELSE n END), 0)
             FROM aggregates WHERE stat = 'mean' AND (?1 IS NULL OR run_id = ?1)
             GROUP BY run_id, figure ORDER BY run_id, MIN(rowid)",
        )?;
        let rows = st
            .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{test_new_run, test_run};
    use crate::{NewDataset, PlannedDataset, RunKind};
    use rusqlite::params;

    #[test]
    fn pooled_means_weigh_datasets_by_their_samples_and_skip_missing_values() {
        let (mut store, run_id) = test_run(RunKind::Suite);
        let model_id = store.run(run_id).unwrap().model.id;
        let second = store
            .create_run(&test_new_run(RunKind::Suite, model_id), &[])
            .unwrap();
        let d = |name: &str| {
            store
                .upsert_dataset(&NewDataset {
                    name: name.into(),
                    task: "t".into(),
                    suite: "s".into(),
                    sha256: name.into(),
                    rows: 10,
                })
                .unwrap()
        };
        let (a, b) = (d("a"), d("b"));
        let put = |run: i64, ds: i64, figure: &str, stat: &str, value: Option<f64>, n: i64| {
            store
                .conn
                .execute(
                    "INSERT INTO aggregates (run_id, dataset_id, figure, stat, value, n, missing_reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![run, ds, figure, stat, value, n, value.is_none().then_some("none")],
                )
                .unwrap();
        };
        put(run_id, a, "f1", "mean", Some(1.0), 1);
        put(run_id, b, "f1", "mean", Some(0.0), 3);
        put(run_id, a, "f1", "median", Some(9.0), 1);
        put(run_id, a, "ttft_ms", "mean", None, 0);
        put(second, a, "f1", "mean", Some(0.5), 2);
        assert_eq!(
            store.pooled_means_of(run_id).unwrap(),
            vec![
                ("f1".to_string(), Some(0.25)),
                ("ttft_ms".to_string(), None)
            ]
        );
        let all = store.pooled_means().unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[2], (second, "f1".to_string(), Some(0.5)));
    }

    #[test]
    fn a_sample_and_its_scores_come_back_as_stored() {
        let (mut store, _) = test_run(RunKind::Suite);
        let model_id = store.run(1).unwrap().model.id;
        let dataset_id = store
            .upsert_dataset(&NewDataset {
                name: "d".into(),
                task: "qa".into(),
                suite: "s".into(),
                sha256: "d".into(),
                rows: 3,
            })
            .unwrap();
        let plan = [PlannedDataset {
            dataset_id,
            task_version: 2,
            rows: vec![0, 2],
            metrics: vec!["exact_match".into()],
        }];
        let run_id = store
            .create_run(&test_new_run(RunKind::Suite, model_id), &plan)
            .unwrap();
        let record = SampleRecord {
            row_index: 2,
            example_id: Some("ex-2".into()),
            prompt: "p".into(),
            reference: "r".into(),
            prediction_raw: " a ".into(),
            prediction: "a".into(),
            extra_json: None,
            error: Some("e".into()),
            truncated: true,
            stop_reason: "max_tokens".into(),
            prompt_tokens: 7,
            output_tokens: 3,
            timings: SampleTimings {
                ttft_ms: Some(1.5),
                prefill_ms: Some(1.0),
                decode_calls_ms: Some(2.0),
                prefill_tokens_per_s: Some(7000.0),
                decode_tokens_per_s: None,
                itl_p50_ms: Some(0.5),
                itl_p95_ms: Some(0.75),
                itl_max_ms: Some(1.0),
                output_eval_ms: Some(1.25),
                total_ms: 4.0,
                image_decode_ms: Some(3.5),
                image_encode_ms: Some(12.25),
            },
            image_path: Some("/data/vqav2/images/1.jpg".into()),
            image_tokens: Some(16),
            prompt_text_tokens: Some(9),
            llama: Some(LlamaCounters {
                t_p_eval_ms: 1.0,
                t_eval_ms: 2.0,
                n_p_eval: 7,
                n_eval: 2,
            }),
            scores: vec![ScoreRecord {
                metric: "exact_match".into(),
                value: None,
                extracted: Some("a".into()),
                flag: None,
                missing_reason: Some("no answer".into()),
                grader: "g".into(),
            }],
            dataset_id,
        };
        let id = store.insert_sample(run_id, &record).unwrap();
        let back = store.samples(run_id).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(
            (back[0].id, back[0].dataset.as_str(), back[0].task.as_str()),
            (id, "d", "qa")
        );
        assert_eq!(back[0].sample, record);
        assert_eq!(store.finished_rows(run_id, dataset_id).unwrap(), vec![2]);
        assert_eq!(store.generated_tokens(run_id).unwrap(), 3);
        let run = store.run(run_id).unwrap();
        assert_eq!((run.samples_done, run.samples_total), (1, 2));
        let datasets = store.run_datasets(run_id).unwrap();
        assert_eq!(
            (datasets[0].rows.clone(), datasets[0].task_version),
            (vec![0, 2], 2)
        );
        // The row's JSON is flat, as the app and `show --json` read it.
        let json = serde_json::to_value(&back[0]).unwrap();
        assert_eq!(json["prompt"], "p");
        assert_eq!(json["timings"]["total_ms"], 4.0);
    }
}
