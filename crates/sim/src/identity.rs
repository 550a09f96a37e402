//! Who a token is and what it holds: `tokens/me` (GET, DELETE), `users/me`,
//! `authorization/subjects/me`, `authorization/divisionspermitted/paged/me`,
//! `oauth/clients/{id}` and `authorization/divisions`. Field names
//! and nesting follow the official SDK models; keys with no value are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api::division_json;
use super::authz::{Caller, DivScope, Subject};
use super::errors::ApiFault;
use super::org::{Org, RoleGrant};
use super::paging::Page;
use super::server::{Shared, json};
use genesys::catalog::EndpointId;
use genesys::token::ALL_DIVISIONS;

type ApiResult = Result<Response, ApiFault>;

fn respond(r: ApiResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Creation date the sim gives every entity (the real API has one; its value does not matter).
const CREATED: &str = "2024-03-04T09:12:00.000Z";

fn org_ref(org: &Org) -> Value {
    json!({"id": org.id, "name": org.name})
}

/// `GET /api/v2/tokens/me`: TokenInfo.
pub async fn tokens_me(State(shared): State<Arc<Shared>>, Extension(caller): Extension<Caller>) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::TokensMe)?;
        let client = &org.clients[caller.record.subject.client()];
        Ok(json(json!({
            "organization": org_ref(org),
            "homeOrganization": org_ref(org),
            "authorizedScope": caller.record.scopes,
            "OAuthClient": {"id": client.id, "name": client.name, "organization": org_ref(org)},
        })))
    })())
}

/// `DELETE /api/v2/tokens/me`: revoke the token that made the request.
pub async fn revoke_token(State(shared): State<Arc<Shared>>, Extension(caller): Extension<Caller>) -> Response {
    respond((|| {
        caller.require(&shared.org_now(), EndpointId::TokensMeDelete)?;
        shared.tokens.lock().expect("tokens lock").revoke(&caller.token);
        Ok(StatusCode::NO_CONTENT.into_response())
    })())
}

fn role_permissions(org: &Org, grants: &[RoleGrant]) -> Vec<String> {
    let set: BTreeSet<&String> = grants.iter().flat_map(|g| org.roles[g.role].permissions.iter()).collect();
    set.into_iter().cloned().collect()
}

/// `GET /api/v2/users/me[?expand=authorization]`: users only (client credentials get 400).
pub async fn users_me(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::UsersMe)?;
        let Subject::User { user, .. } = caller.record.subject else {
            return Err(ApiFault::user_context_required());
        };
        let u = &org.users[user];
        let mut body = json!({
            "id": u.id,
            "name": u.name,
            "division": division_json(org, u.division),
            "email": u.email,
            "state": "active",
            "username": u.email,
            "version": 1,
            "selfUri": format!("/api/v2/users/{}", u.id),
        });
        let expand = params.get("expand").map(|e| e.split(',').any(|x| x.trim() == "authorization")).unwrap_or(false);
        if expand {
            let mut seen = BTreeSet::new();
            let roles: Vec<Value> = u
                .roles
                .iter()
                .filter(|g| seen.insert(g.role))
                .map(|g| json!({"id": org.roles[g.role].id, "name": org.roles[g.role].name}))
                .collect();
            body["authorization"] = json!({"roles": roles, "permissions": role_permissions(org, &u.roles)});
        }
        Ok(json(body))
    })())
}

/// A role's permissions as grant policies: one per `domain:entity`, its actions listed.
fn policies(perms: &[String]) -> Vec<Value> {
    let mut by_entity: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for p in perms {
        let mut parts = p.splitn(3, ':');
        let domain = parts.next().unwrap_or("*").to_string();
        let entity = parts.next().unwrap_or("*").to_string();
        let action = parts.next().unwrap_or("*").to_string();
        by_entity.entry((domain, entity)).or_default().insert(action);
    }
    by_entity
        .into_iter()
        .map(|((domain, entity), actions)| json!({"actions": actions, "domain": domain, "entityName": entity}))
        .collect()
}

/// `GET /api/v2/authorization/subjects/me`: the caller's grants, one per role and division.
/// A role granted in every division is one grant with division id `*` (as the API writes
/// "all divisions" in grants; the name it gives that division is UNCONFIRMED).
pub async fn subjects_me(State(shared): State<Arc<Shared>>, Extension(caller): Extension<Caller>) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::SubjectsMe)?;
        let (id, name) = match caller.record.subject {
            Subject::User { user, .. } => (&org.users[user].id, &org.users[user].name),
            Subject::Client(c) => (&org.clients[c].id, &org.clients[c].name),
        };
        let mut grants = Vec::new();
        for g in caller.grants(org) {
            let role = &org.roles[g.role];
            let role_json = json!({
                "id": role.id,
                "name": role.name,
                "policies": policies(&role.permissions),
                "default": false,
                "selfUri": format!("/api/v2/authorization/roles/{}", role.id),
            });
            let divisions: Vec<Value> = match &g.divisions {
                None => vec![json!({"id": ALL_DIVISIONS, "name": "All Divisions"})],
                Some(ds) => ds
                    .iter()
                    .map(|&d| {
                        let mut v = division_json(org, d);
                        v["homeDivision"] = json!(d == 0);
                        v
                    })
                    .collect(),
            };
            for division in divisions {
                grants.push(json!({"subjectId": id, "division": division, "role": role_json, "grantMadeAt": CREATED}));
            }
        }
        Ok(json(json!({
            "id": id,
            "name": name,
            "grants": grants,
            "version": 1,
            "selfUri": format!("/api/v2/authorization/subjects/{id}"),
        })))
    })())
}

