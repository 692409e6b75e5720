//! Kudos by reaction, a whole batch of events at a time, in one transaction:
//! it records the deliveries and loads what the batch needs; the rules run in
//! memory in arrival order (each event sees what the ones before it did);
//! then it writes the outcome and commits. A batch of one behaves exactly
//! like the event alone.
//!
//! A kudos emoji on one of needful's own celebrations joins in on it
//! ([`joining`]): before anything else the reaction is taken for one on
//! the celebrated message, so everything after treats it like any other.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{
    celebration, emoji,
    joining::{self, Celebrated, Joining, Several},
    kudos_channel, period, render,
    rules::{self, Allowance, Giver, Outcome, Receiver, Skip},
    store::{self, Delivery, GivenRow, LiveKudos, ReactionKeys, ReactionWrites, Retraction, Via},
};
use crate::{
    domain::{ids::UserId, input::ReactionInput},
    error::AppError,
    features,
    features::Team,
    outbox::{self, MessageRef, Outgoing},
    storage,
};

/// `1732600000.000200` → microseconds, so event times compare exactly.
pub(super) fn ts_micros(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let frac: i64 = format!("{frac:0<6}").parse().ok()?;
    secs.checked_mul(1_000_000)?.checked_add(frac)
}

/// `+1::skin-tone-3` and `+1` are the same reaction.
pub(super) fn base_emoji(reaction: &str) -> &str {
    reaction.split("::").next().unwrap_or(reaction)
}

/// A reaction that may mean kudos: a kudos emoji on a message someone wrote.
struct Reaction {
    added: bool,
    giver: UserId,
    receiver: UserId,
    /// The message the kudos is for: the reacted one, or the one a
    /// celebration reacted on celebrates ([`Reaction::joining`]).
    channel: String,
    ts: String,
    /// The emoji as recorded: one on a celebration is told apart from the
    /// same emoji on the message itself ([`ON_CELEBRATION`]).
    emoji: String,
    event_us: i64,
    /// Where the reaction was made, where a refusal is said.
    reacted_in: String,
    on: On,
}

/// What a reaction is on, when it is not simply someone's message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum On {
    /// The reacted message (needful's own, if it celebrates nothing).
    Message,
    /// needful's celebration of one person, joined in on.
    Celebration {
        /// A `/kudos`'s reason, which the kudos carries.
        reason: Option<String>,
        /// Who gave the `/kudos`: it thanks the person already.
        thanked_by: Option<String>,
    },
    /// needful's post celebrating several people or messages.
    Several(Several),
}

/// What marks a kudos emoji on a message's celebration in the recorded
/// reactions, where it is kept with the message's own: a kudos given either
/// way stands while either reaction does, and counts once.
const ON_CELEBRATION: &str = "@celebration";

impl Reaction {
    fn of(app: &Team, input: &ReactionInput) -> Option<Self> {
        let emoji = base_emoji(&input.reaction);
        if !app.setup().kudos.reactions.iter().any(|r| r == emoji) {
            return None;
        }
        // Files and messages nobody wrote (webhooks) have no one to thank.
        let (Some((channel, ts)), Some(author)) = (&input.message, &input.author) else {
            return None;
        };
        let (Ok(giver), Ok(receiver)) = (UserId::parse(&input.reactor), UserId::parse(author))
        else {
            return None;
        };
        let Some(event_us) = ts_micros(&input.event_ts) else {
            tracing::warn!(event_ts = %input.event_ts, "a reaction without a readable event_ts; ignored");
            return None;
        };
        Some(Self {
            added: input.added,
            giver,
            receiver,
            channel: channel.clone(),
            ts: ts.clone(),
            emoji: emoji.to_string(),
            event_us,
            reacted_in: channel.clone(),
            on: On::Message,
        })
    }

