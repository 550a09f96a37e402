//! Why a call was refused, and what to change. Pure: the same input always gives the same
//! diagnosis; the error log, the detail view, `qtop doctor` and `qtop explain` all use it.

mod facts;
pub mod myths;
pub mod permissions;

use std::collections::BTreeMap;

pub use facts::{ErrorFacts, Transport};
use serde::Serialize;

use genesys::auth::Grant;
use genesys::catalog::{self, ClientCredentials, EndpointSpec, Permissions};
use permissions::{divisions_in, names_internal_class, permissions_in};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    MissingPermission,
    MissingAnyPermission,
    MissingScope,
    Division,
    UserContextRequired,
    GrantNotAllowed,
    BadClientCredentials,
    InvalidGrant,
    TokenExpired,
    TokenInvalid,
    NoToken,
    IpNotAuthorized,
    RateLimited,
    ServerFault,
    Unavailable,
    NotFound,
    BadRequest,
    Network,
    Unreadable,
    SignInIncomplete,
    NotAuthorized,
    /// qtop's own fault (a task panicked), not the API's.
    Internal,
    Unknown,
}

impl Cause {
    pub fn label(self) -> &'static str {
        match self {
            Cause::MissingPermission => "missing permission",
            Cause::MissingAnyPermission => "missing one of several permissions",
            Cause::MissingScope => "missing OAuth scope",
            Cause::Division => "division not granted",
            Cause::UserContextRequired => "needs a user token",
            Cause::GrantNotAllowed => "grant type not allowed for this client",
            Cause::BadClientCredentials => "client id/secret refused (or wrong region)",
            Cause::InvalidGrant => "code or refresh token refused",
            Cause::TokenExpired => "token expired",
            Cause::TokenInvalid => "token not valid (revoked, logged out, other org or region)",
            Cause::NoToken => "no token sent",
            Cause::IpNotAuthorized => "IP address not allowed",
            Cause::RateLimited => "rate limited",
            Cause::ServerFault => "server fault",
            Cause::Unavailable => "service unavailable",
            Cause::NotFound => "endpoint or resource not found",
            Cause::BadRequest => "request refused as invalid",
            Cause::Network => "network problem",
            Cause::Unreadable => "unreadable response",
            Cause::SignInIncomplete => "sign-in not completed",
            Cause::NotAuthorized => "not authorized (cause not named by the API)",
            Cause::Internal => "qtop fault",
            Cause::Unknown => "unrecognised error",
        }
    }

    /// Changing something on the Genesys side (roles, scopes, client) is needed; retrying alone
    /// will not help.
    pub fn needs_admin(self) -> bool {
        matches!(
            self,
            Cause::MissingPermission
                | Cause::MissingAnyPermission
                | Cause::MissingScope
                | Cause::Division
                | Cause::UserContextRequired
                | Cause::GrantNotAllowed
                | Cause::BadClientCredentials
                | Cause::IpNotAuthorized
        )
    }
}

/// What is known about the token that was refused. Unknown fields stay `None`: the diagnosis
/// then says what it cannot tell rather than guessing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Knowledge {
    pub grant: Option<Grant>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub user_name: Option<String>,
    /// `authorizedScope` from `GET /api/v2/tokens/me`.
    pub scopes: Option<Vec<String>>,
    /// Permissions the token's roles grant, when they could be read.
    pub permissions: Option<Vec<String>>,
    /// Division id → name, when known.
    pub division_names: BTreeMap<String, String>,
    /// Where qtop signs in (`login.mypurecloud.ie`), for wrong-region advice.
    pub login_host: Option<String>,
    /// Where qtop sends API calls (`api.mypurecloud.ie`), to name the host it cannot reach.
    pub api_host: Option<String>,
}

impl Knowledge {
    /// What the session itself tells before the API is asked: the grant, the client and
    /// where it signs in.
    pub fn of_session(session: &genesys::auth::Session) -> Knowledge {
        Knowledge {
            grant: Some(session.method().grant()),
            client_id: session.method().client_id().map(String::from),
            login_host: session.client().hosts().login.host_str().map(String::from),
            api_host: session.client().hosts().api.host_str().map(String::from),
            ..Default::default()
        }
    }

