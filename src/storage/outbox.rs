//! SQL for the outbox table and the messages it posted.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{
    Db, Tx,
    direct::{self, Batch, Handle},
    engine::Engine,
    on,
    sql::{On, numbered},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub order_key: String,
    pub method: String,
    pub payload: String,
    pub message_key: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub not_before: i64,
    pub created_at: chrono::DateTime<Utc>,
    pub render_key: Option<String>,
}

/// A row to add, as [`insert`] takes it.
#[derive(Debug)]
pub struct NewRow {
    pub order_key: String,
    pub method: &'static str,
    pub payload: String,
    pub message_key: Option<String>,
    /// For a row rendered at delivery: what it renders. It is not added
    /// while a row with the same render key is still pending: that row
    /// renders after this commit, so it covers this one. (Rows already
    /// 'sending' may have rendered; they don't count.)
    pub render_key: Option<String>,
}

/// Adds `rows` in this order (ids ascend with it), inside the transaction
/// open on `db`, created at `at`. Returns the render keys of the markers
/// it added (the others were covered).
pub fn insert_on<'r>(
    batch: &Batch<'_>,
    rows: &'r [NewRow],
    at: chrono::DateTime<Utc>,
) -> direct::Result<Vec<&'r str>> {
    match batch.db() {
        Handle::Sqlite(db) => insert_sqlite(db, rows, at).map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| insert_pg(c, rows, at).await),
    }
}

const INSERT: &str = "INSERT INTO outbox (order_key, method, payload, message_key, created_at, render_key) \
                      SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                      WHERE ?6 IS NULL OR NOT EXISTS (SELECT 1 FROM outbox \
                                 WHERE status = 'pending' AND render_key IS NOT NULL AND render_key = ?6)";

fn insert_sqlite<'r>(
    db: &rusqlite::Connection,
    rows: &'r [NewRow],
    at: DateTime<Utc>,
) -> rusqlite::Result<Vec<&'r str>> {
    let mut insert = db.prepare_cached(INSERT)?;
    let at = direct::time_text(at);
    let mut added = Vec::new();
    for row in rows {
        let inserted = insert.execute((
            &row.order_key,
            row.method,
            &row.payload,
            &row.message_key,
            &at,
            &row.render_key,
        ))?;
        if let (1, Some(key)) = (inserted, &row.render_key) {
            added.push(key.as_str());
        }
    }
    Ok(added)
}

async fn insert_pg<'r>(
    c: &mut PgConnection,
    rows: &'r [NewRow],
    at: DateTime<Utc>,
) -> Result<Vec<&'r str>, sqlx::Error> {
    // One statement (each is a round trip under the write lock). A marker
    // behind an earlier one with the same key in `rows` is covered by it,
    // as it would be inserted one at a time.
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<&NewRow> = rows
        .iter()
        .filter(|row| row.render_key.as_deref().is_none_or(|key| seen.insert(key)))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&NewRow) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|row| f(row)).collect()
    };
    let added: Vec<String> = sqlx::query_scalar::<_, Option<String>>(
        "INSERT INTO outbox (order_key, method, payload, message_key, created_at, render_key) \
         SELECT r.order_key, r.method, r.payload, r.message_key, $5, r.render_key \
         FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $6::TEXT[]) \
              WITH ORDINALITY AS r (order_key, method, payload, message_key, render_key, n) \
         WHERE r.render_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox \
               WHERE status = 'pending' AND render_key IS NOT NULL AND render_key = r.render_key) \
         ORDER BY r.n \
         RETURNING render_key",
    )
    .bind(column(|row| Some(row.order_key.as_str())))
    .bind(column(|row| Some(row.method)))
    .bind(column(|row| Some(row.payload.as_str())))
    .bind(column(|row| row.message_key.as_deref()))
    .bind(at)
    .bind(column(|row| row.render_key.as_deref()))
    .fetch_all(&mut *c)
    .await?
    .into_iter()
    .flatten()
    .collect();
    Ok(rows
        .iter()
        .filter_map(|row| row.render_key.as_deref())
        .filter(|key| added.iter().any(|a| a == key))
        .collect())
}

