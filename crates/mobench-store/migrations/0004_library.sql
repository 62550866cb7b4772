-- The app's model library: files the user imported (copied into the app's folder, or
-- referenced where they are). The built-in model is not listed; it always exists.
CREATE TABLE library_models (
    path     TEXT PRIMARY KEY,
    source   TEXT NOT NULL CHECK (source IN ('copied', 'referenced')),
    added_at TEXT NOT NULL
);
