//! Every roles message people read, kept together so they can be reviewed together.

use crate::{
    config::PodConfig,
    domain::{
        block_kit::{Blocks, message_text, section},
        ids::UserId,
    },
};
use chrono::NaiveDate;

use super::rotation::{Move, Roster, role_label};

pub const USAGE: &str = "• `/roles`: this week's roles\n• `/roles swap @a @b`: swap two people's roles this week (managers)\n• `/roles set @a ROLE`: give someone a role this week (managers)\n• add `--pod NAME` when you are not in the pod's channel";

fn week_label(week: NaiveDate) -> String {
    week.format("%a %-d %b").to_string()
}

/// The roster as lines: one per role, then the unfilled ones and who floats.
fn roster_lines(pod: &PodConfig, roles: &[String], roster: &Roster, moves: &[Move]) -> String {
    let mut lines = Vec::new();
    for role in roles {
        let holders: Vec<String> = roster
            .iter()
            .filter(|(r, _)| r == role)
            .map(|(_, u)| match moves.iter().find(|m| &m.user == u) {
                Some(m) => format!("<@{u}> (from {} while we're short)", role_label(&m.from)),
                None => format!("<@{u}>"),
            })
            .collect();
        if !holders.is_empty() {
            lines.push(format!("• *{}*: {}", role_label(role), holders.join(", ")));
        }
    }
    // Roles from an older config still show, so nobody silently loses theirs.
    for (role, user) in roster.iter().filter(|(r, _)| !roles.contains(r)) {
        lines.push(format!("• *{}*: <@{user}>", role_label(role)));
    }
    let paused: Vec<String> = moves.iter().map(|m| role_label(&m.from)).collect();
    let unfilled: Vec<String> = roles
        .iter()
        .filter(|r| !roster.iter().any(|(held, _)| held == *r))
        .map(|r| role_label(r))
        .filter(|r| !paused.contains(r))
        .collect();
    if !unfilled.is_empty() {
        lines.push(format!(
            "_Not filled this week (more roles than people):_ {}",
            unfilled.join(", ")
        ));
    }
    if !paused.is_empty() {
        let mut distinct = paused.clone();
        distinct.dedup();
        lines.push(format!(
            "_Paused while we're understaffed:_ {}",
            distinct.join(", ")
        ));
    }
    let floating: Vec<String> = pod
        .members
        .iter()
        .filter(|m| !roster.iter().any(|(_, u)| &u == m))
        .map(|m| format!("<@{m}>"))
        .collect();
    if !floating.is_empty() {
        lines.push(format!(
            "_No fixed role, helping wherever it's busiest:_ {}",
            floating.join(", ")
        ));
    }
    if lines.is_empty() {
        lines.push("Nobody is listed as a member of this pod yet, so there are no roles to hand out. Whoever runs needful can add them to the pod in its setup.".to_string());
    }
    lines.join("\n")
}

/// `/roles`: this week's roster, for the person who asked.
pub fn roster_reply(
    pod: &PodConfig,
    week: NaiveDate,
    roles: &[String],
    roster: &Roster,
    moves: &[Move],
) -> String {
    format!(
        "*Roles in the {} pod, week of {}*\n{}",
        pod.name,
        week_label(week),
        roster_lines(pod, roles, roster, moves)
    )
}

/// The Monday post in the pod channel.
pub fn weekly_post(
    pod: &PodConfig,
    week: NaiveDate,
    roles: &[String],
    roster: &Roster,
    moves: &[Move],
) -> (String, Blocks) {
    let text = format!(
        ":calendar: New week, new roles for the {} pod (week of {}):\n{}\nThank you all, and have a good week!",
        pod.name,
        week_label(week),
        roster_lines(pod, roles, roster, moves)
    );
    let blocks = Blocks::new(vec![section(&text)]);
    (message_text(&text), blocks)
}

/// What a change did, one clause per person: "<@a> is now on *Chat*".
pub fn change_clause(user: &UserId, role: Option<&str>) -> String {
    match role {
        Some(role) => format!("<@{user}> is now on *{}*", role_label(role)),
        None => format!("<@{user}> has no fixed role and helps wherever it's busiest"),
    }
}

/// Announced in the pod channel after a swap or set.
pub fn change_post(manager: &UserId, clauses: &[String]) -> (String, Blocks) {
    let text = format!(
        ":arrows_counterclockwise: Role change for this week, from <@{manager}>: {}. Thanks for being flexible!",
        clauses.join("; ")
    );
    let blocks = Blocks::new(vec![section(&text)]);
    (message_text(&text), blocks)
}