    /// The reaction as what needful's post it is on comes to: on a
    /// celebration of one person, a reaction on the celebrated message
    /// (for a `/kudos`, which thanks no message, on the celebration
    /// itself), to that person.
    fn joining(mut self, celebrated: &Celebrated) -> Self {
        match celebrated {
            Celebrated::Nothing => {}
            Celebrated::Several(several) => self.on = On::Several(several.clone()),
            Celebrated::One(Joining {
                message,
                receiver,
                reason,
                thanked_by,
            }) => {
                let Ok(receiver) = UserId::parse(receiver) else {
                    return self;
                };
                if (&message.channel, &message.ts) != (&self.channel, &self.ts) {
                    self.emoji.push_str(ON_CELEBRATION);
                }
                self.receiver = receiver;
                self.channel = message.channel.clone();
                self.ts = message.ts.clone();
                self.on = On::Celebration {
                    reason: reason.clone(),
                    thanked_by: thanked_by.clone(),
                };
            }
        }
        self
    }

    /// The reason a kudos joining in on a `/kudos` carries.
    fn reason(&self) -> Option<&String> {
        match &self.on {
            On::Celebration { reason, .. } => reason.as_ref(),
            _ => None,
        }
    }

    /// True when the giver's own `/kudos` is what they reacted on: they
    /// have thanked the person there already.
    fn on_own_command(&self) -> bool {
        match &self.on {
            On::Celebration {
                thanked_by: Some(by),
                ..
            }
            | On::Several(Several::People { thanked_by: by }) => by == self.giver.as_str(),
            _ => false,
        }
    }

    fn message(&self) -> (String, String, String) {
        (
            self.giver.to_string(),
            self.channel.clone(),
            self.ts.clone(),
        )
    }
}

/// Applies new reactions inside the writer's transaction (`batch`, which
/// the writer commits or rolls back; it has already set redeliveries
/// aside). Nearly all of the load: it runs as direct SQLite calls
/// ([`storage::direct`]).
pub fn apply_reactions(
    app: &Team,
    batch: &storage::direct::Batch<'_>,
    inputs: &[&ReactionInput],
) -> Result<(), AppError> {
    let now = app.clock.now();
    let setup = app.setup();
    let needful = app.bot_user();
    // What needful's posts reacted on celebrate, looked up once per post.
    let mut posts: HashMap<(String, String), Celebrated> = HashMap::new();
    let mut reactions: Vec<Reaction> = Vec::with_capacity(inputs.len());
    for reaction in inputs.iter().filter_map(|i| Reaction::of(app, i)) {
        // Only a reaction on needful's own post pays for the look-up.
        if needful.as_ref() != Some(&reaction.receiver) || needful.as_ref() == Some(&reaction.giver)
        {
            reactions.push(reaction);
            continue;
        }
        let place = (reaction.channel.clone(), reaction.ts.clone());
        if !posts.contains_key(&place) {
            let found = joining::celebrated_by(batch, &place.0, &place.1)?;
            posts.insert(place.clone(), found);
        }
        reactions.push(reaction.joining(&posts[&place]));
    }
    let days: HashMap<UserId, (DateTime<Utc>, DateTime<Utc>)> = reactions
        .iter()
        .map(|r| {
            let tz = period::zone_for(&setup, &r.giver);
            (r.giver.clone(), rules::day(now, tz))
        })
        .collect();
    let keys = ReactionKeys {
        people: reactions
            .iter()
            .flat_map(|r| [r.giver.to_string(), r.receiver.to_string()])
            .collect::<HashSet<_>>()
            .into_iter()
            .collect(),
        messages: reactions
            .iter()
            .map(|r| r.message())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect(),
        days: days
            .iter()
            .map(|(giver, (start, end))| {
                (
                    giver.to_string(),
                    start.timestamp_millis(),
                    end.timestamp_millis(),
                )
            })
            .collect(),
    };
    let mut kudos = Batch::new(
        app,
        store::snapshot(batch, &keys, &app.kudos_today, now.timestamp_millis())?,
        now,
    );
    for reaction in &reactions {
        kudos.apply(reaction);
    }
    let (writes, mut outgoing) = kudos.finish();
    store::write_reactions(batch, &writes)?;
    let waiting = app.waiting.clone();
    waiting.drop_covered(&mut outgoing);
    let rows = outbox::rows(&outgoing).map_err(anyhow::Error::from)?;
    let added: Vec<String> = storage::outbox::insert_on(batch, &rows, now)?
        .into_iter()
        .map(str::to_owned)
        .collect();
    // Known before the commit, so the worker cannot claim one first (see
    // `outbox::waiting`).
    waiting.inserted(added.iter().map(String::as_str));
    batch.after_rollback(move || waiting.rolled_back(added.iter().map(String::as_str)));
    Ok(())
}

