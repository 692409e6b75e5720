//! The setup's forms in Slack: which form a button or a submission means,
//! and what a submission changes. Pure: the caller brings the setup, the
//! time and what Slack said about the people and channels picked, and gets
//! back the changed setup or the messages to show beside the fields.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::render;
use crate::domain::mrkdwn::neutralize;
use crate::{
    config::{PodConfig, TeamConfig},
    domain::{
        ids::{ChannelId, UserId},
        input::FormSubmission,
        workspace::{ChannelAccess, Person},
    },
};

/// The forms' callback ids start with this; the setup feature claims them.
pub const PREFIX: &str = "setup_";

/// Check-in windows offered; a window set in needful.toml is offered too.
pub const WINDOWS: &[&str] = &["30m", "1h", "1h 30m", "2h", "3h", "4h", "6h", "8h"];
/// The longest overtime note, trophy name and role name people may type.
pub const NOTE_CHARS: usize = 500;
pub const NAME_CHARS: usize = 60;
pub const ROLE_CHARS: usize = 40;
/// The most roles a pod may have, and kudos a person may give in a day.
pub const MOST_ROLES: usize = 20;
pub const MOST_KUDOS_A_DAY: u32 = 100;

/// One of the setup's forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A pod's name, people and channels; `None` makes a new pod.
    Pod(Option<String>),
    /// A pod's check-in: time zone, time, workdays, window, holidays.
    Checkin(String),
    /// A pod's roles, most critical first.
    Roles(String),
    Kudos,
    Trophy,
}

/// Field errors by block id, as a modal shows them.
pub type FieldErrors = BTreeMap<String, String>;

impl Form {
    /// The form a button's value names (see [`Form::value`]).
    pub fn from_value(value: &str) -> Option<Form> {
        let (kind, pod) = value.split_once(':').unwrap_or((value, ""));
        let pod = pod.to_string();
        match kind {
            "new_pod" => Some(Form::Pod(None)),
            "pod" if !pod.is_empty() => Some(Form::Pod(Some(pod))),
            "checkin" if !pod.is_empty() => Some(Form::Checkin(pod)),
            "roles" if !pod.is_empty() => Some(Form::Roles(pod)),
            "kudos" => Some(Form::Kudos),
            "trophy" => Some(Form::Trophy),
            _ => None,
        }
    }

    /// What a button that opens this form carries.
    pub fn value(&self) -> String {
        match self {
            Form::Pod(None) => "new_pod".into(),
            Form::Pod(Some(pod)) => format!("pod:{pod}"),
            Form::Checkin(pod) => format!("checkin:{pod}"),
            Form::Roles(pod) => format!("roles:{pod}"),
            Form::Kudos => "kudos".into(),
            Form::Trophy => "trophy".into(),
        }
    }

    /// The modal's callback id: [`PREFIX`] and the form's value, so a
    /// submission says which form and pod it was.
    pub fn callback_id(&self) -> String {
        format!("{PREFIX}{}", self.value())
    }

    /// The form a submission's callback id names.
    pub fn from_callback(callback_id: &str) -> Option<Form> {
        Form::from_value(callback_id.strip_prefix(PREFIX)?)
    }

    /// The pod the form changes, if it is one pod's.
    pub fn pod(&self) -> Option<&str> {
        match self {
            Form::Pod(pod) => pod.as_deref(),
            Form::Checkin(pod) | Form::Roles(pod) => Some(pod),
            Form::Kudos | Form::Trophy => None,
        }
    }

    /// Forms only admins may use: new pods and the team-wide settings.
    pub fn for_admins(&self) -> bool {
        self.pod().is_none()
    }
}

/// A fingerprint of what `form` shows of `setup` (its pod, or the kudos or
/// trophy settings), kept in the modal: a save checks it, so a change made
/// by someone else while the form was open is never overwritten unseen.
pub fn fingerprint(form: &Form, setup: &TeamConfig) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let shown = match form {
        Form::Pod(None) => return String::new(),
        Form::Pod(Some(name)) | Form::Checkin(name) | Form::Roles(name) => setup
            .pods
            .iter()
            .find(|p| &p.name == name)
            .and_then(|p| serde_json::to_string(p).ok()),
        Form::Kudos => serde_json::to_string(&setup.kudos).ok(),
        Form::Trophy => serde_json::to_string(&setup.trophy).ok(),
    };
    let mut hasher = std::hash::DefaultHasher::new();
    shown.unwrap_or_default().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// What Slack said about the people and channels a form names, and the time.