pub fn change_reply(pod: &PodConfig) -> String {
    format!("Done. I told the {} pod in <#{}>.", pod.name, pod.channel)
}

pub fn not_a_manager(pod: &PodConfig, managers: &str) -> String {
    format!(
        "Only the {} pod's managers ({managers}) can change this week's roles. If a swap would help, ask them: they can run `/roles swap @a @b`.",
        pod.name
    )
}

pub fn not_in_pod(pod: &PodConfig, user: &UserId) -> String {
    format!(
        "<@{user}> isn't a member of the {} pod, so they can't take one of its roles. Members are listed under the pod in needful's setup.",
        pod.name
    )
}

pub fn unknown_role(role: &str, roles: &[String]) -> String {
    format!(
        "The `{}` role isn't one of this pod's roles. Pick one of: {}.",
        crate::domain::mrkdwn::echo(role),
        roles
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// App Home: the person's role this week, per pod they work in.
pub fn home_line(pod: &PodConfig, role: Option<&str>, moved_from: Option<&str>) -> String {
    match (role, moved_from) {
        (Some(role), Some(from)) => format!(
            ":busts_in_silhouette: This week in the {} pod you're on *{}* (moved from {} while the pod is understaffed).",
            pod.name,
            role_label(role),
            role_label(from)
        ),
        (Some(role), None) => format!(
            ":busts_in_silhouette: This week in the {} pod you're on *{}*.",
            pod.name,
            role_label(role)
        ),
        (None, _) => format!(
            ":busts_in_silhouette: This week in the {} pod you have no fixed role: help wherever it's busiest.",
            pod.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::block_kit::{self, View};

    #[test]
    fn renderers_fit_slack_with_ordinary_input() {
        let text = "[[pods]]\nname = \"support\"\nchannel = \"C0SUPPORT1\"\nmembers = [\"U0ALICE001\", \"U0BOB00001\", \"U0CAROL001\"]\n";
        let pod = crate::config::TeamConfig::parse(text, "t.toml")
            .expect("parses")
            .pods
            .remove(0);
        let roles = vec!["triage".to_string(), "chat".to_string()];
        let roster: Roster = vec![("triage".into(), pod.members[0].clone())];
        let week = NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid");
        let (_, blocks) = weekly_post(&pod, week, &roles, &roster, &[]);
        block_kit::assert_within_limits(&blocks.to_value());
        let clause = change_clause(&pod.members[1], Some("chat"));
        let (_, blocks) = change_post(&pod.members[0], &[clause]);
        block_kit::assert_within_limits(&blocks.to_value());
        // App Home: one section per pod, as `home_blocks` builds it.
        let lines = [
            home_line(&pod, Some("chat"), Some("triage")),
            home_line(&pod, Some("chat"), None),
            home_line(&pod, None, None),
        ];
        let home = lines.iter().map(|l| block_kit::section(l)).collect();
        block_kit::assert_within_limits(&View::home(home).to_value());
    }

    #[test]
    fn renderers_fit_slack_with_maximal_input() {
        let members: Vec<String> = (0..300).map(|i| format!("\"U0X{i:08}\"")).collect();
        let text = format!(
            "[[pods]]\nname = \"{}\"\nchannel = \"C0SUPPORT1\"\nmembers = [{}]\n",
            "p".repeat(60),
            members.join(", ")
        );
        let pod = crate::config::TeamConfig::parse(&text, "t.toml")
            .expect("parses")
            .pods
            .remove(0);
        let roles: Vec<String> = (0..100)
            .map(|i| format!("role-{i}-{}", "r".repeat(50)))
            .collect();
        let roster: Roster = pod
            .members
            .iter()
            .take(150)
            .enumerate()
            .map(|(i, u)| (roles[i % roles.len()].clone(), u.clone()))
            .collect();
        let moves: Vec<Move> = roster
            .iter()
            .map(|(r, u)| Move {
                user: u.clone(),
                from: r.clone(),
                to: "floater".into(),
            })
            .collect();
        let week = NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid");
        let (text, blocks) = weekly_post(&pod, week, &roles, &roster, &moves);
        block_kit::assert_within_limits(&blocks.to_value());
        assert!(text.chars().count() <= block_kit::MESSAGE_TEXT_CHARS);
        let clauses: Vec<String> = pod
            .members
            .iter()
            .map(|u| change_clause(u, Some(&roles[0])))
            .collect();
        let (_, blocks) = change_post(&pod.members[0], &clauses);
        block_kit::assert_within_limits(&blocks.to_value());
    }
}
