-- Kudos: every kudos given and every retraction is a row of its own
-- (append-only), so stats, limits, the App Home and exports never infer
-- anything from Slack's history.
CREATE TABLE kudos_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('given', 'retracted')),
    -- On a retraction: the kudos it takes back. Unique: taken back once.
    retracts    INTEGER UNIQUE REFERENCES kudos_log (id),
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
CREATE INDEX kudos_log_giver ON kudos_log (giver, at_ms);
CREATE INDEX kudos_log_receiver ON kudos_log (receiver, at_ms);
CREATE INDEX kudos_log_message ON kudos_log (channel, message_ts);
CREATE INDEX kudos_log_at ON kudos_log (at_ms);

-- The reaction kudos standing right now: one per giver and message, however
-- many kudos emoji the giver used. The key makes a second give a no-op.
CREATE TABLE kudos_live (
    giver      TEXT NOT NULL,
    channel    TEXT NOT NULL,
    message_ts TEXT NOT NULL,
    kudos_id   INTEGER NOT NULL REFERENCES kudos_log (id),
    PRIMARY KEY (giver, channel, message_ts)
);

-- The newest reaction event seen per giver, message and emoji. Slack may
-- deliver a removal before its add; an older event never overrides a newer one.
CREATE TABLE kudos_reactions (
    giver       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    message_ts  TEXT NOT NULL,
    reaction    TEXT NOT NULL,
    present     INTEGER NOT NULL,
    event_ts_us INTEGER NOT NULL,
    PRIMARY KEY (giver, channel, message_ts, reaction)
);

-- How each person likes to be recognised; no row means public.
CREATE TABLE kudos_prefs (
    user_id       TEXT PRIMARY KEY,
    private       INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
