//! The permission catalogue: every endpoint qtop calls (and the ones people ask about), what
//! it requires, and how it filters. One table, read by the client (which can only call what
//! is listed here), the diagnosis, the token pane, `doctor` and the simulator.
//!
//! Facts come from `docs/genesys-api.md` (official SDK docs, developer centre). Where the
//! source says UNCONFIRMED the entry says so in `note`, and the diagnosis words its answer
//! accordingly.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable names for catalogue entries; the client takes one of these, never a free path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointId {
    OAuthToken,
    OAuthAuthorize,
    QueueObservations,
    ConversationAggregates,
    RoutingQueues,
    QueueMembers,
    TokensMe,
    TokensMeDelete,
    UsersMe,
    SubjectsMe,
    DivisionsPermittedMe,
    OAuthClient,
    Divisions,
    NotificationChannels,
    NotificationSubscriptions,
}

/// Which host serves the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    Api,
    Login,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissions {
    None,
    /// Every listed permission is needed.
    AllOf(&'static [&'static str]),
    /// One of the listed permissions is enough.
    AnyOf(&'static [&'static str]),
}

impl Permissions {
    pub fn list(&self) -> &'static [&'static str] {
        match self {
            Permissions::None => &[],
            Permissions::AllOf(p) | Permissions::AnyOf(p) => p,
        }
    }
}

/// Whether a client-credentials token may call the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCredentials {
    /// Yes, with the permissions of the roles assigned to the OAuth client.
    Allowed,
    /// No: the endpoint needs a user context (answers 400 for client credentials).
    UserContextRequired,
}

#[derive(Debug, Clone, Copy)]
pub struct EndpointSpec {
    pub id: EndpointId,
    pub method: Method,
    pub host: Host,
    /// Path template; `{id}` marks a path parameter.
    pub path: &'static str,
    pub summary: &'static str,
    pub permissions: Permissions,
    /// OAuth scopes that allow the call for a user token (enforced only when the org turns
    /// on scope enforcement). Empty: any scope.
    pub scopes: &'static [&'static str],
    /// Results (or access) are limited to the divisions where the caller holds the permission.
    pub division_filtered: bool,
    pub client_credentials: ClientCredentials,
    /// qtop calls it (as opposed to: listed because users ask about it).
    pub used_by_qtop: bool,
    pub note: &'static str,
}

