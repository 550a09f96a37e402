//! qtop: a terminal monitor for Genesys Cloud queues that explains every refusal.

pub mod app;
pub mod auth_tasks;
pub mod cli;
pub mod config;
pub mod console_sign_in;
pub mod demo;
pub mod diagnose;
pub mod doctor;
pub mod event;
pub mod explain;
pub mod export;
pub mod keys;
pub mod logging;
pub mod monitor;
pub mod setup;
pub mod sim;
pub mod stream;
pub mod supervise;
pub mod tui;
pub mod ui;
