//! WAL checkpoints, off the write path.
//!
//! A commit appends its pages to the write-ahead log; a checkpoint copies
//! them into the database file and fsyncs it. SQLite normally runs one inside
//! whichever commit crosses 1,000 pages, and every event queued behind that
//! commit waited for the fsync. Here the writers never checkpoint
//! (`wal_autocheckpoint = 0`, see [`super::connect`]) and this loop does it on
//! a connection of its own. A PASSIVE checkpoint takes no lock that writers
//! or readers wait for; the log starts again from its beginning at the first
//! commit after a checkpoint has copied all of it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Db;

/// How often the log is copied back: short enough to keep it to a few
/// megabytes at full load, long enough that an idle bot does nothing.
const EVERY: Duration = Duration::from_millis(100);

/// Checkpoints every [`EVERY`] until `shutdown`.
pub async fn run(db: Db, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
        match passive(&db).await {
            Ok(waiting) => metrics::gauge!("needful_wal_frames_waiting").set(waiting as f64),
            // A busy or failing disk shows here and in the writers' errors;
            // the next round tries again.
            Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed"),
        }
    }
}

/// At a clean stop, once nothing else writes: copies the whole log into the
/// database file and empties it, so the file alone holds everything.
pub async fn last(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db)
        .await?;
    Ok(())
}

/// One PASSIVE checkpoint; returns how many log frames it could not copy yet
/// (a reader still needs them).
pub async fn passive(db: &Db) -> Result<i64, sqlx::Error> {
    let (_busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(db)
        .await?;
    Ok((log - copied).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commits_leave_checkpoints_to_the_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("needful.db").display());
        let db = super::super::connect(&url).await.unwrap();
        let checkpointer = super::super::connect_checkpointer(&url)
            .await
            .unwrap()
            .expect("a file database gets a checkpointer");
        // Well past SQLite's automatic threshold of 1,000 pages.
        for round in 0..100 {
            sqlx::query(
                "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
                 INSERT INTO processed_events (event_id, kind, received_at) \
                 SELECT printf('Ev%d-%0200d', ?1, i), 'test', '2026-11-27' FROM n",
            )
            .bind(round)
            .execute(&db)
            .await
            .unwrap();
        }
        // Had a commit checkpointed, the log would have started again.
        let (_busy, log, copied): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&checkpointer)
                .await
                .unwrap();
        assert!(
            log > 1000,
            "commits checkpointed: the log holds only {log} frames"
        );
        assert_eq!(copied, log);
        assert_eq!(passive(&checkpointer).await.unwrap(), 0);
    }
}
