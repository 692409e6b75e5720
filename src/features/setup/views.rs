//! What the setup looks like in Slack: the Manage list (in the App Home and
//! in `/needful setup`'s modal), each form's modal, and the note a saved
//! form turns into.

use chrono::Weekday;

use super::forms::{Form, MOST_ROLES, NAME_CHARS, NOTE_CHARS, ROLE_CHARS, WINDOWS};
use crate::{
    config::{PodConfig, TeamConfig},
    domain::{
        block_kit::{
            Actions, Block, Button, Choice, Input, Modal, Picker, Style, TextInput, View, context,
            fit, header, section,
        },
        ids::UserId,
        mrkdwn::echo,
    },
    features::{
        pods::{join_people, join_words},
        roles::pod_roles,
    },
};

/// The button that opens a form; its value names the form.
pub const OPEN: &str = "setup_open";
/// An admin's "Remove" of a pod; its value is the pod's name.
pub const REMOVE: &str = "setup_remove";
/// The menu modal's callback id (it has no submit button).
const MENU: &str = "setup_menu";

/// What one person may change.
pub struct Scope<'a> {
    pub admin: bool,
    /// The pods they may change (all of them for an admin).
    pub pods: Vec<&'a PodConfig>,
}

impl Scope<'_> {
    pub fn is_empty(&self) -> bool {
        !self.admin && self.pods.is_empty()
    }
}

/// The Manage list: each pod one may change with its buttons, then (for
/// admins) a new pod and the team-wide settings.
pub fn manage(setup: &TeamConfig, scope: &Scope<'_>) -> Vec<Block> {
    let mut blocks = Vec::new();
    if scope.pods.is_empty() {
        blocks.push(section(
            "No pods yet. Start with *New pod*: a name, its channel, its managers and members.",
        ));
    }
    for pod in &scope.pods {
        blocks.push(section(&pod_summary(pod)));
        let mut actions = Actions::new(
            &format!("setup_pod_{}", pod.name),
            Button::new(OPEN, "People & channels")
                .value(&Form::Pod(Some(pod.name.clone())).value()),
        )
        .button(Button::new(OPEN, "Check-in").value(&Form::Checkin(pod.name.clone()).value()))
        .button(Button::new(OPEN, "Roles").value(&Form::Roles(pod.name.clone()).value()));
        if scope.admin {
            actions = actions.button(
                Button::new(REMOVE, "Remove")
                    .value(&pod.name)
                    .style(Style::Danger)
                    .confirm(
                        "Remove this pod?",
                        &format!(
                            "{} stops getting check-in prompts, rosters and understaffed alerts. Its history stays in the exports.",
                            pod.name
                        ),
                        "Remove",
                    ),
            );
        }
        blocks.push(Block::Actions(actions));
    }
    if scope.admin {
        blocks.push(section(&format!(
            "*Kudos* celebrated in {}, with :{}:; {} a day each; leaderboard {}.\n*The trophy*: {}, holder reminded {}.",
            setup
                .kudos
                .channel
                .as_ref()
                .map_or("no channel".to_string(), |c| format!("<#{c}>")),
            setup.kudos.reactions.join(": :"),
            setup.kudos.daily_limit,
            if setup.kudos.leaderboard { "on" } else { "off" },
            echo(&setup.trophy.name),
            match setup.trophy.nudge_after_days {
                0 => "never".to_string(),
                1 => "after a day".to_string(),
                n => format!("after {n} days"),
            }
        )));
        blocks.push(Block::Actions(
            Actions::new(
                "setup_team",
                Button::new(OPEN, "New pod")
                    .value(&Form::Pod(None).value())
                    .style(Style::Primary),
            )
            .button(Button::new(OPEN, "Kudos").value(&Form::Kudos.value()))
            .button(Button::new(OPEN, "Trophy").value(&Form::Trophy.value())),
        ));
    }
    blocks.push(context(
        "Changes apply at once, and `/needful changes` lists who changed what.",
    ));
    fit(
        blocks,
        95,
        "There are more pods than fit here; `/needful pods` lists them all.",
    )
}

fn pod_summary(pod: &PodConfig) -> String {
    let days: Vec<String> = pod.workdays.iter().map(|d| d.to_string()).collect();
    format!(
        "*{}* in <#{}>: {} {}, managed by {}.\nCheck-in {} {} on {}.",
        echo(&pod.name),
        pod.channel,
        pod.members.len(),
        if pod.members.len() == 1 {
            "member"
        } else {
            "members"
        },
        if pod.managers.is_empty() {
            "nobody yet".to_string()
        } else {
            join_people(&pod.managers)
        },
        pod.checkin_at.format("%H:%M"),
        pod.timezone,
        join_words(&days)
    )
}

