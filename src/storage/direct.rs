//! Direct calls for the writer's short, synchronous writes (the reaction
//! batch, the outbox worker's claims and results, housekeeping), on either
//! engine: a [`Batch`] is SQLite's handle or a PostgreSQL connection.
//!
//! On PostgreSQL each statement is sqlx's, waited for on the writer's
//! thread ([`Pg::wait`]): the network round trip dwarfs the hand-off, so
//! nothing is kept prepared by hand.
//!
//! On SQLite, direct SQLite calls on a connection sqlx owns, for the
//! writer's hot path: the connection's handle borrowed from sqlx's thread
//! ([`Borrowed`], in [`crate::sys`] with the measurements that keep it) for
//! synchronous work (prepared statements, one row at a time, no JSON), by
//! the writer ([`crate::storage::writer`]), which keeps it, and its prepared
//! statements, from one batch to the next until a sqlx transaction needs
//! the connection, and briefly from a sqlx transaction. sqlx still opens,
//! migrates and closes every connection.

use std::{
    borrow::Cow,
    cell::{RefCell, RefMut},
};

use sqlx::{PgConnection, SqliteConnection, error::ErrorKind};

pub use crate::sys::Borrowed;

/// Runs `work` on `conn`'s SQLite handle, on this thread, and gives the
/// handle back: for a caller in a sqlx transaction, or setting up a
/// connection. `work` must be short: it blocks the task that calls it.
pub async fn run<T>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T>,
) -> std::result::Result<T, sqlx::Error> {
    let mut db = Borrowed::lock(conn).await?;
    work(&mut db).map_err(into_sqlx)
}

/// A write transaction open on SQLite's handle: what storage's direct
/// functions take. Outside storage it is opaque: callers compose those
/// functions inside [`Writer::write`](super::Writer::write), which begins
/// the transaction, commits it if the work succeeded and rolls it back if
/// not.
pub struct Batch<'a> {
    db: Handle<'a>,
    after_commit: RefCell<Vec<Box<dyn FnOnce() + Send>>>,
    after_rollback: RefCell<Vec<Box<dyn FnOnce() + Send>>>,
}

/// What runs once a [`Batch`] has ended: after its commit, or after its
/// rollback.
pub(super) struct Ended {
    committed: Vec<Box<dyn FnOnce() + Send>>,
    rolled_back: Vec<Box<dyn FnOnce() + Send>>,
}

impl Ended {
    /// Runs what was asked for the way the batch ended.
    pub fn run(self, committed: bool) {
        let then = match committed {
            true => self.committed,
            false => self.rolled_back,
        };
        for then in then {
            then();
        }
    }
}

/// What a [`Batch`] writes through.
pub(super) enum Handle<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(Pg<'a>),
}

/// A PostgreSQL connection inside a write transaction, for synchronous
/// callers on the writer's thread.
pub(super) struct Pg<'a> {
    conn: RefCell<&'a mut PgConnection>,
}

impl Pg<'_> {
    /// Runs `work` on the connection and waits for it on this thread. The
    /// writer runs on a runtime of its own whose worker drives the
    /// connection's I/O meanwhile.
    pub fn wait<T>(&self, work: impl AsyncFnOnce(&mut PgConnection) -> T) -> T {
        let mut conn: RefMut<'_, &mut PgConnection> = self.conn.borrow_mut();
        wait(work(&mut conn))
    }
}

/// Waits for `work` on this thread, which must be the writer's (a worker
/// of a multi-threaded runtime, or inside its `block_on`).
pub(super) fn wait<F: std::future::Future>(work: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
}

impl<'a> Batch<'a> {
    /// `db` must be inside a write transaction.
    pub(super) fn new(db: &'a rusqlite::Connection) -> Self {
        Self::on(Handle::Sqlite(db))
    }

    /// `conn` must be inside a write transaction.
    pub(super) fn postgres(conn: &'a mut PgConnection) -> Self {
        Self::on(Handle::Postgres(Pg {
            conn: RefCell::new(conn),
        }))
    }

