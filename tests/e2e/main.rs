//! End-to-end tests: one binary, one module per capability.

mod authorization;
mod checkin;
mod cli;
mod faults;
mod fuzz;
mod helpers;
mod installation;
mod kudos;
mod roles;
mod spine;
mod staffing;
mod trophy;
