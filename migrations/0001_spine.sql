-- Slack deliveries already applied, keyed by Slack's event_id (or a key derived
-- from an interaction), so a retry changes nothing.
CREATE TABLE processed_events (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Everything the bot says to Slack, written in the same transaction as the
-- change that caused it, then delivered by the outbox worker.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Messages with the same key are delivered one after another, in id order.
    order_key    TEXT NOT NULL,
    method       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    -- Names a posted message so later rows can update it (see slack_messages).
    message_key  TEXT,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds before which the row must not be tried again.
    not_before   INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX outbox_pending ON outbox (status, order_key, id);

-- Where a message the bot posted ended up, so it can be edited later.
CREATE TABLE slack_messages (
    message_key TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    ts          TEXT NOT NULL,
    posted_at   TEXT NOT NULL
);

-- Direct-message channels, so conversations.open is called once per person.
CREATE TABLE dm_channels (
    user_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL
);
