//! Every understaffed-mode message people read, kept together.

use crate::{
    config::PodConfig,
    domain::{
        block_kit::{Actions, Block, Blocks, Button, Style, message_text, section},
        ids::UserId,
        mrkdwn,
    },
    features::roles::rotation::{Move, role_label},
};
use chrono::{DateTime, Utc};

use super::{limits::MAX_REASON_CHARS, store::Switch};
use crate::features::pods;

/// The manager's reason as the team reads it: pinging no one, and no longer
/// than a reason may be (a row from before the limit can be).
fn why(switch: &Switch) -> String {
    mrkdwn::said(&switch.reason, MAX_REASON_CHARS)
}

pub fn reason_too_long(chars: usize) -> String {
    format!(
        "That reason is {chars} characters, and understaffed mode takes up to {MAX_REASON_CHARS}: it shows in every check-in prompt while the pod is short. Please shorten it and switch it on again; nothing changed yet."
    )
}

/// "45 min", "3 h 20 min", "2 days 4 h".
pub fn duration(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} day{}", if d == 1 { "" } else { "s" }),
        (d, h, _) => format!("{d} day{} {h} h", if d == 1 { "" } else { "s" }),
    }
}

/// "17:00 today", "09:00 tomorrow" or "23:59 on Fri 27 Nov", in the pod's zone.
pub fn when(pod: &PodConfig, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&pod.timezone);
    let today = now.with_timezone(&pod.timezone).date_naive();
    let day = if local.date_naive() == today {
        "today".to_string()
    } else if local.date_naive().pred_opt() == Some(today) {
        "tomorrow".to_string()
    } else {
        format!("on {}", local.format("%a %-d %b"))
    };
    format!("{} {day} ({})", local.format("%H:%M"), pod.timezone)
}

fn until_clause(pod: &PodConfig, switch: &Switch, now: DateTime<Utc>) -> String {
    match switch.until_at {
        Some(until) => format!("until {}", when(pod, until, now)),
        None => "until a manager switches it off".to_string(),
    }
}

fn moves_lines(moves: &[Move]) -> Vec<String> {
    moves
        .iter()
        .map(|m| {
            format!(
                "• <@{}>: {} → {}",
                m.user,
                role_label(&m.from),
                role_label(&m.to)
            )
        })
        .collect()
}

/// The announcement in the pod channel: why, the playbook, thanks.
pub fn announcement(
    pod: &PodConfig,
    switch: &Switch,
    moves: &[Move],
    now: DateTime<Utc>,
) -> (String, Blocks) {
    let mut playbook = vec![
        "• Meetings and non-priority work are off for now.".to_string(),
        "• Tickets that can wait are deferred; customers first, backlog later.".to_string(),
    ];
    if pod.help_channels.is_empty() {
        playbook.push("• Simple tickets may go to other departments.".to_string());
    } else {
        let channels: Vec<String> = pod
            .help_channels
            .iter()
            .map(|c| format!("<#{c}>"))
            .collect();
        playbook.push(format!(
            "• Simple tickets may go to other departments: I've asked for help in {}.",
            pods::join_words(&channels)
        ));
    }
    if let Some(note) = pod
        .overtime_note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        playbook.push(format!("• Extra hours: {}", note.trim()));
    }
    let mut text = format!(
        ":rotating_light: *The {} pod is understaffed {}.*\nWhy: {}\n\n*For now:*\n{}",
        pod.name,
        until_clause(pod, switch, now),
        why(switch),
        playbook.join("\n")
    );
    if !moves.is_empty() {
        text.push_str(&format!(
            "\n\n*Supporting roles are paused; these moves are in place until we're back to full strength:*\n{}",
            moves_lines(moves).join("\n")
        ));
    }
    text.push_str("\n\nThank you for carrying this. Days like this are when recognition matters most: a :trophy: or a `/kudos` for whoever helps you out goes a long way.");
    let blocks = Blocks::new(vec![section(&text)]);
    (message_text(&text), blocks)
}

/// The request for help in another department's channel. The reason stays in
/// the pod: it may be personal (someone is sick).
pub fn help_request(pod: &PodConfig, value: &str) -> (String, Blocks) {
    let text = format!(
        ":wave: The {} pod is short-handed right now. Could you take a few simple tickets? Press *I can help* and their manager will reach out.",
        pod.name
    );
    let help = Button::new("staffing_help", "I can help")
        .style(Style::Primary)
        .value(value);
    let blocks = Blocks::new(vec![
        section(&text),
        Actions::new("staffing_help", help).into(),
    ]);
    (text, blocks)
}

