-- 0002_snapshots: at most one folded-state snapshot per organization.
--
-- Intent: start-up folds snapshot + tail instead of the whole stream. A
-- snapshot is derived data: it can be deleted at any time and rebuilt from
-- the log. `schema_version` is the engine's state encoding version; a snapshot
-- written by another encoding is ignored (load returns nothing) and replaced.

CREATE TABLE snapshots (
    org_id         uuid        PRIMARY KEY,
    -- The stream version the state was folded up to (inclusive).
    version        bigint      NOT NULL CHECK (version >= 0),
    schema_version integer     NOT NULL,
    data           bytea       NOT NULL,
    written_at     timestamptz NOT NULL DEFAULT now()
);