/// [`insert_on`] in a sqlx transaction, created at the transaction's time.
pub async fn insert(tx: &mut Tx<'_>, rows: &[NewRow]) -> Result<(), sqlx::Error> {
    let at = tx.now();
    match tx.on() {
        On::Sqlite(c) => direct::run(c, |db| insert_sqlite(db, rows, at).map(drop)).await,
        On::Postgres(c) => insert_pg(c, rows, at).await.map(drop),
    }
}

/// The oldest unfinished row of every order key: only these may be sent now.
/// It skips from key to key through index `outbox_pending` (two probes per
/// key), so a long queue behind a paced channel does not slow the scan.
/// Keys starting with `skip` (whose turn has not come) are jumped over whole.
pub async fn heads(db: &Db, limit: i64, skip: Option<&str>) -> Result<Vec<Row>, sqlx::Error> {
    // [skip, skip_end) is every key with the prefix; an empty range skips nothing.
    let (skip, skip_end) = match skip {
        Some(prefix) => (prefix.to_string(), prefix_end(prefix)),
        None => (String::new(), String::new()),
    };
    let sql = match db.engine() {
        Engine::Sqlite => HEADS_SQLITE,
        Engine::Postgres => HEADS_POSTGRES,
    };
    on!(db.on(), sql, |q, c| sqlx::query_as::<_, Row>(q)
        .bind(skip)
        .bind(skip_end)
        .bind(limit)
        .fetch_all(c)
        .await)
}

const HEADS_SQLITE: &str = "WITH RECURSIVE waiting (order_key) AS ( \
             SELECT MIN(order_key) FROM outbox WHERE status IN ('pending', 'sending') \
             UNION ALL \
             SELECT (SELECT MIN(order_key) FROM outbox WHERE status IN ('pending', 'sending') \
                     AND order_key > CASE WHEN waiting.order_key >= ?1 \
                                          AND waiting.order_key < ?2 \
                                          THEN ?2 ELSE waiting.order_key END) \
             FROM waiting WHERE waiting.order_key IS NOT NULL \
         ) \
         SELECT o.id, o.order_key, o.method, o.payload, o.message_key, o.status, o.attempts, \
                o.not_before, o.created_at, o.render_key \
         FROM waiting CROSS JOIN outbox o ON o.id = ( \
             SELECT MIN(id) FROM outbox WHERE status IN ('pending', 'sending') \
             AND order_key = waiting.order_key) \
         WHERE NOT (waiting.order_key >= ?1 AND waiting.order_key < ?2) \
         ORDER BY o.id LIMIT ?3";

/// [`HEADS_SQLITE`] for PostgreSQL, same rows. Its CROSS JOIN takes no ON
/// (a plain JOIN here). And it answers a MIN over `status IN (..)` by
/// reading every waiting row past the key, not one index entry (seconds
/// for 150,000 rows waiting): so each probe is one MIN per status, each an
/// index-only probe of `outbox_pending`, and LEAST keeps the lesser (it
/// ignores NULLs, so a status with no rows drops out).
const HEADS_POSTGRES: &str = "WITH RECURSIVE waiting (order_key) AS ( \
             SELECT LEAST((SELECT MIN(order_key) FROM outbox WHERE status = 'pending'), \
                          (SELECT MIN(order_key) FROM outbox WHERE status = 'sending')) \
             UNION ALL \
             SELECT (SELECT LEAST( \
                         (SELECT MIN(order_key) FROM outbox \
                          WHERE status = 'pending' AND order_key > next.after), \
                         (SELECT MIN(order_key) FROM outbox \
                          WHERE status = 'sending' AND order_key > next.after)) \
                     FROM (SELECT CASE WHEN waiting.order_key >= ?1 \
                                       AND waiting.order_key < ?2 \
                                       THEN ?2 ELSE waiting.order_key END) AS next (after)) \
             FROM waiting WHERE waiting.order_key IS NOT NULL \
         ) \
         SELECT o.id, o.order_key, o.method, o.payload, o.message_key, o.status, o.attempts, \
                o.not_before, o.created_at, o.render_key \
         FROM waiting JOIN outbox o ON o.id = LEAST( \
             (SELECT MIN(id) FROM outbox WHERE status = 'pending' \
              AND order_key = waiting.order_key), \
             (SELECT MIN(id) FROM outbox WHERE status = 'sending' \
              AND order_key = waiting.order_key)) \
         WHERE NOT (waiting.order_key >= ?1 AND waiting.order_key < ?2) \
         ORDER BY o.id LIMIT ?3";

