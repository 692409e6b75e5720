//! Understaffed mode, per pod: a manager switches it on with a reason, the
//! team hears why and what changes, other departments are asked for help, and
//! an all-clear ends it (by hand or at `--until`).

mod limits;
mod parse;
mod render;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::block_kit::Block;
use crate::{
    config::PodConfig,
    domain::ids::UserId,
    domain::workspace::NameSource,
    error::AppError,
    features::Team,
    features::{Answer, ButtonPress, Reply, SlashCommand, export, home, pods, roles},
    outbox::{self, Outgoing},
    storage::{Db, Tx, staffing as store},
};

use crate::features::feature::{CommandSpec, Feature};
use parse::Command;
use store::Switch;

/// Understaffed mode, per pod.
pub struct Staffing;

impl Feature for Staffing {
    const NAME: &'static str = "understaffed";
    const ABOUT: &'static str = "*Understaffed mode*: let everyone know a pod is running thin today, so people can pitch in.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/understaffed",
        usage: "[on REASON [--until HH:MM|YYYY-MM-DD] [--pod NAME] | off [--pod NAME]]",
        help: "Turn understaffed mode on or off for your pod, so the team knows to expect a thinner day.",
    }];
    const BUTTONS: &'static [&'static str] = &["staffing_"];
    const JOBS: &'static [&'static str] = &["--until expiry"];
    const HOME: bool = true;

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let now = app.clock.now();
        let (pod_name, on) = match parse::parse(&inv.text).map_err(AppError::User)? {
            Command::Status => return status(app, tx, now).await,
            Command::Help => return Ok(Reply::ephemeral(parse::USAGE)),
            Command::On { reason, until, pod } => (pod, Some((reason, until))),
            Command::Off { pod } => (pod, None),
        };
        let pod = pods::resolve(
            app,
            &inv.user,
            &inv.channel,
            pod_name.as_deref(),
            pods::Belonging::Manages,
            "/understaffed",
        )?;
        if !pods::is_manager(&pod, &inv.user) {
            return Err(AppError::User(render::not_a_manager(&pod)));
        }
        match on {
            Some((reason, until)) => {
                let until = until
                    .map(|u| parse::resolve_until(&u, now, pod.timezone))
                    .transpose()
                    .map_err(AppError::User)?;
                switch_on(app, tx, &pod, &inv.user, &reason, until, now).await
            }
            None => {
                let Some(switch) = store::open_switch(tx, &pod.name).await? else {
                    return Err(AppError::User(render::not_on(&pod)));
                };
                finish(app, tx, &pod, &switch, now, Some(&inv.user)).await?;
                Ok(Reply::ephemeral(render::switched_off_reply(
                    &pod,
                    (now - switch.started_at).num_seconds(),
                )))
            }
        }
    }

    /// "I can help" in a help channel: the managers hear who, the helper is
    /// thanked in the thread. A second press by the same person changes nothing.
    async fn button(
        app: &Team,
        tx: &mut Tx<'_>,
        action: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        if action.action_id != "staffing_help" {
            return Ok(None);
        }
        let Some((pod_name, id)) = action
            .value
            .rsplit_once(':')
            .and_then(|(pod, id)| Some((pod, id.parse::<i64>().ok()?)))
        else {
            tracing::warn!(value = %action.value, "an I-can-help button with an unreadable value");
            return Ok(None);
        };
        let (Some(pod), Some(channel)) = (pods::by_name(app, pod_name), action.channel.as_ref())
        else {
            return Ok(None);
        };
        let Some(switch) = store::open_switch_by_id(tx, id).await? else {
            outbox::enqueue(
                tx,
                &Outgoing::Ephemeral {
                    channel: channel.to_string(),
                    user: action.user.to_string(),
                    text: render::help_not_needed(&pod),
                    blocks: None,
                },
            )
            .await?;
            return Ok(Some(Answer::Done));
        };
        let now = app.clock.now();
        if !store::add_helper(tx, switch.id, &action.user, channel.as_str(), now).await? {
            return Ok(Some(Answer::Done));
        }
        for manager in &pod.managers {
            outbox::enqueue(
                tx,
                &Outgoing::DirectMessage {
                    user: manager.to_string(),
                    text: render::helper_to_managers(&pod, &action.user, channel.as_str()),
                    blocks: None,
                },
            )
            .await?;
        }
        let thread_ts = match store::posted_ts(tx, &help_key(switch.id, channel.as_str())).await? {
            Some(ts) => Some(ts),
            None => action.message_ts.clone(),
        };
        outbox::enqueue(
            tx,
            &Outgoing::Post {
                channel: channel.to_string(),
                text: render::helper_thanks(&pod, &action.user),
                blocks: None,
                thread_ts,
                key: None,
                link_to: None,
            },
        )
        .await?;
        Ok(Some(Answer::Done))
    }

    /// Scheduled: switches understaffed mode off when its `--until` has passed.
    async fn tick(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
        for id in store::due(&app.db, now).await? {
            let team = app.clone();
            app.writer
                .transaction(move |tx| Box::pin(async move { expire(&team, tx, id, now).await }))
                .await?;
        }
        Ok(())
    }

    async fn home(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        let now = app.clock.now();
        let mut blocks = Vec::new();
        for pod in pods::involving(app, user) {
            if let Some(switch) = store::open_switch(tx, &pod.name).await? {
                blocks.push(render::home_section(&pod, &switch, now));
            }
        }
        Ok(blocks)
    }
}