    /// Take in what the API said about the token (tokens/me, users/me, subjects/me, the
    /// OAuth client), keeping what was known before where the API could not say.
    pub fn learn(&mut self, report: &genesys::token::TokenReport) {
        self.grant = Some(report.grant);
        if let Ok(info) = &report.info {
            self.scopes = Some(info.authorized_scope.clone());
            if let Some(c) = &info.oauth_client {
                self.client_name = c.name.clone().or(self.client_name.take());
                self.client_id = c.id.clone().or(self.client_id.take());
            }
        }
        if let Some(Ok(user)) = &report.user {
            self.user_name = user.name.clone().or(user.email.clone()).or(self.user_name.take());
        }
        if let Some(Ok(client)) = &report.client {
            self.client_name = client.name.clone().or(self.client_name.take());
        }
        if let Some(held) = report.held() {
            self.permissions = Some(held.perms.into_iter().map(|(p, _)| p).collect());
        }
        self.division_names.extend(report.division_names());
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    pub cause: Cause,
    /// One line for the error log.
    pub summary: String,
    /// The exact permissions, scopes or divisions that are missing.
    pub missing: Vec<String>,
    pub divisions: Vec<String>,
    /// Why we think so.
    pub evidence: Vec<String>,
    /// What to change, in one or two lines.
    pub fix: String,
    #[serde(skip)]
    pub endpoint: Option<&'static EndpointSpec>,
}

impl Diagnosis {
    fn new(cause: Cause, summary: impl Into<String>, fix: impl Into<String>) -> Self {
        Diagnosis {
            cause,
            summary: summary.into(),
            missing: vec![],
            divisions: vec![],
            evidence: vec![],
            fix: fix.into(),
            endpoint: None,
        }
    }

    fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }
}

/// Who holds the roles, and where an admin changes them.
fn holder(k: &Knowledge) -> (String, &'static str) {
    match k.grant {
        Some(Grant::ClientCredentials) => {
            let who = match k.client_name.clone().or_else(|| k.client_id.clone()) {
                Some(name) => format!("OAuth client '{name}'"),
                None => "this OAuth client".into(),
            };
            (who, "Admin > Integrations > OAuth > the client > Roles")
        }
        Some(Grant::AuthorizationCode) => {
            let name = k.user_name.clone().unwrap_or_else(|| "the signed-in user".into());
            (format!("user '{name}'"), "Admin > People & Permissions > People > the user > Roles")
        }
        _ => (
            "the user or OAuth client behind this token".into(),
            "Admin > People (for a user) or Admin > Integrations > OAuth > Roles (for a client)",
        ),
    }
}

fn division_label(k: &Knowledge, id: &str) -> String {
    match k.division_names.get(id) {
        Some(name) => format!("'{name}' ({id})"),
        None => id.to_string(),
    }
}

fn catalogue_permissions(ep: Option<&EndpointSpec>) -> Vec<String> {
    ep.map(|e| e.permissions.list().iter().map(std::string::ToString::to_string).collect()).unwrap_or_default()
}

fn endpoint_note(ep: Option<&EndpointSpec>) -> String {
    ep.map(|e| format!("{} needs {}", e.label(), permission_rule(e))).unwrap_or_default()
}

/// `analytics:queueObservation:view` or `one of a, b`.
pub fn permission_rule(e: &EndpointSpec) -> String {
    match e.permissions {
        Permissions::None => "no permission".into(),
        Permissions::AllOf(p) => p.join(" and "),
        Permissions::AnyOf(p) if p.len() == 1 => p[0].to_string(),
        Permissions::AnyOf(p) => format!("one of {}", p.join(", ")),
    }
}

/// Diagnose a refusal from what is known about it and about the token.
pub fn diagnose(f: &ErrorFacts, k: &Knowledge) -> Diagnosis {
    let mut d = diagnose_inner(f, k);
    d.endpoint = f.endpoint;
    if let Some(cid) = f.correlation_id.as_ref().or(f.context_id.as_ref()) {
        d.evidence.push(format!("correlation id {cid}"));
    }
    d
}

