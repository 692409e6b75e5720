//! What one person sees, as the page asks for it (`GET /api/state`): the
//! people, the channels and their messages with reactions and threads, the
//! ephemeral messages meant for them, their App Home, their open modals,
//! the slash commands, and the clock.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Demo, team};
use crate::slack_sim::{BOT_USER_ID, SimMessage, dm_channel_id};

/// The most messages a channel shows (the newest).
const SHOWN: usize = 200;

pub fn state(demo: &Demo, me: &str) -> Value {
    let seen = demo.catch_up();
    let mut people: Vec<Value> = team::PEOPLE
        .iter()
        .map(|p| json!({"id": p.id, "handle": p.handle, "name": p.name, "title": p.title, "tz": p.tz, "is_bot": false}))
        .collect();
    people.push(
        json!({"id": BOT_USER_ID, "name": "needful", "title": "App", "tz": "UTC", "is_bot": true}),
    );

    let dm = dm_channel_id(me);
    let mut channels: Vec<Value> = team::CHANNELS
        .iter()
        .map(|(id, name, topic)| json!({"id": id, "name": name, "kind": "channel", "topic": topic}))
        .collect();
    channels.push(json!({"id": dm, "name": "needful", "kind": "dm"}));

    let mut messages = serde_json::Map::new();
    for channel in team::CHANNELS
        .iter()
        .map(|(id, _, _)| *id)
        .chain([dm.as_str()])
    {
        let all: Vec<SimMessage> = demo
            .sim
            .messages(channel)
            .into_iter()
            .filter(|m| !m.deleted)
            .collect();
        let reactions = |m: &SimMessage| {
            let by_people = seen
                .reactions
                .get(&(channel.to_string(), m.ts.clone()))
                .cloned()
                .unwrap_or_default();
            let by_bot = m
                .reactions
                .iter()
                .map(|r| (r.clone(), BOT_USER_ID.to_string()));
            let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
            for (name, user) in by_people.into_iter().chain(by_bot) {
                match grouped.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, users)) => users.push(user),
                    None => grouped.push((name, vec![user])),
                }
            }
            grouped
                .into_iter()
                .map(|(name, users)| {
                    json!({"name": name, "count": users.len(), "mine": users.iter().any(|u| u == me), "users": users})
                })
                .collect::<Vec<_>>()
        };
        let one = |m: &SimMessage| {
            json!({
                "ts": m.ts,
                "user": m.user,
                "text": m.text.clone().unwrap_or_default(),
                "blocks": m.blocks.clone().filter(|b| !b.is_null()),
                "edited": m.edits > 0,
                "reactions": reactions(m),
            })
        };
        let mut replies: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for m in &all {
            if let Some(parent) = m.thread_ts.as_deref().filter(|t| *t != m.ts) {
                replies.entry(parent).or_default().push(one(m));
            }
        }
        let top: Vec<Value> = all
            .iter()
            .filter(|m| m.thread_ts.as_deref().is_none_or(|t| t == m.ts))
            .map(|m| {
                let mut shown = one(m);
                shown["replies"] = json!(replies.remove(m.ts.as_str()).unwrap_or_default());
                shown
            })
            .collect();
        let newest = top.len().saturating_sub(SHOWN);
        messages.insert(channel.to_string(), Value::Array(top[newest..].to_vec()));
    }

    let ephemerals: Vec<Value> = seen
        .ephemerals
        .iter()
        .filter(|e| e.user == me)
        .map(|e| json!({"channel": e.channel, "ts": e.ts, "text": e.text, "blocks": e.blocks}))
        .collect();
    let modals: Vec<Value> = seen
        .modals
        .get(me)
        .map(|stack| stack.iter().map(|(_, view)| view.clone()).collect())
        .unwrap_or_default();
    drop(seen);

    let commands: Vec<Value> = crate::registry::commands()
        .map(|c| json!({"command": c.name, "usage": c.usage, "description": c.help}))
        .collect();
    let zone = team::person(me).map_or("Europe/Berlin", |p| p.tz);
    json!({
        "workspace": "Needful Support",
        "me": me,
        "people": people,
        "channels": channels,
        "messages": messages,
        "ephemerals": ephemerals,
        "home": demo.sim.home_view(me),
        "modals": modals,
        "commands": commands,
        "clock": {
            "now": demo.clock_now().to_rfc3339(),
            "zone": zone,
            "jumps": [
                {"id": "checkin", "label": "Next 09:00 check-in"},
                {"id": "window", "label": "Check-in window closes"},
                {"id": "monday", "label": "Monday's rotation"},
                {"id": "hour", "label": "+1 hour"},
                {"id": "day", "label": "+1 day"},
            ],
        },
    })
}
