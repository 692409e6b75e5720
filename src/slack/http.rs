//! HTTP mode: Slack POSTs signed requests here. Verify, decode, hand the typed
//! input to the handlers, answer well inside Slack's 3-second deadline.

use std::time::Instant;

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;
use slack_morphism::prelude::*;

use crate::{
    slack::{
        answer,
        body::{Refused, SSL_CHECK_MAX_BYTES, is_unsigned, read_bounded, read_signed, rejected},
        decode, gate,
        verify::Rejection,
    },
    state::{App, Mode},
    storage,
};

/// How long an event may take to apply before it is answered with a 503,
/// inside Slack's 3-second deadline.
const ACK_BUDGET: std::time::Duration = std::time::Duration::from_millis(2500);

/// The Slack routes, `/healthz`, and `/metrics` unless it is served on an
/// internal address of its own ([`metrics_router`]).
pub fn router(app: App, mode: Mode, with_metrics: bool) -> Router {
    let mut router = Router::new().route("/healthz", get(healthz));
    if with_metrics {
        router = router.route("/metrics", get(metrics_text));
    }
    // In Socket Mode Slack never calls us over HTTP, so the Slack routes stay closed.
    if mode == Mode::Http {
        router = router
            .route("/slack/events", post(events))
            .route("/slack/commands", post(commands))
            .route("/slack/interactions", post(interactions));
    }
    router.with_state(app)
}

/// `/metrics` alone, for NEEDFUL_METRICS_LISTEN.
pub fn metrics_router(app: App) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(app)
}

fn finish(kind: &'static str, outcome: &'static str, started: Instant) {
    metrics::counter!("needful_requests_total", "kind" => kind, "outcome" => outcome).increment(1);
    metrics::histogram!("needful_ack_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
}

/// Answers a request refused before it was handled.
fn refuse(kind: &'static str, refused: Refused, started: Instant) -> Response {
    finish(kind, refused.outcome, started);
    refused.response
}

/// Slack's certificate check carries no signature and only needs a 200. Any
/// other unsigned request is refused, having read at most 1 KiB of it.
async fn ssl_check(app: &App, headers: &HeaderMap, body: Body) -> Result<(), Refused> {
    let bytes = read_bounded(&app.intake, headers, body, SSL_CHECK_MAX_BYTES)
        .await
        .map_err(|refused| match refused.outcome {
            "too_large" => rejected(Rejection::Missing),
            _ => refused,
        })?;
    if decode::form_field(&bytes, "ssl_check").as_deref() == Some("1") {
        Ok(())
    } else {
        Err(rejected(Rejection::Missing))
    }
}

/// A body that will never parse: tell Slack not to retry it.
fn unreadable(what: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("x-slack-no-retry", "1")],
        format!("could not read the {what}"),
    )
        .into_response()
}

async fn events(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let bytes = match read_signed(&app.intake, &headers, body).await {
        Ok(b) => b,
        Err(refused) => return refuse("events", refused, started),
    };
    let push: SlackPushEvent = match decode::event(&bytes) {
        Ok(push) => push,
        Err(e) => {
            tracing::warn!(error = %e, "an event body did not parse");
            finish("events", "malformed", started);
            return unreadable("event");
        }
    };
    let response = match push {
        SlackPushEvent::UrlVerification(v) => {
            finish("events", "url_verification", started);
            return Json(json!({ "challenge": v.challenge })).into_response();
        }
        SlackPushEvent::AppRateLimited(e) => {
            tracing::warn!(minute = ?e.minute_rate_limited, "Slack is dropping events: over 30,000 per hour for this workspace");
            finish("events", "app_rate_limited", started);
            return StatusCode::OK.into_response();
        }
        SlackPushEvent::EventCallback(callback) => {
            if let Some((answer, outcome)) = gate::http_event(&app, &bytes, &callback) {
                finish("events", outcome, started);
                return answer;
            }
            // Waiting for the one connection (held by another writer that is
            // itself waiting out a lock) plus our own busy wait could pass
            // Slack's 3 s; answer 503 in time instead. A commit that lands
            // anyway is kept single by the event_id when Slack retries.
            match tokio::time::timeout(ACK_BUDGET, answer::event(&app, callback)).await {
                Ok(result) => result,
                Err(_) => Err(crate::error::AppError::Internal(anyhow::anyhow!(
                    "not applied within {ACK_BUDGET:?}: the database is busy"
                ))),
            }
        }
    };
    match response {
        Ok(handled) => {
            finish("events", handled.label(), started);
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::error!(error = ?e, "could not apply an event; Slack will retry it");
            finish("events", "error", started);
            // A retryable failure: Slack redelivers and the event_id keeps it single.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unable to apply the event",
            )
                .into_response()
        }
    }
}

async fn commands(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    if is_unsigned(&headers) {
        return match ssl_check(&app, &headers, body).await {
            Ok(()) => {
                finish("commands", "ssl_check", started);
                StatusCode::OK.into_response()
            }
            Err(refused) => refuse("commands", refused, started),
        };
    }
    let bytes = match read_signed(&app.intake, &headers, body).await {
        Ok(b) => b,
        Err(refused) => return refuse("commands", refused, started),
    };
    let command: SlackCommandEvent = match decode::command(&bytes) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "a slash command body did not parse");
            finish("commands", "malformed", started);
            return unreadable("slash command");
        }
    };
    if let Some((reply, outcome)) = gate::http_command(&app, &bytes) {
        finish("commands", outcome, started);
        return Json(reply).into_response();
    }
    let (reply, handled) = answer::command(&app, &command).await;
    finish("commands", handled.label(), started);
    Json(reply).into_response()
}

async fn interactions(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let bytes = match read_signed(&app.intake, &headers, body).await {
        Ok(b) => b,
        Err(refused) => return refuse("interactions", refused, started),
    };
    let Some(event) = decode::interaction(&bytes) else {
        finish("interactions", "malformed", started);
        return unreadable("interaction payload");
    };
    let (reply, handled) = match gate::http_interaction(&app, &bytes, &event) {
        Some((reply, outcome)) => (reply, outcome),
        None => {
            let (reply, handled) = answer::interaction(&app, &event).await;
            (reply, handled.label())
        }
    };
    finish("interactions", handled, started);
    match reply {
        SlackInteractionResponse::Empty => StatusCode::OK.into_response(),
        other => Json(other).into_response(),
    }
}

/// For load balancers and operators. It reads on the read-only connection
/// and asks [`storage::health`] how writes went, so it never waits behind a
/// write, even a stuck one.
async fn healthz(State(app): State<App>) -> Response {
    let slack = app.slack.access().standing();
    let database = !app.team.db.is_closed() && storage::is_healthy(&app.reader).await;
    let writes = app.team.writes.problem(ACK_BUDGET);
    let pending = storage::outbox::depth(&app.reader).await.ok();
    let draining = app.draining.load(std::sync::atomic::Ordering::SeqCst);
    let ok = database && writes.is_none() && slack.is_healthy() && !draining;
    let body = Json(json!({
        "status": if draining { "stopping" } else if ok { "ok" } else { "unavailable" },
        "database": if database { "ok" } else { "not answering" },
        "writes": writes.as_deref().unwrap_or("ok"),
        "slack": slack.describe(),
        "outbox_pending": pending,
    }));
    if ok {
        (StatusCode::OK, body).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

async fn metrics_text(State(app): State<App>) -> Response {
    app.outbox_gauges.refresh(&app.reader).await;
    let text = crate::telemetry::metrics_handle()
        .map(|h| h.render())
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
