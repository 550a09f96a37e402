//! Authorization codes and refresh tokens the simulated login host has issued.
//!
//! Codes are single-use and live 60 s; redeeming one needs the same client and redirect URI
//! and a verifier whose S256 hash is the challenge. Reusing a code revokes what it bought
//! (RFC 6749 §4.1.2). Refresh tokens are used only by confidential clients (the token
//! endpoint refuses the rest, see `oauth.rs`). UNCONFIRMED: that they rotate — each use
//! returns a new one and retires the old, so a stolen cached refresh token works once at most;
//! the sheet says nothing about rotation, so qtop keeps the old refresh token when an answer
//! carries none. UNCONFIRMED too: `invalid_grant` for a spent, expired or revoked one (the
//! sheet's "probably"). Lifetimes run on real (tokio) time, like access tokens.

use std::collections::HashMap;

use rand::distr::{Alphanumeric, SampleString};
use tokio::time::{Duration, Instant};

use genesys::pkce::{challenge_for, verifier_is_well_formed};

pub const CODE_LIFETIME: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client: usize,
    pub user: usize,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub expires: Instant,
    pub used: bool,
    /// Access and refresh tokens bought with it (revoked if the code is replayed).
    pub issued: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub client: usize,
    pub user: usize,
    pub scopes: Vec<String>,
    pub expires: Instant,
    pub revoked: bool,
}

/// Why a grant was refused; the token endpoint turns it into an OAuth error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantError {
    /// `invalid_grant` with this description.
    Invalid(&'static str),
    /// `invalid_request` with this description.
    Request(&'static str),
}

#[derive(Default)]
pub struct Grants {
    codes: HashMap<String, CodeRecord>,
    refresh: HashMap<String, RefreshRecord>,
    /// Verifiers that redeemed codes (a server sees them; tests scan screens for them).
    pub verifiers_seen: Vec<String>,
    /// `grant_type=refresh_token` requests, refused or not (tests check who refreshes).
    pub refresh_requests: usize,
}

fn random(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), n)
}

impl Grants {
    pub fn issue_code(&mut self, client: usize, user: usize, redirect_uri: &str, challenge: Option<String>) -> String {
        let now = Instant::now();
        self.codes.retain(|_, c| c.expires + Duration::from_secs(600) > now);
        let code = random(32);
        self.codes.insert(
            code.clone(),
            CodeRecord {
                client,
                user,
                redirect_uri: redirect_uri.to_string(),
                challenge,
                expires: now + CODE_LIFETIME,
                used: false,
                issued: vec![],
            },
        );
        code
    }

