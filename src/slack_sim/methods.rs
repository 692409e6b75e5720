//! Web API method implementations. Each takes the parsed arguments and the locked workspace and
//! returns Slack's answer; errors use Slack's own error names.

use std::time::Instant;

use chrono::{Offset, TimeZone, Utc};
use chrono_tz::OffsetName;
use serde_json::{Map, Value, json};

use super::faults::NATURAL_RETRY_AFTER_SECS;
use super::types::{SimConfig, SimMessage, SimUser};
use super::util::{is_slack_ts, new_ticket};
use super::world::{TRIGGER_LIFETIME, World, dm_channel_id};
use super::{APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, TEAM_NAME};
use crate::domain::block_kit;

/// Slack rejects messages longer than this (`msg_too_long`).
const MAX_TEXT_CHARS: usize = block_kit::MESSAGE_TEXT_CHARS;
/// A fixed `updated` stamp so responses are stable across runs.
const UPDATED: i64 = 1_732_000_000;

/// What the HTTP layer sends back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    /// Plain-text body instead of JSON (bare HTTP failures).
    pub text: Option<String>,
}

impl Reply {
    pub fn ok(fields: Value) -> Reply {
        let mut body = Map::new();
        body.insert("ok".into(), Value::Bool(true));
        if let Value::Object(m) = fields {
            body.extend(m);
        }
        Reply {
            status: 200,
            body: Value::Object(body),
            retry_after: None,
            text: None,
        }
    }

    pub fn err(error: &str) -> Reply {
        Reply {
            status: 200,
            body: json!({"ok": false, "error": error}),
            retry_after: None,
            text: None,
        }
    }

    pub fn rate_limited(retry_after_secs: u64) -> Reply {
        Reply {
            status: 429,
            body: json!({"ok": false, "error": "ratelimited"}),
            retry_after: Some(retry_after_secs),
            text: None,
        }
    }

    pub fn bare_status(status: u16) -> Reply {
        let reason = axum::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Reply {
            status,
            body: Value::Null,
            retry_after: None,
            text: Some(format!("{status} {reason}")),
        }
    }
}

/// Typed access to merged request arguments (form values are strings, JSON values are typed).
pub(crate) struct Args<'a>(pub &'a Map<String, Value>);

impl Args<'_> {
    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }
}

pub(crate) struct Ctx<'a> {
    pub config: &'a SimConfig,
    pub port: u16,
    pub now: Instant,
}

pub(crate) fn handle(
    w: &mut World,
    ctx: &Ctx,
    method: &str,
    args: &Args,
    token: Option<&str>,
) -> Reply {
    if let Some(error) = &w.revoked {
        return Reply::err(error);
    }
    if method == "apps.connections.open" {
        return connections_open(w, ctx, token);
    }
    let handler: fn(&mut World, &Ctx, &Args) -> Reply = match method {
        "auth.test" => auth_test,
        "bots.info" => bots_info,
        "chat.postMessage" => post_message,
        "chat.postEphemeral" => post_ephemeral,
        "chat.update" => update,
        "chat.delete" => delete,
        "chat.getPermalink" => permalink,
        "conversations.open" => conversations_open,
        "conversations.history" => conversations_history,
        "users.info" => users_info,
        "views.publish" => views_publish,
        "views.open" => views_open,
        "views.push" => views_push,
        "views.update" => views_update,
        "conversations.info" => conversations_info,
        "reactions.add" => reactions_add,
        _ => return Reply::err("unknown_method"),
    };
    if let Err(e) = check_token(ctx.config, token) {
        return Reply::err(e);
    }
    handler(w, ctx, args)
}

fn check_token(cfg: &SimConfig, token: Option<&str>) -> Result<(), &'static str> {
    match token {
        None | Some("") => Err("not_authed"),
        Some(t) if t == cfg.bot_token => Ok(()),
        Some(t) if t == cfg.app_token => Err("not_allowed_token_type"),
        Some(_) => Err("invalid_auth"),
    }
}

