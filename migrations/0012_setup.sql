-- The team's setup (pods, their people, channels and check-in; roles; kudos;
-- the trophy): imported from needful.toml into an empty database, and from
-- then on kept here, so that changes apply at once and every instance on the
-- database sees the same. One row; `version` grows with every change, and
-- instances compare it to know when to read the setup again.
CREATE TABLE setup (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    config  TEXT NOT NULL -- JSON of the setup
);

-- Every change to the setup: who made it, when, what it was, and the whole
-- setup it left.
CREATE TABLE setup_changes (
    version    INTEGER PRIMARY KEY,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    what       TEXT NOT NULL,
    config     TEXT NOT NULL
);
