//! Every message about the trophy that people read, kept together for review.
//! Block Kit always comes with the same words as plain `text`.

use super::{
    parse::{MAX_REASON_CHARS, ParseError, Verb},
    store::{Kind, Pass},
};
use crate::{
    domain::{
        block_kit::{Block, Blocks, context, header, message_text, section},
        ids::{ChannelId, UserId},
        mrkdwn,
    },
    features::Reply,
};
use chrono::{DateTime, Utc};

/// A date every reader sees in their own time zone (Slack renders it).
fn date(at: DateTime<Utc>) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}}|{}>",
        at.timestamp(),
        at.format("%b %-d, %Y")
    )
}

fn held_for(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match (now - since).num_days() {
        d if d < 1 => "since today".to_string(),
        1 => format!("since {} (1 day)", date(since)),
        d => format!("since {} ({d} days)", date(since)),
    }
}

/// A reason as people read it: quoted, pinging no one, and no longer than
/// a reason may be (rows from before the limit can be).
fn quoted(reason: &str) -> String {
    format!("“{}”", mrkdwn::said(reason, MAX_REASON_CHARS))
}

/// One line of the chain.
pub fn chain_line(p: &Pass) -> String {
    let what = match (p.kind, &p.from) {
        (Kind::First, _) | (_, None) => {
            format!("<@{}> started the chain with <@{}>", p.by, p.to)
        }
        (Kind::Pass, Some(from)) => format!("<@{from}> → <@{}>", p.to),
        (Kind::Reassign, Some(from)) => {
            format!("<@{}> reassigned it from <@{from}> to <@{}>", p.by, p.to)
        }
    };
    format!(
        "*#{}* · {} · {what}: {}",
        p.number,
        date(p.at),
        quoted(&p.reason)
    )
}

fn with_blocks(text: String, blocks: Vec<Block>) -> Reply {
    Reply {
        text: message_text(&text),
        blocks: Some(Blocks::new(blocks)),
        in_channel: false,
    }
}

fn holder_line(name: &str, current: &Pass, now: DateTime<Utc>) -> String {
    format!(
        ":trophy: <@{}> holds the *{name}* {}, for {}",
        current.to,
        held_for(current.at, now),
        quoted(&current.reason)
    )
}

fn start_hint() -> &'static str {
    "A manager starts the chain with `/trophy pass @colleague what they did for a customer`."
}

/// `/trophy`: the holder and the last few passes.
pub fn status(name: &str, current: Option<&Pass>, recent: &[Pass], now: DateTime<Utc>) -> Reply {
    let Some(current) = current else {
        let text = format!(":trophy: Nobody holds the *{name}* yet. {}", start_hint());
        return with_blocks(text.clone(), vec![section(&text)]);
    };
    let head = holder_line(name, current, now);
    let mut blocks = vec![section(&head)];
    let mut text = head;
    if !recent.is_empty() {
        let title = match recent.len() {
            1 => "*The chain so far*".to_string(),
            n => format!("*Last {n} passes*"),
        };
        let lines: Vec<String> = recent.iter().map(chain_line).collect();
        text.push_str(&format!("\n\n{title}\n{}", lines.join("\n")));
        blocks.push(section(&title));
        blocks.extend(lines.iter().map(|l| context(l)));
    }
    let tail = "Whole chain: `/trophy history`";
    text.push_str(&format!("\n{tail}"));
    blocks.push(context(tail));
    with_blocks(text, blocks)
}

/// `/trophy history [page]`.
pub fn history(name: &str, page: i64, pages: i64, total: i64, passes: &[Pass]) -> Reply {
    if total == 0 {
        let text = format!(
            "The *{name}* has not been passed yet, so there is no history. {}",
            start_hint()
        );
        return with_blocks(text.clone(), vec![section(&text)]);
    }
    let head = format!("*{name}: the whole chain* (page {page} of {pages}, newest first)");
    let lines: Vec<String> = passes.iter().map(chain_line).collect();
    let mut blocks = vec![section(&head)];
    blocks.extend(lines.iter().map(|l| section(l)));
    let mut text = format!("{head}\n{}", lines.join("\n"));
    if page < pages {
        let more = format!("Older passes: `/trophy history {}`", page + 1);
        text.push_str(&format!("\n{more}"));
        blocks.push(context(&more));
    }
    with_blocks(text, blocks)
}

pub fn no_such_page(page: i64, pages: i64) -> String {
    let (has, hint) = if pages == 1 {
        ("has 1 page".to_string(), "`/trophy history`".to_string())
    } else {
        (
            format!("has {pages} pages"),
            format!("`/trophy history {pages}` for the oldest passes"),
        )
    };
    format!("There is no page {page}: the chain {has}. Try {hint}.")
}