fn connections_open(w: &mut World, ctx: &Ctx, token: Option<&str>) -> Reply {
    match token {
        None | Some("") => return Reply::err("not_authed"),
        Some(t) if t == ctx.config.bot_token => return Reply::err("not_allowed_token_type"),
        Some(t) if t != ctx.config.app_token => return Reply::err("invalid_auth"),
        Some(_) => {}
    }
    let ticket = new_ticket();
    w.tickets.insert(ticket.clone());
    Reply::ok(json!({
        "url": format!("ws://127.0.0.1:{}/socket?ticket={ticket}&app_id={APP_ID}", ctx.port)
    }))
}

fn auth_test(_: &mut World, ctx: &Ctx, _: &Args) -> Reply {
    let mut body = json!({
        "url": format!("https://{TEAM_DOMAIN}.slack.com/"),
        "team": TEAM_NAME,
        "user": "needful",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": ctx.config.is_enterprise_install,
    });
    // Slack names the org only for workspaces in an Enterprise Grid.
    if let Some(enterprise) = &ctx.config.enterprise_id {
        body["enterprise_id"] = json!(enterprise);
    }
    Reply::ok(body)
}

/// `bots.info?bot=B…`: the bot's app id (what `auth.test` does not say).
fn bots_info(_: &mut World, _: &Ctx, args: &Args) -> Reply {
    match args.str("bot") {
        Some(bot) if bot == BOT_ID => Reply::ok(json!({
            "bot": {
                "id": BOT_ID,
                "deleted": false,
                "name": "needful",
                "updated": UPDATED,
                "app_id": APP_ID,
                "user_id": BOT_USER_ID,
                "icons": {"image_36": "https://a.slack-edge.com/needful_36.png"}
            }
        })),
        _ => Reply::err("bot_not_found"),
    }
}

/// Resolves the `channel` argument for a bot post: must exist and have the bot in it.
fn postable_channel(w: &World, args: &Args) -> Result<String, &'static str> {
    let raw = args.str("channel").ok_or("channel_not_found")?;
    let channel = w.resolve_channel(&raw)?;
    if !w.bot_can_post(&channel) {
        return Err("not_in_channel");
    }
    Ok(channel)
}

/// Validated message content: (text, blocks). `require` demands text, blocks or attachments.
fn content(args: &Args, require: bool) -> Result<(Option<String>, Option<Value>), &'static str> {
    let text = args.str("text");
    let blocks = match args.value("blocks") {
        None => None,
        // Like Slack, one field over its limit refuses the whole message.
        Some(b @ Value::Array(_)) => {
            if block_kit::check_message_blocks(b).is_err() {
                return Err("invalid_blocks");
            }
            Some(b.clone())
        }
        Some(_) => return Err("invalid_blocks"),
    };
    if require && text.is_none() && blocks.is_none() && args.value("attachments").is_none() {
        return Err("no_text");
    }
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
    {
        return Err("msg_too_long");
    }
    Ok((text, blocks))
}

fn bot_profile() -> Value {
    json!({
        "id": BOT_ID,
        "deleted": false,
        "name": "needful",
        "updated": UPDATED,
        "app_id": APP_ID,
        "icons": {
            "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
            "image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
            "image_72": "https://a.slack-edge.com/80588/img/plugins/app/service_72.png"
        },
        "team_id": TEAM_ID
    })
}

/// The message object Slack echoes back for a bot post.
fn message_json(m: &SimMessage) -> Value {
    let mut v = json!({
        "user": m.user,
        "type": "message",
        "ts": m.ts,
        "text": m.text.clone().unwrap_or_default(),
        "team": TEAM_ID,
    });
    if m.user == BOT_USER_ID {
        v["bot_id"] = json!(BOT_ID);
        v["app_id"] = json!(APP_ID);
        v["bot_profile"] = bot_profile();
    }
    if let Some(b) = &m.blocks {
        v["blocks"] = b.clone();
    }
    if let Some(t) = &m.thread_ts {
        v["thread_ts"] = json!(t);
    }
    v
}

