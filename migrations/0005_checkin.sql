-- Morning check-ins, per pod. Days are the pod's local dates (YYYY-MM-DD).

-- One prompt per pod and day; the scheduler's job_runs claim guarantees it is
-- enqueued once, this row remembers where and when its window is.
CREATE TABLE checkin_prompts (
    pod          TEXT NOT NULL,
    day          TEXT NOT NULL,
    channel      TEXT NOT NULL,
    -- The outbox message key; slack_messages maps it to the posted ts.
    message_key  TEXT NOT NULL UNIQUE,
    opens_at     TEXT NOT NULL,
    closes_at    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (pod, day)
);

-- One check-in per person, pod and day; checking in again updates the note.
CREATE TABLE checkins (
    pod            TEXT NOT NULL,
    day            TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    note           TEXT,
    -- thread | button | command: how the person first checked in.
    via            TEXT NOT NULL,
    -- 1 when the first check-in came after the window closed.
    late           INTEGER NOT NULL,
    checked_in_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (pod, day, user_id)
);

-- People away (vacation, sick) through `until_day`, inclusive: not counted as missing.
CREATE TABLE checkin_away (
    user_id    TEXT PRIMARY KEY,
    until_day  TEXT NOT NULL,
    reason     TEXT,
    set_at     TEXT NOT NULL
);
