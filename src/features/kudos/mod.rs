//! Kudos by reaction and by command: recorded as rows, celebrated in the kudos
//! channel (or sent privately), limited per day, and exported.

mod parse;
mod period;
mod render;
mod store;

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::{
    app::App,
    error::AppError,
    features::{self, BlockAction, Invocation, Reply, export},
    outbox::{self, MessageRef, Outgoing},
    slack::ids::UserId,
    storage::{Db, Tx},
};

use parse::{KudosCommand, Misuse};
use store::{Delivery, NewKudos, Source};

/// How many recent kudos the App Home lists.
const HOME_RECENT: i64 = 5;
/// How many people `/kudos leaderboard` shows (never the bottom).
const LEADERBOARD_TOP: i64 = 5;

/// A kudos reaction added or removed, as Slack reported it.
#[derive(Debug, Clone)]
pub struct ReactionInput {
    pub added: bool,
    pub reactor: String,
    pub reaction: String,
    pub author: Option<String>,
    /// (channel, ts) of the message; None for files.
    pub message: Option<(String, String)>,
    /// When Slack says it happened: orders an add and its removal that arrive
    /// out of order.
    pub event_ts: String,
}

impl From<&SlackReactionAddedEvent> for ReactionInput {
    fn from(e: &SlackReactionAddedEvent) -> Self {
        Self {
            added: true,
            reactor: e.user.to_string(),
            reaction: e.reaction.to_string(),
            author: e.item_user.as_ref().map(|u| u.to_string()),
            message: message_of(&e.item),
            event_ts: e.event_ts.to_string(),
        }
    }
}

impl From<&SlackReactionRemovedEvent> for ReactionInput {
    fn from(e: &SlackReactionRemovedEvent) -> Self {
        Self {
            added: false,
            reactor: e.user.to_string(),
            reaction: e.reaction.to_string(),
            author: e.item_user.as_ref().map(|u| u.to_string()),
            message: message_of(&e.item),
            event_ts: e.event_ts.to_string(),
        }
    }
}

fn message_of(item: &SlackReactionsItem) -> Option<(String, String)> {
    match item {
        SlackReactionsItem::Message(m) => Some((
            m.origin.channel.as_ref()?.to_string(),
            m.origin.ts.to_string(),
        )),
        SlackReactionsItem::File(_) => None,
    }
}

/// `1732600000.000200` → microseconds, so event times compare exactly.
fn ts_micros(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let frac: i64 = format!("{frac:0<6}").parse().ok()?;
    secs.checked_mul(1_000_000)?.checked_add(frac)
}

/// `+1::skin-tone-3` and `+1` are the same reaction.
fn base_emoji(reaction: &str) -> &str {
    reaction.split("::").next().unwrap_or(reaction)
}

/// The emoji needful uses when it talks about kudos.
fn emoji(app: &App) -> &str {
    app.settings
        .team
        .kudos
        .reactions
        .first()
        .map(String::as_str)
        .unwrap_or("trophy")
}

fn kudos_channel(app: &App) -> Option<String> {
    app.settings
        .team
        .kudos
        .channel
        .as_ref()
        .map(|c| c.to_string())
}

pub async fn on_reaction(app: &App, tx: &mut Tx<'_>, input: ReactionInput) -> Result<(), AppError> {
    let reaction = base_emoji(&input.reaction);
    if !app
        .settings
        .team
        .kudos
        .reactions
        .iter()
        .any(|r| r == reaction)
    {
        return Ok(());
    }
    // Files and messages nobody wrote (webhooks) have no one to thank.
    let (Some((channel, ts)), Some(author)) = (&input.message, &input.author) else {
        return Ok(());
    };
    let (Ok(giver), Ok(receiver)) = (UserId::parse(&input.reactor), UserId::parse(author)) else {
        return Ok(());
    };
    let Some(event_us) = ts_micros(&input.event_ts) else {
        tracing::warn!(event_ts = %input.event_ts, "a reaction without a readable event_ts; ignored");
        return Ok(());
    };
    // Bots react for their own reasons (needful acks check-ins with reactions).
    if features::people::is_bot(app, tx, &giver).await? {
        return Ok(());
    }
    let applied = store::record_reaction(
        tx,
        giver.as_str(),
        channel,
        ts,
        reaction,
        input.added,
        event_us,
    )
    .await?;
    if !applied {
        tracing::debug!("an older or repeated reaction event; the newer state stands");
        return Ok(());
    }
    let live = store::live_reaction_kudos(tx, giver.as_str(), channel, ts).await?;
    if input.added {
        // Another kudos emoji on the same message already thanked them.
        if live.is_none() {
            give_by_reaction(app, tx, &giver, &receiver, channel, ts).await?;
        }
    } else if let Some((kudos_id, delivery)) = live
        && !store::any_reaction_present(tx, giver.as_str(), channel, ts).await?
    {
        let now = app.clock.now();
        if store::retract(tx, kudos_id, now).await? {
            if delivery == "channel" {
                celebrate_message(app, tx, &giver, channel, ts, false).await?;
            }
            features::home::publish(app, tx, &receiver).await?;
        }
    }
    Ok(())
}

