//! Talking to Genesys Cloud: regions, the HTTP client, sign-in, API models and the
//! permission catalogue.

pub mod aggregates;
pub mod auth;
pub mod catalog;
pub mod client;
pub mod models;
pub mod queries;
pub mod regions;
pub mod secret;
