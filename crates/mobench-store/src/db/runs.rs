//! Models, datasets, runs, their plans and their model loads.

use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Row};

use super::{insert_sql, insert_values, int, json, now, select_list, stored, Store, Stored};
use crate::records::{
    LoadRow, ModelRow, NewDataset, NewLoad, NewModel, NewRun, PlannedDataset, ProjectorRecord,
    RunDatasetRow, RunKind, RunRow, RunStatus,
};
use crate::{Result, StoreError};

/// The stored columns of a model; a file is known by its path and content (`path`, `sha256`).
const MODEL_COLUMNS: &[Stored<NewModel>] = &[
    stored("path", |m| m.path.clone().into()),
    stored("sha256", |m| m.sha256.clone().into()),
    stored("size_bytes", |m| int(m.size_bytes)),
    stored("name", |m| m.name.clone().into()),
    stored("architecture", |m| m.architecture.clone().into()),
    stored("n_params", |m| int(m.n_params)),
    stored("quantization", |m| m.quantization.clone().into()),
    stored("n_ctx_train", |m| m.n_ctx_train.into()),
    stored("has_chat_template", |m| m.has_chat_template.into()),
];

/// The model columns of a SELECT, `m.id AS m_id, ...` under `alias` and `prefix`.
fn model_select(alias: &str, prefix: &str) -> String {
    std::iter::once("id")
        .chain(MODEL_COLUMNS.iter().map(|c| c.name))
        .map(|c| format!("{alias}.{c} AS {prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn model_from_row(r: &Row, prefix: &str) -> rusqlite::Result<ModelRow> {
    Ok(read!(r, prefix => ModelRow {
        id,
        path,
        sha256,
        size_bytes,
        name,
        architecture,
        n_params,
        quantization,
        n_ctx_train,
        has_chat_template,
    }))
}

/// A run row with its progress and its model, every column named.
fn run_select() -> String {
    format!(
        "SELECT r.id AS id, r.kind AS kind, r.status AS status, r.failure AS failure,
            r.settings_json AS settings_json, r.app_version AS app_version,
            r.llama_version AS llama_version, r.device_json AS device_json,
            r.started_at AS started_at, r.finished_at AS finished_at,
            r.projector_json AS projector_json, r.uuid AS uuid, r.device_id AS device_id,
            r.origin AS origin,
            (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id) AS samples_done,
            (SELECT COALESCE(SUM(json_array_length(rd.rows_json)), 0) FROM run_datasets rd
             WHERE rd.run_id = r.id) AS samples_total,
            {}
         FROM runs r JOIN models m ON m.id = r.model_id",
        model_select("m", "m_")
    )
}

fn run_from_row(r: &Row) -> rusqlite::Result<RunRow> {
    Ok(read!(
        r,
        RunRow {
            id,
            kind: RunKind::parse(&r.get::<_, String>("kind")?),
            status: RunStatus::parse(&r.get::<_, String>("status")?),
            failure,
            settings_json,
            app_version,
            llama_version,
            device_json,
            started_at,
            finished_at,
            samples_done,
            samples_total,
            model: model_from_row(r, "m_")?,
            projector: projector_from(r.get("projector_json")?)?,
            uuid,
            device_id,
            origin,
        }
    ))
}

fn projector_from(text: Option<String>) -> rusqlite::Result<Option<ProjectorRecord>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

/// The stored columns of a dataset in a run's plan (its position is the plan's order).
const PLAN_COLUMNS: &[Stored<PlannedDataset>] = &[
    stored("dataset_id", |p| p.dataset_id.into()),
    stored("task_version", |p| p.task_version.into()),
    stored("rows_json", |p| {
        serde_json::to_string(&p.rows).unwrap_or_default().into()
    }),
    stored("metrics_json", |p| {
        serde_json::to_string(&p.metrics).unwrap_or_default().into()
    }),
];

/// The stored columns of a model load.
const LOAD_COLUMNS: &[Stored<NewLoad>] = &[
    stored("cold", |l| l.cold.into()),
    stored("model_load_ms", |l| l.model_load_ms.into()),
    stored("projector_load_ms", |l| l.projector_load_ms.into()),
    stored("context_ms", |l| l.context_ms.into()),
    stored("n_ctx", |l| l.n_ctx.into()),
    stored("backend", |l| l.backend.clone().into()),
    stored("gpu_layers_offloaded", |l| l.gpu_layers_offloaded.into()),
    stored("layers_total", |l| l.layers_total.into()),
];

impl Store {
    pub fn upsert_model(&self, m: &NewModel) -> Result<i64> {
        // Known again (same path and content): what was read from its header is refreshed.
        let refresh: Vec<String> = MODEL_COLUMNS
            .iter()
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect();
        self.conn.execute(
            &format!(
                "{} ON CONFLICT (path, sha256) DO UPDATE SET {}",
                insert_sql("models", &["added_at"], MODEL_COLUMNS),
                refresh.join(", ")
            ),
            insert_values([Value::from(now())], MODEL_COLUMNS, m),
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM models WHERE path = ?1 AND sha256 = ?2",
            params![m.path, m.sha256],
            |r| r.get(0),
        )?)
    }

    pub fn model(&self, id: i64) -> Result<ModelRow> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT {} FROM models m WHERE m.id = ?1",
                model_select("m", "")
            ),
            [id],
            |r| model_from_row(r, ""),
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

    /// Creates a run and its dataset plan in one transaction.
    pub fn create_run(&mut self, run: &NewRun, plan: &[PlannedDataset]) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (kind, model_id, status, settings_json, app_version, llama_version,
                               device_json, started_at, pid, projector_json, uuid, device_id)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                     (SELECT id FROM devices WHERE here = 1))",
            params![
                run.kind.as_str(),
                run.model_id,
                run.settings_json,
                run.app_version,
                run.llama_version,
                run.device_json,
                now(),
                std::process::id(),
                run.projector
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|source| StoreError::Json {
                        what: "projector",
                        source
                    })?,
                uuid::Uuid::now_v7().to_string(),
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        let sql = insert_sql("run_datasets", &["run_id", "position"], PLAN_COLUMNS);
        for (pos, p) in plan.iter().enumerate() {
            tx.execute(
                &sql,
                insert_values([Value::from(run_id), int(pos as u64)], PLAN_COLUMNS, p),
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
        found(n, run_id)
    }

    pub fn record_load(&self, run_id: i64, load: &NewLoad) -> Result<()> {
        self.conn.execute(
            &insert_sql("run_loads", &["run_id", "at"], LOAD_COLUMNS),
            insert_values([Value::from(run_id), now().into()], LOAD_COLUMNS, load),
        )?;
        Ok(())
    }

    pub fn loads(&self, run_id: i64) -> Result<Vec<LoadRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT l.at AS at, {} FROM run_loads l WHERE l.run_id = ?1 ORDER BY l.id",
            select_list("l", LOAD_COLUMNS)
        ))?;
        let rows = st
            .query_map([run_id], |r| {
                Ok(read!(
                    r,
                    LoadRow {
                        cold,
                        model_load_ms,
                        projector_load_ms,
                        context_ms,
                        n_ctx,
                        at,
                        backend,
                        gpu_layers_offloaded,
                        layers_total,
                    }
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn run(&self, run_id: i64) -> Result<RunRow> {
        self.conn
            .query_row(
                &format!("{} WHERE r.id = ?1", run_select()),
                [run_id],
                run_from_row,
            )
            .optional()?
            .ok_or(StoreError::NoSuchRun(run_id))
    }

    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let mut st = self
            .conn
            .prepare(&format!("{} ORDER BY r.id", run_select()))?;
        let rows = st
            .query_map([], run_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn run_datasets(&self, run_id: i64) -> Result<Vec<RunDatasetRow>> {
        let mut st = self.conn.prepare(
            "SELECT d.id AS dataset_id, d.name AS name, d.task AS task, d.suite AS suite,
                    d.sha256 AS sha256, d.rows AS dataset_rows, rd.task_version AS task_version,
                    rd.rows_json AS rows_json, rd.metrics_json AS metrics_json
             FROM run_datasets rd JOIN datasets d ON d.id = rd.dataset_id
             WHERE rd.run_id = ?1 ORDER BY rd.position",
        )?;
        let mut rows = st.query([run_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read!(
                r,
                RunDatasetRow {
                    dataset_id,
                    name,
                    task,
                    suite,
                    sha256,
                    dataset_rows,
                    task_version,
                    rows: json(r, "rows_json", "run_datasets.rows_json")?,
                    metrics: json(r, "metrics_json", "run_datasets.metrics_json")?,
                }
            ));
        }
        Ok(out)
    }

    /// Takes over a run for resuming: this process becomes its owner and it is `running` again.
    pub fn claim_run(&self, run_id: i64) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE runs SET status = 'running', failure = NULL, finished_at = NULL, pid = ?2 WHERE id = ?1",
            params![run_id, std::process::id()],
        )?;
        found(n, run_id)
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

    pub fn delete_run(&self, run_id: i64) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM runs WHERE id = ?1", [run_id])?;
        found(n, run_id)
    }
}

/// An update that touched no row names a run that is not there.
fn found(updated: usize, run_id: i64) -> Result<()> {
    if updated == 0 {
        return Err(StoreError::NoSuchRun(run_id));
    }
    Ok(())
}
