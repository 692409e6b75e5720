//! Housekeeping: forgetting what needful no longer needs, so the database
//! grows with the team's history and not with its traffic.
//!
//! Two tables gain a row with nearly everything needful does:
//! - `processed_events`, which makes each Slack delivery apply once. Slack
//!   retries a delivery three times, the last about five minutes after the
//!   first, so a week of ids is ample.
//! - finished `outbox` rows (sent, superseded or given up), kept a month for
//!   anyone looking into a delivery. Rows still waiting are never touched.
//!
//! Rows go in small chunks, each its own short transaction on the writer
//! ([`crate::storage::Writer`]) in its turn with every other write, so even
//! the first run after an upgrade, with months to forget, holds Slack's
//! requests off for a millisecond or two at a time.

use chrono::{DateTime, Duration, Utc};

use crate::{
    state::App,
    storage::{
        self,
        direct::{self, Batch},
    },
};

/// How long a delivery's id is remembered (Slack's retries end within minutes).
pub const KEEP_EVENT_IDS: Duration = Duration::days(7);
/// How long a finished outbox row is kept.
pub const KEEP_FINISHED: Duration = Duration::days(30);
/// How often housekeeping runs.
const EVERY: Duration = Duration::hours(1);
/// Rows deleted per transaction.
const CHUNK: usize = 500;
/// Rows read per run: a longer backlog is worked off over the next ticks,
/// without holding it all in memory.
const MOST_PER_RUN: i64 = 20_000;

/// When housekeeping runs next; kept by the scheduler's loop.
#[derive(Debug, Default)]
pub struct Housekeeping {
    next: Option<DateTime<Utc>>,
}

/// What one run forgot.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub event_ids: u64,
    pub outbox_rows: u64,
}

impl Housekeeping {
    /// Runs when due at `now`: the business clock, which stamps deliveries
    /// and finished outbox rows alike.
    pub async fn tick(&mut self, app: &App, now: DateTime<Utc>) -> anyhow::Result<Pruned> {
        if self.next.is_some_and(|next| now < next) {
            return Ok(Pruned::default());
        }
        let events =
            storage::events::applied_before(&app.team.db, now - KEEP_EVENT_IDS, MOST_PER_RUN)
                .await?;
        let rows =
            storage::outbox::finished_before(&app.team.db, now - KEEP_FINISHED, MOST_PER_RUN)
                .await?;
        // A full read means more is waiting: look again at the next tick.
        let more = events.len().max(rows.len()) >= MOST_PER_RUN as usize;
        let pruned = Pruned {
            event_ids: in_chunks(app, &events, storage::events::forget).await?,
            outbox_rows: in_chunks(app, &rows, storage::outbox::delete).await?,
        };
        for (table, count) in [
            ("processed_events", pruned.event_ids),
            ("outbox", pruned.outbox_rows),
        ] {
            metrics::counter!("needful_pruned_rows_total", "table" => table).increment(count);
        }
        if pruned != Pruned::default() {
            tracing::info!(
                event_ids = pruned.event_ids,
                outbox_rows = pruned.outbox_rows,
                "housekeeping: forgot old delivery ids and finished messages"
            );
        }
        self.next = (!more).then_some(now + EVERY);
        Ok(pruned)
    }
}

/// Deletes `ids` [`CHUNK`] at a time with `delete`, each chunk a transaction
/// of its own on the writer; returns how many rows went.
async fn in_chunks<T: Clone + Send + 'static>(
    app: &App,
    ids: &[T],
    delete: fn(&Batch<'_>, &[T]) -> direct::Result<u64>,
) -> anyhow::Result<u64> {
    let writer = &app.team.writer;
    let mut deleted = 0;
    for chunk in ids.chunks(CHUNK) {
        let chunk = chunk.to_vec();
        deleted += writer.write(move |batch| delete(batch, &chunk)).await?;
    }
    Ok(deleted)
}