/// `/needful setup`'s modal: the Manage list.
pub fn menu(setup: &TeamConfig, scope: &Scope<'_>) -> View {
    let mut blocks = vec![header("Manage needful")];
    blocks.extend(manage(setup, scope));
    Modal::new("needful setup", MENU, blocks)
        .close("Close")
        .into()
}

/// The App Home's Manage section.
pub fn home(setup: &TeamConfig, scope: &Scope<'_>) -> Vec<Block> {
    let mut blocks = vec![header("Manage")];
    blocks.extend(manage(setup, scope));
    blocks
}

/// The modal of `form`; None when its pod is gone.
pub fn form(form: &Form, setup: &TeamConfig) -> Option<View> {
    let pod = match form.pod() {
        Some(name) => Some(setup.pods.iter().find(|p| p.name == name)?),
        None => None,
    };
    let (title, blocks) = match (form, pod) {
        (Form::Pod(_), pod) => (
            if pod.is_some() {
                "People & channels"
            } else {
                "New pod"
            },
            pod_blocks(pod),
        ),
        (Form::Checkin(_), Some(pod)) => ("Check-in", checkin_blocks(pod)),
        (Form::Roles(_), Some(pod)) => ("Roles", roles_blocks(pod)),
        (Form::Kudos, _) => ("Kudos", kudos_blocks(setup)),
        (Form::Trophy, _) => ("The trophy", trophy_blocks(setup)),
        _ => return None,
    };
    Some(
        Modal::new(title, &form.callback_id(), blocks)
            .submit("Save")
            .close("Cancel")
            .private_metadata(&super::forms::fingerprint(form, setup))
            .into(),
    )
}

