//! Builders for what Slack sends the bot, in the shapes of `/work/shared/slack/payloads/`.
//! Pure functions: they know the seeded workspace but not a running simulator. Fresh
//! `trigger_id`s and `hooks.slack.com` response URLs are filled in; the simulator's sender and
//! `socket_send` swap such response URLs for their own endpoint on delivery.

use serde_json::{Value, json};

use super::util::{new_trigger_id, random_alnum, random_digits, ts_now, unix_now, uuid_v4};
use super::world::{SEEDED_CHANNELS, SEEDED_USERS, dm_channel_id};
use super::{APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID};

/// The deprecated verification token every fixture carries.
pub const VERIFICATION_TOKEN: &str = "Nf7kQ2xLm9RtVb4WcZp8YdHs";
/// The file id used by `reaction_added_file`.
pub const FILE_ID: &str = "F0REFUNDCSV";

fn user_name(id: &str) -> String {
    SEEDED_USERS
        .iter()
        .find(|(uid, ..)| *uid == id)
        .map(|(_, name, _)| name.to_string())
        .unwrap_or_else(|| id.to_ascii_lowercase())
}

fn channel_name(id: &str) -> String {
    if id.starts_with('D') {
        return "directmessage".into();
    }
    SEEDED_CHANNELS
        .iter()
        .find(|(cid, _)| *cid == id)
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| id.to_ascii_lowercase())
}

fn channel_type(id: &str) -> &'static str {
    match id.chars().next() {
        Some('D') => "im",
        Some('G') => "group",
        _ => "channel",
    }
}

/// Unpadded base64url, for the opaque `event_context`.
fn base64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn event_context(event_type: &str, channel: Option<&str>) -> String {
    let mut ctx = json!({"et": event_type, "tid": TEAM_ID, "aid": APP_ID});
    if let Some(c) = channel {
        ctx["cid"] = json!(c);
    }
    format!("4-{}", base64url(ctx.to_string().as_bytes()))
}

/// The `event_callback` envelope around an inner event.
fn event_callback(event_id: &str, event: Value, event_time: i64, channel: Option<&str>) -> Value {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message")
        .to_string();
    json!({
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": null,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "is_bot": true,
            "is_enterprise_install": false
        }],
        "is_ext_shared_channel": false,
        "event_context": event_context(&kind, channel),
    })
}

fn reaction_event(
    kind: &str,
    event_id: &str,
    reactor: &str,
    reaction: &str,
    item_user: Option<&str>,
    item: Value,
    channel: Option<&str>,
) -> Value {
    let mut event = json!({
        "type": kind,
        "user": reactor,
        "reaction": reaction,
        "item": item,
        "event_ts": ts_now(),
    });
    if let Some(u) = item_user {
        event["item_user"] = json!(u);
    }
    event_callback(event_id, event, unix_now(), channel)
}

/// `reactor` added `:reaction:` to the message `channel`/`ts` written by `item_user` (absent for
/// e.g. incoming-webhook messages).
pub fn reaction_added(
    event_id: &str,
    reactor: &str,
    reaction: &str,
    item_user: Option<&str>,
    channel: &str,
    ts: &str,
) -> Value {
    let item = json!({"type": "message", "channel": channel, "ts": ts});
    reaction_event(
        "reaction_added",
        event_id,
        reactor,
        reaction,
        item_user,
        item,
        Some(channel),
    )
}

pub fn reaction_removed(
    event_id: &str,
    reactor: &str,
    reaction: &str,
    item_user: Option<&str>,
    channel: &str,
    ts: &str,
) -> Value {
    let item = json!({"type": "message", "channel": channel, "ts": ts});
    reaction_event(
        "reaction_removed",
        event_id,
        reactor,
        reaction,
        item_user,
        item,
        Some(channel),
    )
}

/// A reaction on a file: `item` is `{type:"file", file}` with no channel.
pub fn reaction_added_file(
    event_id: &str,
    reactor: &str,
    reaction: &str,
    item_user: &str,
) -> Value {
    let item = json!({"type": "file", "file": FILE_ID});
    reaction_event(
        "reaction_added",
        event_id,
        reactor,
        reaction,
        Some(item_user),
        item,
        None,
    )
}

