//! Slack's typed payloads → what people did, in the team's terms
//! ([`crate::domain::input`]). The features never see Slack's wire types.

use slack_morphism::prelude::*;

use crate::domain::{
    ids::{ChannelId, UserId, unescape_text},
    input::{
        ButtonPress, Event, FormSubmission, Interaction, MessageInput, ReactionInput, SlashCommand,
    },
};

/// A slash command; None when Slack's user or channel id does not parse.
pub fn command(c: &SlackCommandEvent) -> Option<SlashCommand> {
    Some(SlashCommand {
        user: UserId::parse(c.user_id.as_ref()).ok()?,
        channel: ChannelId::parse(c.channel_id.as_ref()).ok()?,
        command: c.command.to_string(),
        text: typed(c.text.as_deref().unwrap_or_default().trim()),
        trigger_id: c.trigger_id.to_string(),
    })
}

/// What an Events API delivery means to needful; None for what it ignores.
pub fn event(body: &SlackEventCallbackBody) -> Option<Event> {
    match body {
        SlackEventCallbackBody::ReactionAdded(e) => Some(Event::Reaction(reaction(
            true,
            &e.user,
            &e.reaction,
            e.item_user.as_ref(),
            &e.item,
            &e.event_ts,
        ))),
        SlackEventCallbackBody::ReactionRemoved(e) => Some(Event::Reaction(reaction(
            false,
            &e.user,
            &e.reaction,
            e.item_user.as_ref(),
            &e.item,
            &e.event_ts,
        ))),
        SlackEventCallbackBody::AppHomeOpened(e) if e.tab.as_deref() != Some("messages") => {
            UserId::parse(e.user.as_ref()).ok().map(Event::HomeOpened)
        }
        SlackEventCallbackBody::Message(m) if is_human_message(m) => message(m).map(Event::Message),
        SlackEventCallbackBody::Message(m) => bot_author(m).map(Event::BotPosted),
        // Other profile changes (a new title, a status) are not needful's.
        SlackEventCallbackBody::UserChange(e) if e.user.deleted == Some(true) => {
            UserId::parse(e.user.id.as_ref())
                .ok()
                .map(Event::UserDeactivated)
        }
        _ => None,
    }
}

/// A person's message (not a bot, not an edit or a join notice).
fn is_human_message(m: &SlackMessageEvent) -> bool {
    m.subtype.is_none() && m.sender.bot_id.is_none() && m.sender.user.is_some()
}

/// The user id of a bot that posted `m`, when the message names one.
fn bot_author(m: &SlackMessageEvent) -> Option<UserId> {
    m.sender.bot_id.as_ref()?;
    UserId::parse(m.sender.user.as_ref()?.as_ref()).ok()
}

fn message(m: &SlackMessageEvent) -> Option<MessageInput> {
    Some(MessageInput {
        user: UserId::parse(m.sender.user.as_ref()?.as_ref()).ok()?,
        channel: ChannelId::parse(m.origin.channel.as_ref()?.as_ref()).ok()?,
        ts: m.origin.ts.to_string(),
        thread_ts: m.origin.thread_ts.as_ref().map(|t| t.to_string()),
        text: typed(&unescape_text(
            m.content
                .as_ref()
                .and_then(|c| c.text.as_deref())
                .unwrap_or_default(),
        )),
    })
}

/// Slack's added and removed events carry the same fields.
fn reaction(
    added: bool,
    reactor: &SlackUserId,
    reaction: &SlackReactionName,
    author: Option<&SlackUserId>,
    item: &SlackReactionsItem,
    event_ts: &SlackTs,
) -> ReactionInput {
    let message = match item {
        SlackReactionsItem::Message(m) => m
            .origin
            .channel
            .as_ref()
            .map(|c| (c.to_string(), m.origin.ts.to_string())),
        SlackReactionsItem::File(_) => None,
    };
    ReactionInput {
        added,
        reactor: reactor.to_string(),
        reaction: reaction.to_string(),
        author: author.map(|u| u.to_string()),
        message,
        event_ts: event_ts.to_string(),
    }
}

