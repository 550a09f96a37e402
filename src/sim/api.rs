//! API host endpoints. Request validation and response shapes follow the official API
//! (see `shared/genesys-api.md`); bodies carry no keys the real models do not have.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::authz::Caller;
use super::engine::Ms;
use super::errors::ApiFault;
use super::org::{Org, QueueSpec};
use super::server::{Shared, json};
use crate::genesys::catalog::EndpointId;

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

fn parse_num(params: &HashMap<String, String>, key: &str, default: u32) -> Result<u32, ApiFault> {
    match params.get(key) {
        None => Ok(default),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiFault::invalid_value(
                key,
                format!("Value [{s}] is not valid for field type [Integer]. Allowable values are: positive integers"),
            )
        }),
    }
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
        let page_size = parse_num(&params, "pageSize", 25)?.min(100);
        let page_number = parse_num(&params, "pageNumber", 1)?;
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
        let total = queues.len() as u64;
        let page_count = total.div_ceil(page_size as u64).max(1) as u32;
        let start = ((page_number - 1) as usize).saturating_mul(page_size as usize);
        let entities: Vec<Value> =
            queues.iter().skip(start).take(page_size as usize).map(|q| queue_json(org, q)).collect();
        let uri = |p: u32| format!("/api/v2/routing/queues?pageSize={page_size}&pageNumber={p}");
        let mut body = json!({
            "entities": entities,
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "selfUri": uri(page_number),
            "lastUri": uri(page_count),
        });
        if page_number < page_count {
            body["nextUri"] = json!(uri(page_number + 1));
        }
        if page_number > 1 {
            body["previousUri"] = json!(uri(page_number - 1));
        }
        Ok(json(body))
    })())
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
