//! Every check-in message people read, kept together so they can be reviewed
//! as one. Block Kit always comes with a plain `text` fallback.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::limits::{MAX_AWAY_CHARS, MAX_NOTE_CHARS};
use super::schedule::{DayOff, Window};
use super::store::{Away, CheckIn};
use crate::domain::{
    block_kit::{self, Actions, Block, Blocks, Button, Input, Modal, Style, TextInput, View},
    mrkdwn,
};

/// How much of a note a list line shows, so a pod's list stays readable.
const LIST_NOTE_CHARS: usize = 300;

pub const OPEN_ACTION: &str = "checkin_open";
pub const MODAL_CALLBACK: &str = "checkin_modal";
/// The modal's note input: block id and action id.
pub const NOTE_INPUT: &str = "note";
pub const ACK_REACTION: &str = "white_check_mark";

/// How a pod's day stands: who checked in (on time, late), who is away and
/// who has not checked in yet.
#[derive(Debug, Clone)]
pub struct DayState {
    pub pod: String,
    pub tz: Tz,
    pub window: Window,
    pub on_time: Vec<CheckIn>,
    pub late: Vec<CheckIn>,
    pub away: Vec<(String, Away)>,
    pub missing: Vec<String>,
}

impl DayState {
    pub fn checked_in(&self) -> usize {
        self.on_time.len() + self.late.len()
    }
}

pub fn day(day: NaiveDate) -> String {
    day.format("%A %-d %B").to_string()
}

