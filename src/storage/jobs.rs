//! Runs of scheduled jobs, one `job_runs` row per `(kind, key)`: what makes
//! each team job happen once, however often the scheduler ticks and however
//! many instances share the database.

use crate::storage::on;
use chrono::{DateTime, Utc};

use super::{Db, Tx};

/// Claims the run of job `kind` for `key` (e.g. "support:2026-12-07"). Returns
/// false when it already ran: the caller must then do nothing.
pub async fn claim(
    tx: &mut Tx<'_>,
    kind: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on!(
        tx.on(),
        "INSERT INTO job_runs (kind, run_key, ran_at) VALUES (?, ?, ?) ON CONFLICT (kind, run_key) DO NOTHING",
        |q, c| sqlx::query(q)
            .bind(kind)
            .bind(key)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(done == 1)
}

const HAS_RUN: &str = "SELECT COUNT(*) > 0 FROM job_runs WHERE kind = ? AND run_key = ?";

/// True when the scheduled job `kind` already ran for `key`, as `tx` sees it.
pub async fn has_run(tx: &mut Tx<'_>, kind: &str, key: &str) -> Result<bool, sqlx::Error> {
    on!(tx.on(), HAS_RUN, |q, c| sqlx::query_scalar(q)
        .bind(kind)
        .bind(key)
        .fetch_one(c)
        .await)
}

/// [`has_run`] on a read-only pool: the scheduler's look before it writes.
pub async fn ran(db: &Db, kind: &str, key: &str) -> Result<bool, sqlx::Error> {
    on!(db.on(), HAS_RUN, |q, c| sqlx::query_scalar(q)
        .bind(kind)
        .bind(key)
        .fetch_one(c)
        .await)
}
