//! HTTP side of the Web API: argument parsing (GET query, POST form, POST JSON), call recording,
//! fault injection, and the `response_url` endpoint.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Shared;
use super::methods::{self, Args, Ctx, Reply};
use super::types::{Call, Failure};
use super::world::{RESPONSE_URL_LIFETIME, RESPONSE_URL_MAX_USES};

/// Arguments that carry JSON even when sent as a form/query string.
const JSON_STRING_FIELDS: [&str; 4] = ["blocks", "attachments", "view", "metadata"];

pub(crate) struct Parsed {
    pub params: Map<String, Value>,
    pub token: Option<String>,
    /// Set when the body could not be read; answered with this Slack error.
    pub error: Option<&'static str>,
}

fn form_pairs(bytes: &[u8], into: &mut Map<String, Value>) {
    for (k, v) in url::form_urlencoded::parse(bytes) {
        into.insert(k.into_owned(), Value::String(v.into_owned()));
    }
}

pub(crate) fn parse_request(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Parsed {
    let mut params = Map::new();
    let mut error = None;
    if let Some(q) = query {
        form_pairs(q.as_bytes(), &mut params);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !body.is_empty() {
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => params.extend(m),
                _ => error = Some("invalid_json"),
            }
        } else if content_type.starts_with("multipart/") {
            error = Some("invalid_form_data");
        } else {
            form_pairs(body, &mut params);
        }
    }
    for key in JSON_STRING_FIELDS {
        if let Some(Value::String(s)) = params.get(key)
            && let Ok(v @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str::<Value>(s)
        {
            params.insert(key.to_string(), v);
        }
    }
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
    let param_token = match params.remove("token") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Parsed {
        params,
        token: header_token.or(param_token),
        error,
    }
}

fn to_response(reply: &Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match &reply.text {
        Some(text) => (status, text.clone()).into_response(),
        None => {
            let mut r = (status, reply.body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
    };
    if let Some(secs) = reply.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

fn recorded_body(reply: &Reply) -> Value {
    match &reply.text {
        Some(t) => Value::String(t.clone()),
        None => reply.body.clone(),
    }
}

/// Runs the method against the workspace (the lock is held only for this synchronous step).
fn dispatch(shared: &Shared, method: &str, parsed: &Parsed) -> Reply {
    if let Some(e) = parsed.error {
        return Reply::err(e);
    }
    let ctx = Ctx {
        config: &shared.config,
        port: shared.addr.port(),
        now: shared.now(),
    };
    let mut w = shared.world();
    methods::handle(
        &mut w,
        &ctx,
        method,
        &Args(&parsed.params),
        parsed.token.as_deref(),
    )
}

pub(crate) async fn api(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let parsed = parse_request(&headers, query.as_deref(), &body);
    let call = Call {
        method: method.clone(),
        params: Value::Object(parsed.params.clone()),
        ok: false,
        status: 0,
        error: None,
        response: Value::Null,
        at: shared.now(),
        channel: parsed
            .params
            .get("channel")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let (seq, fault) = {
        let mut w = shared.world();
        let seq = w.begin_call(call);
        (seq, w.faults.take(&method))
    };
    tracing::debug!(method, fault = ?fault, "slack_sim call");
    let reply = match fault {
        None => dispatch(&shared, &method, &parsed),
        Some(Failure::RateLimited { retry_after_secs }) => Reply::rate_limited(retry_after_secs),
        Some(Failure::Status(code)) => Reply::bare_status(code),
        Some(Failure::SlackError(e)) => Reply::err(&e),
        Some(Failure::Slow(delay)) => {
            let reply = dispatch(&shared, &method, &parsed);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shared.shutdown.cancelled() => {}
            }
            reply
        }
        Some(Failure::Hang) => {
            {
                let mut w = shared.world();
                if let Some((_, c)) = w.calls.iter_mut().find(|(s, _)| *s == seq) {
                    c.error = Some("hang (never answered)".into());
                }
            }
            shared.shutdown.cancelled().await;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    shared
        .world()
        .finish_call(seq, reply.status, recorded_body(&reply));
    shared.calls_changed.notify_waiters();
    to_response(&reply)
}

/// `POST /response_url/<id>`: records the post as a call named `response_url`.
pub(crate) async fn response_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body);
    let now = shared.now();
    let mut w = shared.world();
    let issued = w.response_urls.get(&id).map(|r| {
        (
            now.duration_since(r.issued) > RESPONSE_URL_LIFETIME,
            r.uses >= RESPONSE_URL_MAX_USES,
        )
    });
    let channel = w.response_urls.get(&id).and_then(|r| r.channel.clone());
    // Unknown ids (hand-made URLs in tests) are accepted; issued ones obey Slack's limits.
    let reply = match (issued, &parsed) {
        (Some((true, _)), _) => (404, json!({"ok": false, "error": "expired_url"})),
        (Some((_, true)), _) => (404, json!({"ok": false, "error": "used_url"})),
        (_, Ok(Value::Object(_))) => {
            if let Some(r) = w.response_urls.get_mut(&id) {
                r.uses += 1;
            }
            (200, json!({"ok": true}))
        }
        _ => (400, json!({"ok": false, "error": "invalid_payload"})),
    };
    let params =
        parsed.unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let call = Call {
        method: "response_url".into(),
        params,
        ok: false,
        status: 0,
        error: None,
        response: Value::Null,
        at: now,
        channel,
    };
    w.record_call(call, reply.0, reply.1.clone());
    drop(w);
    shared.calls_changed.notify_waiters();
    let mut resp = (
        StatusCode::from_u16(reply.0).unwrap_or(StatusCode::BAD_REQUEST),
        reply.1.to_string(),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str, auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn form_blocks_are_parsed_to_json_and_token_is_dropped() {
        let body = b"channel=C0SUPPORT1&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D&token=xoxb-1&text=%5Bhi%5D";
        let p = parse_request(
            &headers("application/x-www-form-urlencoded", None),
            None,
            body,
        );
        assert_eq!(p.params["blocks"], json!([{"type": "divider"}]));
        assert_eq!(p.params["text"], json!("[hi]"));
        assert_eq!(p.token.as_deref(), Some("xoxb-1"));
        assert!(!p.params.contains_key("token"));
    }

    #[test]
    fn json_and_query_merge_and_bearer_wins() {
        let p = parse_request(
            &headers("application/json; charset=utf-8", Some("Bearer xoxb-h")),
            Some("user=U1&token=xoxb-q"),
            br#"{"channel":"C1"}"#,
        );
        assert_eq!(p.params["user"], json!("U1"));
        assert_eq!(p.params["channel"], json!("C1"));
        assert_eq!(p.token.as_deref(), Some("xoxb-h"));
    }

    #[test]
    fn malformed_json_is_a_slack_error_not_a_panic() {
        let p = parse_request(&headers("application/json", None), None, b"{nope");
        assert_eq!(p.error, Some("invalid_json"));
        let p = parse_request(&headers("application/json", None), None, b"[1,2]");
        assert_eq!(p.error, Some("invalid_json"));
    }
}
