//! What each giver has given in their day, kept in memory by the event
//! writer from one batch to the next (on SQLite).
//!
//! The daily limit needs, for every giver in a batch, their standing kudos
//! in their day. Counting them from `kudos_log` walks one index entry per
//! kudos, so a giver's hundredth kudos of the day cost a hundred steps, and
//! over a long run at full load that count took most of the writer's time.
//! Here a count is read from the log once and then kept up to date from the
//! rows added since: `kudos_log` is only ever appended to (a retraction is a
//! row of its own) and its ids only grow, so the rows after the last one
//! seen are exactly what changed, whichever connection wrote them.
//!
//! On PostgreSQL nothing is kept: several replicas may write the log, and
//! a copy in one replica's memory would not hear of the others' rows
//! between its batches. There each batch counts its givers' days from the
//! log ([`given_in_days_pg`]), inside its transaction, under the write lock.
//!
//! It lives in storage, not with the kudos rules: it is a copy of what
//! `kudos_log` holds, right only by the log's own rules (rows appended, ids
//! growing, read under the write lock), and the features only ever see
//! counts.

use std::{collections::HashMap, sync::Mutex};

use sqlx::PgConnection;

use crate::storage::direct::{self, Batch, Handle};

/// A giver's day: (giver, start ms, end ms).
pub type DayKey = (String, i64, i64);

/// Past this many days kept, all are dropped (read again when next needed).
const MAX_DAYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct DailyCounts(Mutex<Counts>);

#[derive(Debug, Default)]
struct Counts {
    /// Standing kudos per giver's day, exact up to `seen`.
    days: HashMap<DayKey, i64>,
    /// The last `kudos_log` id the counts include.
    seen: i64,
}

impl DailyCounts {
    /// The standing kudos given in each of `days`, as the log holds them up
    /// to id `last_id` (the newest row; the caller holds the write lock, so
    /// every row up to it is committed or its own). Runs inside the
    /// batch's transaction. On PostgreSQL, counted from the log each time
    /// (see the module's note; `last_id` is not needed there).
    pub fn given(
        &self,
        batch: &Batch<'_>,
        days: &[DayKey],
        last_id: i64,
        now_ms: i64,
    ) -> direct::Result<Vec<(String, i64)>> {
        match batch.db() {
            Handle::Sqlite(db) => self
                .given_on(db, days, last_id, now_ms)
                .map_err(direct::into_sqlx),
            Handle::Postgres(pg) => pg.wait(async |c| given_in_days_pg(c, days).await),
        }
    }

    /// [`DailyCounts::given`] on SQLite: from memory, caught up with the
    /// log's rows since the last batch.
    pub(super) fn given_on(
        &self,
        db: &rusqlite::Connection,
        days: &[DayKey],
        last_id: i64,
        now_ms: i64,
    ) -> rusqlite::Result<Vec<(String, i64)>> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if counts.days.len() > MAX_DAYS || last_id < counts.seen {
            // Too many, or a log that went back (a database restored under
            // a running writer): start again from the log.
            counts.days.clear();
        }
        if counts.days.is_empty() {
            counts.seen = last_id;
        }
        if counts.seen < last_id {
            counts.catch_up(db, last_id)?;
            // Days that are over are not asked for again.
            counts.days.retain(|(_, _, end), _| *end > now_ms);
        }
        let mut given = Vec::with_capacity(days.len());
        for key in days {
            let n = match counts.days.get(key) {
                Some(n) => *n,
                None => {
                    let (giver, start, end) = key;
                    let n = given_in_day_on(db, giver, *start, *end)?;
                    counts.days.insert(key.clone(), n);
                    n
                }
            };
            given.push((key.0.clone(), n));
        }
        Ok(given)
    }
}

impl Counts {
    /// Applies the rows after `seen` up to `last_id` to the days they fall in,
    /// with the same rules as the count from the log
    /// ([`given_in_day_on`]).
    fn catch_up(&mut self, db: &rusqlite::Connection, last_id: i64) -> rusqlite::Result<()> {
        for row in added_between(db, self.seen, last_id)? {
            for ((giver, start, end), n) in self.days.iter_mut() {
                if *giver != row.giver {
                    continue;
                }
                match row.retracted_at_ms {
                    None if row.at_ms >= *start && row.at_ms < *end => *n += 1,
                    Some(given_at)
                        if row.at_ms >= *start && given_at >= *start && given_at < *end =>
                    {
                        *n -= 1
                    }
                    _ => {}
                }
            }
        }
        self.seen = last_id;
        Ok(())
    }
}

/// [`given_in_day_on`]'s count, for either engine.
const GIVEN_IN_DAY: &str = "SELECT (SELECT COUNT(*) FROM kudos_log WHERE giver = ?1 AND kind = 'given' \
                 AND at_ms >= ?2 AND at_ms < ?3) \
              - (SELECT COUNT(*) FROM kudos_log r JOIN kudos_log g ON g.id = r.retracts \
                 WHERE r.giver = ?1 AND r.kind = 'retracted' AND r.at_ms >= ?2 \
                 AND g.at_ms >= ?2 AND g.at_ms < ?3)";

/// The standing kudos `giver` gave in `[start_ms, end_ms)`, what the daily
/// limit counts: the day's given rows less those taken back, both counted
/// from index `kudos_log_giver_kind`, one step per kudos (the writer
/// reads it once per giver's day and keeps it: [`DailyCounts`]). A kudos is
/// taken back after it is given, so its retraction is in the day or later.
pub(super) fn given_in_day_on(
    db: &rusqlite::Connection,
    giver: &str,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<i64> {
    db.prepare_cached(GIVEN_IN_DAY)?
        .query_row((giver, start_ms, end_ms), |row| row.get(0))
}

/// [`given_in_day_on`] on PostgreSQL (COUNT(*) is BIGINT there too).
pub(super) async fn given_in_day_pg(
    c: &mut PgConnection,
    giver: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&crate::storage::sql::numbered(GIVEN_IN_DAY))
        .bind(giver)
        .bind(start_ms)
        .bind(end_ms)
        .fetch_one(c)
        .await
}

