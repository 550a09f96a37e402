//! Who is calling and what they may do: tokens, role grants per division, scopes.
//! The required permissions come from the same catalogue qtop's diagnosis reads.

use std::collections::{BTreeSet, HashMap, VecDeque};

use rand::distr::{Alphanumeric, SampleString};
use tokio::time::{Duration, Instant};

use super::errors::ApiFault;
use super::org::{Org, RoleGrant};
use genesys::catalog::{self, ClientCredentials, EndpointId, Permissions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Client(usize),
    User { user: usize, client: usize },
}

impl Subject {
    pub fn client(&self) -> usize {
        match *self {
            Subject::Client(c) | Subject::User { client: c, .. } => c,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub subject: Subject,
    pub scopes: Vec<String>,
    pub issued: Instant,
    pub expires: Instant,
    pub revoked: bool,
}

/// Divisions where a permission is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DivScope {
    All,
    Some(BTreeSet<usize>),
}

impl DivScope {
    pub fn none() -> Self {
        DivScope::Some(BTreeSet::new())
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, DivScope::Some(s) if s.is_empty())
    }

    pub fn contains(&self, division: usize) -> bool {
        match self {
            DivScope::All => true,
            DivScope::Some(s) => s.contains(&division),
        }
    }

    fn union(&mut self, other: &Option<Vec<usize>>) {
        match (self as &mut DivScope, other) {
            (DivScope::All, _) => {}
            (_, None) => *self = DivScope::All,
            (DivScope::Some(s), Some(ds)) => s.extend(ds.iter().copied()),
        }
    }
}

/// The same matching qtop uses to read grants.
pub use genesys::token::permission_matches;

#[derive(Debug, Clone)]
pub struct Caller {
    pub token: String,
    pub record: TokenRecord,
}

impl Caller {
    pub fn grants<'o>(&self, org: &'o Org) -> &'o [RoleGrant] {
        match self.record.subject {
            Subject::Client(c) => &org.clients[c].roles,
            Subject::User { user, .. } => &org.users[user].roles,
        }
    }

    pub fn is_user(&self) -> bool {
        matches!(self.record.subject, Subject::User { .. })
    }

    /// Where the caller holds `perm`.
    pub fn divisions_for(&self, org: &Org, perm: &str) -> DivScope {
        let mut scope = DivScope::none();
        for g in self.grants(org) {
            if org.roles[g.role].permissions.iter().any(|p| permission_matches(p, perm)) {
                scope.union(&g.divisions);
            }
        }
        scope
    }

    /// The catalogue's rule for `id`, applied to this caller. Returns where the (first)
    /// required permission is held, for division filtering.
    pub fn require(&self, org: &Org, id: EndpointId) -> Result<DivScope, ApiFault> {
        self.require_scope(org, id)?;
        self.require_permissions(org, catalog::spec(id).permissions)
    }

    /// The catalogue's user-context and scope rules for `id`, without its permissions (for
    /// endpoints whose permissions are per item, such as notification topics).
    pub fn require_scope(&self, org: &Org, id: EndpointId) -> Result<(), ApiFault> {
        let spec = catalog::spec(id);
        if spec.client_credentials == ClientCredentials::UserContextRequired && !self.is_user() {
            return Err(ApiFault::user_context_required());
        }
        if org.enforce_scopes
            && self.is_user()
            && !spec.scopes.is_empty()
            && !spec.scopes.iter().any(|s| self.record.scopes.iter().any(|t| t == s))
        {
            return Err(ApiFault::not_authorized());
        }
        Ok(())
    }

    /// Why `perms` are refused for an object in `division`: the 403 a whole request gets and
    /// the permissions to list as missing. `None`: allowed.
    pub fn refusal_in(&self, org: &Org, perms: Permissions, division: usize) -> Option<(ApiFault, Vec<String>)> {
        let held = |p: &str| self.divisions_for(org, p).contains(division);
        match perms {
            Permissions::None => None,
            Permissions::AllOf(list) => {
                let missing: Vec<String> =
                    list.iter().filter(|p| !held(p)).map(std::string::ToString::to_string).collect();
                (!missing.is_empty()).then(|| (ApiFault::missing_permissions(&missing), missing))
            }
            Permissions::AnyOf(list) => {
                let all: Vec<String> = list.iter().map(std::string::ToString::to_string).collect();
                (!list.iter().any(|p| held(p))).then(|| (ApiFault::missing_any_permissions(&all), all))
            }
        }
    }

    fn require_permissions(&self, org: &Org, perms: Permissions) -> Result<DivScope, ApiFault> {
        match perms {
            Permissions::None => Ok(DivScope::All),
            Permissions::AllOf(perms) => {
                let missing: Vec<String> = perms
                    .iter()
                    .filter(|p| self.divisions_for(org, p).is_empty())
                    .map(std::string::ToString::to_string)
                    .collect();
                if !missing.is_empty() {
                    return Err(ApiFault::missing_permissions(&missing));
                }
                Ok(self.divisions_for(org, perms[0]))
            }
            Permissions::AnyOf(perms) => {
                let mut scope = DivScope::none();
                for p in perms {
                    match self.divisions_for(org, p) {
                        DivScope::All => scope = DivScope::All,
                        DivScope::Some(s) => {
                            if let DivScope::Some(acc) = &mut scope {
                                acc.extend(s);
                            }
                        }
                    }
                }
                if scope.is_empty() {
                    return Err(ApiFault::missing_any_permissions(
                        &perms.iter().map(std::string::ToString::to_string).collect::<Vec<_>>(),
                    ));
                }
                Ok(scope)
            }
        }
    }
}