/// The first string after every string that starts with `prefix`
/// (`home:` → `home;`).
fn prefix_end(prefix: &str) -> String {
    let mut end: Vec<char> = prefix.chars().collect();
    while let Some(last) = end.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            end.push(next);
            return end.into_iter().collect();
        }
    }
    // Only possible for a prefix of char::MAX: nothing sorts after it.
    String::new()
}

// The writes below run on the writer's direct handle
// ([`crate::storage::Writer::write`]), each one statement or one transaction.
// `at` is the business time a row is finished at (housekeeping ages rows by it).

/// What a claim did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The row is this worker's until the lease runs out.
    Claimed,
    /// Another worker has it, or it is done.
    Taken,
    /// Its channel's pace (kept for every replica, on PostgreSQL) allows the
    /// next post at this time on the caller's timer, in ms.
    PacedUntil(i64),
}

/// Claims a row for delivery. A row left 'sending' by a crashed process can be
/// claimed again once its lease (kept in not_before) has run out. `pace`
/// (the row's order key and its interval) is for a paced post or edit.
///
/// On SQLite one process owns the outbox and paces in memory. On
/// PostgreSQL several replicas share it: times are the database's clock
/// ([`db_ms`]), and a paced row is claimed only once its channel's last
/// claim (by any replica) is `pace` ago, which the claim moves on.
pub fn claim(
    batch: &Batch<'_>,
    id: i64,
    now_ms: i64,
    lease_ms: i64,
    pace: Option<(&str, i64)>,
) -> direct::Result<Claim> {
    const CLAIM: &str = "UPDATE outbox SET status = 'sending', attempts = attempts + 1, \
                         not_before = ?1 \
                         WHERE id = ?2 AND not_before <= ?3 AND status IN ('pending', 'sending')";
    let claimed = |n| match n {
        1 => Claim::Claimed,
        _ => Claim::Taken,
    };
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(CLAIM)
            .and_then(|mut claim| claim.execute((now_ms + lease_ms, id, now_ms)))
            .map(claimed)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            let shift = db_shift(c).await?;
            let now = now_ms + shift;
            if let Some((key, _)) = pace {
                let next: Option<i64> =
                    sqlx::query_scalar("SELECT next_at_ms FROM outbox_pacing WHERE order_key = $1")
                        .bind(key)
                        .fetch_optional(&mut *c)
                        .await?;
                if let Some(next) = next.filter(|next| *next > now) {
                    return Ok(Claim::PacedUntil(next - shift));
                }
            }
            let done = sqlx::query(&numbered(CLAIM))
                .bind(now + lease_ms)
                .bind(id)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected();
            if let (1, Some((key, interval))) = (done, pace) {
                sqlx::query(
                    "INSERT INTO outbox_pacing (order_key, next_at_ms, interval_ms) \
                     VALUES ($1, $2, $3) \
                     ON CONFLICT (order_key) DO UPDATE \
                     SET next_at_ms = excluded.next_at_ms, interval_ms = excluded.interval_ms",
                )
                .bind(key)
                .bind(now + interval)
                .bind(interval)
                .execute(&mut *c)
                .await?;
            }
            Ok::<_, sqlx::Error>(claimed(done as usize))
        }),
    }
}

/// How far the database's clock is ahead of this machine's, in ms: what
/// turns a time on this replica's timer into the database's time, so every
/// replica's leases, backoffs and pacing run on one clock however far apart
/// the machines' clocks are. (The timer is the system clock outside tests,
/// so the times stored are the database's.)
///
/// Looked at once a minute, and taken only when it moved by more than
/// [`SHIFT_MOVES`] (a clock stepped): a round trip's jitter must not move
/// a deadline, or a post due exactly now could wait a millisecond more.
async fn db_shift(c: &mut PgConnection) -> Result<i64, sqlx::Error> {
    use std::sync::atomic::{AtomicI64, Ordering};
    static SHIFT: AtomicI64 = AtomicI64::new(0);
    static MEASURED_AT: AtomicI64 = AtomicI64::new(i64::MIN);
    let before = Utc::now().timestamp_millis();
    let known = MEASURED_AT.load(Ordering::Relaxed) != i64::MIN;
    if known && before.saturating_sub(MEASURED_AT.load(Ordering::Relaxed)) < 60_000 {
        return Ok(SHIFT.load(Ordering::Relaxed));
    }
    let db: i64 =
        sqlx::query_scalar("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT")
            .fetch_one(c)
            .await?;
    let after = Utc::now().timestamp_millis();
    let shift = db - (before + after) / 2;
    if !known || (shift - SHIFT.load(Ordering::Relaxed)).abs() > SHIFT_MOVES {
        SHIFT.store(shift, Ordering::Relaxed);
    }
    MEASURED_AT.store(after, Ordering::Relaxed);
    Ok(SHIFT.load(Ordering::Relaxed))
}