pub struct Checks<'a> {
    pub now: DateTime<Utc>,
    pub person: &'a (dyn Fn(&UserId) -> Option<Person> + Sync),
    pub channel: &'a (dyn Fn(&ChannelId) -> Option<ChannelAccess> + Sync),
    /// needful's own user id: it is no one's manager or member.
    pub bot: Option<UserId>,
}

/// A submission that can be saved.
#[derive(Debug)]
pub struct Changed {
    pub next: TeamConfig,
    /// For the audit list: "changed the check-in of support".
    pub what: String,
    /// The pod's name before and after, when it was renamed.
    pub renamed: Option<(String, String)>,
    /// People who are new in the pod (told by DM).
    pub added: Vec<UserId>,
    /// The pod the form was about, by its name after the change.
    pub pod: Option<String>,
}

/// The setup after `form`'s submission, or the messages for its fields.
pub fn apply(
    form: &Form,
    setup: &TeamConfig,
    sub: &FormSubmission,
    checks: &Checks<'_>,
) -> Result<Changed, FieldErrors> {
    let mut next = setup.clone();
    let mut errors = FieldErrors::new();
    let index = match form.pod() {
        Some(name) => match next.pods.iter().position(|p| p.name == name) {
            Some(i) => Some(i),
            None => return Err(first_field(form, render::pod_gone())),
        },
        None => None,
    };
    let mut changed = Changed {
        next: TeamConfig::default(),
        what: String::new(),
        renamed: None,
        added: Vec::new(),
        pod: form.pod().map(str::to_string),
    };
    match form {
        Form::Pod(_) => {
            let pod = pod_form(sub, index.map(|i| &next.pods[i]), checks, &mut errors);
            if let Some(pod) = pod {
                let before = index.map(|i| next.pods[i].clone());
                changed.added = pod
                    .members
                    .iter()
                    .filter(|m| before.as_ref().is_none_or(|b| !b.members.contains(m)))
                    .cloned()
                    .collect();
                changed.pod = Some(pod.name.clone());
                match (index, before) {
                    (Some(i), Some(before)) => {
                        changed.what = format!("changed the people and channels of {}", pod.name);
                        if before.name != pod.name {
                            changed.what = format!(
                                "renamed {} to {}; {}",
                                before.name, pod.name, changed.what
                            );
                            changed.renamed = Some((before.name, pod.name.clone()));
                        }
                        next.pods[i] = pod;
                    }
                    _ => {
                        changed.what = format!("created the pod {}", pod.name);
                        next.pods.push(pod);
                    }
                }
            }
        }
        Form::Checkin(_) => {
            let i = index.unwrap_or_default();
            checkin_form(sub, &mut next.pods[i], checks, &mut errors);
            changed.what = format!("changed the check-in of {}", next.pods[i].name);
        }
        Form::Roles(_) => {
            let i = index.unwrap_or_default();
            next.pods[i].roles = roles_form(sub, &mut errors);
            changed.what = format!("changed the roles of {}", next.pods[i].name);
        }
        Form::Kudos => {
            kudos_form(sub, &mut next, checks, &mut errors);
            changed.what = "changed the kudos settings".into();
        }
        Form::Trophy => {
            trophy_form(sub, &mut next, &mut errors);
            changed.what = "changed the trophy settings".into();
        }
    }
    // The same rules as needful check-config, on what this form changes.
    let pod_index = match form {
        Form::Pod(None) => Some(next.pods.len().saturating_sub(1)),
        _ => index,
    };
    for problem in next.problems() {
        if let Some(block) = block_for(&problem.key, pod_index) {
            errors.entry(block.to_string()).or_insert(problem.message);
        }
    }
    if errors.is_empty() {
        changed.next = next;
        Ok(changed)
    } else {
        Err(errors)
    }
}

