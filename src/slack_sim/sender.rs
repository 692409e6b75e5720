//! Sends requests to the bot the way Slack does: signed events, slash commands and interactions.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::Shared;
use super::payloads;
use super::util::{random_alnum, random_digits, unix_now};

/// Slack's user agent for outgoing requests.
const USER_AGENT: &str = "Slackbot 1.0 (+https://api.slack.com/robots)";

/// `v0=` + hex(HMAC-SHA256(secret, "v0:<timestamp>:<body>")) (README section 1).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Where a payload was sent from, for `response_url` call records.
fn payload_channel(p: &Value) -> Option<String> {
    [
        p.get("channel_id"),
        p.pointer("/channel/id"),
        p.pointer("/container/channel_id"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().map(str::to_string))
}

impl Shared {
    /// Issues a `response_url` pointing at this simulator.
    pub(crate) fn issue_response_url(&self, channel: Option<String>) -> String {
        let id = format!("{}-{}", random_digits(13), random_alnum(24));
        self.world().register_response_url(&id, channel, self.now());
        format!("{}/response_url/{id}", self.base_url())
    }

    /// Readies a payload for delivery to the bot: its `trigger_id` starts its 3 s life now, and
    /// a `hooks.slack.com` response URL (unreachable from here) is swapped for one on the
    /// simulator, so the bot's replies get recorded as `response_url` calls.
    pub(crate) fn prepare_delivery(&self, payload: &mut Value) {
        if let Some(t) = payload.get("trigger_id").and_then(Value::as_str) {
            self.world().register_trigger(t, self.now());
        }
        let hooks = payload
            .get("response_url")
            .and_then(Value::as_str)
            .is_some_and(|u| u.starts_with("https://hooks.slack.com/"));
        if hooks {
            let url = self.issue_response_url(payload_channel(payload));
            payload["response_url"] = Value::String(url);
        }
    }

    /// The slash-command fields `command()` posts: real names from the workspace, a simulator
    /// `response_url`, and a freshly issued trigger.
    pub(crate) fn command_fields(
        &self,
        command: &str,
        user: &str,
        channel: &str,
        text: &str,
    ) -> Vec<(String, String)> {
        let mut fields = payloads::command_fields(command, user, channel, text);
        let (user_name, channel_name) = {
            let w = self.world();
            (
                w.users.get(user).map(|u| u.name.clone()),
                w.channel_name(channel),
            )
        };
        let response_url = self.issue_response_url(Some(channel.to_string()));
        for (k, v) in fields.iter_mut() {
            match k.as_str() {
                "user_name" => {
                    if let Some(n) = &user_name {
                        v.clone_from(n);
                    }
                }
                "channel_name" => {
                    if let Some(n) = &channel_name {
                        v.clone_from(n);
                    }
                }
                "response_url" => v.clone_from(&response_url),
                "trigger_id" => self.world().register_trigger(v, self.now()),
                _ => {}
            }
        }
        fields
    }
}

/// Url-encodes form fields in their order, as Slack does.
fn form(fields: Vec<(String, String)>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Signs and sends requests to the bot under test. Transport errors (bot not listening) panic
/// with the URL, since these are test helpers.
#[derive(Clone)]
pub struct SlackSender {
    shared: Arc<Shared>,
    base: String,
    secret: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for SlackSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackSender")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl SlackSender {
    pub(crate) fn new(shared: Arc<Shared>, bot_base_url: &str) -> SlackSender {
        let secret = shared.config.signing_secret.clone();
        SlackSender {
            shared,
            base: bot_base_url.trim_end_matches('/').to_string(),
            secret,
            // Bounded so a wedged bot fails the test instead of hanging it.
            // Idle connections are dropped well before needful closes them
            // (NEEDFUL_REQUEST_TIMEOUT, 2 s by default): reusing one just as
            // the server closes it fails the request, which Slack (a fresh
            // connection per delivery, retries) never sees.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_idle_timeout(Duration::from_millis(500))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Signs with another secret (forged requests).
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.secret = secret.to_string();
        self
    }

    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        sign(&self.secret, timestamp, body)
    }

    async fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        headers: Vec<(String, String)>,
    ) -> reqwest::Response {
        let url = format!("{}{}", self.base, path);
        let mut req = self
            .http
            .post(&url)
            .header("content-type", content_type)
            .header("user-agent", USER_AGENT)
            .header("accept", "application/json,*/*");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        match req.body(body).send().await {
            Ok(r) => r,
            Err(e) => panic!("slack_sim sender: POST {url} failed: {e}"),
        }
    }

    async fn signed(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        mut headers: Vec<(String, String)>,
    ) -> reqwest::Response {
        let ts = unix_now();
        headers.push(("x-slack-request-timestamp".into(), ts.to_string()));
        headers.push(("x-slack-signature".into(), self.sign(ts, &body)));
        self.post(path, body, content_type, headers).await
    }

    /// `POST /slack/events` with a JSON body, signed now.
    pub async fn event(&self, body: &Value) -> reqwest::Response {
        self.signed(
            "/slack/events",
            body.to_string().into_bytes(),
            "application/json",
            Vec::new(),
        )
        .await
    }

    /// A redelivery: adds `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`.
    pub async fn event_retry(
        &self,
        body: &Value,
        retry_num: u32,
        reason: &str,
    ) -> reqwest::Response {
        let headers = vec![
            ("x-slack-retry-num".into(), retry_num.to_string()),
            ("x-slack-retry-reason".into(), reason.to_string()),
        ];
        self.signed(
            "/slack/events",
            body.to_string().into_bytes(),
            "application/json",
            headers,
        )
        .await
    }

    /// `POST /slack/commands`, form fields in Slack's order. The `response_url` points at the
    /// simulator and posts there are recorded as calls named `response_url`.
    pub async fn command(
        &self,
        command: &str,
        user: &str,
        channel: &str,
        text: &str,
    ) -> reqwest::Response {
        self.command_with(command, user, channel, text, &[]).await
    }

    /// Like `command`, with some fields replaced or added, e.g. `[("team_id", "T0OTHER001")]`
    /// or `[("api_app_id", "A0OTHERAPP")]` for a request meant for another installation.
    pub async fn command_with(
        &self,
        command: &str,
        user: &str,
        channel: &str,
        text: &str,
        overrides: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut fields = self.shared.command_fields(command, user, channel, text);
        for (key, value) in overrides {
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value.to_string(),
                None => fields.push((key.to_string(), value.to_string())),
            }
        }
        let body = form(fields);
        self.signed(
            "/slack/commands",
            body.into_bytes(),
            "application/x-www-form-urlencoded",
            Vec::new(),
        )
        .await
    }

    /// `payload=<urlencoded JSON>`, readied for delivery.
    fn interaction_body(&self, payload: &Value) -> String {
        let mut payload = payload.clone();
        self.shared.prepare_delivery(&mut payload);
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
    }

    /// `POST /slack/interactions` with `payload=<urlencoded JSON>`.
    pub async fn interaction(&self, payload: &Value) -> reqwest::Response {
        let body = self.interaction_body(payload);
        self.signed(
            "/slack/interactions",
            body.into_bytes(),
            "application/x-www-form-urlencoded",
            Vec::new(),
        )
        .await
    }

    /// The bytes of a signed request, exactly as Slack would write them on a
    /// fresh connection: for tests that drop the connection part-way, which
    /// an HTTP client cannot do.
    pub fn wire(&self, path: &str, body: &[u8], content_type: &str) -> Vec<u8> {
        let ts = unix_now();
        let host = self
            .base
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\nuser-agent: {USER_AGENT}\r\ncontent-length: {}\r\nx-slack-request-timestamp: {ts}\r\nx-slack-signature: {}\r\n\r\n",
            body.len(),
            self.sign(ts, body),
        )
        .into_bytes();
        request.extend_from_slice(body);
        request
    }

    /// [`Self::wire`] for an event.
    pub fn wire_event(&self, body: &Value) -> Vec<u8> {
        self.wire(
            "/slack/events",
            body.to_string().as_bytes(),
            "application/json",
        )
    }

    /// [`Self::wire`] for a slash command, with the fields [`Self::command`] sends.
    pub fn wire_command(&self, command: &str, user: &str, channel: &str, text: &str) -> Vec<u8> {
        let fields = self.shared.command_fields(command, user, channel, text);
        let body = form(fields);
        self.wire(
            "/slack/commands",
            body.as_bytes(),
            "application/x-www-form-urlencoded",
        )
    }

    /// [`Self::wire`] for an interaction payload, readied as [`Self::interaction`] does.
    pub fn wire_interaction(&self, payload: &Value) -> Vec<u8> {
        let body = self.interaction_body(payload);
        self.wire(
            "/slack/interactions",
            body.as_bytes(),
            "application/x-www-form-urlencoded",
        )
    }

    /// Unsigned request with exactly these bytes and headers (forged or odd requests).
    pub async fn raw(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        headers: Vec<(String, String)>,
    ) -> reqwest::Response {
        self.post(path, body, content_type, headers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's official vector (README section 1).
    #[test]
    fn official_test_vector() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(body.len(), 362);
        assert_eq!(
            sign(
                "8f742231b10e8888abcd99yyyzzz85a5",
                1531420618,
                body.as_bytes()
            ),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    /// Our extra vector over `payloads/command_kudos.txt` (README section 1), which also pins
    /// the form encoding `command()` uses to Slack's byte-for-byte.
    #[test]
    fn kudos_fixture_vector_and_encoding() {
        let fixture = "token=Nf7kQ2xLm9RtVb4WcZp8YdHs&team_id=T0TEAM0001&team_domain=needful-support&channel_id=C0HUMBLEBR&channel_name=humblebrag&user_id=U0ALICE001&user_name=alice&command=%2Fkudos&text=%3C%40U0BOB00001%7Cbob%3E+stayed+late+to+fix+the+refund+queue&api_app_id=A0NEEDFUL1&is_enterprise_install=false&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT0TEAM0001%2F8071234567890%2FXq3NbYd2LrTfWc8HkP1sVzAe&trigger_id=8071234567891.1234567890123.0f1e2d3c4b5a69788796a5b4c3d2e1f0";
        assert_eq!(fixture.len(), 474);
        assert_eq!(
            sign(
                "0d5e1f2a3b4c5d6e7f8091a2b3c4d5e6",
                1732600200,
                fixture.as_bytes()
            ),
            "v0=61b6f5aed0d4303d5f2cf56f158a2000c520a0948fbbdf30ca509e981b73cffb"
        );
        let mut fields = payloads::command_fields(
            "/kudos",
            "U0ALICE001",
            "C0HUMBLEBR",
            "<@U0BOB00001|bob> stayed late to fix the refund queue",
        );
        for (k, v) in fields.iter_mut() {
            match k.as_str() {
                "response_url" => {
                    *v = "https://hooks.slack.com/commands/T0TEAM0001/8071234567890/Xq3NbYd2LrTfWc8HkP1sVzAe".into()
                }
                "trigger_id" => *v = "8071234567891.1234567890123.0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
                _ => {}
            }
        }
        let body = form(fields);
        assert_eq!(body, fixture);
    }
}