type MessageKey = (String, String, String);

/// How many times a giver's kudos on one message may be given. Removing a
/// reaction gives the day's allowance back, so without a bound a person
/// toggling one reaction would add kudos rows and messages without end;
/// after this many, their kudos there stays as it is.
const GIVES_PER_MESSAGE: u32 = 3;

/// At most one refusal notice per person and reason in this time.
const NOTICE_EVERY_MS: i64 = 10 * 60 * 1000;

/// The kudos state a batch touches, kept in memory while its events apply.
struct Batch<'a> {
    app: &'a Team,
    /// needful itself, looked up once per batch.
    bot_user: Option<UserId>,
    /// Whether there is a kudos channel, looked up once per batch.
    kudos_channel: bool,
    now: DateTime<Utc>,
    bots: HashSet<String>,
    private: HashSet<String>,
    /// Newest (present, event µs) per (giver, channel, ts, emoji).
    reactions: HashMap<(String, String, String, String), (bool, i64)>,
    changed_reactions: HashSet<(String, String, String, String)>,
    /// The kudos standing per (giver, channel, ts).
    live: HashMap<MessageKey, LiveKudos>,
    /// Standing kudos per giver in their current day (the daily limit).
    used_today: HashMap<String, u32>,
    /// Kudos ever given per (giver, channel, ts), taken back or not.
    gives: HashMap<MessageKey, u32>,
    /// When each (person, reason) was last sent a refusal notice.
    notices: HashMap<(String, Notice), i64>,
    sent_notices: Vec<(String, String, i64)>,
    next_id: i64,
    given: Vec<GivenRow>,
    retracted: Vec<Retraction>,
    outgoing: Vec<(Outgoing, Option<Outgoing>)>,
}

impl<'a> Batch<'a> {
    fn new(app: &'a Team, snapshot: store::ReactionSnapshot, now: DateTime<Utc>) -> Self {
        let live: HashMap<MessageKey, LiveKudos> = snapshot
            .live
            .into_iter()
            .map(|l| {
                (
                    (l.giver.clone(), l.channel.clone(), l.message_ts.clone()),
                    l,
                )
            })
            .collect();
        Self {
            bot_user: app.bot_user(),
            kudos_channel: kudos_channel(app).is_some(),
            app,
            now,
            bots: snapshot.bots.into_iter().collect(),
            private: snapshot.private.into_iter().collect(),
            reactions: snapshot
                .reactions
                .into_iter()
                .map(|(g, c, ts, e, present, us)| ((g, c, ts, e), (present != 0, us)))
                .collect(),
            changed_reactions: HashSet::new(),
            live,
            used_today: snapshot
                .given
                .into_iter()
                .map(|(giver, n)| (giver, u32::try_from(n).unwrap_or(u32::MAX)))
                .collect(),
            gives: snapshot
                .gives
                .into_iter()
                .map(|(g, c, ts, n)| ((g, c, ts), n))
                .collect(),
            notices: snapshot
                .notices
                .into_iter()
                .filter_map(|(user, reason, at)| Some(((user, Notice::of(&reason)?), at)))
                .collect(),
            sent_notices: Vec::new(),
            next_id: snapshot.next_id,
            given: Vec::new(),
            retracted: Vec::new(),
            outgoing: Vec::new(),
        }
    }

    fn is_bot(&self, user: &UserId) -> bool {
        self.bot_user.as_ref() == Some(user) || self.bots.contains(user.as_str())
    }