/// The form's block a `check-config` key is shown beside; None for keys
/// of other pods or settings this form does not change.
fn block_for(key: &str, pod: Option<usize>) -> Option<&'static str> {
    if let Some(rest) = key.strip_prefix("pods[") {
        let (i, field) = rest.split_once("].")?;
        if Some(i.parse::<usize>().ok()?) != pod {
            return None;
        }
        return Some(match field {
            "name" => "name",
            "channel" => "channel",
            "workdays" => "workdays",
            "checkin_window" => "window",
            "roles" => "roles",
            _ => return None,
        });
    }
    Some(match key {
        "kudos.reactions" => "reactions",
        "kudos.daily_limit" => "daily_limit",
        "trophy.name" => "trophy_name",
        _ => return None,
    })
}

/// A message on the form's first field, for what concerns the whole form.
pub fn first_field(form: &Form, message: String) -> FieldErrors {
    let block = match form {
        Form::Pod(_) => "name",
        Form::Checkin(_) => "timezone",
        Form::Roles(_) => "roles",
        Form::Kudos => "channel",
        Form::Trophy => "trophy_name",
    };
    [(block.to_string(), message)].into()
}

fn text(sub: &FormSubmission, block: &str) -> String {
    sub.value(block, block)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The pod as the form says, on top of `before` (None for a new pod).
fn pod_form(
    sub: &FormSubmission,
    before: Option<&PodConfig>,
    checks: &Checks<'_>,
    errors: &mut FieldErrors,
) -> Option<PodConfig> {
    let name = text(sub, "name");
    if name.chars().count() > NAME_CHARS {
        errors.insert("name".into(), render::too_long(NAME_CHARS));
    }
    let channel = match sub.value("channel", "channel").map(ChannelId::parse) {
        Some(Ok(channel)) => {
            if let Some(e) = channel_problem(&channel, checks) {
                errors.insert("channel".into(), e);
            }
            Some(channel)
        }
        _ => {
            errors.insert("channel".into(), render::pod_needs_channel());
            None
        }
    };
    let managers = people(sub, "managers", checks, errors);
    let members = people(sub, "members", checks, errors);
    let mut help_channels = Vec::new();
    for raw in sub.picks("help_channels", "help_channels") {
        match ChannelId::parse(raw) {
            Ok(c) => {
                if let Some(e) = channel_problem(&c, checks) {
                    errors.entry("help_channels".into()).or_insert(e);
                }
                if !help_channels.contains(&c) {
                    help_channels.push(c);
                }
            }
            Err(_) => {
                errors.insert("help_channels".into(), render::not_a_channel());
            }
        }
    }
    let note = text(sub, "overtime_note");
    if note.chars().count() > NOTE_CHARS {
        errors.insert("overtime_note".into(), render::too_long(NOTE_CHARS));
    }
    let channel = channel?;
    let mut pod = match before {
        Some(before) => before.clone(),
        None => PodConfig::new(&name, channel.clone()),
    };
    pod.name = name;
    pod.channel = channel;
    pod.managers = managers;
    pod.members = members;
    pod.help_channels = help_channels;
    // Shown in every understaffed announcement: it must ping nobody.
    pod.overtime_note = (!note.is_empty()).then(|| neutralize(&note).into_owned());
    Some(pod)
}

/// The people picked in `block`: each a person Slack knows as active.
fn people(
    sub: &FormSubmission,
    block: &str,
    checks: &Checks<'_>,
    errors: &mut FieldErrors,
) -> Vec<UserId> {
    let mut picked = Vec::new();
    for raw in sub.picks(block, block) {
        let Ok(user) = UserId::parse(raw) else {
            errors.insert(block.into(), render::not_a_person());
            continue;
        };
        let problem = match (checks.person)(&user) {
            _ if checks.bot.as_ref() == Some(&user) => Some(render::is_needful()),
            Some(p) if p.deleted => Some(render::deactivated(&p.name)),
            Some(p) if p.bot => Some(render::is_a_bot(&p.name)),
            _ => None,
        };
        if let Some(problem) = problem {
            errors.entry(block.into()).or_insert(problem);
        }
        if !picked.contains(&user) {
            picked.push(user);
        }
    }
    picked
}

/// Why needful cannot use `channel`, if it cannot. Unknown (Slack did not
/// answer in time) is no reason to refuse a change.
fn channel_problem(channel: &ChannelId, checks: &Checks<'_>) -> Option<String> {
    // Field errors are plain text, so they name channels by name, not `<#C…>`.
    match (checks.channel)(channel)? {
        ChannelAccess::Member => None,
        ChannelAccess::NotMember(name) => Some(render::invite_me(&name)),
        ChannelAccess::Archived(name) => Some(render::archived(&name)),
        ChannelAccess::NotFound => Some(render::channel_unknown()),
    }
}

fn checkin_form(
    sub: &FormSubmission,
    pod: &mut PodConfig,
    checks: &Checks<'_>,
    errors: &mut FieldErrors,
) {
    let zone = text(sub, "timezone");
    match zone.parse::<Tz>() {
        Ok(tz) => pod.timezone = tz,
        Err(_) => {
            errors.insert("timezone".into(), render::not_a_zone(&zone));
        }
    }
    match NaiveTime::parse_from_str(&text(sub, "checkin_at"), "%H:%M") {
        Ok(at) => pod.checkin_at = at,
        Err(_) => {
            errors.insert("checkin_at".into(), render::not_a_time());
        }
    }
    match humantime::parse_duration(&text(sub, "window")) {
        Ok(window) if window.as_secs() <= 12 * 3600 => pod.checkin_window = window,
        _ => {
            errors.insert("window".into(), render::not_a_window());
        }
    }
    let mut days = Vec::new();
    for raw in sub.picks("workdays", "workdays") {
        match raw.parse::<Weekday>() {
            Ok(day) if !days.contains(&day) => days.push(day),
            Ok(_) => {}
            Err(_) => {
                errors.insert("workdays".into(), render::not_a_day());
            }
        }
    }
    days.sort_by_key(Weekday::num_days_from_monday);
    pod.workdays = days;

    let today = checks.now.with_timezone(&pod.timezone).date_naive();
    let mut holidays = Vec::new();
    let typed = text(sub, "holidays");
    for (n, line) in typed.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        match NaiveDate::parse_from_str(line, "%Y-%m-%d") {
            Ok(day) => holidays.push(day),
            Err(_) => {
                errors
                    .entry("holidays".into())
                    .or_insert(render::not_a_date(n + 1, line));
            }
        }
    }
    if let Some(picked) = sub.value("add_holiday", "add_holiday") {
        match NaiveDate::parse_from_str(picked, "%Y-%m-%d") {
            Ok(day) if day < today && !pod.holidays.contains(&day) => {
                errors.insert("add_holiday".into(), render::holiday_past(day));
            }
            Ok(day) => holidays.push(day),
            Err(_) => {
                errors.insert("add_holiday".into(), render::not_a_date(1, picked));
            }
        }
    }
    // Days already on the list may be past; a new one may not.
    if let Some(past) = holidays
        .iter()
        .find(|d| **d < today && !pod.holidays.contains(d))
    {
        errors
            .entry("holidays".into())
            .or_insert(render::holiday_past(*past));
    }
    holidays.sort();
    holidays.dedup();
    pod.holidays = holidays;
}

