//! Slack's HTTP bodies → slack-morphism's typed payloads.
//!
//! Pure functions over the raw bytes, kept apart from the routes in `http.rs` so
//! the exact decoding the server does can be fuzzed without a server.

use slack_morphism::prelude::*;

/// An Events API body (`POST /slack/events`): JSON.
pub fn event(body: &[u8]) -> Result<SlackPushEvent, serde_json::Error> {
    serde_json::from_slice(body)
}

/// A slash-command body (`POST /slack/commands`): a form.
pub fn command(body: &[u8]) -> Result<SlackCommandEvent, serde_urlencoded::de::Error> {
    serde_urlencoded::from_bytes(body)
}

/// An interaction body (`POST /slack/interactions`): a form whose `payload`
/// field is JSON. `None` when either layer does not parse.
pub fn interaction(body: &[u8]) -> Option<SlackInteractionEvent> {
    form_field(body, "payload")
        .and_then(|payload| serde_json::from_str::<SlackInteractionEvent>(&payload).ok())
}

/// The first value of the form field `name`, percent-decoded.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests;
