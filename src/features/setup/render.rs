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
        "Whoever runs needful changes the setup with `needful export config` and `needful import config`; a change applies within a second.",
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
        return "No pods are set up yet. Whoever runs needful can add them to its setup (`needful import config`).".to_string();
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

pub fn changes_refused(pods: &[PodConfig]) -> String {
    let mut managers: Vec<_> = pods
        .iter()
        .flat_map(|p| p.managers.iter().cloned())
        .collect();
    managers.sort();
    managers.dedup();
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
    "No pods are set up yet; whoever runs needful can add them.".to_string()
}

pub fn pod_gone() -> String {
    "That pod is no longer set up. `/needful pods` shows the pods there are now.".to_string()
}

pub fn already_in(pod: &str) -> String {
    format!("You're already in *{}*.", echo(pod))
}

pub fn no_managers_to_ask(pod: &str) -> String {
    format!(
        "*{}* has no managers set up, so there is nobody I can ask. Whoever runs needful can add you.",
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