/// Why `giver` may not thank `receiver`, if they may not.
async fn refusal(
    app: &App,
    tx: &mut Tx<'_>,
    giver: &UserId,
    receiver: &UserId,
) -> Result<Option<String>, AppError> {
    if giver == receiver {
        return Ok(Some(render::refuse_self()));
    }
    if app.bot_user.as_ref() == Some(receiver) {
        return Ok(Some(render::refuse_needful(emoji(app))));
    }
    if features::people::is_bot(app, tx, receiver).await? {
        return Ok(Some(render::refuse_bot(receiver.as_str())));
    }
    Ok(None)
}

/// The daily allowance: how many `giver` used today and when it resets.
struct Allowance {
    limit: u32,
    used: u32,
    reset: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
}

impl Allowance {
    async fn of(app: &App, tx: &mut Tx<'_>, giver: &UserId) -> Result<Self, AppError> {
        let now = app.clock.now();
        let tz = period::zone_for(&app.settings.team, giver);
        let (start, reset) = period::day_bounds(now, tz);
        let used = store::given_between(tx, giver.as_str(), start, reset).await?;
        Ok(Self {
            limit: app.settings.team.kudos.daily_limit,
            used,
            reset,
            now,
            tz,
        })
    }

    fn allows(&self, n: u32) -> bool {
        self.used.saturating_add(n) <= self.limit
    }

    fn refusal(&self, asked: u32) -> String {
        render::refuse_limit(self.limit, self.used, asked, self.reset, self.now, self.tz)
    }

    fn left_after(&self, n: u32) -> u32 {
        self.limit.saturating_sub(self.used.saturating_add(n))
    }
}

/// How `receiver` hears of a kudos.
async fn delivery_for(app: &App, tx: &mut Tx<'_>, receiver: &UserId) -> Result<Delivery, AppError> {
    Ok(if store::is_private(tx, receiver.as_str()).await? {
        Delivery::Dm
    } else if kudos_channel(app).is_some() {
        Delivery::Channel
    } else {
        Delivery::None
    })
}

async fn give_by_reaction(
    app: &App,
    tx: &mut Tx<'_>,
    giver: &UserId,
    receiver: &UserId,
    channel: &str,
    ts: &str,
) -> Result<(), AppError> {
    if let Some(why) = refusal(app, tx, giver, receiver).await? {
        return tell_giver(tx, channel, giver, why).await;
    }
    let allowance = Allowance::of(app, tx, giver).await?;
    if !allowance.allows(1) {
        return tell_giver(tx, channel, giver, allowance.refusal(1)).await;
    }
    let delivery = delivery_for(app, tx, receiver).await?;
    store::insert_given(
        tx,
        &NewKudos {
            at: allowance.now,
            giver: giver.as_str(),
            receiver: receiver.as_str(),
            source: Source::Reaction,
            channel,
            message_ts: Some(ts),
            reason: None,
            delivery,
        },
    )
    .await?;
    match delivery {
        Delivery::Channel => celebrate_message(app, tx, giver, channel, ts, true).await?,
        Delivery::Dm => {
            let text = render::dm_for_reaction(giver.as_str(), channel, emoji(app));
            outbox::enqueue(
                tx,
                &Outgoing::DirectMessage {
                    user: receiver.to_string(),
                    text,
                    blocks: None,
                },
            )
            .await?;
        }
        Delivery::None => {}
    }
    features::home::publish(app, tx, receiver).await?;
    Ok(())
}

/// An ephemeral word to the giver where they reacted; as a DM if Slack refuses
/// that (e.g. needful is not in the channel), so they always learn why.
async fn tell_giver(
    tx: &mut Tx<'_>,
    channel: &str,
    giver: &UserId,
    text: String,
) -> Result<(), AppError> {
    outbox::enqueue_with_fallback(
        tx,
        &Outgoing::Ephemeral {
            channel: channel.to_string(),
            user: giver.to_string(),
            text: text.clone(),
            blocks: None,
        },
        Some(Outgoing::DirectMessage {
            user: giver.to_string(),
            text,
            blocks: None,
        }),
    )
    .await?;
    Ok(())
}

