//! A loopback stand-in for Slack, used by the tests and the load generator.
//!
//! It serves the Web API methods the bot uses at `api_url()` (point slack-morphism's
//! `with_slack_api_url` there), a Socket Mode WebSocket, and `response_url` endpoints; it records
//! every call, keeps a per-channel message store, injects faults, and can send signed requests
//! to the bot (`sender`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::{SharedTimer, SystemTimer};

mod faults;
mod methods;
pub mod payloads;
mod sender;
mod socket;
mod types;
mod util;
mod web_api;
mod world;

#[cfg(test)]
mod tests;

pub use sender::{SlackSender, sign};
pub use types::{Call, FailRule, Failure, SimConfig, SimError, SimMessage, SimUser};
pub use world::dm_channel_id;

use world::World;

pub const TEAM_ID: &str = "T0TEAM0001";
pub const TEAM_DOMAIN: &str = "needful-support";
pub const TEAM_NAME: &str = "Needful Support";
pub const APP_ID: &str = "A0NEEDFUL1";
pub const BOT_USER_ID: &str = "U0NEEDFUL1";
pub const BOT_ID: &str = "B0NEEDFUL1";
/// Another integration's bot user (is_bot), for "ignore other bots" tests.
pub const OTHER_BOT_USER_ID: &str = "U0OTHERBOT";

/// State shared by the HTTP handlers, the socket tasks and the `SlackSim` handles.
pub(crate) struct Shared {
    pub config: SimConfig,
    /// Slack's limits (and the lives of triggers and response URLs) run on
    /// this, so a test that drives the bot's timer drives them too.
    timer: SharedTimer,
    pub addr: SocketAddr,
    world: Mutex<World>,
    pub calls_changed: Notify,
    pub sockets_changed: Notify,
    pub shutdown: CancellationToken,
}

impl Shared {
    /// A panicking test thread must not wedge the simulator for the others, so poison is ignored.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn now(&self) -> std::time::Instant {
        self.timer.now()
    }
}

/// Owns the server; the last `SlackSim` clone going away stops it.
struct Inner {
    shared: Arc<Shared>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

/// A running simulator. Cheap to clone; all clones share one workspace.
#[derive(Clone)]
pub struct SlackSim {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SlackSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSim")
            .field("api_url", &self.api_url())
            .finish_non_exhaustive()
    }
}

impl SlackSim {
    /// Binds `127.0.0.1:0`, seeds the workspace and serves until `shutdown()` or the last clone
    /// is dropped. Panics if it cannot bind (test helper).
    pub async fn start(config: SimConfig) -> SlackSim {
        Self::start_timed(config, Arc::new(SystemTimer)).await
    }

