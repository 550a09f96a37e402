//! What the session tells the screen about signing in.

use super::grant::{SessionKind, TokenFacts, TokenSource};
use jiff::Timestamp;

/// What the user is asked to do while the authorization-code flow waits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignInPrompt {
    /// The sign-in page: carries the PKCE challenge and the state, never the verifier.
    pub authorize_url: String,
    /// The loopback redirect qtop listens on, when it does.
    pub listening: Option<String>,
    /// `None`: a browser was opened; `Some(why)`: it could not be.
    pub browser_problem: Option<String>,
    pub accepts_paste: bool,
    /// Why the last pasted line was not usable.
    pub paste_problem: Option<String>,
}

/// Where sign-in stands, published on a watch channel for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthPhase {
    #[default]
    NotSignedIn,
    SigningIn,
    /// The authorization-code flow waits for the browser or a pasted address.
    AwaitingUser(Box<SignInPrompt>),
    SignedIn,
    Failed(String),
    /// The token ended (expired, or refused with a 401) and only the person can renew it: a
    /// provided token, or a code-grant session with nothing left to refresh with. No request
    /// is sent until then. The text is the fix in the words of where it is shown ("start qtop
    /// with a new token", "write a new token to <file>", "press a to sign in again").
    Expired(String),
}

/// How the last renewal went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenewalState {
    pub in_progress: bool,
    /// When and how the last successful renewal (or sign-in) happened.
    pub last_ok: Option<(Timestamp, TokenSource)>,
    /// The last failed attempt and why (cleared by the next success).
    pub last_failure: Option<(Timestamp, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthStatus {
    pub phase: AuthPhase,
    /// Known from the configuration, before any token.
    pub kind: SessionKind,
    pub token: Option<TokenFacts>,
    pub signed_in_at: Option<Timestamp>,
    pub sign_ins: u32,
    pub renewal: RenewalState,
    /// The token cache could not be written (the token still works; the next start signs in).
    pub cache_problem: Option<String>,
}