/// Entries are identified by their id.
impl PartialEq for EndpointSpec {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// What a `v2.analytics.queues.{id}.observations` topic needs, per topic and per the queue's
/// division. The topic lists `analytics:queueObservation:view` and
/// `analytics:conversationAggregate:view`; whether both or either is needed is UNCONFIRMED.
/// Requiring the observation permission alone matches the query that carries the same
/// numbers; change it here (AllOf both, or AnyOf) when a real org shows otherwise.
pub const OBSERVATION_TOPIC_PERMISSIONS: Permissions = Permissions::AllOf(&["analytics:queueObservation:view"]);

use ClientCredentials::{Allowed, UserContextRequired};
use EndpointId::{
    ConversationAggregates, Divisions, DivisionsPermittedMe, NotificationChannels, NotificationSubscriptions,
    OAuthAuthorize, OAuthClient, OAuthToken, QueueMembers, QueueObservations, RoutingQueues, SubjectsMe, TokensMe,
    TokensMeDelete, UsersMe,
};

pub static CATALOG: &[EndpointSpec] = &[
    EndpointSpec {
        id: OAuthToken,
        method: Method::Post,
        host: Host::Login,
        path: "/oauth/token",
        summary: "sign in: exchange credentials, a code or a refresh token for an access token",
        permissions: Permissions::None,
        scopes: &[],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "errors are OAuth-style (error, error_description), usually HTTP 400",
    },
    EndpointSpec {
        id: OAuthAuthorize,
        method: Method::Get,
        host: Host::Login,
        path: "/oauth/authorize",
        summary: "browser sign-in page for the authorization-code (PKCE) grant",
        permissions: Permissions::None,
        scopes: &[],
        division_filtered: false,
        client_credentials: UserContextRequired,
        used_by_qtop: true,
        note: "opened in a browser, never called by qtop's HTTP client",
    },
    EndpointSpec {
        id: QueueObservations,
        method: Method::Post,
        host: Host::Api,
        path: "/api/v2/analytics/queues/observations/query",
        summary: "live queue numbers (waiting, interacting, agents on queue)",
        permissions: Permissions::AllOf(&["analytics:queueObservation:view"]),
        scopes: &["analytics", "analytics:readonly"],
        division_filtered: true,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "the real-time endpoint; there is no GET /api/v2/analytics/queues/realtime",
    },
    EndpointSpec {
        id: ConversationAggregates,
        method: Method::Post,
        host: Host::Api,
        path: "/api/v2/analytics/conversations/aggregates/query",
        summary: "today's totals per queue (offered, answered, abandoned, service level)",
        permissions: Permissions::AnyOf(&["analytics:conversationAggregate:view"]),
        scopes: &["analytics", "analytics:readonly"],
        division_filtered: true,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "there is no /api/v2/analytics/queues/aggregates endpoint",
    },
    EndpointSpec {
        id: RoutingQueues,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/routing/queues",
        summary: "list queues (paged); only queues in divisions the caller can see",
        permissions: Permissions::AllOf(&["routing:queue:view"]),
        scopes: &["routing", "routing:readonly"],
        division_filtered: true,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "scope names UNCONFIRMED",
    },
    EndpointSpec {
        id: QueueMembers,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/routing/queues/{id}/members",
        summary: "queue members and their routing status (queue detail)",
        permissions: Permissions::AllOf(&["routing:queue:view"]),
        scopes: &["routing", "routing:readonly"],
        division_filtered: true,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "some member fields also need routing:queueMember:manage",
    },
    EndpointSpec {
        id: TokensMe,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/tokens/me",
        summary: "what this token is: org, OAuth client, scopes",
        permissions: Permissions::None,
        scopes: &[],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "call with preserveIdleTTL=true so polling does not reset the idle timeout",
    },
    EndpointSpec {
        id: TokensMeDelete,
        method: Method::Delete,
        host: Host::Api,
        path: "/api/v2/tokens/me",
        summary: "revoke this token (logout)",
        permissions: Permissions::None,
        scopes: &[],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "",
    },
    EndpointSpec {
        id: UsersMe,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/users/me",
        summary: "the signed-in user, with ?expand=authorization for roles and permissions",
        permissions: Permissions::None,
        scopes: &["users", "users:readonly"],
        division_filtered: false,
        client_credentials: UserContextRequired,
        used_by_qtop: true,
        note: "client credentials get 400 'requires a user context'; scope names UNCONFIRMED",
    },
    EndpointSpec {
        id: SubjectsMe,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/authorization/subjects/me",
        summary: "the caller's role grants per division",
        permissions: Permissions::None,
        scopes: &["authorization", "authorization:readonly"],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "",
    },
    EndpointSpec {
        id: DivisionsPermittedMe,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/authorization/divisionspermitted/paged/me",
        summary: "divisions where the caller holds a given permission (?permission=)",
        permissions: Permissions::None,
        scopes: &["authorization", "authorization:readonly"],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "the direct check for division gaps: asked per permission a division-filtered call needs",
    },
    EndpointSpec {
        id: OAuthClient,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/oauth/clients/{id}",
        summary: "an OAuth client's grant type, scopes and role-divisions",
        permissions: Permissions::AllOf(&["oauth:client:view"]),
        scopes: &["oauth", "oauth:readonly"],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "",
    },
    EndpointSpec {
        id: Divisions,
        method: Method::Get,
        host: Host::Api,
        path: "/api/v2/authorization/divisions",
        summary: "division names",
        permissions: Permissions::None,
        scopes: &["authorization", "authorization:readonly"],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "",
    },
    EndpointSpec {
        id: NotificationChannels,
        method: Method::Post,
        host: Host::Api,
        path: "/api/v2/notifications/channels",
        summary: "open a notification channel (websocket connectUri)",
        permissions: Permissions::None,
        scopes: &["notifications"],
        division_filtered: false,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "",
    },
    EndpointSpec {
        id: NotificationSubscriptions,
        method: Method::Put,
        host: Host::Api,
        path: "/api/v2/notifications/channels/{id}/subscriptions",
        summary: "subscribe a channel to topics such as v2.analytics.queues.{id}.observations",
        permissions: OBSERVATION_TOPIC_PERMISSIONS,
        scopes: &["notifications"],
        division_filtered: true,
        client_credentials: Allowed,
        used_by_qtop: true,
        note: "per-topic permissions; one refused topic fails the whole request unless ?ignoreErrors=true",
    },
];

pub fn spec(id: EndpointId) -> &'static EndpointSpec {
    CATALOG.iter().find(|s| s.id == id).expect("every EndpointId has a catalogue entry")
}

