//! End-to-end tests: one binary, one module per capability.

mod authorization;
mod checkin;
mod cli;
mod faults;
mod flood;
mod fuzz;
mod helpers;
mod kudos;
mod roles;
mod spine;
mod staffing;
mod trophy;
