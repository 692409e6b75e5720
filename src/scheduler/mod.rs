//! Clock-driven jobs: check-in prompts and summaries, rotation, expiries,
//! nudges, and housekeeping. Each team job is idempotent by construction: it
//! claims a unique `(kind, key)` row ([`crate::storage::jobs::claim`]) in the
//! same transaction as its effect, so running twice, after a restart or with
//! two instances on one database, does it once. Housekeeping claims nothing: deleting what is old twice is
//! harmless, so it only remembers in memory when it is next due.

mod housekeeping;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::state::App;

/// How often jobs look at the clock when nothing moved it.
const TICK: Duration = Duration::from_secs(15);

/// Every feature's jobs ([`crate::registry::tick`]), in registry order.
async fn run_jobs(app: &App, now: DateTime<Utc>) {
    for (feature, e) in crate::registry::tick(&app.team, now).await {
        tracing::warn!(feature, error = ?e, "a scheduled job failed; it will be tried again on the next tick");
        // Only failures count: a job with nothing to do writes nothing,
        // so its success says nothing about writes.
        app.team.writes.failed(&format!("{feature}: {e:#}"));
    }
}

/// Runs the jobs on every tick and whenever the clock is moved, until shutdown.
pub async fn run(app: App, shutdown: CancellationToken) {
    let mut jumps = app.team.clock.jumps();
    let mut housekeeping = housekeeping::Housekeeping::default();
    loop {
        let now = app.team.clock.now();
        // A change to the setup made elsewhere (another instance, `needful
        // import config`) applies from this tick on.
        if let Err(e) = app.team.setup.refresh(&app.team.db).await {
            tracing::warn!(error = %format!("{e:#}"), "could not read the team's setup; keeping the one in use");
        }
        run_jobs(&app, now).await;
        if let Err(e) = housekeeping.tick(&app, now).await {
            tracing::warn!(error = ?e, "housekeeping failed; it will be tried again on the next tick");
        }
        app.outbox.wake();
        app.ticks.send_replace(now);
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            changed = jumps.changed() => if changed.is_err() { jumps = app.team.clock.jumps() },
            _ = shutdown.cancelled() => break,
        }
    }
}
