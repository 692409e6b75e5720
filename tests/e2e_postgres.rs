//! The end-to-end suite (`tests/e2e/`) again, every app on PostgreSQL: a
//! fresh database per test on the run's throwaway server
//! (`tests/e2e/postgres.rs`). Tests about SQLite itself skip and say so.

/// See `helpers::on_postgres`.
const POSTGRES: bool = true;

#[path = "e2e/authorization.rs"]
mod authorization;
#[path = "e2e/backlog.rs"]
mod backlog;
#[path = "e2e/bounds.rs"]
mod bounds;
#[path = "e2e/checkin.rs"]
mod checkin;
#[path = "e2e/cli.rs"]
mod cli;
#[path = "e2e/demo.rs"]
mod demo;
#[path = "e2e/dropped.rs"]
mod dropped;
#[path = "e2e/engines.rs"]
mod engines;
#[path = "e2e/faults.rs"]
mod faults;
#[path = "e2e/flood.rs"]
mod flood;
#[path = "e2e/fuzz.rs"]
mod fuzz;
#[path = "e2e/helpers.rs"]
mod helpers;
#[path = "e2e/hostile_text.rs"]
mod hostile_text;
#[path = "e2e/installation.rs"]
mod installation;
#[path = "e2e/kudos.rs"]
mod kudos;
#[path = "e2e/manage.rs"]
mod manage;
#[path = "e2e/postgres.rs"]
mod postgres;
#[path = "e2e/replicas.rs"]
mod replicas;
#[path = "e2e/roles.rs"]
mod roles;
#[path = "e2e/rollout.rs"]
mod rollout;
#[path = "e2e/setup.rs"]
mod setup;
#[path = "e2e/spine.rs"]
mod spine;
#[path = "e2e/staffing.rs"]
mod staffing;
#[path = "e2e/trophy.rs"]
mod trophy;
