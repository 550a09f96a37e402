//! The embedded simulated Genesys Cloud org: a real HTTP server on loopback that behaves
//! like a region (OAuth, permissions, divisions, error bodies, rate limits) and runs a
//! contact centre on a simulated clock. qtop reaches it only over HTTP at a base URL.

pub mod api;
pub mod authz;
pub mod clock;
pub mod engine;
pub mod errors;
pub mod grants;
pub mod identity;
pub mod login;
pub mod oauth;
pub mod org;
pub mod server;

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

/// Start the simulator on `bind` (port 0 = any free port).
pub async fn start(opts: SimOptions, bind: SocketAddr) -> std::io::Result<SimHandle> {
    let clock: Arc<dyn Clock> = match opts.clock {
        Some(c) => c,
        None => {
            let start = opts.start.unwrap_or_else(|| clock::today_at(&opts.org.timezone, 10, 30));
            Arc::new(ScaledClock::new(start, opts.speed))
        }
    };
    let shared = Shared::new(opts.org, clock);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    server::serve(listener, shared)
}

/// Loopback, any free port.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}
