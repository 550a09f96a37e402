//! The session: owns the token, signs in, renews, and attaches it to requests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, mpsc, watch};

use super::grant::{Grant, SessionKind, Token, TokenSource};
use super::method::{AuthMethod, PkceMode, PkceSettings, ProvidedToken};
use super::status::{AuthPhase, AuthStatus, SignInPrompt};
use super::token_endpoint::{client_credentials, exchange_code, refresh_token};
use crate::browser::{Opener, SystemBrowser};
use crate::budget::{Budget, Priority};
use crate::catalog::EndpointId;
use crate::client::{ApiError, Auth, Client, ErrorKind, Request, RequestLine, Response, ResponseMeta};
use crate::loopback::{self, Verdict};
use crate::pkce::{self, Attempt, Callback};
use crate::secret::Secret;
use crate::token_cache::TokenCache;

/// Typed by the person at the keyboard during the authorization-code flow.
#[derive(Debug)]
enum UserInput {
    Pasted(Secret),
    Cancel,
}

/// Why a renewal is happening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// No token yet.
    First,
    /// Inside the renew margin.
    Due,
    /// The API answered 401 to this token.
    Rejected,
    /// The user asked (`a`).
    User,
    /// The keep-alive task found it due: the only trigger besides the person's own that may
    /// open the sign-in prompt while the token still works.
    Scheduled,
}

/// Why the session ended and what the person can do about it.
#[derive(Debug, Clone)]
struct Ended {
    why: String,
    fix: String,
}

/// What Genesys answers for an expired token (`401 credentials.expired`).
const EXPIRED_CODE: &str = "credentials.expired";

/// The error of a call the session did not send because it has ended ([`AuthPhase::Expired`]).
pub fn session_ended_error(request: RequestLine, why: &str, fix: &str) -> ApiError {
    ApiError { request, kind: ErrorKind::SessionEnded { why: why.into(), fix: fix.into() }, meta: None }
}

/// The call was not sent because the session has ended: retrying cannot help until the
/// person renews it (and the next try sends nothing either, so it costs nothing).
pub fn is_session_ended(e: &ApiError) -> bool {
    matches!(e.kind, ErrorKind::SessionEnded { .. })
}

/// What changes when a token file is rewritten.
type FileStamp = Option<(std::time::SystemTime, u64)>;

fn file_stamp(path: &std::path::Path) -> FileStamp {
    std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())))
}

fn expired_why(t: &Token) -> String {
    match t.expires_at {
        Some(at) => format!("the token expired at {}", at.strftime("%H:%M:%S UTC")),
        None => "the token expired".into(),
    }
}

/// After a failed renewal, wait this long before trying again while the token still works.
const RETRY_RENEWAL_AFTER: SignedDuration = SignedDuration::from_secs(10);
/// How long the authorization-code flow waits for the browser or a paste.
const FLOW_TIMEOUT: Duration = Duration::from_secs(600);
/// A public session asks the person to sign in again this long before it ends (or a fifth
/// of a shorter lifetime): time to notice the prompt, with the table still updating.
pub const PROMPT_LEAD: Duration = Duration::from_secs(300);

pub struct Session {
    client: Client,
    method: AuthMethod,
    current: StdMutex<Option<Arc<Token>>>,
    /// Serialises sign-ins and renewals.
    signing: Mutex<()>,
    status: watch::Sender<AuthStatus>,
    renew_margin: Duration,
    opener: Arc<dyn Opener>,
    input_tx: mpsc::Sender<UserInput>,
    input_rx: Mutex<mpsc::Receiver<UserInput>>,
    /// Set when an interactive sign-in failed: nothing but the user (`a`) starts another.
    interactive_blocked: AtomicBool,
    /// The last failed renewal, so callers do not hammer the token endpoint.
    renew_failed: StdMutex<Option<(Timestamp, ApiError)>>,
    flow_timeout: Duration,
    /// The per-token request budget: every API call waits for room in it.
    budget: Budget,
    kind: SessionKind,
    /// Set while nothing but the person can renew the session: calls fail at once, unsent.
    ended: StdMutex<Option<Ended>>,
    /// A token file's modification time and length when last read.
    file_seen: StdMutex<FileStamp>,
    /// The fingerprint of a refresh token the server refused: not offered again.
    dead_refresh: StdMutex<Option<String>>,
}

fn sign_in_error(detail: impl Into<String>) -> ApiError {
    ApiError {
        request: Request::new(EndpointId::OAuthAuthorize).line(),
        kind: ErrorKind::SignIn { detail: detail.into() },
        meta: None,
    }
}

