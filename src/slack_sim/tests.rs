//! The simulator over real HTTP: raw reqwest calls, slack-morphism's client and Socket Mode
//! listener, and the signed sender against a stand-in bot.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::*;

const T: Duration = Duration::from_secs(5);

async fn sim() -> SlackSim {
    SlackSim::start(SimConfig::default()).await
}

/// POSTs JSON like slack-morphism does; returns (status, body).
async fn call_with(sim: &SlackSim, token: Option<&str>, method: &str, args: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/{method}", sim.api_url()))
        .header("content-type", "application/json; charset=utf-8")
        .body(args.to_string());
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = req.send().await.expect("sim reachable");
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn call(sim: &SlackSim, method: &str, args: Value) -> (u16, Value) {
    call_with(sim, Some("xoxb-test-token"), method, args).await
}

fn err(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn post_update_delete_round_trip() {
    let sim = sim().await;
    let (s, b) = call(
        &sim,
        "chat.postMessage",
        json!({"channel": "C0SUPPORT1", "text": "hello"}),
    )
    .await;
    assert_eq!((s, b["ok"].clone()), (200, json!(true)), "{b}");
    let ts = b["ts"].as_str().unwrap().to_string();
    assert_eq!(b["channel"], "C0SUPPORT1");
    assert_eq!(b["message"]["text"], "hello");
    assert_eq!(b["message"]["bot_id"], BOT_ID);

    // Form-encoded with a JSON-string `blocks`, as some clients send it.
    let form = [
        ("channel", "C0SUPPORT1"),
        ("ts", ts.as_str()),
        (
            "blocks",
            r#"[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]"#,
        ),
    ];
    let resp = reqwest::Client::new()
        .post(format!("{}/chat.update", sim.api_url()))
        .header("authorization", "Bearer xoxb-test-token")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["ok"], true, "{b}");
    let update = sim.calls_to("chat.update").pop().unwrap();
    assert_eq!(update.params["blocks"][0]["type"], "section");
    assert_eq!(update.channel.as_deref(), Some("C0SUPPORT1"));

    let msgs = sim.messages("C0SUPPORT1");
    let m = msgs.iter().find(|m| m.ts == ts).unwrap();
    assert_eq!((m.edits, m.text.as_deref()), (1, Some("hello")));
    assert!(m.blocks.is_some());

    let (_, b) = call(
        &sim,
        "chat.update",
        json!({"channel": "C0SUPPORT1", "ts": "1.000001", "text": "x"}),
    )
    .await;
    assert_eq!(err(&b), "message_not_found");
    let (_, b) = call(
        &sim,
        "chat.update",
        json!({"channel": "C0SUPPORT1", "ts": "1732600000.000200", "text": "x"}),
    )
    .await;
    assert_eq!(err(&b), "cant_update_message");

    let (_, b) = call(
        &sim,
        "reactions.add",
        json!({"channel": "C0SUPPORT1", "timestamp": ts, "name": "white_check_mark"}),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
    let (_, b) = call(
        &sim,
        "reactions.add",
        json!({"channel": "C0SUPPORT1", "timestamp": ts, "name": "white_check_mark"}),
    )
    .await;
    assert_eq!(err(&b), "already_reacted");
    let (_, b) = call(
        &sim,
        "reactions.add",
        json!({"channel": "C0SUPPORT1", "timestamp": "1.000009", "name": "x"}),
    )
    .await;
    assert_eq!(err(&b), "message_not_found");

    let (_, b) = call(
        &sim,
        "chat.getPermalink",
        json!({"channel": "C0SUPPORT1", "message_ts": "1732600000.000200"}),
    )
    .await;
    assert_eq!(
        b["permalink"],
        "https://needful-support.slack.com/archives/C0SUPPORT1/p1732600000000200"
    );

    let (_, b) = call(
        &sim,
        "chat.delete",
        json!({"channel": "C0SUPPORT1", "ts": ts}),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
    assert!(
        sim.messages("C0SUPPORT1")
            .iter()
            .any(|m| m.ts == ts && m.deleted)
    );
    assert_eq!(
        sim.messages("C0SUPPORT1")
            .iter()
            .find(|m| m.ts == ts)
            .unwrap()
            .reactions,
        vec!["white_check_mark"]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn channels_users_and_dms() {
    let sim = sim().await;
    let (_, b) = call(
        &sim,
        "chat.postMessage",
        json!({"channel": "C0NOWHERE1", "text": "x"}),
    )
    .await;
    assert_eq!(err(&b), "channel_not_found");
    sim.add_channel("C0PRIVATE1", "private", false);
    let (_, b) = call(
        &sim,
        "chat.postMessage",
        json!({"channel": "C0PRIVATE1", "text": "x"}),
    )
    .await;
    assert_eq!(err(&b), "not_in_channel");
    let (_, b) = call(&sim, "chat.postMessage", json!({"channel": "C0SUPPORT1"})).await;
    assert_eq!(err(&b), "no_text");

    let (_, b) = call(&sim, "conversations.open", json!({"users": ["U0MANAGER1"]})).await;
    let dm = b["channel"]["id"].as_str().unwrap().to_string();
    assert_eq!(dm, sim.dm_channel("U0MANAGER1"));
    assert_eq!(b["already_open"], false);
    let (_, b) = call(&sim, "conversations.open", json!({"users": "U0MANAGER1"})).await;
    assert_eq!(
        (b["channel"]["id"].as_str(), b["already_open"].as_bool()),
        (Some(dm.as_str()), Some(true))
    );
    let (_, b) = call(
        &sim,
        "chat.postMessage",
        json!({"channel": "U0MANAGER1", "text": "psst"}),
    )
    .await;
    assert_eq!(b["channel"], dm.as_str());
    assert_eq!(sim.messages(&dm).len(), 1);
    assert_eq!(sim.messages("U0MANAGER1").len(), 1);

    let resp = reqwest::Client::new()
        .get(format!("{}/users.info?user=U0ALICE001", sim.api_url()))
        .header("authorization", "Bearer xoxb-test-token")
        .send()
        .await
        .unwrap();
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["user"]["tz"], "Europe/Berlin");
    assert_eq!(b["user"]["profile"]["display_name"], "alice");
    assert!(matches!(b["user"]["tz_offset"].as_i64(), Some(3600 | 7200)));
    let (_, b) = call(&sim, "users.info", json!({"user": "U0NOBODY01"})).await;
    assert_eq!(err(&b), "user_not_found");
    let (_, b) = call(&sim, "users.info", json!({"user": OTHER_BOT_USER_ID})).await;
    assert_eq!(b["user"]["is_bot"], true);

    let ts = sim.post_as_user("C0SUPPORT1", "U0BOB00001", "thanks all");
    let (_, b) = call(
        &sim,
        "reactions.add",
        json!({"channel": "C0SUPPORT1", "timestamp": ts, "name": ":tada:"}),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
}

#[tokio::test]
async fn auth_errors_and_unknown_method() {
    let sim = sim().await;
    let args = json!({"channel": "C0SUPPORT1", "text": "x"});
    let (_, b) = call_with(&sim, None, "chat.postMessage", args.clone()).await;
    assert_eq!(err(&b), "not_authed");
    let (_, b) = call_with(&sim, Some("xoxb-wrong"), "chat.postMessage", args.clone()).await;
    assert_eq!(err(&b), "invalid_auth");
    let (_, b) = call_with(&sim, Some("xapp-test-token"), "chat.postMessage", args).await;
    assert_eq!(err(&b), "not_allowed_token_type");
    let (s, b) = call(&sim, "chat.nope", json!({})).await;
    assert_eq!((s, err(&b)), (200, "unknown_method"));
    let (_, b) = call(&sim, "apps.connections.open", json!({})).await;
    assert_eq!(err(&b), "not_allowed_token_type");
    let (_, b) = call_with(
        &sim,
        Some("xapp-test-token"),
        "apps.connections.open",
        json!({}),
    )
    .await;
    assert!(
        b["url"].as_str().unwrap().starts_with("ws://127.0.0.1:"),
        "{b}"
    );

    // Malformed bodies get Slack errors, never a panic.
    let resp = reqwest::Client::new()
        .post(format!("{}/chat.postMessage", sim.api_url()))
        .header("authorization", "Bearer xoxb-test-token")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "invalid_json");
    let calls = sim.calls();
    assert_eq!(calls.len(), 7);
    assert!(calls.iter().all(|c| c.status == 200));
}

#[tokio::test]
async fn injected_faults() {
    let sim = sim().await;
    let post = json!({"channel": "C0SUPPORT1", "text": "x"});
    sim.fail(FailRule::once(
        "chat.postMessage",
        Failure::RateLimited {
            retry_after_secs: 7,
        },
    ));
    let resp = reqwest::Client::new()
        .post(format!("{}/chat.postMessage", sim.api_url()))
        .header("authorization", "Bearer xoxb-test-token")
        .json(&post)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "ratelimited");
    assert_eq!(sim.rate_limited_count(), 1);
    assert!(
        sim.messages("C0SUPPORT1")
            .iter()
            .all(|m| m.text.as_deref() != Some("x"))
    );

    sim.fail(FailRule::once("chat.postMessage", Failure::Status(503)));
    sim.fail(FailRule::once(
        "chat.postMessage",
        Failure::SlackError("fatal_error".into()),
    ));
    assert_eq!(call(&sim, "chat.postMessage", post.clone()).await.0, 503);
    assert_eq!(
        err(&call(&sim, "chat.postMessage", post.clone()).await.1),
        "fatal_error"
    );
    assert_eq!(
        call(&sim, "chat.postMessage", post.clone()).await.1["ok"],
        true
    );
    let calls = sim.calls_to("chat.postMessage");
    assert_eq!(
        calls.iter().map(|c| (c.status, c.ok)).collect::<Vec<_>>(),
        vec![(429, false), (503, false), (200, false), (200, true)]
    );
    assert_eq!(calls[2].error.as_deref(), Some("fatal_error"));

    sim.fail(FailRule::once(
        "auth.test",
        Failure::Slow(Duration::from_millis(300)),
    ));
    let started = std::time::Instant::now();
    assert_eq!(call(&sim, "auth.test", json!({})).await.1["ok"], true);
    assert!(started.elapsed() >= Duration::from_millis(300));

    sim.fail(FailRule {
        method: None,
        times: None,
        failure: Failure::Hang,
    });
    let hung = tokio::spawn({
        let sim = sim.clone();
        async move { call(&sim, "auth.test", json!({})).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!hung.is_finished());
    assert_eq!(sim.calls_to("auth.test").last().map(|c| c.status), Some(0));
    sim.clear_faults();
    assert_eq!(call(&sim, "auth.test", json!({})).await.1["ok"], true);
    sim.shutdown().await;
    let (status, _) = tokio::time::timeout(T, hung).await.unwrap().unwrap();
    assert_eq!(status, 503);
}

#[tokio::test]
async fn natural_rate_limit_per_channel() {
    // Slack's limits run on the timer the simulator is given.
    let timer = crate::clock::ManualTimer::new();
    let sim = SlackSim::start_timed(SimConfig::default(), timer.clone()).await;
    let post = json!({"channel": "C0SALES001", "text": "x"});
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(call(&sim, "chat.postMessage", post.clone()).await.0);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    assert_eq!(
        call(
            &sim,
            "chat.postMessage",
            json!({"channel": "C0SUPPORT1", "text": "x"})
        )
        .await
        .0,
        200
    );
    assert_eq!(sim.rate_limited_count(), 1);
    timer.advance(Duration::from_millis(999));
    assert_eq!(call(&sim, "chat.postMessage", post.clone()).await.0, 429);
    timer.advance(Duration::from_millis(1));
    assert_eq!(call(&sim, "chat.postMessage", post.clone()).await.0, 200);
    sim.set_natural_rate_limit(false);
    for _ in 0..5 {
        assert_eq!(call(&sim, "chat.postMessage", post.clone()).await.0, 200);
    }
}

#[tokio::test]
async fn wait_for_waits_and_reports() {
    let sim = sim().await;
    let bg = sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        call(&bg, "auth.test", json!({})).await;
    });
    assert_eq!(sim.wait_for("auth.test", 1, T).await.len(), 1);

    let waiting = tokio::spawn({
        let sim = sim.clone();
        async move {
            sim.wait_for("chat.postMessage", 1, Duration::from_millis(100))
                .await
        }
    });
    let panic = waiting.await.unwrap_err().into_panic();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("waiting for 1 ok call(s) to chat.postMessage"),
        "{msg}"
    );
    assert!(msg.contains("auth.test status=200"), "{msg}");
}

#[tokio::test]
async fn views_triggers_and_response_urls() {
    let sim = sim().await;
    let home = json!({"type": "home", "blocks": [{"type": "divider"}]});
    let (_, b) = call(
        &sim,
        "views.publish",
        json!({"user_id": "U0ALICE001", "view": home}),
    )
    .await;
    assert_eq!(b["view"]["type"], "home", "{b}");
    assert_eq!(sim.home_view("U0ALICE001"), Some(home));
    let (_, b) = call(&sim, "views.publish", json!({"user_id": "U0ALICE001"})).await;
    assert_eq!(err(&b), "invalid_arguments");

    // A command issues a trigger (3 s, once) and a response_url on the simulator.
    let fields = sim.command_payload("/checkin", "U0CAROL001", "C0SUPPORT1", "here");
    assert_eq!(fields["channel_name"], "support");
    let trigger = fields["trigger_id"].as_str().unwrap();
    let modal =
        json!({"type": "modal", "title": {"type": "plain_text", "text": "Check in"}, "blocks": []});
    let (_, b) = call(
        &sim,
        "views.open",
        json!({"trigger_id": trigger, "view": modal}),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
    let (_, b) = call(
        &sim,
        "views.open",
        json!({"trigger_id": trigger, "view": modal}),
    )
    .await;
    assert_eq!(err(&b), "exchanged_trigger_id");

    let url = fields["response_url"].as_str().unwrap();
    assert!(url.starts_with(&sim.base_url()));
    let client = reqwest::Client::new();
    for i in 0..6 {
        let status = client
            .post(url)
            .json(&json!({"text": "done", "response_type": "ephemeral"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, if i < 5 { 200 } else { 404 });
    }
    let posts = sim.calls_to("response_url");
    assert_eq!(posts.len(), 6);
    assert_eq!(posts[0].params["text"], "done");
    assert_eq!(posts[0].channel.as_deref(), Some("C0SUPPORT1"));
    assert_eq!(posts[5].error.as_deref(), Some("used_url"));
}

/// Every response must deserialize into slack-morphism's response types.
#[tokio::test]
async fn slack_morphism_client_accepts_responses() {
    use slack_morphism::prelude::*;
    let sim = sim().await;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native roots")
        .https_or_http()
        .enable_http1()
        .build();
    let client =
        SlackClient::new(SlackClientHyperConnector::from(https).with_slack_api_url(&sim.api_url()));
    let token = SlackApiToken::new(SlackApiTokenValue::from(sim.config().bot_token.clone()));
    let s = client.open_session(&token);

    let auth = s.auth_test().await.unwrap();
    assert_eq!(auth.user_id.to_string(), BOT_USER_ID);
    let blocks: Vec<SlackBlock> =
        slack_blocks![some_into(SlackSectionBlock::new().with_text(md!("*hi*")))];
    let posted = s
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            "C0SUPPORT1".into(),
            SlackMessageContent::new()
                .with_text("hi".into())
                .with_blocks(blocks.clone()),
        ))
        .await
        .unwrap();
    let thread = s
        .chat_post_message(
            &SlackApiChatPostMessageRequest::new(
                "C0SUPPORT1".into(),
                SlackMessageContent::new().with_text("reply".into()),
            )
            .with_thread_ts(posted.ts.clone()),
        )
        .await
        .unwrap();
    assert_eq!(thread.message.origin.thread_ts, Some(posted.ts.clone()));
    s.chat_update(&SlackApiChatUpdateRequest::new(
        posted.channel.clone(),
        SlackMessageContent::new().with_text("hi again".into()),
        posted.ts.clone(),
    ))
    .await
    .unwrap();
    s.chat_post_ephemeral(&SlackApiChatPostEphemeralRequest::new(
        "C0SUPPORT1".into(),
        "U0ALICE001".into(),
        SlackMessageContent::new().with_text("only you".into()),
    ))
    .await
    .unwrap();
    let link = s
        .chat_get_permalink(&SlackApiChatGetPermalinkRequest::new(
            posted.channel.clone(),
            thread.ts.clone(),
        ))
        .await
        .unwrap();
    assert!(
        link.permalink.as_str().contains("thread_ts="),
        "{}",
        link.permalink
    );
    s.reactions_add(&SlackApiReactionsAddRequest::new(
        posted.channel.clone(),
        "tada".into(),
        posted.ts.clone(),
    ))
    .await
    .unwrap();
    let dm = s
        .conversations_open(
            &SlackApiConversationsOpenRequest::new().with_users(vec!["U0BOB00001".into()]),
        )
        .await
        .unwrap();
    assert_eq!(dm.channel.id.to_string(), sim.dm_channel("U0BOB00001"));
    let full = s
        .conversations_open_full(
            &SlackApiConversationsOpenRequest::new().with_users(vec!["U0BOB00001".into()]),
        )
        .await
        .unwrap();
    assert_eq!(full.channel.flags.is_im, Some(true));
    let user = s
        .users_info(&SlackApiUsersInfoRequest::new("U0CAROL001".into()))
        .await
        .unwrap();
    assert_eq!(user.user.tz.as_deref(), Some("Europe/Berlin"));
    let bot = s
        .users_info(&SlackApiUsersInfoRequest::new(BOT_USER_ID.into()))
        .await
        .unwrap();
    assert_eq!(bot.user.flags.is_bot, Some(true));
    s.views_publish(&SlackApiViewsPublishRequest::new(
        "U0ALICE001".into(),
        SlackView::Home(SlackHomeView::new(blocks.clone())),
    ))
    .await
    .unwrap();
    s.views_open(&SlackApiViewsOpenRequest::new(
        "123.456.abc".into(),
        SlackView::Modal(SlackModalView::new("Check in".into(), blocks)),
    ))
    .await
    .unwrap();
    s.chat_delete(&SlackApiChatDeleteRequest::new(
        posted.channel.clone(),
        posted.ts.clone(),
    ))
    .await
    .unwrap();

    match s
        .users_info(&SlackApiUsersInfoRequest::new("U0NOBODY01".into()))
        .await
    {
        Err(slack_morphism::errors::SlackClientError::ApiError(e)) => {
            assert_eq!(e.code, "user_not_found")
        }
        other => panic!("expected user_not_found, got {other:?}"),
    }
    sim.fail(FailRule::once(
        "chat.postMessage",
        Failure::RateLimited {
            retry_after_secs: 2,
        },
    ));
    match s
        .chat_post_message(&SlackApiChatPostMessageRequest::new(
            "C0SUPPORT1".into(),
            SlackMessageContent::new().with_text("x".into()),
        ))
        .await
    {
        Err(slack_morphism::errors::SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(2)))
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    assert!(
        sim.calls()
            .iter()
            .filter(|c| c.method != "users.info" && c.status == 200)
            .all(|c| c.ok)
    );
}

type Seen = Arc<Mutex<Vec<String>>>;

async fn on_push(
    event: slack_morphism::prelude::SlackPushEventCallback,
    _client: Arc<slack_morphism::prelude::SlackHyperClient>,
    state: slack_morphism::prelude::SlackClientEventsUserState,
) -> slack_morphism::prelude::UserCallbackResult<()> {
    let guard = state.read().await;
    if let Some(seen) = guard.get_user_state::<Seen>() {
        seen.lock().unwrap().push(event.event_id.to_string());
    }
    Ok(())
}

async fn on_command(
    event: slack_morphism::prelude::SlackCommandEvent,
    _client: Arc<slack_morphism::prelude::SlackHyperClient>,
    _state: slack_morphism::prelude::SlackClientEventsUserState,
) -> slack_morphism::prelude::UserCallbackResult<slack_morphism::prelude::SlackCommandEventResponse>
{
    use slack_morphism::prelude::*;
    Ok(SlackCommandEventResponse::new(
        SlackMessageContent::new().with_text(format!("got {}", event.command)),
    ))
}

async fn on_interaction(
    _event: slack_morphism::prelude::SlackInteractionEvent,
    _client: Arc<slack_morphism::prelude::SlackHyperClient>,
    _state: slack_morphism::prelude::SlackClientEventsUserState,
) -> slack_morphism::prelude::UserCallbackResult<()> {
    Ok(())
}

/// slack-morphism's own Socket Mode client connects, gets envelopes and acks them.
#[tokio::test]
async fn socket_mode_with_slack_morphism() {
    use slack_morphism::prelude::*;
    let sim = sim().await;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native roots")
        .https_or_http()
        .enable_http1()
        .build();
    let client = Arc::new(SlackClient::new(
        SlackClientHyperConnector::from(https).with_slack_api_url(&sim.api_url()),
    ));
    let seen: Seen = Arc::default();
    let env =
        Arc::new(SlackClientEventsListenerEnvironment::new(client).with_user_state(seen.clone()));
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_push_events(on_push)
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let listener =
        SlackClientSocketModeListener::new(&SlackClientSocketModeConfig::new(), env, callbacks);
    let app_token = SlackApiToken::new(SlackApiTokenValue::from(sim.config().app_token.clone()));
    assert_eq!(
        sim.socket_send("events_api", json!({}), T).await,
        Err(SimError::NoSocket)
    );
    listener.listen_for(&app_token).await.unwrap();
    listener.start().await;
    sim.wait_socket_connected(1, T).await;

    let event = payloads::reaction_added(
        "Ev0SOCK0001",
        "U0BOB00001",
        "trophy",
        Some("U0ALICE001"),
        "C0SUPPORT1",
        "1732600000.000200",
    );
    let ack = sim.socket_send("events_api", event, T).await.unwrap();
    assert!(ack["envelope_id"].is_string());
    for _ in 0..100 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*seen.lock().unwrap(), vec!["Ev0SOCK0001".to_string()]);

    let cmd = sim.command_payload(
        "/kudos",
        "U0ALICE001",
        "C0HUMBLEBR",
        "<@U0BOB00001|bob> thanks",
    );
    let ack = sim.socket_send("slash_commands", cmd, T).await.unwrap();
    assert_eq!(ack["payload"]["text"], "got /kudos", "{ack}");

    let ack = sim
        .socket_send(
            "interactive",
            payloads::block_actions(
                "U0CAROL001",
                "C0SUPPORT1",
                "1732608000.000100",
                "checkin_open",
                "support:2024-11-26",
            ),
            T,
        )
        .await
        .unwrap();
    assert!(ack["envelope_id"].is_string());

    // The client reconnects when asked to refresh.
    sim.socket_disconnect_all("refresh_requested").await;
    for _ in 0..300 {
        if sim.socket_connections_total() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(sim.socket_connections_total() >= 2);
    listener.shutdown().await;
    sim.shutdown().await;
}

/// The builders' payloads parse into slack-morphism's event types (what a Socket Mode bot sees).
#[test]
fn payload_builders_parse_as_slack_events() {
    use slack_morphism::prelude::*;
    let events = [
        payloads::reaction_added(
            "Ev1",
            "U0BOB00001",
            "trophy",
            Some("U0ALICE001"),
            "C0SUPPORT1",
            "1732600000.000200",
        ),
        payloads::reaction_removed(
            "Ev2",
            "U0BOB00001",
            "trophy",
            None,
            "C0SUPPORT1",
            "1732600000.000200",
        ),
        payloads::reaction_added_file("Ev3", "U0BOB00001", "trophy", "U0ALICE001"),
        payloads::message(
            "Ev4",
            "U0CAROL001",
            "C0SUPPORT1",
            "1732608311.000700",
            "in <@U0ALICE001>",
            Some("1732608000.000100"),
        ),
        payloads::app_home_opened("Ev5", "U0ALICE001"),
        payloads::url_verification("challenge-1"),
    ];
    for e in events {
        serde_json::from_value::<SlackPushEvent>(e.clone())
            .unwrap_or_else(|err| panic!("{err}: {e}"));
    }
    let values = json!({"hours": {"hours_select": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Full day"}, "value": "full"}}}});
    for p in [
        payloads::block_actions(
            "U0CAROL001",
            "C0SUPPORT1",
            "1732608000.000100",
            "checkin_open",
            "support:2024-11-26",
        ),
        payloads::view_submission("U0CAROL001", "checkin_modal", "{}", values),
    ] {
        serde_json::from_value::<SlackInteractionEvent>(p.clone())
            .unwrap_or_else(|err| panic!("{err}: {p}"));
    }
    let cmd = payloads::command_json("/kudos", "U0ALICE001", "C0HUMBLEBR", "hi");
    serde_json::from_value::<SlackCommandEvent>(cmd).unwrap();
}

/// (path, headers, body) of one request the stand-in bot received.
type Received = (String, axum::http::HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct FakeBot {
    requests: Arc<Mutex<Vec<Received>>>,
}

async fn fake_bot_handler(
    axum::extract::State(bot): axum::extract::State<FakeBot>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> &'static str {
    bot.requests
        .lock()
        .unwrap()
        .push((uri.path().to_string(), headers, body.to_vec()));
    ""
}

#[tokio::test]
async fn sender_signs_like_slack() {
    let sim = sim().await;
    let bot = FakeBot::default();
    let app = axum::Router::new()
        .fallback(axum::routing::post(fake_bot_handler))
        .with_state(bot.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sender = sim.sender(&format!("http://{addr}/"));

    sender.event(&payloads::url_verification("abc")).await;
    sender
        .event_retry(
            &payloads::app_home_opened("Ev9", "U0ALICE001"),
            1,
            "http_timeout",
        )
        .await;
    sender
        .command(
            "/kudos",
            "U0ALICE001",
            "C0HUMBLEBR",
            "<@U0BOB00001|bob> + thanks",
        )
        .await;
    sender
        .interaction(&payloads::block_actions(
            "U0CAROL001",
            "C0SUPPORT1",
            "1732608000.000100",
            "checkin_open",
            "v",
        ))
        .await;
    sender.clone().with_secret("wrong").event(&json!({})).await;

    let reqs = bot.requests.lock().unwrap().clone();
    assert_eq!(
        reqs.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        [
            "/slack/events",
            "/slack/events",
            "/slack/commands",
            "/slack/interactions",
            "/slack/events"
        ]
    );
    for (i, (_, headers, body)) in reqs.iter().enumerate() {
        let ts: i64 = headers["x-slack-request-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((ts - chrono::Utc::now().timestamp()).abs() < 60);
        let expected = sign("test-signing-secret", ts, body);
        assert_eq!(
            headers["x-slack-signature"] == expected.as_str(),
            i != 4,
            "request {i}"
        );
    }
    assert_eq!(reqs[1].1["x-slack-retry-num"], "1");
    assert_eq!(reqs[1].1["x-slack-retry-reason"], "http_timeout");

    let form: Vec<(String, String)> = url::form_urlencoded::parse(&reqs[2].2)
        .into_owned()
        .collect();
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "token",
            "team_id",
            "team_domain",
            "channel_id",
            "channel_name",
            "user_id",
            "user_name",
            "command",
            "text",
            "api_app_id",
            "is_enterprise_install",
            "response_url",
            "trigger_id"
        ]
    );
    assert_eq!(form[8].1, "<@U0BOB00001|bob> + thanks");
    let raw = String::from_utf8(reqs[2].2.clone()).unwrap();
    assert!(
        raw.contains("text=%3C%40U0BOB00001%7Cbob%3E+%2B+thanks"),
        "{raw}"
    );
    let response_url = &form[11].1;
    assert!(response_url.starts_with(&format!("{}/response_url/", sim.base_url())));
    reqwest::Client::new()
        .post(response_url)
        .json(&json!({"text": "ok!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sim.wait_for("response_url", 1, T).await[0]
            .channel
            .as_deref(),
        Some("C0HUMBLEBR")
    );

    let body = String::from_utf8(reqs[3].2.clone()).unwrap();
    let payload = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert!(
        payload["response_url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.base_url())
    );
}

/// Like Slack, one field over Block Kit's limits refuses the whole message or
/// view, so tests of the bot's rendering run against the real limits.
#[tokio::test]
async fn block_kit_limits_are_enforced_like_slack() {
    let sim = sim().await;
    sim.set_natural_rate_limit(false);
    let section =
        |n: usize| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(n)}});
    let (_, b) = call(
        &sim,
        "chat.postMessage",
        json!({"channel": "C0SUPPORT1", "text": "ok", "blocks": [section(3_000)]}),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
    let ts = b["ts"].as_str().unwrap().to_string();
    for (method, args) in [
        (
            "chat.postMessage",
            json!({"channel": "C0SUPPORT1", "text": "t", "blocks": [section(3_001)]}),
        ),
        (
            "chat.postEphemeral",
            json!({"channel": "C0SUPPORT1", "user": "U0ALICE001", "text": "t", "blocks": [section(3_001)]}),
        ),
        (
            "chat.update",
            json!({"channel": "C0SUPPORT1", "ts": ts, "text": "t", "blocks": [section(3_001)]}),
        ),
        (
            "chat.postMessage",
            json!({"channel": "C0SUPPORT1", "text": "t", "blocks": [section(0)]}),
        ),
        (
            "chat.postMessage",
            json!({"channel": "C0SUPPORT1", "text": "t",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]}),
        ),
    ] {
        let (_, b) = call(&sim, method, args).await;
        assert_eq!(err(&b), "invalid_blocks", "{method}: {b}");
    }
    let home = |blocks: Value| json!({"user_id": "U0ALICE001", "view": {"type": "home", "blocks": blocks}});
    let (_, b) = call(&sim, "views.publish", home(json!([section(3_001)]))).await;
    assert_eq!(err(&b), "invalid_arguments", "{b}");
    let (_, b) = call(
        &sim,
        "views.publish",
        home(Value::Array(vec![section(10); 101])),
    )
    .await;
    assert_eq!(err(&b), "invalid_arguments", "{b}");
    let (_, b) = call(
        &sim,
        "views.publish",
        home(Value::Array(vec![section(10); 100])),
    )
    .await;
    assert_eq!(b["ok"], true, "{b}");
    let modal = json!({"type": "modal", "title": {"type": "plain_text", "text": "A title over 24 characters"}, "blocks": []});
    let (_, b) = call(
        &sim,
        "views.open",
        json!({"trigger_id": "1.2.3", "view": modal}),
    )
    .await;
    assert_eq!(err(&b), "invalid_arguments", "{b}");
}

#[tokio::test]
async fn auth_test_and_bots_info_name_the_installation() {
    let sim = SlackSim::start(SimConfig {
        enterprise_id: Some("E0ORG00001".into()),
        ..SimConfig::default()
    })
    .await;
    let (_, auth) = call(&sim, "auth.test", json!({})).await;
    assert_eq!(
        (
            &auth["team_id"],
            &auth["enterprise_id"],
            &auth["bot_id"],
            &auth["user_id"]
        ),
        (
            &json!(TEAM_ID),
            &json!("E0ORG00001"),
            &json!(BOT_ID),
            &json!(BOT_USER_ID)
        )
    );
    let (_, bot) = call(&sim, "bots.info", json!({"bot": BOT_ID})).await;
    assert_eq!(bot["bot"]["app_id"], APP_ID, "{bot}");
    let (_, none) = call(&sim, "bots.info", json!({"bot": "B0NOBODY01"})).await;
    assert_eq!(err(&none), "bot_not_found");
    // Without an org, auth.test names none.
    let (_, plain) = call(&self::sim().await, "auth.test", json!({})).await;
    assert!(plain.get("enterprise_id").is_none(), "{plain}");
}

#[tokio::test]
async fn a_revoked_token_fails_every_call() {
    let sim = sim().await;
    assert_eq!(call(&sim, "auth.test", json!({})).await.1["ok"], true);
    sim.revoke_token("token_revoked");
    for method in [
        "auth.test",
        "bots.info",
        "chat.postMessage",
        "views.publish",
    ] {
        let (status, body) =
            call(&sim, method, json!({"channel": "C0SUPPORT1", "text": "hi"})).await;
        assert_eq!((status, err(&body)), (200, "token_revoked"), "{method}");
    }
    assert!(
        sim.messages("C0SUPPORT1")
            .iter()
            .all(|m| m.text.as_deref() != Some("hi"))
    );
}

#[test]
fn payloads_can_come_from_elsewhere() {
    let reaction = payloads::reaction_added(
        "Ev1",
        "U0ALICE001",
        "trophy",
        Some("U0BOB00001"),
        "C0SUPPORT1",
        "1.2",
    );
    let other = payloads::from_workspace(reaction.clone(), "T0OTHER001");
    assert_eq!(other["team_id"], "T0OTHER001");
    assert_eq!(other["authorizations"][0]["team_id"], "T0OTHER001");
    let connect = payloads::via_slack_connect(reaction.clone(), "T0PARTNER1");
    assert_eq!(connect["team_id"], "T0PARTNER1");
    assert_eq!(connect["authorizations"][0]["team_id"], TEAM_ID);
    assert_eq!(connect["is_ext_shared_channel"], true);
    let app = payloads::from_app(reaction, "A0OTHERAPP");
    assert_eq!(app["api_app_id"], "A0OTHERAPP");

    let press = payloads::block_actions("U0ALICE001", "C0SUPPORT1", "1.2", "a", "v");
    let press = payloads::from_workspace(press, "T0OTHER001");
    assert_eq!(press["team"]["id"], "T0OTHER001");
    assert_eq!(press["user"]["team_id"], "T0OTHER001");
    let command = payloads::from_workspace(
        payloads::command_json("/trophy", "U0ALICE001", "C0SUPPORT1", ""),
        "T0OTHER001",
    );
    assert_eq!(command["team_id"], "T0OTHER001");

    let gone = payloads::app_uninstalled("Ev2");
    assert_eq!(gone["event"]["type"], "app_uninstalled");
    let revoked = payloads::tokens_revoked("Ev3", &[], &[BOT_USER_ID]);
    assert_eq!(revoked["event"]["tokens"]["bot"][0], BOT_USER_ID);
}
