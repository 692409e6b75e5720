//! Whether writes are getting through, for `/healthz`. It is learned from
//! the writes themselves as they finish, so asking never waits behind one
//! (a `SELECT` on the write connection would queue behind the very write
//! that is stuck).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(Debug, Default)]
pub struct WriteHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// When a write last finished (either way), or when one started while
    /// none was under way: a write path that moves at all moves this.
    progress: Option<Instant>,
    /// The last failure, when no write has succeeded since.
    failing: Option<(Instant, String)>,
}

/// A write under way, held by whatever does the write (not by a request
/// waiting for it, which may give up first). Dropping it ends the write's
/// count; only [`WriteHealth::record`] counts as progress.
#[must_use = "the write counts as under way until this is dropped"]
pub struct InFlight(Arc<WriteHealth>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

impl WriteHealth {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave these few fields inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes under way now.
    pub fn in_flight(&self) -> usize {
        self.state.lock().map_or(0, |s| s.in_flight)
    }

    /// Marks a write as started, until the guard is dropped.
    pub fn start(self: &Arc<Self>) -> InFlight {
        let mut state = self.lock();
        if state.in_flight == 0 {
            state.progress = Some(Instant::now());
        }
        state.in_flight += 1;
        InFlight(self.clone())
    }

    pub fn succeeded(&self) {
        let mut state = self.lock();
        state.failing = None;
        state.progress = Some(Instant::now());
    }

    /// A write failed on our side (the database, not the person's input).
    pub fn failed(&self, why: &str) {
        let mut state = self.lock();
        state.progress = Some(Instant::now());
        if state.failing.is_none() {
            state.failing = Some((Instant::now(), why.to_string()));
        }
    }

    /// Records `result`'s outcome and passes it on.
    pub fn record<T, E: std::fmt::Display>(&self, result: Result<T, E>) -> Result<T, E> {
        match &result {
            Ok(_) => self.succeeded(),
            Err(e) => self.failed(&format!("{e:#}")),
        }
        result
    }

    /// Why writes are not getting through, if they are not: the last one
    /// failed and none has succeeded since, or writes have been waiting
    /// longer than `stuck_after` with none finishing.
    pub fn problem(&self, stuck_after: Duration) -> Option<String> {
        let state = self.lock();
        if let Some((since, why)) = &state.failing {
            return Some(format!(
                "writes are failing (for {}s): {why}",
                since.elapsed().as_secs()
            ));
        }
        match state.progress {
            Some(progress) if state.in_flight > 0 && progress.elapsed() > stuck_after => {
                Some(format!(
                    "writes are stuck: {} waiting, none finished for {}s",
                    state.in_flight,
                    progress.elapsed().as_secs()
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_counts_until_the_next_success() {
        let health = WriteHealth::default();
        assert_eq!(health.problem(Duration::from_secs(1)), None);
        let _ = health.record::<(), _>(Err("database or disk is full"));
        let problem = health.problem(Duration::from_secs(1)).expect("failing");
        assert!(problem.contains("disk is full"), "{problem}");
        let _ = health.record::<_, String>(Ok(()));
        assert_eq!(health.problem(Duration::from_secs(1)), None);
    }

    #[test]
    fn writes_waiting_with_none_finishing_are_stuck() {
        let health = Arc::new(WriteHealth::default());
        let first = health.start();
        let second = health.start();
        assert_eq!(health.problem(Duration::from_millis(20)), None);
        std::thread::sleep(Duration::from_millis(30));
        let problem = health.problem(Duration::from_millis(20)).expect("stuck");
        assert!(problem.contains("2 waiting"), "{problem}");
        // One finishing is progress, even with another still waiting.
        health.succeeded();
        drop(first);
        assert_eq!(health.problem(Duration::from_millis(20)), None);
        // Nothing waiting is never stuck, however long ago the last write was.
        std::thread::sleep(Duration::from_millis(30));
        drop(second);
        assert_eq!(health.problem(Duration::from_millis(20)), None);
    }
}