fn diagnose_inner(f: &ErrorFacts, k: &Knowledge) -> Diagnosis {
    if let Some(t) = &f.transport {
        return transport(t, f, k);
    }
    if f.is_oauth || f.code.as_deref().is_some_and(is_oauth_code) {
        return oauth(f, k);
    }
    let message = f.message.clone().unwrap_or_default();
    match (f.status, f.code.as_deref()) {
        (_, Some("missing.permissions" | "missing.any.permissions" | "missing.division.permission" | "forbidden")) => {
            forbidden(f, k)
        }
        (Some(403), _) => forbidden(f, k),
        (Some(401), code) => unauthorized(code, k),
        (_, Some("authentication.required" | "bad.credentials" | "credentials.expired" | "ip.not.authorized")) => {
            unauthorized(f.code.as_deref(), k)
        }
        (Some(400), _) if message.contains("requires a user context") => user_context(f),
        (Some(400), _) | (_, Some("bad.request" | "invalid.value")) => Diagnosis::new(
            Cause::BadRequest,
            format!("request refused as invalid: {}", first_sentence(&message)),
            "this is a qtop bug or an API change if it persists: report it with the raw body below",
        ),
        (Some(404), _) | (_, Some("not.found")) => not_found(f),
        (Some(429), _) | (_, Some("too.many.requests" | "too.many.requests.retry.after")) => rate_limited(f),
        (Some(503), _) | (_, Some("service.unavailable")) => {
            let wait = f.retry_after.map(|w| format!(" (Retry-After {}s)", w.as_secs())).unwrap_or_default();
            Diagnosis::new(
                Cause::Unavailable,
                format!("Genesys Cloud is temporarily unavailable{wait}"),
                "nothing to change: qtop waits and retries by itself",
            )
        }
        (Some(s), _) if s >= 500 => Diagnosis::new(
            Cause::ServerFault,
            format!("server error {s}: {}", first_sentence(&message)),
            "nothing to change on your side: qtop retries with backoff; if it lasts, give Genesys support the correlation id",
        ),
        _ => {
            // A pasted API message without status or code may still name permissions.
            if message.contains("permission") && !permissions_in(&message).is_empty() {
                return forbidden(f, k);
            }
            unknown(f)
        }
    }
}

/// An OAuth error code (RFC 6749 and what Genesys' login host answers).
pub fn is_oauth_code(code: &str) -> bool {
    matches!(
        code,
        "invalid_client"
            | "unauthorized_client"
            | "invalid_grant"
            | "invalid_request"
            | "unsupported_grant_type"
            | "invalid_scope"
            | "access_denied"
    )
}

fn first_sentence(m: &str) -> String {
    let m = m.trim();
    if m.is_empty() {
        return "(no message)".into();
    }
    m.chars().take(160).collect()
}

/// The host a request went to, when the session's hosts are known.
fn host_of(f: &ErrorFacts, k: &Knowledge) -> Option<String> {
    match f.endpoint?.host {
        catalog::Host::Api => k.api_host.clone(),
        catalog::Host::Login => k.login_host.clone(),
    }
}

/// Which step of reaching a host failed, read off the transport error's text (hyper, rustls
/// and the resolver name it; the kind is what a supervisor can pass on).
fn connect_step(detail: &str) -> &'static str {
    let d = detail.to_ascii_lowercase();
    if ["dns", "lookup", "name or service not known", "nodename nor servname", "no such host"]
        .iter()
        .any(|w| d.contains(w))
    {
        "DNS lookup failed"
    } else if ["certificate", "tls", "handshake", "unknownissuer"].iter().any(|w| d.contains(w)) {
        "TLS failed"
    } else if d.contains("refused") {
        "connection refused"
    } else if d.contains("unreachable") {
        "network unreachable"
    } else {
        "cannot connect"
    }
}

