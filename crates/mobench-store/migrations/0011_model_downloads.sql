-- Models fetched from the Hugging Face hub: what was asked for and how far it got, so that a
-- download shows in the app's list, and can be resumed, after the app was closed. The model a
-- finished download made is an ordinary library model (library_models, source 'copied').
CREATE TABLE model_downloads (
    id          INTEGER PRIMARY KEY,
    repo        TEXT NOT NULL,
    -- The model's file in the repository (the first part of a split model).
    file        TEXT NOT NULL,
    -- The vision projector fetched with it.
    mmproj      TEXT,
    -- The catalog's name for the model, when it was fetched from the catalog.
    catalog     TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'paused', 'failed', 'done')),
    done_bytes  INTEGER NOT NULL DEFAULT 0,
    total_bytes INTEGER NOT NULL DEFAULT 0,
    -- Why it stopped, in words (failed); never holds a token.
    error       TEXT,
    -- The model file in the library, once done.
    path        TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (repo, file)
);
