//! needful: a Slack bot for customer-support teams.

#[cfg(feature = "simulator")]
pub mod slack_sim;