fn pod_blocks(pod: Option<&PodConfig>) -> Vec<Block> {
    let name = pod.map_or("", |p| p.name.as_str());
    let note = pod.and_then(|p| p.overtime_note.as_deref()).unwrap_or("");
    let people = |f: fn(&PodConfig) -> &Vec<UserId>| -> Vec<String> {
        pod.map(|p| f(p).iter().map(|u| u.to_string()).collect())
            .unwrap_or_default()
    };
    vec![
        Input::new(
            "name",
            "Name",
            TextInput::new("name")
                .max_length(NAME_CHARS)
                .initial_value(name)
                .placeholder("one word, e.g. support"),
        )
        .hint("Used in commands, such as /understaffed on --pod support.")
        .into(),
        Input::new(
            "channel",
            "Channel",
            Picker::channel("channel", pod.map(|p| p.channel.as_str()))
                .placeholder("the pod's channel"),
        )
        .hint("Check-in prompts, rosters and understaffed alerts go here. Invite me there first.")
        .into(),
        Input::new("managers", "Managers", Picker::people("managers", &people(|p| &p.managers)))
            .hint("They switch understaffed mode, change roles and this setup, and get the check-in summary.")
            .optional()
            .into(),
        Input::new("members", "Members", Picker::people("members", &people(|p| &p.members)))
            .hint("They get check-in prompts and take turns in the roles.")
            .optional()
            .into(),
        Input::new(
            "help_channels",
            "Ask for help in",
            Picker::channels(
                "help_channels",
                &pod.map(|p| p.help_channels.iter().map(|c| c.to_string()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
        )
        .hint("Other departments' channels, asked for help when the pod is understaffed.")
        .optional()
        .into(),
        Input::new(
            "overtime_note",
            "Extra hours",
            TextInput::new("overtime_note")
                .multiline()
                .max_length(NOTE_CHARS)
                .initial_value(note)
                .placeholder("e.g. Extra hours are voluntary and paid; log them in the rota."),
        )
        .hint("What is expected of extra hours, shown when the pod is understaffed.")
        .optional()
        .into(),
    ]
}

const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn checkin_blocks(pod: &PodConfig) -> Vec<Block> {
    let current = humantime::format_duration(pod.checkin_window).to_string();
    let mut windows: Vec<Choice> = WINDOWS.iter().map(|w| Choice::new(w, w)).collect();
    if !WINDOWS.contains(&current.as_str()) {
        windows.push(Choice::new(&current, &current));
    }
    let days = DAYS
        .iter()
        .map(|d| Choice::new(&d.to_string(), &d.to_string()))
        .collect();
    let ticked: Vec<String> = pod.workdays.iter().map(|d| d.to_string()).collect();
    let holidays: Vec<String> = pod.holidays.iter().map(|d| d.to_string()).collect();
    vec![
        section(&format!("The daily check-in of *{}*.", echo(&pod.name))),
        Input::new(
            "timezone",
            "Time zone",
            TextInput::new("timezone")
                .max_length(64)
                .initial_value(pod.timezone.name()),
        )
        .hint("The pod's time zone, from the IANA list: Europe/Berlin, America/New_York, Asia/Kolkata.")
        .into(),
        Input::new(
            "checkin_at",
            "Prompt at",
            Picker::time("checkin_at", &pod.checkin_at.format("%H:%M").to_string()),
        )
        .into(),
        Input::new(
            "window",
            "Open for",
            Picker::select("window", windows, Some(&current)),
        )
        .hint("Check-ins after this are late; then the managers get the summary.")
        .into(),
        Input::new("workdays", "Workdays", Picker::checkboxes("workdays", days, &ticked)).into(),
        Input::new(
            "holidays",
            "Holidays",
            TextInput::new("holidays")
                .multiline()
                .initial_value(&holidays.join("\n"))
                .placeholder("2026-12-24"),
        )
        .hint("Days without a prompt, one per line as YYYY-MM-DD. Delete a line to drop it.")
        .optional()
        .into(),
        Input::new("add_holiday", "Add a holiday", Picker::date("add_holiday", None))
            .optional()
            .into(),
    ]
}

fn roles_blocks(pod: &PodConfig) -> Vec<Block> {
    vec![
        section(&format!(
            "The roles of *{}*, most critical first. When the pod is short, the last ones pause first and their people move to the front line.",
            echo(&pod.name)
        )),
        Input::new(
            "roles",
            "Roles, one per line",
            TextInput::new("roles")
                .multiline()
                .max_length(MOST_ROLES * (ROLE_CHARS + 1))
                .initial_value(&pod_roles(pod).join("\n")),
        )
        .hint("Clear the list for the default roles. This week's roster stays; the next rotation uses the new list.")
        .optional()
        .into(),
    ]
}

fn kudos_blocks(setup: &TeamConfig) -> Vec<Block> {
    let leaderboard = vec![Choice::new(
        "on",
        "Show a leaderboard with /kudos leaderboard",
    )];
    let on: Vec<String> = if setup.kudos.leaderboard {
        vec!["on".into()]
    } else {
        Vec::new()
    };
    vec![
        Input::new(
            "channel",
            "Celebrate in",
            Picker::channel(
                "channel",
                setup.kudos.channel.as_ref().map(|c| c.as_str()),
            ),
        )
        .hint("Where kudos are celebrated (#humblebrag). Leave it empty to thank people privately only.")
        .optional()
        .into(),
        Input::new(
            "reactions",
            "Reactions that count",
            TextInput::new("reactions")
                .max_length(500)
                .initial_value(&setup.kudos.reactions.join(", ")),
        )
        .hint("Emoji names, without colons, separated by commas: trophy, tada")
        .into(),
        Input::new(
            "daily_limit",
            "Kudos a person may give a day",
            TextInput::new("daily_limit")
                .max_length(3)
                .initial_value(&setup.kudos.daily_limit.to_string()),
        )
        .into(),
        Input::new("leaderboard", "Leaderboard", Picker::checkboxes("leaderboard", leaderboard, &on))
            .hint("Off by default: recognition is personal, not a contest.")
            .optional()
            .into(),
    ]
}

fn trophy_blocks(setup: &TeamConfig) -> Vec<Block> {
    vec![
        Input::new(
            "trophy_name",
            "Name",
            TextInput::new("trophy_name")
                .max_length(NAME_CHARS)
                .initial_value(&setup.trophy.name),
        )
        .into(),
        Input::new(
            "nudge",
            "Remind the holder after (days)",
            TextInput::new("nudge")
                .max_length(3)
                .initial_value(&setup.trophy.nudge_after_days.to_string()),
        )
        .hint("0: never remind.")
        .into(),
    ]
}

/// What a saved form turns into.
pub fn saved(what: &str) -> View {
    Modal::new(
        "Saved",
        "setup_saved",
        vec![
            section(&format!(":white_check_mark: Saved: {}.", echo(what))),
            context("It applies now, with no restart. `/needful changes` lists every change."),
        ],
    )
    .close("Done")
    .into()
}