fn post_message(w: &mut World, ctx: &Ctx, args: &Args) -> Reply {
    let channel = match postable_channel(w, args) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    if !w
        .faults
        .allow_natural("chat.postMessage", &channel, ctx.now)
    {
        return Reply::rate_limited(NATURAL_RETRY_AFTER_SECS);
    }
    let (text, blocks) = match content(args, true) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    let thread_ts = args.str("thread_ts");
    if thread_ts.as_deref().is_some_and(|t| !is_slack_ts(t)) {
        return Reply::err("invalid_thread_ts");
    }
    let msg = SimMessage {
        channel: channel.clone(),
        ts: w.next_ts(),
        text,
        blocks,
        thread_ts,
        user: BOT_USER_ID.to_string(),
        edits: 0,
        deleted: false,
        reactions: Vec::new(),
    };
    let mut message = message_json(&msg);
    if let Some(parent) = msg
        .thread_ts
        .as_deref()
        .and_then(|t| w.find_message(&channel, t))
    {
        message["parent_user_id"] = json!(parent.user);
    }
    let ts = msg.ts.clone();
    w.store(msg);
    Reply::ok(json!({"channel": channel, "ts": ts, "message": message}))
}

fn post_ephemeral(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    if let Err(e) = postable_channel(w, args) {
        return Reply::err(e);
    }
    let Some(user) = args.str("user") else {
        return Reply::err("user_not_found");
    };
    match w.users.get(&user) {
        None => return Reply::err("user_not_found"),
        Some(u) if u.deleted => return Reply::err("user_not_in_channel"),
        Some(_) => {}
    }
    if let Err(e) = content(args, true) {
        return Reply::err(e);
    }
    // Ephemeral messages are not part of channel history, so they are not stored.
    Reply::ok(json!({"message_ts": w.next_ts()}))
}

/// Finds the bot's own live message for update/delete.
fn own_message<'w>(
    w: &'w mut World,
    args: &Args,
    not_own: &'static str,
) -> Result<&'w mut SimMessage, &'static str> {
    let raw = args.str("channel").ok_or("channel_not_found")?;
    let channel = w.resolve_channel(&raw)?;
    let ts = args.str("ts").ok_or("message_not_found")?;
    let msg = w.find_message(&channel, &ts).ok_or("message_not_found")?;
    if msg.user != BOT_USER_ID {
        return Err(not_own);
    }
    Ok(msg)
}

fn update(w: &mut World, ctx: &Ctx, args: &Args) -> Reply {
    // Check existence first so a missing message is not counted against the channel's limit.
    let channel = match own_message(w, args, "cant_update_message") {
        Ok(m) => m.channel.clone(),
        Err(e) => return Reply::err(e),
    };
    if !w.faults.allow_natural("chat.update", &channel, ctx.now) {
        return Reply::rate_limited(NATURAL_RETRY_AFTER_SECS);
    }
    let (text, blocks) = match content(args, true) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    let Ok(msg) = own_message(w, args, "cant_update_message") else {
        return Reply::err("message_not_found");
    };
    // Like Slack, omitted fields keep their previous value.
    if text.is_some() {
        msg.text = text;
    }
    if blocks.is_some() {
        msg.blocks = blocks;
    }
    msg.edits += 1;
    let mut message = message_json(msg);
    if let Some(obj) = message.as_object_mut() {
        obj.remove("ts");
        obj.remove("type");
        obj.remove("thread_ts");
        obj.remove("parent_user_id");
    }
    let mut out = json!({
        "channel": msg.channel,
        "ts": msg.ts,
        "text": msg.text.clone().unwrap_or_default(),
        "message": message,
    });
    if let Some(t) = &msg.thread_ts {
        out["thread_ts"] = json!(t);
    }
    Reply::ok(out)
}