/// The help request once the pod is back: no button, a thank-you.
pub fn help_closed(pod: &PodConfig) -> (String, Blocks) {
    let text = format!(
        ":white_check_mark: The {} pod is back to full strength; no more help is needed. Thank you to everyone who offered!",
        pod.name
    );
    let blocks = Blocks::new(vec![section(&text)]);
    (text, blocks)
}

pub fn helper_thanks(pod: &PodConfig, helper: &UserId) -> String {
    format!(
        "Thank you, <@{helper}>! :raised_hands: The {} pod's managers know, and will reach out with a few simple tickets.",
        pod.name
    )
}

pub fn helper_to_managers(pod: &PodConfig, helper: &UserId, channel: &str) -> String {
    format!(
        ":raised_hands: <@{helper}> offered to take simple tickets for the {} pod (from <#{channel}>). Reach out to hand a few over, and thank them when it's done.",
        pod.name
    )
}

pub fn help_not_needed(pod: &PodConfig) -> String {
    format!(
        "Thank you for offering! The {} pod is back to full strength, so no help is needed right now.",
        pod.name
    )
}

/// The all-clear in the pod channel.
pub fn all_clear(
    pod: &PodConfig,
    lasted_secs: i64,
    helpers: &[UserId],
    restored: &[Move],
    by_until: bool,
) -> (String, Blocks) {
    let mut text = format!(
        ":white_check_mark: *All clear: the {} pod is back to full strength* after {}{}. Meetings and regular work are back on.",
        pod.name,
        duration(lasted_secs),
        if by_until {
            " (the planned end has come)"
        } else {
            ""
        }
    );
    if !restored.is_empty() {
        let people: Vec<String> = restored
            .iter()
            .map(|m| format!("<@{}> back to {}", m.user, role_label(&m.from)))
            .collect();
        text.push_str(&format!(
            "\nRoles are back to this week's roster: {}.",
            people.join(", ")
        ));
    }
    if helpers.is_empty() {
        text.push_str("\nThank you all for carrying it. Now is a good moment to give kudos to the people who held the fort.");
    } else {
        text.push_str(&format!(
            "\n{} stepped in from other teams. Now is a good moment to give kudos to them and to everyone who held the fort: `/kudos @colleague what they did`.",
            pods::join_people(helpers)
        ));
    }
    let blocks = Blocks::new(vec![section(&text)]);
    (message_text(&text), blocks)
}

/// For check-in prompts and App Home while the pod is understaffed.
pub fn banner(switch: &Switch) -> String {
    format!(
        ":rotating_light: We're understaffed: {}. Meetings and non-priority work are off, and tickets that can wait are deferred. Thank you for carrying this.",
        why(switch)
    )
}

pub fn switched_on_reply(pod: &PodConfig, switch: &Switch, now: DateTime<Utc>) -> String {
    let help = if pod.help_channels.is_empty() {
        String::new()
    } else {
        let channels: Vec<String> = pod
            .help_channels
            .iter()
            .map(|c| format!("<#{c}>"))
            .collect();
        format!(" and asked for help in {}", pods::join_words(&channels))
    };
    format!(
        "Done: the {} pod is understaffed {}. I told the team in <#{}>{help}. `/understaffed off` ends it.",
        pod.name,
        until_clause(pod, switch, now),
        pod.channel
    )
}

pub fn reason_updated_reply(pod: &PodConfig, switch: &Switch, now: DateTime<Utc>) -> String {
    format!(
        "The {} pod was already understaffed, so I updated it instead: the reason is now “{}”, {}. The announcement in <#{}> shows the change.",
        pod.name,
        why(switch),
        until_clause(pod, switch, now),
        pod.channel
    )
}

pub fn switched_off_reply(pod: &PodConfig, lasted_secs: i64) -> String {
    format!(
        "Done: the {} pod is back to normal after {}. I posted the all-clear in <#{}>.",
        pod.name,
        duration(lasted_secs),
        pod.channel
    )
}

pub fn not_on(pod: &PodConfig) -> String {
    format!(
        "The {} pod isn't understaffed right now, so there is nothing to switch off. To switch it on: `/understaffed on REASON`.",
        pod.name
    )
}

pub fn not_a_manager(pod: &PodConfig) -> String {
    format!(
        "Only the {} pod's managers ({}) can switch understaffed mode. If the pod is running short, let them know.",
        pod.name,
        pods::managers_text(pod)
    )
}

/// One line of `/understaffed` per pod.
pub fn status_line(pod: &PodConfig, switch: Option<&Switch>, now: DateTime<Utc>) -> String {
    match switch {
        None => format!("• *{}*: fully staffed", pod.name),
        Some(s) => format!(
            "• *{}*: :rotating_light: understaffed for {} (since {}, switched on by <@{}>), {}. Why: {}",
            pod.name,
            duration((now - s.started_at).num_seconds()),
            when(pod, s.started_at, now),
            s.started_by,
            until_clause(pod, s, now),
            why(s)
        ),
    }
}

