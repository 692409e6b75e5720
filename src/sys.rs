//! needful's only `unsafe` code, each piece kept because it was measured
//! to pay for itself, with the measurement beside it. Everything else the
//! system offers goes through safe crates (rustix, sqlx, rusqlite).

use sqlx::{SqliteConnection, sqlite::LockedSqliteHandle};

// ---------------------------------------------------------------------------
// A SQLite handle borrowed from sqlx, for the writer's hot path.
//
// sqlx runs every SQLite connection on a thread of its own: each statement
// is a message to that thread and a wake-up back, about 0.1 ms each on a
// busy two-core machine, and bulk writes had to go through `json_each` to
// keep the round trips few. Borrowing the handle for synchronous calls
// (rusqlite, on the same libsqlite3) removes those hand-offs.
//
// Measured with `examples/loadgen` (BENCHMARKS.md, round 4), paired runs
// flat out (`loadgen --spawn needful --rate 0 --count 30000 --concurrency
// 64`): borrowing the handle, 4,064 / 4,083 → 4,627 / 4,490 events/s;
// keeping every statement of a batch prepared between batches, at
// 1,000 events/s (`--rate 1000 --duration 15 --count 15000`), p99
// 4.6 → 3.2–4.0 ms.
// ---------------------------------------------------------------------------

/// `conn`'s SQLite handle, taken from sqlx's thread until this is dropped,
/// as a [`rusqlite::Connection`]. Holding it keeps the statements it
/// prepared ([`rusqlite::Connection::prepare_cached`]) from one use to the
/// next. Nothing may be left open in it across an `.await` that others wait
/// for: a transaction must end before the next await point.
pub struct Borrowed<'c> {
    // Dropped first: its statements are finalized while the lock is held.
    db: rusqlite::Connection,
    _lock: LockedSqliteHandle<'c>,
}

impl<'c> Borrowed<'c> {
    pub async fn lock(conn: &'c mut SqliteConnection) -> Result<Self, sqlx::Error> {
        let mut lock = conn.lock_handle().await?;
        // SAFETY: the handle is an open connection that sqlx's thread cannot
        // touch while `lock` lives. A `Connection` made with `from_handle`
        // never closes the handle, and `db` is dropped before `lock`.
        let db = unsafe { rusqlite::Connection::from_handle(lock.as_raw_handle().as_ptr()) }
            .map_err(|e| sqlx::Error::Protocol(format!("borrowing the SQLite handle: {e}")))?;
        Ok(Self { db, _lock: lock })
    }
}

impl std::ops::Deref for Borrowed<'_> {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &Self::Target {
        &self.db
    }
}

impl std::ops::DerefMut for Borrowed<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.db
    }
}

// ---------------------------------------------------------------------------
// Handing freed memory back to the system after a flood of connections.
//
// glibc keeps what a flood's buffers freed in per-thread arenas and gives
// little of it back on its own: ten seconds after 500 forged 1 MiB
// requests, RSS stayed at 67.6 MB, and at 84.9 MB after 2,000, against
// 18.6 MB idle. Asking glibc to trim its free lists once the flood is over
// brought it to 19.2 and 19.8 MB (BENCHMARKS.md, "Unsigned clients").
// ---------------------------------------------------------------------------

/// Returns the allocator's free pages to the system. It walks every arena,
/// so call it off the async threads (`spawn_blocking`), and only after a
/// flood.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free() {
    // SAFETY: malloc_trim takes a plain integer and only walks the
    // allocator's own free lists; it is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators and systems: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}
