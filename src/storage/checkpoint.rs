//! WAL checkpoints, off the write path.
//!
//! A commit appends its pages to the write-ahead log; a checkpoint copies
//! them into the database file and fsyncs it. SQLite normally runs one inside
//! whichever commit crosses 1,000 pages, and every event queued behind that
//! commit waited for the fsync. Here the writer never checkpoints
//! (`wal_autocheckpoint = 0`, see [`super::connect_writer`]) and this loop
//! does it on a connection of its own. A PASSIVE checkpoint takes no lock
//! that the writer or readers wait for.
//!
//! The log starts again from its beginning only at a commit that finds all
//! of it copied, and under steady load there is never such a moment: each
//! checkpoint ends behind the commits made while it ran, and the log grew by
//! some 44 MB a second at 1,000 kudos a second, every commit writing pages
//! the file system had to allocate. So once the log passes
//! [`RESTART_AFTER`] frames, the checkpointer asks the writer for a RESTART
//! checkpoint ([`Writer::restart_log`]): a job like any write, so none runs
//! during its millisecond or two, after which the next commit writes from
//! the start of the log again.
//!
//! The PASSIVE copies run on a thread of their own at a lower CPU priority
//! ([`Copier`], [`super::priority`]): at 1,000 kudos a second each one is a
//! burst of several milliseconds of copying, and on two cores it took the
//! CPU from the writer and the requests. The RESTART, during which every
//! write waits, runs on the writer at normal priority.
//!
//! A PASSIVE copy leaves what it wrote to the database file to the disk's
//! own time: SQLite syncs the file only at a checkpoint that reaches the
//! log's end, which under steady writes is only the RESTART. So before
//! asking for one, the copier syncs the file itself, off the write path,
//! and copies (and syncs) once more what came in meanwhile; the RESTART is
//! left a few pages to copy and sync. It used to write back two seconds of
//! copies while every write waited: 10–15 ms with 150,000 kudos in the
//! file, 1.5 ms now (see BENCHMARKS.md). Syncing after every copy instead
//! made acknowledgements slower than once per restart did.

use std::{path::PathBuf, time::Duration};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use sqlx::SqlitePool;

use super::Writer;

/// How often the log is copied back: short enough to keep each copy small
/// (each one takes a little from the requests while it runs: every 200 ms
/// made p99 at 1,000 kudos a second worse than every 100 ms, and every 50 ms
/// better), long enough that an idle bot does next to nothing.
const EVERY: Duration = Duration::from_millis(50);

/// Log frames (4 KB pages) past which the log is made to start again: 64 MB.
/// Each restart holds the writer off for a moment, so not too often
/// (every 1.5 s or so at 1,000 kudos a second), and the log's file stays
/// this size and is written over.
pub const RESTART_AFTER: i64 = 16_384;

/// Checkpoints every [`EVERY`] until `shutdown`. The log starts again past
/// `restart_after` frames ([`RESTART_AFTER`] in the app), through `writer`.
pub async fn run(db: SqlitePool, writer: Writer, restart_after: i64, shutdown: CancellationToken) {
    let copier = Copier::start(db.connect_options().get_filename().to_path_buf())
        .inspect_err(|e| tracing::warn!(error = %e, "checkpoints run at normal priority"))
        .ok();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
        let copied = match &copier {
            Some(copier) => match copier.passive(Flush::No).await {
                // Only saves the RESTART time: if it fails, the RESTART syncs.
                Ok(log) if log.frames > restart_after => {
                    copier.before_restart().await.or_else(|e| {
                        tracing::warn!(error = %format!("{e:#}"), "syncing the database file before the log's restart failed");
                        Ok(log)
                    })
                }
                other => other,
            },
            None => passive(&db).await.map_err(anyhow::Error::from),
        };
        let result = match copied {
            Ok(log) if log.frames > restart_after => writer.restart_log().await,
            other => other,
        };
        match result {
            Ok(log) => metrics::gauge!("needful_wal_frames_waiting").set(log.waiting() as f64),
            // A busy or failing disk shows here and in the writer's errors;
            // the next round tries again.
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "a WAL checkpoint failed"),
        }
    }
}

/// Runs PASSIVE checkpoints on a thread of its own, with a connection of its
/// own, at a lower CPU priority than the rest of needful.
struct Copier(std::sync::mpsc::Sender<Request>);

/// Whether a copy ends with an fsync of the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    No,
    Yes,
}

type Request = (Flush, oneshot::Sender<anyhow::Result<Log>>);

impl Copier {
    fn start(database: PathBuf) -> std::io::Result<Self> {
        let (requests, incoming) = std::sync::mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("needful-checkpoint".into())
            .spawn(move || {
                super::priority::lower_this_thread();
                let db = rusqlite::Connection::open(&database)
                    .map_err(anyhow::Error::from)
                    .and_then(|db| {
                        // Never written through; some systems sync only a
                        // file open for writing.
                        let file = std::fs::OpenOptions::new()
                            .read(true)
                            .write(true)
                            .open(&database)?;
                        Ok((file, db))
                    })
                    .map_err(|e| anyhow::anyhow!("opening {}: {e:#}", database.display()));
                // Ends when `run` (holding the sender) does.
                for (flush, reply) in incoming {
                    let copied = match &db {
                        Ok((file, db)) => copy(db, file, flush),
                        Err(e) => Err(anyhow::anyhow!("{e:#}")),
                    };
                    let _ = reply.send(copied);
                }
            })?;
        Ok(Self(requests))
    }

