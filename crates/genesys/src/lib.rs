//! Talking to Genesys Cloud: regions, the HTTP client, sign-in, API models and the
//! permission catalogue.

pub mod aggregates;
pub mod backoff;
pub mod budget;
pub mod auth;
pub mod browser;
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