/// Posts, grows, shrinks or removes the one celebration of a message, from the
/// kudos standing on it now. `giver` (who caused this change) hears if Slack
/// refuses because needful is not in the channel.
async fn celebrate_message(
    app: &App,
    tx: &mut Tx<'_>,
    giver: &UserId,
    channel: &str,
    ts: &str,
    added: bool,
) -> Result<(), AppError> {
    let Some(kudos_channel) = kudos_channel(app) else {
        return Ok(());
    };
    let key = format!("kudos:{channel}:{ts}");
    let standing = store::celebrated_on(tx, channel, ts).await?;
    let Some((_, receiver)) = standing.first().cloned() else {
        outbox::enqueue(
            tx,
            &Outgoing::Delete {
                channel: kudos_channel,
                key,
            },
        )
        .await?;
        return Ok(());
    };
    let givers: Vec<String> = standing.into_iter().map(|(g, _)| g).collect();
    let (text, blocks) = render::message_celebration(&givers, &receiver, channel, emoji(app));
    let link_to = Some(MessageRef {
        channel: channel.to_string(),
        ts: ts.to_string(),
    });
    let message = if added && givers.len() == 1 {
        Outgoing::Post {
            channel: kudos_channel.clone(),
            text,
            blocks: Some(blocks),
            thread_ts: None,
            key: Some(key),
            link_to,
        }
    } else {
        Outgoing::Update {
            channel: kudos_channel.clone(),
            key,
            text,
            blocks: Some(blocks),
            link_to,
        }
    };
    let refused = Outgoing::DirectMessage {
        user: giver.to_string(),
        text: render::not_in_channel(channel, &kudos_channel, &receiver),
        blocks: None,
    };
    outbox::enqueue_with_fallback(tx, &message, Some(refused)).await?;
    Ok(())
}

pub async fn command(app: &App, tx: &mut Tx<'_>, inv: &Invocation) -> Result<Reply, AppError> {
    let kudos = &app.settings.team.kudos;
    let e = emoji(app);
    let usage = || render::usage(e, kudos.daily_limit, kudos.leaderboard);
    let parsed = match parse::parse(&inv.text) {
        Ok(c) => c,
        Err(misuse) => {
            return Ok(Reply::ephemeral(match misuse {
                Misuse::MissingReason => render::missing_reason(),
                Misuse::MissingRecipient => render::missing_recipient(),
                Misuse::PlainName(name) => render::plain_name(&name),
                Misuse::Group => render::group(),
                Misuse::Unknown(word) => {
                    render::unknown(&word, e, kudos.daily_limit, kudos.leaderboard)
                }
            }));
        }
    };
    match parsed {
        KudosCommand::Help => Ok(Reply::ephemeral(usage())),
        KudosCommand::Stats => {
            let text = stats_text(app, tx, &inv.user).await?;
            Ok(Reply::ephemeral(text))
        }
        KudosCommand::Leaderboard => {
            if !kudos.leaderboard {
                return Ok(Reply::ephemeral(render::leaderboard_off()));
            }
            let now = app.clock.now();
            let tz = period::zone_for(&app.settings.team, &inv.user);
            let today = now.with_timezone(&tz).date_naive();
            let month = chrono::Datelike::with_day(&today, 1).unwrap_or(today);
            let top =
                store::top_receivers(tx, period::start_of(month, tz), LEADERBOARD_TOP).await?;
            Ok(Reply::ephemeral(render::leaderboard(&top, e)))
        }
        KudosCommand::SetPrivate(private) => {
            store::set_private(tx, inv.user.as_str(), private, app.clock.now()).await?;
            features::home::publish(app, tx, &inv.user).await?;
            Ok(Reply::ephemeral(render::preference_set(
                private,
                kudos_channel(app).as_deref(),
            )))
        }
        KudosCommand::Give { recipients, reason } => {
            give_by_command(app, tx, inv, &recipients, &reason).await
        }
    }
}

