//! Signing in and keeping a token alive.
//!
//! [`Session`] owns the current token and is the only thing that attaches it to a request. It
//! signs in on first use (client credentials, a cached or refreshed user token, the
//! authorization-code + PKCE flow, or a token someone else made), renews before expiry, and on
//! a 401 re-authenticates once and retries once (never a loop).
//!
//! While a renewal runs, callers keep using the still-valid token: only an expired (or absent)
//! token makes a caller wait for the sign-in lock.

mod grant;
mod method;
mod session;
mod status;
mod token_endpoint;

pub use grant::*;
pub use method::*;
pub use session::*;
pub use status::*;
pub use token_endpoint::*;
