-- Every figure is stored raw per sample; aggregates are derived from samples, never the reverse.

CREATE TABLE models (
    id            INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    name          TEXT,
    architecture  TEXT,
    n_params      INTEGER,
    quantization  TEXT,
    n_ctx_train   INTEGER,
    has_chat_template INTEGER NOT NULL DEFAULT 0,
    added_at      TEXT NOT NULL,
    UNIQUE (path, sha256)
);

-- sha256 of large files, reused while path, size and modification time are unchanged.
CREATE TABLE file_hashes (
    path       TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    sha256     TEXT NOT NULL
);

CREATE TABLE datasets (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL,
    task   TEXT NOT NULL,
    suite  TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows   INTEGER NOT NULL,
    UNIQUE (name, sha256)
);

CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL DEFAULT 'suite',
    model_id      INTEGER NOT NULL REFERENCES models (id),
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
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

-- Each model load of a run (a resumed run loads again): cold = first load in the process.
CREATE TABLE run_loads (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    cold          INTEGER NOT NULL,
    model_load_ms REAL NOT NULL,
    context_ms    REAL NOT NULL,
    -- the context size llama.cpp actually made (it pads what was asked for)
    n_ctx         INTEGER NOT NULL,
    at            TEXT NOT NULL
);

-- The datasets of a run with the exact rows it covers, so resume redoes nothing and skips nothing.
CREATE TABLE run_datasets (
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dataset_id   INTEGER NOT NULL REFERENCES datasets (id),
    position     INTEGER NOT NULL,
    task_version INTEGER NOT NULL,
    rows_json    TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    PRIMARY KEY (run_id, dataset_id)
);

CREATE TABLE samples (
    id                    INTEGER PRIMARY KEY,
    run_id                INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dataset_id            INTEGER NOT NULL REFERENCES datasets (id),
    row_index             INTEGER NOT NULL,
    example_id            TEXT,
    prompt                TEXT NOT NULL,
    reference             TEXT NOT NULL,
    prediction_raw        TEXT NOT NULL,
    prediction            TEXT NOT NULL,
    extra_json            TEXT,
    error                 TEXT,
    truncated             INTEGER NOT NULL,
    stop_reason           TEXT NOT NULL,
    prompt_tokens         INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    ttft_ms               REAL,
    prefill_ms            REAL,
    -- wall time inside every llama_decode call of the sample (prompt and generation)
    decode_calls_ms       REAL,
    prefill_tokens_per_s  REAL,
    decode_tokens_per_s   REAL,
    itl_p50_ms            REAL,
    itl_p95_ms            REAL,
    itl_max_ms            REAL,
    output_eval_ms        REAL,
    total_ms              REAL NOT NULL,
    llama_t_p_eval_ms     REAL,
    llama_t_eval_ms       REAL,
    llama_n_p_eval        INTEGER,
    llama_n_eval          INTEGER,
    finished_at           TEXT NOT NULL,
    UNIQUE (run_id, dataset_id, row_index)
);

CREATE TABLE sample_scores (
    sample_id      INTEGER NOT NULL REFERENCES samples (id) ON DELETE CASCADE,
    metric         TEXT NOT NULL,
    value          REAL,
    extracted      TEXT,
    flag           TEXT,
    missing_reason TEXT,
    grader         TEXT NOT NULL,
    PRIMARY KEY (sample_id, metric),
    CHECK ((value IS NULL) <> (missing_reason IS NULL))
);

CREATE TABLE aggregates (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    dataset_id     INTEGER NOT NULL REFERENCES datasets (id),
    figure         TEXT NOT NULL,
    stat           TEXT NOT NULL,
    value          REAL,
    n              INTEGER NOT NULL,
    missing_reason TEXT,
    grader         TEXT,
    PRIMARY KEY (run_id, dataset_id, figure, stat)
);

CREATE INDEX samples_by_run ON samples (run_id, dataset_id);