async fn give_by_command(
    app: &App,
    tx: &mut Tx<'_>,
    inv: &Invocation,
    recipients: &[UserId],
    reason: &str,
) -> Result<Reply, AppError> {
    let giver = &inv.user;
    let mut notes = Vec::new();
    let mut targets = Vec::new();
    for r in recipients {
        if r == giver {
            notes.push(render::skipped_self());
        } else if app.bot_user.as_ref() == Some(r) {
            notes.push(render::refuse_needful(emoji(app)));
        } else if features::people::is_bot(app, tx, r).await? {
            notes.push(render::skipped_bot(r.as_str()));
        } else {
            targets.push(r.clone());
        }
    }
    if targets.is_empty() {
        return Err(AppError::User(render::nobody_left(&notes)));
    }
    let asked = u32::try_from(targets.len()).unwrap_or(u32::MAX);
    let allowance = Allowance::of(app, tx, giver).await?;
    if !allowance.allows(asked) {
        return Err(AppError::User(allowance.refusal(asked)));
    }
    let e = emoji(app);
    let mut public = Vec::new();
    let mut private = Vec::new();
    let mut first_id = None;
    for r in &targets {
        let delivery = delivery_for(app, tx, r).await?;
        let id = store::insert_given(
            tx,
            &NewKudos {
                at: allowance.now,
                giver: giver.as_str(),
                receiver: r.as_str(),
                source: Source::Command,
                channel: inv.channel.as_str(),
                message_ts: None,
                reason: Some(reason),
                delivery,
            },
        )
        .await?;
        first_id.get_or_insert(id);
        match delivery {
            Delivery::Channel | Delivery::None => public.push(r.to_string()),
            Delivery::Dm => {
                private.push(r.to_string());
                outbox::enqueue(
                    tx,
                    &Outgoing::DirectMessage {
                        user: r.to_string(),
                        text: render::dm_for_command(giver.as_str(), reason, e),
                        blocks: None,
                    },
                )
                .await?;
            }
        }
        features::home::publish(app, tx, r).await?;
    }
    let kudos_channel = kudos_channel(app);
    if let (Some(kc), false) = (&kudos_channel, public.is_empty()) {
        let (text, blocks) = render::command_celebration(giver.as_str(), &public, reason, e);
        let refused = Outgoing::DirectMessage {
            user: giver.to_string(),
            text: render::kudos_channel_refused(kc),
            blocks: None,
        };
        outbox::enqueue_with_fallback(
            tx,
            &Outgoing::Post {
                channel: kc.clone(),
                text,
                blocks: Some(blocks),
                thread_ts: None,
                key: first_id.map(|id| format!("kudos:command:{id}")),
                link_to: None,
            },
            Some(refused),
        )
        .await?;
    }
    Ok(Reply::ephemeral(render::sent(
        &public,
        &private,
        kudos_channel.as_deref(),
        &notes,
        allowance.left_after(asked),
    )))
}

async fn stats_text(app: &App, tx: &mut Tx<'_>, user: &UserId) -> Result<String, AppError> {
    let received = store::times(tx, user.as_str(), true).await?;
    let given = store::times(tx, user.as_str(), false).await?;
    let tz = period::zone_for(&app.settings.team, user);
    let s = period::stats(&received, &given, app.clock.now(), tz);
    Ok(render::stats(&s, emoji(app)))
}

/// The kudos section of a person's App Home: recent thanks, personal bests and
/// how they like to be thanked (with a button to change it).
pub async fn home_blocks(
    app: &App,
    tx: &mut Tx<'_>,
    user: &UserId,
) -> Result<Vec<Value>, AppError> {
    let tz = period::zone_for(&app.settings.team, user);
    let recent: Vec<String> = store::recent_received(tx, user.as_str(), HOME_RECENT)
        .await?
        .into_iter()
        .filter_map(|k| {
            let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(k.at_ms)?;
            Some(render::recent_line(
                &k.giver,
                at,
                tz,
                &render::place(&k.channel),
                k.reason.as_deref(),
            ))
        })
        .collect();
    let stats = stats_text(app, tx, user).await?;
    let private = store::is_private(tx, user.as_str()).await?;
    Ok(render::home_blocks(&recent, &stats, private, emoji(app)))
}

/// Buttons in the App Home (`home_…`) and on kudos messages (`kudos_…`).
pub async fn on_block_action(
    app: &App,
    tx: &mut Tx<'_>,
    action: &BlockAction,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    let private = match action.action_id.as_str() {
        "home_kudos_private" => true,
        "home_kudos_public" => false,
        _ => return Ok(None),
    };
    store::set_private(tx, action.user.as_str(), private, app.clock.now()).await?;
    features::home::publish(app, tx, &action.user).await?;
    Ok(Some(SlackInteractionResponse::Empty))
}

pub async fn export(
    db: &Db,
    range: &export::Range,
    format: export::Format,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let (start, end) = range.bounds();
    let rows = store::export_rows(db, start, end).await?;
    export::write(&rows, format, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ts_orders_exactly() {
        assert_eq!(ts_micros("1732600000.000200"), Some(1_732_600_000_000_200));
        assert_eq!(ts_micros("1732600000.2"), Some(1_732_600_000_200_000));
        assert_eq!(ts_micros("1732600000"), Some(1_732_600_000_000_000));
        assert!(ts_micros("1732600000.000199") < ts_micros("1732600000.000200"));
        assert_eq!(ts_micros("soon"), None);
        assert_eq!(ts_micros("1.1234567"), None);
    }

    #[test]
    fn skin_tones_are_the_same_reaction() {
        assert_eq!(base_emoji("+1::skin-tone-3"), "+1");
        assert_eq!(base_emoji("trophy"), "trophy");
    }
}
