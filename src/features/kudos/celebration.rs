//! The one celebration of a kudos'd message in the kudos channel. A
//! reaction only marks it for a refresh ([`refresh`]); it is rendered when
//! the outbox delivers it ([`render_for_delivery`]), from the kudos standing
//! then. So a burst of kudos on one message writes one small outbox row and
//! costs one post or edit, and the reaction's transaction reads and writes
//! no counts.
//!
//! Kudos that joined in on a `/kudos` celebration ([`super::joining`]) are
//! kudos on that post: its refresh edits the post itself.

use super::{
    emoji,
    joining::{self, Post},
    render, store,
};
use crate::{
    domain::ids::UserId,
    error::AppError,
    features::Team,
    outbox::{MessageRef, Outgoing, Rendered, celebration_key},
    storage,
};

/// How many givers a celebration names ("A, B and C", "A, B and 5 others").
const NAMED: usize = 3;

/// The givers a celebration names, from the kudos standing.
fn named(standing: &[store::Standing]) -> Vec<String> {
    standing
        .iter()
        .take(NAMED)
        .map(|s| s.giver.clone())
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
    // Kudos standing on a /kudos celebration joined in on it, and carry its
    // reason; when none stand, the last may just have been taken back.
    if standing.first().is_none_or(|s| s.reason.is_some()) {
        if let Some(key) = storage::outbox::posted_key_at(&app.db, &of.channel, &of.ts).await?
            && let Post::Command { first, count } = joining::post_of(&key)
        {
            return render_joined_command(app, channel, key, (first, count), &standing, giver)
                .await;
        }
        // Its post is no longer recorded (deleted in Slack by hand):
        // nothing is left to edit, and nothing to post about.
        if !standing.is_empty() {
            return Ok(None);
        }
    }
    let key = celebration_key(of);
    let posted = storage::outbox::posted_message(&app.db, &key)
        .await?
        .is_some();
    let Some(store::Standing { receiver, .. }) = standing.first() else {
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

/// The `/kudos` celebration posted under `key` (its kudos rows `first`
/// on, `count` of them), with the kudos that joined in on it standing now.
/// It stays when the last of them is taken back: the command's own kudos
/// still stand.
async fn render_joined_command(
    app: &Team,
    channel: &str,
    key: String,
    (first, count): (i64, Option<i64>),
    joined: &[store::Standing],
    giver: &str,
) -> Result<Rendered, AppError> {
    let rows = store::command_kudos(&app.db, first, joining::command_end(first, count)).await?;
    let Some(command) = joining::command_of(&rows) else {
        return Ok(None);
    };
    let (text, blocks) = render::command_celebration_joined(
        &command.giver,
        &command.celebrated,
        &command.reason,
        &named(joined),
        joined.len(),
        &emoji(app),
    );
    let message = Outgoing::Update {
        channel: channel.to_string(),
        key,
        text,
        blocks: Some(blocks.to_value()),
        link_to: None,
    };
    let refused = Outgoing::DirectMessage {
        user: giver.to_string(),
        text: render::kudos_channel_refused(channel),
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
        if let Some(store::Standing { receiver, .. }) = kudos.first() {
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
    // Under a key, so a reaction on it is known for a roundup's.
    let key = joining::roundup_key(of);
    Ok(Some((
        Outgoing::keyed_post(channel, text, Some(blocks.to_value()), key),
        None,
    )))
}
