//! Delivers outbox rows: paced per channel, in order per conversation, with
//! Slack's `Retry-After` honoured per method and backoff on trouble.
//!
//! Two times. Pacing, `Retry-After`, backoff and leases are real durations,
//! because Slack's limits run on real time: they are read from the app's
//! [`Timer`](crate::clock::Timer). A row's age (stale celebrations, giving
//! up, the oldest-waiting gauge) and the stamps housekeeping ages rows by
//! are business time, from the app's [`Clock`](crate::clock::Clock). So
//! moving the business clock never releases a row early.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use futures::future::{BoxFuture, join_all};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::{CELEBRATION_KEYS, MessageRef, Outgoing, Rendered, Stored, deliver, waiting::Waiting};
use crate::{
    clock::{SharedClock, SharedTimer},
    config::OutboxConfig,
    slack::client::SlackApi,
    storage::{
        self, Db,
        engine::Engine,
        outbox::{Claim, Row},
        writer::Writer,
    },
};

/// App Home publishes, paced by `home_interval`.
const HOME_METHOD: &str = "views.publish";
/// The least time between two scans for due rows.
const MIN_SCAN_GAP: Duration = Duration::from_millis(20);
/// On shutdown, how long to keep delivering what is already due.
const FLUSH_FOR: Duration = Duration::from_secs(5);
/// When at least this many celebrations wait in one channel, the one being
/// delivered takes those behind it along in one roundup post, up to
/// [`ROUNDUP_MOST`]: a channel takes one post a second, so a burst of kudos
/// on many messages would otherwise be celebrated hours late.
const ROUNDUP_FROM: usize = 5;
const ROUNDUP_MOST: usize = 10;
/// Stale celebrations dropped in one short write.
const STALE_CHUNK: i64 = 500;
const STALE: &str = "too old to celebrate; the kudos stays recorded";

pub struct Worker {
    /// For what deliveries read.
    db: Db,
    /// For the scans: a separate connection, so they never hold up a write.
    reader: Db,
    /// Every write goes through the writer ([`crate::storage::writer`]).
    writer: Writer,
    api: SlackApi,
    config: OutboxConfig,
    /// Notified by [`Self::wake`] and by the writer after each transaction
    /// that changed something ([`Writer::commits`]).
    wake: Arc<Notify>,
    pacing: Mutex<Pacing>,
    renderer: OnceLock<Renderer>,
    waiting: Arc<Waiting>,
    /// Channels whose oldest-waiting gauge was set on the last scan.
    gauged: Mutex<std::collections::HashSet<String>>,
    /// Business time: rows' ages and stamps.
    clock: SharedClock,
    /// Real time: pacing, Retry-After, backoff, leases.
    timer: SharedTimer,
    /// The timer's time at the last scan that found nothing to send: every
    /// row due by then has been tried (tests that drive the timer wait on it).
    idle: watch::Sender<Instant>,
}

/// Renders a message stored as a marker ([`Outgoing::render_key`]) from the
/// current state. Set by the app, which knows the features; the worker only
/// knows Slack.
pub type Renderer =
    Arc<dyn Fn(Outgoing) -> BoxFuture<'static, anyhow::Result<Rendered>> + Send + Sync>;

#[derive(Default)]
struct Pacing {
    /// Earliest next chat.postMessage/chat.update per order key.
    channel_next: HashMap<String, Instant>,
    /// Methods Slack told us to leave alone until then.
    method_blocked: HashMap<&'static str, Instant>,
    /// Earliest next views.publish.
    home_next: Option<Instant>,
}

/// The calls a post or edit may make before its own (see `deliver`): the
/// permalink and quote it shows, the DM channel it goes to.
const PREPARING_METHODS: [&str; 3] = [
    "chat.getPermalink",
    "conversations.history",
    "conversations.open",
];

fn is_paced(method: &str) -> bool {
    matches!(method, "chat.postMessage" | "chat.update")
}

