//! Who does what this week: the pure rules, so fairness can be tested alone.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::domain::ids::UserId;

/// The default roles, most critical first: frontline, then supporting. The
/// supporting ones are ordered so that the least critical is last.
pub const DEFAULT_ROLES: &[&str] = &[
    "triage",
    "phone-coordinator",
    "ticket-tank",
    "chat",
    "phone",
    "subject-matter-expert",
    "training",
    "knowledge-manager",
];

/// Roles that can pause while the pod is understaffed.
pub const SUPPORTING: &[&str] = &["subject-matter-expert", "training", "knowledge-manager"];

pub fn is_supporting(role: &str) -> bool {
    SUPPORTING.contains(&role)
}

/// (role, person) in role order; a person holds at most one role.
pub type Roster = Vec<(String, UserId)>;

/// Someone moved to a frontline role while the pod is understaffed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub user: UserId,
    pub from: String,
    pub to: String,
}

/// The Monday of the week `date` is in (weeks run Monday to Sunday).
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Weeks since a fixed Monday, so every week shifts the rotation by one.
pub fn week_number(monday: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or_default();
    (monday - epoch).num_days().div_euclid(7)
}

/// This week's roster. Members (in the given order) sit on a wheel of slots,
/// one per member: the first slots are the roles, most critical first (so with
/// fewer people than roles the critical ones are filled), the rest mean "no
/// fixed role". The wheel turns one step a week, so over as many weeks as there
/// are members everyone holds every slot once and nobody keeps a role two weeks
/// running. When the team changed (someone away), a repair pass swaps anyone
/// who would repeat last week's role with someone for whom the swap is safe.
pub fn rotate(roles: &[String], members: &[UserId], week: i64, last_week: &Roster) -> Roster {
    let n = members.len();
    if n == 0 {
        return Vec::new();
    }
    let filled = roles.len().min(n);
    let shift = usize::try_from(week.rem_euclid(n as i64)).unwrap_or(0);
    let mut slot: Vec<usize> = (0..n).map(|i| (i + shift) % n).collect();
    let last: HashMap<&UserId, &str> = last_week.iter().map(|(r, u)| (u, r.as_str())).collect();
    let repeats = |person: usize, s: usize| {
        s < filled && last.get(&members[person]) == Some(&roles[s].as_str())
    };
    for i in 0..n {
        if !repeats(i, slot[i]) {
            continue;
        }
        if let Some(j) = (0..n).find(|&j| j != i && !repeats(i, slot[j]) && !repeats(j, slot[i])) {
            slot.swap(i, j);
        }
    }
    let mut roster: Vec<(usize, UserId)> = (0..n)
        .filter(|&i| slot[i] < filled)
        .map(|i| (slot[i], members[i].clone()))
        .collect();
    roster.sort_by_key(|(s, _)| *s);
    roster
        .into_iter()
        .map(|(s, u)| (roles[s].clone(), u))
        .collect()
}

/// While understaffed: supporting roles pause, least critical first, and
/// their holders join frontline roles: empty ones first (most critical first),
/// then alongside others, from the most critical on.
pub fn pause_supporting(roles: &[String], roster: &Roster) -> (Roster, Vec<Move>) {
    let frontline: Vec<&String> = roles.iter().filter(|r| !is_supporting(r)).collect();
    if frontline.is_empty() {
        return (roster.clone(), Vec::new());
    }
    let mut paused: Vec<&String> = roles.iter().filter(|r| is_supporting(r)).collect();
    paused.reverse();
    let mut targets: Vec<&String> = frontline
        .iter()
        .copied()
        .filter(|r| !roster.iter().any(|(held, _)| held == *r))
        .collect();
    let mut next_shared = frontline.iter().copied().cycle();
    let mut moves = Vec::new();
    for role in paused {
        for (_, user) in roster.iter().filter(|(held, _)| held == role) {
            let to = if targets.is_empty() {
                next_shared.next()
            } else {
                Some(targets.remove(0))
            };
            if let Some(to) = to {
                moves.push(Move {
                    user: user.clone(),
                    from: role.clone(),
                    to: to.clone(),
                });
            }
        }
    }
    let position = |role: &str| roles.iter().position(|r| r == role).unwrap_or(usize::MAX);
    let mut effective: Roster = roster
        .iter()
        .map(
            |(role, user)| match moves.iter().find(|m| &m.user == user) {
                Some(m) => (m.to.clone(), user.clone()),
                None => (role.clone(), user.clone()),
            },
        )
        .collect();
    effective.sort_by_key(|(role, _)| position(role));
    (effective, moves)
}

