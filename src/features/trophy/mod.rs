//! The Needful Trophy: one per workspace, passed on by its holder to the next
//! colleague who went beyond for a customer.

mod parse;
mod render;

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::block_kit::Block;
use crate::{
    domain::ids::{UserId, unescape_text},
    domain::workspace::NameSource,
    error::{AppError, user_error},
    features::Team,
    features::{self, Reply, SlashCommand, export},
    outbox::{self, Outgoing},
    storage::{self, Db, Tx, trophy as store},
};

use crate::features::feature::{CommandSpec, Feature};
use parse::TrophyCommand;
use store::{Kind, NewPass, Pass};

/// The Needful Trophy: one trophy, passed hand to hand.
pub struct Trophy;

impl Feature for Trophy {
    const NAME: &'static str = "trophy";
    const ABOUT: &'static str = "*The Needful Trophy*: one trophy, passed hand to hand to whoever went the extra mile, with its whole history kept.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/trophy",
        usage: "[pass @colleague reason | history | reassign @colleague reason]",
        help: "See who holds the Needful Trophy, pass it on with a reason, or view its history.",
    }];
    const JOBS: &'static [&'static str] = &["holder nudge"];
    const HOME: bool = true;

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let name = &trophy_name(app);
        let parsed = match parse::parse(&inv.text) {
            Ok(parsed) => parsed,
            Err(e) => return user_error(render::parse_error(name, &e)),
        };
        match parsed {
            TrophyCommand::Status => {
                let current = store::current(tx).await?;
                let recent = store::newest(tx, RECENT, 0).await?;
                Ok(render::status(
                    name,
                    current.as_ref(),
                    &recent,
                    app.clock.now(),
                ))
            }
            TrophyCommand::History { page } => history(app, tx, i64::from(page)).await,
            TrophyCommand::Help => Ok(Reply::ephemeral(render::help(name))),
            TrophyCommand::Pass { to, reason } => {
                let current = store::current(tx).await?;
                let kind = match &current {
                    Some(holder) if holder.to == inv.user => Kind::Pass,
                    Some(holder) => {
                        return user_error(render::not_the_holder(
                            name,
                            &holder.to,
                            is_manager(app, &inv.user),
                        ));
                    }
                    None if is_manager(app, &inv.user) => Kind::First,
                    None => {
                        return user_error(render::no_holder_needs_manager(name, &managers(app)));
                    }
                };
                hand_over(app, tx, inv, current.as_ref(), kind, &to, &reason).await
            }
            TrophyCommand::Reassign { to, reason } => {
                let current = store::current(tx).await?;
                if !is_manager(app, &inv.user) {
                    return user_error(render::only_managers_reassign(
                        name,
                        current.as_ref().map(|p| &p.to),
                    ));
                }
                if current.is_none() {
                    return user_error(render::nothing_to_reassign(name));
                }
                hand_over(app, tx, inv, current.as_ref(), Kind::Reassign, &to, &reason).await
            }
        }
    }

    /// Scheduled: nudges holders who have kept the trophy too long, once per
    /// holding per nudge period (a bot that was down for two periods nudges once).
    async fn tick(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
        let days = app.setup().trophy.nudge_after_days;
        if days == 0 {
            return Ok(());
        }
        // Look on the read-only pool first: almost every tick has nothing to do.
        let holding = store::current(&mut storage::Tx::read(&app.db, now).await?).await?;
        if holding
            .and_then(|p| nudge_period(p.at, now, days))
            .is_none()
        {
            return Ok(());
        }
        let team = app.clone();
        let nudged = app
            .writer
            .transaction(move |tx| Box::pin(async move { nudge(&team, tx, days, now).await }))
            .await?;
        if let Some((holder, period)) = nudged {
            tracing::info!(%holder, period, "nudged the trophy holder");
        }
        Ok(())
    }

    /// The trophy section of a person's App Home.
    async fn home(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        let current = store::current(tx).await?;
        Ok(render::home(
            &trophy_name(app),
            current.as_ref(),
            user,
            is_manager(app, user),
            app.clock.now(),
        ))
    }
}

