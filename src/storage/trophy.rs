//! Every SQL statement of the trophy: the chain of passes in `trophy_passes`.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{Row as _, sqlite::SqliteRow};

use super::{Db, Tx};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A manager starts the chain.
    First,
    /// The holder hands it on.
    Pass,
    /// A manager moves it on (e.g. the holder has left).
    Reassign,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::First => "first",
            Kind::Pass => "pass",
            Kind::Reassign => "reassign",
        }
    }

    fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw {
            "first" => Ok(Kind::First),
            "pass" => Ok(Kind::Pass),
            "reassign" => Ok(Kind::Reassign),
            other => anyhow::bail!("unknown trophy pass kind {other:?}"),
        }
    }
}

/// One hand-over of the trophy.
#[derive(Debug, Clone)]
pub struct Pass {
    pub id: i64,
    /// Position in the chain, 1 for the first pass.
    pub number: i64,
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub from: Option<UserId>,
    pub to: UserId,
    pub reason: String,
    pub by: UserId,
}

/// A pass about to be recorded.
#[derive(Debug, Clone)]
pub struct NewPass<'a> {
    /// The pass being followed (None when the chain starts).
    pub after: Option<&'a Pass>,
    pub at: DateTime<Utc>,
    pub kind: Kind,
    pub to: &'a UserId,
    pub reason: &'a str,
    pub by: &'a UserId,
}

const COLUMNS: &str = "id, (SELECT COUNT(*) FROM trophy_passes p WHERE p.id <= t.id) AS number, \
     passed_at, kind, from_user, to_user, reason, by_user";

fn user(raw: &str) -> anyhow::Result<UserId> {
    UserId::parse(raw).with_context(|| format!("trophy_passes holds a bad user id {raw:?}"))
}

fn from_row(row: &SqliteRow) -> anyhow::Result<Pass> {
    let millis: i64 = row.try_get("passed_at")?;
    let from: Option<String> = row.try_get("from_user")?;
    Ok(Pass {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        at: DateTime::from_timestamp_millis(millis)
            .with_context(|| format!("trophy_passes holds a bad time {millis}"))?,
        kind: Kind::parse(row.try_get("kind")?)?,
        from: from.as_deref().map(user).transpose()?,
        to: user(row.try_get("to_user")?)?,
        reason: row.try_get("reason")?,
        by: user(row.try_get("by_user")?)?,
    })
}

/// The newest pass: its `to` holds the trophy. None before the first pass.
pub async fn current(tx: &mut Tx<'_>) -> anyhow::Result<Option<Pass>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM trophy_passes t ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records a pass. Returns None when the holding it follows was already
/// handed on (a concurrent pass won), so the caller can say so.
pub async fn record_pass(tx: &mut Tx<'_>, pass: &NewPass<'_>) -> anyhow::Result<Option<i64>> {
    let done = sqlx::query(
        "INSERT INTO trophy_passes (after_id, passed_at, kind, from_user, to_user, reason, by_user) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (after_id) DO NOTHING",
    )
    .bind(pass.after.map_or(0, |p| p.id))
    .bind(pass.at.timestamp_millis())
    .bind(pass.kind.as_str())
    .bind(pass.after.map(|p| p.to.as_str()))
    .bind(pass.to.as_str())
    .bind(pass.reason)
    .bind(pass.by.as_str())
    .execute(tx.conn())
    .await?;
    Ok((done.rows_affected() == 1).then(|| done.last_insert_rowid()))
}

/// How many passes the chain has.
pub async fn count(tx: &mut Tx<'_>) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM trophy_passes")
        .fetch_one(tx.conn())
        .await?)
}

/// Passes newest first, skipping `offset`.
pub async fn newest(tx: &mut Tx<'_>, limit: i64, offset: i64) -> anyhow::Result<Vec<Pass>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM trophy_passes t ORDER BY id DESC LIMIT ? OFFSET ?"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Passes made in `[start, end)`, oldest first (the chain's order).
pub async fn between(
    db: &Db,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<Vec<Pass>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM trophy_passes t WHERE passed_at >= ? AND passed_at < ? ORDER BY id"
    ))
    .bind(start.timestamp_millis())
    .bind(end.timestamp_millis())
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}