    fn apply(&mut self, r: &Reaction) {
        // Bots react for their own reasons (needful acks check-ins with reactions).
        if self.is_bot(&r.giver) {
            return;
        }
        let key = (
            r.giver.to_string(),
            r.channel.clone(),
            r.ts.clone(),
            r.emoji.clone(),
        );
        if self
            .reactions
            .get(&key)
            .is_some_and(|(_, newest)| *newest >= r.event_us)
        {
            tracing::debug!("an older or repeated reaction event; the newer state stands");
            return;
        }
        self.reactions.insert(key.clone(), (r.added, r.event_us));
        self.changed_reactions.insert(key);
        let message = r.message();
        match (r.added, self.live.get(&message).cloned()) {
            // Another kudos emoji on the same message already thanked them.
            (true, Some(_)) => {}
            (true, None) => self.give(r),
            (false, Some(live)) if !self.any_reaction_present(&message) => {
                if self.gives.get(&message).copied().unwrap_or(0) < GIVES_PER_MESSAGE {
                    self.retract(r, live);
                } else {
                    let text = render::kudos_settled(&emoji(self.app));
                    self.tell_giver(r, Notice::Settled, text);
                }
            }
            (false, _) => {}
        }
    }

    /// True while the giver still has some kudos emoji on the message.
    fn any_reaction_present(&self, (giver, channel, ts): &MessageKey) -> bool {
        self.reactions
            .iter()
            .any(|((g, c, t, _), (present, _))| *present && g == giver && c == channel && t == ts)
    }

    /// `giver`'s allowance as this batch stands.
    fn allowance(&self, giver: &UserId) -> Allowance {
        let used = self.used_today.get(giver.as_str()).copied().unwrap_or(0);
        let tz = period::zone_for(&self.app.setup(), giver);
        Allowance::new(self.app.setup().kudos.daily_limit, used, self.now, tz)
    }

    fn give(&mut self, r: &Reaction) {
        // Their own `/kudos` thanks the person already: a reaction on its
        // celebration adds nothing, as a second kudos emoji on a message
        // does not.
        if r.on_own_command() {
            return;
        }
        if let On::Several(several) = &r.on {
            let text = render::refuse_several(several, &emoji(self.app));
            return self.tell_giver(r, Notice::Several, text);
        }
        let allowance = self.allowance(&r.giver);
        let giver = Giver {
            user: &r.giver,
            needful: self.bot_user.as_ref(),
            allowance,
            kudos_channel: self.kudos_channel,
        };
        let receiver = Receiver {
            user: &r.receiver,
            bot: self.bots.contains(r.receiver.as_str()),
            private: self.private.contains(r.receiver.as_str()),
        };
        // A reaction thanks one person: the decision has one outcome.
        let decision = rules::decide(giver, std::slice::from_ref(&receiver));
        let Some((_, outcome)) = decision.outcomes().next() else {
            return;
        };
        let delivery = match outcome {
            Outcome::Given(delivery) => delivery,
            Outcome::OverLimit => {
                return self.tell_giver(r, Notice::DailyLimit, allowance.refusal(1));
            }
            Outcome::Skipped(Skip::Yourself) => {
                let text = match r.on {
                    On::Celebration { .. } => render::refuse_own_celebration(),
                    _ => render::refuse_self(),
                };
                return self.tell_giver(r, Notice::OwnMessage, text);
            }
            Outcome::Skipped(Skip::Needful) => {
                let text = render::refuse_needful(&emoji(self.app));
                return self.tell_giver(r, Notice::Needful, text);
            }
            Outcome::Skipped(Skip::Bot) => {
                let text = render::refuse_bot(r.receiver.as_str());
                return self.tell_giver(r, Notice::Bot, text);
            }
        };
        let id = self.take_id();
        let at_ms = self.now.timestamp_millis();
        self.given.push(GivenRow {
            id,
            at_ms,
            giver: r.giver.to_string(),
            receiver: r.receiver.to_string(),
            channel: r.channel.clone(),
            via: Via::Reaction {
                message_ts: r.ts.clone(),
                reason: r.reason().cloned(),
            },
            delivery,
        });
        self.live.insert(
            r.message(),
            LiveKudos {
                giver: r.giver.to_string(),
                channel: r.channel.clone(),
                message_ts: r.ts.clone(),
                kudos_id: id,
                delivery: delivery.as_str().to_string(),
                at_ms,
            },
        );
        *self.used_today.entry(r.giver.to_string()).or_default() += 1;
        *self.gives.entry(r.message()).or_default() += 1;
        match delivery {
            Delivery::Channel => self.celebrate(r),
            Delivery::Dm => {
                let text = match r.reason() {
                    Some(reason) => {
                        render::dm_for_command(r.giver.as_str(), reason, &emoji(self.app))
                    }
                    None => render::dm_for_reaction(r.giver.as_str(), &r.channel, &emoji(self.app)),
                };
                self.outgoing.push((
                    Outgoing::DirectMessage {
                        user: r.receiver.to_string(),
                        text,
                        blocks: None,
                    },
                    None,
                ));
            }
            Delivery::None => {}
        }
        self.outgoing
            .push((features::home::refresh(&r.receiver), None));
    }

