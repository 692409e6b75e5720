-- Understaffed mode: one row per period a pod was switched on, kept for the
-- record (who, when, why, how long). Instants are Unix seconds.
CREATE TABLE staffing_switches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pod          TEXT NOT NULL,
    reason       TEXT NOT NULL,
    started_by   TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    -- When `--until` switches it off by itself.
    until_at     INTEGER,
    ended_at     INTEGER,
    -- NULL when it ran out (`--until`).
    ended_by     TEXT,
    -- How many times the reason was changed while it was on.
    reason_updates INTEGER NOT NULL DEFAULT 0
);
-- At most one open period per pod: a second `on` updates it instead.
CREATE UNIQUE INDEX staffing_switches_open ON staffing_switches (pod) WHERE ended_at IS NULL;

-- People from other teams who pressed "I can help"; once per person per period.
CREATE TABLE staffing_helpers (
    switch_id  INTEGER NOT NULL REFERENCES staffing_switches (id),
    user_id    TEXT NOT NULL,
    channel    TEXT NOT NULL,
    offered_at INTEGER NOT NULL,
    PRIMARY KEY (switch_id, user_id)
);

-- Each pod's weekly roster: one role per person per week (`week` is the
-- Monday, local to the pod, as YYYY-MM-DD). Understaffed moves are not stored
-- here; they are applied on top while the pod is understaffed, so switching
-- off restores the roster by construction.
CREATE TABLE role_rosters (
    pod     TEXT NOT NULL,
    week    TEXT NOT NULL,
    role    TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (pod, week, user_id)
);