/// Issued tokens. Lifetimes run on real (tokio) time.
#[derive(Default)]
pub struct Tokens {
    map: HashMap<String, TokenRecord>,
}

pub enum Lookup {
    Valid(Caller),
    Expired,
    Unknown,
}

impl Tokens {
    pub fn issue(&mut self, subject: Subject, scopes: Vec<String>, lifetime: Duration) -> String {
        let now = Instant::now();
        // Forget tokens that expired long ago, so a long run does not grow without bound.
        if self.map.len() > 10_000 {
            self.map.retain(|_, r| r.expires + Duration::from_secs(3600) > now);
        }
        let token = Alphanumeric.sample_string(&mut rand::rng(), 64);
        self.map.insert(
            token.clone(),
            TokenRecord { subject, scopes, issued: now, expires: now + lifetime, revoked: false },
        );
        token
    }

    pub fn lookup(&self, token: &str) -> Lookup {
        match self.map.get(token) {
            None => Lookup::Unknown,
            Some(r) if r.revoked => Lookup::Unknown,
            Some(r) if r.expires <= Instant::now() => Lookup::Expired,
            Some(r) => Lookup::Valid(Caller { token: token.to_string(), record: r.clone() }),
        }
    }

    /// Every token issued so far and its record (tests count and scan them).
    pub fn records(&self) -> impl Iterator<Item = (&String, &TokenRecord)> {
        self.map.iter()
    }

    pub fn revoke(&mut self, token: &str) -> bool {
        self.map.get_mut(token).map(|r| r.revoked = true).is_some()
    }

    /// Revoke every token of a subject (the "token revoked" fault, a password change).
    pub fn revoke_all(&mut self, pred: impl Fn(&TokenRecord) -> bool) -> usize {
        let mut n = 0;
        for r in self.map.values_mut().filter(|r| !r.revoked && pred(r)) {
            r.revoked = true;
            n += 1;
        }
        n
    }
}

/// Per-token fixed one-minute windows, reported in `inin-ratelimit-*` headers. It also keeps
/// the server's own account of every token's load (what a soak compares with the allowed
/// rate): requests in any sliding minute, in all, and refused.
pub struct RateLimiter {
    windows: HashMap<String, (Instant, u32)>,
    /// The window's length: a minute, as in Genesys Cloud; tests shorten it so a 429's
    /// `Retry-After` is seconds, not a minute.
    pub window: Duration,
    /// Each token's requests in the last minute: when each arrived and whether it was refused.
    sliding: HashMap<String, VecDeque<(Instant, bool)>>,
    /// Every token together: what one caller sends when its tokens come and go.
    everyone: VecDeque<Instant>,
    stats: LimiterStats,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter {
            windows: HashMap::new(),
            window: Duration::from_secs(60),
            sliding: HashMap::new(),
            everyone: VecDeque::new(),
            stats: LimiterStats::default(),
        }
    }
}

/// The server's count of what callers did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterStats {
    /// Authenticated API requests.
    pub requests: u64,
    /// Of those, answered 429.
    pub refused: u64,
    /// The most requests one token made in any sliding minute.
    pub max_per_minute: u32,
    /// The most requests all tokens together made in any sliding minute.
    pub max_per_minute_all: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct RateState {
    pub count: u32,
    pub allowed: u32,
    pub reset_secs: u64,
    pub exceeded: bool,
}