/// Passes shown by `/trophy`.
const RECENT: i64 = 5;
/// Passes per `/trophy history` page.
const PAGE: i64 = 10;
/// The scheduler job kind of holder reminders.
const NUDGE_JOB: &str = "trophy_nudge";

fn trophy_name(app: &Team) -> String {
    app.setup().trophy.name.clone()
}

/// Managers of any pod may start the chain and reassign the trophy.
fn is_manager(app: &Team, user: &UserId) -> bool {
    app.setup().pods.iter().any(|p| p.managers.contains(user))
}

fn managers(app: &Team) -> Vec<UserId> {
    let mut all: Vec<UserId> = app
        .setup()
        .pods
        .iter()
        .flat_map(|p| p.managers.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}

async fn history(app: &Team, tx: &mut Tx<'_>, page: i64) -> Result<Reply, AppError> {
    let name = &trophy_name(app);
    let total = store::count(tx).await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    if total > 0 && page > pages {
        return user_error(render::no_such_page(page, pages));
    }
    let passes = store::newest(tx, PAGE, (page - 1) * PAGE).await?;
    Ok(render::history(name, page, pages, total, &passes))
}

/// Checks the new holder, records the pass, and enqueues the announcement,
/// the new holder's DM and the affected App Homes, all in `tx`.
async fn hand_over(
    app: &Team,
    tx: &mut Tx<'_>,
    inv: &SlashCommand,
    current: Option<&Pass>,
    kind: Kind,
    to: &UserId,
    reason: &str,
) -> Result<Reply, AppError> {
    let name = &trophy_name(app);
    if to == &inv.user {
        return user_error(render::to_yourself(name));
    }
    if current.is_some_and(|p| &p.to == to) {
        return user_error(render::already_holds(name, to));
    }
    if features::people::is_bot(app, tx, to).await? {
        return user_error(render::to_a_bot(name, to));
    }
    let new = NewPass {
        after: current,
        at: app.clock.now(),
        kind,
        to,
        reason,
        by: &inv.user,
    };
    if store::record_pass(tx, &new).await?.is_none() {
        return user_error(render::raced(name));
    }
    let pass = store::current(tx)
        .await?
        .context("the pass just recorded is missing")?;

    let channel = app.setup().kudos.channel.clone();
    let channel = channel.as_ref();
    if let Some(channel) = channel {
        let (text, blocks) = render::announcement(name, &pass);
        outbox::enqueue_with_fallback(
            tx,
            &Outgoing::post(channel, text, Some(blocks.to_value())),
            Some(Outgoing::Ephemeral {
                channel: inv.channel.to_string(),
                user: inv.user.to_string(),
                text: render::announcement_refused(name, channel),
                blocks: None,
            }),
        )
        .await?;
    }
    let (text, blocks) = render::welcome(name, &pass);
    outbox::enqueue(
        tx,
        &Outgoing::DirectMessage {
            user: to.to_string(),
            text,
            blocks: Some(blocks.to_value()),
        },
    )
    .await?;
    // The homes whose trophy section changed: the new and the old holder's.
    features::home::publish(app, tx, to).await?;
    if let Some(old) = current.map(|p| &p.to) {
        features::home::publish(app, tx, old).await?;
    }
    Ok(Reply::ephemeral(render::confirmation(name, &pass, channel)))
}

/// [`tick`]'s transaction: the nudge for the current holding's period,
/// once. Who was nudged for which period, if this run did it.
async fn nudge(
    app: &Team,
    tx: &mut Tx<'_>,
    days: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(UserId, i64)>> {
    let Some(current) = store::current(tx).await? else {
        return Ok(None);
    };
    let Some(period) = nudge_period(current.at, now, days) else {
        return Ok(None);
    };
    if !storage::jobs::claim(tx, NUDGE_JOB, &format!("{}:{period}", current.id), now).await? {
        return Ok(None);
    }
    let (text, blocks) = render::nudge(&trophy_name(app), (now - current.at).num_days());
    outbox::enqueue(
        tx,
        &Outgoing::DirectMessage {
            user: current.to.to_string(),
            text,
            blocks: Some(blocks.to_value()),
        },
    )
    .await?;
    Ok(Some((current.to, period)))
}

/// Which nudge period `now` falls in for a holding that began at `since`
/// (1 after `days` days, 2 after twice that, …); None before the first.
fn nudge_period(since: DateTime<Utc>, now: DateTime<Utc>, days: u32) -> Option<i64> {
    let period = Duration::days(i64::from(days));
    let held = now - since;
    if held < period {
        return None;
    }
    let periods = held.num_seconds() / period.num_seconds().max(1);
    Some(periods)
}

/// One row of `needful export trophy`.
#[derive(Debug, Default, Serialize)]
struct ExportRow {
    number: i64,
    passed_at: String,
    kind: &'static str,
    from: Option<String>,
    from_name: String,
    to: String,
    to_name: String,
    reason: String,
    by: String,
    by_name: String,
}

/// `needful export trophy`: the chain within `range`, oldest first.
pub async fn export(
    db: &Db,
    range: &export::Range,
    format: export::Format,
    source: &dyn NameSource,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let (start, end) = range.bounds();
    let passes = store::between(db, start, end).await?;
    let ids: Vec<String> = passes
        .iter()
        .flat_map(|p| {
            let from = p.from.as_ref().map(|u| u.to_string());
            from.into_iter().chain([p.to.to_string(), p.by.to_string()])
        })
        .collect();
    let names = export::Names::look_up(db, ids, source).await?;
    let rows: Vec<ExportRow> = passes
        .into_iter()
        .map(|p| ExportRow {
            number: p.number,
            passed_at: p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind: p.kind.as_str(),
            from_name: p
                .from
                .as_ref()
                .map(|u| names.of(u.as_str()))
                .unwrap_or_default(),
            from: p.from.map(|u| u.to_string()),
            to_name: names.of(p.to.as_str()),
            to: p.to.to_string(),
            // Stored as Slack sent it (escaped); a spreadsheet wants plain text.
            reason: unescape_text(&p.reason),
            by_name: names.of(&p.by.to_string()),
            by: p.by.to_string(),
        })
        .collect();
    export::write(&rows, format, out)
}

/// If `leaver` holds the trophy, hands it to `manager` (a reassignment, in
/// the chain with why). True when it did. For someone deactivated in Slack.
pub(crate) async fn return_from(
    app: &Team,
    tx: &mut Tx<'_>,
    leaver: &UserId,
    manager: &UserId,
) -> Result<bool, AppError> {
    let current = store::current(tx).await?;
    let Some(holding) = current.as_ref().filter(|p| &p.to == leaver) else {
        return Ok(false);
    };
    let reason = render::returned(leaver);
    let new = NewPass {
        after: Some(holding),
        at: app.clock.now(),
        kind: Kind::Reassign,
        to: manager,
        reason: &reason,
        by: manager,
    };
    Ok(store::record_pass(tx, &new).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn nudges_come_once_per_period() {
        let since = Utc.with_ymd_and_hms(2026, 11, 25, 8, 30, 0).unwrap();
        let at = |d: i64, h: i64| since + Duration::days(d) + Duration::hours(h);
        assert_eq!(nudge_period(since, at(13, 23), 14), None);
        assert_eq!(nudge_period(since, at(14, 0), 14), Some(1));
        assert_eq!(nudge_period(since, at(27, 23), 14), Some(1));
        assert_eq!(nudge_period(since, at(28, 0), 14), Some(2));
        assert_eq!(nudge_period(since, at(1, 0), 1), Some(1));
    }
}