    fn retract(&mut self, r: &Reaction, live: LiveKudos) {
        let id = self.take_id();
        self.retracted.push(Retraction {
            id,
            retracts: live.kudos_id,
            at_ms: self.now.timestamp_millis(),
        });
        self.live.remove(&r.message());
        // Taking a kudos back gives today's allowance back.
        if let Some(at) = DateTime::from_timestamp_millis(live.at_ms)
            && self.allowance(&r.giver).counts(at)
            && let Some(used) = self.used_today.get_mut(r.giver.as_str())
        {
            *used = used.saturating_sub(1);
        }
        if live.delivery == Delivery::Channel.as_str() {
            self.celebrate(r);
        }
        self.outgoing
            .push((features::home::refresh(&r.receiver), None));
    }

    fn take_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// An ephemeral word to the giver where they reacted; as a DM if Slack
    /// refuses that (e.g. needful is not in the channel), so they always learn
    /// why. Once per person and reason every ten minutes: a hundred refused
    /// reactions are one notice, not a hundred.
    fn tell_giver(&mut self, r: &Reaction, notice: Notice, text: String) {
        let key = (r.giver.to_string(), notice);
        let now_ms = self.now.timestamp_millis();
        if self
            .notices
            .get(&key)
            .is_some_and(|last| now_ms - last < NOTICE_EVERY_MS)
        {
            return;
        }
        self.notices.insert(key, now_ms);
        self.sent_notices
            .push((r.giver.to_string(), notice.as_str().to_string(), now_ms));
        self.outgoing.push((
            Outgoing::Ephemeral {
                channel: r.reacted_in.clone(),
                user: r.giver.to_string(),
                text: text.clone(),
                blocks: None,
            },
            Some(Outgoing::DirectMessage {
                user: r.giver.to_string(),
                text,
                blocks: None,
            }),
        ));
    }

    /// The message's celebration shows the kudos standing on it when it is
    /// delivered ([`celebration`]); the giver, who caused this change,
    /// hears if Slack refuses it.
    fn celebrate(&mut self, r: &Reaction) {
        if let Some(kudos_channel) = kudos_channel(self.app) {
            let of = MessageRef {
                channel: r.channel.clone(),
                ts: r.ts.clone(),
            };
            self.outgoing
                .push((celebration::refresh(kudos_channel, of, &r.giver), None));
        }
    }

    /// What to write: the changed reaction states and the new kudos rows,
    /// and the messages in the order they arose.
    fn finish(self) -> (ReactionWrites, Vec<(Outgoing, Option<Outgoing>)>) {
        let reactions = self
            .changed_reactions
            .iter()
            .map(|key| {
                let (present, us) = self.reactions[key];
                (
                    key.0.clone(),
                    key.1.clone(),
                    key.2.clone(),
                    key.3.clone(),
                    i64::from(present),
                    us,
                )
            })
            .collect();
        (
            ReactionWrites {
                reactions,
                given: self.given,
                retracted: self.retracted,
                notices: self.sent_notices,
            },
            self.outgoing,
        )
    }
}