/// How far the clocks' difference must move before [`db_shift`] follows.
const SHIFT_MOVES: i64 = 250;

/// Marks a row delivered; for a keyed post, remembers where it landed. On
/// PostgreSQL a paced row's channel then waits one interval from when the
/// call was made (`called_ms`, on the caller's timer), however long the row
/// took to render and claim before it: the channel's next row cannot be
/// claimed before this one is marked, so the next post follows this one by
/// the interval.
pub fn mark_sent(
    batch: &Batch<'_>,
    id: i64,
    posted: Option<(&str, &str, &str)>,
    at: chrono::DateTime<Utc>,
    called_ms: i64,
) -> direct::Result<()> {
    const SENT: &str =
        "UPDATE outbox SET status = 'sent', finished_at = ?1, last_error = NULL WHERE id = ?2";
    const POSTED: &str = "INSERT INTO slack_messages (message_key, channel, ts, posted_at) \
                          VALUES (?1, ?2, ?3, ?4) \
                          ON CONFLICT (message_key) DO UPDATE \
                          SET channel = excluded.channel, ts = excluded.ts";
    match batch.db() {
        Handle::Sqlite(db) => {
            let sqlite = || -> rusqlite::Result<()> {
                let now = direct::time_text(at);
                db.prepare_cached(SENT)?.execute((&now, id))?;
                if let Some((key, channel, ts)) = posted {
                    db.prepare_cached(POSTED)?
                        .execute((key, channel, ts, &now))?;
                }
                Ok(())
            };
            sqlite().map_err(direct::into_sqlx)
        }
        Handle::Postgres(pg) => pg.wait(async |c| {
            let called = called_ms + db_shift(c).await?;
            sqlx::query(&numbered(SENT))
                .bind(at)
                .bind(id)
                .execute(&mut *c)
                .await?;
            // Paced rows only: the methods the worker paces (`is_paced`).
            sqlx::query(
                "UPDATE outbox_pacing AS p SET next_at_ms = GREATEST(p.next_at_ms, $1 + p.interval_ms) \
                 FROM outbox AS o WHERE o.id = $2 AND p.order_key = o.order_key \
                 AND o.method IN ('chat.postMessage', 'chat.update')",
            )
            .bind(called)
            .bind(id)
            .execute(&mut *c)
            .await?;
            if let Some((key, channel, ts)) = posted {
                sqlx::query(&numbered(POSTED))
                    .bind(key)
                    .bind(channel)
                    .bind(ts)
                    .bind(at)
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        }),
    }
}

/// Puts a row back to wait until `not_before_ms`.
pub fn retry_later(
    batch: &Batch<'_>,
    id: i64,
    not_before_ms: i64,
    error: &str,
    count_attempt: bool,
) -> direct::Result<()> {
    const RETRY: &str = "UPDATE outbox SET status = 'pending', not_before = ?1, last_error = ?2, \
                         attempts = attempts - ?3 WHERE id = ?4";
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(RETRY)
            .and_then(|mut retry| {
                retry.execute((not_before_ms, error, if count_attempt { 0 } else { 1 }, id))
            })
            .map(drop)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            let not_before_ms = not_before_ms + db_shift(c).await?;
            sqlx::query(&numbered(RETRY))
                .bind(not_before_ms)
                .bind(error)
                .bind(if count_attempt { 0_i64 } else { 1 })
                .bind(id)
                .execute(&mut *c)
                .await
                .map(drop)
        }),
    }
}