pub fn help(name: &str) -> String {
    format!(
        "The *{name}* goes to whoever went beyond for a customer; its holder passes it on.\n\
         • `/trophy`: who holds it, since when, for what, and the last 5 passes\n\
         • `/trophy pass @colleague what they did`: pass it on (holder only)\n\
         • `/trophy history` (or `/trophy history 2`): the whole chain, 10 per page\n\
         • `/trophy reassign @colleague why`: managers, when the holder has left"
    )
}

pub fn parse_error(name: &str, e: &ParseError) -> String {
    match e {
        ParseError::MissingUser { verb, got: None } => format!(
            "Who should get the {name}? Mention them: `/trophy {} @colleague what they did for a customer`.",
            verb.word()
        ),
        ParseError::MissingUser {
            verb,
            got: Some(got),
        } => format!(
            "I couldn't find a person in `{}`. Pick them from Slack's @-list so it becomes a mention: `/trophy {} @colleague what they did`.",
            mrkdwn::echo(got),
            verb.word()
        ),
        ParseError::MissingReason {
            verb: Verb::Pass,
            to,
        } => format!(
            "Please add what <@{to}> did for a customer; it is what the team will read: `/trophy pass <@{to}> stayed late to fix the refund queue`."
        ),
        ParseError::MissingReason {
            verb: Verb::Reassign,
            to,
        } => format!(
            "Please add why the {name} moves to <@{to}>, so the chain explains itself: `/trophy reassign <@{to}> Alice moved teams; Bob saved the Acme renewal`."
        ),
        ParseError::ReasonTooLong { chars, .. } => format!(
            "That reason is {chars} characters, and the trophy takes up to {MAX_REASON_CHARS} so the announcement stays readable. Please shorten it and pass it again; nothing changed yet."
        ),
        ParseError::BadPage(raw) => {
            format!(
                "`{}` is not a page number. Pages start at 1: `/trophy history 2`.",
                mrkdwn::echo(raw)
            )
        }
        ParseError::Unknown(word) => format!(
            "I don't know `/trophy {}`.\n{}",
            mrkdwn::echo(word),
            help(name)
        ),
    }
}

pub fn not_the_holder(name: &str, holder: &UserId, caller_is_manager: bool) -> String {
    let mut text = format!(
        "Only the holder can pass the {name}, and right now that is <@{holder}>. \
         If someone went beyond for a customer, tell <@{holder}>, or thank them with `/kudos`."
    );
    if caller_is_manager {
        text.push_str(&format!(
            " If <@{holder}> has left the team, you can move it on with `/trophy reassign @colleague why`."
        ));
    }
    text
}