/// Why a reaction did not count, as far as telling the giver goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Notice {
    OwnMessage,
    Needful,
    Bot,
    DailyLimit,
    /// Their kudos on the message stays as it is ([`GIVES_PER_MESSAGE`]).
    Settled,
    /// A post celebrating several: whom is ambiguous.
    Several,
}

impl Notice {
    const ALL: [Notice; 6] = [
        Notice::OwnMessage,
        Notice::Needful,
        Notice::Bot,
        Notice::DailyLimit,
        Notice::Settled,
        Notice::Several,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Notice::OwnMessage => "own_message",
            Notice::Needful => "needful",
            Notice::Bot => "bot",
            Notice::DailyLimit => "daily_limit",
            Notice::Settled => "settled",
            Notice::Several => "several",
        }
    }

    fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == name)
    }
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

    fn on_post(giver: &str) -> Reaction {
        Reaction {
            added: true,
            giver: UserId::parse(giver).unwrap(),
            receiver: UserId::parse("UNEEDFUL").unwrap(),
            channel: "CKUDOS".into(),
            ts: "2.1".into(),
            emoji: "trophy".into(),
            event_us: 1,
            reacted_in: "CKUDOS".into(),
            on: On::Message,
        }
    }

    fn message(channel: &str, ts: &str) -> crate::outbox::MessageRef {
        crate::outbox::MessageRef {
            channel: channel.into(),
            ts: ts.into(),
        }
    }

    #[test]
    fn a_reaction_on_a_celebration_is_one_on_the_celebrated_message() {
        let celebrated = Celebrated::One(Joining {
            message: message("CSUPPORT", "1.2"),
            receiver: "UALICE".into(),
            reason: None,
            thanked_by: None,
        });
        let r = on_post("UCAROL").joining(&celebrated);
        assert_eq!(
            (r.receiver.as_str(), r.message()),
            ("UALICE", ("UCAROL".into(), "CSUPPORT".into(), "1.2".into()))
        );
        // Kept apart from a trophy on the message itself, and refused (if
        // at all) where it was made.
        assert_eq!(r.emoji, "trophy@celebration");
        assert_eq!(r.reacted_in, "CKUDOS");
        assert_eq!(r.reason(), None);
        assert!(!r.on_own_command());
    }

    #[test]
    fn a_reaction_on_a_kudos_command_celebration_stays_there_with_its_reason() {
        let celebrated = Celebrated::One(Joining {
            message: message("CKUDOS", "2.1"),
            receiver: "UBOB".into(),
            reason: Some("fixed it".into()),
            thanked_by: Some("UALICE".into()),
        });
        let carol = on_post("UCAROL").joining(&celebrated);
        assert_eq!(
            (carol.receiver.as_str(), carol.message()),
            ("UBOB", ("UCAROL".into(), "CKUDOS".into(), "2.1".into()))
        );
        assert_eq!(carol.emoji, "trophy", "it is on that very message");
        assert_eq!(carol.reason().map(String::as_str), Some("fixed it"));
        assert!(!carol.on_own_command());
        assert!(on_post("UALICE").joining(&celebrated).on_own_command());
    }

    #[test]
    fn a_reaction_on_other_needful_posts_stays_on_needful() {
        for celebrated in [
            Celebrated::Nothing,
            Celebrated::Several(Several::Messages),
            Celebrated::Several(Several::People {
                thanked_by: "UALICE".into(),
            }),
        ] {
            let r = on_post("UCAROL").joining(&celebrated);
            assert_eq!(
                (r.receiver.as_str(), r.channel.as_str(), r.emoji.as_str()),
                ("UNEEDFUL", "CKUDOS", "trophy"),
                "{celebrated:?}"
            );
        }
        let several = Celebrated::Several(Several::People {
            thanked_by: "UALICE".into(),
        });
        assert!(on_post("UALICE").joining(&several).on_own_command());
        assert!(!on_post("UCAROL").joining(&several).on_own_command());
    }

    #[test]
    fn skin_tones_are_the_same_reaction() {
        assert_eq!(base_emoji("+1::skin-tone-3"), "+1");
        assert_eq!(base_emoji("trophy"), "trophy");
    }
}