/// The help request in `channel` for period `id`, so its ts can be found for thread replies.
fn help_key(id: i64, channel: &str) -> String {
    format!("staffing:help:{id}:{channel}")
}

fn announcement_key(id: i64) -> String {
    format!("staffing:announce:{id}")
}

async fn status(app: &Team, tx: &mut Tx<'_>, now: DateTime<Utc>) -> Result<Reply, AppError> {
    let setup = app.setup();
    let pods = &setup.pods;
    if pods.is_empty() {
        return Ok(Reply::ephemeral(
            "No pods are set up yet. Whoever runs needful can add one to its setup.",
        ));
    }
    let mut lines = vec!["*Understaffed mode*".to_string()];
    for pod in pods {
        let switch = store::open_switch(tx, &pod.name).await?;
        lines.push(render::status_line(pod, switch.as_ref(), now));
    }
    Ok(Reply::ephemeral(lines.join("\n")))
}

async fn switch_on(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    by: &UserId,
    reason: &str,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Reply, AppError> {
    if let Some(open) = store::open_switch(tx, &pod.name).await? {
        // Already on: a new reason (and end, if given) updates the same period.
        store::update_reason(tx, open.id, reason, until).await?;
        let switch = store::open_switch_by_id(tx, open.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("period {} vanished while updating", open.id))?;
        let moves = roles::understaffed_moves(tx, pod, now).await?;
        let (text, blocks) = render::announcement(pod, &switch, &moves, now);
        outbox::enqueue(
            tx,
            &Outgoing::Update {
                channel: pod.channel.to_string(),
                key: announcement_key(switch.id),
                text,
                blocks: Some(blocks.to_value()),
                link_to: None,
            },
        )
        .await?;
        refresh_homes(app, tx, pod).await?;
        return Ok(Reply::ephemeral(render::reason_updated_reply(
            pod, &switch, now,
        )));
    }
    let Some(id) = store::switch_on(tx, &pod.name, reason, by, now, until).await? else {
        return Err(AppError::User(format!(
            "Someone switched the {} pod to understaffed at the same moment. Run `/understaffed` to see it.",
            pod.name
        )));
    };
    let switch = Switch {
        id,
        pod: pod.name.clone(),
        reason: reason.to_string(),
        started_by: by.to_string(),
        started_at: now,
        until_at: until,
    };
    let moves = roles::understaffed_moves(tx, pod, now).await?;
    let (text, blocks) = render::announcement(pod, &switch, &moves, now);
    pods::post_in_channel(tx, pod, text, &blocks, announcement_key(id)).await?;
    let value = format!("{}:{id}", pod.name);
    for channel in &pod.help_channels {
        let (text, blocks) = render::help_request(pod, &value);
        outbox::enqueue(
            tx,
            &Outgoing::keyed_post(
                channel.to_string(),
                text,
                Some(blocks.to_value()),
                help_key(id, channel.as_str()),
            ),
        )
        .await?;
    }
    refresh_homes(app, tx, pod).await?;
    Ok(Reply::ephemeral(render::switched_on_reply(
        pod, &switch, now,
    )))
}

/// Ends a period: the all-clear, the help requests closed, homes refreshed.
/// Does nothing when the period had already ended.
async fn finish(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    switch: &Switch,
    now: DateTime<Utc>,
    by: Option<&UserId>,
) -> Result<(), AppError> {
    // The moves are computed before closing, while the pause still applies.
    let restored = roles::understaffed_moves(tx, pod, now).await?;
    if !store::switch_off(tx, switch.id, now, by).await? {
        return Ok(());
    }
    let helpers = store::helpers(tx, switch.id).await?;
    let lasted = (now - switch.started_at).num_seconds();
    let (text, blocks) = render::all_clear(pod, lasted, &helpers, &restored, by.is_none());
    outbox::enqueue(
        tx,
        &Outgoing::post(&pod.channel, text, Some(blocks.to_value())),
    )
    .await?;
    for channel in &pod.help_channels {
        let (text, blocks) = render::help_closed(pod);
        outbox::enqueue(
            tx,
            &Outgoing::Update {
                channel: channel.to_string(),
                key: help_key(switch.id, channel.as_str()),
                text,
                blocks: Some(blocks.to_value()),
                link_to: None,
            },
        )
        .await?;
    }
    refresh_homes(app, tx, pod).await
}

/// Everyone in the pod sees the banner (or its removal) and their role on App Home.
async fn refresh_homes(app: &Team, tx: &mut Tx<'_>, pod: &PodConfig) -> Result<(), AppError> {
    let mut people: Vec<&UserId> = pod.managers.iter().chain(pod.members.iter()).collect();
    people.sort();
    people.dedup();
    for person in people {
        home::publish(app, tx, person).await?;
    }
    Ok(())
}

/// The banner check-in prompts and App Home show while `pod` is understaffed.
pub async fn banner(tx: &mut Tx<'_>, pod: &str) -> Result<Option<String>, AppError> {
    Ok(store::open_switch(tx, pod)
        .await?
        .map(|s| render::banner(&s)))
}

/// Switches off period `id`, whose `--until` has passed, unless it already is.
async fn expire(app: &Team, tx: &mut Tx<'_>, id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    let Some(switch) = store::open_switch_by_id(tx, id).await? else {
        return Ok(());
    };
    let Some(pod) = pods::by_name(app, &switch.pod) else {
        // The pod left the config: close the record quietly.
        store::switch_off(tx, id, now, None).await?;
        return Ok(());
    };
    // Recorded as ending at its planned time, even when the tick runs late.
    let ended = switch.until_at.map_or(now, |until| until.min(now));
    finish(app, tx, &pod, &switch, ended, None).await?;
    Ok(())
}

pub async fn export(
    db: &Db,
    range: &export::Range,
    format: export::Format,
    source: &dyn NameSource,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let (start, end) = range.bounds();
    let mut rows = store::export_rows(db, start, end).await?;
    let ids: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            let people = [&r.switched_on_by, &r.switched_off_by].into_iter().cloned();
            people.chain(r.helpers.split(' ').map(str::to_string))
        })
        .collect();
    let names = export::Names::look_up(db, ids, source).await?;
    for r in &mut rows {
        r.switched_on_by_name = names.of(&r.switched_on_by);
        r.switched_off_by_name = names.of(&r.switched_off_by);
        r.helper_names = names.of_list(&r.helpers);
    }
    export::write(&rows, format, out)
}