impl Worker {
    pub fn new(
        db: Db,
        reader: Db,
        writer: Writer,
        api: SlackApi,
        config: OutboxConfig,
        clock: SharedClock,
        timer: SharedTimer,
    ) -> Arc<Self> {
        let idle = watch::channel(timer.now()).0;
        let wake = writer.commits();
        let waiting = match db.engine() {
            Engine::Sqlite => Waiting::default(),
            Engine::Postgres => Waiting::off(),
        };
        Arc::new(Self {
            db,
            reader,
            writer,
            api,
            config,
            wake,
            pacing: Mutex::new(Pacing::default()),
            renderer: OnceLock::new(),
            waiting: Arc::new(waiting),
            gauged: Mutex::default(),
            clock,
            timer,
            idle,
        })
    }

    /// The timer's time at the last scan that found nothing due.
    pub fn idle(&self) -> watch::Receiver<Instant> {
        self.idle.subscribe()
    }

    fn now_ms(&self) -> i64 {
        self.timer.now_ms()
    }

    /// How long a row created at `created_at` has waited, in business time
    /// (rows are stamped with the app's clock).
    fn age(&self, created_at: chrono::DateTime<chrono::Utc>) -> Duration {
        (self.clock.now() - created_at).to_std().unwrap_or_default()
    }

    /// The markers the writer knows to be waiting.
    pub fn waiting(&self) -> &Arc<Waiting> {
        &self.waiting
    }

    /// Sets how the messages stored as markers are rendered.
    pub fn set_renderer(&self, renderer: Renderer) {
        let _ = self.renderer.set(renderer);
    }

    async fn render(&self, msg: Outgoing) -> anyhow::Result<Rendered> {
        let render = self
            .renderer
            .get()
            .ok_or_else(|| anyhow::anyhow!("no renderer is set"))?;
        render(msg).await
    }

