-- Slack's pace for posts and edits is per channel, whichever replica sends:
-- the earliest time (the database's clock, Unix milliseconds) each order
-- key's next paced row may be claimed, and the pace. A claim sets it one
-- interval on; a post that lands moves it to one interval after it landed.
CREATE TABLE outbox_pacing (
    order_key   TEXT COLLATE "C" PRIMARY KEY,
    next_at_ms  BIGINT NOT NULL,
    interval_ms BIGINT NOT NULL
);
