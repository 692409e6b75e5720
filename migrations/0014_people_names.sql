-- The names people see, as Slack's users.info last said: the exports carry
-- each person's name beside their id. A name older than a day is looked up
-- again; one Slack could not give keeps its last value.
CREATE TABLE people_names (
    user_id      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    -- Unix milliseconds.
    looked_up_at INTEGER NOT NULL
) WITHOUT ROWID;
