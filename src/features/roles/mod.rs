//! Weekly rotating roles, per pod.
//!
//! Each pod's week (Monday to Sunday, in the pod's zone) has a stored roster,
//! rotated fairly from the members. It is created by the weekly job on the
//! pod's first workday from 00:00 local (before the check-in prompt, which
//! shows it), or lazily by whoever needs it first mid-week, without a post.
//! While the pod is understaffed, supporting roles pause on top of the stored
//! roster, so switching off restores it by construction.

mod parse;
mod render;
pub(crate) mod rotation;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::block_kit::Block;
use crate::{
    config::PodConfig,
    domain::ids::UserId,
    error::AppError,
    features::Team,
    features::{Reply, SlashCommand, pods},
    outbox::{self, Outgoing},
    storage::{self, Tx, roles as store},
};

use crate::features::feature::{CommandSpec, Feature};
use parse::Action;
use rotation::{Move, Roster};

/// Weekly rotating roles, per pod.
pub struct Roles;

impl Feature for Roles {
    const NAME: &'static str = "roles";
    const ABOUT: &'static str = "*Weekly roles*: rotating duties such as triage or escalations, swapped fairly and announced for you.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/roles",
        usage: "[swap @a @b | set @person ROLE]",
        help: "Show this week's rotating roles, swap two people's roles, or set someone's role.",
    }];
    const JOBS: &'static [&'static str] = &["weekly rotation"];
    const HOME: bool = true;

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let cmd = parse::parse(&inv.text).map_err(AppError::User)?;
        let now = app.clock.now();
        let belonging = match cmd.action {
            Action::Show | Action::Help => pods::Belonging::WorksIn,
            Action::Swap(..) | Action::Set(..) => pods::Belonging::Manages,
        };
        if cmd.action == Action::Help {
            return Ok(Reply::ephemeral(render::USAGE));
        }
        let pod = pods::resolve(
            app,
            &inv.user,
            &inv.channel,
            cmd.pod.as_deref(),
            belonging,
            "/roles",
        )?;
        let week = week_at(&pod, now);
        let roles = pod_roles(&pod);
        let change = match cmd.action {
            Action::Show | Action::Help => {
                let (roster, moves) = effective_roster(tx, &pod, week).await?;
                return Ok(Reply::ephemeral(render::roster_reply(
                    &pod, week, &roles, &roster, &moves,
                )));
            }
            Action::Swap(a, b) => {
                check_change(&pod, &inv.user, &[&a, &b])?;
                let roster = base_roster(tx, &pod, week).await?;
                let role_a = role_in(&roster, &a);
                let role_b = role_in(&roster, &b);
                if role_a.is_none() && role_b.is_none() {
                    return Err(AppError::User(format!(
                        "Neither <@{a}> nor <@{b}> has a role this week, so there is nothing to swap. To give one of them a role, use `/roles set @person ROLE`."
                    )));
                }
                if role_a == role_b {
                    return Err(AppError::User(format!(
                        "<@{a}> and <@{b}> are already on the same role this week."
                    )));
                }
                vec![(a, role_b), (b, role_a)]
            }
            Action::Set(who, role) => {
                check_change(&pod, &inv.user, &[&who])?;
                if !roles.contains(&role) {
                    return Err(AppError::User(render::unknown_role(&role, &roles)));
                }
                let roster = base_roster(tx, &pod, week).await?;
                let before = role_in(&roster, &who);
                if before.as_deref() == Some(role.as_str()) {
                    return Err(AppError::User(format!(
                        "<@{who}> is already on {} this week.",
                        rotation::role_label(&role)
                    )));
                }
                // The role's holder takes over the role `who` leaves, so no role is
                // left empty and nobody ends up with two.
                let mut change = vec![(who.clone(), Some(role.clone()))];
                if let Some((_, holder)) = roster.iter().find(|(r, _)| *r == role) {
                    change.push((holder.clone(), before));
                }
                change
            }
        };
        let mut clauses = Vec::new();
        for (user, role) in &change {
            store::assign(tx, &pod.name, week, user, role.as_deref()).await?;
            clauses.push(render::change_clause(user, role.as_deref()));
        }
        let (text, blocks) = render::change_post(&inv.user, &clauses);
        outbox::enqueue(
            tx,
            &Outgoing::post(&pod.channel, text, Some(blocks.to_value())),
        )
        .await?;
        for (user, _) in &change {
            crate::features::home::publish(app, tx, user).await?;
        }
        Ok(Reply::ephemeral(render::change_reply(&pod)))
    }

    /// Scheduled: rotates each pod's roles on its first workday of the week.
    async fn tick(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
        for pod in &app.setup().pods {
            let today = now.with_timezone(&pod.timezone).date_naive();
            let week = rotation::week_of(today);
            if first_workday(pod, week) != Some(today) || pod.members.is_empty() {
                continue;
            }
            let (team, pod) = (app.clone(), pod.clone());
            app.writer
                .transaction(move |tx| {
                    Box::pin(async move { rotate(&team, tx, &pod, week, now).await })
                })
                .await?;
        }
        Ok(())
    }

    async fn home(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        let now = app.clock.now();
        let mut blocks = Vec::new();
        for pod in pods::member_of(app, user) {
            let (roster, moves) = effective_roster(tx, &pod, week_at(&pod, now)).await?;
            let role = role_in(&roster, user);
            let moved_from = moves
                .iter()
                .find(|m| &m.user == user)
                .map(|m| m.from.as_str());
            blocks.push(crate::domain::block_kit::section(&render::home_line(
                &pod,
                role.as_deref(),
                moved_from,
            )));
        }
        Ok(blocks)
    }
}

