//! Signing in and keeping a token alive.
//!
//! [`Session`] owns the current token and is the only thing that attaches it to a request:
//! it signs in on first use, renews before expiry, and on a 401 re-authenticates once and
//! retries once (never a loop).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, watch};

use super::catalog::EndpointId;
use super::client::{ApiError, Auth, Client, Request, Response, ResponseMeta};
use super::models::TokenResponse;
use super::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
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

#[derive(Clone)]
pub struct Token {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub grant: Grant,
    pub obtained_at: Timestamp,
    /// `None` when the lifetime is unknown (a provided token not yet checked).
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
            grant,
            obtained_at: now,
            expires_at: now.checked_add(lifetime).ok(),
        }
    }

    pub fn facts(&self) -> TokenFacts {
        TokenFacts {
            grant: self.grant,
            fingerprint: self.access.fingerprint(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
            renewable: self.grant != Grant::Provided,
        }
    }

    fn needs_renewal(&self, now: Timestamp, margin: Duration) -> bool {
        match self.expires_at {
            Some(exp) => {
                self.grant != Grant::Provided && now + SignedDuration::try_from(margin).unwrap_or_default() >= exp
            }
            None => false,
        }
    }
}

/// What may be shown about a token: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    pub grant: Grant,
    pub fingerprint: String,
    pub obtained_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub renewable: bool,
}

#[derive(Debug, Clone)]
pub enum AuthMethod {
    ClientCredentials { client_id: String, secret: Secret },
}

impl AuthMethod {
    pub fn grant(&self) -> Grant {
        match self {
            AuthMethod::ClientCredentials { .. } => Grant::ClientCredentials,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            AuthMethod::ClientCredentials { client_id, .. } => Some(client_id),
        }
    }
}

/// Where sign-in stands, published on a watch channel for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPhase {
    NotSignedIn,
    SigningIn,
    SignedIn,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthStatus {
    pub phase: AuthPhase,
    pub token: Option<TokenFacts>,
    pub signed_in_at: Option<Timestamp>,
    pub sign_ins: u32,
}

pub struct Session {
    client: Client,
    method: AuthMethod,
    token: Mutex<Option<Arc<Token>>>,
    status: watch::Sender<AuthStatus>,
    renew_margin: Duration,
}

impl Session {
    pub fn new(client: Client, method: AuthMethod) -> Self {
        let (status, _) =
            watch::channel(AuthStatus { phase: AuthPhase::NotSignedIn, token: None, signed_in_at: None, sign_ins: 0 });
        Session { client, method, token: Mutex::new(None), status, renew_margin: Duration::from_secs(60) }
    }

    /// Renew this long before expiry (default 60 s, never more than a third of the lifetime).
    pub fn with_renew_margin(mut self, margin: Duration) -> Self {
        self.renew_margin = margin;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn method(&self) -> &AuthMethod {
        &self.method
    }

    pub fn status(&self) -> watch::Receiver<AuthStatus> {
        self.status.subscribe()
    }

    /// The current token, signing in or renewing first when needed.
    pub async fn token(&self) -> Result<Arc<Token>, ApiError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref() {
            let margin = self.margin_for(t);
            if !t.needs_renewal(Timestamp::now(), margin) {
                return Ok(t.clone());
            }
        }
        self.sign_in_locked(&mut slot).await
    }

    /// Sign in again now, whatever the current token's state (the `a` key).
    pub async fn reauthenticate(&self) -> Result<Arc<Token>, ApiError> {
        let mut slot = self.token.lock().await;
        self.sign_in_locked(&mut slot).await
    }

    /// After a 401 with `failed`: sign in again unless someone already did.
    async fn renew_after_401(&self, failed: &Arc<Token>) -> Result<Arc<Token>, ApiError> {
        let mut slot = self.token.lock().await;
        if let Some(current) = slot.as_ref()
            && !Arc::ptr_eq(current, failed)
        {
            return Ok(current.clone());
        }
        self.sign_in_locked(&mut slot).await
    }

    fn margin_for(&self, t: &Token) -> Duration {
        let lifetime = t.expires_at.map(|e| e.duration_since(t.obtained_at)).unwrap_or_default();
        let third = Duration::try_from(lifetime / 3).unwrap_or_default();
        self.renew_margin.min(third)
    }

    async fn sign_in_locked(&self, slot: &mut Option<Arc<Token>>) -> Result<Arc<Token>, ApiError> {
        self.status.send_modify(|s| s.phase = AuthPhase::SigningIn);
        let result = match &self.method {
            AuthMethod::ClientCredentials { client_id, secret } => {
                client_credentials(&self.client, client_id, secret).await
            }
        };
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                *slot = Some(token.clone());
                let facts = token.facts();
                self.status.send_modify(|s| {
                    s.phase = AuthPhase::SignedIn;
                    s.signed_in_at = Some(facts.obtained_at);
                    s.token = Some(facts);
                    s.sign_ins += 1;
                });
                Ok(token)
            }
            Err(e) => {
                let why = e.summary();
                self.status.send_modify(|s| s.phase = AuthPhase::Failed(why));
                Err(e)
            }
        }
    }

    /// Call the API with the session's token; a 401 earns one re-authentication and one retry.
    pub async fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<Response<T>, ApiError> {
        let token = self.token().await?;
        match self.client.send(req, Auth::Bearer(&token.access)).await {
            Err(e) if e.status() == Some(401) && token.grant != Grant::Provided => {
                let fresh = self.renew_after_401(&token).await?;
                self.client.send(req, Auth::Bearer(&fresh.access)).await
            }
            other => other,
        }
    }

    /// Like [`Session::call`] for endpoints whose success body is not needed.
    pub async fn call_no_body(&self, req: &Request) -> Result<ResponseMeta, ApiError> {
        let token = self.token().await?;
        self.client.send_no_body(req, Auth::Bearer(&token.access)).await
    }
}

/// `POST /oauth/token` with `grant_type=client_credentials` and HTTP Basic credentials.
pub async fn client_credentials(client: &Client, client_id: &str, secret: &Secret) -> Result<Token, ApiError> {
    let req = Request::new(EndpointId::OAuthToken).form(vec![("grant_type".into(), "client_credentials".into())]);
    let resp: Response<TokenResponse> = client.send(&req, Auth::Basic { user: client_id, password: secret }).await?;
    Ok(Token::from_response(resp.body, Grant::ClientCredentials, Timestamp::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(lifetime: i64) -> Token {
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        Token::from_response(
            TokenResponse {
                access_token: "tok".into(),
                token_type: "bearer".into(),
                expires_in: lifetime as u64,
                refresh_token: None,
            },
            Grant::ClientCredentials,
            now,
        )
    }

    #[test]
    fn renewal_happens_inside_the_margin_only() {
        let t = token(3600);
        let margin = Duration::from_secs(60);
        let obtained = t.obtained_at;
        assert!(!t.needs_renewal(obtained + SignedDuration::from_secs(3000), margin));
        assert!(t.needs_renewal(obtained + SignedDuration::from_secs(3541), margin));
    }

    #[test]
    fn provided_tokens_are_never_renewed() {
        let mut t = token(10);
        t.grant = Grant::Provided;
        assert!(!t.needs_renewal(t.obtained_at + SignedDuration::from_secs(100), Duration::from_secs(60)));
    }

    #[test]
    fn debug_shows_only_a_fingerprint() {
        let shown = format!("{:?}", token(10));
        assert!(!shown.contains("\"tok\""), "{shown}");
        assert!(shown.contains("sha256:"));
    }
}
