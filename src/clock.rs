//! The one clock the app reads business time from. Tests drive a manual clock;
//! rehearsals start the clock at a chosen instant (`NEEDFUL_CLOCK_START`).
//! Request verification does not use this: Slack signs with real time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
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

/// Starts at a given instant and runs at normal speed from there.
#[derive(Debug)]
pub struct OffsetClock {
    offset: Duration,
    jumps: watch::Sender<u64>,
}

impl OffsetClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
            jumps: watch::channel(0).0,
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
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
