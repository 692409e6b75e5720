//! What `/needful` says.

use crate::{
    config::PodConfig,
    domain::{ids::UserId, mrkdwn::echo},
    features::pods::{join_people, join_words},
    storage::setup::Change,
};

pub fn help() -> String {
    [
        "*needful's setup*",
        "• `/needful pods`: the pods, with their managers, members, channels and check-in",
        "• `/needful changes`: who changed the setup, and when (for managers)",
        "• `/needful help`: this list",
        "• `/needful setup`: change the pods, their people, channels, check-in and roles (managers, for their pods), and the kudos and trophy settings (admins)",
        "A change applies at once. The App Home's *Manage* section has the same buttons.",
    ]
    .join("\n")
}

pub fn unknown(what: &str) -> String {
    format!(
        "I don't know `/needful {}`. Try `/needful pods`, `/needful changes` or `/needful help`.",
        echo(what)
    )
}

pub fn pods(pods: &[PodConfig]) -> String {
    if pods.is_empty() {
        return "No pods are set up yet. A needful admin can add one with `/needful setup`."
            .to_string();
    }
    let mut out = vec![format!("*The team's pods* ({})", pods.len())];
    for pod in pods {
        out.push(String::new());
        out.push(format!("*{}* in <#{}>", echo(&pod.name), pod.channel));
        out.push(format!("Managers: {}", or_none(join_people(&pod.managers))));
        out.push(format!("Members: {}", or_none(join_people(&pod.members))));
        let days: Vec<String> = pod.workdays.iter().map(|d| d.to_string()).collect();
        out.push(format!(
            "Check-in: {} {} on {}, open for {}",
            pod.checkin_at.format("%H:%M"),
            pod.timezone,
            join_words(&days),
            humantime::format_duration(pod.checkin_window)
        ));
        if !pod.help_channels.is_empty() {
            let channels: Vec<String> = pod
                .help_channels
                .iter()
                .map(|c| format!("<#{c}>"))
                .collect();
            out.push(format!("Asks for help in: {}", join_words(&channels)));
        }
    }
    out.join("\n")
}

fn or_none(list: String) -> String {
    if list.is_empty() {
        "none yet".to_string()
    } else {
        list
    }
}

/// Every pod's managers, each once.
fn all_managers(pods: &[PodConfig]) -> Vec<UserId> {
    let mut managers: Vec<_> = pods
        .iter()
        .flat_map(|p| p.managers.iter().cloned())
        .collect();
    managers.sort();
    managers.dedup();
    managers
}

pub fn changes_refused(pods: &[PodConfig]) -> String {
    let managers = all_managers(pods);
    if managers.is_empty() {
        return "The list of setup changes is for managers and admins, and no managers are set up yet. Ask whoever runs needful to add you to `NEEDFUL_ADMINS`, or to make you a pod's manager.".to_string();
    }
    format!(
        "The list of setup changes is for managers and admins. Ask {} if you need to know who changed what.",
        join_people(&managers)
    )
}

pub fn changes(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "The setup has not been changed yet.".to_string();
    }
    let mut out = vec!["*Changes to the setup*, newest first".to_string()];
    for c in changes {
        out.push(format!(
            "• {} by {}: {}",
            c.changed_at.format("%Y-%m-%d %H:%M UTC"),
            who(&c.changed_by),
            echo(&c.what)
        ));
    }
    out.join("\n")
}

/// A person's mention, or where the change came from (a file, the command line).
fn who(by: &str) -> String {
    match crate::domain::ids::UserId::parse(by) {
        Ok(user) if by.starts_with(['U', 'W']) => format!("<@{user}>"),
        _ => format!("`{}`", echo(by)),
    }
}

pub fn ask_button(pod: &str) -> String {
    format!("Ask to join {pod}")
}

pub fn ask_below() -> String {
    "Ask to join your pod below, and I'll ask its managers.".to_string()
}

pub fn no_pods_to_join() -> String {
    "No pods are set up yet; a needful admin can add one with `/needful setup`.".to_string()
}

pub fn pod_gone() -> String {
    "That pod is no longer set up. `/needful pods` shows the pods there are now.".to_string()
}

pub fn already_in(pod: &str) -> String {
    format!("You're already in *{}*.", echo(pod))
}

pub fn no_managers_to_ask(pod: &str) -> String {
    format!(
        "*{}* has no managers set up, so there is nobody I can ask. A needful admin can add you with `/needful setup`.",
        echo(pod)
    )
}

/// The managers' message, and its button's label.
pub fn join_request(user: &UserId, pod: &str) -> (String, String) {
    (
        format!(
            "<@{user}> asks to join *{}*. Add them, and they get its check-in prompts and take a turn in its roles.",
            echo(pod)
        ),
        format!("Add them to {pod}"),
    )
}

pub fn asked(managers: &[UserId], pod: &str) -> String {
    format!(
        "I've asked {} to add you to *{}*. I'll let you know when they do.",
        join_people(managers),
        echo(pod)
    )
}

pub fn only_managers_add(managers: &[UserId], pod: &str) -> String {
    format!(
        "Only *{}*'s managers ({}) can add people to it.",
        echo(pod),
        join_people(managers)
    )
}

pub fn already_added(user: &UserId, pod: &str) -> String {
    format!("<@{user}> is already in *{}*.", echo(pod))
}

pub fn setup_moved() -> String {
    "The setup changed a moment ago, so I didn't add them yet. Press the button again.".to_string()
}

