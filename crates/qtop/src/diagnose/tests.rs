//! Table-driven: one row per cause, built from real-shaped bodies.

use std::time::Duration;

use super::*;
use genesys::catalog::{EndpointId, spec};

fn api(status: u16, code: &str, message: &str, ep: EndpointId) -> ErrorFacts {
    ErrorFacts {
        status: Some(status),
        code: Some(code.into()).filter(|c: &String| !c.is_empty()),
        message: Some(message.into()).filter(|m: &String| !m.is_empty()),
        method: Some(spec(ep).method),
        path: Some(spec(ep).path.into()),
        endpoint: Some(spec(ep)),
        correlation_id: Some("c0ffee".into()),
        ..Default::default()
    }
}

fn oauth(code: &str, desc: &str) -> ErrorFacts {
    ErrorFacts {
        status: Some(400),
        code: Some(code.into()),
        oauth_description: Some(desc.into()),
        is_oauth: true,
        endpoint: Some(spec(EndpointId::OAuthToken)),
        ..Default::default()
    }
}

fn wallboard() -> Knowledge {
    Knowledge {
        grant: Some(Grant::ClientCredentials),
        client_id: Some("7de3".into()),
        client_name: Some("wallboard".into()),
        login_host: Some("login.mypurecloud.ie".into()),
        ..Default::default()
    }
}

fn supervisor(scopes: &[&str]) -> Knowledge {
    Knowledge {
        grant: Some(Grant::AuthorizationCode),
        user_name: Some("Sam".into()),
        scopes: Some(scopes.iter().map(std::string::ToString::to_string).collect()),
        ..Default::default()
    }
}

const OBS: EndpointId = EndpointId::QueueObservations;
const MISSING: &str = "Unable to perform the requested action. You are missing the following permission(s): [analytics:queueObservation:view]";

