//! Token facts: what the API says the token is (`tokens/me`), who it belongs to
//! (`users/me?expand=authorization`, the OAuth client), which roles it holds in which divisions
//! (`authorization/subjects/me`), where it holds each permission that decides which queues it
//! sees (`authorization/divisionspermitted/paged/me`), the claims of a JWT when it is one, and —
//! from the permission catalogue — what each call qtop makes needs and whether this token has it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::auth::{Grant, Session};
use super::catalog::{self, ClientCredentials, EndpointId, EndpointSpec, Host, Permissions};
use super::client::{ApiError, Request};
use super::models::{
    AuthzDivision, AuthzSubject, DivisionListing, DivsPermittedListing, OAuthClientInfo, TokenInfo, UserMe,
};

/// `domain:entity:action` with `*` in any part (as role policies write them).
pub fn permission_matches(pattern: &str, wanted: &str) -> bool {
    let mut p = pattern.split(':');
    let mut w = wanted.split(':');
    for _ in 0..3 {
        match (p.next(), w.next()) {
            (Some("*"), Some(_) | None) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, _) if pattern == "*" => {}
            _ => return false,
        }
    }
    true
}

/// The id Genesys Cloud uses for "every division, present and future" in a grant.
pub const ALL_DIVISIONS: &str = "*";

// --- JWT ------------------------------------------------------------------------------------

/// The decoded parts of a JWT. Never verified here: Genesys Cloud publishes no JWKS for its
/// tokens (they are opaque), so a JWT is from another issuer and its claims are shown as
/// unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtFacts {
    /// "access token" or "id_token".
    pub which: &'static str,
    pub alg: String,
    /// Claim name and value (as compact JSON for non-strings), registered claims first.
    pub claims: Vec<(String, String)>,
    pub expires_at: Option<Timestamp>,
    pub verified: bool,
}

const CLAIM_ORDER: &[&str] = &["iss", "sub", "aud", "exp", "iat", "nbf", "scope", "azp", "client_id", "name", "email"];

/// Decode `token` when it is a JWT (three base64url parts with a JSON header); `None` for an
/// opaque token.
pub fn decode_jwt(which: &'static str, token: &str) -> Option<JwtFacts> {
    if token.split('.').count() != 3 {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    let data = jsonwebtoken::dangerous::insecure_decode::<serde_json::Map<String, serde_json::Value>>(token).ok()?;
    let mut claims: Vec<(String, String)> = data
        .claims
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect();
    let rank = |k: &str| CLAIM_ORDER.iter().position(|c| *c == k).unwrap_or(CLAIM_ORDER.len());
    claims.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
    let expires_at =
        data.claims.get("exp").and_then(serde_json::Value::as_i64).and_then(|s| Timestamp::from_second(s).ok());
    Some(JwtFacts { which, alg: format!("{:?}", header.alg), claims, expires_at, verified: false })
}

// --- the report -------------------------------------------------------------------------------

/// One probe's outcome; the error stays whole so the pane (and the diagnosis) can say why.
pub type Probe<T> = Result<T, Box<ApiError>>;

/// Everything the API said about the current token, fetched right after it was obtained.
#[derive(Debug, Clone)]
pub struct TokenReport {
    /// Which token this describes (its fingerprint).
    pub fingerprint: String,
    pub grant: Grant,
    pub at: Timestamp,
    pub info: Probe<TokenInfo>,
    /// `users/me`: asked for user tokens and for provided ones (its 400 says "client").
    pub user: Option<Probe<UserMe>>,
    pub subject: Probe<AuthzSubject>,
    /// `oauth/clients/{id}`: asked for client-credentials tokens.
    pub client: Option<Probe<OAuthClientInfo>>,
    pub divisions: Probe<Vec<AuthzDivision>>,
    /// `divisionspermitted/paged/me` per permission that division-filtered calls need: the
    /// API's own answer to "where may this token use it". Where it answered, it decides over
    /// what the grants suggest (a grant's conditions or an org's rules can differ from them).
    pub permitted: BTreeMap<String, Probe<Permitted>>,
}

/// Where one permission is held, as `divisionspermitted/paged/me` says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Permitted {
    /// `allDivsPermitted`: every division, present and future.
    pub all: bool,
    pub divisions: Vec<AuthzDivision>,
}