    /// Tells the worker new rows were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown`, then keeps delivering due rows for a few seconds.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        tracing::info!("outbox worker started");
        while !shutdown.is_cancelled() {
            // Slack access revoked: send nothing, keep every row waiting.
            if self.api.access().is_revoked() {
                shutdown.cancelled().await;
                break;
            }
            // Real time: the gap below spares the database, not Slack.
            let scanned = Instant::now();
            let (attempted, next_due) = self.run_once_logged().await;
            if attempted == 0 {
                // Wakes when the first paced or backed-off row comes due,
                // besides the poll.
                let due = match next_due {
                    Some(at) => self.timer.sleep_until(at),
                    None => Box::pin(std::future::pending()),
                };
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                    _ = due => {}
                    _ = shutdown.cancelled() => {}
                }
            }
            // Under a stream of commits every one wakes the worker; a scan of
            // the waiting rows per commit would take the database from the
            // requests. Deliveries are paced in seconds, so this costs nothing.
            tokio::time::sleep_until((scanned + MIN_SCAN_GAP).into()).await;
        }
        let deadline = self.timer.now() + FLUSH_FOR;
        while self.timer.now() < deadline
            && !self.api.access().is_revoked()
            && self.run_once_logged().await.0 > 0
        {}
        tracing::info!("outbox worker stopped");
    }

    /// [`Self::run_once`], with a read error logged and waited out.
    async fn run_once_logged(&self) -> (usize, Option<Instant>) {
        match self.run_once().await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: could not read pending messages; will retry");
                tokio::time::sleep(self.config.poll_interval).await;
                (0, None)
            }
        }
    }

    /// Attempts every row that may be sent now. Returns how many were
    /// attempted and, when none was, the first time one waiting may be.
    pub async fn run_once(&self) -> Result<(usize, Option<Instant>), sqlx::Error> {
        let now = self.timer.now();
        let ms = self.timer.now_ms();
        // App Homes go one per `home_interval`: until the next one's turn,
        // the scan jumps over the (possibly hundreds of) people waiting.
        let homes_due = self.pacing().home_next.is_none_or(|next| next <= now);
        let skip = (!homes_due).then_some(super::HOME_KEYS);
        let heads = storage::outbox::heads(&self.reader, 1000, skip).await?;
        self.gauge_oldest(&heads);
        let next_due = self.next_due(&heads, now, ms);
        let mut home_taken = false;
        let due: Vec<Row> = {
            let pacing = self.pacing.lock().unwrap_or_else(|e| e.into_inner());
            heads
                .into_iter()
                .filter(|row| row.not_before <= ms)
                .filter(|row| {
                    let blocked = |method: &str| {
                        pacing
                            .method_blocked
                            .get(method)
                            .is_some_and(|until| *until > now)
                    };
                    let preparing_blocked = || PREPARING_METHODS.iter().any(|m| blocked(m));
                    !(blocked(&row.method) || is_paced(&row.method) && preparing_blocked())
                })
                .filter(|row| {
                    !is_paced(&row.method)
                        || pacing
                            .channel_next
                            .get(&row.order_key)
                            .is_none_or(|next| *next <= now)
                })
                // One App Home per pass at most, and not before its turn.
                .filter(|row| {
                    if row.method != HOME_METHOD {
                        return true;
                    }
                    let due = !home_taken && pacing.home_next.is_none_or(|next| next <= now);
                    home_taken |= due;
                    due
                })
                .take(self.config.concurrency)
                .collect()
        };
        let attempted = due.len();
        join_all(due.into_iter().map(|row| self.attempt(row))).await;
        if attempted == 0 {
            self.idle.send_replace(now);
        }
        Ok((attempted, next_due))
    }

    /// The first time after `now` that a waiting row's backoff, its
    /// channel's pacing or a method's Retry-After ends (whichever holds it
    /// back, waking early costs one scan).
    fn next_due(&self, heads: &[Row], now: Instant, ms: i64) -> Option<Instant> {
        let backoffs = heads
            .iter()
            .filter(|row| row.not_before > ms)
            .map(|row| now + Duration::from_millis((row.not_before - ms) as u64));
        let pacing = self.pacing();
        let paced = (pacing.channel_next.values())
            .chain(pacing.method_blocked.values())
            .chain(pacing.home_next.iter())
            .copied()
            .filter(|at| *at > now);
        backoffs.chain(paced).min()
    }

    async fn attempt(&self, row: Row) {
        if let Some(key) = &row.render_key {
            self.waiting.claiming(key);
        }
        let (id, ms, lease) = (row.id, self.now_ms(), self.config.lease.as_millis() as i64);
        // Paced across replicas too (on PostgreSQL: see `outbox::claim`):
        // posts and edits per channel, App Homes all together.
        let pace = if is_paced(&row.method) {
            Some((row.order_key.clone(), self.config.channel_interval))
        } else if row.method == HOME_METHOD {
            Some((HOME_METHOD.to_string(), self.config.home_interval))
        } else {
            None
        };
        let pace = pace.map(|(key, every)| (key, every.as_millis() as i64));
        match self
            .writer
            .write(move |batch| {
                let pace = pace.as_ref().map(|(key, ms)| (key.as_str(), *ms));
                storage::outbox::claim(batch, id, ms, lease, pace)
            })
            .await
        {
            Ok(Claim::Claimed) => {}
            Ok(Claim::Taken) => return, // another worker has it
            // Another replica posted in its channel a moment ago.
            Ok(Claim::PacedUntil(ms)) => {
                let wait = Duration::from_millis(ms.saturating_sub(self.now_ms()).max(0) as u64);
                let until = self.timer.now() + wait;
                let mut pacing = self.pacing();
                if row.method == HOME_METHOD {
                    pacing.home_next = Some(until);
                } else {
                    pacing.channel_next.insert(row.order_key.clone(), until);
                }
                return;
            }
            Err(e) => {
                tracing::warn!(id = row.id, error = %e, "outbox: could not claim a message");
                return;
            }
        }
        if let Err(e) = self.attempt_claimed(&row).await {
            // The lease will run out and the row will be tried again.
            tracing::warn!(id = row.id, error = %e, "outbox: could not record a delivery result");
        }
    }

    /// Writes `status` and `reason` on the row for good.
    async fn finish(&self, id: i64, status: &'static str, reason: String) -> anyhow::Result<()> {
        let at = self.clock.now();
        self.writer
            .write(move |batch| storage::outbox::finish(batch, id, status, &reason, at))
            .await
    }

    /// Puts the row back to wait until `not_before_ms`.
    async fn retry_later(
        &self,
        id: i64,
        not_before_ms: i64,
        error: String,
        count_attempt: bool,
    ) -> anyhow::Result<()> {
        self.writer
            .write(move |batch| {
                storage::outbox::retry_later(batch, id, not_before_ms, &error, count_attempt)
            })
            .await
    }

    /// The age of the oldest message waiting in each channel, from the
    /// scan's heads (each is the oldest of its order key); a channel no
    /// longer waiting goes back to 0.
    fn gauge_oldest(&self, heads: &[Row]) {
        let mut seen = std::collections::HashSet::new();
        for row in heads {
            if let Some(channel) = row.order_key.strip_prefix(super::CHANNEL_KEYS) {
                let age = self.age(row.created_at);
                metrics::gauge!("needful_outbox_oldest_waiting_seconds", "channel" => channel.to_string())
                    .set(age.as_secs_f64());
                seen.insert(channel.to_string());
            }
        }
        let mut gauged = self.gauged.lock().unwrap_or_else(|e| e.into_inner());
        for gone in gauged.difference(&seen) {
            metrics::gauge!("needful_outbox_oldest_waiting_seconds", "channel" => gone.clone())
                .set(0.0);
        }
        *gauged = seen;
    }

    /// The backlog policy for a celebration at the head of its channel's
    /// queue. One too old to matter is dropped, with the stale ones behind
    /// it; one with several waiting behind it takes them along in one
    /// roundup post. Either way the kudos stay recorded and in App Homes.
    /// None when nothing is left to send.
    async fn celebration_backlog(
        &self,
        row: &Row,
        msg: Outgoing,
    ) -> anyhow::Result<Option<Outgoing>> {
        let (channel, celebrations) = match &msg {
            Outgoing::RefreshCelebration { channel, .. } => (channel.clone(), 1),
            Outgoing::CelebrationRoundup { channel, of } => (channel.clone(), of.len()),
            _ => return Ok(Some(msg)),
        };
        let expire = chrono::Duration::from_std(self.config.celebrations_expire_after)
            .unwrap_or(chrono::Duration::MAX);
        // Celebrations are stamped with the business clock (by the reaction
        // that asked for them), so the cutoff is business time too.
        let now = self.clock.now();
        let cutoff = now - expire;
        let (id, order_key, waiting) = (row.id, row.order_key.clone(), self.waiting.clone());
        if row.created_at < cutoff {
            let dropped = self
                .writer
                .write(move |batch| {
                    storage::outbox::finish(batch, id, "superseded", STALE, now)?;
                    let keys = storage::outbox::supersede_stale(
                        batch,
                        &order_key,
                        CELEBRATION_KEYS,
                        cutoff,
                        STALE_CHUNK,
                        STALE,
                        now,
                    )?;
                    let dropped = keys.len() + celebrations;
                    // On the writer, between batches: no kudos can see a
                    // dropped marker as waiting.
                    batch.after_commit(move || {
                        for key in &keys {
                            waiting.claiming(key);
                        }
                    });
                    Ok::<_, anyhow::Error>(dropped)
                })
                .await?;
            metrics::counter!("needful_celebrations_dropped_total").increment(dropped as u64);
            tracing::info!(dropped, %channel, "outbox: dropped celebrations too old to matter; their kudos stay recorded");
            return Ok(None);
        }
        // A roundup (a retry of one) is not merged again.
        let Outgoing::RefreshCelebration { of, .. } = &msg else {
            return Ok(Some(msg));
        };
        let behind = storage::outbox::waiting_after(
            &self.reader,
            &row.order_key,
            row.id,
            CELEBRATION_KEYS,
            (ROUNDUP_MOST - 1) as i64,
        )
        .await?;
        if behind.len() + 1 < ROUNDUP_FROM {
            return Ok(Some(msg));
        }
        let others: Vec<(i64, MessageRef)> = behind
            .into_iter()
            .filter_map(|(id, payload)| match serde_json::from_str(&payload) {
                Ok(Stored {
                    message: Outgoing::RefreshCelebration { of, .. },
                    ..
                }) => Some((id, of)),
                _ => None,
            })
            .collect();
        let first = of.clone();
        let roundup = self
            .writer
            .write(move |batch| {
                let reason = format!("merged into the roundup of row {id}");
                let mut of = vec![first];
                let mut keys = Vec::new();
                for (other, message) in others {
                    if let Some(key) =
                        storage::outbox::supersede_waiting(batch, other, &reason, now)?
                    {
                        keys.extend(key);
                        // A message kudos'd again after this row was claimed
                        // has a second celebration waiting: one line shows both.
                        if !of.contains(&message) {
                            of.push(message);
                        }
                    }
                }
                let roundup = Outgoing::CelebrationRoundup { channel, of };
                // The row now delivers the roundup, retries included.
                let payload = serde_json::to_string(&Stored {
                    message: roundup.clone(),
                    on_refusal: None,
                })?;
                storage::outbox::set_payload(batch, id, &payload)?;
                batch.after_commit(move || {
                    for key in &keys {
                        waiting.claiming(key);
                    }
                });
                Ok::<_, anyhow::Error>(roundup)
            })
            .await?;
        metrics::counter!("needful_celebrations_merged_total").increment(1);
        Ok(Some(roundup))
    }

    async fn attempt_claimed(&self, row: &Row) -> anyhow::Result<()> {
        let Stored {
            message: msg,
            on_refusal,
        } = match serde_json::from_str(&row.payload) {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(id = row.id, error = %e, "outbox: a stored message does not parse");
                return self
                    .finish(row.id, "failed", format!("unreadable: {e}"))
                    .await;
            }
        };
        let Some(msg) = self.celebration_backlog(row, msg).await? else {
            return Ok(());
        };
        // Edits of one message coalesce: only the newest waiting one is sent.
        if let Some(message_key) = row.message_key.clone()
            && matches!(
                msg,
                Outgoing::Update { .. }
                    | Outgoing::PublishHome { .. }
                    | Outgoing::RefreshHome { .. }
            )
        {
            let (id, order_key, method) = (row.id, row.order_key.clone(), row.method.clone());
            let now = self.clock.now();
            let superseded = self
                .writer
                .write(move |batch| {
                    storage::outbox::supersede_if_newer(
                        batch,
                        id,
                        &order_key,
                        &message_key,
                        &method,
                        now,
                    )
                })
                .await?;
            if superseded {
                return Ok(());
            }
        }
        let started = self.timer.now();
        if is_paced(&row.method) {
            self.pacing().channel_next.insert(
                row.order_key.clone(),
                started + self.config.channel_interval,
            );
        }
        if row.method == HOME_METHOD {
            self.pacing().home_next = Some(started + self.config.home_interval);
        }
        let marker = msg.rendered_at_delivery();
        let (msg, on_refusal) = if marker {
            match self.render(msg).await {
                Ok(Some(rendered)) => rendered,
                Ok(None) => {
                    return self
                        .finish(row.id, "superseded", "nothing to show any more".into())
                        .await;
                }
                Err(e) => {
                    tracing::warn!(id = row.id, error = %e, "outbox: could not render a message; will retry");
                    let backoff = self.backoff(row.attempts + 1);
                    return self
                        .retry_later(
                            row.id,
                            self.now_ms() + backoff.as_millis() as i64,
                            format!("rendering: {e}"),
                            true,
                        )
                        .await;
                }
            }
        } else {
            (msg, on_refusal.map(|b| *b))
        };
        // Paced from here, the moment the call leaves (across replicas).
        let calling_ms = self.now_ms();
        let outcome = deliver::deliver(
            &self.api,
            &self.db,
            &self.writer,
            &msg,
            self.config.call_timeout,
        )
        .await;
        if let deliver::Outcome::Transient(code) = &outcome {
            self.api.note_error(code);
        }
        match outcome {
            deliver::Outcome::Sent { posted } => {
                let (id, at, ms) = (row.id, self.clock.now(), calling_ms);
                self.writer
                    .write(move |batch| {
                        let posted = posted
                            .as_ref()
                            .map(|(k, c, t)| (k.as_str(), c.as_str(), t.as_str()));
                        storage::outbox::mark_sent(batch, id, posted, at, ms)
                    })
                    .await
            }
            deliver::Outcome::RateLimited {
                method,
                retry_after,
            } => {
                tracing::info!(
                    method,
                    retry_after_ms = retry_after.as_millis() as u64,
                    "outbox: Slack asked us to slow down"
                );
                self.pacing()
                    .method_blocked
                    .insert(method, self.timer.now() + retry_after);
                // Rounded up: a row due a fraction of a millisecond early
                // would call before the Retry-After is over.
                let until = self.now_ms() + retry_after.as_millis() as i64 + 1;
                self.retry_later(row.id, until, "ratelimited".into(), false)
                    .await
            }
            deliver::Outcome::Transient(reason) => {
                // Real time spent retrying, not the row's age: a jump of the
                // business clock (a rehearsal) must not give messages up.
                if retried_for(&self.config, row.attempts) >= self.config.give_up_after {
                    tracing::error!(id = row.id, %reason, "outbox: giving up after retrying too long");
                    metrics::counter!("needful_outbox_given_up_total", "reason" => "expired")
                        .increment(1);
                    return self
                        .finish(row.id, "failed", format!("gave up retrying: {reason}"))
                        .await;
                }
                let backoff = self.backoff(row.attempts + 1);
                tracing::warn!(id = row.id, %reason, attempt = row.attempts + 1, backoff_ms = backoff.as_millis() as u64, "outbox: Slack call failed; will retry");
                self.retry_later(
                    row.id,
                    self.now_ms() + backoff.as_millis() as i64,
                    reason,
                    true,
                )
                .await
            }
            // Someone deleted the message in Slack: forget it and render
            // again at once (a celebration is posted anew, or is gone). An
            // edit's quoted message gone says the same code; then the new
            // post is refused in turn and the giver told why.
            deliver::Outcome::Permanent(reason)
                if marker
                    && reason == "message_not_found"
                    && matches!(msg, Outgoing::Update { .. } | Outgoing::Delete { .. }) =>
            {
                let (id, key, now) = (row.id, msg.message_key(), self.now_ms());
                self.writer
                    .write(move |batch| {
                        if let Some(key) = key {
                            storage::outbox::forget_message(batch, &key)?;
                        }
                        storage::outbox::retry_later(batch, id, now, &reason, false)
                    })
                    .await
            }
            deliver::Outcome::Permanent(reason) => {
                tracing::warn!(id = row.id, method = %row.method, %reason, "outbox: Slack refused a message; not retrying");
                metrics::counter!("needful_outbox_given_up_total", "reason" => "refused")
                    .increment(1);
                // The fallback explains access trouble only; a malformed
                // message is ours to fix, and logged above.
                let fallback = super::rows(
                    &on_refusal
                        .filter(|_| deliver::is_access_refusal(&reason))
                        .into_iter()
                        .map(|m| (m, None))
                        .collect::<Vec<_>>(),
                )?;
                let (id, now) = (row.id, self.clock.now());
                self.writer
                    .write(move |batch| {
                        storage::outbox::insert_on(batch, &fallback, now)?;
                        storage::outbox::finish(batch, id, "failed", &reason, now)
                    })
                    .await?;
                self.wake();
                Ok(())
            }
        }
    }

    fn pacing(&self) -> std::sync::MutexGuard<'_, Pacing> {
        self.pacing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn backoff(&self, attempt: i64) -> Duration {
        backoff(&self.config, attempt)
    }
}

