-- Runs that travel between devices (bundles, a shared PostgreSQL database): every run gets a
-- globally unique id (UUID v7) and every device a stable id, beside the local integer ids,
-- which stay this file's own (an imported run gets new ones).
--
-- The devices this database knows: this install (here = 1, its id made once, below) and those
-- whose runs were imported. A device's name is read from its runs' device_json.
CREATE TABLE devices (
    id   TEXT PRIMARY KEY,
    here INTEGER NOT NULL DEFAULT 0 CHECK (here IN (0, 1))
);
CREATE UNIQUE INDEX devices_here ON devices (here) WHERE here = 1;

-- A random UUID (version 4) for this install.
INSERT INTO devices (id, here) VALUES (lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-'
    || hex(randomblob(6))), 1);

-- uuid: new runs get theirs in Rust (uuid::Uuid::now_v7); origin: where an imported run came
-- from (a bundle's file name, a PostgreSQL server), NULL for a run made here. device_id: the
-- device that made the run.
ALTER TABLE runs ADD COLUMN uuid TEXT;
ALTER TABLE runs ADD COLUMN device_id TEXT REFERENCES devices (id);
ALTER TABLE runs ADD COLUMN origin TEXT;

-- Existing runs were all made here. Their UUIDs are v7 made in SQL (RFC 9562 layout): the 48-bit
-- Unix time in milliseconds of the run's start, version 7, 12 random bits, the variant, 62
-- random bits; so they sort by start time as the ids of new runs do.
UPDATE runs SET
    device_id = (SELECT id FROM devices WHERE here = 1),
    uuid = lower(
        substr(printf('%012x', CAST(round((julianday(started_at) - 2440587.5) * 86400000) AS INTEGER)), 1, 8)
        || '-' || substr(printf('%012x', CAST(round((julianday(started_at) - 2440587.5) * 86400000) AS INTEGER)), 9, 4)
        || '-7' || substr(hex(randomblob(2)), 2) || '-'
        || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-'
        || hex(randomblob(6)));

CREATE UNIQUE INDEX runs_by_uuid ON runs (uuid);
CREATE INDEX runs_by_device ON runs (device_id);