impl Permitted {
    /// As [`Divs`]; `None` when held nowhere.
    fn divs(&self) -> Option<Divs> {
        let ids: BTreeSet<String> = self.divisions.iter().filter_map(|d| d.id.clone()).collect();
        (self.all || !ids.is_empty()).then_some(Divs { all: self.all, ids })
    }
}

/// Who the token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    User,
    Client,
    /// A provided token whose kind the API did not reveal.
    Unknown,
}

impl TokenReport {
    pub fn principal(&self) -> Principal {
        match self.grant {
            Grant::AuthorizationCode => Principal::User,
            Grant::ClientCredentials => Principal::Client,
            Grant::Provided => match &self.user {
                Some(Ok(_)) => Principal::User,
                Some(Err(e)) if is_user_context_required(e) => Principal::Client,
                _ => Principal::Unknown,
            },
        }
    }

    /// Division id → name, from the division list and the grants.
    pub fn division_names(&self) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        let mut add = |d: &AuthzDivision| {
            if let (Some(id), Some(name)) = (&d.id, &d.name) {
                names.insert(id.clone(), name.clone());
            }
        };
        if let Ok(ds) = &self.divisions {
            ds.iter().for_each(&mut add);
        }
        if let Ok(s) = &self.subject {
            s.grants.iter().filter_map(|g| g.division.as_ref()).for_each(&mut add);
        }
        self.permitted.values().flatten().flat_map(|p| &p.divisions).for_each(&mut add);
        names
    }

    /// Where `perm` is held by the API's direct answer, when it gave one: `Some(None)` is
    /// "nowhere".
    fn permitted_in(&self, perm: &str) -> Option<Option<Divs>> {
        self.permitted.get(perm)?.as_ref().ok().map(Permitted::divs)
    }

    /// The permissions the token holds and where, when the API told us.
    pub fn held(&self) -> Option<Held> {
        if let Ok(subject) = &self.subject {
            let mut perms: Vec<(String, Divs)> = Vec::new();
            for g in &subject.grants {
                let div = g.division.as_ref().and_then(|d| d.id.clone()).unwrap_or_default();
                let Some(role) = &g.role else { continue };
                for p in &role.policies {
                    let (Some(domain), Some(entity)) = (&p.domain, &p.entity_name) else { continue };
                    for action in &p.actions {
                        let pattern = format!("{domain}:{entity}:{action}");
                        if let Some((_, divs)) = perms.iter_mut().find(|(q, _)| *q == pattern) {
                            divs.add(&div);
                        } else {
                            let mut divs = Divs::default();
                            divs.add(&div);
                            perms.push((pattern, divs));
                        }
                    }
                }
            }
            return Some(Held { perms, divisions_known: true });
        }
        // users/me lists permissions without divisions: enough for ✓/✗, not for where.
        if let Some(Ok(UserMe { authorization: Some(a), .. })) = &self.user {
            let perms = a.permissions.iter().map(|p| (p.clone(), Divs::default())).collect();
            return Some(Held { perms, divisions_known: false });
        }
        None
    }

    /// Role names with where they apply: `Supervisor (all divisions)`, `Queue Wallboard (Home)`.
    pub fn roles(&self) -> Option<Vec<String>> {
        let names = self.division_names();
        let div_label = |id: &str| {
            if id == ALL_DIVISIONS { "all divisions".to_string() } else { names.get(id).cloned().unwrap_or(id.into()) }
        };
        if let Ok(subject) = &self.subject {
            let mut by_role: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for g in &subject.grants {
                let role = g.role.as_ref().and_then(|r| r.name.clone().or(r.id.clone())).unwrap_or_default();
                let div = g.division.as_ref().and_then(|d| d.id.clone()).unwrap_or_default();
                by_role.entry(role).or_default().insert(div_label(&div));
            }
            return Some(
                by_role
                    .into_iter()
                    .map(|(role, divs)| {
                        if divs.contains("all divisions") {
                            format!("{role} (all divisions)")
                        } else {
                            format!("{role} ({})", divs.into_iter().collect::<Vec<_>>().join(", "))
                        }
                    })
                    .collect(),
            );
        }
        if let Some(Ok(OAuthClientInfo { role_divisions, .. })) = &self.client
            && !role_divisions.is_empty()
        {
            return Some(
                role_divisions
                    .iter()
                    .map(|rd| format!("role {} ({})", rd.role_id, div_label(&rd.division_id)))
                    .collect(),
            );
        }
        if let Some(Ok(UserMe { authorization: Some(a), .. })) = &self.user {
            return Some(a.roles.iter().filter_map(|r| r.name.clone()).collect());
        }
        None
    }
}