/// The API's name for a client's grant type, one of `OAuthClient.authorizedGrantType`'s enum
/// values (SDK 269.0.0: CODE, TOKEN, SAML2-BEARER, PASSWORD, CLIENT-CREDENTIALS). A PKCE client
/// is a code-grant client there: the enum has no PKCE value. UNCONFIRMED whether a real org
/// answers something else for one; qtop reads no decision from this field.
fn grant_type_name(grant: &str) -> &'static str {
    match grant {
        "client_credentials" => "CLIENT-CREDENTIALS",
        "implicit" => "TOKEN",
        "saml2bearer" => "SAML2-BEARER",
        "password" => "PASSWORD",
        _ => "CODE",
    }
}

/// `GET /api/v2/oauth/clients/{id}` (needs `oauth:client:view`). The secret is never returned.
pub async fn oauth_client(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::OAuthClient)?;
        let ci = org.client_by_id(&id).ok_or_else(|| {
            ApiFault::new(StatusCode::NOT_FOUND, "not.found", format!("OAuth client {id} was not found"))
        })?;
        let c = &org.clients[ci];
        let mut body = json!({
            "id": c.id,
            "name": c.name,
            "accessTokenValiditySeconds": c.token_lifetime_secs,
            "authorizedGrantType": grant_type_name(c.grants.first().map(String::as_str).unwrap_or("")),
            "state": "active",
            "dateCreated": CREATED,
            "selfUri": format!("/api/v2/oauth/clients/{}", c.id),
        });
        if let Some(d) = &c.description {
            body["description"] = json!(d);
        }
        if !c.redirect_uris.is_empty() {
            body["registeredRedirectUri"] = json!(c.redirect_uris);
        }
        // Scopes apply to user grants, roles to client credentials (as the API documents).
        if !c.scopes.is_empty() {
            body["scope"] = json!(c.scopes);
        }
        if !c.roles.is_empty() {
            let rd: Vec<Value> = c
                .roles
                .iter()
                .flat_map(|g| {
                    let role = org.roles[g.role].id.clone();
                    let divs: Vec<String> = match &g.divisions {
                        None => vec![ALL_DIVISIONS.to_string()],
                        Some(ds) => ds.iter().map(|&d| org.divisions[d].id.clone()).collect(),
                    };
                    divs.into_iter().map(move |d| json!({"roleId": role, "divisionId": d}))
                })
                .collect();
            body["roleDivisions"] = json!(rd);
        }
        Ok(json(body))
    })())
}

/// `GET /api/v2/authorization/divisions`: every division, paged.
pub async fn divisions(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::Divisions)?;
        let page = Page::from_query(&params)?;
        let all = (0..org.divisions.len()).map(|d| {
            let mut v = division_json(org, d);
            v["homeDivision"] = json!(d == 0);
            v
        });
        Ok(json(page.envelope("/api/v2/authorization/divisions", org.divisions.len(), all)))
    })())
}

/// `GET /api/v2/authorization/divisionspermitted/paged/me?permission=P`: the divisions where
/// the caller's roles hold `P` (wildcards in role permissions count), paged as a
/// `DivsPermittedEntityListing`; `allDivsPermitted` is true when a role holds it in every
/// division (granted on `*`). UNCONFIRMED: whether the real service then also lists each
/// division in `entities` (here it does; qtop reads `allDivsPermitted` first either way).
pub async fn divisions_permitted(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        caller.require(org, EndpointId::DivisionsPermittedMe)?;
        // `permission` is a required parameter in the SDKs. UNCONFIRMED: the body of the 400
        // the real service gives without it.
        let Some(perm) = params.get("permission").filter(|p| !p.trim().is_empty()) else {
            return Err(ApiFault::invalid_value("permission", "The permission query parameter is required."));
        };
        let page = Page::from_query(&params)?;
        let scope = caller.divisions_for(org, perm.trim());
        let ids: Vec<usize> = (0..org.divisions.len()).filter(|&d| scope.contains(d)).collect();
        let all = ids.iter().map(|&d| {
            let mut v = division_json(org, d);
            v["homeDivision"] = json!(d == 0);
            v
        });
        let mut body = page.envelope("/api/v2/authorization/divisionspermitted/paged/me", ids.len(), all);
        body["allDivsPermitted"] = json!(scope == DivScope::All);
        Ok(json(body))
    })())
}