/// Rich-text elements for message text: `<@U…>` / `<@U…|name>` become user elements,
/// `<#C…|name>` channel elements, `<url|label>` links; the rest is text.
fn rich_text_elements(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text;
    let push_text = |out: &mut Vec<Value>, s: &str| {
        if !s.is_empty() {
            out.push(json!({"type": "text", "text": s}));
        }
    };
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        push_text(&mut out, &rest[..start]);
        let inner = &rest[start + 1..start + len];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if let Some(u) = target.strip_prefix('@') {
            out.push(json!({"type": "user", "user_id": u}));
        } else if let Some(c) = target.strip_prefix('#') {
            out.push(json!({"type": "channel", "channel_id": c}));
        } else if target.starts_with("http") {
            let mut link = json!({"type": "link", "url": target});
            if !label.is_empty() {
                link["text"] = json!(label);
            }
            out.push(link);
        } else {
            push_text(&mut out, &rest[start..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    push_text(&mut out, rest);
    out
}

/// A human's `message.channels` event (with `client_msg_id` and rich-text `blocks`). A thread
/// reply (`thread_ts`) carries `parent_user_id` = the bot, the usual case here (replies to the
/// bot's check-in prompt); use `SlackSim::post_as_user_event` to get the real parent.
pub fn message(
    event_id: &str,
    user: &str,
    channel: &str,
    ts: &str,
    text: &str,
    thread_ts: Option<&str>,
) -> Value {
    message_with_parent(
        event_id,
        user,
        channel,
        ts,
        text,
        thread_ts.map(|t| (t, BOT_USER_ID)),
    )
}

pub(crate) fn message_with_parent(
    event_id: &str,
    user: &str,
    channel: &str,
    ts: &str,
    text: &str,
    thread: Option<(&str, &str)>,
) -> Value {
    let mut event = json!({
        "user": user,
        "type": "message",
        "ts": ts,
        "client_msg_id": uuid_v4(),
        "text": text,
        "team": TEAM_ID,
        "blocks": [{
            "type": "rich_text",
            "block_id": random_alnum(5),
            "elements": [{"type": "rich_text_section", "elements": rich_text_elements(text)}]
        }],
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type(channel),
    });
    if let Some((thread_ts, parent)) = thread {
        event["thread_ts"] = json!(thread_ts);
        event["parent_user_id"] = json!(parent);
    }
    let secs = ts
        .split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(unix_now);
    event_callback(event_id, event, secs, Some(channel))
}

/// `user` opened the bot's Home tab (no `view`: that only appears after a publish).
pub fn app_home_opened(event_id: &str, user: &str) -> Value {
    let channel = dm_channel_id(user);
    let event = json!({
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "home",
        "event_ts": ts_now(),
    });
    event_callback(event_id, event, unix_now(), Some(&channel))
}

/// `user_change` for `user`: here, an admin deactivated them (`deleted`).
/// Slack sends the whole user object; needful reads its id and `deleted`.
pub fn user_deactivated(event_id: &str, user: &str) -> Value {
    let event = json!({
        "type": "user_change",
        "user": {
            "id": user,
            "team_id": TEAM_ID,
            "name": user.to_lowercase(),
            "deleted": true,
            "is_admin": false,
            "is_owner": false,
            "is_bot": false,
            "tz": "Europe/Berlin",
            "updated": unix_now(),
            "profile": {"real_name": "", "display_name": ""}
        },
        "cache_ts": unix_now(),
        "event_ts": ts_now(),
    });
    event_callback(event_id, event, unix_now(), None)
}

/// `app_uninstalled`: someone removed the app from the workspace. Slack sends it once, after
/// which the bot token is dead.
pub fn app_uninstalled(event_id: &str) -> Value {
    let event = json!({"type": "app_uninstalled", "event_ts": ts_now()});
    event_callback(event_id, event, unix_now(), None)
}

/// `tokens_revoked`: the tokens of these users were revoked; `bot_users` are bot tokens (the
/// bot's user id, e.g. `BOT_USER_ID`), `oauth_users` user tokens.
pub fn tokens_revoked(event_id: &str, oauth_users: &[&str], bot_users: &[&str]) -> Value {
    let event = json!({
        "type": "tokens_revoked",
        "tokens": {"oauth": oauth_users, "bot": bot_users},
        "event_ts": ts_now(),
    });
    event_callback(event_id, event, unix_now(), None)
}

/// The same payload as if it came from workspace `team_id` (with its own installation of an app
/// of the same id): every team field is rewritten, `authorizations[]` included. Works on events,
/// interactions and Socket Mode command payloads (a JSON object of strings).
pub fn from_workspace(mut payload: Value, team_id: &str) -> Value {
    set_team(&mut payload, team_id);
    if let Some(auths) = payload
        .get_mut("authorizations")
        .and_then(Value::as_array_mut)
    {
        for auth in auths {
            auth["team_id"] = json!(team_id);
        }
    }
    payload
}

/// The same payload as if it were meant for another app (`api_app_id` and the event context).
pub fn from_app(mut payload: Value, app_id: &str) -> Value {
    if let Some(obj) = payload.as_object_mut() {
        obj.insert("api_app_id".into(), json!(app_id));
    }
    if let Some(view) = payload.get_mut("view").and_then(Value::as_object_mut) {
        view.insert("app_id".into(), json!(app_id));
    }
    payload
}

/// An event from a Slack Connect channel shared with `other_team`: the event (and its outer
/// `team_id`) belong to the other workspace, while `authorizations[]` still names this
/// installation, which is how Slack says why it sent the event here.
pub fn via_slack_connect(mut payload: Value, other_team: &str) -> Value {
    let authorizations = payload.get("authorizations").cloned();
    set_team(&mut payload, other_team);
    if let (Some(obj), Some(auths)) = (payload.as_object_mut(), authorizations) {
        obj.insert("authorizations".into(), auths);
        obj.insert("is_ext_shared_channel".into(), json!(true));
    }
    payload
}

/// Rewrites the team fields Slack's payloads carry: `team_id` (events, commands),
/// `context_team_id`, `team.id` (interactions), `event.team` and `user.team_id`.
fn set_team(payload: &mut Value, team_id: &str) {
    let Some(obj) = payload.as_object_mut() else {
        return;
    };
    for key in ["team_id", "context_team_id"] {
        if obj.contains_key(key) {
            obj.insert(key.into(), json!(team_id));
        }
    }
    if let Some(team) = obj.get_mut("team").and_then(Value::as_object_mut) {
        team.insert("id".into(), json!(team_id));
    }
    if let Some(user) = obj.get_mut("user").and_then(Value::as_object_mut) {
        user.insert("team_id".into(), json!(team_id));
    }
    if let Some(event) = obj.get_mut("event").and_then(Value::as_object_mut)
        && event.contains_key("team")
    {
        event.insert("team".into(), json!(team_id));
    }
    if let Some(view) = obj.get_mut("view").and_then(Value::as_object_mut) {
        for key in ["team_id", "app_installed_team_id"] {
            if view.contains_key(key) {
                view.insert(key.into(), json!(team_id));
            }
        }
    }
}

pub fn url_verification(challenge: &str) -> Value {
    json!({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})
}

fn user_obj(user: &str) -> Value {
    let name = user_name(user);
    json!({"id": user, "username": name, "name": name, "team_id": TEAM_ID})
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn hooks_url(kind: &str) -> String {
    format!(
        "https://hooks.slack.com/{kind}/{TEAM_ID}/{}/{}",
        random_digits(13),
        random_alnum(24)
    )
}

/// `user` pressed a button (`action_id`, `value`) on the bot's message `channel`/`message_ts`.
pub fn block_actions(
    user: &str,
    channel: &str,
    message_ts: &str,
    action_id: &str,
    value: &str,
) -> Value {
    let button = json!({
        "type": "button",
        "action_id": action_id,
        "text": plain("Check in"),
        "style": "primary",
        "value": value
    });
    json!({
        "type": "block_actions",
        "user": user_obj(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": false
        },
        "trigger_id": new_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": channel, "name": channel_name(channel)},
        "message": {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": message_ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": "Good morning, Support pod! Reply in this thread or press Check in.",
            "team": TEAM_ID,
            "blocks": [{"type": "actions", "block_id": "actions", "elements": [button]}]
        },
        "state": {"values": {}},
        "response_url": hooks_url("actions"),
        "actions": [{
            "action_id": action_id,
            "block_id": "actions",
            "text": plain("Check in"),
            "value": value,
            "style": "primary",
            "type": "button",
            "action_ts": ts_now()
        }]
    })
}

/// A view as Slack sends it back in interactions: `kind` (`modal` or
/// `home`) with Slack's own fields, empty.
fn view_json(view_id: &str, kind: &str) -> Value {
    json!({
        "id": view_id,
        "team_id": TEAM_ID,
        "type": kind,
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "state": {"values": {}},
        "hash": format!("{}.{}", unix_now(), random_alnum(8)),
        "clear_on_close": false,
        "notify_on_close": false,
        "previous_view_id": null,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID
    })
}

/// [`view_submission`] of a modal pushed on top of `previous_view_id`.
pub fn view_submission_on_top(
    user: &str,
    callback_id: &str,
    values: Value,
    previous_view_id: &str,
) -> Value {
    let mut payload = view_submission(user, callback_id, "", values);
    payload["view"]["previous_view_id"] = json!(previous_view_id);
    payload
}

/// `user` pressed a button (`action_id`, `value`) in a view: their App Home
/// (`modal` false) or a modal needful opened for them (`modal` true).
pub fn block_actions_in_view(user: &str, modal: bool, action_id: &str, value: &str) -> Value {
    let view_id = format!("V0ACT{}", random_digits(6));
    let mut view = view_json(&view_id, if modal { "modal" } else { "home" });
    if modal {
        view["title"] = plain("needful setup");
        view["close"] = plain("Close");
    }
    json!({
        "type": "block_actions",
        "user": user_obj(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": new_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": null,
        "is_enterprise_install": false,
        "view": view,
        "actions": [{
            "action_id": action_id,
            "block_id": "actions",
            "text": plain("Edit"),
            "value": value,
            "type": "button",
            "action_ts": ts_now()
        }]
    })
}

/// `user` submitted the modal `callback_id`. `values` is `state.values`
/// (`{block_id: {action_id: {type, value | selected_option …}}}`); an input block is generated
/// for each entry.
pub fn view_submission(
    user: &str,
    callback_id: &str,
    private_metadata: &str,
    values: Value,
) -> Value {
    let mut blocks = Vec::new();
    if let Some(map) = values.as_object() {
        for (block_id, actions) in map {
            for (action_id, state) in actions.as_object().into_iter().flatten() {
                let kind = state
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("plain_text_input");
                blocks.push(json!({
                    "type": "input",
                    "block_id": block_id,
                    "optional": true,
                    "label": plain(block_id),
                    "element": {"type": kind, "action_id": action_id}
                }));
            }
        }
    }
    let view_id = format!("V0SUB{}", random_digits(6));
    let mut view = view_json(&view_id, "modal");
    for (key, value) in [
        ("blocks", json!(blocks)),
        ("private_metadata", json!(private_metadata)),
        ("callback_id", json!(callback_id)),
        ("state", json!({"values": values})),
        ("title", plain("Needful")),
        ("close", plain("Cancel")),
        ("submit", plain("Submit")),
    ] {
        view[key] = value;
    }
    json!({
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": user_obj(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": false,
        "enterprise": null
    })
}

/// Slash-command fields in the order Slack sends them (README section 4).
pub fn command_fields(
    command: &str,
    user: &str,
    channel: &str,
    text: &str,
) -> Vec<(String, String)> {
    [
        ("token", VERIFICATION_TOKEN.to_string()),
        ("team_id", TEAM_ID.to_string()),
        ("team_domain", TEAM_DOMAIN.to_string()),
        ("channel_id", channel.to_string()),
        ("channel_name", channel_name(channel)),
        ("user_id", user.to_string()),
        ("user_name", user_name(user)),
        ("command", command.to_string()),
        ("text", text.to_string()),
        ("api_app_id", APP_ID.to_string()),
        ("is_enterprise_install", "false".to_string()),
        ("response_url", hooks_url("commands")),
        ("trigger_id", new_trigger_id()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The same fields as a JSON object of strings, the Socket Mode `slash_commands` payload.
pub fn command_json(command: &str, user: &str, channel: &str, text: &str) -> Value {
    fields_to_json(command_fields(command, user, channel, text))
}

pub(crate) fn fields_to_json(fields: Vec<(String, String)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_fixture_context() {
        // From event_reaction_added.json.
        let ctx =
            r#"{"et":"reaction_added","tid":"T0TEAM0001","aid":"A0NEEDFUL1","cid":"C0SUPPORT1"}"#;
        assert_eq!(
            format!("4-{}", base64url(ctx.as_bytes())),
            "4-eyJldCI6InJlYWN0aW9uX2FkZGVkIiwidGlkIjoiVDBURUFNMDAwMSIsImFpZCI6IkEwTkVFREZVTDEiLCJjaWQiOiJDMFNVUFBPUlQxIn0"
        );
    }

    #[test]
    fn mentions_become_rich_text_elements() {
        let els = rich_text_elements("hi <@U0ALICE001|alice> in <#C0SUPPORT1|support> <!here>");
        assert_eq!(els[1], json!({"type": "user", "user_id": "U0ALICE001"}));
        assert_eq!(
            els[3],
            json!({"type": "channel", "channel_id": "C0SUPPORT1"})
        );
        assert_eq!(
            els.last(),
            Some(&json!({"type": "text", "text": "<!here>"}))
        );
    }
}
