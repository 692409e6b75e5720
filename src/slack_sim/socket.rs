//! Socket Mode: the `/socket` WebSocket endpoint, envelope delivery and ack matching.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::types::SimError;
use super::util::uuid_v4;
use super::{APP_ID, Shared};

const DEBUG_HOST: &str = "applink-sim";

pub(crate) enum Outgoing {
    Text(String),
    Close,
}

/// Open connections and envelopes waiting for their ack.
#[derive(Default)]
pub(crate) struct Sockets {
    conns: BTreeMap<u64, mpsc::UnboundedSender<Outgoing>>,
    next_id: u64,
    /// Id of the connection that got the last envelope (round robin).
    last: u64,
    /// Connections ever opened.
    pub total: usize,
    pending: HashMap<String, (u64, oneshot::Sender<Value>)>,
}

impl Sockets {
    pub fn open(&self) -> usize {
        self.conns.len()
    }

    fn register(&mut self, tx: mpsc::UnboundedSender<Outgoing>) -> u64 {
        self.next_id += 1;
        self.total += 1;
        self.conns.insert(self.next_id, tx);
        self.next_id
    }

    /// Drops the connection; its unacked envelopes fail with `ConnectionClosed`.
    fn unregister(&mut self, id: u64) {
        self.conns.remove(&id);
        self.pending.retain(|_, (conn, _)| *conn != id);
    }

    /// Each envelope goes to one connection; rotate so every connection gets traffic.
    fn pick(&mut self) -> Option<(u64, mpsc::UnboundedSender<Outgoing>)> {
        let (id, tx) = self
            .conns
            .range(self.last + 1..)
            .next()
            .or_else(|| self.conns.iter().next())?;
        self.last = *id;
        Some((*id, tx.clone()))
    }

    pub fn broadcast(&self, make: impl Fn() -> Outgoing) {
        for tx in self.conns.values() {
            let _ = tx.send(make());
        }
    }
}

pub(crate) fn disconnect_frame(reason: &str) -> String {
    json!({"type": "disconnect", "reason": reason, "debug_info": {"host": DEBUG_HOST}}).to_string()
}

/// `GET /socket?ticket=…`: only tickets from `apps.connections.open` are accepted, once each.
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let ticket = query.as_deref().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
    });
    let valid = ticket.is_some_and(|t| shared.world().tickets.remove(&t));
    if !valid {
        return (StatusCode::UNAUTHORIZED, "invalid or reused ticket").into_response();
    }
    ws.on_upgrade(move |socket| run(shared, socket))
}

async fn run(shared: Arc<Shared>, socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (id, count) = {
        let mut w = shared.world();
        let id = w.sockets.register(tx);
        (id, w.sockets.open())
    };
    shared.sockets_changed.notify_waiters();
    let (mut sink, mut stream) = socket.split();
    let hello = json!({
        "type": "hello",
        "num_connections": count,
        "debug_info": {"host": DEBUG_HOST, "build_number": 118, "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    });
    if sink
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_ok()
    {
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
                out = rx.recv() => match out {
                    Some(Outgoing::Text(t)) => {
                        if sink.send(Message::Text(t.into())).await.is_err() {
                            break;
                        }
                    }
                    Some(Outgoing::Close) | None => {
                        let _ = sink.send(Message::Close(None)).await;
                        break;
                    }
                },
                // Reading also lets tungstenite answer the client's pings with pongs.
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(t))) => on_frame(&shared, t.as_str()),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    shared.world().sockets.unregister(id);
    shared.sockets_changed.notify_waiters();
}

/// An ack frame completes the `socket_send` waiting for its envelope id.
fn on_frame(shared: &Shared, text: &str) {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        tracing::warn!(frame = text, "slack_sim: non-JSON Socket Mode frame");
        return;
    };
    let Some(envelope_id) = frame.get("envelope_id").and_then(Value::as_str) else {
        tracing::warn!(%frame, "slack_sim: Socket Mode frame without envelope_id");
        return;
    };
    let waiter = shared.world().sockets.pending.remove(envelope_id);
    match waiter {
        Some((_, tx)) => {
            let _ = tx.send(frame);
        }
        None => tracing::warn!(
            envelope_id,
            "slack_sim: ack for an unknown or expired envelope"
        ),
    }
}

/// Sends one envelope to one connection and waits for its ack frame.
pub(crate) async fn send_envelope(
    shared: &Shared,
    kind: &str,
    payload: Value,
    retry: Option<(u32, &str)>,
    timeout: Duration,
) -> Result<Value, SimError> {
    let envelope_id = uuid_v4();
    let accepts_response_payload = kind == "slash_commands"
        || (kind == "interactive"
            && payload.get("type").and_then(Value::as_str) == Some("view_submission"));
    let mut envelope = json!({
        "envelope_id": envelope_id,
        "payload": payload,
        "type": kind,
        "accepts_response_payload": accepts_response_payload,
    });
    if kind == "events_api" || retry.is_some() {
        let (attempt, reason) = retry.unwrap_or((0, ""));
        envelope["retry_attempt"] = json!(attempt);
        envelope["retry_reason"] = json!(reason);
    }
    let frame = envelope.to_string();
    let (ack_tx, ack_rx) = oneshot::channel();
    {
        let mut w = shared.world();
        let Some((conn, tx)) = w.sockets.pick() else {
            return Err(SimError::NoSocket);
        };
        w.sockets
            .pending
            .insert(envelope_id.clone(), (conn, ack_tx));
        // A send error means the connection task just ended; its cleanup fails the waiter.
        let _ = tx.send(Outgoing::Text(frame));
    }
    match tokio::time::timeout(timeout, ack_rx).await {
        Ok(Ok(ack)) => Ok(ack),
        Ok(Err(_)) => Err(SimError::ConnectionClosed { envelope_id }),
        Err(_) => {
            shared.world().sockets.pending.remove(&envelope_id);
            Err(SimError::AckTimeout {
                envelope_id,
                waited: timeout,
            })
        }
    }
}