/// A button press or a modal submitted; None for other kinds and for a
/// payload without a person to answer.
pub fn interaction(event: &SlackInteractionEvent) -> Option<Interaction> {
    match event {
        SlackInteractionEvent::BlockActions(e) => {
            let user = UserId::parse(e.user.as_ref()?.id.as_ref()).ok()?;
            let (channel, message_ts) = match &e.container {
                SlackInteractionActionContainer::Message(m) => (
                    m.channel_id
                        .as_ref()
                        .and_then(|c| ChannelId::parse(c.as_ref()).ok()),
                    Some(m.message_ts.to_string()),
                ),
                _ => (None, None),
            };
            let modal = match (&e.view, &e.container) {
                (Some(SlackView::Modal(_)), SlackInteractionActionContainer::View(container)) => {
                    Some(container.view_id.to_string())
                }
                _ => None,
            };
            let presses = e
                .actions
                .iter()
                .flatten()
                .map(|action| ButtonPress {
                    user: user.clone(),
                    channel: channel.clone(),
                    message_ts: message_ts.clone(),
                    action_id: action.action_id.to_string(),
                    value: typed(action.value.as_deref().unwrap_or_default()),
                    trigger_id: e.trigger_id.to_string(),
                    modal: modal.clone(),
                })
                .collect();
            Some(Interaction::Buttons(presses))
        }
        SlackInteractionEvent::ViewSubmission(e) => {
            let user = UserId::parse(e.user.id.as_ref()).ok()?;
            let view = serde_json::to_value(&e.view.view).unwrap_or_default();
            let values = e
                .view
                .state_params
                .state
                .iter()
                .flat_map(|state| &state.values)
                .map(|(block, actions)| {
                    let typed = actions
                        .iter()
                        .map(|(action, v)| (action.to_string(), picks(v)))
                        .collect();
                    (block.to_string(), typed)
                })
                .collect();
            let states: Vec<&SlackViewStateValue> = e
                .view
                .state_params
                .state
                .iter()
                .flat_map(|state| state.values.values())
                .flat_map(|actions| actions.values())
                .collect();
            let channels = states
                .iter()
                .flat_map(|v| {
                    let one = v.selected_conversation.iter().map(|c| c.to_string());
                    let channel = v.selected_channel.iter().map(|c| c.to_string());
                    let many = v.selected_conversations.iter().flatten();
                    one.chain(channel).chain(many.map(|c| c.to_string()))
                })
                .filter_map(|c| ChannelId::parse(&c).ok())
                .collect();
            let people = states
                .iter()
                .flat_map(|v| {
                    v.selected_user
                        .iter()
                        .chain(v.selected_users.iter().flatten())
                })
                .filter_map(|u| UserId::parse(u.as_ref()).ok())
                .collect();
            let previous_view = e
                .view
                .state_params
                .previous_view_id
                .as_ref()
                .map(|id| id.to_string())
                .filter(|id| !id.is_empty());
            Some(Interaction::Form(FormSubmission {
                user,
                previous_view,
                people,
                channels,
                callback_id: view["callback_id"].as_str().unwrap_or_default().to_string(),
                private_metadata: typed(view["private_metadata"].as_str().unwrap_or_default()),
                values,
            }))
        }
        _ => None,
    }
}

/// Text a person typed, as needful keeps it: without NUL characters, which
/// no one types and PostgreSQL's text cannot hold (a forged one would fail
/// the write instead of being answered).
fn typed(text: &str) -> String {
    text.replace('\0', "")
}

/// What an input holds: typed text, a picked date, time, person, channel
/// or option, or every pick of a multi-select or checkboxes. Empty when
/// nothing was given.
fn picks(v: &SlackViewStateValue) -> Vec<String> {
    let one = v
        .value
        .clone()
        .or_else(|| v.selected_date.clone())
        .or_else(|| v.selected_time.clone())
        .or_else(|| v.selected_option.as_ref().map(|o| o.value.clone()))
        .or_else(|| v.selected_user.as_ref().map(|u| u.to_string()))
        .or_else(|| v.selected_conversation.as_ref().map(|c| c.to_string()))
        .or_else(|| v.selected_channel.as_ref().map(|c| c.to_string()));
    if let Some(one) = one {
        return vec![typed(&one)];
    }
    let users = v.selected_users.iter().flatten().map(|u| u.to_string());
    let channels = v
        .selected_conversations
        .iter()
        .flatten()
        .map(|c| c.to_string());
    let options = v.selected_options.iter().flatten().map(|o| typed(&o.value));
    users.chain(channels).chain(options).collect()
}
