//! Joining in on a celebration: a kudos emoji on needful's own celebration
//! post is a kudos from the person reacting to the person celebrated, for
//! the same message (for a `/kudos`, with its reason). The reaction batch
//! maps such a reaction onto what the post celebrates before anything else
//! ([`celebrated_by`]), so the one set of rules, the daily limit and taking
//! kudos back apply to it unchanged.
//!
//! What a post of needful's is, is known from the key the outbox recorded
//! it under ([`Post`]). A post that celebrates nothing still thanks needful
//! itself, and is refused as before; one that celebrates several people or
//! messages is refused too, since a reaction cannot say whom it means.

use super::store::{self, CommandKudos, Delivery};
use crate::{
    outbox::{CELEBRATION_KEYS, MessageRef},
    storage::{self, direct::Batch},
};

const COMMAND: &str = "command:";
const ROUNDUP: &str = "roundup:";

/// How many kudos rows a `/kudos` celebration posted before its key said
/// how many it has is read from: more than anyone names in one command.
/// Only the rows of that one command are kept ([`command_of`]).
const UNCOUNTED_COMMAND_ROWS: i64 = 100;

/// What one of needful's posts is, by the key it was posted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Post {
    /// The celebration of the reaction kudos on this message
    /// ([`crate::outbox::celebration_key`]).
    Message(MessageRef),
    /// The celebration of a `/kudos`: the command's kudos rows from id
    /// `first`, `count` of them (not known for the ones posted before the
    /// key said).
    Command { first: i64, count: Option<i64> },
    /// Several messages' celebrations in one post.
    Roundup,
    /// Anything else: check-in prompts, roles posts, …
    Other,
}

/// The key a `/kudos` celebration is posted under: its kudos rows are
/// `count` from id `first`.
pub(super) fn command_key(first: i64, count: usize) -> String {
    format!("{CELEBRATION_KEYS}{COMMAND}{first}:{count}")
}

/// The key a roundup of `of` is posted under, so a reaction on it is known
/// for one.
pub(super) fn roundup_key(of: &[MessageRef]) -> String {
    let messages: Vec<String> = of
        .iter()
        .map(|m| format!("{}:{}", m.channel, m.ts))
        .collect();
    format!("{CELEBRATION_KEYS}{ROUNDUP}{}", messages.join(","))
}

/// What the post under `key` is.
pub(super) fn post_of(key: &str) -> Post {
    let Some(rest) = key.strip_prefix(CELEBRATION_KEYS) else {
        return Post::Other;
    };
    if let Some(ids) = rest.strip_prefix(COMMAND) {
        let (first, count) = match ids.split_once(':') {
            Some((first, count)) => (first, Some(count)),
            None => (ids, None),
        };
        let count = match count.map(str::parse::<i64>) {
            None => None,
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => return Post::Other,
        };
        return match first.parse() {
            Ok(first) => Post::Command { first, count },
            Err(_) => Post::Other,
        };
    }
    if rest.starts_with(ROUNDUP) {
        return Post::Roundup;
    }
    match rest.split_once(':') {
        Some((channel, ts)) if !channel.is_empty() && !ts.is_empty() => Post::Message(MessageRef {
            channel: channel.to_string(),
            ts: ts.to_string(),
        }),
        _ => Post::Other,
    }
}

/// Where the kudos rows of a `/kudos` celebration end (exclusive).
pub(super) fn command_end(first: i64, count: Option<i64>) -> i64 {
    first.saturating_add(count.unwrap_or(UNCOUNTED_COMMAND_ROWS))
}

/// What a `/kudos` celebration shows: who thanked whom (the people it
/// names: not those thanked privately), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Command {
    pub giver: String,
    pub celebrated: Vec<String>,
    pub reason: String,
}

/// The command behind a `/kudos` celebration, from its kudos rows read
/// from its first id on: the rows of one command share giver, time and
/// reason, so a range read past its end stops at the next command's.
pub(super) fn command_of(rows: &[CommandKudos]) -> Option<Command> {
    let first = rows.first()?;
    let reason = first.reason.clone()?;
    let celebrated = rows
        .iter()
        .take_while(|r| {
            r.giver == first.giver && r.at_ms == first.at_ms && r.reason == first.reason
        })
        .filter(|r| r.delivery != Delivery::Dm.as_str())
        .map(|r| r.receiver.clone())
        .collect();
    Some(Command {
        giver: first.giver.clone(),
        celebrated,
        reason,
    })
}

/// Joining in on a celebration of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Joining {
    /// What the kudos is for: the thanked message, or for a `/kudos` (which
    /// thanks no message) its celebration.
    pub message: MessageRef,
    pub receiver: String,
    /// The `/kudos`'s reason, carried by every kudos that joins in on it.
    pub reason: Option<String>,
    /// Who gave the `/kudos`: their kudos is in it already.
    pub thanked_by: Option<String>,
}

/// Why a reaction on a celebration cannot say whom it thanks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Several {
    /// A roundup: several messages, each with its own author.
    Messages,
    /// A `/kudos` for several people, given by `thanked_by`.
    People { thanked_by: String },
}

/// What a kudos emoji on one of needful's posts comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Celebrated {
    /// The post celebrates nothing: it would thank needful itself.
    Nothing,
    /// The post celebrates one person: the reaction joins in.
    One(Joining),
    /// The post celebrates several: whom is ambiguous.
    Several(Several),
}

