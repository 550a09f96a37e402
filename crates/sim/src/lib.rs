//! The embedded simulated Genesys Cloud org: a real HTTP server on loopback that behaves
//! like a region (OAuth, permissions, divisions, error bodies, rate limits) and runs a
//! contact centre on a simulated clock. qtop reaches it only over HTTP at a base URL.
//!
//! Any program that talks to Genesys Cloud can use it as a test double: see the README
//! (its example runs as a doctest) and `docs/genesys-api.md` for the facts it follows.

pub mod admin;
pub mod aggregates;
pub mod api;
pub mod authz;
pub mod clock;
pub mod engine;
pub mod errors;
pub mod fault_cli;
pub mod faults;
pub mod generate;
pub mod grants;
pub mod identity;
pub mod login;
pub mod notifications;
pub mod oauth;
pub mod observations;
pub mod org;
pub mod paging;
pub mod query;
pub mod server;
pub mod staffing;

use std::net::SocketAddr;
use std::sync::Arc;

use clock::{Clock, ScaledClock};
pub use server::{Shared, SimHandle};

#[derive(Clone)]
pub struct SimOptions {
    pub org: org::Org,
    /// Business time at start; default: 10:30 today in the org's time zone.
    pub start: Option<jiff::Timestamp>,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Replace the scaled clock (tests step time by hand).
    pub clock: Option<Arc<dyn Clock>>,
}

impl SimOptions {
    pub fn demo() -> Self {
        SimOptions { org: org::Org::demo(), start: None, speed: 1.0, clock: None }
    }
}

/// What a simulator serves besides the org itself.
#[derive(Clone, Default)]
pub struct SimExtras {
    /// Requests per token per minute, overriding the org file's `rate_limit_per_minute`.
    pub rate_limit: Option<u32>,
    /// Serve `/sim/faults` (loopback callers only).
    pub faults: bool,
    /// Faults to switch on and off on a timeline from the start.
    pub fault_script: Option<admin::FaultScript>,
    /// Notification heartbeat period and channel lifetime (default 30 s and 24 h).
    pub notifications: Option<notifications::Timing>,
}

/// Start the simulator on `bind` (port 0 = any free port).
pub async fn start(opts: SimOptions, bind: SocketAddr) -> std::io::Result<SimHandle> {
    start_with(opts, SimExtras::default(), bind).await
}

/// Start the simulator with a rate limit, fault switching or a fault script.
pub async fn start_with(mut opts: SimOptions, extras: SimExtras, bind: SocketAddr) -> std::io::Result<SimHandle> {
    if let Some(n) = extras.rate_limit {
        opts.org.rate_limit_per_minute = n.max(1);
    }
    let clock: Arc<dyn Clock> = if let Some(c) = opts.clock {
        c
    } else {
        let start = opts.start.unwrap_or_else(|| clock::today_at(&opts.org.timezone, 10, 30));
        Arc::new(ScaledClock::new(start, opts.speed))
    };
    let shared = Shared::with_admin(opts.org, clock, extras.faults);
    if let Some(t) = extras.notifications {
        shared.notifications.set_timing(t);
    }
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let handle = server::serve(listener, shared.clone())?;
    if let Some(script) = extras.fault_script {
        tokio::spawn(admin::play(shared, script));
    }
    Ok(handle)
}

/// `--fault-script`: read and check it against the org, or say which step is wrong.
pub fn load_fault_script(path: Option<&std::path::Path>, org: &org::Org) -> Result<Option<admin::FaultScript>, String> {
    let Some(path) = path else { return Ok(None) };
    let script = admin::FaultScript::load(path)?;
    check_script(&script, org).map_err(|e| format!("--fault-script {}: {e}", path.display()))?;
    Ok(Some(script))
}

/// Check every step of a fault script against the org before starting, so a typo is one
/// line at startup rather than a warning in the log a minute later.
pub fn check_script(script: &admin::FaultScript, org: &org::Org) -> Result<(), String> {
    for (i, step) in script.steps.iter().enumerate() {
        if let admin::StepAction::On(spec) = &step.what {
            faults::resolve(spec, org).map_err(|e| format!("step {} (at {:?}): {e}", i + 1, step.at))?;
        }
    }
    Ok(())
}

/// Loopback, any free port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
