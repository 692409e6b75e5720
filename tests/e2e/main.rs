//! End-to-end tests: one binary, one module per capability.

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
mod roles;
mod setup;
mod spine;
mod staffing;
mod trophy;
