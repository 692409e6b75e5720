//! needful: a Slack bot for customer-support teams.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod features;
#[cfg(test)]
pub(crate) mod fuzzing;
pub mod handlers;
pub mod manifest;
pub mod memory;
pub mod outbox;
pub mod registry;
pub mod scheduler;
pub mod server;
pub mod slack;
#[cfg(feature = "simulator")]
pub mod slack_sim;
pub mod state;
pub mod storage;
pub mod telemetry;

pub use app::Application;
pub use state::Mode;
