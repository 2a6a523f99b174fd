-- 0001_event_log: the append-only event log, one row per event.
--
-- Intent: every organization has one gapless stream of versions 1, 2, 3, ...
-- (fencing: UNIQUE (org_id, version) makes two writers of one org collide),
-- and every event has a global `position` that increases in commit order
-- (the writer serialises appends with LOCK TABLE events IN EXCLUSIVE MODE, see
-- eventstore/postgres/writer.py), so a reader tailing `position > last` never
-- skips a late commit. Payloads are opaque bytes encoded by the engine.
-- Committed migrations are never edited: add a new file instead.

CREATE TABLE events (
    -- Global position; allocated under the table lock, so in commit order.
    position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid        NOT NULL,
    -- Per-organization version: gapless, starting at 1.
    version     bigint      NOT NULL CHECK (version >= 1),
    type        text        NOT NULL,
    -- The entity the event is about (e.g. an alert id), for read_subject.
    subject     text        NULL,
    data        bytea       NOT NULL,
    metadata    bytea       NOT NULL,
    -- Informational only: business time is inside the payload (decision 9).
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- Fencing and the per-org read path (read_stream uses this index).
    CONSTRAINT events_org_version_key UNIQUE (org_id, version)
);

-- One entity's history without decoding every payload of its organization.
CREATE INDEX events_org_subject_idx ON events (org_id, subject) WHERE subject IS NOT NULL;
