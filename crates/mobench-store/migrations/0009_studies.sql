-- A quantization study: one base model and its levels (quantized on the device or imported), each
-- run through the same suite, speed tests and probes with everything else held fixed. Its suite
-- and speed runs are ordinary runs; a level points at them. Every step's result is committed as
-- it finishes, so a killed study resumes at the step in flight.
CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    base_path   TEXT NOT NULL,
    -- What is held fixed (threads, batch, context, backend, GPU layers, seed, template, sample
    -- selection, suite, speed tests, probe text and window), as JSON.
    settings    TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    -- The process running it: a `running` study whose process is gone was killed.
    pid         INTEGER
);
CREATE TABLE study_levels (
    study_id      INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    -- 0 is the base model.
    position      INTEGER NOT NULL,
    label         TEXT NOT NULL,
    -- 'base', 'quantized' (made by the study) or 'imported'.
    source        TEXT NOT NULL,
    qtype         TEXT,
    path          TEXT NOT NULL,
    size_bytes    INTEGER,
    sha256        TEXT,
    quantize_s    REAL,
    suite_run_id  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    speed_run_id  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    -- The probes' results as JSON (perplexity; KL divergence from the base).
    perplexity    TEXT,
    divergence    TEXT,
    PRIMARY KEY (study_id, position)
);
