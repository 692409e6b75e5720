//! What people do on the page, delivered to the bot as Slack would: a
//! message (`message.channels`), a slash command, a reaction
//! (`reaction_added` / `reaction_removed`), a button (`block_actions`), a
//! modal submitted (`view_submission`). Each returns a sentence for the
//! person when it could not be done.

use serde_json::{Value, json};

use super::{Demo, Ephemeral, team};
use crate::slack_sim::{dm_channel_id, payloads};

/// The most a person may type in one message or command (Slack's is 40,000;
/// a demo needs far less).
const MOST_TEXT: usize = 4_000;

type Outcome<T = ()> = Result<T, String>;

fn event_id() -> String {
    format!("Ev0DEMO{:012}", rand::random::<u64>() % 1_000_000_000_000)
}

fn trigger_id() -> String {
    format!(
        "{}.{}.{:032x}",
        rand::random::<u32>(),
        rand::random::<u32>(),
        rand::random::<u128>()
    )
}

/// `person` is someone in the sample team.
pub fn check_person(person: &str) -> Outcome {
    match team::person(person) {
        Some(_) => Ok(()),
        None => Err("Choose who you are from the list first.".to_string()),
    }
}

/// Channels `person` can write in: the team's, and their DM with needful.
fn check_channel(person: &str, channel: &str) -> Outcome {
    let public = team::CHANNELS.iter().any(|(id, _, _)| *id == channel);
    if public || channel == dm_channel_id(person) {
        Ok(())
    } else {
        Err(
            "That channel is not in this workspace; pick one from the list on the left."
                .to_string(),
        )
    }
}

