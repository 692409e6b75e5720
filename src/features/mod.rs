//! What needful does for the team. Features know the team, not Slack's wire
//! format: they get typed input and a transaction, change state, and enqueue
//! what should be said.

pub mod checkin;
pub mod export;
pub(crate) mod feature;
pub mod home;
pub mod kudos;
pub mod people;
pub(crate) mod pods;
pub mod roles;
pub mod setup;
pub mod staffing;
mod team;
pub mod trophy;

pub use team::Team;

pub use crate::domain::{
    input::{ButtonPress, FormSubmission, MessageInput, SlashCommand},
    reply::{Answer, Reply},
};