/// "knowledge-manager" → "Knowledge manager".
pub fn role_label(role: &str) -> String {
    let words = role.replace(['-', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn people(n: usize) -> Vec<UserId> {
        (0..n)
            .map(|i| UserId::parse(&format!("U0PERSON{i:02}")).unwrap())
            .collect()
    }

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn role_of<'a>(roster: &'a Roster, user: &UserId) -> Option<&'a str> {
        roster
            .iter()
            .find(|(_, u)| u == user)
            .map(|(r, _)| r.as_str())
    }

    #[test]
    fn everyone_holds_every_role_once_per_cycle_and_never_twice_running() {
        let roles = roles(&["triage", "chat", "phone"]);
        let team = people(3);
        let mut last = Vec::new();
        let mut held: HashMap<UserId, Vec<String>> = HashMap::new();
        for week in 100..106 {
            let roster = rotate(&roles, &team, week, &last);
            assert_eq!(roster.len(), 3);
            let order: Vec<&str> = roster.iter().map(|(r, _)| r.as_str()).collect();
            assert_eq!(order, ["triage", "chat", "phone"], "role order");
            for person in &team {
                let now = role_of(&roster, person).unwrap();
                assert_ne!(role_of(&last, person), Some(now), "week {week}: repeat");
                held.entry(person.clone())
                    .or_default()
                    .push(now.to_string());
            }
            last = roster;
        }
        for (person, history) in held {
            for cycle in history.chunks(3) {
                let distinct: HashSet<&String> = cycle.iter().collect();
                assert_eq!(distinct.len(), 3, "{person} over a cycle: {cycle:?}");
            }
        }
    }

    #[test]
    fn fewer_people_than_roles_fill_the_most_critical() {
        let all: Vec<String> = DEFAULT_ROLES.iter().map(|s| s.to_string()).collect();
        let roster = rotate(&all, &people(3), 7, &Vec::new());
        let order: Vec<&str> = roster.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(order, ["triage", "phone-coordinator", "ticket-tank"]);
    }

    #[test]
    fn more_people_than_roles_take_turns_without_a_role() {
        let roles = roles(&["triage", "chat"]);
        let team = people(4);
        let mut last = Vec::new();
        let mut roleless: HashMap<UserId, usize> = HashMap::new();
        for week in 0..8 {
            let roster = rotate(&roles, &team, week, &last);
            assert_eq!(roster.len(), 2);
            for p in &team {
                if role_of(&roster, p).is_none() {
                    *roleless.entry(p.clone()).or_default() += 1;
                } else {
                    assert_ne!(role_of(&last, p), role_of(&roster, p));
                }
            }
            last = roster;
        }
        assert!(roleless.values().all(|&weeks| weeks == 4), "{roleless:?}");
    }

    #[test]
    fn a_changed_team_still_avoids_repeats() {
        let roles = roles(&["triage", "chat", "phone"]);
        let team = people(4);
        let last = rotate(&roles, &team[..3], 10, &Vec::new());
        // Someone joins; the wheel is now four wide, which could repeat roles.
        for week in 11..20 {
            let roster = rotate(&roles, &team, week, &last);
            for p in &team {
                if let Some(now) = role_of(&roster, p) {
                    assert_ne!(role_of(&last, p), Some(now), "week {week}: {p} repeats");
                }
            }
        }
    }

    #[test]
    fn one_person_keeps_the_most_critical_role() {
        let roles = roles(&["triage", "chat"]);
        let team = people(1);
        let first = rotate(&roles, &team, 1, &Vec::new());
        let second = rotate(&roles, &team, 2, &first);
        assert_eq!(second, vec![("triage".to_string(), team[0].clone())]);
    }

    #[test]
    fn understaffed_pauses_supporting_roles_least_critical_first() {
        let all: Vec<String> = DEFAULT_ROLES.iter().map(|s| s.to_string()).collect();
        let team = people(8);
        let roster: Roster = all.iter().cloned().zip(team.iter().cloned()).collect();
        let (effective, moves) = pause_supporting(&all, &roster);
        let moved: Vec<(&str, &str)> = moves
            .iter()
            .map(|m| (m.from.as_str(), m.to.as_str()))
            .collect();
        assert_eq!(
            moved,
            [
                ("knowledge-manager", "triage"),
                ("training", "phone-coordinator"),
                ("subject-matter-expert", "ticket-tank")
            ]
        );
        assert!(effective.iter().all(|(r, _)| !is_supporting(r)));
        assert_eq!(effective.len(), 8);
        assert_eq!(effective[0].0, "triage");
        assert_eq!(effective[1], ("triage".to_string(), team[7].clone()));
    }

    #[test]
    fn understaffed_fills_empty_frontline_roles_first() {
        let roles = roles(&["triage", "chat", "training"]);
        let team = people(2);
        let roster: Roster = vec![
            ("triage".into(), team[0].clone()),
            ("training".into(), team[1].clone()),
        ];
        let (effective, moves) = pause_supporting(&roles, &roster);
        assert_eq!(moves[0].to, "chat");
        assert_eq!(effective[1], ("chat".to_string(), team[1].clone()));
        let (unchanged, none) = pause_supporting(&roles, &effective);
        assert!(none.is_empty());
        assert_eq!(unchanged, effective);
    }

    #[test]
    fn weeks_start_on_monday() {
        let wed = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mon = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(week_of(wed), mon);
        assert_eq!(
            week_number(mon) + 1,
            week_number(mon + chrono::Duration::days(7))
        );
        assert_eq!(role_label("knowledge-manager"), "Knowledge manager");
    }
}
