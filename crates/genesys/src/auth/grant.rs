//! The token itself, where it came from, and what may be shown about it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::models::TokenResponse;
use crate::secret::Secret;
use crate::token::{JwtFacts, decode_jwt};
use crate::token_cache::CachedToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grant {
    #[default]
    ClientCredentials,
    /// Authorization code with PKCE: a user token.
    AuthorizationCode,
    /// A token handed to qtop (env var or file): cannot be renewed.
    Provided,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code+pkce",
            Grant::Provided => "provided token",
        }
    }

    pub fn is_user(self) -> bool {
        self == Grant::AuthorizationCode
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What keeping the session alive takes: the one answer the token pane, `qtop doctor` and
/// the exporter all give to "will this keep working by itself?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// Client credentials: qtop asks for a new token by itself.
    #[default]
    ClientCredentials,
    /// The code grant with the client secret: the refresh token renews it silently.
    ConfidentialCode,
    /// The code grant + PKCE without a secret: Genesys refreshes only confidential clients,
    /// so the session lasts one token lifetime, then the person signs in again.
    PublicCode,
    /// A token made by something else: qtop cannot renew it.
    Provided,
}

impl SessionKind {
    pub fn label(self) -> &'static str {
        match self {
            SessionKind::ClientCredentials => "client credentials",
            SessionKind::ConfidentialCode => "confidential code grant",
            SessionKind::PublicCode => "public code grant",
            SessionKind::Provided => "provided token",
        }
    }

    /// What happens when the token runs out.
    pub fn renewal(self) -> &'static str {
        match self {
            SessionKind::ClientCredentials => "a new token by itself",
            SessionKind::ConfidentialCode => "refreshes",
            SessionKind::PublicCode => "one token lifetime, then sign in again",
            SessionKind::Provided => "cannot be renewed",
        }
    }

    /// Renews with nobody at the keyboard (as long as the server agrees).
    pub fn renews_alone(self) -> bool {
        matches!(self, SessionKind::ClientCredentials | SessionKind::ConfidentialCode)
    }
}

impl fmt::Display for SessionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.renewal())
    }
}

/// How the current token came to be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenSource {
    #[default]
    SignIn,
    /// Read back from the token cache.
    Cache,
    /// Renewed with the refresh token.
    Refresh,
    /// Client credentials asked again.
    Reissue,
    /// `GENESYSCLOUD_ACCESS_TOKEN`.
    Env,
    /// `--token-file` / `[auth] token_file`.
    File(PathBuf),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::SignIn => f.write_str("signed in"),
            TokenSource::Cache => f.write_str("from the token cache"),
            TokenSource::Refresh => f.write_str("refreshed"),
            TokenSource::Reissue => f.write_str("re-requested"),
            TokenSource::Env => f.write_str("from GENESYSCLOUD_ACCESS_TOKEN"),
            TokenSource::File(p) => write!(f, "from {}", p.display()),
        }
    }
}

#[derive(Clone)]
pub struct Token {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub id_token: Option<Secret>,
    pub grant: Grant,
    pub source: TokenSource,
    pub obtained_at: Timestamp,
    /// `None` when the lifetime is unknown (an opaque provided token).
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access", &self.access)
            .field("grant", &self.grant)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Token {
    pub fn from_response(body: TokenResponse, grant: Grant, now: Timestamp) -> Self {
        let lifetime = SignedDuration::from_secs(body.expires_in.min(i64::MAX as u64) as i64);
        Token {
            access: Secret::new(body.access_token),
            refresh: body.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            id_token: body.id_token.filter(|t| !t.is_empty()).map(Secret::new),
            grant,
            source: TokenSource::SignIn,
            obtained_at: now,
            expires_at: now.checked_add(lifetime).ok(),
        }
    }

    pub(super) fn with_source(mut self, source: TokenSource) -> Self {
        self.source = source;
        self
    }

    pub fn facts(&self) -> TokenFacts {
        let mut jwt: Vec<JwtFacts> = decode_jwt("access token", self.access.expose()).into_iter().collect();
        if let Some(id) = &self.id_token {
            jwt.extend(decode_jwt("id_token", id.expose()));
        }
        TokenFacts {
            grant: self.grant,
            fingerprint: self.access.fingerprint(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
            renewable: self.grant != Grant::Provided,
            source: self.source.clone(),
            refresh_fingerprint: self.refresh.as_ref().map(Secret::fingerprint),
            renew_at: None,
            jwt,
        }
    }

    pub(super) fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| now >= e)
    }

    pub(super) fn needs_renewal(&self, now: Timestamp, margin: Duration) -> bool {
        match self.expires_at {
            Some(exp) => {
                self.grant != Grant::Provided && now + SignedDuration::try_from(margin).unwrap_or_default() >= exp
            }
            None => false,
        }
    }

    pub(super) fn cached(&self) -> CachedToken {
        CachedToken {
            access: self.access.clone(),
            refresh: self.refresh.clone(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
        }
    }
}

/// A user token read back from the cache (only user tokens are cached).
impl From<CachedToken> for Token {
    fn from(cached: CachedToken) -> Token {
        Token {
            access: cached.access,
            refresh: cached.refresh,
            id_token: None,
            grant: Grant::AuthorizationCode,
            source: TokenSource::Cache,
            obtained_at: cached.obtained_at,
            expires_at: cached.expires_at,
        }
    }
}

/// What may be shown about a token: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenFacts {
    pub grant: Grant,
    pub fingerprint: String,
    pub obtained_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// qtop renews it with nobody at the keyboard: client credentials, or a confidential
    /// client holding a refresh token the server still takes.
    pub renewable: bool,
    pub source: TokenSource,
    /// Set for a public client too when the server sent one; it is never used then.
    pub refresh_fingerprint: Option<String>,
    /// When qtop will renew it (expiry minus the renew margin); for a public session, when it
    /// opens the sign-in prompt.
    pub renew_at: Option<Timestamp>,
    /// Decoded claims when the access token (or an id_token) is a JWT.
    pub jwt: Vec<JwtFacts>,
}