/// The roles typed, one per line, most critical first; None for the defaults.
fn roles_form(sub: &FormSubmission, errors: &mut FieldErrors) -> Option<Vec<String>> {
    let roles: Vec<String> = text(sub, "roles")
        .lines()
        .map(|line| {
            line.trim()
                .trim_start_matches(['-', '*', '•'])
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("-")
                .to_lowercase()
        })
        .filter(|r| !r.is_empty())
        .collect();
    if roles.len() > MOST_ROLES {
        errors.insert("roles".into(), render::too_many_roles(MOST_ROLES));
    }
    if roles.iter().any(|r| r.chars().count() > ROLE_CHARS) {
        errors.insert("roles".into(), render::too_long(ROLE_CHARS));
    }
    (!roles.is_empty()).then_some(roles)
}

fn kudos_form(
    sub: &FormSubmission,
    next: &mut TeamConfig,
    checks: &Checks<'_>,
    errors: &mut FieldErrors,
) {
    next.kudos.channel = match sub.value("channel", "channel").map(ChannelId::parse) {
        Some(Ok(channel)) => {
            if let Some(e) = channel_problem(&channel, checks) {
                errors.insert("channel".into(), e);
            }
            Some(channel)
        }
        Some(Err(_)) => {
            errors.insert("channel".into(), render::not_a_channel());
            None
        }
        None => None,
    };
    next.kudos.reactions = text(sub, "reactions")
        .split([',', ' ', '\n'])
        .map(|r| r.trim().trim_matches(':').to_string())
        .filter(|r| !r.is_empty())
        .fold(Vec::new(), |mut all, r| {
            if !all.contains(&r) {
                all.push(r);
            }
            all
        });
    match text(sub, "daily_limit").parse::<u32>() {
        Ok(n) if (1..=MOST_KUDOS_A_DAY).contains(&n) => next.kudos.daily_limit = n,
        _ => {
            errors.insert("daily_limit".into(), render::not_a_limit(MOST_KUDOS_A_DAY));
        }
    }
    next.kudos.leaderboard = sub
        .picks("leaderboard", "leaderboard")
        .iter()
        .any(|v| v == "on");
}