/// Gives a row up for good ('failed') or skips it ('superseded'), with the
/// reason; alone or as part of a transaction open on `db`.
pub fn finish(
    batch: &Batch<'_>,
    id: i64,
    status: &str,
    reason: &str,
    at: chrono::DateTime<Utc>,
) -> direct::Result<()> {
    const FINISH: &str =
        "UPDATE outbox SET status = ?1, last_error = ?2, finished_at = ?3 WHERE id = ?4";
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(FINISH)
            .and_then(|mut finish| finish.execute((status, reason, direct::time_text(at), id)))
            .map(drop)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query(&numbered(FINISH))
                .bind(status)
                .bind(reason)
                .bind(at)
                .bind(id)
                .execute(&mut *c)
                .await
                .map(drop)
        }),
    }
}

/// When a newer waiting row edits the same message in the same order key,
/// marks `row` and every waiting edit between them superseded, in one
/// statement (a burst of edits collapses at once instead of one per pass),
/// and returns true. Only the newest edit is then sent, in its own turn.
pub fn supersede_if_newer(
    batch: &Batch<'_>,
    id: i64,
    order_key: &str,
    message_key: &str,
    method: &str,
    at: chrono::DateTime<Utc>,
) -> direct::Result<bool> {
    const SUPERSEDE: &str = "UPDATE outbox SET status = 'superseded', \
             last_error = 'a newer edit is waiting', finished_at = ?1 \
             WHERE order_key = ?2 AND message_key = ?3 AND method = ?4 AND id >= ?5 \
             AND (status = 'pending' OR id = ?5) \
             AND id < (SELECT MAX(id) FROM outbox WHERE order_key = ?2 AND message_key = ?3 \
                       AND method = ?4 AND status = 'pending' AND id > ?5)";
    let done = match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(SUPERSEDE)
            .and_then(|mut supersede| {
                supersede.execute((direct::time_text(at), order_key, message_key, method, id))
            })
            .map_err(direct::into_sqlx)? as u64,
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query(&numbered(SUPERSEDE))
                .bind(at)
                .bind(order_key)
                .bind(message_key)
                .bind(method)
                .bind(id)
                .execute(&mut *c)
                .await
                .map(|done| done.rows_affected())
        })?,
    };
    Ok(done > 0)
}

/// The waiting rows after `after` in `order_key` whose render key starts
/// with `prefix` (celebrations behind the one being delivered), oldest
/// first, at most `limit`: (id, payload). Read through index
/// `outbox_pending`, so a long queue costs `limit` steps.
pub async fn waiting_after(
    db: &Db,
    order_key: &str,
    after: i64,
    prefix: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    // PostgreSQL has no INDEXED BY; its planner takes outbox_pending for
    // the equalities and the order by id.
    let sql = match db.engine() {
        Engine::Sqlite => {
            "SELECT id, payload FROM outbox INDEXED BY outbox_pending \
             WHERE status = 'pending' AND order_key = ?1 AND id > ?2 \
               AND substr(render_key, 1, length(?3)) = ?3 \
             ORDER BY id LIMIT ?4"
        }
        Engine::Postgres => {
            "SELECT id, payload FROM outbox \
             WHERE status = 'pending' AND order_key = ?1 AND id > ?2 \
               AND substr(render_key, 1, length(?3)) = ?3 \
             ORDER BY id LIMIT ?4"
        }
    };
    on!(db.on(), sql, |q, c| sqlx::query_as(q)
        .bind(order_key)
        .bind(after)
        .bind(prefix)
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// Marks the waiting row `id` superseded for `reason`; returns its render
/// key if it was still waiting (None: another worker has it, or it is done).
pub fn supersede_waiting(
    batch: &Batch<'_>,
    id: i64,
    reason: &str,
    at: chrono::DateTime<Utc>,
) -> direct::Result<Option<Option<String>>> {
    const SUPERSEDE: &str = "UPDATE outbox SET status = 'superseded', last_error = ?1, \
                             finished_at = ?2 \
                             WHERE id = ?3 AND status = 'pending' RETURNING render_key";
    match batch.db() {
        Handle::Sqlite(db) => {
            use rusqlite::OptionalExtension as _;
            db.prepare_cached(SUPERSEDE)
                .and_then(|mut supersede| {
                    supersede
                        .query_row((reason, direct::time_text(at), id), |row| row.get(0))
                        .optional()
                })
                .map_err(direct::into_sqlx)
        }
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query_scalar::<_, Option<String>>(&numbered(SUPERSEDE))
                .bind(reason)
                .bind(at)
                .bind(id)
                .fetch_optional(&mut *c)
                .await
        }),
    }
}