struct Case {
    name: &'static str,
    facts: ErrorFacts,
    know: Knowledge,
    cause: Cause,
    missing: &'static [&'static str],
    /// Fragments the fix must contain.
    fix: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let mut rate = api(
        429,
        "too.many.requests.retry.after",
        "Rate limit exceeded the maximum. Retry the request in [42] seconds",
        OBS,
    );
    rate.retry_after = Some(Duration::from_secs(42));
    let mut lowered = rate.clone();
    lowered.rate_allowed = Some(20);
    let mut unavailable = api(503, "service.unavailable", "The service is currently unavailable.", OBS);
    unavailable.retry_after = Some(Duration::from_secs(5));
    let mut timeout = api(0, "", "", OBS);
    timeout.status = None;
    timeout.transport = Some(Transport::Timeout);
    let mut truncated = api(200, "", "", OBS);
    truncated.transport = Some(Transport::Unreadable("EOF while parsing".into()));
    let mut realtime = api(404, "not.found", "", OBS);
    realtime.path = Some("/api/v2/analytics/queues/realtime".into());
    realtime.endpoint = None;
    vec![
        Case {
            name: "missing permission, client credentials",
            facts: api(403, "missing.permissions", MISSING, OBS),
            know: wallboard(),
            cause: Cause::MissingPermission,
            missing: &["analytics:queueObservation:view"],
            fix: &[
                "add a role with analytics:queueObservation:view to OAuth client 'wallboard'",
                "Admin > Integrations > OAuth",
            ],
        },
        Case {
            name: "missing permission, user",
            facts: api(403, "missing.permissions", MISSING, OBS),
            know: supervisor(&["analytics"]),
            cause: Cause::MissingPermission,
            missing: &["analytics:queueObservation:view"],
            fix: &["user 'Sam'", "sign in again"],
        },
        Case {
            name: "permission named by an internal class",
            facts: api(
                403,
                "missing.permissions",
                "Unable to perform the requested action. You are missing the following permission(s): com.inin.pubapi.iam.util.ResourcePermission",
                OBS,
            ),
            know: wallboard(),
            cause: Cause::MissingPermission,
            missing: &["analytics:queueObservation:view"],
            fix: &["analytics:queueObservation:view"],
        },
        Case {
            name: "missing any of",
            facts: api(
                403,
                "missing.any.permissions",
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [analytics:conversationAggregate:view]",
                EndpointId::ConversationAggregates,
            ),
            know: wallboard(),
            cause: Cause::MissingAnyPermission,
            missing: &["analytics:conversationAggregate:view"],
            fix: &["one of analytics:conversationAggregate:view"],
        },
        Case {
            name: "division-scoped any-of",
            facts: api(
                403,
                "missing.any.permissions",
                "Unable to perform the requested action. You must have at least one of the following permissions assigned: [] in at least one of the following division(s): [d-fin]",
                OBS,
            ),
            know: Knowledge { division_names: [("d-fin".to_string(), "Finance".to_string())].into(), ..wallboard() },
            cause: Cause::Division,
            missing: &["analytics:queueObservation:view"],
            fix: &["'Finance' (d-fin)", "set the role's divisions"],
        },
        Case {
            name: "permission with a division suffix",
            facts: api(
                403,
                "missing.permissions",
                "You are missing the following permission(s): [routing:queue:view:d-emea]",
                EndpointId::RoutingQueues,
            ),
            know: wallboard(),
            cause: Cause::Division,
            missing: &["routing:queue:view"],
            fix: &["routing:queue:view in d-emea"],
        },
        Case {
            name: "old forbidden-on-domain body",
            facts: api(
                403,
                "forbidden",
                "Permission is forbidden on domain, 'responses', entity 'response', with action set '[view]'",
                OBS,
            ),
            know: wallboard(),
            cause: Cause::MissingPermission,
            missing: &["responses:response:view"],
            fix: &["responses:response:view"],
        },
        Case {
            name: "missing scope on a user token",
            facts: api(403, "not.authorized", "You are not authorized to perform the requested action.", OBS),
            know: supervisor(&["routing:readonly", "users:readonly"]),
            cause: Cause::MissingScope,
            missing: &["analytics", "analytics:readonly"],
            fix: &["add analytics:readonly to the OAuth client's scope list", "sign in again"],
        },
        Case {
            name: "not.authorized with a scope-less client token never blames scopes",
            facts: api(403, "not.authorized", "You are not authorized to perform the requested action.", OBS),
            know: Knowledge { scopes: Some(vec![]), ..wallboard() },
            cause: Cause::NotAuthorized,
            missing: &[],
            fix: &["analytics:queueObservation:view", "division"],
        },
        Case {
            name: "not.authorized with known permissions",
            facts: api(403, "not.authorized", "You are not authorized to perform the requested action.", OBS),
            know: Knowledge { permissions: Some(vec!["routing:queue:view".into()]), ..supervisor(&["analytics"]) },
            cause: Cause::MissingPermission,
            missing: &["analytics:queueObservation:view"],
            fix: &["user 'Sam'"],
        },
        Case {
            name: "client credentials on a user-only endpoint",
            facts: api(
                400,
                "bad.request",
                "This request requires a user context. Client credentials cannot be used for requests to this resource.",
                EndpointId::UsersMe,
            ),
            know: wallboard(),
            cause: Cause::UserContextRequired,
            missing: &[],
            fix: &["pkce"],
        },
        Case {
            name: "wrong secret or wrong region",
            facts: oauth("invalid_client", "authentication failed"),
            know: wallboard(),
            cause: Cause::BadClientCredentials,
            missing: &[],
            fix: &["secret", "login.mypurecloud.ie", "region"],
        },
        Case {
            name: "grant not allowed",
            facts: oauth("unauthorized_client", "client is not authorized to use the client_credential grant type"),
            know: wallboard(),
            cause: Cause::GrantNotAllowed,
            missing: &[],
            fix: &["Grant Type"],
        },
        Case {
            name: "revoked refresh token",
            facts: oauth("invalid_grant", "refresh token revoked"),
            know: supervisor(&[]),
            cause: Cause::InvalidGrant,
            missing: &[],
            fix: &["sign in again"],
        },
        Case {
            name: "expired token",
            facts: api(401, "credentials.expired", "The supplied credentials are expired and cannot be used.", OBS),
            know: wallboard(),
            cause: Cause::TokenExpired,
            missing: &[],
            fix: &["signs in again by itself"],
        },
        Case {
            name: "revoked token",
            facts: api(401, "bad.credentials", "Invalid login credentials.", OBS),
            know: Knowledge { grant: Some(Grant::Provided), ..Default::default() },
            cause: Cause::TokenInvalid,
            missing: &[],
            fix: &["fresh one"],
        },
        Case {
            name: "no token",
            facts: api(
                401,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
                OBS,
            ),
            know: Knowledge::default(),
            cause: Cause::NoToken,
            missing: &[],
            fix: &["Authorization: Bearer"],
        },
        Case {
            name: "ip allow list",
            facts: api(401, "ip.not.authorized", "", OBS),
            know: wallboard(),
            cause: Cause::IpNotAuthorized,
            missing: &[],
            fix: &["IP address"],
        },
        Case {
            name: "rate limited",
            facts: rate,
            know: wallboard(),
            cause: Cause::RateLimited,
            missing: &[],
            fix: &["Retry-After", "usually 300"],
        },
        Case {
            name: "rate limited under a lowered limit",
            facts: lowered,
            know: wallboard(),
            cause: Cause::RateLimited,
            missing: &[],
            fix: &["20 requests/min per token, from inin-ratelimit-allowed"],
        },
        Case {
            name: "server fault",
            facts: api(500, "internal.server.error", "The server encountered an unexpected condition.", OBS),
            know: wallboard(),
            cause: Cause::ServerFault,
            missing: &[],
            fix: &["correlation id"],
        },
        Case {
            name: "unavailable",
            facts: unavailable,
            know: wallboard(),
            cause: Cause::Unavailable,
            missing: &[],
            fix: &["retries"],
        },
        Case {
            name: "the realtime endpoint myth",
            facts: realtime,
            know: wallboard(),
            cause: Cause::NotFound,
            missing: &[],
            fix: &["POST /api/v2/analytics/queues/observations/query"],
        },
        Case {
            name: "timeout",
            facts: timeout,
            know: wallboard(),
            cause: Cause::Network,
            missing: &[],
            fix: &["network"],
        },
        Case {
            name: "sign-in with a foreign state",
            facts: ErrorFacts {
                transport: Some(Transport::SignIn("state mismatch: the redirect belongs to another attempt".into())),
                ..Default::default()
            },
            know: supervisor(&[]),
            cause: Cause::SignInIncomplete,
            missing: &[],
            fix: &["press a"],
        },
        Case {
            name: "truncated body",
            facts: truncated,
            know: wallboard(),
            cause: Cause::Unreadable,
            missing: &[],
            fix: &["retries"],
        },
        Case {
            name: "something new",
            facts: api(418, "teapot", "I'm a teapot", OBS),
            know: wallboard(),
            cause: Cause::Unknown,
            missing: &[],
            fix: &["raw body"],
        },
    ]
}