fn transport(t: &Transport, f: &ErrorFacts, k: &Knowledge) -> Diagnosis {
    let target = host_of(f, k).or_else(|| f.request_line()).unwrap_or_else(|| "the server".into());
    match t {
        Transport::Timeout => Diagnosis::new(
            Cause::Network,
            format!("no answer in time from {target}"),
            "check the network path to the region (proxy, VPN, firewall); qtop keeps retrying",
        ),
        Transport::Connect(detail) => {
            let step = connect_step(detail);
            let fix = match step {
                "DNS lookup failed" => "check the region (or base URL) and this machine's DNS; qtop keeps retrying",
                "TLS failed" => {
                    "a proxy may be intercepting TLS: give qtop its CA (SSL_CERT_FILE) or check the clock; qtop keeps retrying"
                }
                _ => "check the region or base URL and the network path (proxy, VPN, firewall); qtop keeps retrying",
            };
            Diagnosis::new(Cause::Network, format!("cannot reach {target}: {step}"), fix)
                .evidence(format!("the connection failed: {detail}"))
        }
        Transport::Broken(detail) => Diagnosis::new(
            Cause::Network,
            format!("connection to {target} broke mid-answer"),
            "usually passing (a reset by a proxy or load balancer); qtop retries",
        )
        .evidence(format!("the connection broke: {detail}")),
        Transport::SessionEnded(why, fix) => {
            Diagnosis::new(Cause::TokenExpired, format!("the session has ended: {why}"), fix.clone())
                .evidence("nothing was sent: a call with an ended session could only be refused")
        }
        Transport::SignIn(detail) => Diagnosis::new(
            Cause::SignInIncomplete,
            format!("sign-in did not complete: {detail}"),
            if detail.contains("state") {
                "the redirect did not come from this sign-in attempt (a stale or forged link): press a and use the new address"
            } else {
                "press a to sign in again"
            },
        ),
        Transport::Unreadable(detail) => Diagnosis::new(
            Cause::Unreadable,
            format!("the answer was not the JSON expected ({detail})"),
            "usually a truncated answer or a proxy's HTML page; qtop retries; if it lasts, check for a proxy rewriting responses",
        ),
    }
}

fn oauth(f: &ErrorFacts, k: &Knowledge) -> Diagnosis {
    let desc = f.oauth_description.clone().or_else(|| f.message.clone()).unwrap_or_default();
    let client = k.client_name.clone().or_else(|| k.client_id.clone()).unwrap_or_else(|| "the OAuth client".into());
    let host = k.login_host.clone().unwrap_or_else(|| "the login host".into());
    match f.code.as_deref().unwrap_or("") {
        "invalid_client" => Diagnosis::new(
            Cause::BadClientCredentials,
            format!("sign-in refused: {}", if desc.is_empty() { "invalid_client" } else { &desc }),
            format!(
                "check the client id and secret of {client}, that the client is not disabled, and that {host} is the org's own region: a client exists only in its home region, and all of these answer 'authentication failed'"
            ),
        )
        .evidence("Genesys answers invalid_client/'authentication failed' for a wrong id, a wrong secret, a disabled client and a wrong region alike; the body cannot tell them apart"),
        "unauthorized_client" => Diagnosis::new(
            Cause::GrantNotAllowed,
            format!("sign-in refused: {desc}"),
            format!(
                "{client} is not set up for this grant type: in Admin > Integrations > OAuth pick a client whose Grant Type is the one qtop uses ({}), or change [auth] method",
                k.grant.map(genesys::auth::Grant::as_str).unwrap_or("see [auth] method")
            ),
        ),
        "invalid_grant" => Diagnosis::new(
            Cause::InvalidGrant,
            format!("the authorization code or refresh token was refused{}", if desc.is_empty() { String::new() } else { format!(": {desc}") }),
            "sign in again (press a): codes are single-use and short-lived; refresh tokens end when revoked, expired or after logout",
        ),
        "invalid_scope" => Diagnosis::new(
            Cause::MissingScope,
            format!("requested scope refused: {desc}"),
            format!("add the scope to {client}'s scope list (Admin > Integrations > OAuth > Scope) or stop requesting it"),
        ),
        "access_denied" => Diagnosis::new(
            Cause::InvalidGrant,
            "the user declined or could not authorize the sign-in",
            "sign in again and approve the consent page",
        ),
        other => Diagnosis::new(
            Cause::BadRequest,
            format!("sign-in request refused: {} {desc}", if other.is_empty() { "(no error code)" } else { other }),
            "check [auth] settings; if they look right this is a qtop bug: report it with the raw body",
        ),
    }
}