impl RateLimiter {
    pub fn hit(&mut self, token: &str, allowed: u32) -> RateState {
        let now = Instant::now();
        let window = self.window;
        if self.windows.len() > 10_000 {
            self.windows.retain(|_, (start, _)| *start + window > now);
        }
        let entry = self.windows.entry(token.to_string()).or_insert((now, 0));
        if entry.0 + window <= now {
            *entry = (now, 0);
        }
        entry.1 += 1;
        let reset = (entry.0 + window).saturating_duration_since(now).as_secs_f64().ceil() as u64;
        let state =
            RateState { count: entry.1.min(allowed), allowed, reset_secs: reset.max(1), exceeded: entry.1 > allowed };
        self.count(token, now, state.exceeded);
        state
    }

    fn count(&mut self, token: &str, now: Instant, refused: bool) {
        let minute = Duration::from_secs(60);
        if self.sliding.len() > 1_000 {
            self.sliding.retain(|_, q| q.back().is_some_and(|(t, _)| *t + minute > now));
        }
        let q = self.sliding.entry(token.to_string()).or_default();
        while q.front().is_some_and(|(t, _)| *t + minute <= now) {
            q.pop_front();
        }
        q.push_back((now, refused));
        let n = q.len() as u32;
        while self.everyone.front().is_some_and(|t| *t + minute <= now) {
            self.everyone.pop_front();
        }
        self.everyone.push_back(now);
        self.stats.max_per_minute_all = self.stats.max_per_minute_all.max(self.everyone.len() as u32);
        self.stats.requests += 1;
        self.stats.refused += u64::from(refused);
        self.stats.max_per_minute = self.stats.max_per_minute.max(n);
    }

    /// Another program with the same token has just sent `requests` (they count in a window
    /// that starts now, as the server's would): the explicit hand-off tests use instead of
    /// racing a second client against qtop's own polling.
    pub fn spend(&mut self, token: &str, requests: u32) {
        self.windows.insert(token.to_string(), (Instant::now(), requests));
    }

    /// When the token's current window ends (its count starts again from zero).
    pub fn window_end(&self, token: &str) -> Option<Instant> {
        self.windows.get(token).map(|(start, _)| *start + self.window)
    }

    /// The token's requests in the last minute, oldest first: when each arrived and whether
    /// it was answered 429.
    pub fn arrivals(&self, token: &str) -> Vec<(Instant, bool)> {
        self.sliding.get(token).map(|q| q.iter().copied().collect()).unwrap_or_default()
    }

    pub fn stats(&self) -> LimiterStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_by_part() {
        assert!(permission_matches("analytics:queueObservation:view", "analytics:queueObservation:view"));
        assert!(permission_matches("analytics:*:view", "analytics:queueObservation:view"));
        assert!(permission_matches("*", "routing:queue:view"));
        assert!(permission_matches("*:*:*", "routing:queue:view"));
        assert!(!permission_matches("analytics:conversationAggregate:view", "analytics:queueObservation:view"));
        assert!(!permission_matches("routing:queue:*", "routing:queueMember:manage"));
    }

    fn caller(org: &Org, persona: &str) -> Caller {
        let subject = match org.persona(persona).unwrap() {
            super::super::org::Persona::Client(c) => Subject::Client(c),
            super::super::org::Persona::User(u) => Subject::User { user: u, client: org.users[u].client.unwrap_or(0) },
        };
        let now = Instant::now();
        Caller {
            token: "t".into(),
            record: TokenRecord {
                subject,
                scopes: vec![],
                issued: now,
                expires: now + Duration::from_secs(60),
                revoked: false,
            },
        }
    }

    #[test]
    fn personas_get_what_their_roles_say() {
        let org = Org::demo();
        assert_eq!(caller(&org, "wallboard").require(&org, EndpointId::QueueObservations).unwrap(), DivScope::All);
        let e = caller(&org, "no-observations").require(&org, EndpointId::QueueObservations).unwrap_err();
        assert_eq!(e.code, "missing.permissions");
        assert!(e.message.contains("analytics:queueObservation:view"));
        let home = caller(&org, "home-division").require(&org, EndpointId::RoutingQueues).unwrap();
        assert!(home.contains(0) && !home.contains(1));
        let e = caller(&org, "wallboard").require(&org, EndpointId::UsersMe).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }

    #[test]
    fn rate_limit_counts_per_token_and_flags_the_excess() {
        let mut rl = RateLimiter::default();
        for i in 1..=3 {
            let s = rl.hit("a", 3);
            assert_eq!((s.count, s.exceeded), (i, false));
        }
        assert!(rl.hit("a", 3).exceeded);
        assert!(!rl.hit("b", 3).exceeded);
    }
}
