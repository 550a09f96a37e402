//! A client for the parts of the Genesys Cloud Platform API that watch routing queues.
//!
//! Nothing here knows about a terminal, a command line or an app's configuration: a program
//! hands in the region (or a base URL), the sign-in method and, for user sign-in, the
//! directory to cache tokens in.
//!
//! - [`regions`]: every region's API and login hosts; [`regions::override_hosts`] for a test
//!   double or a proxy.
//! - [`client`]: the HTTP client. Every call names an endpoint of the permission
//!   [`catalog`], so a refusal can be explained by the permissions that endpoint needs; the
//!   server's `inin-ratelimit-*` headers and `Retry-After` are read on every answer.
//! - [`budget`] and [`backoff`]: the rate budget a session's calls share (so a monitor stays
//!   under the per-token limit with room for sign-in), and the jittered backoff for retries.
//! - [`auth`]: a [`auth::Session`] owns the token: client credentials, the authorization code
//!   with PKCE ([`pkce`], [`loopback`], [`browser`]), a cached or refreshed user token
//!   ([`token_cache`]), or a token someone else made; it renews before expiry and signs in
//!   again once on a 401.
//! - [`token`]: what the API says about a token (its user or client, roles, divisions, scopes)
//!   and what that means for each endpoint; [`secret`] keeps credentials out of logs.
//! - [`queries`], [`aggregates`], [`notifications`]: queue list, live observations, today's
//!   totals and the notification channel, with [`models`] for the bodies.
//!
//! ```no_run
//! use std::sync::Arc;
//! use genesys::auth::{AuthMethod, Session};
//! use genesys::client::{Client, ClientOptions};
//! use genesys::secret::Secret;
//!
//! # async fn run() -> Result<(), genesys::client::ApiError> {
//! let hosts = genesys::regions::find("eu-west-1").expect("a known region").hosts();
//! let client = Client::new(hosts, ClientOptions::default());
//! let method = AuthMethod::ClientCredentials { client_id: "my-client-id".into(), secret: Secret::new("…") };
//! let session = Arc::new(Session::new(client, method));
//! let (queues, _) = genesys::queries::list_queues(&session).await?;
//! let ids: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
//! let (observations, _) = genesys::queries::observe(&session, &ids).await?;
//! for (id, numbers) in genesys::queries::parse_observations(&observations) {
//!     println!("{id}: {:?} waiting", numbers.waiting);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The API facts this crate relies on (shapes, permissions, error codes, rate limits) are in
//! `docs/genesys-api.md` at the repository root. The `genesys-sim` crate serves a simulated
//! org to run this client against.

pub mod aggregates;
pub mod auth;
pub mod backoff;
pub mod browser;
pub mod budget;
pub mod catalog;
pub mod client;
pub mod loopback;
pub mod models;
pub mod notifications;
pub mod pkce;
pub mod queries;
pub mod regions;
pub mod secret;
pub mod token;
pub mod token_cache;
