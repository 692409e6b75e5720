//! The team's setup (`setup`) and every change made to it
//! (`setup_changes`). The setup is stored whole, as JSON, with a version
//! that grows with each change: readers keep what they read and look only
//! at the version to know when to read again.

use super::{Db, Tx};
use crate::storage::on;

/// The stored setup, as JSON, and its version; None before the first import.
pub async fn current(db: &Db) -> Result<Option<(i64, String)>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT version, config FROM setup WHERE id = 1",
        |q, c| sqlx::query_as(q).fetch_optional(c).await
    )
}

/// [`current`], as `tx` sees it: in a write transaction, what a change
/// must be made from.
pub async fn current_in(tx: &mut Tx<'_>) -> Result<Option<(i64, String)>, sqlx::Error> {
    on!(
        tx.on(),
        "SELECT version, config FROM setup WHERE id = 1",
        |q, c| sqlx::query_as(q).fetch_optional(c).await
    )
}

/// The stored setup's version; None before the first import.
pub async fn version(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    on!(db.on(), "SELECT version FROM setup WHERE id = 1", |q, c| {
        sqlx::query_scalar(q).fetch_optional(c).await
    })
}

/// One change to the setup, as the audit list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub version: i64,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    pub changed_by: String,
    pub what: String,
}

/// Stores `config` (JSON) as the setup, made by `by` (a Slack user id, or
/// where it came from, such as "needful.toml"), and records the change
/// with `what` it was, at the transaction's time. Returns the new version.
pub async fn save(tx: &mut Tx<'_>, config: &str, by: &str, what: &str) -> Result<i64, sqlx::Error> {
    tx.saved_setup = true;
    let now = tx.now();
    let version: i64 = on!(
        tx.on(),
        "SELECT COALESCE(MAX(version), 0) + 1 FROM setup_changes",
        |q, c| sqlx::query_scalar(q).fetch_one(c).await
    )?;
    on!(
        tx.on(),
        "INSERT INTO setup (id, version, config) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, config = excluded.config",
        |q, c| sqlx::query(q)
            .bind(version)
            .bind(config)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    on!(
        tx.on(),
        "INSERT INTO setup_changes (version, changed_at, changed_by, what, config) \
         VALUES (?, ?, ?, ?, ?)",
        |q, c| sqlx::query(q)
            .bind(version)
            .bind(now)
            .bind(by)
            .bind(what)
            .bind(config)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(version)
}

/// [`save`], if the stored setup is still at `expected` (what the change
/// was made from); None when another change came first, and nothing is
/// written.
pub async fn replace(
    tx: &mut Tx<'_>,
    expected: i64,
    config: &str,
    by: &str,
    what: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let current: Option<i64> = on!(tx.on(), "SELECT version FROM setup WHERE id = 1", |q, c| {
        sqlx::query_scalar(q).fetch_optional(c).await
    })?;
    // Version 0: nothing stored yet.
    if current.unwrap_or(0) != expected {
        return Ok(None);
    }
    save(tx, config, by, what).await.map(Some)
}

/// The newest changes first, at most `limit`.
pub async fn changes(tx: &mut Tx<'_>, limit: i64) -> Result<Vec<Change>, sqlx::Error> {
    on!(
        tx.on(),
        "SELECT version, changed_at, changed_by, what FROM setup_changes \
         ORDER BY version DESC LIMIT ?",
        |q, c| sqlx::query_as(q).bind(limit).fetch_all(c).await
    )
}

/// Moves what is kept under pod `old` (prompts, check-ins, understaffed
/// periods, rosters, the scheduler's runs) to its new name `new`, so a
/// renamed pod keeps its history and does not get today's prompt twice.
pub async fn rename_pod(tx: &mut Tx<'_>, old: &str, new: &str) -> Result<(), sqlx::Error> {
    // Rows a removed pod of the new name left behind give way where they
    // would clash with the renamed pod's (each table's key, without pod).
    for (table, same) in [
        ("checkin_prompts", "o.day = t.day"),
        ("checkins", "o.day = t.day AND o.user_id = t.user_id"),
        (
            "staffing_switches",
            "o.ended_at IS NULL AND t.ended_at IS NULL",
        ),
        ("role_rosters", "o.week = t.week AND o.user_id = t.user_id"),
    ] {
        renaming(
            tx,
            &format!(
                "DELETE FROM {table} AS t WHERE t.pod = ?1 \
                 AND EXISTS (SELECT 1 FROM {table} AS o WHERE o.pod = ?2 AND {same})"
            ),
            new,
            old,
        )
        .await?;
        renaming(
            tx,
            &format!("UPDATE {table} SET pod = ?1 WHERE pod = ?2"),
            new,
            old,
        )
        .await?;
    }
    const RUNS: &str = "kind IN ('checkin_prompt', 'checkin_summary', 'roles_rotation') \
                        AND substr(run_key, 1, length(?2) + 1) = ?2 || ':'";
    renaming(
        tx,
        &format!(
            "DELETE FROM job_runs AS t WHERE EXISTS (SELECT 1 FROM job_runs AS o \
             WHERE o.kind = t.kind AND ?1 || substr(o.run_key, length(?2) + 1) = t.run_key \
             AND o.{})",
            RUNS.replace("AND substr(run_key", "AND substr(o.run_key")
        ),
        new,
        old,
    )
    .await?;
    renaming(
        tx,
        &format!(
            "UPDATE job_runs SET run_key = ?1 || substr(run_key, length(?2) + 1) WHERE {RUNS}"
        ),
        new,
        old,
    )
    .await
}

/// One statement of [`rename_pod`]: `?1` the new name, `?2` the old.
async fn renaming(tx: &mut Tx<'_>, sql: &str, new: &str, old: &str) -> Result<(), sqlx::Error> {
    on!(tx.on(), sql, |q, c| sqlx::query(q)
        .bind(new)
        .bind(old)
        .execute(c)
        .await
        .map(drop))
}
