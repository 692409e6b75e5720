//! The team's vocabulary, shared by every layer: who and where (Slack ids),
//! text people typed, made safe to repeat, and Block Kit as features build
//! it. Nothing here knows Slack's wire types or the database.

pub mod block_kit;
pub mod ids;
pub mod input;
pub mod mrkdwn;
pub mod reply;
pub mod workspace;
