//! The sample support team the demo starts with: a pod with a manager and
//! five agents in two time zones, someone from sales, the three channels,
//! and a few recent messages to react to.

use crate::slack_sim::{SimUser, SlackSim};

/// Someone in the sample team.
pub struct Person {
    pub id: &'static str,
    /// What `@…` in the composer matches.
    pub handle: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub tz: &'static str,
}

pub const MARIA: &str = "U0MARIA001";
pub const ALICE: &str = "U0ALICE001";
pub const BOB: &str = "U0BOB00001";

pub const PEOPLE: &[Person] = &[
    Person {
        id: ALICE,
        handle: "alice",
        name: "Alice Archer",
        title: "Support agent",
        tz: "Europe/Berlin",
    },
    Person {
        id: MARIA,
        handle: "maria",
        name: "Maria Manager",
        title: "Support manager",
        tz: "Europe/Berlin",
    },
    Person {
        id: BOB,
        handle: "bob",
        name: "Bob Baker",
        title: "Support agent",
        tz: "Europe/Berlin",
    },
    Person {
        id: "U0CAROL001",
        handle: "carol",
        name: "Carol Chen",
        title: "Support agent",
        tz: "Europe/Berlin",
    },
    Person {
        id: "U0DEV00001",
        handle: "dev",
        name: "Dev Patel",
        title: "Support agent",
        tz: "America/New_York",
    },
    Person {
        id: "U0EMMA0001",
        handle: "emma",
        name: "Emma Evans",
        title: "Support agent",
        tz: "America/New_York",
    },
    Person {
        id: "U0SAM00001",
        handle: "sam",
        name: "Sam Sales",
        title: "Account executive (sales)",
        tz: "Europe/Berlin",
    },
];

pub const SUPPORT: &str = "C0SUPPORT1";
pub const HUMBLEBRAG: &str = "C0HUMBLEBR";
pub const SALES: &str = "C0SALES001";

/// (id, name, topic).
pub const CHANNELS: &[(&str, &str, &str)] = &[
    (
        SUPPORT,
        "support",
        "The support pod: check-ins, rosters, who is on what",
    ),
    (HUMBLEBRAG, "humblebrag", "Kudos, celebrated"),
    (
        SALES,
        "sales",
        "Sales; asked for help when support runs short",
    ),
];

/// The team's setup, as an admin would have made it (Maria is the pod's
/// manager and a workspace admin, so she can change it from Slack too).
pub const SETUP: &str = r#"
[kudos]
channel = "C0HUMBLEBR"
reactions = ["trophy"]
daily_limit = 5

[trophy]
name = "Needful Trophy"
nudge_after_days = 14

[[pods]]
name = "support"
channel = "C0SUPPORT1"
managers = ["U0MARIA001"]
members = ["U0ALICE001", "U0BOB00001", "U0CAROL001", "U0DEV00001", "U0EMMA0001"]
timezone = "Europe/Berlin"
checkin_at = "09:00"
checkin_window = "2h"
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
help_channels = ["C0SALES001"]
overtime_note = "Extra hours are voluntary and paid; log them in the rota."

[outbox]
# The demo's simulated Slack answers at once; a person watching should not
# wait a second between posts in a channel.
channel_interval = "100ms"
home_interval = "50ms"
poll_interval = "50ms"
"#;

/// (channel, author, text): what the team said lately.
const RECENT: &[(&str, &str, &str)] = &[
    (
        SUPPORT,
        BOB,
        "Acme's CSV import was failing on every order with a comma in the address. Found it, patched the parser, and walked their ops lead through re-running the import. All 1,240 orders are in.",
    ),
    (
        SUPPORT,
        "U0CAROL001",
        "Heads-up: the refunds API is slow again, replies take ~30 s. I've opened an incident with payments.",
    ),
    (
        SUPPORT,
        "U0DEV00001",
        "Morning from New York! I'll take the US chat queue until Emma is in.",
    ),
    (
        SALES,
        "U0SAM00001",
        "Anyone from support free for a call with Globex at 3pm? They want to hear how we handle escalations.",
    ),
];

/// Puts the sample team, its channels and its recent messages into `sim`.
pub fn seed(sim: &SlackSim) {
    sim.forget_messages();
    for p in PEOPLE {
        let mut user = SimUser::human(p.id, p.handle, p.name);
        user.tz = p.tz.to_string();
        if p.id == MARIA {
            user = user.admin();
        }
        sim.add_user(user);
    }
    for (id, name, _) in CHANNELS {
        sim.add_channel(id, name, true);
    }
    for (channel, author, text) in RECENT {
        sim.post_as_user(channel, author, text);
    }
}

/// The person with `id`, if they are in the sample team.
pub fn person(id: &str) -> Option<&'static Person> {
    PEOPLE.iter().find(|p| p.id == id)
}
