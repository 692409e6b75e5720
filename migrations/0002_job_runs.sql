-- One row per scheduled job run; the unique key makes each run happen once.
CREATE TABLE job_runs (
    kind    TEXT NOT NULL,
    run_key TEXT NOT NULL,
    ran_at  TEXT NOT NULL,
    PRIMARY KEY (kind, run_key)
);
