//! End-to-end tests: one binary, one module per capability. The same
//! modules run again with every app on PostgreSQL (`tests/e2e_postgres.rs`).

/// This binary's apps use SQLite (or PostgreSQL with
/// `NEEDFUL_TEST_DATABASE=postgres`): see [`helpers::on_postgres`].
const POSTGRES: bool = false;

mod authorization;
mod backlog;
mod bounds;
mod checkin;
mod cli;
mod demo;
mod dropped;
mod engines;
mod faults;
mod flood;
mod fuzz;
mod helpers;
mod hostile_text;
mod installation;
mod kudos;
mod manage;
mod postgres;
mod replicas;
mod roles;
mod rollout;
mod setup;
mod spine;
mod staffing;
mod trophy;