    /// [`SlackSim::start`] with Slack's limits timed by `timer` (a test's
    /// [`crate::clock::ManualTimer`], shared with the bot).
    pub async fn start_timed(config: SimConfig, timer: SharedTimer) -> SlackSim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("slack_sim: cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("slack_sim: no local address: {e}"));
        let shared = Arc::new(Shared {
            config,
            timer,
            addr,
            world: Mutex::new(World::seeded()),
            calls_changed: Notify::new(),
            sockets_changed: Notify::new(),
            shutdown: CancellationToken::new(),
        });
        let app = Router::new()
            .route("/api/{method}", get(web_api::api).post(web_api::api))
            .route("/response_url/{id}", post(web_api::response_url))
            .route("/socket", get(socket::upgrade))
            .with_state(shared.clone());
        let stop = shared.shutdown.clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::error!("slack_sim server stopped: {e}");
            }
        });
        tracing::debug!(%addr, "slack_sim listening");
        SlackSim {
            inner: Arc::new(Inner {
                shared,
                server: Mutex::new(Some(server)),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// `http://127.0.0.1:PORT/api`, no trailing slash.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.base_url())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared().base_url()
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared().config
    }

    /// Stops serving: closes sockets, releases `Hang`ing requests, waits (up to 5 s) for the
    /// server task.
    pub async fn shutdown(&self) {
        self.shared().shutdown.cancel();
        let handle = self
            .inner
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    }

    // ---- workspace ----

    /// Adds or replaces a user (its DM channel id becomes valid too).
    pub fn add_user(&self, user: SimUser) {
        self.shared().world().add_user(user);
    }

    /// Adds or replaces a channel. With `bot_is_member = false`, posts get `not_in_channel`.
    pub fn add_channel(&self, id: &str, name: &str, bot_is_member: bool) {
        self.shared().world().add_channel(id, name, bot_is_member);
    }

    /// Changes a viewer could see: every Web API call answered, every message stored.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared().world().changes.subscribe()
    }

    /// New message timestamps follow `now` (microseconds since the epoch),
    /// so they read as the business clock's time; they stay increasing.
    pub fn set_ts_clock(&self, now: std::sync::Arc<dyn Fn() -> u64 + Send + Sync>) {
        self.shared().world().ts_clock = Some(now);
    }

    /// Turns the natural 3-per-second posting limit on or off (on by default).
    pub fn set_natural_rate_limit(&self, enabled: bool) {
        self.shared().world().faults.natural_enabled = enabled;
    }

    // ---- recording ----

    /// Every Web API call (and `response_url` post) in arrival order.
    /// The calls after the first `skip` (for a reader that keeps its place).
    pub fn calls_from(&self, skip: usize) -> Vec<Call> {
        self.shared()
            .world()
            .calls
            .iter()
            .skip(skip)
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared()
            .world()
            .calls
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// All calls to `method`, failed ones included (see `Call::ok`).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.shared()
            .world()
            .calls
            .iter()
            .filter(|(_, c)| c.method == method)
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn ok_calls_to(&self, method: &str) -> Vec<Call> {
        self.calls_to(method).into_iter().filter(|c| c.ok).collect()
    }

    /// Waits until at least `n` successful calls to `method` were answered and returns all
    /// successful ones. Panics after `timeout`, listing the calls seen.
    pub async fn wait_for(&self, method: &str, n: usize, timeout: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared().calls_changed.notified();
            tokio::pin!(changed);
            // Register before checking so a call finishing in between is not missed.
            changed.as_mut().enable();
            let ok = self.ok_calls_to(method);
            if ok.len() >= n {
                return ok;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let ok = self.ok_calls_to(method);
                if ok.len() >= n {
                    return ok;
                }
                panic!(
                    "slack_sim: timed out after {timeout:?} waiting for {n} ok call(s) to {method}, got {}.\n{}",
                    ok.len(),
                    self.describe_calls()
                );
            }
        }
    }

    /// One line per recorded call, for failure messages.
    pub fn describe_calls(&self) -> String {
        let calls = self.calls();
        if calls.is_empty() {
            return "calls seen: none".into();
        }
        let mut out = format!("calls seen ({}):", calls.len());
        for c in calls {
            out.push_str(&format!(
                "\n  {} status={} ok={} error={} channel={} params={}",
                c.method,
                c.status,
                c.ok,
                c.error.as_deref().unwrap_or("-"),
                c.channel.as_deref().unwrap_or("-"),
                truncate(&c.params.to_string(), 200)
            ));
        }
        out
    }

    pub fn clear_calls(&self) {
        self.shared().world().calls.clear();
    }

    // ---- message store ----

    /// Messages in `channel` (a `U…` id means that user's DM), deleted ones included, oldest
    /// first.
    pub fn messages(&self, channel: &str) -> Vec<SimMessage> {
        self.shared().world().messages_in(channel)
    }

    /// Deletes a message as a person in Slack would (an admin tidying a
    /// channel); later calls about it get `message_not_found`.
    pub fn delete_by_hand(&self, channel: &str, ts: &str) {
        if let Some(m) = self.shared().world().find_message(channel, ts) {
            m.deleted = true;
        }
    }

    /// The last view `views.publish` sent for `user`, as the bot sent it.
    pub fn home_view(&self, user: &str) -> Option<Value> {
        self.shared().world().home_views.get(user).cloned()
    }

    /// The `D…` id `conversations.open` returns for `user`.
    pub fn dm_channel(&self, user: &str) -> String {
        dm_channel_id(user)
    }

    /// Stores a human's message (for permalinks, reactions, quotes) and returns its ts.
    pub fn post_as_user(&self, channel: &str, user: &str, text: &str) -> String {
        self.store_human(channel, user, text, None)
    }

    /// Stores a message by `user` with `blocks` (a slash command's reply
    /// shown to the channel) and returns its ts.
    pub fn post_with_blocks(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        blocks: Option<Value>,
    ) -> String {
        let mut w = self.shared().world();
        let ts = w.next_ts();
        w.store(SimMessage {
            channel: channel.to_string(),
            ts: ts.clone(),
            text: Some(text.to_string()),
            blocks,
            thread_ts: None,
            user: user.to_string(),
            edits: 0,
            deleted: false,
            reactions: Vec::new(),
        });
        ts
    }

    /// Forgets every stored message (the two the test fixtures refer to
    /// included), for a workspace that starts empty.
    pub fn forget_messages(&self) {
        let mut w = self.shared().world();
        w.messages.clear();
        w.changed();
    }

    /// A fresh message timestamp (for what is shown but not stored, such as
    /// an ephemeral reply).
    pub fn next_ts(&self) -> String {
        self.shared().world().next_ts()
    }

    /// Stores a human's message like `post_as_user` and returns it as the `message.channels`
    /// event Slack would send, with the real `parent_user_id` for thread replies.
    pub fn post_as_user_event(
        &self,
        event_id: &str,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Value {
        let ts = self.store_human(channel, user, text, thread_ts);
        let mut w = self.shared().world();
        let channel = w
            .resolve_channel(channel)
            .unwrap_or_else(|_| channel.to_string());
        let parent = thread_ts.map(|t| {
            let user = w
                .find_message(&channel, t)
                .map(|m| m.user.clone())
                .unwrap_or_else(|| BOT_USER_ID.to_string());
            (t, user)
        });
        drop(w);
        payloads::message_with_parent(
            event_id,
            user,
            &channel,
            &ts,
            text,
            parent.as_ref().map(|(t, u)| (*t, u.as_str())),
        )
    }

    fn store_human(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> String {
        let mut w = self.shared().world();
        let channel = w
            .resolve_channel(channel)
            .unwrap_or_else(|_| channel.to_string());
        let ts = w.next_ts();
        w.store(SimMessage {
            channel,
            ts: ts.clone(),
            text: Some(text.to_string()),
            blocks: None,
            thread_ts: thread_ts.map(str::to_string),
            user: user.to_string(),
            edits: 0,
            deleted: false,
            reactions: Vec::new(),
        });
        ts
    }

    // ---- faults ----

    /// Queues a fault rule (rules apply in the order added).
    pub fn fail(&self, rule: FailRule) {
        self.shared().world().faults.push(rule);
    }

    pub fn clear_faults(&self) {
        self.shared().world().faults.clear();
    }

    /// Revokes the bot token, as an uninstall or an admin would: from now on every Web API call
    /// (`auth.test` too) is answered `{"ok":false,"error":<error>}`, e.g. `invalid_auth`,
    /// `token_revoked` or `account_inactive`.
    pub fn revoke_token(&self, error: &str) {
        self.shared().world().revoked = Some(error.to_string());
    }

    /// HTTP 429s sent so far, natural and injected.
    pub fn rate_limited_count(&self) -> usize {
        self.shared().world().faults.rate_limited
    }

    // ---- Socket Mode ----

    /// Currently open Socket Mode connections.
    pub fn socket_connections(&self) -> usize {
        self.shared().world().sockets.open()
    }

    /// Socket Mode connections ever opened (grows on every reconnect).
    pub fn socket_connections_total(&self) -> usize {
        self.shared().world().sockets.total
    }

    /// Waits until at least `n` connections are open; panics after `timeout`.
    pub async fn wait_socket_connected(&self, n: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared().sockets_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.socket_connections() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err()
                && self.socket_connections() < n
            {
                panic!(
                    "slack_sim: timed out after {timeout:?} waiting for {n} Socket Mode connection(s), have {} ({} ever opened); apps.connections.open calls: {}",
                    self.socket_connections(),
                    self.socket_connections_total(),
                    self.calls_to("apps.connections.open").len()
                );
            }
        }
    }

    /// Sends an envelope of `kind` (`events_api`, `slash_commands`, `interactive`) to one open
    /// connection and waits up to `timeout` for the ack frame with its `envelope_id`, which is
    /// returned (it may carry `payload`). The payload's `trigger_id` starts its 3 s life now and
    /// a `hooks.slack.com` `response_url` is swapped for the simulator's.
    pub async fn socket_send(
        &self,
        kind: &str,
        payload: Value,
        timeout: Duration,
    ) -> Result<Value, SimError> {
        self.socket_send_inner(kind, payload, None, timeout).await
    }

    /// A redelivery: `retry_attempt` / `retry_reason` set as given.
    pub async fn socket_send_retry(
        &self,
        kind: &str,
        payload: Value,
        retry_attempt: u32,
        retry_reason: &str,
        timeout: Duration,
    ) -> Result<Value, SimError> {
        self.socket_send_inner(kind, payload, Some((retry_attempt, retry_reason)), timeout)
            .await
    }

    async fn socket_send_inner(
        &self,
        kind: &str,
        mut payload: Value,
        retry: Option<(u32, &str)>,
        timeout: Duration,
    ) -> Result<Value, SimError> {
        self.shared().prepare_delivery(&mut payload);
        socket::send_envelope(self.shared(), kind, payload, retry, timeout).await
    }

    /// Sends `{"type":"disconnect","reason":…}` to every connection (they stay open; a real
    /// client reconnects and closes the old one).
    pub async fn socket_disconnect_all(&self, reason: &str) {
        let frame = socket::disconnect_frame(reason);
        self.shared()
            .world()
            .sockets
            .broadcast(|| socket::Outgoing::Text(frame.clone()));
    }

    /// Closes every connection from the server side, as a network drop or Slack restart would.
    pub async fn socket_close_all(&self) {
        self.shared()
            .world()
            .sockets
            .broadcast(|| socket::Outgoing::Close);
    }

    /// A slash-command payload for Socket Mode: `command()`'s fields as a JSON object of
    /// strings, with a simulator `response_url` and a freshly issued trigger.
    pub fn command_payload(&self, command: &str, user: &str, channel: &str, text: &str) -> Value {
        payloads::fields_to_json(self.shared().command_fields(command, user, channel, text))
    }

    // ---- sending to the bot ----

    /// A signer/sender for the bot at `bot_base_url` (e.g. `http://127.0.0.1:4567`), using
    /// `config().signing_secret`.
    pub fn sender(&self, bot_base_url: &str) -> SlackSender {
        SlackSender::new(self.shared().clone(), bot_base_url)
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