/// Find the entry for a concrete request path (`/api/v2/routing/queues/abc/members`).
pub fn lookup(method: Method, path: &str) -> Option<&'static EndpointSpec> {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    CATALOG.iter().find(|s| s.method == method && template_matches(s.path, path))
}

/// Find entries for a path whatever the method (for `explain` on a pasted URL).
pub fn lookup_path(path: &str) -> impl Iterator<Item = &'static EndpointSpec> {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/').to_string();
    CATALOG.iter().filter(move |s| template_matches(s.path, &path))
}

fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') || ts == ps => {}
            _ => return false,
        }
    }
}

impl EndpointSpec {
    /// Fill the template's `{id}` parameters in order.
    pub fn fill(&self, params: &[&str]) -> String {
        let mut out = String::with_capacity(self.path.len() + 40);
        let mut params = params.iter();
        for (i, seg) in self.path.split('/').enumerate() {
            if i > 0 {
                out.push('/');
            }
            if seg.starts_with('{') {
                out.push_str(params.next().copied().unwrap_or(seg));
            } else {
                out.push_str(seg);
            }
        }
        out
    }

    /// `POST /api/v2/analytics/queues/observations/query`
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_exactly_one_entry() {
        let mut ids: Vec<_> = CATALOG.iter().map(|s| s.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate catalogue ids");
    }

    #[test]
    fn lookup_matches_templates_and_methods() {
        let s = lookup(Method::Get, "/api/v2/routing/queues/q-1/members?pageSize=5").unwrap();
        assert_eq!(s.id, QueueMembers);
        assert_eq!(lookup(Method::Get, "/api/v2/tokens/me").unwrap().id, TokensMe);
        assert_eq!(lookup(Method::Delete, "/api/v2/tokens/me").unwrap().id, TokensMeDelete);
        assert!(lookup(Method::Get, "/api/v2/analytics/queues/realtime").is_none());
        assert!(lookup(Method::Get, "/api/v2/analytics/queues/observations/query").is_none());
    }

    #[test]
    fn fill_replaces_parameters_in_order() {
        assert_eq!(spec(QueueMembers).fill(&["abc"]), "/api/v2/routing/queues/abc/members");
        assert_eq!(spec(RoutingQueues).fill(&[]), "/api/v2/routing/queues");
    }

    #[test]
    fn observations_need_the_documented_permission_and_scopes() {
        let s = spec(QueueObservations);
        assert_eq!(s.permissions, Permissions::AllOf(&["analytics:queueObservation:view"]));
        assert_eq!(s.scopes, &["analytics", "analytics:readonly"]);
        assert!(s.division_filtered);
        assert_eq!(s.client_credentials, Allowed);
        for s in CATALOG {
            for p in s.permissions.list() {
                assert_eq!(p.split(':').count(), 3, "permission {p} is domain:entity:action");
            }
            assert!(!s.scopes.contains(&"analytics:queue:view"), "folklore scope in catalogue");
        }
    }
}
