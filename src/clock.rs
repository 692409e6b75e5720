//! The one clock the app reads business time from. Tests drive a manual clock;
//! rehearsals start the clock at a chosen instant (`NEEDFUL_CLOCK_START`).
//! Request verification does not use this: Slack signs with real time.
//! Nor do Slack's limits: those are timed by the one [`Timer`].

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use tokio::sync::watch;

pub type SharedClock = Arc<dyn Clock>;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
    /// Fires whenever the clock is moved by hand, so schedulers can look again
    /// instead of sleeping through a jump. Real clocks never fire.
    fn jumps(&self) -> watch::Receiver<u64>;
}

#[derive(Debug)]
pub struct SystemClock {
    jumps: watch::Sender<u64>,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            jumps: watch::channel(0).0,
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn jumps(&self) -> watch::Receiver<u64> {
        self.jumps.subscribe()
    }
}

/// Starts at a given instant and runs at normal speed from there; the demo
/// moves it ahead ([`OffsetClock::jump`]).
#[derive(Debug)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
    jumps: watch::Sender<u64>,
}

impl OffsetClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: Mutex::new(start - Utc::now()),
            jumps: watch::channel(0).0,
        }
    }

    /// Moves business time ahead by `by` (never back: what ran stays run).
    pub fn jump(&self, by: Duration) {
        if by <= Duration::zero() {
            return;
        }
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
        self.jumps.send_modify(|n| *n += 1);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn jumps(&self) -> watch::Receiver<u64> {
        self.jumps.subscribe()
    }
}

/// Stands still until told to move.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    jumps: watch::Sender<u64>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start),
            jumps: watch::channel(0).0,
        })
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
        self.jumps.send_modify(|n| *n += 1);
    }

    pub fn advance(&self, by: Duration) {
        let to = self.now() + by;
        self.set(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn jumps(&self) -> watch::Receiver<u64> {
        self.jumps.subscribe()
    }
}

/// Real time, for the durations Slack's limits run on: pacing, Retry-After,
/// retry backoff, leases, the flush on shutdown. Unlike [`Clock`] it never
/// jumps: a rehearsal or a test that moves business time ahead must not
/// release a paced or rate-limited message early. Tests drive a
/// [`ManualTimer`] instead of waiting on the wall clock.
pub type SharedTimer = Arc<dyn Timer>;

pub trait Timer: Send + Sync + std::fmt::Debug {
    /// A monotonic instant, for deadlines held in memory.
    fn now(&self) -> Instant;
    /// Milliseconds since the Unix epoch, for deadlines kept in the database
    /// (`not_before`, leases), which must outlive the process.
    fn now_ms(&self) -> i64;
    /// Completes once [`Timer::now`] has reached `deadline`.
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()>;
}

/// The timer of a running app: the system's monotonic and real-time clocks.
#[derive(Debug, Default)]
pub struct SystemTimer;

impl Timer for SystemTimer {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// Stands still until a test advances it; its sleeps end when it does.
/// (A paused tokio clock would also move request timeouts and the event
/// writer's own runtime would not follow it; this moves only what it times.)
#[derive(Debug)]
pub struct ManualTimer {
    start: Instant,
    start_ms: i64,
    elapsed: watch::Sender<std::time::Duration>,
}

impl ManualTimer {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            start_ms: Utc::now().timestamp_millis(),
            elapsed: watch::channel(std::time::Duration::ZERO).0,
        })
    }

    pub fn advance(&self, by: std::time::Duration) {
        self.elapsed.send_modify(|elapsed| *elapsed += by);
    }

    fn elapsed(&self) -> std::time::Duration {
        *self.elapsed.borrow()
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }
    fn now_ms(&self) -> i64 {
        self.start_ms + self.elapsed().as_millis() as i64
    }
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        let (start, mut elapsed) = (self.start, self.elapsed.subscribe());
        Box::pin(async move {
            // The timer is gone when this fails: nothing will move it again.
            if elapsed.wait_for(|e| start + *e >= deadline).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_timer_sleeps_until_it_is_advanced_far_enough() {
        let timer = ManualTimer::new();
        let (t0, ms0) = (timer.now(), timer.now_ms());
        let mut sleep = tokio::spawn(timer.sleep_until(t0 + std::time::Duration::from_secs(2)));
        timer.advance(std::time::Duration::from_secs(1));
        let early = tokio::time::timeout(std::time::Duration::from_millis(50), &mut sleep).await;
        assert!(early.is_err(), "woke a second early");
        timer.advance(std::time::Duration::from_secs(1));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleep)
            .await
            .expect("woke once advanced")
            .expect("sleep task joins");
        assert_eq!(timer.now() - t0, std::time::Duration::from_secs(2));
        assert_eq!(timer.now_ms() - ms0, 2_000);
    }
}