#[test]
fn every_cause_is_diagnosed_with_the_missing_items_and_a_fix() {
    for c in cases() {
        let d = diagnose(&c.facts, &c.know);
        assert_eq!(d.cause, c.cause, "{}: {d:#?}", c.name);
        let missing: Vec<&str> = d.missing.iter().map(String::as_str).collect();
        assert_eq!(missing, c.missing, "{}", c.name);
        for frag in c.fix {
            assert!(d.fix.contains(frag), "{}: fix {:?} lacks {frag:?}", c.name, d.fix);
        }
        assert!(!d.summary.contains('\n') && !d.summary.is_empty(), "{}", c.name);
        assert!(!d.fix.contains("analytics:queue:view"), "folklore in a fix");
    }
}

#[test]
fn the_correlation_id_is_evidence() {
    let d = diagnose(&api(403, "missing.permissions", MISSING, OBS), &wallboard());
    assert!(d.evidence.iter().any(|e| e.contains("c0ffee")));
}

#[test]
fn wildcards_cover_permissions() {
    assert!(permission_covers("analytics:*:view", "analytics:queueObservation:view"));
    assert!(permission_covers("*", "routing:queue:view"));
    assert!(!permission_covers("analytics:conversationAggregate:view", "analytics:queueObservation:view"));
}

#[test]
fn every_cause_is_reached_by_some_case() {
    let reached: Vec<Cause> = cases().iter().map(|c| c.cause).collect();
    for cause in [
        Cause::MissingPermission,
        Cause::MissingAnyPermission,
        Cause::MissingScope,
        Cause::Division,
        Cause::UserContextRequired,
        Cause::GrantNotAllowed,
        Cause::BadClientCredentials,
        Cause::InvalidGrant,
        Cause::TokenExpired,
        Cause::TokenInvalid,
        Cause::NoToken,
        Cause::IpNotAuthorized,
        Cause::RateLimited,
        Cause::ServerFault,
        Cause::Unavailable,
        Cause::NotFound,
        Cause::Network,
        Cause::Unreadable,
        Cause::SignInIncomplete,
        Cause::NotAuthorized,
        Cause::Unknown,
    ] {
        assert!(reached.contains(&cause), "no case reaches {cause:?}");
    }
}

/// The client marks a call it never sent because the session had ended; the diagnosis reads it
/// as the token's failure, not the network's.
#[test]
fn an_unsent_call_reads_as_an_expired_token_and_says_it_was_not_sent() {
    use genesys::auth::{Grant, is_session_ended, session_ended_error};
    use genesys::client::Request;
    let e = session_ended_error(
        Request::new(EndpointId::QueueObservations).line(),
        "the token expired at 10:31:00 UTC",
        "start qtop with a new token",
    );
    assert!(is_session_ended(&e));
    assert!(!e.summary().is_empty() && e.summary().contains("not sent"), "{}", e.summary());
    let k = Knowledge { grant: Some(Grant::Provided), ..Default::default() };
    assert_eq!(diagnose(&ErrorFacts::from_api_error(&e), &k).cause, Cause::TokenExpired);
}