/// Replaces what row `id` delivers (a claimed row whose message grew).
pub fn set_payload(batch: &Batch<'_>, id: i64, payload: &str) -> direct::Result<()> {
    const SET: &str = "UPDATE outbox SET payload = ?1 WHERE id = ?2";
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(SET)
            .and_then(|mut set| set.execute((payload, id)))
            .map(drop)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query(&numbered(SET))
                .bind(payload)
                .bind(id)
                .execute(&mut *c)
                .await
                .map(drop)
        }),
    }
}

/// Marks superseded, for `reason`, the waiting rows in `order_key` (from
/// its oldest, at most `limit` of them) whose render key starts with
/// `prefix` and that were created before `before`. Returns their render
/// keys.
pub fn supersede_stale(
    batch: &Batch<'_>,
    order_key: &str,
    prefix: &str,
    before: chrono::DateTime<Utc>,
    limit: i64,
    reason: &str,
    at: chrono::DateTime<Utc>,
) -> direct::Result<Vec<String>> {
    match batch.db() {
        Handle::Sqlite(db) => {
            let sqlite = || -> rusqlite::Result<Vec<String>> {
                let mut update = db.prepare_cached(
                    "UPDATE outbox SET status = 'superseded', last_error = ?1, finished_at = ?2 \
                     WHERE id IN (SELECT id FROM outbox INDEXED BY outbox_pending \
                                  WHERE status = 'pending' AND order_key = ?3 ORDER BY id LIMIT ?4) \
                       AND substr(render_key, 1, length(?5)) = ?5 AND created_at < ?6 \
                     RETURNING render_key",
                )?;
                let keys = update
                    .query_map(
                        (
                            reason,
                            direct::time_text(at),
                            order_key,
                            limit,
                            prefix,
                            direct::time_text(before),
                        ),
                        |row| row.get(0),
                    )?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok(keys)
            };
            sqlite().map_err(direct::into_sqlx)
        }
        // No INDEXED BY on PostgreSQL: outbox_pending serves the equalities
        // and the order by id.
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query_scalar::<_, String>(
                "UPDATE outbox SET status = 'superseded', last_error = $1, finished_at = $2 \
                 WHERE id IN (SELECT id FROM outbox \
                              WHERE status = 'pending' AND order_key = $3 ORDER BY id LIMIT $4) \
                   AND substr(render_key, 1, length($5)) = $5 AND created_at < $6 \
                 RETURNING render_key",
            )
            .bind(reason)
            .bind(at)
            .bind(order_key)
            .bind(limit)
            .bind(prefix)
            .bind(before)
            .fetch_all(&mut *c)
            .await
        }),
    }
}

/// Rows finished (sent, superseded or given up) before `before`, at most
/// `limit` of them.
pub async fn finished_before(
    db: &Db,
    before: chrono::DateTime<Utc>,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT id FROM outbox WHERE status IN ('sent', 'superseded', 'failed') \
         AND finished_at < ? LIMIT ?",
        |q, c| sqlx::query_scalar(q)
            .bind(before)
            .bind(limit)
            .fetch_all(c)
            .await
    )
}

/// Deletes these rows (in the caller's transaction); returns how many there were.
pub fn delete(batch: &Batch<'_>, ids: &[i64]) -> direct::Result<u64> {
    match batch.db() {
        Handle::Sqlite(db) => {
            let sqlite = || -> rusqlite::Result<u64> {
                let mut delete = db.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
                let mut deleted = 0;
                for id in ids {
                    deleted += delete.execute([id])? as u64;
                }
                Ok(deleted)
            };
            sqlite().map_err(direct::into_sqlx)
        }
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query("DELETE FROM outbox WHERE id = ANY($1)")
                .bind(ids)
                .execute(&mut *c)
                .await
                .map(|done| done.rows_affected())
        }),
    }
}

pub async fn posted_message(db: &Db, key: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT channel, ts FROM slack_messages WHERE message_key = ?",
        |q, c| sqlx::query_as(q).bind(key).fetch_optional(c).await
    )
}

/// The key of needful's post at `ts` in `channel`, if it posted one there
/// under a key: one probe of index `slack_messages_place`.
pub async fn posted_key_at(
    db: &Db,
    channel: &str,
    ts: &str,
) -> Result<Option<String>, sqlx::Error> {
    let sql = match db.engine() {
        Engine::Sqlite => POSTED_KEY_AT,
        Engine::Postgres => POSTED_KEY_AT_POSTGRES,
    };
    on!(db.on(), sql, |q, c| sqlx::query_scalar(q)
        .bind(channel)
        .bind(ts)
        .fetch_optional(c)
        .await)
}

