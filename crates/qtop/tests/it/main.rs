//! qtop's integration tests, one binary (one link, one process start): a module per area,
//! shared helpers in `common/`. One module: `cargo test -p qtop --test it -- ui_snapshots::`.

mod common;

mod auth_flows;
mod catalog_coverage;
mod deploy_drift;
mod diagnosis_e2e;
mod explain_cli;
mod export;
mod fault_matrix;
mod fuzz_bodies;
mod layering;
mod log_secrets;
mod paging;
mod personas;
mod pty_auth;
mod pty_smoke;
mod queue_detail;
mod resilience_snapshots;
mod snapshot_cmd;
mod soak;
mod status_words;
mod streaming;
mod supervision;
mod tasks_bounded;
mod token_pane;
mod totals;
mod ui_snapshots;
mod ux_snapshots;
