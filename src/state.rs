//! What every request handler can reach: the features' part ([`Team`]) and
//! the transport's. [`crate::app`] builds it; everything else only reads it.

use std::sync::Arc;

use crate::{features::Team, slack::client::SlackApi, storage::Db};

pub struct AppState {
    pub team: Arc<Team>,
    /// A read-only pool of its own for /healthz and /metrics, so a flood
    /// of probes never takes the connections the features read with.
    pub reader: Db,
    /// Sends what the features queued ([`crate::outbox`]).
    pub outbox: Arc<crate::outbox::worker::Worker>,
    pub outbox_gauges: crate::telemetry::OutboxGauges,
    /// How request bodies are read: signature, shared memory, time.
    pub intake: crate::slack::body::Intake,
    pub slack: SlackApi,
    /// The clock time of the last completed scheduler tick (tests wait on it).
    pub ticks: tokio::sync::watch::Sender<chrono::DateTime<chrono::Utc>>,
    /// Set when a stop was asked for: /healthz answers 503 from then on.
    pub draining: std::sync::atomic::AtomicBool,
}

pub type App = Arc<AppState>;

/// How the bot hears from Slack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Slack POSTs to our public URL.
    Http,
    /// We hold a WebSocket open to Slack (no public URL needed).
    SocketMode,
}