    /// Makes what the copies wrote durable, then copies what came in
    /// meanwhile, so that a RESTART has little left to write back.
    async fn before_restart(&self) -> anyhow::Result<Log> {
        self.passive(Flush::Yes).await?;
        self.passive(Flush::Yes).await
    }

    async fn passive(&self, flush: Flush) -> anyhow::Result<Log> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send((flush, reply))
            .map_err(|_| anyhow::anyhow!("the checkpoint thread has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the checkpoint thread has stopped"))?
    }
}

/// A PASSIVE checkpoint, then, if asked, an fsync of the database file.
fn copy(db: &rusqlite::Connection, file: &std::fs::File, flush: Flush) -> anyhow::Result<Log> {
    let log = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Log {
            frames: row.get(1)?,
            copied: row.get(2)?,
        })
    })?;
    if flush == Flush::Yes && log.copied > 0 {
        file.sync_data()?;
    }
    Ok(log)
}

/// The log after a checkpoint: frames in it, and frames copied back.
#[derive(Debug, Clone, Copy)]
pub struct Log {
    pub frames: i64,
    pub copied: i64,
}

impl Log {
    /// Frames not copied yet (a reader still needs them).
    pub fn waiting(self) -> i64 {
        (self.frames - self.copied).max(0)
    }
}

/// At a clean stop, once nothing else writes: copies the whole log into the
/// database file and empties it, so the file alone holds everything.
pub async fn last(db: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db)
        .await?;
    Ok(())
}

/// One PASSIVE checkpoint: copies what no reader needs, waits for no one.
pub async fn passive(db: &SqlitePool) -> Result<Log, sqlx::Error> {
    let (_busy, frames, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(db)
        .await?;
    Ok(Log { frames, copied })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh file database: its directory, its URL, the checkpointer's pool.
    async fn fresh() -> (tempfile::TempDir, String, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("needful.db").display());
        drop(super::super::connect(&url).await.unwrap()); // migrated
        let checkpointer = super::super::connect_checkpointer(&url).await.unwrap();
        (dir, url, checkpointer)
    }

    #[tokio::test]
    async fn commits_leave_checkpoints_to_the_checkpointer() {
        let (_dir, url, checkpointer) = fresh().await;
        let db = super::super::connect(&url).await.unwrap();
        let db = db.as_sqlite().unwrap();
        // Well past SQLite's automatic threshold of 1,000 pages.
        for round in 0..100 {
            sqlx::query(
                "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
                 INSERT INTO processed_events (event_id, kind, received_at) \
                 SELECT printf('Ev%d-%0200d', ?1, i), 'test', '2026-11-27' FROM n",
            )
            .bind(round)
            .execute(db)
            .await
            .unwrap();
        }
        // Had a commit checkpointed, the log would have started again.
        let Log { frames, copied } = passive(&checkpointer).await.unwrap();
        assert!(
            frames > 1000,
            "commits checkpointed: the log holds only {frames} frames"
        );
        assert_eq!(copied, frames);
        assert_eq!(passive(&checkpointer).await.unwrap().waiting(), 0);
    }

    /// What the copier does before asking for a RESTART: everything copied,
    /// through the syncs (a failing one fails this test). What the syncs
    /// save the RESTART cannot be seen from here; BENCHMARKS.md measures it.
    #[tokio::test]
    async fn before_a_restart_the_copier_copies_the_whole_log() {
        let (dir, url, _checkpointer) = fresh().await;
        let db = super::super::connect(&url).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO processed_events (event_id, kind, received_at) \
             SELECT printf('Ev%0200d', i), 'test', '2026-11-27' FROM n",
        )
        .execute(db.as_sqlite().unwrap())
        .await
        .unwrap();
        let copier = Copier::start(dir.path().join("needful.db")).unwrap();
        let log = copier.before_restart().await.unwrap();
        assert!(log.frames > 10, "the log holds only {} frames", log.frames);
        assert_eq!(log.waiting(), 0);
    }

    /// Commits in a steady stream through the writer, as in the app: PASSIVE
    /// checkpoints alone never see the whole log copied at a commit (so it
    /// would only grow); with restarts it starts again.
    // Several threads, as in the app: the checkpoints run beside the writes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_steady_writes_the_log_starts_again() {
        let (dir, url, checkpointer) = fresh().await;
        let writer = super::super::writer::started(&url).await;
        let stop = CancellationToken::new();
        let checkpoints = tokio::spawn(run(checkpointer, writer.clone(), 400, stop.clone()));
        // The log's header counts the times it started again (big-endian,
        // bytes 12..16; see SQLite's file format).
        let restarts = || {
            std::fs::read(dir.path().join("needful.db-wal"))
                .ok()
                .and_then(|log| Some(u32::from_be_bytes(log.get(12..16)?.try_into().ok()?)))
                .unwrap_or(0)
        };
        // About 35 MB of log per 1,500 batches; on a busy machine the
        // checkpoints may need longer to catch a moment, so write on (up to
        // ten times as much) until the log has started again.
        for round in 0..15_000 {
            writer
                .write(move |batch| {
                    batch.sqlite().execute(
                        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) \
                         INSERT INTO processed_events (event_id, kind, received_at) \
                         SELECT printf('Ev%d-%d-%0100d', ?1, i, i), 'test', '2026-11-27' FROM n",
                        [round],
                    )
                })
                .await
                .unwrap();
            if round >= 1500 && round % 100 == 0 && restarts() >= 1 {
                break;
            }
        }
        stop.cancel();
        checkpoints.await.unwrap();
        assert!(restarts() >= 1, "the log never started again");
    }
}