fn unauthorized(code: Option<&str>, k: &Knowledge) -> Diagnosis {
    let auto = match k.grant {
        Some(Grant::ClientCredentials) => "qtop signs in again by itself",
        Some(Grant::AuthorizationCode) => "press a to sign in again",
        Some(Grant::Provided) => "a provided token cannot be renewed: supply a fresh one",
        None => "sign in again",
    };
    match code {
        Some("authentication.required") => Diagnosis::new(
            Cause::NoToken,
            "no bearer token was sent",
            format!("{auto}; if you call the API yourself, send 'Authorization: Bearer <token>'"),
        ),
        Some("credentials.expired") => Diagnosis::new(Cause::TokenExpired, "the access token has expired", auto),
        Some("ip.not.authorized") => Diagnosis::new(
            Cause::IpNotAuthorized,
            "this machine's IP address is not in the org's allow list",
            "ask an admin to add it (Admin > Organization Settings > IP address authorization)",
        ),
        _ => Diagnosis::new(
            Cause::TokenInvalid,
            "the token is not accepted: revoked, logged out, idle-timed-out, or from another org or region",
            auto,
        ),
    }
}

fn user_context(f: &ErrorFacts) -> Diagnosis {
    let what = f.request_line().unwrap_or_else(|| "this endpoint".into());
    Diagnosis::new(
        Cause::UserContextRequired,
        format!("{what} needs a user token; client credentials cannot call it"),
        "sign in as a user ([auth] method = \"pkce\"), or leave this call out: qtop's live table does not need it",
    )
    .evidence("client-credentials tokens have no user behind them; user-only endpoints answer 400")
}

fn not_found(f: &ErrorFacts) -> Diagnosis {
    let path = f.path.clone().unwrap_or_default();
    if let Some(myth) = myths::endpoint_myth(&path) {
        return Diagnosis::new(Cause::NotFound, format!("{path} does not exist"), myth.truth.to_string())
            .evidence(myth.myth.to_string());
    }
    let known = f.endpoint.is_some() || catalog::lookup_path(&path).next().is_some();
    if known {
        Diagnosis::new(
            Cause::NotFound,
            format!("not found: {path}"),
            "the id in the path does not exist in this org, or it is in a division this token cannot see; check the id and the region",
        )
    } else {
        Diagnosis::new(
            Cause::NotFound,
            format!("no such endpoint: {path}"),
            "check the path against the API explorer (developer.genesys.cloud); live queue numbers come from POST /api/v2/analytics/queues/observations/query",
        )
    }
}

fn rate_limited(f: &ErrorFacts) -> Diagnosis {
    let wait = f.retry_after.map(|w| w.as_secs());
    let summary = match wait {
        Some(s) => format!("rate limit reached; retry in {s}s"),
        None => "rate limit reached".to_string(),
    };
    let limit = match f.rate_allowed {
        Some(n) => format!("{n} requests/min per token, from inin-ratelimit-allowed"),
        None => "usually 300 requests/min per token".into(),
    };
    let mut d = Diagnosis::new(
        Cause::RateLimited,
        summary,
        format!(
            "qtop waits for Retry-After and resumes; to stay under the limit ({limit}) raise [monitor] refresh or watch fewer queues"
        ),
    );
    if wait.is_some_and(|s| s > 180) {
        d.evidence
            .push("a wait over 180 s usually means a daily or org-wide limit: qtop keeps waiting and shows it".into());
    }
    d
}

