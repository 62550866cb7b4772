-- Speed runs (kind 'speed'): one row per llama-bench test, the per-repetition times stored raw.
CREATE TABLE speed_results (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    n_prompt       INTEGER NOT NULL,
    n_gen          INTEGER NOT NULL,
    n_depth        INTEGER NOT NULL,
    n_threads      INTEGER NOT NULL,
    n_batch        INTEGER NOT NULL,
    n_ubatch       INTEGER NOT NULL,
    n_gpu_layers   INTEGER NOT NULL,
    flash_attn     TEXT NOT NULL,
    -- what llama-bench prints beside each result, as it was when this test ran
    model_type     TEXT NOT NULL,
    model_size     INTEGER NOT NULL,
    model_n_params INTEGER NOT NULL,
    cpu_info       TEXT NOT NULL,
    gpu_info       TEXT NOT NULL,
    backends       TEXT NOT NULL,
    samples_ns_json TEXT NOT NULL,
    test_time      TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
);

-- Sustained mode: the rate of each fixed-size round, with the device's state at its end.
CREATE TABLE speed_rounds (
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    round         INTEGER NOT NULL,
    elapsed_ms    REAL NOT NULL,
    tokens        INTEGER NOT NULL,
    duration_ns   INTEGER NOT NULL,
    thermal_state TEXT,
    temperature_c REAL,
    cpu_pct       REAL,
    PRIMARY KEY (run_id, round)
);