    fn on(db: Handle<'a>) -> Self {
        Self {
            db,
            after_commit: RefCell::default(),
            after_rollback: RefCell::default(),
        }
    }

    /// The handle, for storage's own statements.
    pub(super) fn db(&self) -> &Handle<'a> {
        &self.db
    }

    /// SQLite's handle, for tests that run SQL of their own.
    #[cfg(test)]
    pub(super) fn sqlite(&self) -> &'a rusqlite::Connection {
        match self.db {
            Handle::Sqlite(db) => db,
            Handle::Postgres(_) => panic!("a SQLite batch"),
        }
    }

    /// Runs `then` on the writer once this transaction has committed, before
    /// its next job (not at all if it rolls back).
    pub fn after_commit(&self, then: impl FnOnce() + Send + 'static) {
        self.after_commit.borrow_mut().push(Box::new(then));
    }

    /// Runs `undo` on the writer if this transaction rolls back: for memory
    /// that learned of rows before they were committed.
    pub fn after_rollback(&self, undo: impl FnOnce() + Send + 'static) {
        self.after_rollback.borrow_mut().push(Box::new(undo));
    }

    pub(super) fn end(self) -> Ended {
        Ended {
            committed: self.after_commit.into_inner(),
            rolled_back: self.after_rollback.into_inner(),
        }
    }
}

/// Errors of storage's direct functions, as every other write's (SQLite's
/// own through [`into_sqlx`]).
pub type Result<T> = std::result::Result<T, sqlx::Error>;

/// A direct write's failure, as every other write's: an [`AppError`]
/// carrying the [`sqlx::Error`] ([`into_sqlx`]).
///
/// [`AppError`]: crate::error::AppError
impl From<rusqlite::Error> for crate::error::AppError {
    fn from(e: rusqlite::Error) -> Self {
        into_sqlx(e).into()
    }
}

/// A time as sqlx writes a `DateTime<Utc>` parameter, so rows written here
/// read back like the others.
pub fn time_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// SQLite's own failures keep their code (the writer tells a busy database
/// from a broken batch by it); anything else is a decoding error.
pub fn into_sqlx(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(error, message) => {
            sqlx::Error::Database(Box::new(SqliteFailure {
                message: message.unwrap_or_else(|| error.to_string()),
                code: error.extended_code,
            }))
        }
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{message} (SQLite code {code})")]
struct SqliteFailure {
    message: String,
    code: i32,
}

impl sqlx::error::DatabaseError for SqliteFailure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        // Extended result codes of SQLITE_CONSTRAINT (19).
        match self.code {
            2067 | 1555 => ErrorKind::UniqueViolation,
            787 => ErrorKind::ForeignKeyViolation,
            1299 => ErrorKind::NotNullViolation,
            275 => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection as _;

    #[tokio::test]
    async fn works_on_the_sqlx_connection_and_keeps_sqlite_codes() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .execute(&mut conn)
            .await
            .unwrap();
        let inserted = run(&mut conn, |db| {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute("INSERT INTO t (k) VALUES ('a'), ('b')", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
        .unwrap();
        assert_eq!(inserted, 2);
        // sqlx sees what the direct calls wrote, on the same connection.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 2);

        // A failure rolls its transaction back and keeps SQLite's code.
        let err = run(&mut conn, |db| {
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute("INSERT INTO t (k) VALUES ('c')", [])?;
            tx.execute("INSERT INTO t (k) VALUES ('a')", [])?;
            tx.commit()
        })
        .await
        .unwrap_err();
        let sqlx::Error::Database(db) = err else {
            panic!("expected a database error, got {err:?}");
        };
        assert_eq!(db.code().as_deref(), Some("1555"));
        assert!(db.is_unique_violation());
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, 2, "the failed transaction left nothing behind");
        // And the connection is free for the next transaction.
        sqlx::query("INSERT INTO t (k) VALUES ('d')")
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
