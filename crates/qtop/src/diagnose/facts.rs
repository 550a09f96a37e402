//! What is known about a refusal, whether it came from a live call or from text a user
//! pasted: status, codes, message, the request, headers.

use std::time::Duration;

use genesys::catalog::{self, EndpointSpec, Method};
use genesys::client::{ApiError, ErrorKind};

/// The refusal, normalised. Everything is optional: a pasted snippet may hold only a
/// status line or only a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorFacts {
    pub status: Option<u16>,
    /// Genesys `code` (`missing.permissions`) or the OAuth `error` (`invalid_client`).
    pub code: Option<String>,
    pub message: Option<String>,
    /// `error_description` of an OAuth error.
    pub oauth_description: Option<String>,
    pub is_oauth: bool,
    pub method: Option<Method>,
    pub path: Option<String>,
    pub endpoint: Option<&'static EndpointSpec>,
    pub correlation_id: Option<String>,
    pub context_id: Option<String>,
    pub retry_after: Option<Duration>,
    /// `inin-ratelimit-allowed` on the answer, when the server sent it.
    pub rate_allowed: Option<u32>,
    pub transport: Option<Transport>,
    pub raw: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Timeout,
    Connect(String),
    Broken(String),
    /// A 2xx body that did not decode.
    Unreadable(String),
    /// Not sent: the session has ended and only the person can renew it (why, fix).
    SessionEnded(String, String),
    /// The sign-in did not complete on our side (cancelled, timed out, state mismatch, token
    /// file unreadable): no server refused anything.
    SignIn(String),
}

impl ErrorFacts {
    pub fn from_api_error(e: &ApiError) -> ErrorFacts {
        let mut f = ErrorFacts {
            status: e.status(),
            method: Some(e.request.method),
            path: Some(e.request.path.clone()),
            endpoint: Some(catalog::spec(e.request.endpoint)),
            correlation_id: e.correlation_id().map(String::from),
            retry_after: e.retry_after(),
            rate_allowed: e.meta.as_ref().and_then(|m| m.rate).map(|r| r.allowed),
            raw: e.raw().filter(|r| !r.is_empty()).map(String::from),
            ..Default::default()
        };
        match &e.kind {
            ErrorKind::Api { body, .. } => {
                if let Some(b) = body {
                    f.code = b.code.clone();
                    f.message = b.message.clone();
                    f.context_id = b.context_id.clone();
                }
            }
            ErrorKind::OAuth { body, .. } => {
                f.is_oauth = true;
                if let Some(b) = body {
                    f.code = Some(b.error.clone()).filter(|c| !c.is_empty());
                    f.oauth_description = Some(b.text().to_string()).filter(|d| !d.is_empty());
                }
            }
            ErrorKind::Decode { detail, .. } => f.transport = Some(Transport::Unreadable(detail.clone())),
            ErrorKind::Timeout => f.transport = Some(Transport::Timeout),
            ErrorKind::Connect { detail } => f.transport = Some(Transport::Connect(detail.clone())),
            ErrorKind::Transport { detail } => f.transport = Some(Transport::Broken(detail.clone())),
            ErrorKind::SignIn { detail } => f.transport = Some(Transport::SignIn(detail.clone())),
            ErrorKind::SessionEnded { why, fix } => {
                f.transport = Some(Transport::SessionEnded(why.clone(), fix.clone()));
            }
        }
        f
    }

    /// `POST /api/v2/…` when the request is known.
    pub fn request_line(&self) -> Option<String> {
        match (&self.method, &self.path) {
            (Some(m), Some(p)) => Some(format!("{m} {p}")),
            (None, Some(p)) => Some(p.clone()),
            _ => self.endpoint.map(genesys::catalog::EndpointSpec::label),
        }
    }
}
