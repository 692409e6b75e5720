//! The one celebration of a kudos'd message in the kudos channel. A
//! reaction only marks it for a refresh ([`refresh`]); it is rendered when
//! the outbox delivers it ([`render_for_delivery`]), from the kudos standing
//! then. So a burst of kudos on one message writes one small outbox row and
//! costs one post or edit, and the reaction's transaction reads and writes
//! no counts.

use super::{emoji, render, store};
use crate::{
    domain::ids::UserId,
    error::AppError,
    features::Team,
    outbox::{MessageRef, Outgoing, Rendered, celebration_key},
    storage,
};

/// How many givers a celebration names ("A, B and C", "A, B and 5 others").
const NAMED: usize = 3;

/// The givers a celebration names, from the (giver, receiver) kudos standing.
fn named(standing: &[(String, String)]) -> Vec<String> {
    standing
        .iter()
        .take(NAMED)
        .map(|(giver, _)| giver.clone())
        .collect()
}

/// The marker a reaction writes: `of`'s celebration in `kudos_channel` is to
/// show the kudos standing when it is delivered.
pub(super) fn refresh(kudos_channel: String, of: MessageRef, giver: &UserId) -> Outgoing {
    Outgoing::RefreshCelebration {
        channel: kudos_channel,
        of,
        giver: giver.to_string(),
    }
}

/// Posts, grows, shrinks or removes the celebration of `of` in `channel`,
/// from the kudos standing on it now: posted if it is not yet, deleted once
/// none stand, nothing if it never was. If Slack refuses it (needful is not
/// in a channel), `giver` is told why and what to do.
pub async fn render_for_delivery(
    app: &Team,
    channel: &str,
    of: &MessageRef,
    giver: &str,
) -> Result<Rendered, AppError> {
    let standing = store::standing_on(&app.db, &of.channel, &of.ts).await?;
    let key = celebration_key(of);
    let posted = storage::outbox::posted_message(&app.db, &key)
        .await?
        .is_some();
    let Some((_, receiver)) = standing.first() else {
        return Ok(posted.then(|| {
            (
                Outgoing::Delete {
                    channel: channel.to_string(),
                    key,
                },
                None,
            )
        }));
    };
    let named = named(&standing);
    let (text, blocks) =
        render::message_celebration(&named, standing.len(), receiver, &of.channel, &emoji(app));
    let link_to = Some(of.clone());
    let message = if posted {
        Outgoing::Update {
            channel: channel.to_string(),
            key,
            text,
            blocks: Some(blocks.to_value()),
            link_to,
        }
    } else {
        Outgoing::Post {
            channel: channel.to_string(),
            text,
            blocks: Some(blocks.to_value()),
            thread_ts: None,
            key: Some(key),
            link_to,
        }
    };
    let refused = Outgoing::DirectMessage {
        user: giver.to_string(),
        text: render::not_in_channel(&of.channel, channel, receiver),
        blocks: None,
    };
    Ok(Some((message, Some(refused))))
}

/// One post for several celebrations the outbox merged
/// ([`Outgoing::CelebrationRoundup`]): each message's standing kudos, as its
/// own celebration would show them. None when none stand any more.
pub async fn render_roundup(
    app: &Team,
    channel: &str,
    of: &[MessageRef],
) -> Result<Rendered, AppError> {
    let mut standing = Vec::with_capacity(of.len());
    for message in of {
        let kudos = store::standing_on(&app.db, &message.channel, &message.ts).await?;
        if let Some((_, receiver)) = kudos.first() {
            let named = named(&kudos);
            let link = app.message_link(&message.channel, &message.ts);
            standing.push((named, kudos.len(), receiver.clone(), &message.channel, link));
        }
    }
    if standing.is_empty() {
        return Ok(None);
    }
    let lines: Vec<render::RoundupLine<'_>> = standing
        .iter()
        .map(
            |(named, total, receiver, channel, link)| render::RoundupLine {
                named,
                total: *total,
                receiver,
                channel,
                link: link.as_deref(),
            },
        )
        .collect();
    let (text, blocks) = render::celebration_roundup(&lines, &emoji(app));
    Ok(Some((
        Outgoing::post(channel, text, Some(blocks.to_value())),
        None,
    )))
}