fn forbidden(f: &ErrorFacts, k: &Knowledge) -> Diagnosis {
    let message = f.message.clone().unwrap_or_default();
    let code = f.code.clone().unwrap_or_default();
    let named = permissions_in(&message);
    let mut divisions: Vec<String> = divisions_in(&message);
    divisions.extend(named.iter().filter_map(|p| p.division.clone()));
    divisions.dedup();
    let mut missing: Vec<String> = named.iter().map(|p| p.permission.clone()).collect();
    missing.dedup();
    let mut evidence = vec![];
    if !message.is_empty() {
        evidence.push(format!("API said: {}", first_sentence(&message)));
    }
    if missing.is_empty() && (names_internal_class(&message) || code.starts_with("missing.")) {
        missing = catalogue_permissions(f.endpoint);
        if !missing.is_empty() {
            evidence.push("the message does not name the permission; the catalogue says this endpoint needs it".into());
        }
    }
    let (who, where_) = holder(k);

    if code == "missing.division.permission" || !divisions.is_empty() {
        let perms = if missing.is_empty() { catalogue_permissions(f.endpoint) } else { missing.clone() };
        let divs: Vec<String> = divisions.iter().map(|d| division_label(k, d)).collect();
        let in_divs = if divs.is_empty() { "the division of the object".to_string() } else { divs.join(", ") };
        let mut d = Diagnosis::new(
            Cause::Division,
            format!("{} not granted in division {in_divs}", perms.join(", ")),
            format!("give {who} a role with {} in {in_divs} ({where_}: set the role's divisions)", perms.join(", ")),
        );
        d.missing = perms;
        d.divisions = divisions;
        d.evidence = evidence;
        return d;
    }

    if code == "missing.any.permissions" {
        let mut d = Diagnosis::new(
            Cause::MissingAnyPermission,
            format!("needs at least one of {}", missing.join(", ")),
            format!("give {who} a role with one of {} ({where_})", missing.join(", ")),
        );
        d.missing = missing;
        d.evidence = evidence;
        return d;
    }

    if !missing.is_empty() {
        let mut d = Diagnosis::new(
            Cause::MissingPermission,
            format!("missing permission {}", missing.join(", ")),
            format!(
                "add a role with {} to {who} ({where_}){}",
                missing.join(" and "),
                if k.grant == Some(Grant::ClientCredentials) { "" } else { ", then sign in again (a)" }
            ),
        );
        if k.grant == Some(Grant::ClientCredentials) {
            evidence.push(
                "client-credentials tokens get permissions from the client's roles; scopes do not limit them".into(),
            );
        }
        d.missing = missing;
        d.evidence = evidence;
        return d;
    }

    // A 403 that names nothing (not.authorized): compare what we know with the catalogue.
    not_authorized(f, k, evidence)
}

fn not_authorized(f: &ErrorFacts, k: &Knowledge, mut evidence: Vec<String>) -> Diagnosis {
    let (who, where_) = holder(k);
    let ep = f.endpoint;
    if let Some(ep) = ep {
        if ep.client_credentials == ClientCredentials::UserContextRequired && k.grant == Some(Grant::ClientCredentials)
        {
            return user_context(f);
        }
        let user_token = matches!(k.grant, Some(Grant::AuthorizationCode | Grant::Provided));
        if user_token
            && !ep.scopes.is_empty()
            && let Some(scopes) = &k.scopes
            && !ep.scopes.iter().any(|s| scopes.iter().any(|t| t == s))
        {
            evidence
                .push(format!("token scopes: {}", if scopes.is_empty() { "(none)".into() } else { scopes.join(" ") }));
            evidence.push("scopes are enforced only when the org has turned on scope enforcement".into());
            let mut d = Diagnosis::new(
                Cause::MissingScope,
                format!("token lacks scope {} for {}", ep.scopes.join(" or "), ep.label()),
                format!(
                    "add {} to the OAuth client's scope list (Admin > Integrations > OAuth > the client > Scope), then sign in again (a)",
                    ep.scopes.last().unwrap_or(&"the scope")
                ),
            );
            d.missing = ep.scopes.iter().map(std::string::ToString::to_string).collect();
            d.evidence = evidence;
            return d;
        }
        if let Some(perms) = &k.permissions {
            let lacking: Vec<String> = ep
                .permissions
                .list()
                .iter()
                .filter(|p| !perms.iter().any(|h| crate::diagnose::permission_covers(h, p)))
                .map(std::string::ToString::to_string)
                .collect();
            if !lacking.is_empty() {
                evidence.push("the token's roles, as read from the API, do not include it".into());
                let mut d = Diagnosis::new(
                    Cause::MissingPermission,
                    format!("missing permission {}", lacking.join(", ")),
                    format!("add a role with {} to {who} ({where_})", lacking.join(" and ")),
                );
                d.missing = lacking;
                d.evidence = evidence;
                return d;
            }
        }
    }
    let mut candidates = vec![];
    if let Some(ep) = ep {
        candidates.push(format!("a role with {} for {who}", permission_rule(ep)));
        if ep.division_filtered {
            candidates.push("that role in the object's division".to_string());
        }
        if !matches!(k.grant, Some(Grant::ClientCredentials)) && !ep.scopes.is_empty() {
            candidates
                .push(format!("scope {} on the OAuth client (if the org enforces scopes)", ep.scopes.join(" or ")));
        }
    }
    let fix = if candidates.is_empty() {
        format!("check the roles and divisions of {who} ({where_})")
    } else {
        format!("check, in this order: {}", candidates.join("; "))
    };
    let mut d = Diagnosis::new(
        Cause::NotAuthorized,
        format!(
            "refused without naming why{}",
            ep.map(|e| format!(" ({})", endpoint_note(Some(e)))).unwrap_or_default()
        ),
        fix,
    );
    d.evidence = evidence;
    d
}

