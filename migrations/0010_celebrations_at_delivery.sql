-- Celebrations are rendered when the outbox delivers them, from the kudos
-- standing then (as App Homes already were), so a reaction writes fewer
-- rows and b-trees (measured in BENCHMARKS.md).

-- A row rendered at delivery names what it renders; while one such row is
-- pending, another for the same thing would say nothing new and is not added.
ALTER TABLE outbox ADD COLUMN render_key TEXT;
CREATE INDEX outbox_render_waiting ON outbox (render_key)
    WHERE status = 'pending' AND render_key IS NOT NULL;

-- The standing kudos of a giver on a message are found in kudos_log through
-- its message index, now with the giver, so kudos_live (a copy of that) goes.
DROP TABLE kudos_live;

-- kudos_log again, with two b-trees less to write per kudos: rows are never
-- deleted, so plain rowids are never reused and AUTOINCREMENT's counter
-- (sqlite_sequence, rewritten at every insert) goes; and only retractions
-- are indexed by what they take back (the UNIQUE column indexed a NULL for
-- every kudos).
CREATE TABLE kudos_log_new (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('given', 'retracted')),
    -- On a retraction: the kudos it takes back (once: kudos_log_retracts).
    retracts    INTEGER REFERENCES kudos_log_new (id),
    -- Business-clock time, Unix milliseconds (numeric, so ranges compare right).
    at_ms       INTEGER NOT NULL,
    giver       TEXT NOT NULL,
    receiver    TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('reaction', 'command')),
    -- Where it happened: the reacted message's channel, or where the command ran.
    channel     TEXT NOT NULL,
    -- The thanked message (reactions only).
    message_ts  TEXT,
    -- What for (commands only).
    reason      TEXT,
    -- How the receiver heard of it: celebrated in the kudos channel, by DM, or not at all.
    delivery    TEXT NOT NULL DEFAULT 'none' CHECK (delivery IN ('channel', 'dm', 'none'))
);
INSERT INTO kudos_log_new (id, kind, retracts, at_ms, giver, receiver, source, channel,
                           message_ts, reason, delivery)
SELECT id, kind, retracts, at_ms, giver, receiver, source, channel, message_ts, reason, delivery
FROM kudos_log ORDER BY id;
DROP TABLE kudos_log;
ALTER TABLE kudos_log_new RENAME TO kudos_log;
DELETE FROM sqlite_sequence WHERE name = 'kudos_log';
CREATE UNIQUE INDEX kudos_log_retracts ON kudos_log (retracts) WHERE retracts IS NOT NULL;
CREATE INDEX kudos_log_receiver ON kudos_log (receiver, at_ms);
CREATE INDEX kudos_log_message ON kudos_log (channel, message_ts, giver);
CREATE INDEX kudos_log_at ON kudos_log (at_ms);
CREATE INDEX kudos_log_giver_kind ON kudos_log (giver, kind, at_ms);

-- A celebration counts its kudos when it is rendered (once per paced post,
-- not once per reaction), so the per-message counter goes.
DROP TABLE kudos_message_counts;