    /// Check everything the token endpoint must before exchanging `code`. On a replay the
    /// tokens the code bought are returned for revocation.
    pub fn redeem(
        &mut self,
        code: &str,
        client: usize,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<CodeRecord, (GrantError, Vec<String>)> {
        let Some(rec) = self.codes.get_mut(code) else {
            return Err((GrantError::Invalid("authorization code is invalid"), vec![]));
        };
        if rec.used {
            return Err((
                GrantError::Invalid("authorization code has already been used"),
                std::mem::take(&mut rec.issued),
            ));
        }
        if rec.client != client {
            return Err((GrantError::Invalid("authorization code was issued to another client"), vec![]));
        }
        if rec.expires <= Instant::now() {
            return Err((GrantError::Invalid("authorization code has expired"), vec![]));
        }
        if redirect_uri != Some(rec.redirect_uri.as_str()) {
            return Err((GrantError::Invalid("redirect_uri does not match the authorization request"), vec![]));
        }
        if let Some(challenge) = &rec.challenge {
            let Some(v) = verifier else {
                return Err((GrantError::Request("code_verifier is required"), vec![]));
            };
            if !verifier_is_well_formed(v) {
                return Err((GrantError::Request("code_verifier must be 43-128 unreserved characters"), vec![]));
            }
            self.verifiers_seen.push(v.to_string());
            if challenge_for(v) != *challenge {
                // A wrong verifier burns the code too: it was presented by someone.
                rec.used = true;
                return Err((GrantError::Invalid("code_verifier does not match the code_challenge"), vec![]));
            }
        }
        rec.used = true;
        Ok(rec.clone())
    }

    pub fn note_issued(&mut self, code: &str, tokens: &[&str]) {
        if let Some(rec) = self.codes.get_mut(code) {
            rec.issued.extend(tokens.iter().map(std::string::ToString::to_string));
        }
    }

    pub fn issue_refresh(&mut self, client: usize, user: usize, scopes: Vec<String>, lifetime: Duration) -> String {
        let now = Instant::now();
        if self.refresh.len() > 10_000 {
            self.refresh.retain(|_, r| !r.revoked && r.expires > now);
        }
        let token = random(48);
        self.refresh
            .insert(token.clone(), RefreshRecord { client, user, scopes, expires: now + lifetime, revoked: false });
        token
    }

    /// Use a refresh token: valid, unexpired, the same client. It is retired on success.
    pub fn use_refresh(&mut self, token: &str, client: usize) -> Result<RefreshRecord, GrantError> {
        let bad = GrantError::Invalid("refresh token is invalid, expired or revoked");
        let rec = self.refresh.get_mut(token).ok_or(bad.clone())?;
        if rec.revoked || rec.expires <= Instant::now() || rec.client != client {
            return Err(bad);
        }
        rec.revoked = true;
        Ok(rec.clone())
    }

    /// Revoke matching refresh tokens (an admin signing a user out, a password change).
    pub fn revoke_refresh(&mut self, pred: impl Fn(&RefreshRecord) -> bool) -> usize {
        let mut n = 0;
        for r in self.refresh.values_mut().filter(|r| !r.revoked && pred(r)) {
            r.revoked = true;
            n += 1;
        }
        n
    }

    /// Every refresh token and code ever issued (tests scan output for them).
    pub fn all_secrets(&self) -> Vec<String> {
        self.refresh.keys().chain(self.codes.keys()).cloned().chain(self.verifiers_seen.iter().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn a_code_redeems_once_with_the_right_verifier_and_redirect() {
        let mut g = Grants::default();
        let uri = "http://127.0.0.1:9/callback";
        let code = g.issue_code(1, 0, uri, Some(challenge_for(VERIFIER)));
        assert_eq!(
            g.redeem(&code, 2, Some(uri), Some(VERIFIER)).unwrap_err().0,
            GrantError::Invalid("authorization code was issued to another client")
        );
        assert!(g.redeem(&code, 1, Some("http://127.0.0.1:10/callback"), Some(VERIFIER)).is_err());
        assert_eq!(
            g.redeem(&code, 1, Some(uri), None).unwrap_err().0,
            GrantError::Request("code_verifier is required")
        );
        let rec = g.redeem(&code, 1, Some(uri), Some(VERIFIER)).unwrap();
        assert_eq!((rec.client, rec.user), (1, 0));
        g.note_issued(&code, &["tok"]);
        let (e, revoke) = g.redeem(&code, 1, Some(uri), Some(VERIFIER)).unwrap_err();
        assert_eq!(e, GrantError::Invalid("authorization code has already been used"));
        assert_eq!(revoke, ["tok"]);
    }

    #[test]
    fn a_wrong_verifier_is_refused_and_burns_the_code() {
        let mut g = Grants::default();
        let uri = "http://127.0.0.1:9/callback";
        let code = g.issue_code(1, 0, uri, Some(challenge_for(VERIFIER)));
        let wrong = "x".repeat(43);
        assert_eq!(
            g.redeem(&code, 1, Some(uri), Some(&wrong)).unwrap_err().0,
            GrantError::Invalid("code_verifier does not match the code_challenge")
        );
        assert!(g.redeem(&code, 1, Some(uri), Some(VERIFIER)).is_err());
    }

    #[test]
    fn refresh_tokens_rotate_and_revoked_ones_are_refused() {
        let mut g = Grants::default();
        let r = g.issue_refresh(1, 0, vec![], Duration::from_secs(60));
        assert!(g.use_refresh(&r, 2).is_err(), "another client");
        assert!(g.use_refresh(&r, 1).is_ok());
        assert!(g.use_refresh(&r, 1).is_err(), "rotated: single use");
        let r2 = g.issue_refresh(1, 0, vec![], Duration::from_secs(60));
        assert_eq!(g.revoke_refresh(|_| true), 1);
        assert!(g.use_refresh(&r2, 1).is_err());
    }
}