pub fn no_holder_needs_manager(name: &str, managers: &[UserId]) -> String {
    let who = if managers.is_empty() {
        "a manager (none is set up yet: whoever runs needful can add one to a pod)".to_string()
    } else {
        managers
            .iter()
            .map(|m| format!("<@{m}>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "Nobody holds the {name} yet, and the first pass is made by a manager: {who}. \
         Tell them who went beyond for a customer!"
    )
}

pub fn only_managers_reassign(name: &str, holder: Option<&UserId>) -> String {
    match holder {
        Some(holder) => format!(
            "Only a manager can reassign the {name}. If you think it should move on, ask <@{holder}> to pass it, or talk to your manager."
        ),
        None => format!(
            "Only a manager can reassign the {name}, and nobody holds it yet. A manager starts the chain with `/trophy pass`."
        ),
    }
}

pub fn nothing_to_reassign(name: &str) -> String {
    format!(
        "Nobody holds the {name} yet, so there is nothing to reassign. Start the chain with `/trophy pass @colleague what they did`."
    )
}

pub fn to_yourself(name: &str) -> String {
    format!(
        "The {name} goes to someone else: pass it to a colleague who went beyond for a customer."
    )
}

pub fn to_a_bot(name: &str, to: &UserId) -> String {
    format!(
        "<@{to}> is a bot, and the {name} is for people. Pick a colleague who went beyond for a customer."
    )
}

pub fn already_holds(name: &str, to: &UserId) -> String {
    format!("<@{to}> already holds the {name}. Choose someone else, or leave it with them.")
}

pub fn raced(name: &str) -> String {
    format!(
        "The {name} moved on a moment ago, so I changed nothing. See who holds it now with `/trophy`."
    )
}

/// Who made the pass and what it says, for the channel and the new holder.
fn what_happened(name: &str, p: &Pass) -> String {
    match (p.kind, &p.from) {
        (Kind::Pass, Some(from)) => format!(
            "<@{from}> passed the *{name}* to <@{}> for {}",
            p.to,
            quoted(&p.reason)
        ),
        (Kind::Reassign, Some(from)) => format!(
            "<@{}> reassigned the *{name}* from <@{from}> to <@{}>: {}",
            p.by,
            p.to,
            quoted(&p.reason)
        ),
        _ => format!(
            "The *{name}* has its first holder: <@{}>, chosen by <@{}> for {}",
            p.to,
            p.by,
            quoted(&p.reason)
        ),
    }
}

/// The post in the kudos channel.
pub fn announcement(name: &str, p: &Pass) -> (String, Blocks) {
    let text = format!(":trophy: {}", what_happened(name, p));
    let blocks = Blocks::new(vec![
        section(&text),
        context(&format!(
            "Pass #{} · see the whole chain with `/trophy history`",
            p.number
        )),
    ]);
    (text, blocks)
}

/// The direct message to the new holder.
pub fn welcome(name: &str, p: &Pass) -> (String, Blocks) {
    let why = quoted(&p.reason);
    let how_it_came = match (p.kind, &p.from) {
        (Kind::Pass, Some(from)) => format!("<@{from}> passed it to you for {why}."),
        (Kind::Reassign, _) => format!("<@{}> reassigned it to you: {why}.", p.by),
        _ => format!("<@{}> chose you as its first holder, for {why}.", p.by),
    };
    let head = format!(":trophy: You now hold the *{name}*! {how_it_came}");
    let how = "Keep it until you see a colleague go beyond for a customer, then pass it on with `/trophy pass @colleague what they did`.";
    let text = format!("{head}\n{how}");
    (text, Blocks::new(vec![section(&head), context(how)]))
}

/// The caller's confirmation. `announced_in` is None when no kudos channel is set.
pub fn confirmation(name: &str, p: &Pass, announced_in: Option<&ChannelId>) -> String {
    let done = match p.kind {
        Kind::Reassign => format!("Done: the {name} is reassigned to <@{}>.", p.to),
        _ => format!("Done: <@{}> now holds the {name}.", p.to),
    };
    match announced_in {
        Some(channel) => format!(
            "{done} I'm announcing it in <#{channel}> and letting <@{}> know by direct message.",
            p.to
        ),
        None => format!(
            "{done} I'm letting <@{}> know by direct message. No kudos channel is set up, so I didn't announce it anywhere; tell the team yourself!",
            p.to
        ),
    }
}

/// Sent to the caller if Slack refuses the announcement (e.g. needful is not in the channel).
pub fn announcement_refused(name: &str, channel: &ChannelId) -> String {
    format!(
        "The {name} pass is recorded, but I couldn't announce it in <#{channel}>. Invite me there with `/invite @needful` so the next one is celebrated."
    )
}

/// The holder's gentle reminder after `days` days.
pub fn nudge(name: &str, days: i64) -> (String, Blocks) {
    let head = format!(
        ":trophy: You've held the *{name}* for {days} days. No rush, but who went beyond for a customer this week?"
    );
    let how = "When you spot them, pass it on with `/trophy pass @colleague what they did`.";
    let text = format!("{head}\n{how}");
    (text, Blocks::new(vec![section(&head), context(how)]))
}

/// The trophy's part of the App Home.
pub fn home(
    name: &str,
    current: Option<&Pass>,
    user: &UserId,
    is_manager: bool,
    now: DateTime<Utc>,
) -> Vec<Block> {
    let mut blocks = vec![Block::Divider, header(&format!("{name} 🏆"))];
    match current {
        Some(p) if &p.to == user => {
            blocks.push(section(&format!(
                ":trophy: *You hold it* {}, for {}",
                held_for(p.at, now),
                quoted(&p.reason)
            )));
            blocks.push(context(
                "When a colleague goes beyond for a customer, pass it on: `/trophy pass @colleague what they did`.",
            ));
        }
        Some(p) => {
            blocks.push(section(&holder_line(name, p, now)));
            blocks.push(context("The chain so far: `/trophy history`"));
        }
        None if is_manager => {
            blocks.push(section(&format!("Nobody holds the {name} yet.")));
            blocks.push(context(
                "As a manager you can start the chain: `/trophy pass @colleague what they did for a customer`.",
            ));
        }
        None => blocks.push(section(&format!(
            "Nobody holds the {name} yet. A manager will start the chain."
        ))),
    }
    blocks
}

/// The reason recorded when the trophy comes back from someone who left.
pub fn returned(leaver: &UserId) -> String {
    format!("came back from <@{leaver}>, deactivated in Slack")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::block_kit::{self, View};
    use chrono::TimeZone;
    use serde_json::Value;

    fn pass(kind: Kind, from: Option<&str>) -> Pass {
        Pass {
            id: 7,
            number: 3,
            at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap(),
            kind,
            from: from.map(|f| UserId::parse(f).unwrap()),
            to: UserId::parse("U0BOB00001").unwrap(),
            reason: "saved the Acme renewal".into(),
            by: UserId::parse("U0MANAGER1").unwrap(),
        }
    }

    fn hostile(len: usize) -> String {
        "<!channel> <!here> <!everyone> <!subteam^S1|@team> <@U0BOB00001> "
            .chars()
            .cycle()
            .take(len)
            .collect()
    }

    fn check(blocks: &Value) {
        block_kit::assert_within_limits(blocks);
        let body = blocks.to_string();
        for token in ["<!channel>", "<!here>", "<!everyone>", "<!subteam"] {
            assert!(!body.contains(token), "{token} in {body}");
        }
    }

    #[test]
    fn renderers_fit_slack_with_ordinary_input() {
        let name = "Needful Trophy";
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let passes: Vec<Pass> = [(Kind::First, None), (Kind::Pass, Some("U0ALICE001"))]
            .into_iter()
            .map(|(kind, from)| pass(kind, from))
            .collect();
        for reply in [
            status(name, Some(&passes[1]), &passes, now),
            status(name, Some(&passes[0]), &passes[..1], now),
            history(name, 1, 2, 12, &passes),
            history(name, 2, 2, 12, &passes),
        ] {
            check(&reply.blocks.map(|b| b.to_value()).unwrap_or_default());
        }
        for p in &passes {
            check(&announcement(name, p).1.to_value());
            check(&welcome(name, p).1.to_value());
        }
        check(&nudge(name, 8).1.to_value());
        let holder = UserId::parse("U0BOB00001").unwrap();
        let other = UserId::parse("U0CAROL001").unwrap();
        for (current, me) in [
            (Some(&passes[1]), &holder),
            (Some(&passes[1]), &other),
            (None, &other),
        ] {
            check(&View::home(home(name, current, me, true, now)).to_value());
        }
    }

    #[test]
    fn renderers_fit_slack_with_maximal_input() {
        let name = "N".repeat(200);
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        // The longest reason allowed, and an old row from before the limit.
        for len in [MAX_REASON_CHARS, 900_000] {
            let passes: Vec<Pass> = [Kind::First, Kind::Pass, Kind::Reassign]
                .into_iter()
                .cycle()
                .take(10)
                .map(|kind| Pass {
                    reason: hostile(len),
                    number: i64::MAX,
                    ..pass(kind, Some("U0ALICE001"))
                })
                .collect();
            let top = &passes[0];
            for reply in [
                status(&name, Some(top), &passes[..5], now),
                status(&name, None, &[], now),
                history(&name, i64::MAX - 1, i64::MAX, i64::MAX, &passes),
                history(&name, 1, 1, 0, &[]),
            ] {
                check(&reply.blocks.map(|b| b.to_value()).unwrap_or_default());
                assert!(reply.text.chars().count() <= block_kit::MESSAGE_TEXT_CHARS);
            }
            for p in &passes[..3] {
                check(&announcement(&name, p).1.to_value());
                check(&welcome(&name, p).1.to_value());
            }
            check(&nudge(&name, i64::MAX).1.to_value());
            let me = UserId::parse("U0BOB00001").unwrap();
            for current in [Some(top), None] {
                for manager in [true, false] {
                    check(&View::home(home(&name, current, &me, manager, now)).to_value());
                }
            }
        }
    }

    #[test]
    fn chain_lines_say_who_did_what() {
        let first = chain_line(&pass(Kind::First, None));
        assert!(first.contains("<@U0MANAGER1> started the chain with <@U0BOB00001>"));
        let p = chain_line(&pass(Kind::Pass, Some("U0ALICE001")));
        assert!(p.contains("<@U0ALICE001> → <@U0BOB00001>") && p.contains("#3"));
        assert!(p.contains("Nov 25, 2026") && p.contains("Acme"));
        let r = chain_line(&pass(Kind::Reassign, Some("U0ALICE001")));
        assert!(r.contains("<@U0MANAGER1> reassigned it from <@U0ALICE001>"));
    }

    #[test]
    fn held_for_counts_days() {
        let since = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        assert_eq!(held_for(since, since), "since today");
        assert!(held_for(since, since + chrono::Duration::days(3)).ends_with("(3 days)"));
        assert!(held_for(since, since + chrono::Duration::hours(30)).ends_with("(1 day)"));
    }

    #[test]
    fn a_missing_page_points_to_the_last() {
        assert!(no_such_page(4, 2).contains("`/trophy history 2`"));
        assert!(no_such_page(2, 1).contains("has 1 page"));
    }
}
