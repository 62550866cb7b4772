-- A run the app stopped because it went to the background is 'paused' (it resumes by itself when
-- the app returns; if the system kills the app meanwhile, it stays resumable). SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt (SQLite's "making other kinds of
-- table schema changes" procedure; the migration runner turns foreign keys off around it and
-- checks them before committing).
CREATE TABLE runs_new (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL DEFAULT 'suite',
    model_id      INTEGER NOT NULL REFERENCES models (id),
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'paused', 'failed')),
    failure       TEXT,
    settings_json TEXT NOT NULL,
    app_version   TEXT NOT NULL,
    llama_version TEXT NOT NULL,
    device_json   TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    -- the process that runs it, so a run left `running` by a killed process is recognised
    pid           INTEGER
);
INSERT INTO runs_new (id, kind, model_id, status, failure, settings_json, app_version,
                      llama_version, device_json, started_at, finished_at, pid)
    SELECT id, kind, model_id, status, failure, settings_json, app_version,
           llama_version, device_json, started_at, finished_at, pid
    FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;

-- Where each load put the model: a GPU backend asked for but not used (no device, Metal missing
-- in a simulator) would otherwise pass silently as CPU figures. NULL: recorded before this column.
ALTER TABLE run_loads ADD COLUMN backend TEXT;
ALTER TABLE run_loads ADD COLUMN gpu_layers_offloaded INTEGER;
ALTER TABLE run_loads ADD COLUMN layers_total INTEGER;
