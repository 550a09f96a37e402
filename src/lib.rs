//! qtop: a terminal monitor for Genesys Cloud queues that explains every refusal.

pub mod app;
pub mod auth_tasks;
pub mod cli;
pub mod config;
pub mod console_sign_in;
pub mod demo;
pub mod event;
pub mod genesys;
pub mod keys;
pub mod monitor;
pub mod sim;
pub mod tui;
pub mod ui;
