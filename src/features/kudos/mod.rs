//! Kudos by reaction and by command: recorded as rows, celebrated in the kudos
//! channel (or sent privately), limited per day, and exported.

mod celebration;
mod joining;
mod parse;
mod period;
mod reactions;
mod render;
mod rules;

pub use reactions::apply_reactions;

use crate::domain::block_kit::Block;
use crate::{
    domain::ids::UserId,
    domain::workspace::NameSource,
    error::AppError,
    features::Team,
    features::{self, Answer, ButtonPress, Reply, SlashCommand, export},
    outbox::{self, Outgoing},
    storage::{Db, Tx, kudos as store},
};

use crate::features::feature::{CommandSpec, EventKind, Feature};
use parse::{KudosCommand, Misuse};
use rules::{Allowance, Giver, Receiver, Skip, Verdict};
use store::{Delivery, GivenRow, Via};

/// Kudos by reaction and by `/kudos`.
pub struct Kudos;

impl Feature for Kudos {
    const NAME: &'static str = "kudos";
    const ABOUT: &'static str = "*Kudos*: react to a colleague's message with :trophy: (or use `/kudos`) and needful celebrates them in #humblebrag.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/kudos",
        usage: "@colleague [@more…] what they did | stats | private | public",
        help: "Thank one or more colleagues for something they did; needful celebrates it in #humblebrag.",
    }];
    const BUTTONS: &'static [&'static str] = &["home_kudos_", "kudos_"];
    const EVENTS: &'static [EventKind] = &[EventKind::Reactions];
    const HOME: bool = true;
    const RENDERS: &'static [&'static str] = &["refresh_celebration", "celebration_roundup"];
    // Celebrations quote the thanked message (conversations.history).
    const SCOPES: &'static [&'static str] = &["reactions:read", "channels:history"];

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let setup = app.setup();
        let kudos = &setup.kudos;
        let e = emoji(app);
        let usage = || render::usage(&e, kudos.daily_limit, kudos.leaderboard);
        let parsed = match parse::parse(&inv.text) {
            Ok(c) => c,
            Err(misuse) => {
                return Ok(Reply::ephemeral(match misuse {
                    Misuse::MissingReason => render::missing_reason(),
                    Misuse::MissingRecipient => render::missing_recipient(),
                    Misuse::PlainName(name) => render::plain_name(&name),
                    Misuse::Group => render::group(),
                    Misuse::Unknown(word) => {
                        render::unknown(&word, &e, kudos.daily_limit, kudos.leaderboard)
                    }
                    Misuse::ReasonTooLong(chars) => render::reason_too_long(chars),
                }));
            }
        };
        match parsed {
            KudosCommand::Help => Ok(Reply::ephemeral(usage())),
            KudosCommand::Stats => {
                let text = stats_text(app, tx, &inv.user).await?;
                Ok(Reply::ephemeral(text))
            }
            KudosCommand::Leaderboard => {
                if !kudos.leaderboard {
                    return Ok(Reply::ephemeral(render::leaderboard_off()));
                }
                let now = app.clock.now();
                let tz = period::zone_for(&app.setup(), &inv.user);
                let today = now.with_timezone(&tz).date_naive();
                let month = chrono::Datelike::with_day(&today, 1).unwrap_or(today);
                let top =
                    store::top_receivers(tx, period::start_of(month, tz), LEADERBOARD_TOP).await?;
                Ok(Reply::ephemeral(render::leaderboard(&top, &e)))
            }
            KudosCommand::SetPrivate(private) => {
                store::set_private(tx, inv.user.as_str(), private, app.clock.now()).await?;
                features::home::publish(app, tx, &inv.user).await?;
                Ok(Reply::ephemeral(render::preference_set(
                    private,
                    kudos_channel(app).as_deref(),
                )))
            }
            KudosCommand::Give { recipients, reason } => {
                give_by_command(app, tx, inv, &recipients, &reason).await
            }
        }
    }

    /// Buttons in the App Home (`home_…`) and on kudos messages (`kudos_…`).
    async fn button(
        app: &Team,
        tx: &mut Tx<'_>,
        action: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        let private = match action.action_id.as_str() {
            "home_kudos_private" => true,
            "home_kudos_public" => false,
            _ => return Ok(None),
        };
        store::set_private(tx, action.user.as_str(), private, app.clock.now()).await?;
        features::home::publish(app, tx, &action.user).await?;
        Ok(Some(Answer::Done))
    }

    /// The kudos section of a person's App Home: recent thanks, personal bests and
    /// how they like to be thanked (with a button to change it).
    async fn home(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        let tz = period::zone_for(&app.setup(), user);
        let recent: Vec<String> = store::recent_received(tx, user.as_str(), HOME_RECENT)
            .await?
            .into_iter()
            .filter_map(|k| {
                let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(k.at_ms)?;
                Some(render::recent_line(
                    &k.giver,
                    at,
                    tz,
                    &render::place(&k.channel),
                    k.reason.as_deref(),
                ))
            })
            .collect();
        let stats = stats_text(app, tx, user).await?;
        let private = store::is_private(tx, user.as_str()).await?;
        Ok(render::home_blocks(&recent, &stats, private, &emoji(app)))
    }

    async fn render(app: &Team, msg: Outgoing) -> Result<crate::outbox::Rendered, AppError> {
        match msg {
            Outgoing::RefreshCelebration { channel, of, giver } => {
                celebration::render_for_delivery(app, &channel, &of, &giver).await
            }
            Outgoing::CelebrationRoundup { channel, of } => {
                celebration::render_roundup(app, &channel, &of).await
            }
            other => Err(AppError::Internal(anyhow::anyhow!(
                "kudos cannot render {}",
                other.method()
            ))),
        }
    }
}

