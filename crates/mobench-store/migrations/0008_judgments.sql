-- Grading as the paper did: every judge's answer and every embedding is kept, keyed by who made
-- it (the grader's id: backend, model and settings) and the sha256 of its exact input, so grading
-- resumes after a kill, grading again costs nothing, and a sample's raw judgment can be shown.
CREATE TABLE judgments (
    grader     TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    output     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (grader, input_hash)
);
CREATE TABLE embeddings (
    embedder   TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    dim        INTEGER NOT NULL,
    -- little-endian f32s, normalized
    vector     BLOB NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (embedder, input_hash)
);
