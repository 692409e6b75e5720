//! Every kudos message people read, kept together so they can be reviewed as one.

use super::joining::Several;
use super::parse::MAX_REASON_CHARS;
use super::period::{self, Stats};
use crate::domain::{
    block_kit::{Block, Blocks, Button, Section, context, header, message_text, section},
    mrkdwn,
};
use crate::outbox::{PERMALINK, QUOTE};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// How much of a reason an App Home line shows: a glimpse, so five fit.
const HOME_REASON_CHARS: usize = 300;

/// A person's reason as it is repeated: pinging no one, within `max`.
/// Rows from before the limit can be longer than a reason is allowed now.
use crate::domain::mrkdwn::said as reason_text;

fn mention(user: &str) -> String {
    format!("<@{user}>")
}

/// "<@A>", "<@A> and <@B>", "<@A>, <@B> and <@C>", "<@A>, <@B> and 3 others".
/// `total` people, of whom `named` are the first (at least the first three).
fn people_of(named: &[String], total: usize) -> String {
    let m: Vec<String> = named.iter().take(3).map(|u| mention(u)).collect();
    match (total, m.as_slice()) {
        (0, _) | (_, []) => String::new(),
        (1, [a, ..]) | (_, [a]) => a.clone(),
        (2, [a, b, ..]) | (_, [a, b]) => format!("{a} and {b}"),
        (3, [a, b, c, ..]) => format!("{a}, {b} and {c}"),
        (n, [a, b, ..]) => format!("{a}, {b} and {} others", n - 2),
    }
}

/// The celebration of a message in the kudos channel. It grows as more people
/// react; the quote and permalink are filled in by the outbox at delivery.
/// `named` are the oldest givers (the first three are shown), of `total`.
pub fn message_celebration(
    named: &[String],
    total: usize,
    receiver: &str,
    channel: &str,
    emoji: &str,
) -> (String, Blocks) {
    let who = people_of(named, total);
    let head = format!(
        ":{emoji}: {who} thanked {} for this message in <#{channel}>",
        mention(receiver)
    );
    let text = format!("{head}: “{QUOTE}” {PERMALINK}");
    let count = if total > 1 {
        format!(" · {total} kudos")
    } else {
        String::new()
    };
    let blocks = Blocks::new(vec![
        section(&format!("{head}:\n>{QUOTE}")),
        context(&format!("<{PERMALINK}|See the message>{count}")),
    ]);
    (text, blocks)
}

/// One kudos'd message in a roundup: who thanked whom, where.
pub struct RoundupLine<'a> {
    pub named: &'a [String],
    pub total: usize,
    pub receiver: &'a str,
    pub channel: &'a str,
    /// The thanked message, when its link is known.
    pub link: Option<&'a str>,
}