/// Live numbers and totals are polling; everything else is asked for once, by someone.
fn priority_of(endpoint: EndpointId) -> Priority {
    match endpoint {
        EndpointId::QueueObservations | EndpointId::ConversationAggregates => Priority::Poll,
        _ => Priority::Other,
    }
}

/// The server refused the grant itself (bad or revoked refresh token, used code), as opposed
/// to being unreachable: only then is a fresh sign-in the answer.
fn grant_refused(e: &ApiError) -> bool {
    matches!(&e.kind, ErrorKind::OAuth { status, .. } if *status < 500 && *status != 429)
}

impl Session {
    pub fn new(client: Client, method: AuthMethod) -> Self {
        let kind = method.kind();
        let (status, _) = watch::channel(AuthStatus { kind, ..Default::default() });
        let (input_tx, input_rx) = mpsc::channel(8);
        let file_seen = method.token_file().map(file_stamp).unwrap_or_default();
        Session {
            client,
            method,
            current: StdMutex::new(None),
            signing: Mutex::new(()),
            status,
            renew_margin: Duration::from_secs(60),
            opener: Arc::new(SystemBrowser),
            input_tx,
            input_rx: Mutex::new(input_rx),
            interactive_blocked: AtomicBool::new(false),
            renew_failed: StdMutex::new(None),
            flow_timeout: FLOW_TIMEOUT,
            budget: Budget::default(),
            kind,
            ended: StdMutex::new(None),
            file_seen: StdMutex::new(file_seen),
            dead_refresh: StdMutex::new(None),
        }
    }

    /// What keeping this session alive takes.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// Renew this long before expiry (default 60 s, never more than a third of the lifetime).
    pub fn with_renew_margin(mut self, margin: Duration) -> Self {
        self.renew_margin = margin;
        self
    }

    /// What shows the sign-in page to the user (default: this machine's browser).
    pub fn with_opener(mut self, opener: Arc<dyn Opener>) -> Self {
        self.opener = opener;
        self
    }

    /// Give up on an unanswered authorization-code flow after this long (default 10 min).
    pub fn with_flow_timeout(mut self, timeout: Duration) -> Self {
        self.flow_timeout = timeout;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The request budget of this session's token, shared by everything that calls the API.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    pub fn method(&self) -> &AuthMethod {
        &self.method
    }

    pub fn status(&self) -> watch::Receiver<AuthStatus> {
        self.status.subscribe()
    }

    fn current(&self) -> Option<Arc<Token>> {
        self.current.lock().expect("token slot").clone()
    }

    /// A line the user pasted during the authorization-code flow (the redirect address or the
    /// code). Ignored when no flow waits for one.
    pub fn paste(&self, line: Secret) {
        let _ = self.input_tx.try_send(UserInput::Pasted(line));
    }

    /// Give up the authorization-code flow that is waiting (Esc in the prompt).
    pub fn cancel_sign_in(&self) {
        let _ = self.input_tx.try_send(UserInput::Cancel);
    }

