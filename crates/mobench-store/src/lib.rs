//! The run database. One SQLite file, schema versioned in `user_version`, WAL and foreign keys
//! on every connection. Every finished sample is committed on its own, so a killed process loses
//! at most the sample in flight.

mod aggregate;
pub mod export;
pub mod library;
mod migrations;
mod records;
pub mod resources;
pub mod speed;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

pub use aggregate::{percentile, Stats, TIMING_FIGURES};
pub use records::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("database {path} has schema version {found}, newer than this mobench understands ({supported}); upgrade mobench")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "database schema migration {version} failed: {message}; the database was left as it was"
    )]
    Migration { version: usize, message: String },
    #[error("no run with id {0}")]
    NoSuchRun(i64),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database holds invalid JSON in {what}: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
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

    // ---- models and datasets ----

    pub fn upsert_model(&self, m: &NewModel) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO models (path, sha256, size_bytes, name, architecture, n_params, quantization,
                                 n_ctx_train, has_chat_template, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (path, sha256) DO UPDATE SET name = ?4, architecture = ?5, n_params = ?6,
                 quantization = ?7, n_ctx_train = ?8, has_chat_template = ?9",
            params![
                m.path,
                m.sha256,
                m.size_bytes as i64,
                m.name,
                m.architecture,
                m.n_params as i64,
                m.quantization,
                m.n_ctx_train,
                m.has_chat_template,
                now()
            ],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM models WHERE path = ?1 AND sha256 = ?2",
            params![m.path, m.sha256],
            |r| r.get(0),
        )?)
    }

    pub fn model(&self, id: i64) -> Result<ModelRow> {
        Ok(self.conn.query_row(
            &format!("SELECT {} FROM models WHERE id = ?1", ModelRow::COLUMNS),
            [id],
            ModelRow::from_row,
        )?)
    }

    pub fn upsert_dataset(&self, d: &NewDataset) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO datasets (name, task, suite, sha256, rows) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name, sha256) DO NOTHING",
            params![d.name, d.task, d.suite, d.sha256, d.rows as i64],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM datasets WHERE name = ?1 AND sha256 = ?2",
            params![d.name, d.sha256],
            |r| r.get(0),
        )?)
    }

    // ---- runs ----

    /// Creates a run and its dataset plan in one transaction.
    pub fn create_run(&mut self, run: &NewRun, plan: &[PlannedDataset]) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (kind, model_id, status, settings_json, app_version, llama_version,
                               device_json, started_at, pid)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                run.kind,
                run.model_id,
                run.settings_json,
                run.app_version,
                run.llama_version,
                run.device_json,
                now(),
                std::process::id()
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        for (pos, p) in plan.iter().enumerate() {
            tx.execute(
                "INSERT INTO run_datasets (run_id, dataset_id, position, task_version, rows_json, metrics_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run_id,
                    p.dataset_id,
                    pos as i64,
                    p.task_version,
                    serde_json::to_string(&p.rows).unwrap_or_default(),
                    serde_json::to_string(&p.metrics).unwrap_or_default(),
                ],
            )?;
        }
        tx.commit()?;
        Ok(run_id)
    }

    pub fn set_status(&self, run_id: i64, status: RunStatus, failure: Option<&str>) -> Result<()> {
        let finished = (status != RunStatus::Running).then(now);
        let n = self.conn.execute(
            "UPDATE runs SET status = ?2, failure = ?3, finished_at = ?4 WHERE id = ?1",
            params![run_id, status.as_str(), failure, finished],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchRun(run_id));
        }
        Ok(())
    }

    pub fn record_load(&self, run_id: i64, load: &NewLoad) -> Result<()> {
        self.conn.execute(
            "INSERT INTO run_loads (run_id, cold, model_load_ms, context_ms, n_ctx, at,
                                    backend, gpu_layers_offloaded, layers_total)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run_id,
                load.cold,
                load.model_load_ms,
                load.context_ms,
                load.n_ctx,
                now(),
                load.backend,
                load.gpu_layers_offloaded,
                load.layers_total,
            ],
        )?;
        Ok(())
    }

    pub fn loads(&self, run_id: i64) -> Result<Vec<LoadRow>> {
        let mut st = self.conn.prepare(
            "SELECT cold, model_load_ms, context_ms, n_ctx, at, backend, gpu_layers_offloaded,
                    layers_total
             FROM run_loads WHERE run_id = ?1 ORDER BY id",
        )?;
        let rows = st
            .query_map([run_id], |r| {
                Ok(LoadRow {
                    cold: r.get(0)?,
                    model_load_ms: r.get(1)?,
                    context_ms: r.get(2)?,
                    n_ctx: r.get(3)?,
                    at: r.get(4)?,
                    backend: r.get(5)?,
                    gpu_layers_offloaded: r.get(6)?,
                    layers_total: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn run(&self, run_id: i64) -> Result<RunRow> {
        self.conn
            .query_row(
                &format!("{} WHERE r.id = ?1", RunRow::SELECT),
                [run_id],
                RunRow::from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSuchRun(run_id))
    }

    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let mut st = self
            .conn
            .prepare(&format!("{} ORDER BY r.id", RunRow::SELECT))?;
        let rows = st
            .query_map([], RunRow::from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn run_datasets(&self, run_id: i64) -> Result<Vec<RunDatasetRow>> {
        let mut st = self.conn.prepare(
            "SELECT d.id, d.name, d.task, d.suite, d.sha256, d.rows, rd.task_version, rd.rows_json, rd.metrics_json
             FROM run_datasets rd JOIN datasets d ON d.id = rd.dataset_id
             WHERE rd.run_id = ?1 ORDER BY rd.position",
        )?;
        let raw = st
            .query_map([run_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(
                |(id, name, task, suite, sha256, rows, tv, rows_json, metrics_json)| {
                    Ok(RunDatasetRow {
                        dataset_id: id,
                        name,
                        task,
                        suite,
                        sha256,
                        dataset_rows: rows as usize,
                        task_version: tv as u32,
                        rows: serde_json::from_str(&rows_json).map_err(|source| {
                            StoreError::Json {
                                what: "run_datasets.rows_json",
                                source,
                            }
                        })?,
                        metrics: serde_json::from_str(&metrics_json).map_err(|source| {
                            StoreError::Json {
                                what: "run_datasets.metrics_json",
                                source,
                            }
                        })?,
                    })
                },
            )
            .collect()
    }

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
        tx.prepare_cached(
            "INSERT INTO samples (run_id, dataset_id, row_index, example_id, prompt, reference,
                prediction_raw, prediction, extra_json, error, truncated, stop_reason, prompt_tokens,
                output_tokens, ttft_ms, prefill_ms, prefill_tokens_per_s, decode_tokens_per_s,
                itl_p50_ms, itl_p95_ms, itl_max_ms, output_eval_ms, total_ms, llama_t_p_eval_ms,
                llama_t_eval_ms, llama_n_p_eval, llama_n_eval, finished_at, decode_calls_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                     ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
        )?
        .execute(params![
                run_id,
                s.dataset_id,
                s.row_index as i64,
                s.example_id,
                s.prompt,
                s.reference,
                s.prediction_raw,
                s.prediction,
                s.extra_json,
                s.error,
                s.truncated,
                s.stop_reason,
                s.prompt_tokens as i64,
                s.output_tokens as i64,
                s.timings.ttft_ms,
                s.timings.prefill_ms,
                s.timings.prefill_tokens_per_s,
                s.timings.decode_tokens_per_s,
                s.timings.itl_p50_ms,
                s.timings.itl_p95_ms,
                s.timings.itl_max_ms,
                s.timings.output_eval_ms,
                s.timings.total_ms,
                s.llama.map(|l| l.t_p_eval_ms),
                s.llama.map(|l| l.t_eval_ms),
                s.llama.map(|l| l.n_p_eval),
                s.llama.map(|l| l.n_eval),
                now(),
                s.timings.decode_calls_ms,
        ])?;
        let sample_id = tx.last_insert_rowid();
        for sc in &s.scores {
            tx.prepare_cached(
                "INSERT INTO sample_scores (sample_id, metric, value, extracted, flag, missing_reason, grader)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                    sample_id,
                    sc.metric,
                    sc.value,
                    sc.extracted,
                    sc.flag,
                    sc.missing_reason,
                    sc.grader
                ],
            )?;
        }
        tx.commit()?;
        Ok(sample_id)
    }

    /// Samples of a run in plan order, with their scores.
    pub fn samples(&self, run_id: i64) -> Result<Vec<SampleRow>> {
        let mut st = self.conn.prepare(&format!(
            "{} WHERE s.run_id = ?1 ORDER BY rd.position, s.row_index",
            SampleRow::SELECT
        ))?;
        let mut rows: Vec<SampleRow> = st
            .query_map([run_id], SampleRow::from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut sc = self.conn.prepare(
            "SELECT sample_id, metric, value, extracted, flag, missing_reason, grader
             FROM sample_scores WHERE sample_id IN (SELECT id FROM samples WHERE run_id = ?1)
             ORDER BY sample_id, rowid",
        )?;
        let scores = sc
            .query_map([run_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    ScoreRecord {
                        metric: r.get(1)?,
                        value: r.get(2)?,
                        extracted: r.get(3)?,
                        flag: r.get(4)?,
                        missing_reason: r.get(5)?,
                        grader: r.get(6)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut by_id: std::collections::HashMap<i64, Vec<ScoreRecord>> = Default::default();
        for (id, s) in scores {
            by_id.entry(id).or_default().push(s);
        }
        for row in &mut rows {
            row.scores = by_id.remove(&row.id).unwrap_or_default();
        }
        Ok(rows)
    }

    /// Recomputes a run's per-dataset aggregates from its samples.
    pub fn compute_aggregates(&mut self, run_id: i64) -> Result<()> {
        let samples = self.samples(run_id)?;
        let datasets = self.run_datasets(run_id)?;
        let rows = aggregate::compute(&datasets, &samples);
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM aggregates WHERE run_id = ?1", [run_id])?;
        for a in rows {
            tx.execute(
                "INSERT INTO aggregates (run_id, dataset_id, figure, stat, value, n, missing_reason, grader)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    run_id,
                    a.dataset_id,
                    a.figure,
                    a.stat,
                    a.value,
                    a.n as i64,
                    a.missing_reason,
                    a.grader
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn aggregates(&self, run_id: i64) -> Result<Vec<AggregateRow>> {
        let mut st = self.conn.prepare(
            "SELECT a.dataset_id, d.name, d.task, a.figure, a.stat, a.value, a.n, a.missing_reason, a.grader
             FROM aggregates a JOIN datasets d ON d.id = a.dataset_id
             JOIN run_datasets rd ON rd.run_id = a.run_id AND rd.dataset_id = a.dataset_id
             WHERE a.run_id = ?1 ORDER BY rd.position, a.rowid",
        )?;
        let rows = st
            .query_map([run_id], |r| {
                Ok(AggregateRow {
                    dataset_id: r.get(0)?,
                    dataset: r.get(1)?,
                    task: r.get(2)?,
                    figure: r.get(3)?,
                    stat: r.get(4)?,
                    value: r.get(5)?,
                    n: r.get::<_, i64>(6)? as usize,
                    missing_reason: r.get(7)?,
                    grader: r.get(8)?,
                })
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

    /// Takes over a run for resuming: this process becomes its owner and it is `running` again.
    pub fn claim_run(&self, run_id: i64) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE runs SET status = 'running', failure = NULL, finished_at = NULL, pid = ?2 WHERE id = ?1",
            params![run_id, std::process::id()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchRun(run_id));
        }
        Ok(())
    }

    /// Runs marked `running` with the process id that owns them.
    pub fn running_runs(&self) -> Result<Vec<(i64, Option<u32>)>> {
        let mut st = self
            .conn
            .prepare("SELECT id, pid FROM runs WHERE status = 'running'")?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Tokens generated by a run's samples (battery drain and energy per token use it).
    pub fn generated_tokens(&self, run_id: i64) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(output_tokens), 0) FROM samples WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    pub fn delete_run(&self, run_id: i64) -> Result<()> {
        if self
            .conn
            .execute("DELETE FROM runs WHERE id = ?1", [run_id])?
            == 0
        {
            return Err(StoreError::NoSuchRun(run_id));
        }
        Ok(())
    }
}

/// A database with one model and one run of `kind`, for the store's unit tests.
#[cfg(test)]
pub(crate) fn test_run(kind: &str) -> (Store, i64) {
    let mut store = Store::open_in_memory().unwrap();
    let model_id = store
        .upsert_model(&NewModel {
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
pub(crate) fn test_new_run(kind: &str, model_id: i64) -> NewRun {
    NewRun {
        kind: kind.into(),
        model_id,
        settings_json: "{}".into(),
        app_version: "t".into(),
        llama_version: "t".into(),
        device_json: "{}".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_means_weigh_datasets_by_their_samples_and_skip_missing_values() {
        let (mut store, run_id) = test_run("suite");
        let model_id = store.run(run_id).unwrap().model.id;
        let second = store
            .create_run(&test_new_run("suite", model_id), &[])
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
}