fn trophy_form(sub: &FormSubmission, next: &mut TeamConfig, errors: &mut FieldErrors) {
    let name = text(sub, "trophy_name");
    if name.chars().count() > NAME_CHARS {
        errors.insert("trophy_name".into(), render::too_long(NAME_CHARS));
    }
    next.trophy.name = neutralize(&name).into_owned();
    match text(sub, "nudge").parse::<u32>() {
        Ok(days) if days <= 365 => next.trophy.nudge_after_days = days,
        _ => {
            errors.insert("nudge".into(), render::not_a_nudge());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn setup() -> TeamConfig {
        let text = r#"
            [[pods]]
            name = "support"
            channel = "C0SUPPORT1"
            managers = ["U0MANAGER1"]
            members = ["U0ALICE001"]
            holidays = ["2020-01-01"]
        "#;
        TeamConfig::parse(text, "test").expect("valid")
    }

    fn submission(form: &Form, values: serde_json::Value) -> FormSubmission {
        let values = values
            .as_object()
            .into_iter()
            .flatten()
            .map(|(block, v)| {
                let picks: Vec<String> = match v {
                    serde_json::Value::Array(all) => all
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    other => other.as_str().map(str::to_string).into_iter().collect(),
                };
                (block.clone(), [(block.clone(), picks)].into())
            })
            .collect();
        FormSubmission {
            user: UserId::parse("U0MANAGER1").expect("id"),
            callback_id: form.callback_id(),
            private_metadata: String::new(),
            values,
            people: Vec::new(),
            channels: Vec::new(),
            previous_view: None,
        }
    }

    fn run(form: &Form, values: serde_json::Value) -> Result<Changed, FieldErrors> {
        let person = |u: &UserId| {
            Some(Person {
                name: u.to_string(),
                admin: false,
                deleted: u.as_str() == "U0GONE0001",
                bot: false,
            })
        };
        let channel = |c: &ChannelId| {
            Some(if c.as_str() == "C0NOTIN001" {
                ChannelAccess::NotMember("elsewhere".into())
            } else {
                ChannelAccess::Member
            })
        };
        let checks = Checks {
            now: Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap(),
            person: &person,
            channel: &channel,
            bot: None,
        };
        let form_sub = submission(form, values);
        apply(form, &setup(), &form_sub, &checks)
    }

    #[test]
    fn buttons_and_callbacks_name_the_same_forms() {
        for form in [
            Form::Pod(None),
            Form::Pod(Some("support".into())),
            Form::Checkin("support".into()),
            Form::Roles("support".into()),
            Form::Kudos,
            Form::Trophy,
        ] {
            assert_eq!(Form::from_value(&form.value()), Some(form.clone()));
            assert_eq!(Form::from_callback(&form.callback_id()), Some(form));
        }
        assert_eq!(Form::from_value("pod:"), None);
        assert_eq!(Form::from_callback("checkin_modal"), None);
    }

    #[test]
    fn every_field_error_lands_beside_its_field() {
        let errors = run(
            &Form::Pod(None),
            json!({"name": "Support", "members": ["U0GONE0001"], "managers": ["U0MANAGER1"]}),
        )
        .unwrap_err();
        assert!(errors["channel"].contains("channel"), "{errors:?}");
        assert!(errors["members"].contains("deactivated"), "{errors:?}");

        let errors = run(
            &Form::Pod(None),
            json!({"name": "support", "channel": "C0NOTIN001"}),
        )
        .unwrap_err();
        assert!(errors["name"].contains("two pods"), "{errors:?}");
        assert!(errors["channel"].contains("/invite"), "{errors:?}");

        let errors = run(
            &Form::Checkin("support".into()),
            json!({"timezone": "Mars/Olympus", "checkin_at": "25:99", "window": "2h",
                   "workdays": [], "holidays": "2020-01-01\n2021-01-01\nsoon"}),
        )
        .unwrap_err();
        assert!(errors["timezone"].contains("Mars/Olympus"), "{errors:?}");
        assert!(errors["checkin_at"].contains("time"), "{errors:?}");
        assert!(errors["workdays"].contains("day"), "{errors:?}");
        assert!(errors["holidays"].contains("soon"), "{errors:?}");
    }

    #[test]
    fn a_past_day_already_listed_stays_and_a_new_one_is_refused() {
        let changed = run(
            &Form::Checkin("support".into()),
            json!({"timezone": "Europe/Berlin", "checkin_at": "10:15", "window": "1h",
                   "workdays": ["Mon", "Wed"], "holidays": "2020-01-01\n2026-12-24",
                   "add_holiday": "2026-12-31"}),
        )
        .expect("valid");
        let pod = &changed.next.pods[0];
        assert_eq!(pod.checkin_at, NaiveTime::from_hms_opt(10, 15, 0).unwrap());
        assert_eq!(pod.workdays, vec![Weekday::Mon, Weekday::Wed]);
        assert_eq!(pod.holidays.len(), 3);

        let errors = run(
            &Form::Checkin("support".into()),
            json!({"timezone": "UTC", "checkin_at": "09:00", "window": "2h",
                   "workdays": ["Mon"], "add_holiday": "2025-12-25"}),
        )
        .unwrap_err();
        assert!(errors["add_holiday"].contains("past"), "{errors:?}");
    }

    #[test]
    fn roles_are_one_per_line_and_empty_means_the_defaults() {
        let changed = run(
            &Form::Roles("support".into()),
            json!({"roles": "Triage\n- Phone coordinator\n\nchat"}),
        )
        .expect("valid");
        assert_eq!(
            changed.next.pods[0].roles,
            Some(vec![
                "triage".into(),
                "phone-coordinator".into(),
                "chat".into()
            ])
        );
        let changed = run(&Form::Roles("support".into()), json!({"roles": ""})).expect("valid");
        assert_eq!(changed.next.pods[0].roles, None);
        let errors = run(
            &Form::Roles("support".into()),
            json!({"roles": "chat\nChat"}),
        )
        .unwrap_err();
        assert!(errors["roles"].contains("twice"), "{errors:?}");
    }

    #[test]
    fn a_rename_is_reported_and_new_members_are_listed() {
        let changed = run(
            &Form::Pod(Some("support".into())),
            json!({"name": "frontline", "channel": "C0SUPPORT1", "managers": ["U0MANAGER1"],
                   "members": ["U0ALICE001", "U0BOB00001"]}),
        )
        .expect("valid");
        assert_eq!(
            changed.renamed,
            Some(("support".into(), "frontline".into()))
        );
        assert_eq!(changed.added, vec![UserId::parse("U0BOB00001").unwrap()]);
        assert_eq!(
            changed.next.pods[0].holidays.len(),
            1,
            "the check-in is kept"
        );
    }

    #[test]
    fn kudos_and_trophy_settings_are_checked() {
        let errors = run(&Form::Kudos, json!({"reactions": "", "daily_limit": "0"})).unwrap_err();
        assert!(errors.contains_key("reactions") && errors.contains_key("daily_limit"));
        let changed = run(
            &Form::Kudos,
            json!({"channel": "C0HUMBLEBR", "reactions": ":trophy:, tada", "daily_limit": "3",
                   "leaderboard": ["on"]}),
        )
        .expect("valid");
        assert_eq!(changed.next.kudos.reactions, vec!["trophy", "tada"]);
        assert!(changed.next.kudos.leaderboard);
        let errors = run(&Form::Trophy, json!({"trophy_name": " ", "nudge": "soon"})).unwrap_err();
        assert!(errors.contains_key("trophy_name") && errors.contains_key("nudge"));
    }
}