/// Several celebrations in one post, when many wait in the kudos channel.
pub fn celebration_roundup(lines: &[RoundupLine<'_>], emoji: &str) -> (String, Blocks) {
    let list: Vec<String> = lines
        .iter()
        .map(|l| {
            let count = if l.total > 1 {
                format!(" · {} kudos", l.total)
            } else {
                String::new()
            };
            let message = match l.link {
                Some(link) => format!("<{link}|a message>"),
                None => "a message".to_string(),
            };
            format!(
                "• {} thanked {} for {message} in <#{}>{count}",
                people_of(l.named, l.total),
                mention(l.receiver),
                l.channel
            )
        })
        .collect();
    let text = format!(
        ":{emoji}: So much thanks going around that here it is together: {} kudos'd messages",
        lines.len()
    );
    let blocks = Blocks::new(vec![section(&format!("{text}\n{}", list.join("\n")))]);
    (text, blocks)
}

/// The celebration of a `/kudos` command (one post for all its public recipients).
pub fn command_celebration(
    giver: &str,
    receivers: &[String],
    reason: &str,
    emoji: &str,
) -> (String, Blocks) {
    command_celebration_joined(giver, receivers, reason, &[], 0, emoji)
}

/// The celebration of a `/kudos` with the kudos of those who joined in on
/// it by reacting: `named` are the oldest of `joined` (the first three are
/// shown). With none, the command's celebration as it was posted.
pub fn command_celebration_joined(
    giver: &str,
    receivers: &[String],
    reason: &str,
    named: &[String],
    joined: usize,
    emoji: &str,
) -> (String, Blocks) {
    let text = format!(
        ":{emoji}: {} thanked {}: “{}”",
        mention(giver),
        people_all(receivers),
        reason_text(reason, MAX_REASON_CHARS)
    );
    if joined == 0 {
        let blocks = Blocks::new(vec![section(&text)]);
        return (message_text(&text), blocks);
    }
    let line = format!(
        "{} joined in · {} kudos",
        people_of(named, joined),
        receivers.len() + joined
    );
    let blocks = Blocks::new(vec![section(&text), context(&line)]);
    (message_text(&format!("{text} · {line}")), blocks)
}

/// Every name, no "and N others": a command names its people on purpose.
fn people_all(users: &[String]) -> String {
    let m: Vec<String> = users.iter().map(|u| mention(u)).collect();
    match m.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The direct message a private person gets for a reaction kudos.
pub fn dm_for_reaction(giver: &str, channel: &str, emoji: &str) -> String {
    format!(
        ":{emoji}: {} thanked you for your message in <#{channel}>. You prefer quiet thanks, so this stays between you two (`/kudos public` changes that).",
        mention(giver)
    )
}

/// The direct message a private person gets for a `/kudos`.
pub fn dm_for_command(giver: &str, reason: &str, emoji: &str) -> String {
    format!(
        ":{emoji}: {} thanked you: “{}”. You prefer quiet thanks, so this stays between you two (`/kudos public` changes that).",
        mention(giver),
        reason_text(reason, MAX_REASON_CHARS)
    )
}

// ---- refusals ----

pub fn refuse_self() -> String {
    "That's your own message, so no kudos this time: kudos are for thanking someone else. If a teammate helped you with it, react on their message or use `/kudos @them what they did`.".into()
}

/// A giver who has given and taken back their kudos on one message a few
/// times: it stays given.
pub fn kudos_settled(emoji: &str) -> String {
    format!(
        "You've added and removed :{emoji}: on that message a few times, so your kudos there stays given and still counts. Adding or removing the reaction again won't change it; to thank someone else, react on their message or use `/kudos @them what they did`."
    )
}

/// The celebrated person reacting on their own celebration.
pub fn refuse_own_celebration() -> String {
    "That celebration is for you, so no kudos from you there: kudos are for thanking someone else. Enjoy it! If a teammate helped you, react on their message or use `/kudos @them what they did`.".into()
}

/// A reaction on a post that celebrates several people or messages.
pub fn refuse_several(several: &Several, emoji: &str) -> String {
    match several {
        Several::Messages => format!(
            "That roundup celebrates several messages, so a :{emoji}: on it can't say whose you mean and I didn't record kudos. To join in, react with :{emoji}: on the message itself (the roundup links to each)."
        ),
        Several::People { .. } => format!(
            "That celebration thanks several people, so a :{emoji}: on it can't say whom you mean and I didn't record kudos. To join in, thank them with `/kudos @them what they did`."
        ),
    }
}

pub fn refuse_needful(emoji: &str) -> String {
    format!(
        "That's kind, but I'm needful, the bot: I can't take kudos. Thank a colleague instead: react with :{emoji}: on their message or use `/kudos @colleague what they did`."
    )
}

pub fn refuse_bot(bot: &str) -> String {
    format!(
        "{} is a bot, so there is no one to thank there and I didn't record kudos. If a person set it up or helped, thank them with `/kudos @them what they did`.",
        mention(bot)
    )
}

/// The daily limit is reached (or would be passed by this command).
pub fn refuse_limit(
    limit: u32,
    used: u32,
    asked: u32,
    reset: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let when = format!(
        "Your allowance resets at midnight ({}), in {}.",
        tz.name(),
        period::until(now, reset)
    );
    if used >= limit {
        format!(
            "You've already given all {limit} kudos for today, so I didn't record this one. Thank you for being generous! {when} Until then, a thank-you in the thread still means a lot."
        )
    } else {
        let left = limit - used;
        format!(
            "This would thank {asked} people, but you have {left} kudos left today (the limit is {limit} a day), so I didn't send any. Name up to {left}, or try again after the reset. {when}"
        )
    }
}

/// Slack refused the celebration of a reaction kudos: most likely needful is
/// not in the reacted message's channel (or not in the kudos channel).
pub fn not_in_channel(channel: &str, kudos_channel: &str, receiver: &str) -> String {
    format!(
        "I couldn't celebrate your kudos for {}: I can't read that message in <#{channel}>, most likely because I'm not a member there (or of <#{kudos_channel}>). Invite me with `/invite @needful` in that channel, then react again. Or thank them with `/kudos @them what they did`.",
        mention(receiver)
    )
}

/// Slack refused the celebration of a `/kudos` in the kudos channel.
pub fn kudos_channel_refused(kudos_channel: &str) -> String {
    format!(
        "Your kudos are recorded, but I couldn't post the celebration in <#{kudos_channel}>, most likely because I'm not a member there. Someone in that channel can add me with `/invite @needful`."
    )
}

// ---- command replies ----

pub fn usage(emoji: &str, limit: u32, leaderboard: bool) -> String {
    let mut lines = vec![
        format!("*Thank a colleague* :{emoji}:"),
        format!("• React with :{emoji}: to their message, or"),
        "• `/kudos @colleague what they did`, e.g. `/kudos @bob stayed late to clear the refund queue` (several people: `/kudos @bob @carol for the launch`)".to_string(),
        "• `/kudos stats`: your own numbers and personal bests".to_string(),
        "• `/kudos private` or `/kudos public`: how you'd like to be thanked".to_string(),
    ];
    if leaderboard {
        lines.push("• `/kudos leaderboard`: this month's most thanked".into());
    }
    lines.push(format!("You can give {limit} kudos a day."));
    lines.join("\n")
}

pub fn reason_too_long(chars: usize) -> String {
    format!(
        "That reason is {chars} characters, and kudos take up to {MAX_REASON_CHARS}. Please shorten it to the heart of what they did and send it again; nothing was sent yet."
    )
}

pub fn missing_reason() -> String {
    "Tell them what they did, so the thanks means something: `/kudos @bob stayed late to clear the refund queue`".into()
}

pub fn missing_recipient() -> String {
    "Who would you like to thank? Start with their name: `/kudos @bob stayed late to clear the refund queue`".into()
}

pub fn plain_name(name: &str) -> String {
    format!(
        "I couldn't tell who `{}` is. Pick the name from Slack's suggestions as you type it (it turns into a link), e.g. `/kudos @bob stayed late to clear the refund queue`",
        mrkdwn::echo(name)
    )
}

pub fn group() -> String {
    "Kudos go to people one by one, not to a group. Name them: `/kudos @bob @carol for the launch`"
        .into()
}

pub fn unknown(word: &str, emoji: &str, limit: u32, leaderboard: bool) -> String {
    format!(
        "I don't know `/kudos {}`. Here is what works:\n{}",
        mrkdwn::echo(word),
        usage(emoji, limit, leaderboard)
    )
}

/// Nobody left to thank after skipping the giver and bots.
pub fn nobody_left(notes: &[String]) -> String {
    let mut text = "No kudos sent: there was no one else to thank.".to_string();
    for n in notes {
        text.push(' ');
        text.push_str(n);
    }
    text.push_str(" Try `/kudos @colleague what they did`.");
    text
}

pub fn skipped_self() -> String {
    "I left you out: kudos are for thanking others.".into()
}

pub fn skipped_bot(bot: &str) -> String {
    format!("{} is a bot, so I skipped it.", mention(bot))
}

/// The reply after a `/kudos` was recorded.
pub fn sent(
    public: &[String],
    private: &[String],
    kudos_channel: Option<&str>,
    notes: &[String],
    left: u32,
) -> String {
    let mut parts = Vec::new();
    if !public.is_empty() {
        match kudos_channel {
            Some(c) => parts.push(format!(
                "Thanks sent to {}! It will be celebrated in <#{c}>.",
                people_all(public)
            )),
            None => parts.push(format!("Thanks sent to {}!", people_all(public))),
        }
    }
    if !private.is_empty() {
        parts.push(format!(
            "{} will get your thanks as a direct message.",
            people_all(private)
        ));
    }
    parts.extend(notes.iter().cloned());
    parts.push(match left {
        0 => "That was your last kudos for today.".to_string(),
        1 => "You have 1 kudos left today.".to_string(),
        n => format!("You have {n} kudos left today."),
    });
    parts.join(" ")
}

pub fn preference_set(private: bool, kudos_channel: Option<&str>) -> String {
    if private {
        format!(
            "Got it: from now on kudos for you come as a direct message, and nothing about them is posted{}. They still count in your stats. Change it back any time with `/kudos public`.",
            kudos_channel
                .map(|c| format!(" in <#{c}>"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "Got it: from now on kudos for you are celebrated{}. Prefer quiet thanks? `/kudos private`.",
            kudos_channel
                .map(|c| format!(" in <#{c}>"))
                .unwrap_or_default()
        )
    }
}

fn week_label(monday: NaiveDate) -> String {
    format!("the week of {}", monday.format("%-d %b %Y"))
}

/// `/kudos stats` and the App Home: personal bests, never a ranking.
pub fn stats(s: &Stats, emoji: &str) -> String {
    if s.received_all == 0 && s.given_all == 0 {
        return format!(
            "*Your kudos* :{emoji}:\nNothing yet. React with :{emoji}: to a colleague's message or use `/kudos @colleague what they did`, and your numbers start here."
        );
    }
    let mut lines = vec![
        format!("*Your kudos* :{emoji}:"),
        format!(
            "Received: {} this week · {} this month · {} in all",
            s.received_week, s.received_month, s.received_all
        ),
        format!(
            "Given: {} this week · {} this month · {} in all",
            s.given_week, s.given_month, s.given_all
        ),
    ];
    if let Some((monday, n)) = s.best_week {
        lines.push(format!(
            "Personal best: {n} received in {}",
            week_label(monday)
        ));
    }
    lines.push(match s.giving_streak {
        0 => "Giving streak: none running. Thank someone this week to start one.".to_string(),
        1 => "Giving streak: 1 week with kudos given. Keep it going!".to_string(),
        n => format!("Giving streak: {n} weeks in a row with kudos given. Keep it going!"),
    });
    lines.join("\n")
}

pub fn leaderboard_off() -> String {
    "There's no leaderboard here: kudos are thanks, not a race. `/kudos stats` shows your own numbers and personal bests.".into()
}

pub fn leaderboard(top: &[(String, i64)], emoji: &str) -> String {
    if top.is_empty() {
        return format!(
            "No kudos yet this month. Be the first: react with :{emoji}: on a colleague's message."
        );
    }
    let mut lines = vec![format!("*Most thanked this month* :{emoji}:")];
    for (i, (user, n)) in top.iter().enumerate() {
        lines.push(format!("{}. {} ({n} kudos)", i + 1, mention(user)));
    }
    lines.push("Only the top few are shown. Everyone's thanks counts.".into());
    lines.join("\n")
}

// ---- App Home ----

/// One line per kudos received lately, with where it happened.
pub fn recent_line(
    giver: &str,
    at: DateTime<Utc>,
    tz: Tz,
    place: &str,
    reason: Option<&str>,
) -> String {
    let date = at.with_timezone(&tz).format("%-d %b");
    match reason {
        Some(r) => format!(
            "• {date}: {} for “{}” ({place})",
            mention(giver),
            reason_text(r, HOME_REASON_CHARS)
        ),
        None => format!("• {date}: {} for your message ({place})", mention(giver)),
    }
}

/// Where a kudos happened: the channel, which Slack shows as a link to it.
pub fn place(channel: &str) -> String {
    format!("in <#{channel}>")
}

pub fn home_blocks(recent: &[String], stats_text: &str, private: bool, emoji: &str) -> Vec<Block> {
    let mut blocks = vec![Block::Divider, header("Kudos")];
    if recent.is_empty() {
        blocks.push(section(&format!(
            "*Received lately*\nNo kudos yet. They'll show up here when a colleague reacts with :{emoji}: on your message or uses `/kudos`."
        )));
    } else {
        blocks.push(section(&format!(
            "*Received lately*\n{}",
            recent.join("\n")
        )));
    }
    blocks.push(section(stats_text));
    let (pref, button_text, action, value) = if private {
        (
            "*How you're thanked:* privately. Kudos for you come as a direct message and nothing is posted in the channel.",
            "Celebrate them publicly",
            "home_kudos_public",
            "public",
        )
    } else {
        (
            "*How you're thanked:* publicly. Kudos for you are celebrated in the kudos channel.",
            "Keep them private",
            "home_kudos_private",
            "private",
        )
    };
    blocks.push(
        Section::new(pref)
            .accessory(Button::new(action, button_text).value(value))
            .into(),
    );
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::block_kit::{self, View};
    use serde_json::Value;

    fn users(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("U{i}")).collect()
    }

    #[test]
    fn people_grow_into_others() {
        assert_eq!(people_of(&users(1), 1), "<@U0>");
        assert_eq!(people_of(&users(2), 2), "<@U0> and <@U1>");
        assert_eq!(people_of(&users(3), 3), "<@U0>, <@U1> and <@U2>");
        assert_eq!(people_of(&users(5), 5), "<@U0>, <@U1> and 3 others");
        // Only the oldest are read for a long celebration; the count is exact.
        assert_eq!(people_of(&users(3), 120), "<@U0>, <@U1> and 118 others");
        assert_eq!(people_all(&users(3)), "<@U0>, <@U1> and <@U2>");
    }

    /// The longest reason allowed, every byte of it hostile.
    fn hostile_reason(len: usize) -> String {
        "<!channel> <!here> <!everyone> <!subteam^S1|@team> "
            .chars()
            .cycle()
            .take(len)
            .collect()
    }

    fn assert_quiet(v: &str) {
        for token in ["<!channel>", "<!here>", "<!everyone>", "<!subteam"] {
            assert!(!v.contains(token), "{token} in {v}");
        }
    }

    /// Inside Slack's limits, and pinging no one.
    fn check(payload: &Value) {
        block_kit::assert_within_limits(payload);
        assert_quiet(&payload.to_string());
    }

    fn most() -> Stats {
        Stats {
            received_week: u32::MAX,
            received_month: u32::MAX,
            received_all: u32::MAX,
            given_week: u32::MAX,
            given_month: u32::MAX,
            given_all: u32::MAX,
            best_week: Some((chrono::NaiveDate::MAX, u32::MAX)),
            giving_streak: u32::MAX,
        }
    }

    fn roundup(named: &[String], total: usize, link: Option<&'static str>) -> (String, Blocks) {
        let lines: Vec<RoundupLine<'_>> = (0..10)
            .map(|_| RoundupLine {
                named,
                total,
                receiver: "U0ALICE0001",
                channel: "C0SUPPORT0001",
                link,
            })
            .collect();
        celebration_roundup(&lines, "trophy")
    }

    #[test]
    fn renderers_fit_slack_with_ordinary_input() {
        let (_, blocks) = command_celebration("U0ALICE001", &users(2), "the refunds", "trophy");
        check(&blocks.to_value());
        let (text, blocks) = command_celebration_joined(
            "U0ALICE001",
            &users(1),
            "the refunds",
            &users(2),
            2,
            "trophy",
        );
        check(&blocks.to_value());
        assert!(
            text.contains("<@U0> and <@U1> joined in · 3 kudos"),
            "{text}"
        );
        let (_, blocks) = message_celebration(&users(1), 1, "U9", "C1", "trophy");
        check(&blocks.to_value());
        check(&roundup(&users(2), 2, None).1.to_value());
        let at = chrono::Utc::now();
        let recent = [recent_line("U1", at, chrono_tz::UTC, &place("C1"), None)];
        for (recent, private) in [(&recent[..], false), (&[][..], true)] {
            let home = home_blocks(
                recent,
                &stats(&Stats::default(), "trophy"),
                private,
                "trophy",
            );
            check(&View::home(home).to_value());
        }
    }

    #[test]
    fn renderers_fit_slack_with_maximal_input() {
        let reason = hostile_reason(MAX_REASON_CHARS);
        let many = users(60);
        let (text, blocks) = command_celebration("U0ALICE001", &many, &reason, "trophy");
        check(&blocks.to_value());
        assert_quiet(&text);
        assert!(text.contains("<@U59>"), "every recipient is named");
        let (text, blocks) =
            command_celebration_joined("U0ALICE001", &users(1), &reason, &many, 10_000, "trophy");
        check(&blocks.to_value());
        assert_quiet(&text);
        let (_, blocks) = message_celebration(&many, 10_000, "U9", "C1", "trophy");
        check(&blocks.to_value());
        // A roundup of as many as the outbox merges (ten), each at its longest.
        let link =
            "https://a-very-long-workspace-name.slack.com/archives/C0SUPPORT0001/p1732610000000100";
        check(&roundup(&users(3), usize::MAX, Some(link)).1.to_value());
        assert_quiet(&dm_for_command("U1", &reason, "trophy"));
        // Rows stored before the limit may hold any length.
        let old = hostile_reason(900_000);
        let at = chrono::Utc::now();
        let recent: Vec<String> = (0..5)
            .map(|_| recent_line("U1", at, chrono_tz::UTC, &place("C1"), Some(&old)))
            .collect();
        for private in [true, false] {
            let home = home_blocks(&recent, &stats(&most(), "trophy"), private, "trophy");
            check(&View::home(home).to_value());
        }
        assert!(reason_too_long(3_500).contains("3500") && reason_too_long(3_500).contains("500"));
    }

    #[test]
    fn celebrations_carry_the_placeholders() {
        let (text, blocks) = message_celebration(&users(2), 2, "U9", "C1", "trophy");
        assert!(text.contains(QUOTE) && text.contains(PERMALINK), "{text}");
        let b = blocks.to_value().to_string();
        assert!(
            b.contains(QUOTE) && b.contains(PERMALINK) && b.contains("2 kudos"),
            "{b}"
        );
    }

    #[test]
    fn the_home_button_says_what_it_switches_to() {
        let home = View::home(home_blocks(&[], "stats", true, "trophy")).to_value();
        let button = &home["blocks"][4]["accessory"];
        assert_eq!(button["action_id"], "home_kudos_public");
        assert_eq!(button["value"], "public");
        assert_eq!(button["text"]["text"], "Celebrate them publicly");
    }
}
