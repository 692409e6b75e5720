//! The door every request from Slack passes before a handler sees it, in
//! both transports: served only when it is for this installation (see
//! [`Origin::check`]), held off while needful does not know yet which
//! installation it is, and events that end its access (an uninstall, a
//! revoked bot token) are taken here.
//!
//! A refused request changes nothing. An event is still acknowledged (200),
//! because Slack would retry it and it would be refused every time; a person
//! is told why. While starting, events are answered 503 (Slack retries them
//! about a minute later) and people are asked to try again in a moment.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::Value;
use slack_morphism::prelude::*;

use super::origin::{Origin, Refusal};
use super::render;
use crate::state::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Serve,
    /// The installation is not known yet.
    Starting,
    Refused(Refusal),
}

/// Whether to serve a request from `origin`; a refusal is logged and counted.
pub fn admit(app: &App, kind: &'static str, origin: &Origin) -> Gate {
    // Callers count these as needful_requests_total{outcome="starting"}.
    let Some(installation) = app.slack.access().installation() else {
        return Gate::Starting;
    };
    match origin.check(installation) {
        Ok(()) => Gate::Serve,
        Err(why) => {
            metrics::counter!("needful_refused_requests_total", "kind" => kind, "reason" => why.label())
                .increment(1);
            tracing::warn!(
                kind,
                reason = why.label(),
                team = origin.team_id.as_deref().unwrap_or("-"),
                enterprise = origin.enterprise_id.as_deref().unwrap_or("-"),
                app = origin.app_id(),
                "refused a request for an installation needful does not serve; nothing changed"
            );
            Gate::Refused(why)
        }
    }
}

/// What becomes of an event at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventGate {
    /// Hand it to the handlers.
    Serve,
    /// Acknowledge it without handling; the label is for the metrics.
    Acknowledge(&'static str),
    /// Not now: Slack should deliver it again.
    Later,
}

pub fn event(app: &App, origin: &Origin, callback: &SlackPushEventCallback) -> EventGate {
    match admit(app, "events", origin) {
        Gate::Starting => EventGate::Later,
        Gate::Refused(_) => EventGate::Acknowledge("refused"),
        Gate::Serve if ends_access(app, callback) => EventGate::Acknowledge("access_revoked"),
        Gate::Serve => EventGate::Serve,
    }
}

/// `app_uninstalled`, or `tokens_revoked` naming needful's bot user, for
/// this installation: Slack access ends here (see [`super::access`]).
fn ends_access(app: &App, callback: &SlackPushEventCallback) -> bool {
    let why = match &callback.event {
        SlackEventCallbackBody::AppUninstalled(_) => "app_uninstalled",
        // slack-morphism does not model tokens_revoked; it arrives verbatim.
        SlackEventCallbackBody::Unknown(raw) if bot_token_revoked(app, raw) => "tokens_revoked",
        _ => return false,
    };
    app.slack.access().revoke(why);
    true
}

/// `{"type":"tokens_revoked","tokens":{"oauth":[…],"bot":[…]}}` lists the
/// users whose tokens died; only needful's bot user matters to it.
fn bot_token_revoked(app: &App, raw: &Value) -> bool {
    let Some(bot_user) = app.team.bot_user() else {
        return false;
    };
    raw.get("type").and_then(Value::as_str) == Some("tokens_revoked")
        && raw
            .pointer("/tokens/bot")
            .and_then(Value::as_array)
            .is_some_and(|bots| bots.iter().any(|b| b.as_str() == Some(bot_user.as_str())))
}

/// The answer to a slash command that is not served, if it is not.
pub fn command(app: &App, origin: &Origin) -> Option<(SlackCommandEventResponse, &'static str)> {
    let (text, label) = match admit(app, "commands", origin) {
        Gate::Serve => return None,
        Gate::Starting => (render::STARTING, "starting"),
        Gate::Refused(why) => (render::refused(why), "refused"),
    };
    let reply = SlackCommandEventResponse::new(SlackMessageContent::new().with_text(text.into()))
        .with_response_type(SlackMessageResponseType::Ephemeral);
    Some((reply, label))
}

/// The answer to an interaction that is not served, if it is not: a modal
/// keeps the message on its field, a button press gets it through its
/// response_url.
pub fn interaction(
    app: &App,
    origin: &Origin,
    event: &SlackInteractionEvent,
) -> Option<(SlackInteractionResponse, &'static str)> {
    let (text, label) = match admit(app, "interactions", origin) {
        Gate::Serve => return None,
        Gate::Starting => (render::STARTING, "starting"),
        Gate::Refused(why) => (render::refused(why), "refused"),
    };
    let reply = super::answer::failure_response(app, event, text.to_string());
    Some((reply, label))
}

// ---- HTTP: one call per route ----

/// For `POST /slack/events`: the response instead of handling, if any.
pub fn http_event(
    app: &App,
    body: &[u8],
    callback: &SlackPushEventCallback,
) -> Option<(Response, &'static str)> {
    // The typed event has every id the check needs except the org's, which
    // only an org-wide install uses: reading the body again is left to that
    // case, so the hot path (reactions) decodes once.
    let origin = match app.slack.access().installation() {
        Some(i) if i.is_enterprise_install => Origin::of_event_body(body),
        _ => Origin::of_push(callback),
    };
    match event(app, &origin, callback) {
        EventGate::Serve => None,
        EventGate::Acknowledge(label) => Some((StatusCode::OK.into_response(), label)),
        EventGate::Later => Some((
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "needful is starting up; please retry",
            )
                .into_response(),
            "starting",
        )),
    }
}

/// For `POST /slack/commands`.
pub fn http_command(app: &App, body: &[u8]) -> Option<(SlackCommandEventResponse, &'static str)> {
    command(app, &Origin::of_command_body(body))
}

/// For `POST /slack/interactions`.
pub fn http_interaction(
    app: &App,
    body: &[u8],
    event: &SlackInteractionEvent,
) -> Option<(SlackInteractionResponse, &'static str)> {
    interaction(app, &Origin::of_interaction_body(body), event)
}