/// [`posted_key_at`] inside a write transaction (the reaction batch).
pub fn posted_key_at_on(
    batch: &Batch<'_>,
    channel: &str,
    ts: &str,
) -> direct::Result<Option<String>> {
    match batch.db() {
        Handle::Sqlite(db) => {
            use rusqlite::OptionalExtension as _;
            db.prepare_cached(POSTED_KEY_AT)
                .and_then(|mut posted| posted.query_row((channel, ts), |row| row.get(0)).optional())
                .map_err(direct::into_sqlx)
        }
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query_scalar::<_, String>(&numbered(POSTED_KEY_AT_POSTGRES))
                .bind(channel)
                .bind(ts)
                .fetch_optional(&mut *c)
                .await
        }),
    }
}

const POSTED_KEY_AT: &str = "SELECT message_key FROM slack_messages INDEXED BY slack_messages_place \
                             WHERE channel = ?1 AND ts = ?2";

/// [`POSTED_KEY_AT`] without SQLite's INDEXED BY: PostgreSQL's planner
/// takes slack_messages_place for the two equalities.
const POSTED_KEY_AT_POSTGRES: &str =
    "SELECT message_key FROM slack_messages WHERE channel = ?1 AND ts = ?2";

/// Forgets where a deleted message was.
pub fn forget_message(batch: &Batch<'_>, key: &str) -> direct::Result<()> {
    const FORGET: &str = "DELETE FROM slack_messages WHERE message_key = ?1";
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(FORGET)
            .and_then(|mut forget| forget.execute([key]))
            .map(drop)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query(&numbered(FORGET))
                .bind(key)
                .execute(&mut *c)
                .await
                .map(drop)
        }),
    }
}

pub async fn dm_channel(db: &Db, user: &str) -> Result<Option<String>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT channel FROM dm_channels WHERE user_id = ?",
        |q, c| sqlx::query_scalar(q).bind(user).fetch_optional(c).await
    )
}

pub fn remember_dm_channel(batch: &Batch<'_>, user: &str, channel: &str) -> direct::Result<()> {
    const REMEMBER: &str = "INSERT INTO dm_channels (user_id, channel) VALUES (?1, ?2) \
                            ON CONFLICT (user_id) DO UPDATE SET channel = excluded.channel";
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(REMEMBER)
            .and_then(|mut remember| remember.execute((user, channel)))
            .map(drop)
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query(&numbered(REMEMBER))
                .bind(user)
                .bind(channel)
                .execute(&mut *c)
                .await
                .map(drop)
        }),
    }
}