/// What needful's post at `ts` in `channel` celebrates: one indexed
/// look-up of the post by where it is, and for a celebration one probe of
/// `kudos_log` for whom.
pub(super) fn celebrated_by(
    batch: &Batch<'_>,
    channel: &str,
    ts: &str,
) -> storage::direct::Result<Celebrated> {
    let Some(key) = storage::outbox::posted_key_at_on(batch, channel, ts)? else {
        return Ok(Celebrated::Nothing);
    };
    Ok(match post_of(&key) {
        Post::Message(message) => match store::receiver_on(batch, &message.channel, &message.ts)? {
            Some(receiver) => Celebrated::One(Joining {
                message,
                receiver,
                reason: None,
                thanked_by: None,
            }),
            None => Celebrated::Nothing,
        },
        Post::Command { first, count } => {
            let rows = store::command_kudos_on(batch, first, command_end(first, count))?;
            let post = MessageRef {
                channel: channel.to_string(),
                ts: ts.to_string(),
            };
            of_command(post, command_of(&rows))
        }
        Post::Roundup => Celebrated::Several(Several::Messages),
        Post::Other => Celebrated::Nothing,
    })
}

/// What joining in on the celebration `post` of `command` comes to.
fn of_command(post: MessageRef, command: Option<Command>) -> Celebrated {
    let Some(Command {
        giver,
        mut celebrated,
        reason,
    }) = command
    else {
        return Celebrated::Nothing;
    };
    match celebrated.len() {
        0 => Celebrated::Nothing,
        1 => Celebrated::One(Joining {
            message: post,
            receiver: celebrated.remove(0),
            reason: Some(reason),
            thanked_by: Some(giver),
        }),
        _ => Celebrated::Several(Several::People { thanked_by: giver }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::celebration_key;

    fn message(channel: &str, ts: &str) -> MessageRef {
        MessageRef {
            channel: channel.into(),
            ts: ts.into(),
        }
    }

    #[test]
    fn every_celebration_key_reads_back_as_what_it_celebrates() {
        let alices = message("C0SUPPORT1", "1732600000.000200");
        assert_eq!(
            post_of(&celebration_key(&alices)),
            Post::Message(alices.clone())
        );
        assert_eq!(
            post_of(&command_key(42, 3)),
            Post::Command {
                first: 42,
                count: Some(3)
            }
        );
        // As /kudos celebrations were posted before their key counted rows.
        assert_eq!(
            post_of("kudos:command:42"),
            Post::Command {
                first: 42,
                count: None
            }
        );
        let roundup = roundup_key(&[alices, message("C0SALES001", "1732600100.000100")]);
        assert_eq!(post_of(&roundup), Post::Roundup);
        for other in [
            "checkin:support:2026-11-25",
            "home:U0ALICE001",
            "kudos:",
            "kudos:C0SUPPORT1",
            "kudos:command:x",
            "kudos:command:4:0",
            "kudos:command:4:many",
        ] {
            assert_eq!(post_of(other), Post::Other, "{other}");
        }
        assert_eq!(command_end(42, Some(3)), 45);
        assert_eq!(command_end(42, None), 42 + UNCOUNTED_COMMAND_ROWS);
    }

    fn row(
        giver: &str,
        receiver: &str,
        reason: &str,
        at_ms: i64,
        delivery: Delivery,
    ) -> CommandKudos {
        CommandKudos {
            giver: giver.into(),
            receiver: receiver.into(),
            reason: Some(reason.into()),
            at_ms,
            delivery: delivery.as_str().into(),
        }
    }

    #[test]
    fn a_command_celebration_is_joined_for_its_one_public_person() {
        let post = message("C0HUMBLEBR", "1764059400.000100");
        let alone = [row("UALICE", "UBOB", "fixed it", 1, Delivery::Channel)];
        assert_eq!(
            of_command(post.clone(), command_of(&alone)),
            Celebrated::One(Joining {
                message: post.clone(),
                receiver: "UBOB".into(),
                reason: Some("fixed it".into()),
                thanked_by: Some("UALICE".into()),
            })
        );
        // Thanked privately, Carol is not in the celebration: it is Bob's.
        let with_private = [
            row("UALICE", "UCAROL", "fixed it", 1, Delivery::Dm),
            row("UALICE", "UBOB", "fixed it", 1, Delivery::Channel),
        ];
        assert!(matches!(
            of_command(post.clone(), command_of(&with_private)),
            Celebrated::One(Joining { receiver, .. }) if receiver == "UBOB"
        ));
        let both = [
            row("UALICE", "UBOB", "the launch", 1, Delivery::Channel),
            row("UALICE", "UCAROL", "the launch", 1, Delivery::Channel),
        ];
        assert_eq!(
            of_command(post.clone(), command_of(&both)),
            Celebrated::Several(Several::People {
                thanked_by: "UALICE".into()
            })
        );
        // Read past its end (an old key), the next command is not its own:
        // another giver, another time or another reason.
        for next in [
            row("UDAN", "UCAROL", "fixed it", 1, Delivery::Channel),
            row("UALICE", "UCAROL", "fixed it", 2, Delivery::Channel),
            row("UALICE", "UCAROL", "another thing", 1, Delivery::Channel),
        ] {
            let rows = [alone[0].clone(), next];
            assert!(
                matches!(
                    of_command(post.clone(), command_of(&rows)),
                    Celebrated::One(_)
                ),
                "{rows:?}"
            );
        }
        assert_eq!(
            of_command(post.clone(), command_of(&[])),
            Celebrated::Nothing
        );
        let only_private = [row("UALICE", "UBOB", "fixed it", 1, Delivery::Dm)];
        assert_eq!(
            of_command(post, command_of(&only_private)),
            Celebrated::Nothing
        );
    }
}
