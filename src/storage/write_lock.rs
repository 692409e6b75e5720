//! Taking turns at SQLite's write lock.
//!
//! Two connections write: the event writer's own ([`crate::storage::writer`])
//! (events, and the outbox worker's claims and results) and the pool's
//! (commands, interactions, scheduled jobs). SQLite's
//! default busy handler sleeps 1, 2, 5, 10… up to 100 ms between looks, so
//! under a stream of events a command kept missing the microseconds between
//! two batches: with 5 % slash commands flat out, p99 went to 460 ms. Here
//! both look again every [`POLL`], and the event writer steps aside for
//! [`STEP_ASIDE`] before its next batch whenever the pool is waiting.
//! (Commands and interactions also queue for their turn with the batches:
//! [`crate::storage::writer::EventQueue::write_turn`].)

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// How long a writer waits between looks at a lock someone else holds.
pub const POLL: Duration = Duration::from_micros(50);
/// Looks before giving up (about two seconds; Slack's deadline is three,
/// and what fails is retried).
const POLLS: i32 = 20_000;
/// Long enough for a waiting pool writer to look at least twice.
pub const STEP_ASIDE: Duration = Duration::from_micros(250);
/// A pool writer that looked within this is still waiting.
const RECENT: Duration = Duration::from_millis(1);

/// When a pool connection last found the lock taken, in µs since
/// [`epoch`]; 0 for never.
static POOL_LOOKED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_us() -> u64 {
    u64::try_from(epoch().elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The event writer's busy handler.
pub fn wait(polls: i32) -> bool {
    if polls >= POLLS {
        return false;
    }
    std::thread::sleep(POLL);
    true
}

/// Looks a RESTART checkpoint makes before giving up (about 2 ms).
const BRIEF_POLLS: i32 = 40;

/// The checkpointer's busy handler: it waits while holding every event
/// batch off, so it gives up after [`BRIEF_POLLS`] and tries again at its
/// next round rather than hold the batches off for as long as a reader
/// (an App Home being rendered, the outbox's scan) takes.
pub fn wait_briefly(polls: i32) -> bool {
    polls < BRIEF_POLLS && wait(polls)
}

/// The pool connections' busy handler: [`wait`], and says it is waiting.
pub fn pool_waits(polls: i32) -> bool {
    POOL_LOOKED.store(now_us(), Ordering::Relaxed);
    wait(polls)
}

/// True while a pool connection waits for the lock.
pub fn pool_is_waiting() -> bool {
    let looked = POOL_LOOKED.load(Ordering::Relaxed);
    looked != 0 && now_us().saturating_sub(looked) < RECENT.as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_writer_is_waiting_only_while_it_looks() {
        pool_waits(0);
        assert!(pool_is_waiting());
        std::thread::sleep(RECENT + POLL);
        assert!(!pool_is_waiting());
        assert!(!wait(POLLS), "gives up after its looks");
    }
}