fn delete(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    match own_message(w, args, "cant_delete_message") {
        Ok(msg) => {
            msg.deleted = true;
            Reply::ok(json!({"channel": msg.channel, "ts": msg.ts}))
        }
        Err(e) => Reply::err(e),
    }
}

/// Lenient about existence (tests often link to messages the simulator never saw), strict
/// about the channel and the ts format.
/// The newest messages at or before `latest` (only top-level ones, as Slack does).
fn conversations_history(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(raw) = args.str("channel") else {
        return Reply::err("channel_not_found");
    };
    let channel = match w.resolve_channel(&raw) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    if !w.bot_can_post(&channel) {
        return Reply::err("not_in_channel");
    }
    let latest = args.str("latest");
    let inclusive =
        args.bool("inclusive").unwrap_or(false) || args.str("inclusive").as_deref() == Some("true");
    let limit = args
        .str("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let ts_key = |ts: &str| ts.parse::<f64>().unwrap_or(0.0);
    let mut found: Vec<&crate::slack_sim::SimMessage> = w
        .messages
        .get(&channel)
        .map(|ms| {
            ms.iter()
                .filter(|m| !m.deleted)
                .filter(|m| m.thread_ts.as_ref().is_none_or(|t| *t == m.ts))
                .filter(|m| match &latest {
                    None => true,
                    Some(l) if inclusive => ts_key(&m.ts) <= ts_key(l),
                    Some(l) => ts_key(&m.ts) < ts_key(l),
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by(|a, b| ts_key(&b.ts).total_cmp(&ts_key(&a.ts)));
    let messages: Vec<Value> = found
        .into_iter()
        .take(limit)
        .map(|m| json!({"type": "message", "user": m.user, "text": m.text.clone().unwrap_or_default(), "ts": m.ts}))
        .collect();
    Reply::ok(json!({"messages": messages, "has_more": false, "pin_count": 0}))
}

fn permalink(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(raw) = args.str("channel") else {
        return Reply::err("channel_not_found");
    };
    let channel = match w.resolve_channel(&raw) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    let Some(ts) = args.str("message_ts").filter(|t| is_slack_ts(t)) else {
        return Reply::err("message_not_found");
    };
    let stored = w
        .messages
        .get(&channel)
        .and_then(|ms| ms.iter().find(|m| m.ts == ts));
    if stored.is_some_and(|m| m.deleted) {
        return Reply::err("message_not_found");
    }
    let mut link = format!(
        "https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    );
    if let Some(parent) = stored
        .and_then(|m| m.thread_ts.as_ref())
        .filter(|p| **p != ts)
    {
        link.push_str(&format!("?thread_ts={parent}&cid={channel}"));
    }
    Reply::ok(json!({"channel": channel, "permalink": link}))
}

fn user_list(args: &Args) -> Vec<String> {
    match args.value("users") {
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn conversations_open(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let users = user_list(args);
    let channel = if let Some(c) = args.str("channel") {
        if !w.dm_owner.contains_key(&c) {
            return Reply::err("channel_not_found");
        }
        c
    } else {
        match users.as_slice() {
            [] => return Reply::err("users_list_not_supplied"),
            [u] => {
                let Some(user) = w.users.get(u) else {
                    return Reply::err("user_not_found");
                };
                if user.deleted {
                    return Reply::err("user_disabled");
                }
                if user.is_bot && user.id != BOT_USER_ID {
                    return Reply::err("cannot_dm_bot");
                }
                dm_channel_id(u)
            }
            // Group DMs are out of scope for this bot.
            _ => return Reply::err("not_supported"),
        }
    };
    let already_open = !w.opened_dms.insert(channel.clone());
    let owner = w.dm_owner.get(&channel).cloned().unwrap_or_default();
    let info = if args.bool("return_im") == Some(true) {
        json!({
            "id": channel,
            "created": UPDATED,
            "is_im": true,
            "is_org_shared": false,
            "user": owner,
            "is_user_deleted": false,
            "priority": 0,
        })
    } else {
        json!({"id": channel})
    };
    Reply::ok(json!({"no_op": already_open, "already_open": already_open, "channel": info}))
}

pub(crate) fn user_json(u: &SimUser) -> Value {
    let tz: Option<chrono_tz::Tz> = u.tz.parse().ok();
    let (offset, label) = match tz {
        Some(tz) => {
            let off = tz.offset_from_utc_datetime(&Utc::now().naive_utc());
            (
                off.fix().local_minus_utc(),
                off.abbreviation().unwrap_or(u.tz.as_str()).to_string(),
            )
        }
        None => (0, "Coordinated Universal Time".to_string()),
    };
    let mut profile = json!({
        "real_name": u.real_name,
        "real_name_normalized": u.real_name,
        "display_name": u.name,
        "display_name_normalized": u.name,
        "avatar_hash": "g0a1b2c3d4e5",
        "status_text": "",
        "status_emoji": "",
        "image_48": format!("https://avatars.slack-edge.com/{}_48.png", u.id),
        "image_72": format!("https://avatars.slack-edge.com/{}_72.png", u.id),
        "team": TEAM_ID,
    });
    if u.id == BOT_USER_ID {
        profile["bot_id"] = json!(BOT_ID);
        profile["api_app_id"] = json!(APP_ID);
        profile["always_active"] = json!(true);
    }
    json!({
        "id": u.id,
        "team_id": TEAM_ID,
        "name": u.name,
        "deleted": u.deleted,
        "color": "9f69e7",
        "real_name": u.real_name,
        "tz": u.tz,
        "tz_label": label,
        "tz_offset": offset,
        "profile": profile,
        "is_admin": u.is_admin,
        "is_owner": u.is_owner,
        "is_primary_owner": u.is_owner,
        "is_restricted": false,
        "is_ultra_restricted": false,
        "is_bot": u.is_bot,
        "is_app_user": false,
        "updated": UPDATED,
    })
}

fn users_info(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    match args.str("user").and_then(|id| w.users.get(&id)) {
        Some(u) => Reply::ok(json!({"user": user_json(u)})),
        None => Reply::err("user_not_found"),
    }
}

/// A view argument: a JSON object of the expected `type`, inside Block Kit's limits.
fn view_arg(args: &Args, kind: &str) -> Result<Map<String, Value>, &'static str> {
    let Some(Value::Object(view)) = args.value("view") else {
        return Err("invalid_arguments");
    };
    if view.get("type").and_then(Value::as_str) != Some(kind) {
        return Err("invalid_arguments");
    }
    let whole = Value::Object(view.clone());
    match block_kit::check_view(&whole) {
        Ok(()) => Ok(view.clone()),
        Err(_) => Err("invalid_arguments"),
    }
}

/// The stateful view Slack answers with: the submitted view plus the server-side fields.
fn stateful_view(mut view: Map<String, Value>, id: &str) -> Value {
    let hash = format!(
        "{}.{}",
        Utc::now().timestamp(),
        &id[id.len().saturating_sub(8)..]
    );
    for (k, v) in [
        ("id", json!(id)),
        ("team_id", json!(TEAM_ID)),
        ("state", json!({"values": {}})),
        ("hash", json!(hash)),
        ("previous_view_id", Value::Null),
        ("root_view_id", json!(id)),
        ("app_id", json!(APP_ID)),
        ("app_installed_team_id", json!(TEAM_ID)),
        ("bot_id", json!(BOT_ID)),
    ] {
        view.insert(k.to_string(), v);
    }
    for k in ["private_metadata", "callback_id", "external_id"] {
        view.entry(k).or_insert_with(|| json!(""));
    }
    Value::Object(view)
}

fn views_publish(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(user) = args.str("user_id") else {
        return Reply::err("invalid_arguments");
    };
    let view = match view_arg(args, "home") {
        Ok(v) => v,
        Err(e) => return Reply::err(e),
    };
    if !w.users.contains_key(&user) {
        return Reply::err("user_not_found");
    }
    let id = match w.home_view_ids.get(&user) {
        Some(id) => id.clone(),
        None => {
            let id = w.next_view_id();
            w.home_view_ids.insert(user.clone(), id.clone());
            id
        }
    };
    w.home_views.insert(user, Value::Object(view.clone()));
    Reply::ok(json!({"view": stateful_view(view, &id)}))
}

/// Trigger ids the simulator handed out expire after 3 s and work once; ids it never issued
/// (hand-made in tests) are accepted.
fn views_open(w: &mut World, ctx: &Ctx, args: &Args) -> Reply {
    let Some(trigger) = args.str("trigger_id") else {
        return Reply::err("invalid_arguments");
    };
    let view = match view_arg(args, "modal") {
        Ok(v) => v,
        Err(e) => return Reply::err(e),
    };
    if let Some(t) = w.triggers.get_mut(&trigger) {
        if ctx.now.duration_since(t.issued) > TRIGGER_LIFETIME {
            return Reply::err("expired_trigger_id");
        }
        if t.used {
            return Reply::err("exchanged_trigger_id");
        }
        t.used = true;
    }
    let id = w.next_view_id();
    Reply::ok(json!({"view": stateful_view(view, &id)}))
}

/// views.push: like views.open (the same trigger rules), on top of the
/// modal the trigger came from.
fn views_push(w: &mut World, ctx: &Ctx, args: &Args) -> Reply {
    let mut reply = views_open(w, ctx, args);
    if reply.body["ok"] == json!(true) {
        reply.body["view"]["previous_view_id"] = json!("V0PREVIOUS");
    }
    reply
}

/// views.update of a view this simulator opened, by `view_id` (Slack also
/// takes an `external_id`; needful does not use them).
fn views_update(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(id) = args.str("view_id") else {
        return Reply::err("invalid_arguments");
    };
    if !w.view_exists(&id) {
        return Reply::err("not_found");
    }
    match view_arg(args, "modal") {
        Ok(view) => Reply::ok(json!({"view": stateful_view(view, &id)})),
        Err(e) => Reply::err(e),
    }
}

/// conversations.info: a channel's name and whether the bot is in it.
fn conversations_info(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(id) = args.str("channel") else {
        return Reply::err("channel_not_found");
    };
    if let Some(c) = w.channels.get(&id) {
        return Reply::ok(json!({"channel": {
            "id": id,
            "name": c.name,
            "is_channel": true,
            "is_group": false,
            "is_im": false,
            "is_private": false,
            "is_archived": false,
            "is_general": false,
            "is_member": c.bot_is_member,
            "created": 1_700_000_000,
            "creator": "U0MANAGER1",
        }}));
    }
    match w.dm_owner.get(&id) {
        Some(user) => Reply::ok(json!({"channel": {
            "id": id, "is_im": true, "is_channel": false, "is_private": true,
            "user": user, "is_member": true, "created": 1_700_000_000,
        }})),
        None => Reply::err("channel_not_found"),
    }
}

fn valid_reaction_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+-'".contains(c))
}

fn reactions_add(w: &mut World, _: &Ctx, args: &Args) -> Reply {
    let Some(raw) = args.str("name") else {
        return Reply::err("invalid_name");
    };
    let name = raw.trim_matches(':').to_string();
    if !valid_reaction_name(&name) {
        return Reply::err("invalid_name");
    }
    let (Some(raw_channel), Some(ts)) = (args.str("channel"), args.str("timestamp")) else {
        return Reply::err("no_item_specified");
    };
    let channel = match w.resolve_channel(&raw_channel) {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    let Some(msg) = w.find_message(&channel, &ts) else {
        return Reply::err("message_not_found");
    };
    if msg.reactions.contains(&name) {
        return Reply::err("already_reacted");
    }
    msg.reactions.push(name);
    Reply::ok(json!({}))
}
