-- Resource readings taken through a run (mobench-telemetry's sampler), stored raw. `session`
-- counts the processes that worked on the run (a resumed run starts a new one).
CREATE TABLE resource_samples (
    run_id                        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    session                       INTEGER NOT NULL,
    unix_ms                       INTEGER NOT NULL,
    elapsed_ms                    REAL NOT NULL,
    phase                         TEXT NOT NULL,
    sample_index                  INTEGER,
    process_cpu_pct               REAL,
    system_cpu_pct                REAL,
    rss_bytes                     INTEGER,
    peak_rss_bytes                INTEGER,
    footprint_bytes               INTEGER,
    headroom_bytes                INTEGER,
    system_memory_used_bytes      INTEGER,
    system_memory_available_bytes INTEGER,
    battery_level_pct             REAL,
    battery_state                 TEXT,
    power_w                       REAL,
    thermal_state                 TEXT,
    temperature_c                 REAL
);

CREATE INDEX resource_samples_by_run ON resource_samples (run_id, session, elapsed_ms);

-- Per-run resource figures, derived from resource_samples; a missing figure carries its reason.
CREATE TABLE run_resources (
    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    figure         TEXT NOT NULL,
    value          REAL,
    missing_reason TEXT,
    PRIMARY KEY (run_id, figure),
    CHECK ((value IS NULL) <> (missing_reason IS NULL))
);