/// Rows not yet delivered or given up.
pub async fn depth(db: &Db) -> Result<i64, sqlx::Error> {
    on!(
        db.on(),
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
        |q, c| sqlx::query_scalar(q).fetch_one(c).await
    )
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Summary {
    pub status: String,
    pub count: i64,
}

/// The statuses [`summary`] counts: the rows still to deliver and the ones
/// given up. Sent and superseded rows (a month of them) are left out so the
/// count reads only their index ranges, not the whole table.
pub const SUMMARY_STATUSES: [&str; 3] = ["pending", "sending", "failed"];

pub async fn summary(db: &Db) -> Result<Vec<Summary>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT status, COUNT(*) AS count FROM outbox \
         WHERE status IN ('pending', 'sending', 'failed') GROUP BY status ORDER BY status",
        |q, c| sqlx::query_as(q).fetch_all(c).await
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(order_key: &str) -> NewRow {
        NewRow {
            order_key: order_key.to_string(),
            method: "chat.postMessage",
            payload: "{}".to_string(),
            message_key: None,
            render_key: None,
        }
    }

    /// Runs `work` on the SQLite handle of `db`'s connection, as the
    /// writer's direct calls do.
    async fn on_batch<T>(db: &Db, work: impl FnOnce(&Batch<'_>) -> direct::Result<T>) -> T {
        let mut conn = db.as_sqlite().unwrap().acquire().await.unwrap();
        crate::storage::direct::run(&mut conn, |db| Ok(work(&Batch::new(db))))
            .await
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_prefix_ends_at_the_next_character() {
        assert_eq!(prefix_end("home:"), "home;");
        assert_eq!(prefix_end(""), "");
    }

    #[tokio::test]
    async fn heads_are_the_oldest_per_key_and_skip_a_prefix_whole() {
        let db = crate::storage::connect("sqlite::memory:").await.unwrap();
        let mut tx = crate::storage::Tx::write(&db, Utc::now()).await.unwrap();
        let keys = [
            "channel:C1",
            "home:U1",
            "channel:C1",
            "home:U2",
            "dm:U1",
            "home:U1",
            "reactions:C1",
        ];
        insert(&mut tx, &keys.map(row)).await.unwrap();
        tx.commit().await.unwrap();
        let order = |rows: Vec<Row>| {
            rows.into_iter()
                .map(|r| (r.id, r.order_key))
                .collect::<Vec<_>>()
        };
        let all = order(heads(&db, 100, None).await.unwrap());
        assert_eq!(
            all,
            [
                (1, "channel:C1".to_string()),
                (2, "home:U1".to_string()),
                (4, "home:U2".to_string()),
                (5, "dm:U1".to_string()),
                (7, "reactions:C1".to_string()),
            ]
        );
        let without_homes = order(heads(&db, 100, Some("home:")).await.unwrap());
        assert_eq!(
            without_homes,
            [
                (1, "channel:C1".to_string()),
                (5, "dm:U1".to_string()),
                (7, "reactions:C1".to_string()),
            ]
        );
        assert_eq!(order(heads(&db, 2, None).await.unwrap()).len(), 2);
    }

    #[tokio::test]
    async fn a_covered_row_is_not_added_while_its_key_waits() {
        let db = crate::storage::connect("sqlite::memory:").await.unwrap();
        let covered = |key: &str| NewRow {
            render_key: Some(key.to_string()),
            ..row(key)
        };
        let mut tx = crate::storage::Tx::write(&db, Utc::now()).await.unwrap();
        insert(&mut tx, &[covered("home:U1")]).await.unwrap();
        insert(
            &mut tx,
            &[covered("home:U1"), covered("home:U2"), row("home:U1")],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let keys: Vec<String> = sqlx::query_scalar("SELECT order_key FROM outbox ORDER BY id")
            .fetch_all(db.as_sqlite().unwrap())
            .await
            .unwrap();
        assert_eq!(keys, ["home:U1", "home:U2", "home:U1"]);
    }

    #[tokio::test]
    async fn only_rows_finished_before_the_cutoff_are_deleted() {
        let db = crate::storage::connect("sqlite::memory:").await.unwrap();
        let mut tx = crate::storage::Tx::write(&db, Utc::now()).await.unwrap();
        insert(&mut tx, &["a", "b", "c", "d", "e"].map(row))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // 1 sent, 2 superseded, 3 given up; 4 is being sent; 5 waits.
        let finished = Utc::now() - chrono::Duration::days(400);
        let claimed = on_batch(&db, |batch| {
            mark_sent(batch, 1, None, finished, 0)?;
            finish(batch, 2, "superseded", "a newer edit is waiting", finished)?;
            finish(batch, 3, "failed", "channel_not_found", finished)?;
            claim(batch, 4, 0, 60_000, None).map(|c| c == Claim::Claimed)
        })
        .await;
        assert!(claimed);
        // Aged by the time they were given, not the wall clock's.
        let later = finished + chrono::Duration::seconds(1);
        let before_any = finished - chrono::Duration::seconds(1);

        assert!(
            finished_before(&db, before_any, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let mut old = finished_before(&db, later, 100).await.unwrap();
        old.sort_unstable();
        assert_eq!(old, [1, 2, 3]);
        assert_eq!(finished_before(&db, later, 2).await.unwrap().len(), 2);

        let delete_old = async || on_batch(&db, |batch| delete(batch, &old)).await;
        assert_eq!(delete_old().await, 3);
        let left: Vec<(i64, String)> = sqlx::query_as("SELECT id, status FROM outbox ORDER BY id")
            .fetch_all(db.as_sqlite().unwrap())
            .await
            .unwrap();
        assert_eq!(
            left,
            [(4, "sending".to_string()), (5, "pending".to_string())]
        );
        assert_eq!(delete_old().await, 0, "deleting twice is harmless");
    }
}
