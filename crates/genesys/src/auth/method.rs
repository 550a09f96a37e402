//! How qtop signs in: the configured method and a token someone else made.

use std::fmt;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use super::grant::{Grant, SessionKind, Token, TokenSource};
use crate::models::TokenResponse;
use crate::secret::Secret;
use crate::token::decode_jwt;
use crate::token_cache::TokenCache;

/// How the authorization-code flow meets the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PkceMode {
    /// Listen on loopback, open a browser when there is one, and accept a pasted address too.
    #[default]
    Auto,
    /// Only the loopback redirect (the browser runs on this machine).
    Loopback,
    /// Only a pasted address or code (SSH, no browser here).
    Paste,
}

impl PkceMode {
    pub fn parse(s: &str) -> Option<PkceMode> {
        match s {
            "auto" => Some(PkceMode::Auto),
            "loopback" => Some(PkceMode::Loopback),
            "paste" => Some(PkceMode::Paste),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PkceSettings {
    pub client_id: String,
    /// Loopback port for `http://127.0.0.1:<port>/callback` (0 = any free port).
    pub redirect_port: u16,
    pub mode: PkceMode,
    pub cache: Option<TokenCache>,
    /// A confidential client's secret: with it the code exchange and the refresh authenticate
    /// with HTTP Basic, and the session refreshes. Without it (a public client) Genesys does
    /// not refresh, so the session lasts one token lifetime.
    pub secret: Option<Secret>,
}

/// A token made by something else.
#[derive(Clone)]
pub struct ProvidedToken {
    pub token: Secret,
    pub source: TokenSource,
    pub obtained_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for ProvidedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedToken")
            .field("token", &self.token)
            .field("source", &self.source)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl ProvidedToken {
    /// From `GENESYSCLOUD_ACCESS_TOKEN`: expiry known only when it is a JWT with `exp`.
    pub fn from_env(value: &str) -> ProvidedToken {
        let token = value.trim();
        ProvidedToken {
            expires_at: decode_jwt("access token", token).and_then(|j| j.expires_at),
            token: Secret::new(token),
            source: TokenSource::Env,
            obtained_at: Timestamp::now(),
        }
    }

    /// A file holding the token on its first line, or a token endpoint's JSON answer
    /// (`{"access_token": …, "expires_in": …}`, whose expiry counts from the file's mtime).
    pub fn from_file(path: &Path) -> Result<ProvidedToken, String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(format!(
                        "{} is readable by other users (mode {mode:o}): run chmod 600 {}",
                        path.display(),
                        path.display()
                    ));
                }
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))?;
        let written: Timestamp = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| Timestamp::try_from(t).ok())
            .unwrap_or_else(Timestamp::now);
        let trimmed = text.trim();
        let (token, expires_at) = if trimmed.starts_with('{') {
            let body: TokenResponse = serde_json::from_str(trimmed).map_err(|e| {
                format!(
                    "{} looks like JSON but is not a token response ({e}); put the bare token in it",
                    path.display()
                )
            })?;
            let exp = written.checked_add(SignedDuration::from_secs(body.expires_in.min(i64::MAX as u64) as i64)).ok();
            (body.access_token, exp)
        } else {
            let line = trimmed.lines().next().unwrap_or("").trim().to_string();
            let exp = decode_jwt("access token", &line).and_then(|j| j.expires_at);
            (line, exp)
        };
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(format!("{} holds no access token: put the token on its first line", path.display()));
        }
        Ok(ProvidedToken {
            token: Secret::new(token),
            source: TokenSource::File(path.to_path_buf()),
            obtained_at: written,
            expires_at,
        })
    }

    pub(super) fn token(&self) -> Token {
        Token {
            access: self.token.clone(),
            refresh: None,
            id_token: None,
            grant: Grant::Provided,
            source: self.source.clone(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
        }
    }
}

#[derive(Debug, Clone)]
pub enum AuthMethod {
    ClientCredentials { client_id: String, secret: Secret },
    Pkce(PkceSettings),
    Token(ProvidedToken),
}

impl AuthMethod {
    pub fn grant(&self) -> Grant {
        match self {
            AuthMethod::ClientCredentials { .. } => Grant::ClientCredentials,
            AuthMethod::Pkce(_) => Grant::AuthorizationCode,
            AuthMethod::Token(_) => Grant::Provided,
        }
    }

    pub fn kind(&self) -> SessionKind {
        match self {
            AuthMethod::ClientCredentials { .. } => SessionKind::ClientCredentials,
            AuthMethod::Pkce(PkceSettings { secret: Some(_), .. }) => SessionKind::ConfidentialCode,
            AuthMethod::Pkce(_) => SessionKind::PublicCode,
            AuthMethod::Token(_) => SessionKind::Provided,
        }
    }

    /// The token file a provided token is read from.
    pub fn token_file(&self) -> Option<&Path> {
        match self {
            AuthMethod::Token(ProvidedToken { source: TokenSource::File(p), .. }) => Some(p),
            _ => None,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            AuthMethod::ClientCredentials { client_id, .. } => Some(client_id),
            AuthMethod::Pkce(s) => Some(&s.client_id),
            AuthMethod::Token(_) => None,
        }
    }

    /// Signing in may need the person at the keyboard (a browser, a paste).
    pub fn is_interactive(&self) -> bool {
        matches!(self, AuthMethod::Pkce(_))
    }

    pub fn cache(&self) -> Option<&TokenCache> {
        match self {
            AuthMethod::Pkce(s) => s.cache.as_ref(),
            _ => None,
        }
    }
}