fn unknown(f: &ErrorFacts) -> Diagnosis {
    let status = f.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "an error".into());
    let code = f.code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
    Diagnosis::new(
        Cause::Unknown,
        format!("{status}{code} that qtop does not recognise"),
        "read the raw body below; if it names a permission or a division, that is what to grant",
    )
}

/// Polling waits for room because the server counts requests for this token that qtop did
/// not send: another program (or an earlier qtop) spends the same allowance. No request was
/// refused, so nothing else would say why the numbers slow down.
pub fn shared_budget(usage: genesys::budget::BudgetUse) -> Option<Diagnosis> {
    let others = usage.others()?;
    let d = Diagnosis::new(
        Cause::RateLimited,
        "another program is spending this token's rate budget: polling waits for room",
        "qtop waits for the server's window to reset and resumes by itself; the limit is per token, so give the other program its own OAuth client (or slow it down)",
    )
    .evidence(format!(
        "the server counts {} of {} requests in this minute for this token; qtop sent {} ({} are someone else's)",
        usage.used, usage.allowed, usage.ours, others
    ));
    Some(d)
}

/// A queue the user asked for that the API did not list. The API does not refuse: it leaves
/// out queues in divisions the token cannot see. `held_in` says where the token holds
/// `routing:queue:view`, when the token pane could read it ("Home only; not Finance").
pub fn hidden_queue(selector: &str, held_in: Option<&str>, k: &Knowledge) -> Diagnosis {
    let (who, where_) = holder(k);
    let perms = "routing:queue:view and analytics:queueObservation:view";
    let (summary, fix) = match held_in {
        Some(held) => (
            format!("no visible queue matches '{selector}'; routing:queue:view is held in {held}"),
            format!(
                "if the queue exists in another division, give {who} a role with {perms} in that division ({where_}); otherwise check the name"
            ),
        ),
        None => (
            format!("no visible queue matches '{selector}'"),
            format!(
                "check the name (names, globs and ids work); if it is right, the queue is in a division where {who} lacks routing:queue:view: add it there ({where_})"
            ),
        ),
    };
    let mut d = Diagnosis::new(Cause::Division, summary, fix);
    d.missing = vec!["routing:queue:view".into()];
    d.evidence.push("the queue list leaves out queues in divisions the token cannot see; it never says which".into());
    d.endpoint = Some(catalog::spec(catalog::EndpointId::RoutingQueues));
    d
}

/// Does a held permission (which may use `*` wildcards) cover the wanted one?
pub fn permission_covers(held: &str, wanted: &str) -> bool {
    if held == "*" {
        return true;
    }
    let h: Vec<&str> = held.split(':').collect();
    let w: Vec<&str> = wanted.split(':').collect();
    h.len() == 3 && w.len() >= 3 && h.iter().zip(&w).all(|(a, b)| *a == "*" || a == b)
}

#[cfg(test)]
mod tests;