    /// The current token, signing in or renewing first when needed. While the session has
    /// ended ([`AuthPhase::Expired`]) this fails at once, without a request.
    pub async fn token(&self) -> Result<Arc<Token>, ApiError> {
        self.reread_token_file();
        if let Some(e) = self.ended_error() {
            return Err(e);
        }
        let now = Timestamp::now();
        let current = self.current();
        if let Some(t) = &current {
            if t.is_expired(now) && !self.renews_alone(t) {
                return Err(self.end(expired_why(t)));
            }
            // Due but only the person can renew it: the keep-alive task opens the sign-in
            // prompt, and polling goes on with this token meanwhile.
            if !t.needs_renewal(now, self.margin_for(t)) || !self.renews_alone(t) {
                return Ok(t.clone());
            }
        }
        if let Some(e) = self.backing_off(now) {
            // A renewal failed moments ago: use what still works, or say why nothing does.
            return match current {
                Some(t) if !t.is_expired(now) => Ok(t),
                _ => Err(e),
            };
        }
        let _guard = match &current {
            // Still good: renew if nobody else is, and otherwise keep using it meanwhile.
            Some(t) if !t.is_expired(now) => match self.signing.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(t.clone()),
            },
            _ => self.signing.lock().await,
        };
        let token = self.renew_if_still_due(Trigger::Due).await?;
        // A token handed over already dead (an expired JWT in the environment) ends at once.
        if token.is_expired(Timestamp::now()) && !self.renews_alone(&token) {
            return Err(self.end(expired_why(&token)));
        }
        Ok(token)
    }

    /// For the keep-alive task: renew when due, waiting for a renewal already running (and
    /// then finding nothing to do) instead of returning at once and asking again.
    pub async fn renew_if_due(&self) {
        let _guard = self.signing.lock().await;
        self.reread_token_file();
        if self.is_ended() {
            return;
        }
        let now = Timestamp::now();
        if let Some(t) = self.current()
            && t.is_expired(now)
            && !self.renews_alone(&t)
        {
            // Said when it happens, not at the next call.
            self.end(expired_why(&t));
            return;
        }
        if self.backing_off(now).is_none() {
            let _ = self.renew_if_still_due(Trigger::Scheduled).await;
        }
    }

    /// With the sign-in lock held: someone may have renewed while we waited for it.
    async fn renew_if_still_due(&self, trigger: Trigger) -> Result<Arc<Token>, ApiError> {
        match self.current() {
            Some(t) if !t.needs_renewal(Timestamp::now(), self.margin_for(&t)) => Ok(t),
            Some(t) => self.renew_locked(Some(t), trigger).await,
            None => self.renew_locked(None, Trigger::First).await,
        }
    }

    fn is_ended(&self) -> bool {
        self.ended.lock().expect("ended state").is_some()
    }

    fn ended_error(&self) -> Option<ApiError> {
        let e = self.ended.lock().expect("ended state").clone()?;
        Some(session_ended_error(Request::new(EndpointId::TokensMe).line(), &e.why, &e.fix))
    }

    /// What the person does to renew this session, in the words of the screen that says it.
    fn fix_for_person(&self) -> String {
        match &self.method {
            AuthMethod::Token(ProvidedToken { source: TokenSource::File(path), .. }) => {
                format!("write a new token to {}", path.display())
            }
            AuthMethod::Token(_) => "start qtop with a new token".into(),
            _ => "press a to sign in again".into(),
        }
    }

    /// The session has ended and only the person can renew it: say so once, send nothing
    /// until then, and return the error unsent calls get.
    fn end(&self, why: String) -> ApiError {
        let fix = self.fix_for_person();
        let first =
            self.ended.lock().expect("ended state").replace(Ended { why: why.clone(), fix: fix.clone() }).is_none();
        if first {
            tracing::warn!(grant = %self.method.grant(), %why, %fix, "session ended: no request is sent until it is renewed");
        }
        self.status.send_if_modified(|s| {
            let phase = AuthPhase::Expired(fix.clone());
            let changed = s.phase != phase || s.renewal.in_progress;
            s.phase = phase;
            s.renewal.in_progress = false;
            changed
        });
        session_ended_error(Request::new(EndpointId::TokensMe).line(), &why, &fix)
    }

    /// Renews without the person: client credentials, or a confidential client holding a
    /// refresh token the server has not refused.
    fn renews_alone(&self, t: &Token) -> bool {
        match self.kind {
            SessionKind::ClientCredentials => true,
            SessionKind::ConfidentialCode => t.refresh.as_ref().is_some_and(|r| !self.refresh_is_dead(r)),
            SessionKind::PublicCode | SessionKind::Provided => false,
        }
    }

    fn refresh_is_dead(&self, r: &Secret) -> bool {
        self.dead_refresh.lock().expect("refresh state").as_deref() == Some(r.fingerprint().as_str())
    }

    /// A token file that changed since it was last read holds the next token (another tool
    /// renews it): take it. A stat per call is the whole cost while nothing changes.
    fn reread_token_file(&self) {
        let Some(path) = self.method.token_file() else { return };
        let stamp = file_stamp(path);
        {
            let mut seen = self.file_seen.lock().expect("file state");
            if *seen == stamp {
                return;
            }
            *seen = stamp;
        }
        match ProvidedToken::from_file(path) {
            Ok(fresh) if self.current().is_some_and(|c| c.access == fresh.token) => {}
            Ok(fresh) => {
                tracing::info!(file = %path.display(), "the token file holds a new token");
                self.install(fresh.token());
            }
            Err(why) => {
                tracing::warn!(%why, "the token file changed but holds no usable token");
                self.status.send_modify(|s| s.renewal.last_failure = Some((Timestamp::now(), why)));
            }
        }
    }

    /// The last renewal's error while it is too recent to try again.
    fn backing_off(&self, now: Timestamp) -> Option<ApiError> {
        match &*self.renew_failed.lock().expect("renewal state") {
            Some((at, e)) if now < *at + RETRY_RENEWAL_AFTER => Some(e.clone()),
            _ => None,
        }
    }

    /// Sign in again now, whatever the current token's state (the `a` key). For a user this is
    /// a full sign-in (perhaps as someone else), not a refresh.
    pub async fn reauthenticate(&self) -> Result<Arc<Token>, ApiError> {
        self.interactive_blocked.store(false, Ordering::SeqCst);
        let _guard = self.signing.lock().await;
        *self.renew_failed.lock().expect("renewal state") = None;
        let current = self.current();
        self.renew_locked(current, Trigger::User).await
    }

    /// After a 401 with `failed`: renew unless someone already did.
    async fn renew_after_401(&self, failed: &Arc<Token>) -> Result<Arc<Token>, ApiError> {
        if let Some(e) = self.backing_off(Timestamp::now()) {
            return Err(e);
        }
        let _guard = self.signing.lock().await;
        if let Some(current) = self.current()
            && !Arc::ptr_eq(&current, failed)
        {
            return Ok(current);
        }
        self.renew_locked(Some(failed.clone()), Trigger::Rejected).await
    }

    fn margin_for(&self, t: &Token) -> Duration {
        let lifetime = t.expires_at.map(|e| e.duration_since(t.obtained_at)).unwrap_or_default();
        if self.kind == SessionKind::PublicCode {
            return PROMPT_LEAD.min(Duration::try_from(lifetime / 5).unwrap_or_default());
        }
        let third = Duration::try_from(lifetime / 3).unwrap_or_default();
        self.renew_margin.min(third)
    }

    /// How long until the keep-alive task has something to do: renew, open the sign-in
    /// prompt, or say the session ended. `None` when there is nothing to wait for.
    pub fn renewal_due_in(&self) -> Option<Duration> {
        if self.is_ended() {
            return None;
        }
        let t = self.current()?;
        let person_declined = self.interactive_blocked.load(Ordering::SeqCst);
        let mut at = match self.kind {
            SessionKind::ClientCredentials => self.renew_at(&t)?,
            SessionKind::ConfidentialCode | SessionKind::PublicCode if !person_declined => self.renew_at(&t)?,
            // Nothing left to try before it ends (a provided token, a declined prompt): wake
            // then, to say so.
            _ => t.expires_at?,
        };
        if let Some((failed, _)) = &*self.renew_failed.lock().expect("renewal state") {
            at = at.max(*failed + RETRY_RENEWAL_AFTER);
        }
        Some(Duration::try_from(at.duration_since(Timestamp::now())).unwrap_or_default())
    }

    fn renew_at(&self, t: &Token) -> Option<Timestamp> {
        let exp = t.expires_at.filter(|_| t.grant != Grant::Provided)?;
        Some(exp - SignedDuration::try_from(self.margin_for(t)).unwrap_or_default())
    }

    /// Renew or sign in; the sign-in lock is held by the caller.
    async fn renew_locked(&self, prev: Option<Arc<Token>>, trigger: Trigger) -> Result<Arc<Token>, ApiError> {
        let first = prev.is_none();
        if first {
            self.status.send_modify(|s| s.phase = AuthPhase::SigningIn);
        } else {
            self.status.send_modify(|s| s.renewal.in_progress = true);
        }
        let result = match &self.method {
            AuthMethod::ClientCredentials { client_id, secret } => client_credentials(&self.client, client_id, secret)
                .await
                .map(|t| if first { t } else { t.with_source(TokenSource::Reissue) }),
            AuthMethod::Token(p) => self.provided(p, prev.as_deref(), trigger).map_err(sign_in_error),
            AuthMethod::Pkce(s) => self.user_token(s, prev.as_deref(), trigger).await,
        };
        match result {
            Ok(token) => Ok(self.install(token)),
            Err(e) => {
                tracing::warn!(grant = %self.method.grant(), trigger = ?trigger, error = %e.summary(), "sign-in failed");
                let now = Timestamp::now();
                *self.renew_failed.lock().expect("renewal state") = Some((now, e.clone()));
                let why = e.summary();
                let ended = self.is_ended();
                let still_good =
                    prev.as_ref().filter(|t| !ended && !t.is_expired(now) && trigger != Trigger::Rejected).cloned();
                // A session that existed and cannot renew itself has ended: only the person can
                // go on from here, and calls stop until they do.
                let over = still_good.is_none() && prev.as_ref().is_some_and(|t| ended || !self.renews_alone(t));
                self.status.send_modify(|s| {
                    s.renewal.in_progress = false;
                    s.renewal.last_failure = Some((now, why.clone()));
                    // The phase says whether qtop can still call the API, not how the last try went.
                    s.phase = match (&still_good, over) {
                        (Some(_), _) => AuthPhase::SignedIn,
                        (None, true) => AuthPhase::Expired(self.fix_for_person()),
                        (None, false) => AuthPhase::Failed(why.clone()),
                    };
                });
                if over && let Some(t) = &prev {
                    let because =
                        if t.is_expired(now) { expired_why(t) } else { format!("the token was refused ({why})") };
                    let ended = self.end(because);
                    // The person asked (`a`): what they get back says what still holds.
                    if trigger == Trigger::User {
                        return Err(ended);
                    }
                }
                match (still_good, trigger) {
                    // A failed background renewal is not the caller's problem yet.
                    (Some(t), Trigger::Due) => Ok(t),
                    _ => Err(e),
                }
            }
        }
    }

    fn install(&self, token: Token) -> Arc<Token> {
        let mut cache_problem = None;
        // A token just read from the cache is already there: no rewrite at every start.
        if token.grant.is_user()
            && token.source != TokenSource::Cache
            && let Some(cache) = self.method.cache()
            && let Err(e) = cache.save(&token.cached())
        {
            cache_problem = Some(format!("cannot write {}: {e}", cache.path.display()));
        }
        *self.renew_failed.lock().expect("renewal state") = None;
        *self.ended.lock().expect("ended state") = None;
        let token = Arc::new(token);
        *self.current.lock().expect("token slot") = Some(token.clone());
        let mut facts = token.facts();
        facts.renew_at = self.renew_at(&token);
        facts.renewable = self.renews_alone(&token);
        tracing::info!(
            grant = %facts.grant,
            source = %facts.source,
            token = %facts.fingerprint,
            refresh_token = facts.refresh_fingerprint.as_deref().unwrap_or("none"),
            expires_at = ?facts.expires_at,
            renew_at = ?facts.renew_at,
            "signed in"
        );
        self.status.send_modify(|s| {
            s.phase = AuthPhase::SignedIn;
            s.signed_in_at = Some(facts.obtained_at);
            s.renewal.in_progress = false;
            s.renewal.last_ok = Some((facts.obtained_at, facts.source.clone()));
            s.renewal.last_failure = None;
            s.token = Some(facts);
            s.sign_ins += 1;
            s.cache_problem = cache_problem;
        });
        token
    }

    /// A provided token, or why there is no new one to be had.
    fn provided(&self, p: &ProvidedToken, prev: Option<&Token>, trigger: Trigger) -> Result<Token, String> {
        match (&p.source, trigger) {
            // Another tool may have written a fresh token into the file: read it again.
            (TokenSource::File(path), Trigger::User | Trigger::Rejected) => {
                let fresh = ProvidedToken::from_file(path)?;
                let dead = trigger == Trigger::Rejected
                    || self.is_ended()
                    || prev.is_some_and(|t| t.is_expired(Timestamp::now()));
                if dead && prev.is_some_and(|t| t.access == fresh.token) {
                    return Err(format!(
                        "{} still holds the token that ended: write a new token there",
                        path.display()
                    ));
                }
                Ok(fresh.token())
            }
            (_, Trigger::First) => Ok(p.token()),
            _ => Err(
                "a token from GENESYSCLOUD_ACCESS_TOKEN cannot be renewed: start qtop with a new one, or use --token-file"
                    .into(),
            ),
        }
    }

    /// A user token: the cache, then (a confidential client only) the refresh token, then the
    /// person.
    async fn user_token(&self, s: &PkceSettings, prev: Option<&Token>, trigger: Trigger) -> Result<Token, ApiError> {
        let now = Timestamp::now();
        let mut refresh = prev.and_then(|t| t.refresh.clone());
        if trigger == Trigger::First
            && let Some(cached) = s.cache.as_ref().and_then(TokenCache::load)
        {
            let token = Token::from(cached);
            if !token.needs_renewal(now, self.margin_for(&token)) {
                return Ok(token);
            }
            refresh = token.refresh.clone();
        }
        // Genesys refreshes only confidential clients ("the refresh token grant type requires
        // client credentials"): a public client never offers the refresh token a server may
        // have sent it anyway.
        if trigger != Trigger::User
            && let (Some(secret), Some(r)) = (&s.secret, refresh)
            && !self.refresh_is_dead(&r)
        {
            match refresh_token(&self.client, &s.client_id, secret, &r).await {
                Ok(mut t) => {
                    // A server that does not rotate refresh tokens leaves the old one valid.
                    t.refresh = t.refresh.or(Some(r));
                    return Ok(t.with_source(TokenSource::Refresh));
                }
                // Refused, whatever the code (invalid_grant for a spent token; a wrong secret or
                // a client not allowed to refresh answers otherwise): only a sign-in helps.
                Err(e) if grant_refused(&e) => {
                    let why = format!("refresh refused: {}", e.summary());
                    tracing::warn!(refresh_token = %r.fingerprint(), %why, "signing in again instead");
                    *self.dead_refresh.lock().expect("refresh state") = Some(r.fingerprint());
                    self.status.send_modify(|st| st.renewal.last_failure = Some((Timestamp::now(), why)));
                    if let Some(cache) = &s.cache {
                        let _ = cache.delete();
                    }
                    if trigger == Trigger::Due {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let live_until = prev.filter(|t| !t.is_expired(now)).and_then(|t| t.expires_at);
        match trigger {
            // A poller never waits on a person: the keep-alive task opens the prompt.
            Trigger::Due => Err(sign_in_error("only a new sign-in renews this session: press a")),
            // Early, while the token works: the prompt closes when the session ends.
            Trigger::Scheduled if prev.is_some_and(|t| !t.is_expired(now)) => {
                self.authorization_code(s, live_until).await
            }
            Trigger::Scheduled => Err(sign_in_error("the session ended before anyone signed in again")),
            Trigger::First | Trigger::Rejected | Trigger::User => self.authorization_code(s, None).await,
        }
    }

    /// The browser flow: listen, show the sign-in page, wait for the redirect or a paste,
    /// check `state`, exchange the code with the verifier.
    /// `session_ends`: the prompt was opened early and closes when the current token dies.
    async fn authorization_code(&self, s: &PkceSettings, session_ends: Option<Timestamp>) -> Result<Token, ApiError> {
        if self.interactive_blocked.load(Ordering::SeqCst) {
            return Err(sign_in_error("signed out: press a to sign in again"));
        }
        let result = self.run_flow(s, session_ends).await;
        if result.is_err() {
            self.interactive_blocked.store(true, Ordering::SeqCst);
        }
        result
    }

    async fn run_flow(&self, s: &PkceSettings, session_ends: Option<Timestamp>) -> Result<Token, ApiError> {
        let mut listener = match s.mode {
            PkceMode::Paste => None,
            PkceMode::Loopback => Some(loopback::listen(s.redirect_port).await.map_err(|e| {
                sign_in_error(format!(
                    "cannot listen on 127.0.0.1:{} for the browser's redirect ({e}): set [auth] redirect_port to a free port, or mode = \"paste\"",
                    s.redirect_port
                ))
            })?),
            PkceMode::Auto => loopback::listen(s.redirect_port).await.ok(),
        };
        let port = listener.as_ref().map(|l| l.port).unwrap_or(s.redirect_port);
        let attempt = Attempt::new(pkce::loopback_redirect(port));
        let url = attempt.authorize_url(self.client.hosts(), &s.client_id);
        let browser_problem = match s.mode {
            PkceMode::Paste => Some("paste mode".to_string()),
            _ => self.opener.open(url.as_str()).err(),
        };
        let mut prompt = SignInPrompt {
            authorize_url: url.to_string(),
            listening: listener.as_ref().map(|_| attempt.redirect_uri.clone()),
            browser_problem,
            accepts_paste: s.mode != PkceMode::Loopback,
            paste_problem: None,
        };
        self.status.send_modify(|st| st.phase = AuthPhase::AwaitingUser(Box::new(prompt.clone())));

        let mut input = self.input_rx.lock().await;
        while input.try_recv().is_ok() {}
        let left = session_ends.map(|e| Duration::try_from(e.duration_since(Timestamp::now())).unwrap_or_default());
        let timeout = left.map_or(self.flow_timeout, |l| l.min(self.flow_timeout));
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            let arrival = async {
                match listener.as_mut() {
                    Some(l) => l.arrivals.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(a) = arrival => {
                    let result = self.finish(s, &attempt, a.callback).await;
                    let verdict = match &result {
                        Ok(_) => Verdict::SignedIn,
                        Err(e) => Verdict::Refused(e.summary()),
                    };
                    let _ = a.reply.send(verdict);
                    return result;
                }
                got = input.recv() => match got {
                    Some(UserInput::Pasted(line)) => {
                        let problem = match pkce::parse_pasted(line.expose()) {
                            Ok(callback) => match self.finish(s, &attempt, callback).await {
                                // A code the server refused may be a copying slip: the same
                                // sign-in address gives a new code, so keep waiting.
                                Err(e) if grant_refused(&e) => format!(
                                    "the server refused that code ({}); paste it again, or open the address again for a new one",
                                    e.summary()
                                ),
                                done => return done,
                            },
                            Err(problem) => problem.0,
                        };
                        prompt.paste_problem = Some(problem);
                        self.status.send_modify(|st| st.phase = AuthPhase::AwaitingUser(Box::new(prompt.clone())));
                    }
                    Some(UserInput::Cancel) | None => return Err(sign_in_error("cancelled")),
                },
                () = &mut deadline => {
                    if let Some(end) = session_ends.filter(|_| left.is_some_and(|l| l <= self.flow_timeout)) {
                        return Err(sign_in_error(format!(
                            "the session ended at {} before anyone signed in again",
                            end.strftime("%H:%M:%S UTC")
                        )));
                    }
                    return Err(sign_in_error(format!(
                        "no answer from the browser within {} minutes; press a to try again",
                        self.flow_timeout.as_secs() / 60
                    )));
                }
            }
        }
    }

    async fn finish(&self, s: &PkceSettings, attempt: &Attempt, callback: Callback) -> Result<Token, ApiError> {
        match callback {
            Callback::Error { error, description, .. } => Err(sign_in_error(format!(
                "the sign-in page answered {error}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            ))),
            Callback::Code { state: Some(state), .. } if state != attempt.state => Err(sign_in_error(
                "the answer belongs to another sign-in (state does not match); nothing was exchanged: press a to start again",
            )),
            Callback::Code { code, .. } => {
                exchange_code(
                    &self.client,
                    &s.client_id,
                    s.secret.as_ref(),
                    &code,
                    &attempt.verifier,
                    &attempt.redirect_uri,
                )
                .await
            }
        }
    }

    /// Call the API with the session's token; a 401 earns one re-authentication and one retry.
    /// Polling endpoints draw from the budget as [`Priority::Poll`], everything else as
    /// [`Priority::Other`].
    pub async fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<Response<T>, ApiError> {
        self.call_as(req, priority_of(req.spec.id)).await
    }

    /// [`Session::call`] with an explicit place in the budget (the `r` key is not polling).
    pub async fn call_as<T: DeserializeOwned>(
        &self,
        req: &Request,
        priority: Priority,
    ) -> Result<Response<T>, ApiError> {
        let token = self.token().await.map_err(|e| Self::for_request(e, req))?;
        self.budget.acquire(priority).await;
        let first = self.client.send(req, Auth::Bearer(&token.access)).await;
        self.account(first.as_ref().map(|r| &r.meta));
        match first {
            Err(e) if e.status() == Some(401) && self.ends_on_401(&e) => {
                self.end(format!("the token was refused ({})", e.summary()));
                Err(e)
            }
            Err(e) if e.status() == Some(401) => {
                tracing::info!(request = %e.request, token = %token.access.fingerprint(), "401: signing in again once");
                let fresh = match self.renew_after_401(&token).await {
                    Ok(fresh) => fresh,
                    // It ended the session: the server's own answer is the better evidence.
                    Err(_) if self.is_ended() => return Err(e),
                    Err(renewal) => return Err(renewal),
                };
                self.budget.acquire(Priority::Other).await;
                let again = self.client.send(req, Auth::Bearer(&fresh.access)).await;
                self.account(again.as_ref().map(|r| &r.meta));
                again
            }
            other => other,
        }
    }

    /// Feed a response's rate headers to the budget; a 429 holds every request until its
    /// `Retry-After` (or the window's reset) has passed.
    fn account(&self, outcome: Result<&ResponseMeta, &ApiError>) {
        let meta = match outcome {
            Ok(m) => Some(m),
            Err(e) => e.meta.as_ref(),
        };
        let Some(meta) = meta else { return };
        if let Some(rate) = meta.rate {
            self.budget.observe(rate);
        }
        if meta.status == 429 {
            let wait = meta
                .retry_after
                .or(meta.rate.map(|r| Duration::from_secs(r.reset_secs.max(1) as u64)))
                .unwrap_or(Duration::from_secs(5));
            tracing::warn!(wait_s = wait.as_secs(), "429: holding every request until Retry-After");
            self.budget.hold(wait);
        }
    }

    /// A 401 that ends the session at once: a token from the environment (nothing to renew
    /// it with), or an expired public session (the sign-in prompt is the person's to open).
    /// A token file is read again first, and the others renew once.
    fn ends_on_401(&self, e: &ApiError) -> bool {
        match self.kind {
            SessionKind::Provided => self.method.token_file().is_none(),
            SessionKind::PublicCode => e.code() == Some(EXPIRED_CODE),
            _ => false,
        }
    }

    /// An unsent call's error names the call.
    fn for_request(mut e: ApiError, req: &Request) -> ApiError {
        if is_session_ended(&e) {
            e.request = req.line();
        }
        e
    }

    /// Like [`Session::call`] for endpoints whose success body is not needed.
    pub async fn call_no_body(&self, req: &Request) -> Result<ResponseMeta, ApiError> {
        let token = self.token().await.map_err(|e| Self::for_request(e, req))?;
        self.budget.acquire(Priority::Other).await;
        let result = self.client.send_no_body(req, Auth::Bearer(&token.access)).await;
        self.account(result.as_ref());
        result
    }

    /// Revoke the current token at the server (`DELETE /api/v2/tokens/me`) and forget it.
    pub async fn revoke(&self) -> Result<(), ApiError> {
        let Some(token) = self.current() else { return Ok(()) };
        let req = Request::new(EndpointId::TokensMeDelete);
        let result = self.client.send_no_body(&req, Auth::Bearer(&token.access)).await.map(|_| ());
        *self.current.lock().expect("token slot") = None;
        result
    }

    /// Use a cached user token as the current one without contacting anyone (for `logout`).
    pub fn adopt_cached(&self) -> bool {
        let Some(cached) = self.method.cache().and_then(TokenCache::load) else { return false };
        *self.current.lock().expect("token slot") = Some(Arc::new(Token::from(cached)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::TokenResponse;

    fn token(lifetime: i64) -> Token {
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        Token::from_response(
            TokenResponse {
                access_token: "tok".into(),
                token_type: "bearer".into(),
                expires_in: lifetime as u64,
                refresh_token: None,
                id_token: None,
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

    #[test]
    fn the_margin_is_at_most_a_third_of_the_lifetime() {
        let client =
            Client::new(crate::regions::find("us-east-1").unwrap().hosts(), crate::client::ClientOptions::default());
        let s = Session::new(client, AuthMethod::ClientCredentials { client_id: "c".into(), secret: Secret::new("s") });
        assert_eq!(s.margin_for(&token(90)), Duration::from_secs(30));
        assert_eq!(s.margin_for(&token(86_400)), Duration::from_secs(60));
    }

    #[test]
    fn a_public_session_asks_five_minutes_before_its_end_or_a_fifth_of_a_short_lifetime() {
        let client =
            Client::new(crate::regions::find("us-east-1").unwrap().hosts(), crate::client::ClientOptions::default());
        let settings =
            PkceSettings { client_id: "c".into(), redirect_port: 0, mode: PkceMode::Paste, cache: None, secret: None };
        let public = Session::new(client.clone(), AuthMethod::Pkce(settings.clone()));
        assert_eq!(public.kind(), SessionKind::PublicCode);
        assert_eq!(public.margin_for(&token(90)), Duration::from_secs(18));
        assert_eq!(public.margin_for(&token(86_400)), PROMPT_LEAD);
        let confidential =
            Session::new(client, AuthMethod::Pkce(PkceSettings { secret: Some(Secret::new("s")), ..settings }));
        assert_eq!(confidential.kind(), SessionKind::ConfidentialCode);
        assert_eq!(confidential.margin_for(&token(86_400)), Duration::from_secs(60), "refreshes a minute before");
    }

    #[cfg(unix)]
    #[test]
    fn token_files_hold_a_bare_token_or_a_token_response() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            p
        };
        let bare = ProvidedToken::from_file(&write("bare", "  abcdef123\n")).unwrap();
        assert_eq!(bare.token.expose(), "abcdef123");
        assert_eq!(bare.expires_at, None, "an opaque token says nothing about its expiry");
        let json = ProvidedToken::from_file(&write(
            "json",
            r#"{"access_token":"xyz987","token_type":"bearer","expires_in":3600}"#,
        ))
        .unwrap();
        assert_eq!(json.token.expose(), "xyz987");
        let left = json.expires_at.unwrap().duration_since(Timestamp::now()).as_secs();
        assert!((3500..=3600).contains(&left), "{left}");
        for (name, text, needle) in
            [("empty", "\n\n", "holds no access token"), ("badjson", "{\"nope\":1}", "not a token response")]
        {
            let e = ProvidedToken::from_file(&write(name, text)).unwrap_err();
            assert!(e.contains(needle) && !e.contains('\n'), "{e}");
        }
        let open = write("open", "abcdef123");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(ProvidedToken::from_file(&open).unwrap_err().contains("chmod 600"));
        let shown = format!("{bare:?}");
        assert!(!shown.contains("abcdef123"), "{shown}");
    }
}
