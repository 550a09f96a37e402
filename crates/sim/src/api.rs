//! API host endpoints. Request validation and response shapes follow the official API
//! (see `docs/genesys-api.md`); bodies carry no keys the real models do not have.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::authz::Caller;
use super::engine::{Engine, Ms, Presence};
use super::errors::ApiFault;
use super::observations::presence_id;
use super::org::{Org, QueueSpec};
use super::paging::Page;
use super::server::{Shared, json};
use genesys::catalog::EndpointId;

type ApiResult = Result<Response, ApiFault>;

fn respond(r: ApiResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

pub fn iso_ms(ms: Ms) -> String {
    Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

fn media_settings_key(media: &str) -> &'static str {
    match media {
        "voice" => "call",
        "callback" => "callback",
        "chat" => "chat",
        "email" => "email",
        _ => "message",
    }
}

pub fn division_json(org: &Org, d: usize) -> Value {
    let div = &org.divisions[d];
    json!({"id": div.id, "name": div.name, "selfUri": format!("/api/v2/authorization/divisions/{}", div.id)})
}

pub fn queue_json(org: &Org, q: &QueueSpec) -> Value {
    let mut media = serde_json::Map::new();
    for m in &q.media {
        media.insert(
            media_settings_key(m).into(),
            json!({
                "alertingTimeoutSeconds": if m == "voice" { 8 } else { 30 },
                "serviceLevel": {"percentage": q.sl_percentage, "durationMs": q.sl_ms},
            }),
        );
    }
    let mut v = json!({
        "id": q.id,
        "name": q.name,
        "division": division_json(org, q.division),
        "dateCreated": "2024-03-04T09:12:00.000Z",
        "dateModified": "2026-10-01T14:30:00.000Z",
        "memberCount": q.members.len(),
        "userMemberCount": q.members.len(),
        "joinedMemberCount": q.members.len(),
        "mediaSettings": media,
        "acwSettings": {"wrapupPrompt": "OPTIONAL", "timeoutMs": (q.wrap_secs * 2000.0) as i64},
        "skillEvaluationMethod": "BEST",
        "autoAnswerOnly": false,
        "enableTranscription": false,
        "enableManualAssignment": false,
        "selfUri": format!("/api/v2/routing/queues/{}", q.id),
    });
    if let Some(d) = &q.description {
        v["description"] = json!(d);
    }
    v
}

/// `GET /api/v2/routing/queues`: queues in the divisions where the caller holds
/// `routing:queue:view`, sorted by name, paged.
pub async fn routing_queues(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        let visible = caller.require(org, EndpointId::RoutingQueues)?;
        let page = Page::from_query(&params)?;
        let name = params.get("name").map(|n| n.to_lowercase());
        let division = params.get("divisionId");
        let mut queues: Vec<&QueueSpec> = org
            .queues
            .iter()
            .filter(|q| visible.contains(q.division))
            .filter(|q| match &name {
                // The API matches a name prefix; `*` is a wildcard.
                Some(n) => glob_prefix(n, &q.name.to_lowercase()),
                None => true,
            })
            .filter(|q| division.is_none_or(|d| &org.divisions[q.division].id == d))
            .collect();
        queues.sort_by_cached_key(|q| q.name.to_lowercase());
        let body = page.envelope("/api/v2/routing/queues", queues.len(), queues.iter().map(|q| queue_json(org, q)));
        Ok(json(body))
    })())
}

/// `expand` values the members endpoint accepts (official SDK docs).
pub const MEMBER_EXPANDS: &[&str] = &[
    "routingStatus",
    "presence",
    "integrationPresence",
    "conversationSummary",
    "outOfOffice",
    "geolocation",
    "station",
    "authorization",
    "lasttokenissued",
    "authorization.unusedRoles",
    "team",
    "workPlanBidRanks",
    "externalContactsSettings",
    "profileSkills",
    "certifications",
    "locations",
    "groups",
    "skills",
    "languages",
    "languagePreference",
    "employerInfo",
    "biography",
    "dateLastLogin",
];

/// `PresenceDefinition.systemPresence` as user presences spell it (UNCONFIRMED: seen as
/// "On Queue" in presence definitions; the observation mappings use the upper-case keys).
fn system_presence(p: Presence) -> &'static str {
    match p {
        Presence::Offline => "Offline",
        Presence::Available => "Available",
        Presence::OnQueue => "On Queue",
        Presence::Break => "Break",
        Presence::Meal => "Meal",
        Presence::Busy => "Busy",
    }
}