/// The pod's roles, most critical first.
pub(crate) fn pod_roles(pod: &PodConfig) -> Vec<String> {
    match &pod.roles {
        Some(roles) => roles.iter().map(|r| r.trim().to_lowercase()).collect(),
        None => rotation::DEFAULT_ROLES
            .iter()
            .map(|r| r.to_string())
            .collect(),
    }
}

/// The Monday of the pod's current week.
fn week_at(pod: &PodConfig, now: DateTime<Utc>) -> NaiveDate {
    rotation::week_of(now.with_timezone(&pod.timezone).date_naive())
}

/// The stored roster for the week (rotating it now if nobody has yet), in role order.
async fn base_roster(
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    week: NaiveDate,
) -> Result<Roster, AppError> {
    let roles = pod_roles(pod);
    let mut roster = store::roster(tx, &pod.name, week).await?;
    if roster.is_empty() && !pod.members.is_empty() {
        let last_week = store::roster(tx, &pod.name, week - chrono::Duration::days(7)).await?;
        // People away on the rotation day sit this week out.
        let mut available = Vec::new();
        for member in &pod.members {
            if !crate::features::checkin::is_away(tx, member, week).await? {
                available.push(member.clone());
            }
        }
        let rotated = rotation::rotate(&roles, &available, rotation::week_number(week), &last_week);
        store::record_roster(tx, &pod.name, week, &rotated).await?;
        roster = store::roster(tx, &pod.name, week).await?;
    }
    let position = |role: &str| roles.iter().position(|r| r == role).unwrap_or(usize::MAX);
    roster.sort_by_key(|(role, _)| position(role));
    Ok(roster)
}

/// The roster people work to: the stored one, with supporting roles paused
/// while the pod is understaffed.
async fn effective_roster(
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    week: NaiveDate,
) -> Result<(Roster, Vec<Move>), AppError> {
    let base = base_roster(tx, pod, week).await?;
    if crate::storage::staffing::open_switch(tx, &pod.name)
        .await?
        .is_some()
    {
        Ok(rotation::pause_supporting(&pod_roles(pod), &base))
    } else {
        Ok((base, Vec::new()))
    }
}

/// Who moves to frontline roles when `pod` goes understaffed at `now`
/// (and back when it ends): for the announcement and the all-clear.
pub(crate) async fn understaffed_moves(
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Move>, AppError> {
    let base = base_roster(tx, pod, week_at(pod, now)).await?;
    Ok(rotation::pause_supporting(&pod_roles(pod), &base).1)
}

fn role_in(roster: &Roster, user: &UserId) -> Option<String> {
    roster
        .iter()
        .find(|(_, u)| u == user)
        .map(|(r, _)| r.clone())
}

/// Managers change roles, and only among the pod's members.
fn check_change(pod: &PodConfig, caller: &UserId, people: &[&UserId]) -> Result<(), AppError> {
    if !pods::is_manager(pod, caller) {
        return Err(AppError::User(render::not_a_manager(
            pod,
            &pods::managers_text(pod),
        )));
    }
    if let Some(outsider) = people.iter().find(|p| !pods::is_member(pod, p)) {
        return Err(AppError::User(render::not_in_pod(pod, outsider)));
    }
    Ok(())
}

/// This week's roster for `pod` as (role, person), in role order.
pub async fn current_roster(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, UserId)>, AppError> {
    let Some(pod) = pods::by_name(app, pod) else {
        return Ok(Vec::new());
    };
    Ok(effective_roster(tx, &pod, week_at(&pod, now)).await?.0)
}

/// The first workday (not a holiday) of the week starting `monday`.
fn first_workday(pod: &PodConfig, monday: NaiveDate) -> Option<NaiveDate> {
    (0..7)
        .map(|d| monday + chrono::Duration::days(d))
        .find(|day| {
            use chrono::Datelike;
            pod.workdays.contains(&day.weekday()) && !pod.holidays.contains(day)
        })
}

/// Posts `pod`'s roster for `week` once, and refreshes its members' homes.
async fn rotate(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    week: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = format!("{}:{}", pod.name, week.format("%Y-%m-%d"));
    if !storage::jobs::claim(tx, "roles_rotation", &key, now).await? {
        return Ok(());
    }
    let (roster, moves) = effective_roster(tx, pod, week)
        .await
        .map_err(|e| anyhow::anyhow!("rotating {}: {e}", pod.name))?;
    let (text, blocks) = render::weekly_post(pod, week, &pod_roles(pod), &roster, &moves);
    pods::post_in_channel(tx, pod, text, &blocks, format!("roles:{key}")).await?;
    for member in &pod.members {
        crate::features::home::publish(app, tx, member)
            .await
            .map_err(|e| anyhow::anyhow!("home for {member}: {e}"))?;
    }
    Ok(())
}
