//! Every SQL statement of the trophy: the chain of passes in `trophy_passes`.

use crate::storage::on;
use anyhow::Context as _;
use chrono::{DateTime, Utc};

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

/// A row of [`COLUMNS`].
type PassRow = (
    i64,
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
);

fn from_row(row: &PassRow) -> anyhow::Result<Pass> {
    let (id, number, millis, kind, from, to, reason, by) = row;
    Ok(Pass {
        id: *id,
        number: *number,
        at: DateTime::from_timestamp_millis(*millis)
            .with_context(|| format!("trophy_passes holds a bad time {millis}"))?,
        kind: Kind::parse(kind)?,
        from: from.as_deref().map(user).transpose()?,
        to: user(to)?,
        reason: reason.clone(),
        by: user(by)?,
    })
}

/// The newest pass: its `to` holds the trophy. None before the first pass.
pub async fn current(tx: &mut Tx<'_>) -> anyhow::Result<Option<Pass>> {
    let row = on!(
        tx.on(),
        &format!("SELECT {COLUMNS} FROM trophy_passes t ORDER BY id DESC LIMIT 1"),
        |q, c| sqlx::query_as::<_, PassRow>(q).fetch_optional(c).await
    )?;
    row.as_ref().map(from_row).transpose()
}

/// Records a pass. Returns None when the holding it follows was already
/// handed on (a concurrent pass won), so the caller can say so.
pub async fn record_pass(tx: &mut Tx<'_>, pass: &NewPass<'_>) -> anyhow::Result<Option<i64>> {
    let done = on!(
        tx.on(),
        "INSERT INTO trophy_passes (after_id, passed_at, kind, from_user, to_user, reason, by_user) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (after_id) DO NOTHING RETURNING id",
        |q, c| sqlx::query_scalar(q)
            .bind(pass.after.map_or(0, |p| p.id))
            .bind(pass.at.timestamp_millis())
            .bind(pass.kind.as_str())
            .bind(pass.after.map(|p| p.to.as_str()))
            .bind(pass.to.as_str())
            .bind(pass.reason)
            .bind(pass.by.as_str())
            .fetch_optional(c)
            .await
    )?;
    Ok(done)
}

/// How many passes the chain has.
pub async fn count(tx: &mut Tx<'_>) -> anyhow::Result<i64> {
    Ok(on!(
        tx.on(),
        "SELECT COUNT(*) FROM trophy_passes",
        |q, c| sqlx::query_scalar(q).fetch_one(c).await
    )?)
}

/// Passes newest first, skipping `offset`.
pub async fn newest(tx: &mut Tx<'_>, limit: i64, offset: i64) -> anyhow::Result<Vec<Pass>> {
    let rows = on!(
        tx.on(),
        &format!("SELECT {COLUMNS} FROM trophy_passes t ORDER BY id DESC LIMIT ? OFFSET ?"),
        |q, c| sqlx::query_as::<_, PassRow>(q)
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await
    )?;
    rows.iter().map(from_row).collect()
}

/// Passes made in `[start, end)`, oldest first (the chain's order).
pub async fn between(
    db: &Db,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<Vec<Pass>> {
    let rows = on!(
        db.on(),
        &format!(
            "SELECT {COLUMNS} FROM trophy_passes t WHERE passed_at >= ? AND passed_at < ? ORDER BY id"
        ),
        |q, c| sqlx::query_as::<_, PassRow>(q)
            .bind(start.timestamp_millis())
            .bind(end.timestamp_millis())
            .fetch_all(c)
            .await
    )?;
    rows.iter().map(from_row).collect()
}