pub fn home_section(pod: &PodConfig, switch: &Switch, now: DateTime<Utc>) -> Block {
    section(&format!(
        "*The {} pod is understaffed {}.*\n{}",
        pod.name,
        until_clause(pod, switch, now),
        banner(switch)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::block_kit::{self, View};
    use serde_json::Value;

    use chrono::TimeZone;

    /// A pod as large as a config might make it.
    fn big_pod() -> PodConfig {
        let ids = |p: &str, n: usize| {
            (0..n)
                .map(|i| format!("\"{p}{i:08}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "[[pods]]\nname = \"{}\"\nchannel = \"C0SUPPORT1\"\nmanagers = [{}]\nmembers = [{}]\nhelp_channels = [{}]\novertime_note = \"{}\"\n",
            "p".repeat(60),
            ids("U0M", 20),
            ids("U0X", 300),
            ids("C0H", 30),
            "o".repeat(1_000)
        );
        crate::config::TeamConfig::parse(&text, "t.toml")
            .expect("parses")
            .pods
            .remove(0)
    }

    /// Inside Slack's limits, and pinging no one.
    fn check(payload: &Value) {
        block_kit::assert_within_limits(payload);
        let body = payload.to_string();
        assert!(!body.contains("<!"), "{body}");
    }

    #[test]
    fn renderers_fit_slack_with_ordinary_input() {
        let text =
            "[[pods]]\nname = \"support\"\nchannel = \"C0SUPPORT1\"\nmembers = [\"U0ALICE001\"]\n";
        let pod = crate::config::TeamConfig::parse(text, "t.toml")
            .expect("parses")
            .pods
            .remove(0);
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let switch = Switch {
            id: 1,
            pod: pod.name.clone(),
            reason: "two people out sick".into(),
            started_by: "U0M00000000".into(),
            started_at: now,
            until_at: None,
        };
        let (_, request) = help_request(&pod, "support");
        let body = request.to_value();
        assert_eq!(body[1]["elements"][0]["action_id"], "staffing_help");
        assert_eq!(body[1]["elements"][0]["value"], "support");
        for b in [
            announcement(&pod, &switch, &[], now).1.to_value(),
            body,
            help_closed(&pod).1.to_value(),
            all_clear(&pod, 3_600, &[], &[], false).1.to_value(),
            View::home(vec![home_section(&pod, &switch, now)]).to_value(),
        ] {
            check(&b);
        }
    }

    #[test]
    fn renderers_fit_slack_with_maximal_input() {
        let pod = big_pod();
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let moves: Vec<Move> = pod
            .members
            .iter()
            .map(|u| Move {
                user: u.clone(),
                from: "r".repeat(100),
                to: "s".repeat(100),
            })
            .collect();
        let hostile: String = "<!channel> <!here> <!subteam^S1|@t> "
            .chars()
            .cycle()
            .take(MAX_REASON_CHARS)
            .collect();
        // The longest reason allowed, and a row from before the limit.
        for reason in [hostile, "<!everyone>".repeat(100_000)] {
            let switch = Switch {
                id: 1,
                pod: pod.name.clone(),
                reason,
                started_by: "U0M00000000".into(),
                started_at: now,
                until_at: Some(now + chrono::Duration::days(400)),
            };
            let (text, blocks) = announcement(&pod, &switch, &moves, now);
            let home = View::home(vec![home_section(&pod, &switch, now)]);
            let (_, all_clear) = all_clear(&pod, i64::MAX, &pod.members, &moves, true);
            for b in [
                blocks.to_value(),
                help_request(&pod, &"v".repeat(10_000)).1.to_value(),
                help_closed(&pod).1.to_value(),
                all_clear.to_value(),
                home.to_value(),
            ] {
                check(&b);
            }
            assert!(text.chars().count() <= block_kit::MESSAGE_TEXT_CHARS);
            for said in [
                text,
                banner(&switch),
                status_line(&pod, Some(&switch), now),
                reason_updated_reply(&pod, &switch, now),
            ] {
                assert!(!said.contains("<!"), "{said}");
            }
        }
        assert!(reason_too_long(301).contains("301") && reason_too_long(301).contains("300"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(59), "0 min");
        assert_eq!(duration(45 * 60), "45 min");
        assert_eq!(duration(3 * 3600), "3 h");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(duration(26 * 3600), "1 day 2 h");
        assert_eq!(duration(48 * 3600), "2 days");
    }
}