/// How many recent kudos the App Home lists.
const HOME_RECENT: i64 = 5;
/// How many people `/kudos leaderboard` shows (never the bottom).
const LEADERBOARD_TOP: i64 = 5;

/// The emoji needful uses when it talks about kudos.
fn emoji(app: &Team) -> String {
    app.setup()
        .kudos
        .reactions
        .first()
        .cloned()
        .unwrap_or_else(|| "trophy".to_string())
}

fn kudos_channel(app: &Team) -> Option<String> {
    app.setup().kudos.channel.as_ref().map(|c| c.to_string())
}

async fn give_by_command(
    app: &Team,
    tx: &mut Tx<'_>,
    inv: &SlashCommand,
    recipients: &[UserId],
    reason: &str,
) -> Result<Reply, AppError> {
    let giver = &inv.user;
    let mut receivers = Vec::with_capacity(recipients.len());
    for r in recipients {
        receivers.push(Receiver {
            user: r,
            bot: features::people::is_bot(app, tx, r).await?,
            private: store::is_private(tx, r.as_str()).await?,
        });
    }
    let now = app.clock.now();
    let allowance = {
        let tz = period::zone_for(&app.setup(), giver);
        let (start, reset) = rules::day(now, tz);
        let used = store::given_between(tx, giver.as_str(), start, reset).await?;
        Allowance::new(app.setup().kudos.daily_limit, used, now, tz)
    };
    let needful = app.bot_user();
    let kudos_channel = kudos_channel(app);
    let decision = rules::decide(
        Giver {
            user: giver,
            needful: needful.as_ref(),
            allowance,
            kudos_channel: kudos_channel.is_some(),
        },
        &receivers,
    );
    let e = emoji(app);
    let notes: Vec<String> = decision
        .skipped()
        .map(|(user, why)| match why {
            Skip::Yourself => render::skipped_self(),
            Skip::Needful => render::refuse_needful(&e),
            Skip::Bot => render::skipped_bot(user.as_str()),
        })
        .collect();
    let left = match decision.verdict {
        Verdict::NobodyLeft => return Err(AppError::User(render::nobody_left(&notes))),
        Verdict::OverLimit { asked } => return Err(AppError::User(allowance.refusal(asked))),
        Verdict::Give { left, .. } => left,
    };
    let first_id = store::next_id(tx).await?;
    let rows: Vec<GivenRow> = decision
        .given()
        .zip(first_id..)
        .map(|((receiver, delivery), id)| GivenRow {
            id,
            at_ms: now.timestamp_millis(),
            giver: giver.to_string(),
            receiver: receiver.to_string(),
            channel: inv.channel.to_string(),
            via: Via::Command {
                reason: reason.to_string(),
            },
            delivery,
        })
        .collect();
    store::record_given(tx, &rows).await?;
    let mut public = Vec::new();
    let mut private = Vec::new();
    for (r, delivery) in decision.given() {
        match delivery {
            Delivery::Channel | Delivery::None => public.push(r.to_string()),
            Delivery::Dm => {
                private.push(r.to_string());
                outbox::enqueue(
                    tx,
                    &Outgoing::DirectMessage {
                        user: r.to_string(),
                        text: render::dm_for_command(giver.as_str(), reason, &e),
                        blocks: None,
                    },
                )
                .await?;
            }
        }
        features::home::publish(app, tx, r).await?;
    }
    if let (Some(kc), false) = (&kudos_channel, public.is_empty()) {
        let (text, blocks) = render::command_celebration(giver.as_str(), &public, reason, &e);
        let refused = Outgoing::DirectMessage {
            user: giver.to_string(),
            text: render::kudos_channel_refused(kc),
            blocks: None,
        };
        outbox::enqueue_with_fallback(
            tx,
            &Outgoing::keyed_post(
                kc.clone(),
                text,
                Some(blocks.to_value()),
                joining::command_key(first_id, rows.len()),
            ),
            Some(refused),
        )
        .await?;
    }
    Ok(Reply::ephemeral(render::sent(
        &public,
        &private,
        kudos_channel.as_deref(),
        &notes,
        left,
    )))
}

async fn stats_text(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<String, AppError> {
    let received = store::times(tx, user.as_str(), true).await?;
    let given = store::times(tx, user.as_str(), false).await?;
    let tz = period::zone_for(&app.setup(), user);
    let s = period::stats(&received, &given, app.clock.now(), tz);
    Ok(render::stats(&s, &emoji(app)))
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
    let ids = rows
        .iter()
        .flat_map(|r| [r.giver.clone(), r.receiver.clone()]);
    let names = export::Names::look_up(db, ids.collect::<Vec<_>>(), source).await?;
    for r in &mut rows {
        r.giver_name = names.of(&r.giver);
        r.receiver_name = names.of(&r.receiver);
    }
    export::write(&rows, format, out)
}
