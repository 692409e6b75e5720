-- When each person was last told why a reaction of theirs did not count, per
-- reason: at most one such notice per person and reason every ten minutes,
-- however many reactions they add. In the database, not in memory, so the
-- limit holds across restarts and across several instances.
CREATE TABLE refusal_notices (
    user_id    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    last_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, reason)
) WITHOUT ROWID;