fn short_day(day: NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

fn clock(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%H:%M").to_string()
}

/// People's own words as needful repeats them: pinging no one, and within
/// `max` (rows from before the limits can be longer).
use crate::domain::mrkdwn::said;

/// A note on one line, for lists.
fn inline(note: &str) -> String {
    let one_line = note
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    said(&one_line, LIST_NOTE_CHARS)
}

/// A note as a block quote, keeping its lines.
fn quoted(note: &str) -> String {
    said(note, MAX_NOTE_CHARS)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn section(text: impl Into<String>) -> Block {
    block_kit::section(&text.into())
}

fn context(text: impl Into<String>) -> Block {
    block_kit::context(&text.into())
}

fn progress(state: &DayState) -> String {
    let mut line = match (state.checked_in(), state.missing.len()) {
        (0, _) => "Nobody has checked in yet.".to_string(),
        (n, 0) => format!("{n} checked in: that's everyone, thank you!"),
        (n, m) => format!("{n} checked in, {m} to go."),
    };
    if !state.away.is_empty() {
        line.push_str(&format!(" {} away.", state.away.len()));
    }
    line
}

/// The morning prompt in the pod channel. `closed` once the window is over.
pub fn prompt(
    state: &DayState,
    roster: &[(String, String)],
    banner: Option<&str>,
    closed: bool,
) -> (String, Blocks) {
    let w = &state.window;
    let text = format!(
        "Good morning, {} pod! Check-in for {}: reply in this thread with your focus for today, or press Check in.",
        state.pod,
        day(w.day)
    );
    let mut blocks = vec![block_kit::header(&format!("Check-in · {}", day(w.day)))];
    if let Some(banner) = banner {
        blocks.push(section(banner.to_string()));
    }
    blocks.push(section(format!(
        "Good morning, *{}* pod! :wave: Reply in this thread with your focus for today (and any blockers), or press *Check in*.",
        state.pod
    )));
    if !roster.is_empty() {
        let roles: Vec<String> = roster
            .iter()
            .map(|(role, person)| format!("*{role}*: <@{person}>"))
            .collect();
        blocks.push(section(format!("Roles today: {}", roles.join(" · "))));
    }
    let check_in = Button::new(OPEN_ACTION, "Check in")
        .style(Style::Primary)
        .value(&format!("{}:{}", state.pod, w.day.format("%Y-%m-%d")));
    blocks.push(Actions::new("checkin_actions", check_in).into());
    let when = if closed {
        format!(
            "The window closed at {}. Late check-ins still count.",
            clock(state.tz, w.closes)
        )
    } else {
        format!(
            "Open until {} ({}).",
            clock(state.tz, w.closes),
            state.tz.name()
        )
    };
    blocks.push(context(format!("{} {when}", progress(state))));
    (text, Blocks::new(blocks))
}

/// The check-in modal, pre-filled with today's note when there is one.
pub fn modal(pod: &str, day_: NaiveDate, note: Option<&str>) -> View {
    // An older, longer note is shortened to the limit rather than make
    // Slack refuse the whole modal.
    let element = TextInput::new(NOTE_INPUT)
        .multiline()
        .max_length(MAX_NOTE_CHARS)
        .placeholder("Focus today, blockers, hours")
        .initial_value(note.unwrap_or_default());
    let blocks = vec![
        section(format!("*{pod}* · {}", day(day_))),
        Input::new(NOTE_INPUT, "Note (optional)", element)
            .optional()
            .into(),
    ];
    Modal::new("Morning check-in", MODAL_CALLBACK, blocks)
        .submit("Check in")
        .close("Cancel")
        .private_metadata(&format!("{pod}:{}", day_.format("%Y-%m-%d")))
        .into()
}

/// What one check-in came to, for the confirmation.
#[derive(Debug, Clone)]
pub struct Ack {
    pub pod: String,
    pub window: Window,
    pub tz: Tz,
    pub updated: bool,
    pub late: bool,
    pub note: Option<String>,
}

pub fn ack(a: &Ack) -> String {
    let mut text = if a.updated {
        format!(
            ":white_check_mark: Updated your check-in for *{}* ({}). You're still counted once.",
            a.pod,
            short_day(a.window.day)
        )
    } else {
        format!(
            ":white_check_mark: You're checked in for *{}* ({}). Have a good day!",
            a.pod,
            short_day(a.window.day)
        )
    };
    if let Some(note) = &a.note {
        text.push_str(&format!("\n{}", quoted(note)));
    }
    if a.late && !a.updated {
        text.push_str(&format!(
            "\nThe window closed at {}, so this counts as a late check-in. Your manager will see it.",
            clock(a.tz, a.window.closes)
        ));
    }
    text
}

pub fn day_off(pod: &str, off: DayOff, today: NaiveDate) -> String {
    match off {
        DayOff::Holiday => format!(
            "Today ({}) is a holiday for *{pod}*: no check-in needed. Enjoy the day!",
            short_day(today)
        ),
        DayOff::NotAWorkday => format!(
            "*{pod}* doesn't check in on {}s, so there's nothing to do today. Enjoy!",
            today.format("%A")
        ),
    }
}

pub fn not_a_member() -> String {
    "You're not on any pod's check-in list, so there's nothing to check in for.".to_string()
}

pub fn not_in_this_pod(pod: &str, own_pods: &[String]) -> String {
    if own_pods.is_empty() {
        format!(
            "This is *{pod}*'s check-in, and you're not on its member list, so I didn't count it. \
             If you should be, run `/checkin` and ask to join it."
        )
    } else {
        format!(
            "This is *{pod}*'s check-in, and you check in with *{}*. Use `/checkin` with a note and I'll count it there.",
            own_pods.join("*, *")
        )
    }
}

pub fn pod_gone() -> String {
    "This check-in belongs to a pod needful no longer has, so there's nothing to record. \
     Use `/checkin` to check in for today."
        .to_string()
}

pub fn help() -> String {
    [
        "*Morning check-ins*",
        "• Reply in the thread of today's check-in prompt, press *Check in* on it, or type `/checkin` with a note, e.g. `/checkin refunds queue, then the billing training`.",
        "• Checking in again just updates your note.",
        "• `/checkin away until 2026-12-04 vacation`: not counted as missing until then (inclusive). `/checkin back` when you return.",
        "• `/checkin status`: today's check-ins for the pods you manage (managers only).",
    ]
    .join("\n")
}

pub fn note_too_long(chars: usize) -> String {
    format!(
        "That note is {chars} characters, and a check-in note takes up to {MAX_NOTE_CHARS}. Please shorten it to today's focus and blockers and check in again; I didn't record this one."
    )
}

pub fn away_reason_too_long(chars: usize) -> String {
    format!(
        "That reason is {chars} characters, and an away reason takes up to {MAX_AWAY_CHARS}: a word or two like `vacation` is plenty. Please shorten it and try again; nothing changed yet."
    )
}

pub fn away_usage() -> String {
    "Tell me until when, e.g. `/checkin away until 2026-12-04 vacation` (the date is your last day away). \
     `/checkin back` ends it early."
        .to_string()
}

pub fn away_bad_date(raw: &str) -> String {
    format!(
        "I couldn't read `{}` as a date. Use YYYY-MM-DD or `tomorrow`, e.g. `/checkin away until 2026-12-04 vacation`.",
        mrkdwn::echo(raw)
    )
}

pub fn away_date_passed(until: NaiveDate) -> String {
    format!(
        "{} has already passed. Give your last day away, e.g. `/checkin away until {} sick`.",
        short_day(until),
        (until + chrono::Duration::days(7)).format("%Y-%m-%d")
    )
}

pub fn away_set(until: NaiveDate, reason: Option<&str>) -> String {
    let why = reason
        .map(|r| format!(" ({})", said(r, MAX_AWAY_CHARS)))
        .unwrap_or_default();
    format!(
        ":palm_tree: Got it: you're away through {}{why}. You won't be counted as missing; \
         use `/checkin back` if you return earlier. Take care!",
        short_day(until)
    )
}

pub fn back(was_away: bool) -> String {
    if was_away {
        "Welcome back! :wave: You're on the check-in list again from today.".to_string()
    } else {
        "You weren't marked away, so nothing changed. Use `/checkin` with a note to check in."
            .to_string()
    }
}

pub fn status_refused(managers: &[String]) -> String {
    let who = if managers.is_empty() {
        "your pod's managers".to_string()
    } else {
        managers
            .iter()
            .map(|m| format!("<@{m}>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "`/checkin status` shows the whole pod's check-ins, so it's for pod managers ({who}). \
         To check in yourself, use `/checkin` with a note."
    )
}

fn checkin_line(tz: Tz, c: &CheckIn) -> String {
    let mut line = format!("• <@{}> at {}", c.user, clock(tz, c.checked_in_at));
    if let Some(note) = &c.note {
        line.push_str(&format!(": {}", inline(note)));
    }
    line
}

fn away_line(user: &str, away: &Away) -> String {
    let why = away
        .reason
        .as_ref()
        .map(|r| format!(", {}", said(r, MAX_AWAY_CHARS)))
        .unwrap_or_default();
    format!("• <@{user}> (through {}{why})", short_day(away.until))
}

/// The sections of a day's state: who checked in (with notes), late, away, missing.
fn state_sections(state: &DayState) -> Vec<String> {
    let mut out = Vec::new();
    let list = |items: &[CheckIn]| {
        items
            .iter()
            .map(|c| checkin_line(state.tz, c))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !state.on_time.is_empty() {
        out.push(format!(
            "*Checked in ({})*\n{}",
            state.on_time.len(),
            list(&state.on_time)
        ));
    }
    if !state.late.is_empty() {
        out.push(format!(
            "*Late ({})*\n{}",
            state.late.len(),
            list(&state.late)
        ));
    }
    if !state.missing.is_empty() {
        out.push(format!(
            "*Not checked in ({})*\n{}",
            state.missing.len(),
            state
                .missing
                .iter()
                .map(|u| format!("• <@{u}>"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    if !state.away.is_empty() {
        out.push(format!(
            "*Away ({})*\n{}",
            state.away.len(),
            state
                .away
                .iter()
                .map(|(u, a)| away_line(u, a))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    if out.is_empty() {
        out.push("Nobody is on this pod's check-in list yet.".to_string());
    }
    out
}

fn counts(state: &DayState) -> String {
    let mut parts = vec![if state.late.is_empty() {
        format!("{} checked in", state.checked_in())
    } else {
        format!(
            "{} checked in ({} late)",
            state.checked_in(),
            state.late.len()
        )
    }];
    parts.push(format!("{} not checked in", state.missing.len()));
    if !state.away.is_empty() {
        parts.push(format!("{} away", state.away.len()));
    }
    parts.join(", ")
}

/// The managers' direct message when the window closes.
pub fn summary(state: &DayState) -> (String, Blocks) {
    let w = &state.window;
    let text = format!(
        "Check-in summary for {}, {}: {}.",
        state.pod,
        day(w.day),
        counts(state)
    );
    let mut blocks = vec![block_kit::header(&format!(
        "{} · check-ins · {}",
        state.pod,
        short_day(w.day)
    ))];
    // A big pod's list takes several sections rather than being cut.
    blocks.extend(
        state_sections(state)
            .iter()
            .flat_map(|s| block_kit::sections(s)),
    );
    let mut blocks = block_kit::fit(
        blocks,
        block_kit::MESSAGE_BLOCKS - 1,
        "That's as much as fits in one message; `/checkin status` shows the whole list.",
    );
    blocks.push(context(format!(
        "The window ran {}–{} ({}). Late check-ins will reach you here as they come in.",
        clock(state.tz, w.opens),
        clock(state.tz, w.closes),
        state.tz.name()
    )));
    (text, Blocks::new(blocks))
}

/// A late check-in after the summary went out, for the managers.
pub fn late_followup(pod: &str, tz: Tz, window: &Window, c: &CheckIn) -> String {
    let note = c
        .note
        .as_ref()
        .map(|n| format!(": {}", inline(n)))
        .unwrap_or_default();
    format!(
        ":clock3: <@{}> checked in late for *{pod}* ({}) at {}{note}",
        c.user,
        short_day(window.day),
        clock(tz, c.checked_in_at)
    )
}

/// One pod's part of `/checkin status`.
pub fn status(state: &DayState, now: DateTime<Utc>) -> String {
    let w = &state.window;
    let phase = if now < w.opens {
        format!("opens at {}", clock(state.tz, w.opens))
    } else if now < w.closes {
        format!("open until {}", clock(state.tz, w.closes))
    } else {
        format!("closed at {}", clock(state.tz, w.closes))
    };
    format!(
        "*{}* · {} · window {phase}: {}\n{}",
        state.pod,
        short_day(w.day),
        counts(state),
        state_sections(state).join("\n")
    )
}

pub fn status_day_off(pod: &str, off: DayOff, today: NaiveDate) -> String {
    match off {
        DayOff::Holiday => format!(
            "*{pod}*: today ({}) is a holiday, no check-in.",
            short_day(today)
        ),
        DayOff::NotAWorkday => format!("*{pod}*: no check-in on {}s.", today.format("%A")),
    }
}

/// A member's own line in App Home.
pub fn home_line(
    pod: &str,
    channel: &str,
    tz: Tz,
    window: &Window,
    mine: Option<&CheckIn>,
    away: Option<&Away>,
    now: DateTime<Utc>,
) -> String {
    match (mine, away) {
        (Some(c), _) => {
            let note = c
                .note
                .as_ref()
                .map(|n| format!(": {}", inline(n)))
                .unwrap_or_default();
            let late = if c.late { " (late)" } else { "" };
            format!(
                ":white_check_mark: *{pod}*: you checked in at {}{late}{note}. `/checkin` again updates your note.",
                clock(tz, c.checked_in_at)
            )
        }
        (None, Some(a)) => format!(
            ":palm_tree: *{pod}*: you're away through {}. `/checkin back` when you return.",
            short_day(a.until)
        ),
        (None, None) if now < window.opens => format!(
            ":sunrise: *{pod}*: today's check-in opens at {} in <#{channel}>. You can already type `/checkin` with your focus for today.",
            clock(tz, window.opens)
        ),
        (None, None) => format!(
            ":hourglass_flowing_sand: *{pod}*: you haven't checked in yet today. Reply in the thread of today's prompt in <#{channel}>, or type `/checkin` with your focus for today."
        ),
    }
}

pub fn home_day_off(pod: &str, off: DayOff) -> String {
    match off {
        DayOff::Holiday => format!(":beach_with_umbrella: *{pod}*: holiday today, no check-in."),
        DayOff::NotAWorkday => format!(":sparkles: *{pod}*: no check-in today. Enjoy!"),
    }
}

pub fn home_blocks(lines: Vec<String>) -> Vec<Block> {
    if lines.is_empty() {
        return vec![];
    }
    // One section for all of a person's pods, split only when it must be,
    // so many pods never push the rest of App Home past its block limit.
    let mut blocks = vec![Block::Divider];
    blocks.extend(block_kit::sections(&format!(
        "*Morning check-in*\n{}",
        lines.join("\n")
    )));
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    fn state() -> DayState {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0)
                .single()
                .expect("valid")
        };
        DayState {
            pod: "support".into(),
            tz: chrono_tz::Europe::Berlin,
            window: Window {
                day: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid"),
                opens: at(8, 0),
                closes: at(10, 0),
            },
            on_time: vec![CheckIn {
                user: "U0ALICE001".into(),
                note: Some("refunds <!channel>".into()),
                late: false,
                checked_in_at: at(8, 5),
            }],
            late: vec![CheckIn {
                user: "U0BOB00001".into(),
                note: None,
                late: true,
                checked_in_at: at(10, 30),
            }],
            away: vec![(
                "U0CAROL001".into(),
                Away {
                    until: NaiveDate::from_ymd_opt(2026, 12, 4).expect("valid"),
                    reason: Some("vacation".into()),
                },
            )],
            missing: vec!["U0DAVE0001".into()],
        }
    }

    #[test]
    fn renderers_fit_slack_with_ordinary_input() {
        let s = state();
        let roster = vec![("Triage".to_string(), "U0ALICE001".to_string())];
        for (_, blocks) in [
            prompt(&s, &roster, Some("Understaffed today"), false),
            prompt(&s, &[], None, true),
            summary(&s),
        ] {
            check(&blocks.to_value());
        }
        for note in [Some("hi"), Some(""), None] {
            check(&modal("support", s.window.day, note).to_value());
        }
        check(&View::home(home_blocks(vec!["a".into()])).to_value());
        assert!(home_blocks(vec![]).is_empty());
    }

    #[test]
    fn the_button_and_the_modal_carry_what_their_handlers_read() {
        let s = state();
        let (_, blocks) = prompt(&s, &[], None, false);
        let blocks = blocks.to_value();
        let actions = blocks
            .as_array()
            .and_then(|b| b.iter().find(|b| b["type"] == "actions"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(actions["elements"][0]["action_id"], OPEN_ACTION);
        assert_eq!(actions["elements"][0]["value"], "support:2026-11-25");
        let view = modal("support", s.window.day, Some("refunds")).to_value();
        assert_eq!(view["callback_id"], MODAL_CALLBACK);
        assert_eq!(view["private_metadata"], "support:2026-11-25");
        let input = &view["blocks"][1];
        assert_eq!(input["block_id"], NOTE_INPUT);
        assert_eq!(input["element"]["action_id"], NOTE_INPUT);
        assert_eq!(input["element"]["initial_value"], "refunds");
        assert_eq!(input["element"]["max_length"], MAX_NOTE_CHARS);
    }

    fn hostile(len: usize) -> String {
        "<!channel> <!here>\n<!everyone> <!subteam^S1|@t> @here "
            .chars()
            .cycle()
            .take(len)
            .collect()
    }

    fn check(payload: &Value) {
        block_kit::assert_within_limits(payload);
        let body = payload.to_string();
        assert!(!body.contains("<!"), "{body}");
    }

    /// A pod of 300 in every state, with the longest notes and reasons.
    fn crowded(note_len: usize) -> DayState {
        let mut s = state();
        let ids = |p: &'static str| (0..300).map(move |i| format!("{p}{i:08}"));
        let one = s.on_time[0].clone();
        s.on_time = ids("U0A")
            .map(|user| CheckIn {
                user,
                note: Some(hostile(note_len)),
                ..one.clone()
            })
            .collect();
        s.late = s
            .on_time
            .iter()
            .map(|c| CheckIn {
                late: true,
                ..c.clone()
            })
            .collect();
        let away = s.away[0].1.clone();
        s.away = ids("U0W")
            .map(|u| {
                let reason = Some(hostile(MAX_AWAY_CHARS));
                (
                    u,
                    Away {
                        reason,
                        ..away.clone()
                    },
                )
            })
            .collect();
        s.missing = ids("U0M").collect();
        s
    }

    #[test]
    fn renderers_fit_slack_with_maximal_input() {
        // The longest note allowed, and a row from before the limit.
        for note_len in [MAX_NOTE_CHARS, 50_000] {
            let s = crowded(note_len);
            let roster: Vec<(String, String)> = (0..300)
                .map(|i| ("r".repeat(60), format!("U0R{i:08}")))
                .collect();
            // The banner comes rendered (and made quiet) by understaffed mode.
            let banner = mrkdwn::neutralize(&hostile(5_000)).into_owned();
            check(&prompt(&s, &roster, Some(&banner), false).1.to_value());
            check(&prompt(&s, &roster, None, true).1.to_value());
            let (text, blocks) = summary(&s);
            check(&blocks.to_value());
            assert!(text.chars().count() <= block_kit::MESSAGE_TEXT_CHARS);
            let note = hostile(note_len);
            // The input gives people their own words back to edit: plain
            // text, which pings no one, so only the limits matter there.
            let view = modal(&"p".repeat(100), s.window.day, Some(&note)).to_value();
            block_kit::assert_within_limits(&view);
            let c = &s.on_time[0];
            let ack_text = ack(&Ack {
                pod: s.pod.clone(),
                window: s.window,
                tz: s.tz,
                updated: false,
                late: true,
                note: c.note.clone(),
            });
            for said in [
                ack_text,
                late_followup(&s.pod, s.tz, &s.window, c),
                status(&s, s.window.opens),
                away_set(s.window.day, Some(&hostile(MAX_AWAY_CHARS))),
            ] {
                assert!(!said.contains("<!"), "{said}");
            }
            let lines: Vec<String> = (0..150)
                .map(|_| home_line("p", "C1", s.tz, &s.window, Some(c), None, s.window.opens))
                .collect();
            check(&View::home(home_blocks(lines)).to_value());
        }
    }

    #[test]
    fn the_summary_names_everyone_in_their_place() {
        let (text, blocks) = summary(&state());
        assert!(
            text.contains("2 checked in") && text.contains("1 late"),
            "{text}"
        );
        let body = blocks.to_value().to_string();
        assert!(
            body.contains("<@U0ALICE001> at 09:05: refunds @\u{2060}channel"),
            "{body}"
        );
        assert!(body.contains("*Late (1)*") && body.contains("<@U0BOB00001> at 11:30"));
        assert!(body.contains("*Not checked in (1)*") && body.contains("<@U0DAVE0001>"));
        assert!(body.contains("*Away (1)*") && body.contains("vacation"));
    }
}
