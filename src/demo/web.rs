//! The demo page and its JSON API. The page's three files are embedded in
//! the binary; everything else is [`super::view`] (what a person sees) and
//! [`super::actions`] (what they do).

use std::{convert::Infallible, sync::Arc};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response, Sse, sse::Event, sse::KeepAlive},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Demo,
    actions::{self, Place},
    view,
};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// The most a request body may be: a modal's values are the biggest.
const BODY_LIMIT: usize = 256 * 1024;

pub fn router(demo: Arc<Demo>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/app.js",
            get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/app.css",
            get(|| async { page("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/state", get(state))
        .route("/api/events", get(events))
        .route("/api/message", post(message))
        .route("/api/reaction", post(reaction))
        .route("/api/action", post(action))
        .route("/api/submit", post(submit))
        .route("/api/close", post(close))
        .route("/api/clock", post(clock))
        .route("/api/home", post(home))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(demo)
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `{"ok":true}` plus `extra`, or `{"ok":false,"error":…}` with 400.
fn reply(outcome: Result<Value, String>) -> Response {
    match outcome {
        Ok(Value::Object(mut extra)) => {
            extra.insert("ok".into(), json!(true));
            Json(Value::Object(extra)).into_response()
        }
        Ok(_) => Json(json!({"ok": true})).into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error": error})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct As {
    #[serde(rename = "as")]
    person: String,
}

async fn state(State(demo): State<Arc<Demo>>, Query(who): Query<As>) -> Response {
    if let Err(e) = actions::check_person(&who.person) {
        return reply(Err(e));
    }
    Json(view::state(&demo, &who.person)).into_response()
}

/// Server-sent events: `changed` whenever something a viewer could see changed.
async fn events(State(demo): State<Arc<Demo>>) -> impl IntoResponse {
    let changes = demo.changes.subscribe();
    let stream = futures::stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let n = *changes.borrow_and_update();
        let event = Event::default().event("changed").data(n.to_string());
        Some((Ok::<_, Infallible>(event), changes))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "as")]
    person: String,
    channel: String,
    text: String,
    thread_ts: Option<String>,
}

async fn message(State(demo): State<Arc<Demo>>, Json(m): Json<Message>) -> Response {
    let posted = actions::post(
        &demo,
        &m.person,
        &m.channel,
        &m.text,
        m.thread_ts.as_deref(),
    )
    .await;
    reply(posted.map(|()| Value::Null))
}

#[derive(Deserialize)]
struct Reaction {
    #[serde(rename = "as")]
    person: String,
    channel: String,
    ts: String,
    name: String,
    add: bool,
}

async fn reaction(State(demo): State<Arc<Demo>>, Json(r): Json<Reaction>) -> Response {
    let reacted = actions::react(&demo, &r.person, &r.channel, &r.ts, &r.name, r.add).await;
    reply(reacted.map(|()| Value::Null))
}

#[derive(Deserialize)]
struct Action {
    #[serde(rename = "as")]
    person: String,
    action_id: String,
    #[serde(default)]
    value: String,
    channel: Option<String>,
    message_ts: Option<String>,
    view_id: Option<String>,
    #[serde(default)]
    home: bool,
}

async fn action(State(demo): State<Arc<Demo>>, Json(a): Json<Action>) -> Response {
    let place = match (&a.view_id, &a.channel, &a.message_ts) {
        (Some(view_id), _, _) => Place::Modal { view_id },
        (None, Some(channel), Some(ts)) => Place::Message { channel, ts },
        _ if a.home => Place::Home,
        _ => {
            return reply(Err(
                "That button is on no message, form or App Home here; reload the page.".to_string(),
            ));
        }
    };
    let pressed = actions::press(&demo, &a.person, place, &a.action_id, &a.value).await;
    reply(pressed.map(|()| Value::Null))
}

#[derive(Deserialize)]
struct Submit {
    #[serde(rename = "as")]
    person: String,
    view_id: String,
    values: Value,
}

async fn submit(State(demo): State<Arc<Demo>>, Json(s): Json<Submit>) -> Response {
    let submitted = actions::submit(&demo, &s.person, &s.view_id, s.values).await;
    reply(submitted.map(|errors| json!({ "errors": errors })))
}

#[derive(Deserialize)]
struct Close {
    #[serde(rename = "as")]
    person: String,
    view_id: String,
}

async fn close(State(demo): State<Arc<Demo>>, Json(c): Json<Close>) -> Response {
    reply(actions::close(&demo, &c.person, &c.view_id).map(|()| Value::Null))
}

#[derive(Deserialize)]
struct Clock {
    jump: String,
}

async fn clock(State(demo): State<Arc<Demo>>, Json(c): Json<Clock>) -> Response {
    match demo.jump(&c.jump) {
        Some(now) => reply(Ok(json!({ "now": now.to_rfc3339() }))),
        None => reply(Err(format!(
            "I can't jump to {:?}; use checkin, window, monday, hour or day.",
            c.jump
        ))),
    }
}

/// The App Home tab opened: Slack sends `app_home_opened`, and needful
/// publishes the person's Home.
async fn home(State(demo): State<Arc<Demo>>, Json(who): Json<As>) -> Response {
    reply(
        actions::open_home(&demo, &who.person)
            .await
            .map(|()| Value::Null),
    )
}