/// The divisions a permission is held in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Divs {
    pub all: bool,
    pub ids: BTreeSet<String>,
}

impl Divs {
    fn add(&mut self, id: &str) {
        if id == ALL_DIVISIONS {
            self.all = true;
        } else if !id.is_empty() {
            self.ids.insert(id.to_string());
        }
    }

    fn union(&mut self, other: &Divs) {
        self.all |= other.all;
        self.ids.extend(other.ids.iter().cloned());
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Permission patterns (may hold `*`) and where they are held.
    pub perms: Vec<(String, Divs)>,
    /// False when the list came without divisions (users/me).
    pub divisions_known: bool,
}

impl Held {
    /// Where `perm` is held; `None` when nowhere.
    pub fn where_held(&self, perm: &str) -> Option<Divs> {
        let mut out: Option<Divs> = None;
        for (pattern, divs) in &self.perms {
            if permission_matches(pattern, perm) {
                out.get_or_insert_with(Divs::default).union(divs);
            }
        }
        out
    }
}

// --- what qtop needs ----------------------------------------------------------------------------

/// ✓ / ✗ / ? / not applicable, with the words that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Granted; the note says where when it matters ("Home only").
    Yes(Option<String>),
    /// Not granted: what is missing.
    No(String),
    /// Cannot be known from here: why.
    Unknown(String),
    /// The rule does not apply to this token: why.
    NotApplicable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRow {
    pub endpoint: EndpointId,
    pub label: String,
    pub permission: Check,
    pub scope: Check,
}

/// For every API call qtop makes (from the catalogue): does this token have what it needs?
pub fn needs(report: &TokenReport) -> Vec<NeedRow> {
    let principal = report.principal();
    let held = report.held();
    let names = report.division_names();
    let scopes: Option<&[String]> = report.info.as_ref().ok().map(|i| i.authorized_scope.as_slice());
    let all_divisions: Vec<(String, String)> = match &report.divisions {
        Ok(ds) => ds.iter().filter_map(|d| Some((d.id.clone()?, d.name.clone()?))).collect(),
        Err(_) => vec![],
    };
    let mut rows: Vec<NeedRow> = catalog::CATALOG
        .iter()
        .filter(|s| s.used_by_qtop && s.host == Host::Api)
        .map(|spec| NeedRow {
            endpoint: spec.id,
            label: format!("{} {}", spec.method, spec.path.trim_start_matches("/api/v2/")),
            permission: permission_check(
                spec,
                principal,
                held.as_ref(),
                &|p| report.permitted_in(p),
                &names,
                &all_divisions,
            ),
            scope: scope_check(spec, principal, scopes),
        })
        .collect();
    // What the queue table itself needs first, then the rest in catalogue order.
    rows.sort_by_key(|r| match r.endpoint {
        EndpointId::QueueObservations => 0,
        EndpointId::RoutingQueues => 1,
        EndpointId::ConversationAggregates => 2,
        EndpointId::QueueMembers => 3,
        _ => 4,
    });
    rows
}

fn permission_check(
    spec: &EndpointSpec,
    principal: Principal,
    held: Option<&Held>,
    permitted: &dyn Fn(&str) -> Option<Option<Divs>>,
    names: &BTreeMap<String, String>,
    all_divisions: &[(String, String)],
) -> Check {
    if spec.client_credentials == ClientCredentials::UserContextRequired && principal == Principal::Client {
        return Check::NotApplicable("needs a user token".into());
    }
    let (perms, all_needed) = match spec.permissions {
        Permissions::None => return Check::Yes(None),
        Permissions::AllOf(p) => (p, true),
        Permissions::AnyOf(p) => (p, false),
    };
    // For a division-filtered call the API's direct answer decides; the grants stand in for
    // a permission it did not answer for.
    let direct = |p: &str| if spec.division_filtered { permitted(p) } else { None };
    let all_direct = perms.iter().all(|p| direct(p).is_some());
    let divisions_known = all_direct || held.is_some_and(|h| h.divisions_known);
    if held.is_none() && !all_direct {
        return Check::Unknown("this token's roles could not be read".into());
    }
    let found: Vec<(&str, Option<Divs>)> =
        perms.iter().map(|p| (*p, direct(p).unwrap_or_else(|| held.and_then(|h| h.where_held(p))))).collect();
    let missing: Vec<&str> = found.iter().filter(|(_, d)| d.is_none()).map(|(p, _)| *p).collect();
    let granted = if all_needed { missing.is_empty() } else { missing.len() < perms.len() };
    if !granted {
        let what =
            if all_needed || perms.len() == 1 { missing.join(", ") } else { format!("one of {}", perms.join(", ")) };
        return Check::No(format!("missing {what}"));
    }
    if !spec.division_filtered {
        return Check::Yes(None);
    }
    if !divisions_known {
        return Check::Yes(Some("divisions unknown".into()));
    }
    // Where the first held permission applies decides which objects are visible.
    let divs = found.iter().find_map(|(_, d)| d.clone()).unwrap_or_default();
    if divs.all {
        return Check::Yes(Some("all divisions".into()));
    }
    let mut here: Vec<String> = divs.ids.iter().map(|id| names.get(id).cloned().unwrap_or(id.clone())).collect();
    here.sort();
    let mut note = if here.len() == 1 { format!("{} only", here[0]) } else { here.join(", ") };
    // The divisions left out are what hides queues: name them when the list is known.
    let mut not: Vec<&String> = all_divisions.iter().filter(|(id, _)| !divs.ids.contains(id)).map(|(_, n)| n).collect();
    not.sort();
    if !not.is_empty() {
        note.push_str(&format!("{LEFT_OUT}{}", not.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
    Check::Yes(Some(note))
}

/// Marks where a permission's note starts naming the divisions it leaves out.
const LEFT_OUT: &str = "; not ";

/// Where this token may list queues, when that leaves some divisions out ("Home only; not
/// EMEA Support, Finance"): queues there are hidden, not refused.
pub fn queues_limited_to(needs: &[NeedRow]) -> Option<String> {
    let row = needs.iter().find(|n| n.endpoint == EndpointId::RoutingQueues)?;
    match &row.permission {
        Check::Yes(Some(note)) if note.contains(LEFT_OUT) => Some(note.clone()),
        _ => None,
    }
}

fn scope_check(spec: &EndpointSpec, principal: Principal, scopes: Option<&[String]>) -> Check {
    if principal == Principal::Client {
        return Check::NotApplicable("roles decide".into());
    }
    if spec.scopes.is_empty() {
        return Check::Yes(None);
    }
    let Some(have) = scopes else {
        return Check::Unknown("tokens/me did not answer".into());
    };
    match spec.scopes.iter().find(|s| have.iter().any(|h| h == *s)) {
        Some(s) => Check::Yes(Some(s.to_string())),
        None => Check::No(format!("needs {}", spec.scopes.join(" or "))),
    }
}

fn is_user_context_required(e: &ApiError) -> bool {
    e.status() == Some(400)
        && e.error_body().and_then(|b| b.message.as_deref()).is_some_and(|m| m.contains("requires a user context"))
}

// --- fetching ------------------------------------------------------------------------------------

async fn probe<T: serde::de::DeserializeOwned>(session: &Session, req: Request) -> Probe<T> {
    session.call::<T>(&req).await.map(|r| r.body).map_err(Box::new)
}

/// Where the token holds `perm`, all pages.
async fn permitted(session: &Session, perm: &str) -> Probe<Permitted> {
    let mut out = Permitted::default();
    for page in 1..=20u32 {
        let req = Request::new(EndpointId::DivisionsPermittedMe)
            .query("permission", perm)
            .query("pageSize", 100)
            .query("pageNumber", page);
        let listing: DivsPermittedListing = probe(session, req).await?;
        out.all |= listing.all_divs_permitted == Some(true);
        let got = listing.entities.len();
        out.divisions.extend(listing.entities);
        // pageCount when given, else nextUri; an empty page ends it either way.
        let more = match listing.page_count {
            Some(n) if n > 0 => page < n,
            _ => listing.next_uri.is_some(),
        };
        if got == 0 || !more {
            break;
        }
    }
    Ok(out)
}

/// The permissions whose divisions decide what division-filtered calls qtop makes can see.
fn division_permissions() -> BTreeSet<&'static str> {
    catalog::CATALOG
        .iter()
        .filter(|s| s.used_by_qtop && s.division_filtered)
        .flat_map(|s| s.permissions.list().iter().copied())
        .collect()
}

async fn all_divisions(session: &Session) -> Probe<Vec<AuthzDivision>> {
    let mut out = Vec::new();
    for page in 1..=20u32 {
        let req = Request::new(EndpointId::Divisions).query("pageSize", 100).query("pageNumber", page);
        let listing: DivisionListing = probe(session, req).await?;
        let got = listing.entities.len();
        out.extend(listing.entities);
        if got == 0 || page >= listing.page_count.unwrap_or(1) {
            break;
        }
    }
    Ok(out)
}

/// Ask the API about the session's current token. Each question may fail on its own; the
/// report keeps every answer and every refusal.
pub async fn inspect(session: &Session) -> Result<TokenReport, ApiError> {
    let token = session.token().await?;
    let grant = token.grant;
    let info: Probe<TokenInfo> =
        probe(session, Request::new(EndpointId::TokensMe).query("preserveIdleTTL", "true")).await;
    let user = match grant {
        Grant::AuthorizationCode | Grant::Provided => {
            Some(probe::<UserMe>(session, Request::new(EndpointId::UsersMe).query("expand", "authorization")).await)
        }
        Grant::ClientCredentials => None,
    };
    let subject: Probe<AuthzSubject> = probe(session, Request::new(EndpointId::SubjectsMe)).await;
    let divisions = all_divisions(session).await;
    let mut permitted_by = BTreeMap::new();
    for perm in division_permissions() {
        permitted_by.insert(perm.to_string(), permitted(session, perm).await);
    }
    let mut report = TokenReport {
        fingerprint: token.access.fingerprint(),
        grant,
        at: Timestamp::now(),
        info,
        user,
        subject,
        client: None,
        divisions,
        permitted: permitted_by,
    };
    if report.principal() == Principal::Client {
        let id = report.info.as_ref().ok().and_then(|i| i.oauth_client.as_ref()).and_then(|c| c.id.clone());
        let id = id.or_else(|| session.method().client_id().map(str::to_string));
        if let Some(id) = id {
            report.client = Some(probe(session, Request::with_params(EndpointId::OAuthClient, &[&id])).await);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ErrorKind;
    use crate::models::{AuthzGrant, AuthzGrantPolicy, AuthzGrantRole, ErrorBody, UserAuthorization};

    fn grant(role: &str, div: &str, perms: &[&str]) -> AuthzGrant {
        AuthzGrant {
            subject_id: None,
            division: Some(AuthzDivision { id: Some(div.into()), name: None, home_division: None }),
            role: Some(AuthzGrantRole {
                id: None,
                name: Some(role.into()),
                policies: perms
                    .iter()
                    .map(|p| {
                        let parts: Vec<&str> = p.split(':').collect();
                        AuthzGrantPolicy {
                            domain: Some(parts[0].into()),
                            entity_name: Some(parts[1].into()),
                            actions: vec![parts[2].into()],
                            condition: None,
                        }
                    })
                    .collect(),
            }),
        }
    }

    fn refused(status: u16, message: &str) -> Box<ApiError> {
        Box::new(ApiError {
            request: Request::new(EndpointId::UsersMe).line(),
            kind: ErrorKind::Api {
                status,
                body: Some(Box::new(ErrorBody {
                    message: Some(message.into()),
                    code: Some("bad.request".into()),
                    ..Default::default()
                })),
                raw: String::new(),
            },
            meta: None,
        })
    }

    fn report(grant_type: Grant, grants: Vec<AuthzGrant>, scopes: &[&str]) -> TokenReport {
        TokenReport {
            fingerprint: "sha256:00000000".into(),
            grant: grant_type,
            at: Timestamp::UNIX_EPOCH,
            info: Ok(TokenInfo {
                authorized_scope: scopes.iter().map(std::string::ToString::to_string).collect(),
                ..Default::default()
            }),
            user: None,
            subject: Ok(AuthzSubject { grants, ..Default::default() }),
            client: None,
            divisions: Ok(vec![
                AuthzDivision { id: Some("d-home".into()), name: Some("Home".into()), home_division: Some(true) },
                AuthzDivision { id: Some("d-fin".into()), name: Some("Finance".into()), home_division: Some(false) },
            ]),
            permitted: BTreeMap::new(),
        }
    }

    fn permitted(all: bool, ids: &[&str]) -> Permitted {
        let divisions = ids.iter().map(|id| AuthzDivision { id: Some((*id).into()), ..Default::default() }).collect();
        Permitted { all, divisions }
    }

    #[test]
    fn the_divisions_permitted_answer_decides_where_a_permission_applies() {
        let perms = ["analytics:queueObservation:view", "routing:queue:view", "analytics:conversationAggregate:view"];
        let mut r = report(Grant::ClientCredentials, vec![grant("Queue Wallboard", ALL_DIVISIONS, &perms)], &[]);
        // The grants say everywhere; the API says Home only for listing queues.
        r.permitted.insert("routing:queue:view".into(), Ok(permitted(false, &["d-home"])));
        r.permitted.insert("analytics:queueObservation:view".into(), Ok(permitted(true, &[])));
        let rows = needs(&r);
        assert_eq!(row(&rows, EndpointId::RoutingQueues).permission, Check::Yes(Some("Home only; not Finance".into())));
        assert_eq!(queues_limited_to(&rows).as_deref(), Some("Home only; not Finance"));
        assert_eq!(row(&rows, EndpointId::QueueObservations).permission, Check::Yes(Some("all divisions".into())));
        // Not asked (or refused): the grants stand in.
        assert_eq!(row(&rows, EndpointId::ConversationAggregates).permission, Check::Yes(Some("all divisions".into())));
        r.permitted.insert("analytics:conversationAggregate:view".into(), Err(refused(403, "no")));
        assert_eq!(
            row(&needs(&r), EndpointId::ConversationAggregates).permission,
            Check::Yes(Some("all divisions".into()))
        );
        // Held nowhere by the API's word, whatever the grants say.
        r.permitted.insert("routing:queue:view".into(), Ok(permitted(false, &[])));
        assert_eq!(
            row(&needs(&r), EndpointId::RoutingQueues).permission,
            Check::No("missing routing:queue:view".into())
        );
    }

    #[test]
    fn the_divisions_permitted_answer_stands_in_for_unreadable_grants() {
        let mut r = report(Grant::AuthorizationCode, vec![], &[]);
        r.subject = Err(refused(403, "no"));
        r.permitted.insert("routing:queue:view".into(), Ok(permitted(false, &["d-home"])));
        let rows = needs(&r);
        assert_eq!(queues_limited_to(&rows).as_deref(), Some("Home only; not Finance"));
        assert!(matches!(row(&rows, EndpointId::QueueObservations).permission, Check::Unknown(_)));
        // A division the list of divisions did not name is named by the answer itself.
        let named = AuthzDivision { id: Some("d-x".into()), name: Some("EMEA".into()), home_division: None };
        r.permitted.insert("routing:queue:view".into(), Ok(Permitted { all: false, divisions: vec![named] }));
        assert_eq!(
            row(&needs(&r), EndpointId::RoutingQueues).permission,
            Check::Yes(Some("EMEA only; not Finance, Home".into()))
        );
    }

    fn row(rows: &[NeedRow], id: EndpointId) -> &NeedRow {
        rows.iter().find(|r| r.endpoint == id).unwrap()
    }

    #[test]
    fn wildcard_permissions_match_by_part() {
        assert!(permission_matches("analytics:*:view", "analytics:queueObservation:view"));
        assert!(permission_matches("*", "routing:queue:view"));
        assert!(!permission_matches("routing:queue:*", "routing:queueMember:manage"));
    }

    #[test]
    fn every_api_call_qtop_makes_gets_a_row() {
        let r = report(Grant::ClientCredentials, vec![], &[]);
        let rows = needs(&r);
        let expected = catalog::CATALOG.iter().filter(|s| s.used_by_qtop && s.host == Host::Api).count();
        assert_eq!(rows.len(), expected);
        assert_eq!(rows[0].endpoint, EndpointId::QueueObservations);
    }

    #[test]
    fn client_credentials_are_judged_by_roles_and_divisions_not_scopes() {
        let r = report(
            Grant::ClientCredentials,
            vec![grant(
                "Queue Wallboard",
                "d-home",
                &["analytics:queueObservation:view", "routing:queue:view", "analytics:conversationAggregate:view"],
            )],
            &[],
        );
        let rows = needs(&r);
        let obs = row(&rows, EndpointId::QueueObservations);
        assert_eq!(obs.permission, Check::Yes(Some("Home only; not Finance".into())));
        assert!(matches!(obs.scope, Check::NotApplicable(_)));
        assert_eq!(row(&rows, EndpointId::UsersMe).permission, Check::NotApplicable("needs a user token".into()));
        assert_eq!(
            row(&rows, EndpointId::OAuthClient).permission,
            Check::No("missing oauth:client:view".into()),
            "the wallboard role cannot read its own client"
        );
        assert_eq!(row(&rows, EndpointId::TokensMe).permission, Check::Yes(None));
        assert_eq!(r.roles().unwrap(), ["Queue Wallboard (Home)"]);
    }

    #[test]
    fn user_scopes_are_compared_with_the_catalogue() {
        let r = report(
            Grant::AuthorizationCode,
            vec![grant("Supervisor", ALL_DIVISIONS, &["analytics:*:view", "routing:queue:view"])],
            &["routing:readonly", "users:readonly"],
        );
        let rows = needs(&r);
        let obs = row(&rows, EndpointId::QueueObservations);
        assert_eq!(obs.permission, Check::Yes(Some("all divisions".into())));
        assert_eq!(obs.scope, Check::No("needs analytics or analytics:readonly".into()));
        assert_eq!(row(&rows, EndpointId::RoutingQueues).scope, Check::Yes(Some("routing:readonly".into())));
        assert_eq!(r.roles().unwrap(), ["Supervisor (all divisions)"]);
    }

    #[test]
    fn unreadable_roles_give_question_marks_not_guesses() {
        let mut r = report(Grant::ClientCredentials, vec![], &[]);
        r.subject = Err(refused(403, "no"));
        let rows = needs(&r);
        assert!(matches!(row(&rows, EndpointId::QueueObservations).permission, Check::Unknown(_)));
        assert_eq!(row(&rows, EndpointId::TokensMe).permission, Check::Yes(None), "no permission needed is known");
        assert_eq!(r.roles(), None);
    }

    #[test]
    fn users_me_permissions_stand_in_without_divisions() {
        let mut r = report(Grant::AuthorizationCode, vec![], &["analytics:readonly"]);
        r.subject = Err(refused(403, "no"));
        r.user = Some(Ok(UserMe {
            authorization: Some(UserAuthorization {
                permissions: vec!["analytics:queueObservation:view".into()],
                ..Default::default()
            }),
            ..Default::default()
        }));
        let rows = needs(&r);
        assert_eq!(row(&rows, EndpointId::QueueObservations).permission, Check::Yes(Some("divisions unknown".into())));
        assert!(matches!(row(&rows, EndpointId::RoutingQueues).permission, Check::No(_)));
    }

    #[test]
    fn a_provided_token_is_a_client_when_users_me_says_so() {
        let mut r = report(Grant::Provided, vec![], &[]);
        r.user = Some(Err(refused(
            400,
            "This request requires a user context. Client credentials cannot be used for requests to this resource.",
        )));
        assert_eq!(r.principal(), Principal::Client);
        r.user = Some(Err(refused(503, "down")));
        assert_eq!(r.principal(), Principal::Unknown);
    }

    #[test]
    fn jwts_are_decoded_and_opaque_tokens_are_not() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","typ":"JWT"}"#),
            b64(r#"{"sub":"u-1","iss":"https://issuer.example","exp":1795600000,"zz":[1,2]}"#),
            b64("sig")
        );
        let f = decode_jwt("access token", &jwt).unwrap();
        assert_eq!(f.alg, "RS256");
        assert!(!f.verified);
        let keys: Vec<&str> = f.claims.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["iss", "sub", "exp", "zz"]);
        assert_eq!(f.claims[3].1, "[1,2]");
        assert_eq!(f.expires_at, Some(Timestamp::from_second(1_795_600_000).unwrap()));
        assert_eq!(decode_jwt("access token", "opaqueTokenWithoutDots123"), None);
        assert_eq!(decode_jwt("access token", "a.b.c"), None, "three parts that are not JSON");
    }
}