/// What a person typed, as Slack sends it: `&`, `<` and `>` escaped, and
/// `@alice` / `#support` turned into mentions, as Slack's composer does
/// when one is picked.
pub fn slack_text(typed: &str) -> String {
    let escaped = typed
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(i) = rest.find(['@', '#']) {
        out.push_str(&rest[..i]);
        let sigil = &rest[i..i + 1];
        let word: String = rest[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let starts_word = out.is_empty() || out.ends_with(char::is_whitespace);
        let name = word.to_lowercase();
        let mention = match sigil {
            "@" => team::PEOPLE
                .iter()
                .find(|p| p.handle == name)
                .map(|p| format!("<@{}|{}>", p.id, p.handle)),
            _ => team::CHANNELS
                .iter()
                .find(|(_, n, _)| *n == name)
                .map(|(id, n, _)| format!("<#{id}|{n}>")),
        };
        match mention {
            Some(m) if starts_word => {
                out.push_str(&m);
                rest = &rest[i + 1 + word.len()..];
            }
            _ => {
                out.push_str(sigil);
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A message, or a slash command when it starts with `/`.
pub async fn post(
    demo: &Demo,
    person: &str,
    channel: &str,
    typed: &str,
    thread_ts: Option<&str>,
) -> Outcome {
    check_person(person)?;
    check_channel(person, channel)?;
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Type something first.".to_string());
    }
    if typed.chars().count() > MOST_TEXT {
        return Err(format!(
            "That is too long for the demo; keep it under {MOST_TEXT} characters."
        ));
    }
    if typed.starts_with('/') && thread_ts.is_none() {
        return command(demo, person, channel, typed).await;
    }
    let text = slack_text(typed);
    let payload = demo
        .sim
        .post_as_user_event(&event_id(), channel, person, &text, thread_ts);
    let sent = demo.sender.event(&payload).await;
    demo.changed();
    answered(sent.status().as_u16())
}

fn answered(status: u16) -> Outcome {
    match status {
        200 => Ok(()),
        other => Err(format!("needful answered {other}; try again in a moment.")),
    }
}

async fn command(demo: &Demo, person: &str, channel: &str, typed: &str) -> Outcome {
    let (name, text) = typed.split_once(char::is_whitespace).unwrap_or((typed, ""));
    if !crate::registry::commands().any(|c| c.name == name) {
        return Err(format!(
            "{name} is not a command here. Try /needful help, /kudos, /trophy, /checkin, /understaffed or /roles."
        ));
    }
    let trigger = trigger_id();
    demo.trigger_of(&trigger, person);
    let text = slack_text(text.trim());
    let resp = demo
        .sender
        .command_with(name, person, channel, &text, &[("trigger_id", &trigger)])
        .await;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or_default();
    answered(status)?;
    let reply = body["text"].as_str().unwrap_or_default().to_string();
    let blocks = body.get("blocks").cloned().filter(|b| !b.is_null());
    if reply.is_empty() && blocks.is_none() {
        return Ok(());
    }
    if body["response_type"] == "in_channel" {
        demo.sim
            .post_with_blocks(channel, crate::slack_sim::BOT_USER_ID, &reply, blocks);
    } else {
        let ts = demo.sim.next_ts();
        demo.seen().ephemerals.push(Ephemeral {
            user: person.to_string(),
            channel: channel.to_string(),
            ts,
            text: reply,
            blocks,
        });
    }
    demo.changed();
    Ok(())
}

/// The App Home tab opened.
pub async fn open_home(demo: &Demo, person: &str) -> Outcome {
    check_person(person)?;
    let sent = demo
        .sender
        .event(&payloads::app_home_opened(&event_id(), person))
        .await;
    answered(sent.status().as_u16())
}

/// A reaction added or taken away.
pub async fn react(
    demo: &Demo,
    person: &str,
    channel: &str,
    ts: &str,
    name: &str,
    add: bool,
) -> Outcome {
    check_person(person)?;
    check_channel(person, channel)?;
    let name = name.trim_matches(':');
    if name.is_empty() || name.len() > 100 || !name.chars().all(|c| c.is_ascii_graphic()) {
        return Err("That is not an emoji; pick one from the reaction picker.".to_string());
    }
    let author = demo
        .sim
        .messages(channel)
        .into_iter()
        .find(|m| m.ts == ts && !m.deleted)
        .map(|m| m.user)
        .ok_or("That message was deleted; react to another one.")?;
    {
        let mut seen = demo.seen();
        let reactions = seen
            .reactions
            .entry((channel.to_string(), ts.to_string()))
            .or_default();
        let mine = (name.to_string(), person.to_string());
        let had = reactions.contains(&mine);
        if had == add {
            return Ok(());
        }
        if add {
            reactions.push(mine);
        } else {
            reactions.retain(|r| r != &mine);
        }
    }
    let payload = if add {
        payloads::reaction_added(&event_id(), person, name, Some(&author), channel, ts)
    } else {
        payloads::reaction_removed(&event_id(), person, name, Some(&author), channel, ts)
    };
    let sent = demo.sender.event(&payload).await;
    demo.changed();
    answered(sent.status().as_u16())
}

/// Where a pressed button was.
pub enum Place<'a> {
    Message { channel: &'a str, ts: &'a str },
    Modal { view_id: &'a str },
    Home,
}

/// A button pressed.
pub async fn press(
    demo: &Demo,
    person: &str,
    place: Place<'_>,
    action: &str,
    value: &str,
) -> Outcome {
    check_person(person)?;
    let mut payload = match place {
        Place::Message { channel, ts } => {
            check_channel(person, channel)?;
            payloads::block_actions(person, channel, ts, action, value)
        }
        Place::Home => payloads::block_actions_in_view(person, false, action, value),
        Place::Modal { view_id } => {
            let open = demo
                .catch_up()
                .modals
                .get(person)
                .is_some_and(|stack| stack.iter().any(|(id, _)| id == view_id));
            if !open {
                return Err("That form was closed; open it again.".to_string());
            }
            let mut payload = payloads::block_actions_in_view(person, true, action, value);
            payload["container"]["view_id"] = json!(view_id);
            payload["view"]["id"] = json!(view_id);
            payload
        }
    };
    let trigger = trigger_id();
    payload["trigger_id"] = json!(trigger);
    demo.trigger_of(&trigger, person);
    let sent = demo.sender.interaction(&payload).await;
    demo.changed();
    answered(sent.status().as_u16())
}

/// A modal submitted: field errors to show, if the bot had any.
pub async fn submit(
    demo: &Demo,
    person: &str,
    view_id: &str,
    values: Value,
) -> Outcome<Option<Value>> {
    check_person(person)?;
    let (view, previous) = {
        let seen = demo.catch_up();
        let stack = seen.modals.get(person).cloned().unwrap_or_default();
        let at = stack
            .iter()
            .position(|(id, _)| id == view_id)
            .ok_or("That form was closed; open it again, and fill it in there.")?;
        let previous = at.checked_sub(1).map(|i| stack[i].0.clone());
        (stack[at].1.clone(), previous)
    };
    if !values.is_object() {
        return Err("The form could not be read; close it and open it again.".to_string());
    }
    let callback = view["callback_id"].as_str().unwrap_or_default();
    let metadata = view["private_metadata"].as_str().unwrap_or_default();
    let mut payload = payloads::view_submission(person, callback, metadata, values);
    payload["view"]["id"] = json!(view_id);
    payload["view"]["root_view_id"] = json!(view_id);
    if let Some(previous) = previous {
        payload["view"]["previous_view_id"] = json!(previous);
    }
    let trigger = trigger_id();
    payload["trigger_id"] = json!(trigger);
    demo.trigger_of(&trigger, person);
    let resp = demo.sender.interaction(&payload).await;
    let status = resp.status().as_u16();
    let body: Value = resp
        .text()
        .await
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    answered(status)?;
    let errors = {
        let mut seen = demo.catch_up();
        let stack = seen.modals.entry(person.to_string()).or_default();
        match body["response_action"].as_str() {
            Some("errors") => Some(body["errors"].clone()),
            Some("update") => {
                if let Some((id, shown)) = stack.iter_mut().find(|(id, _)| id == view_id) {
                    *shown = body["view"].clone();
                    shown["id"] = json!(id.clone());
                }
                None
            }
            Some("clear") => {
                stack.clear();
                None
            }
            _ => {
                stack.retain(|(id, _)| id != view_id);
                None
            }
        }
    };
    demo.changed();
    Ok(errors)
}

/// A modal closed (and those on top of it).
pub fn close(demo: &Demo, person: &str, view_id: &str) -> Outcome {
    check_person(person)?;
    {
        let mut seen = demo.catch_up();
        if let Some(stack) = seen.modals.get_mut(person)
            && let Some(at) = stack.iter().position(|(id, _)| id == view_id)
        {
            stack.truncate(at);
        }
    }
    demo.changed();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_becomes_slack_text() {
        assert_eq!(
            slack_text("thanks @bob & @nobody, see #support <b>"),
            "thanks <@U0BOB00001|bob> &amp; @nobody, see <#C0SUPPORT1|support> &lt;b&gt;"
        );
        assert_eq!(slack_text("mail me at me@bob.com"), "mail me at me@bob.com");
        assert_eq!(slack_text("@"), "@");
    }
}