/// [`given_in_day_on`] for each of `days`, in their order, on PostgreSQL:
/// one statement (one round trip under the write lock), the same count per
/// day.
pub(super) async fn given_in_days_pg(
    c: &mut PgConnection,
    days: &[DayKey],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let givers: Vec<&str> = days.iter().map(|(giver, _, _)| giver.as_str()).collect();
    let starts: Vec<i64> = days.iter().map(|(_, start, _)| *start).collect();
    let ends: Vec<i64> = days.iter().map(|(_, _, end)| *end).collect();
    let counts: Vec<i64> = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM kudos_log WHERE giver = d.giver AND kind = 'given' \
                 AND at_ms >= d.start_ms AND at_ms < d.end_ms) \
              - (SELECT COUNT(*) FROM kudos_log r JOIN kudos_log g ON g.id = r.retracts \
                 WHERE r.giver = d.giver AND r.kind = 'retracted' AND r.at_ms >= d.start_ms \
                 AND g.at_ms >= d.start_ms AND g.at_ms < d.end_ms) \
         FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[]) WITH ORDINALITY \
              AS d (giver, start_ms, end_ms, n) \
         ORDER BY d.n",
    )
    .bind(givers)
    .bind(starts)
    .bind(ends)
    .fetch_all(c)
    .await?;
    Ok(days
        .iter()
        .zip(counts)
        .map(|((giver, _, _), n)| (giver.clone(), n))
        .collect())
}

/// A `kudos_log` row as the daily counts see it.
struct Added {
    giver: String,
    at_ms: i64,
    /// For a retraction: when the kudos it takes back was given.
    retracted_at_ms: Option<i64>,
}

/// The rows with ids in `(after, upto]`, oldest first.
fn added_between(db: &rusqlite::Connection, after: i64, upto: i64) -> rusqlite::Result<Vec<Added>> {
    db.prepare_cached(
        "SELECT r.giver, r.at_ms, g.at_ms FROM kudos_log r \
         LEFT JOIN kudos_log g ON g.id = r.retracts AND r.kind = 'retracted' \
         WHERE r.id > ?1 AND r.id <= ?2 AND (r.kind = 'given' OR g.id IS NOT NULL) \
         ORDER BY r.id",
    )?
    .query_map((after, upto), |row| {
        Ok(Added {
            giver: row.get(0)?,
            at_ms: row.get(1)?,
            retracted_at_ms: row.get(2)?,
        })
    })?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(
        db: &rusqlite::Connection,
        kind: &str,
        retracts: Option<i64>,
        at: i64,
        giver: &str,
    ) -> i64 {
        db.execute(
            "INSERT INTO kudos_log (kind, retracts, at_ms, giver, receiver, source, channel) \
             VALUES (?1, ?2, ?3, ?4, 'UR', 'reaction', 'C1')",
            (kind, retracts, at, giver),
        )
        .unwrap();
        db.last_insert_rowid()
    }

    fn last_id(db: &rusqlite::Connection) -> i64 {
        db.query_row("SELECT IFNULL(MAX(id), 0) FROM kudos_log", [], |r| r.get(0))
            .unwrap()
    }

    /// Kudos and retractions in a seeded shuffle, from givers in two days
    /// (and one day asked for in two time zones): after every step the
    /// counts kept equal the counts read from the log.
    #[tokio::test]
    async fn counts_kept_equal_counts_read_from_the_log() {
        let crate::storage::Db::Sqlite(pool) =
            crate::storage::connect("sqlite::memory:").await.unwrap()
        else {
            unreachable!("a SQLite URL")
        };
        let mut conn = pool.acquire().await.unwrap();
        crate::storage::direct::run(&mut conn, |db| {
            let db: &rusqlite::Connection = db;
            let batch = Batch::new(db);
            let counts = DailyCounts::default();
            let days: Vec<DayKey> = vec![
                ("UA".into(), 0, 100),
                ("UA".into(), 100, 200),
                ("UA".into(), 50, 150),
                ("UB".into(), 0, 100),
            ];
            let mut given: Vec<(i64, String)> = Vec::new();
            let mut seed: u64 = 20261127;
            let mut next = || {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                seed >> 33
            };
            for step in 0..400 {
                let at = (step / 2) as i64; // the clock moves on through both days
                let giver = if next() % 3 == 0 { "UB" } else { "UA" };
                let take_back = next() % 4 == 0;
                let open: Vec<usize> = given
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, g))| g == giver)
                    .map(|(i, _)| i)
                    .collect();
                if take_back && !open.is_empty() {
                    let (id, g) = given.remove(open[next() as usize % open.len()]);
                    log(db, "retracted", Some(id), at, &g);
                } else {
                    let id = log(db, "given", None, at, giver);
                    given.push((id, giver.to_string()));
                }
                // Ask for a varying part of the days, as batches do.
                let asked: Vec<DayKey> = days.iter().filter(|_| next() % 2 == 0).cloned().collect();
                let kept = counts
                    .given(&batch, &asked, last_id(db), at)
                    .expect("the counts");
                for ((giver, start, end), (_, n)) in asked.iter().zip(&kept) {
                    let read = given_in_day_on(db, giver, *start, *end)?;
                    assert_eq!(*n, read, "step {step}: {giver} in [{start}, {end})");
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    }
}
