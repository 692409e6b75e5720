-- The Needful Trophy's chain: one row per hand-over, oldest first. The holder
-- is the `to_user` of the newest row.
CREATE TABLE trophy_passes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The pass this one follows (0 for the very first). Unique, so a holding
    -- can be handed on only once even if two passes race.
    after_id  INTEGER NOT NULL UNIQUE,
    -- Unix milliseconds, so export ranges compare numbers, not text formats.
    passed_at INTEGER NOT NULL,
    -- 'first' (a manager starts the chain), 'pass' (holder to colleague),
    -- 'reassign' (a manager moves it on, e.g. when the holder has left).
    kind      TEXT NOT NULL CHECK (kind IN ('first', 'pass', 'reassign')),
    -- The previous holder; NULL on the first pass.
    from_user TEXT,
    to_user   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    -- Who made the pass: the holder, or the manager for 'first'/'reassign'.
    by_user   TEXT NOT NULL
);
CREATE INDEX trophy_passes_at ON trophy_passes (passed_at);