/// Exponential backoff from `base_backoff`, capped at `max_backoff`.
fn backoff(config: &OutboxConfig, attempt: i64) -> Duration {
    let exp = attempt.clamp(1, 20) as u32 - 1;
    config
        .base_backoff
        .saturating_mul(2u32.saturating_pow(exp))
        .min(config.max_backoff)
}

/// The real time a row tried `attempts` times has waited between its tries
/// (the backoffs before tries 2, 3, …), counted only as far as
/// `give_up_after`.
fn retried_for(config: &OutboxConfig, attempts: i64) -> Duration {
    let mut waited = Duration::ZERO;
    for attempt in 2..=attempts {
        if waited >= config.give_up_after {
            break;
        }
        waited = waited.saturating_add(backoff(config, attempt));
    }
    waited
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_given_up_after_give_up_after_of_real_retrying() {
        let config = OutboxConfig {
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            give_up_after: Duration::from_secs(3600),
            ..OutboxConfig::default()
        };
        assert_eq!(retried_for(&config, 1), Duration::ZERO);
        // 2 + 4 + 8 s before tries 2, 3 and 4.
        assert_eq!(retried_for(&config, 4), Duration::from_secs(14));
        let enough = (1..200)
            .find(|&n| retried_for(&config, n) >= config.give_up_after)
            .unwrap();
        // 2 + 4 + … + 32 = 62 s, then 60 s a try: about an hour in all.
        assert!((60..=66).contains(&enough), "{enough}");
    }
}
