//! Morning check-ins, per pod: a prompt in the pod channel on each workday at
//! the pod's local check-in time, check-ins by thread reply, button + modal or
//! `/checkin`, and a summary for the managers when the window closes.

mod limits;
mod parse;
mod render;
mod schedule;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::block_kit::{Block, Blocks};
use crate::features::pods::member_of;
use crate::{
    config::PodConfig,
    domain::ids::UserId,
    error::AppError,
    features::Team,
    features::{self, Answer, ButtonPress, FormSubmission, MessageInput, Reply, SlashCommand},
    outbox::{self, Outgoing},
    storage::{self, Tx, checkin as store},
};

use crate::features::feature::{CommandSpec, EventKind, Feature};
use parse::Command;
use render::DayState;
use schedule::Window;

/// Morning check-ins, per pod.
pub struct Checkin;

impl Feature for Checkin {
    const NAME: &'static str = "check-in";
    const ABOUT: &'static str = "*Morning check-ins*: a gentle hello per pod, with away-until dates so nobody gets nagged on holiday.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/checkin",
        usage: "[note] | away until YYYY-MM-DD [reason] | back | status",
        help: "Check in for the day with your pod, mark yourself away until a date, or come back.",
    }];
    const BUTTONS: &'static [&'static str] = &["checkin_"];
    const FORMS: &'static [&'static str] = &["checkin_"];
    const EVENTS: &'static [EventKind] = &[EventKind::Messages];
    const JOBS: &'static [&'static str] = &["prompt", "window close"];
    const HOME: bool = true;
    // Thread replies to the prompt are check-ins (acknowledged with a reaction).
    const SCOPES: &'static [&'static str] = &["channels:history", "reactions:write"];

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let now = app.clock.now();
        let mine = member_of(app, &inv.user);
        let today = mine
            .first()
            .map(|p| schedule::local_date(p, now))
            .unwrap_or_else(|| now.date_naive());
        // Command text keeps Slack's &amp;/&lt;/&gt; escapes; notes are stored as
        // people wrote them (thread replies and the modal arrive that way too).
        let text = crate::domain::ids::unescape_text(&inv.text);
        let parsed = parse::parse(&text, today).map_err(AppError::User)?;
        match parsed {
            Command::Help => Ok(Reply::ephemeral(render::help())),
            Command::Status => status(app, tx, &inv.user, now).await,
            Command::Away { until, reason } => {
                if mine.is_empty() {
                    return Ok(features::setup::join_offer(app, &render::not_a_member()));
                }
                store::set_away(tx, inv.user.as_str(), until, reason.as_deref(), now).await?;
                refresh_prompts(app, tx, &mine, now).await?;
                features::home::publish(app, tx, &inv.user).await?;
                Ok(Reply::ephemeral(render::away_set(until, reason.as_deref())))
            }
            Command::Back => {
                if mine.is_empty() {
                    return Ok(features::setup::join_offer(app, &render::not_a_member()));
                }
                let was_away = store::clear_away(tx, inv.user.as_str()).await?;
                if was_away {
                    refresh_prompts(app, tx, &mine, now).await?;
                    features::home::publish(app, tx, &inv.user).await?;
                }
                Ok(Reply::ephemeral(render::back(was_away)))
            }
            Command::CheckIn { note } => {
                if mine.is_empty() {
                    return Ok(features::setup::join_offer(app, &render::not_a_member()));
                }
                let mut lines = Vec::new();
                for pod in mine {
                    match schedule::checkin_day(&pod, now) {
                        Ok(window) => {
                            let ack = check_in(
                                app,
                                tx,
                                &pod,
                                window,
                                &inv.user,
                                note.as_deref(),
                                "command",
                                now,
                            )
                            .await?;
                            lines.push(render::ack(&ack));
                        }
                        Err(off) => lines.push(render::day_off(
                            &pod.name,
                            off,
                            schedule::local_date(&pod, now),
                        )),
                    }
                }
                features::home::publish(app, tx, &inv.user).await?;
                Ok(Reply::ephemeral(lines.join("\n\n")))
            }
        }
    }

    /// "Check in" on the prompt opens the modal (pre-filled with today's note).
    async fn button(
        app: &Team,
        tx: &mut Tx<'_>,
        action: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        if action.action_id != render::OPEN_ACTION {
            return Ok(None);
        }
        let refusal = match parse_pod_day(app, &action.value) {
            None => Some((None, render::pod_gone())),
            Some((pod, _)) if !pod.members.contains(&action.user) => {
                let own: Vec<String> = member_of(app, &action.user)
                    .iter()
                    .map(|p| p.name.clone())
                    .collect();
                let text = render::not_in_this_pod(&pod.name, &own);
                Some((Some(pod), text))
            }
            Some((pod, day)) => {
                let note = store::checkin_of(tx, &pod.name, day, action.user.as_str())
                    .await?
                    .and_then(|c| c.note);
                outbox::enqueue(
                    tx,
                    &Outgoing::OpenView {
                        trigger_id: action.trigger_id.clone(),
                        view: render::modal(&pod.name, day, note.as_deref()).to_value(),
                    },
                )
                .await?;
                None
            }
        };
        if let Some((pod, text)) = refusal {
            let channel = action
                .channel
                .as_ref()
                .map(|c| c.to_string())
                .or_else(|| pod.map(|p| p.channel.to_string()));
            if let Some(channel) = channel {
                outbox::enqueue(
                    tx,
                    &Outgoing::Ephemeral {
                        channel,
                        user: action.user.to_string(),
                        text,
                        blocks: None,
                    },
                )
                .await?;
            }
        }
        Ok(Some(Answer::Done))
    }

    /// The modal's submission is a check-in for the prompt's day.
    async fn form(
        app: &Team,
        tx: &mut Tx<'_>,
        view: &FormSubmission,
    ) -> Result<Option<Answer>, AppError> {
        if view.callback_id != render::MODAL_CALLBACK {
            return Ok(None);
        }
        let refuse = |text: String| {
            Ok(Some(Answer::FieldErrors(
                [(render::NOTE_INPUT.to_string(), text)].into(),
            )))
        };
        let Some((pod, day)) = parse_pod_day(app, &view.private_metadata) else {
            return refuse(render::pod_gone());
        };
        if !pod.members.contains(&view.user) {
            let own: Vec<String> = member_of(app, &view.user)
                .iter()
                .map(|p| p.name.clone())
                .collect();
            return refuse(render::not_in_this_pod(&pod.name, &own));
        }
        let note = view
            .value(render::NOTE_INPUT, render::NOTE_INPUT)
            .and_then(clean_note);
        // The input stops at the limit, but a submission is checked all the same.
        if let Err(refusal) = note.as_deref().map_or(Ok(()), parse::check_note) {
            return refuse(refusal);
        }
        let now = app.clock.now();
        let window = schedule::window(&pod, day);
        let ack = check_in(
            app,
            tx,
            &pod,
            window,
            &view.user,
            note.as_deref(),
            "button",
            now,
        )
        .await?;
        outbox::enqueue(
            tx,
            &Outgoing::Ephemeral {
                channel: pod.channel.to_string(),
                user: view.user.to_string(),
                text: render::ack(&ack),
                blocks: None,
            },
        )
        .await?;
        features::home::publish(app, tx, &view.user).await?;
        Ok(Some(Answer::Done))
    }

    /// Thread replies to a check-in prompt are check-ins.
    async fn message(app: &Team, tx: &mut Tx<'_>, message: &MessageInput) -> Result<(), AppError> {
        let Some(thread_ts) = message.thread_ts.as_deref() else {
            return Ok(());
        };
        if thread_ts == message.ts {
            return Ok(());
        }
        let Some((pod_name, day)) =
            store::prompt_at(tx, message.channel.as_str(), thread_ts).await?
        else {
            return Ok(());
        };
        let Some(pod) = pod_named(app, &pod_name) else {
            return Ok(());
        };
        if !pod.members.contains(&message.user) {
            // Managers and others chat in the thread too; only tell those who
            // look like they meant to check in (not the pod's managers).
            if !pod.managers.contains(&message.user) {
                let own: Vec<String> = member_of(app, &message.user)
                    .iter()
                    .map(|p| p.name.clone())
                    .collect();
                outbox::enqueue(
                    tx,
                    &Outgoing::Ephemeral {
                        channel: message.channel.to_string(),
                        user: message.user.to_string(),
                        text: render::not_in_this_pod(&pod.name, &own),
                        blocks: None,
                    },
                )
                .await?;
            }
            return Ok(());
        }
        let note = clean_note(&message.text);
        if let Err(refusal) = note.as_deref().map_or(Ok(()), parse::check_note) {
            outbox::enqueue(
                tx,
                &Outgoing::Ephemeral {
                    channel: message.channel.to_string(),
                    user: message.user.to_string(),
                    text: refusal,
                    blocks: None,
                },
            )
            .await?;
            return Ok(());
        }
        let now = app.clock.now();
        let window = schedule::window(&pod, day);
        check_in(
            app,
            tx,
            &pod,
            window,
            &message.user,
            note.as_deref(),
            "thread",
            now,
        )
        .await?;
        outbox::enqueue(
            tx,
            &Outgoing::React {
                channel: message.channel.to_string(),
                ts: message.ts.clone(),
                name: render::ACK_REACTION.to_string(),
            },
        )
        .await?;
        features::home::publish(app, tx, &message.user).await?;
        Ok(())
    }

    /// Scheduled: posts prompts at each pod's check-in time and sends managers the
    /// summary. `now` may jump, so everything due by `now` and still relevant is
    /// done: a prompt whose window is still open, a summary not yet sent.
    async fn tick(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
        let mut failed = None;
        for pod in &pods(app) {
            for window in schedule::recent_days(pod, now) {
                let key = job_key(&pod.name, window.day);
                // A read first, so a done job costs no write lock on every tick.
                let done = if window.is_open(now) {
                    match storage::jobs::ran(&app.db, PROMPT_JOB, &key).await {
                        Ok(true) => Ok(()),
                        _ => post_prompt(app, pod, window, now).await,
                    }
                } else if now >= window.closes {
                    match storage::jobs::ran(&app.db, SUMMARY_JOB, &key).await {
                        Ok(true) => Ok(()),
                        _ => send_summary(app, pod, window, now).await,
                    }
                } else {
                    Ok(())
                };
                // One pod's trouble must not hold up the others' prompts.
                if let Err(e) = done {
                    tracing::warn!(pod = %pod.name, day = %window.day, error = ?e, "check-in job failed");
                    failed = Some(e);
                }
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// For a pod member: today's check-in state and a hint.
    async fn home(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        let now = app.clock.now();
        let mut lines = Vec::new();
        for pod in member_of(app, user) {
            match schedule::checkin_day(&pod, now) {
                Ok(window) => {
                    let mine = store::checkin_of(tx, &pod.name, window.day, user.as_str()).await?;
                    let away = store::away_on(tx, user.as_str(), window.day).await?;
                    lines.push(render::home_line(
                        &pod.name,
                        pod.channel.as_str(),
                        pod.timezone,
                        &window,
                        mine.as_ref(),
                        away.as_ref(),
                        now,
                    ));
                }
                Err(off) => lines.push(render::home_day_off(&pod.name, off)),
            }
        }
        Ok(render::home_blocks(lines))
    }
}

const PROMPT_JOB: &str = "checkin_prompt";
const SUMMARY_JOB: &str = "checkin_summary";

fn job_key(pod: &str, day: NaiveDate) -> String {
    format!("{pod}:{}", day.format("%Y-%m-%d"))
}

/// The pods as set up now.
fn pods(app: &Team) -> Vec<PodConfig> {
    app.setup().pods.clone()
}

fn pod_named(app: &Team, name: &str) -> Option<PodConfig> {
    pods(app).into_iter().find(|p| p.name == name)
}

/// "support:2026-11-25" → (pod, day), as buttons and modals carry it.
fn parse_pod_day(app: &Team, raw: &str) -> Option<(PodConfig, NaiveDate)> {
    let (pod, day) = raw.rsplit_once(':')?;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((pod_named(app, pod)?, day))
}

fn clean_note(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Records one check-in for `window`'s day and says so where it matters: the
/// prompt's progress line and, for a late first check-in after the summary
/// went out, the managers.
#[expect(clippy::too_many_arguments, reason = "who, where, when and how")]
async fn check_in(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    window: Window,
    user: &UserId,
    note: Option<&str>,
    via: &str,
    now: DateTime<Utc>,
) -> Result<render::Ack, AppError> {
    let late = now >= window.closes;
    let recorded = store::record_checkin(
        tx,
        &pod.name,
        window.day,
        user.as_str(),
        note,
        via,
        late,
        now,
    )
    .await?;
    let first = recorded == store::Recorded::First;
    if store::prompt_exists(tx, &pod.name, window.day).await? {
        update_prompt(app, tx, pod, window, now).await?;
    }
    if first
        && late
        && storage::jobs::has_run(tx, SUMMARY_JOB, &job_key(&pod.name, window.day)).await?
        && let Some(c) = store::checkin_of(tx, &pod.name, window.day, user.as_str()).await?
    {
        let text = render::late_followup(&pod.name, pod.timezone, &window, &c);
        for manager in &pod.managers {
            outbox::enqueue(
                tx,
                &Outgoing::DirectMessage {
                    user: manager.to_string(),
                    text: text.clone(),
                    blocks: None,
                },
            )
            .await?;
        }
    }
    let stored = store::checkin_of(tx, &pod.name, window.day, user.as_str())
        .await?
        .and_then(|c| c.note);
    Ok(render::Ack {
        pod: pod.name.clone(),
        window,
        tz: pod.timezone,
        updated: !first,
        late,
        note: stored,
    })
}

async fn day_state(tx: &mut Tx<'_>, pod: &PodConfig, window: Window) -> Result<DayState, AppError> {
    let checkins = store::checkins(tx, &pod.name, window.day).await?;
    let mut away = Vec::new();
    let mut missing = Vec::new();
    for member in &pod.members {
        if checkins.iter().any(|c| c.user == member.as_str()) {
            continue;
        }
        match store::away_on(tx, member.as_str(), window.day).await? {
            Some(a) => away.push((member.to_string(), a)),
            None => missing.push(member.to_string()),
        }
    }
    let (late, on_time) = checkins.into_iter().partition(|c| c.late);
    Ok(DayState {
        pod: pod.name.clone(),
        tz: pod.timezone,
        window,
        on_time,
        late,
        away,
        missing,
    })
}

async fn render_prompt(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> Result<(String, Blocks), AppError> {
    let state = day_state(tx, pod, window).await?;
    let roster: Vec<(String, String)> = features::roles::current_roster(app, tx, &pod.name, now)
        .await?
        .into_iter()
        .map(|(role, person)| (role, person.to_string()))
        .collect();
    let banner = features::staffing::banner(tx, &pod.name).await?;
    Ok(render::prompt(
        &state,
        &roster,
        banner.as_deref(),
        now >= window.closes,
    ))
}

/// Re-renders the prompt (progress, closed state); waiting updates coalesce.
async fn update_prompt(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (text, blocks) = render_prompt(app, tx, pod, window, now).await?;
    outbox::enqueue(
        tx,
        &Outgoing::Update {
            channel: pod.channel.to_string(),
            key: store::prompt_key(&pod.name, window.day),
            text,
            blocks: Some(blocks.to_value()),
            link_to: None,
        },
    )
    .await?;
    Ok(())
}

/// After an away change, today's prompts show the new counts.
async fn refresh_prompts(
    app: &Team,
    tx: &mut Tx<'_>,
    mine: &[PodConfig],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for pod in mine {
        if let Ok(window) = schedule::checkin_day(pod, now)
            && store::prompt_exists(tx, &pod.name, window.day).await?
        {
            update_prompt(app, tx, pod, window, now).await?;
        }
    }
    Ok(())
}

async fn status(
    app: &Team,
    tx: &mut Tx<'_>,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Reply, AppError> {
    let pods = pods(app);
    let managed: Vec<&PodConfig> = pods.iter().filter(|p| p.managers.contains(user)).collect();
    if managed.is_empty() {
        let mut managers: Vec<String> = member_of(app, user)
            .iter()
            .flat_map(|p| p.managers.iter().map(|m| m.to_string()))
            .collect();
        managers.sort();
        managers.dedup();
        return Err(AppError::User(render::status_refused(&managers)));
    }
    let mut parts = Vec::new();
    for pod in managed {
        match schedule::checkin_day(pod, now) {
            Ok(window) => {
                let state = day_state(tx, pod, window).await?;
                parts.push(render::status(&state, now));
            }
            Err(off) => parts.push(render::status_day_off(
                &pod.name,
                off,
                schedule::local_date(pod, now),
            )),
        }
    }
    Ok(Reply::ephemeral(parts.join("\n\n")))
}

/// Posts the day's prompt once: the claim commits with the outbox row, so a
/// restart or a second instance finds it taken.
async fn post_prompt(
    app: &Arc<Team>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (team, in_tx) = (app.clone(), pod.clone());
    let posted = app
        .writer
        .transaction(move |tx| {
            Box::pin(async move { prompt(&team, tx, &in_tx, window, now).await })
        })
        .await?;
    if posted {
        tracing::info!(pod = %pod.name, day = %window.day, "check-in prompt enqueued");
    }
    Ok(())
}

/// [`post_prompt`]'s transaction: true when this run claimed the prompt.
async fn prompt(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if !storage::jobs::claim(tx, PROMPT_JOB, &job_key(&pod.name, window.day), now).await? {
        return Ok(false);
    }
    store::record_prompt(
        tx,
        &pod.name,
        pod.channel.as_str(),
        window.day,
        window.opens,
        window.closes,
        now,
    )
    .await?;
    let (text, blocks) = render_prompt(app, tx, pod, window, now).await?;
    crate::features::pods::post_in_channel(
        tx,
        pod,
        text,
        &blocks,
        store::prompt_key(&pod.name, window.day),
    )
    .await?;
    Ok(true)
}

/// Sends the managers the day's summary once, when a prompt went out.
async fn send_summary(
    app: &Arc<Team>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (team, in_tx) = (app.clone(), pod.clone());
    let sent = app
        .writer
        .transaction(move |tx| {
            Box::pin(async move { summary(&team, tx, &in_tx, window, now).await })
        })
        .await?;
    if sent {
        tracing::info!(pod = %pod.name, day = %window.day, "check-in summary enqueued");
    }
    Ok(())
}

/// [`send_summary`]'s transaction: true when this run claimed the summary.
async fn summary(
    app: &Team,
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    window: Window,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if !store::prompt_exists(tx, &pod.name, window.day).await?
        || !storage::jobs::claim(tx, SUMMARY_JOB, &job_key(&pod.name, window.day), now).await?
    {
        return Ok(false);
    }
    let state = day_state(tx, pod, window).await?;
    let (text, blocks) = render::summary(&state);
    crate::features::pods::tell_managers(tx, pod, &text, Some(blocks.to_value())).await?;
    update_prompt(app, tx, pod, window, now).await?;
    Ok(true)
}

/// True when `user` has said they are away on `day` (`/checkin away until …`).
/// Roles use it to leave people out of the week's rotation.
pub async fn is_away(tx: &mut Tx<'_>, user: &UserId, day: NaiveDate) -> Result<bool, AppError> {
    Ok(store::away_on(tx, user.as_str(), day).await?.is_some())
}