/// Values of a query parameter that may repeat (`expand=a&expand=b`) or list (`expand=a,b`).
fn multi<'a>(params: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// `GET /api/v2/routing/queues/{id}/members`: the queue's user members sorted by name, paged
/// by `nextUri` (`QueueMemberEntityListing` has no `total`, `pageCount` or `lastUri`).
/// `expand=routingStatus` adds `routingStatus`, `expand=presence` adds `user.presence`.
/// Entities carry only `QueueMember` keys.
pub async fn queue_members(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(queue_id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    respond((|| {
        let org = &*shared.org_now();
        let visible = caller.require(org, EndpointId::QueueMembers)?;
        let path = format!("/api/v2/routing/queues/{queue_id}/members");
        // UNCONFIRMED: a queue outside the caller's divisions is answered like an unknown one.
        let Some(q) = org.queues.iter().find(|q| q.id == queue_id && visible.contains(q.division)) else {
            return Err(ApiFault::not_found(&path));
        };
        let single: HashMap<String, String> = params.iter().cloned().collect();
        let page = Page::from_query(&single)?;
        let expand = multi(&params, "expand");
        if let Some(bad) = expand.iter().find(|e| !MEMBER_EXPANDS.contains(e)) {
            return Err(ApiFault::invalid_value(
                "expand",
                format!("Invalid expand value [{bad}]. Allowable values are: {}", MEMBER_EXPANDS.join(", ")),
            ));
        }
        let descending = match single.get("sortOrder").map(String::as_str) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiFault::invalid_value(
                    "sortOrder",
                    format!("Invalid sortOrder [{other}]. Allowable values are: asc, desc"),
                ));
            }
        };
        let name = single.get("name").map(|n| n.to_lowercase());
        let statuses = multi(&params, "routingStatus");
        let joined = single.get("joined").map(|j| j == "true");
        let groups_only = single.get("memberBy").is_some_and(|m| m == "group");
        let (with_status, with_presence) = (expand.contains(&"routingStatus"), expand.contains(&"presence"));
        let entities_all: Vec<Value> = shared.with_engine(|e| {
            let mut members: Vec<usize> = q
                .members
                .iter()
                .copied()
                .filter(|_| !groups_only && joined != Some(false))
                .filter(|&m| name.as_ref().is_none_or(|n| org.agents[m].name.to_lowercase().contains(n)))
                .filter(|&m| {
                    statuses.is_empty() || statuses.iter().any(|s| s.eq_ignore_ascii_case(e.agents[m].status.as_str()))
                })
                .collect();
            members.sort_by_key(|&m| org.agents[m].name.to_lowercase());
            if descending {
                members.reverse();
            }
            members.iter().map(|&m| member_json(org, e, &q.id, m, with_status, with_presence)).collect()
        });
        Ok(json(page.envelope_without_total(&path, entities_all.len(), entities_all)))
    })())
}

fn member_json(org: &Org, e: &Engine, queue_id: &str, m: usize, with_status: bool, with_presence: bool) -> Value {
    let spec = &org.agents[m];
    let agent = &e.agents[m];
    let mut user = json!({
        "id": spec.id,
        "name": spec.name,
        "division": division_json(org, spec.division),
        "email": spec.email,
        "state": "active",
        "username": spec.email,
        "selfUri": format!("/api/v2/users/{}", spec.id),
    });
    if with_presence {
        let def = presence_id(agent.presence);
        user["presence"] = json!({
            "source": "PURECLOUD",
            "primary": true,
            "presenceDefinition": {
                "id": def,
                "systemPresence": system_presence(agent.presence),
                "selfUri": format!("/api/v2/presencedefinitions/{def}"),
            },
        });
    }
    let mut v = json!({
        "id": spec.id,
        "name": spec.name,
        "user": user,
        "ringNumber": 1,
        "joined": true,
        "memberBy": "user",
        // UNCONFIRMED: no public source shows a member's selfUri; this follows the PATCH path.
        "selfUri": format!("/api/v2/routing/queues/{queue_id}/members/{}", spec.id),
    });
    if with_status {
        v["routingStatus"] = json!({
            "userId": spec.id,
            "status": agent.status.as_str(),
            "startTime": iso_ms(agent.status_since),
        });
    }
    v
}

fn glob_prefix(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_is_a_prefix_with_wildcards() {
        assert!(glob_prefix("sales", "sales - upgrades"));
        assert!(glob_prefix("*care", "customer care"));
        assert!(!glob_prefix("care", "customer care"));
    }
}
