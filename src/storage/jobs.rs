//! Runs of scheduled jobs, one `job_runs` row per `(kind, key)`: what makes
//! each team job happen once, however often the scheduler ticks and however
//! many instances share the database.

use chrono::{DateTime, Utc};

use super::Tx;

/// Claims the run of job `kind` for `key` (e.g. "support:2026-12-07"). Returns
/// false when it already ran: the caller must then do nothing.
pub async fn claim(
    tx: &mut Tx<'_>,
    kind: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO job_runs (kind, run_key, ran_at) VALUES (?, ?, ?) ON CONFLICT (kind, run_key) DO NOTHING",
    )
    .bind(kind)
    .bind(key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// True when the scheduled job `kind` already ran for `key`.
pub async fn has_run<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    kind: &str,
    key: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE kind = ? AND run_key = ?")
        .bind(kind)
        .bind(key)
        .fetch_one(db)
        .await?;
    Ok(n > 0)
}