pub fn added(user: &UserId, pod: &str) -> String {
    format!("Done: <@{user}> is in *{}* now.", echo(pod))
}

pub fn you_were_added(by: &UserId, pod: &str) -> String {
    format!(
        "<@{by}> added you to *{}*. You'll get its check-in prompts from the next one on.",
        echo(pod)
    )
}

pub fn trophy_came_back(left: &UserId, trophy: &str) -> String {
    format!(
        "<@{left}> was deactivated in Slack while holding the {}, so it came back to you. Pass it on to whoever goes the extra mile next: `/trophy pass @colleague what they did`.",
        echo(trophy)
    )
}

// ---- the setup's forms: field errors are plain text (Slack shows no mrkdwn there)

pub fn too_long(max: usize) -> String {
    format!("Please keep it under {max} characters.")
}

pub fn pod_needs_channel() -> String {
    "Choose the pod's channel: check-in prompts, rosters and understaffed alerts go there."
        .to_string()
}

pub fn not_a_channel() -> String {
    "That is not a channel I can use; choose one from the list.".to_string()
}

pub fn not_a_person() -> String {
    "That is not a person I can add; choose people from the list.".to_string()
}

pub fn is_needful() -> String {
    "That is me, needful. Choose the people of the pod.".to_string()
}

pub fn deactivated(name: &str) -> String {
    format!("{name} is deactivated in Slack. Remove them from the list.")
}

pub fn is_a_bot(name: &str) -> String {
    format!("{name} is a bot, not a person. Remove them from the list.")
}

pub fn invite_me(channel: &str) -> String {
    format!(
        "I'm not in #{channel} yet. Invite me there (type /invite @needful in #{channel}), then save again."
    )
}

pub fn archived(channel: &str) -> String {
    format!("#{channel} is archived. Choose another channel.")
}

pub fn channel_unknown() -> String {
    "Slack doesn't know this channel any more. Choose another one.".to_string()
}

pub fn not_a_zone(typed: &str) -> String {
    format!(
        "\"{}\" is not a time zone I know. Use a name from the IANA list, such as Europe/Berlin, America/New_York or Asia/Kolkata.",
        crate::domain::block_kit::truncate(typed, 60)
    )
}

pub fn not_a_time() -> String {
    "Pick a time of day, such as 09:00.".to_string()
}

pub fn not_a_window() -> String {
    "Choose how long check-ins stay open, from the list.".to_string()
}

pub fn not_a_day() -> String {
    "Tick the days with a check-in, at least one.".to_string()
}

pub fn not_a_date(line: usize, typed: &str) -> String {
    format!(
        "Line {line}, \"{}\", is not a date. Write one date per line, as YYYY-MM-DD (2026-12-24).",
        crate::domain::block_kit::truncate(typed, 40)
    )
}

pub fn holiday_past(day: chrono::NaiveDate) -> String {
    format!(
        "{day} is in the past. Add days from today on (past days already on the list may stay)."
    )
}

pub fn too_many_roles(max: usize) -> String {
    format!("A pod can have at most {max} roles.")
}

pub fn not_a_limit(max: u32) -> String {
    format!("Write a number from 1 to {max}.")
}

pub fn not_a_nudge() -> String {
    "Write a number of days from 0 to 365 (0: never remind the holder).".to_string()
}

// ---- changing the setup

pub fn opening() -> String {
    "Opening needful's setup. (It is also in the *Manage* section of my App Home.)".to_string()
}

pub fn setup_refused(pods: &[PodConfig]) -> String {
    let managers = all_managers(pods);
    if managers.is_empty() {
        return "The setup is changed by needful's admins: the workspace's admins and owners, or the people whoever runs needful names in `NEEDFUL_ADMINS`. Ask one of them.".to_string();
    }
    format!(
        "A pod's setup is changed by its managers ({}) and by needful's admins. Ask them for the change you need, or to make you a manager.",
        join_people(&managers)
    )
}

pub fn stale_button() -> String {
    "That button is from an older version of needful. Open the setup again with `/needful setup`."
        .to_string()
}

/// Refused a form of `pod` (None: one of the admins' forms).
pub fn form_refused(pod: Option<&str>, setup: &crate::config::TeamConfig) -> String {
    match pod {
        Some(name) => {
            let managers = setup
                .pods
                .iter()
                .find(|p| p.name == name)
                .map(|p| join_people(&p.managers))
                .unwrap_or_default();
            if managers.is_empty() {
                format!(
                    "Only needful's admins can change *{}*, since it has no managers; ask one of them.",
                    echo(name)
                )
            } else {
                format!(
                    "Only *{}*'s managers ({managers}) and needful's admins can change it; ask them for the change you need.",
                    echo(name)
                )
            }
        }
        None => "Only needful's admins can add pods and change the kudos and trophy settings; ask one of them."
            .to_string(),
    }
}

pub fn changed_meanwhile() -> String {
    "Someone changed the setup while you had this open, so I saved nothing. Close this, open it again, and redo your change.".to_string()
}

pub fn remove_refused() -> String {
    "Only needful's admins can remove pods; ask one of them.".to_string()
}

pub fn remove_understaffed(pod: &str) -> String {
    format!(
        "*{}* is in understaffed mode. Switch it off first (`/understaffed off --pod {}`), then remove the pod.",
        echo(pod),
        echo(pod)
    )
}

pub fn removed(pod: &str) -> String {
    format!(
        "Removed *{}*: no more check-in prompts, rosters or understaffed alerts for it. Its history stays in the exports.",
        echo(pod)
    )
}
