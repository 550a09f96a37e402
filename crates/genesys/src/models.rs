//! Serde types for the API bodies qtop reads and writes. Field names follow the official
//! SDK models; everything the server may leave out is optional so a sparse body still parses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Genesys Cloud `ErrorBody`, returned with every non-2xx API response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    pub message: Option<String>,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub entity_id: Option<String>,
    pub entity_name: Option<String>,
    pub message_with_params: Option<String>,
    pub message_params: Option<BTreeMap<String, String>>,
    pub context_id: Option<String>,
    pub details: Vec<ErrorDetail>,
    pub errors: Vec<ErrorBody>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorDetail {
    pub error_code: Option<String>,
    pub field_name: Option<String>,
    pub entity_id: Option<String>,
    pub entity_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limit {
    pub key: Option<String>,
    pub namespace: Option<String>,
    pub value: Option<i64>,
}

/// OAuth-style error from the login host's token endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthErrorBody {
    pub error: String,
    pub description: Option<String>,
    pub error_description: Option<String>,
}

impl OAuthErrorBody {
    pub fn text(&self) -> &str {
        self.error_description.as_deref().or(self.description.as_deref()).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Not issued by Genesys Cloud (no OpenID Connect), but read when another issuer sends one.
    #[serde(default)]
    pub id_token: Option<String>,
}

/// `GET /api/v2/routing/queues` envelope.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueEntityListing {
    pub entities: Vec<Queue>,
    pub page_size: Option<u32>,
    pub page_number: Option<u32>,
    pub total: Option<u64>,
    pub page_count: Option<u32>,
    pub next_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub division: Option<DivisionRef>,
    #[serde(default)]
    pub member_count: Option<u32>,
    #[serde(default)]
    pub media_settings: Option<BTreeMap<String, MediaSetting>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DivisionRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSetting {
    #[serde(default)]
    pub alerting_timeout_seconds: Option<u32>,
    #[serde(default)]
    pub service_level: Option<ServiceLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLevel {
    pub percentage: f64,
    pub duration_ms: u64,
}

/// `POST /api/v2/analytics/queues/observations/query` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationQuery {
    pub filter: QueryFilter,
    pub metrics: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail_metrics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryFilter {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predicates: Vec<Predicate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<QueryFilter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl QueryFilter {
    /// `{"type":"or","predicates":[{"type":"dimension","dimension":"queueId","operator":"matches","value":…}]}`
    pub fn queues<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        QueryFilter {
            kind: "or".into(),
            predicates: ids
                .into_iter()
                .map(|id| Predicate {
                    kind: Some("dimension".into()),
                    dimension: Some("queueId".into()),
                    operator: Some("matches".into()),
                    value: Some(id.to_string()),
                })
                .collect(),
            clauses: vec![],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObservationResponse {
    pub system_to_organization_mappings: Option<BTreeMap<String, Vec<String>>>,
    pub results: Vec<ObservationResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ObservationResult {
    pub group: BTreeMap<String, String>,
    pub data: Vec<MetricData>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MetricData {
    pub metric: String,
    pub qualifier: Option<String>,
    pub stats: Stats,
    pub truncated: Option<bool>,
    pub observations: Option<Vec<serde_json::Value>>,
}

/// `StatisticalSummary`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stats {
    pub max: Option<f64>,
    pub min: Option<f64>,
    #[serde(deserialize_with = "count")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "count")]
    pub count_negative: Option<i64>,
    #[serde(deserialize_with = "count")]
    pub count_positive: Option<i64>,
    pub sum: Option<f64>,
    pub current: Option<f64>,
    pub ratio: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub target: Option<f64>,
    pub calculated_metric_value: Option<f64>,
}

/// A count as the API writes it: the query answers and captured events use integers (`2`),
/// while the SDK types notification event stats as `dict(str, float)` (`2.0`), so both are
/// read. A count is never fractional or negative; if one is, it is rounded to the nearest
/// whole number (callers clamp negatives to 0) rather than failing the whole message.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let n: Option<serde_json::Number> = Option::deserialize(d)?;
    Ok(n.and_then(|n| n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.round() as i64))))
}

/// `GET /api/v2/routing/queues/{id}/members` envelope (`QueueMemberEntityListing`). The model
/// has no `total`, `pageCount` or `lastUri`: `nextUri` is the only word on whether more follow.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueMemberEntityListing {
    pub entities: Vec<QueueMember>,
    pub next_uri: Option<String>,
}

/// `QueueMember`: a user (or group) on a queue. `routingStatus` is filled when asked for
/// with `expand=routingStatus`, `user.presence` with `expand=presence`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueMember {
    pub id: String,
    pub name: Option<String>,
    pub user: Option<MemberUser>,
    pub ring_number: Option<i64>,
    pub joined: Option<bool>,
    pub member_by: Option<String>,
    pub routing_status: Option<RoutingStatusBody>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MemberUser {
    pub id: Option<String>,
    pub name: Option<String>,
    pub presence: Option<UserPresenceBody>,
}

/// `UserPresence`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserPresenceBody {
    pub presence_definition: Option<PresenceDefinitionRef>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PresenceDefinitionRef {
    pub id: Option<String>,
    pub system_presence: Option<String>,
}

/// `RoutingStatus`: `OFF_QUEUE`, `IDLE`, `INTERACTING`, `NOT_RESPONDING`, `COMMUNICATING`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoutingStatusBody {
    pub user_id: Option<String>,
    pub status: Option<String>,
    pub start_time: Option<jiff::Timestamp>,
}

/// `POST /api/v2/analytics/conversations/aggregates/query` body (`ConversationAggregationQuery`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateQuery {
    /// ISO-8601 `start/end`.
    pub interval: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<QueryFilter>,
    pub metrics: Vec<String>,
}

/// `ConversationAggregateQueryResponse`: `{}` when nothing happened in the interval.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AggregateResponse {
    pub results: Vec<AggregateResult>,
}

/// `ConversationAggregateDataContainer`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AggregateResult {
    pub group: BTreeMap<String, String>,
    pub data: Vec<AggregateData>,
}

/// `StatisticalResponse`: one interval of one group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AggregateData {
    pub interval: Option<String>,
    pub metrics: Vec<AggregateMetric>,
}

/// `AggregateMetricData`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AggregateMetric {
    pub metric: String,
    pub qualifier: Option<String>,
    pub stats: Stats,
}

/// `TokenInfo` from `GET /api/v2/tokens/me`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenInfo {
    pub organization: Option<NamedRef>,
    pub home_organization: Option<NamedRef>,
    pub authorized_scope: Vec<String>,
    pub cloned_user: Option<NamedRef>,
    pub date_token_idles: Option<String>,
    #[serde(rename = "OAuthClient")]
    pub oauth_client: Option<TokenOAuthClient>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NamedRef {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TokenOAuthClient {
    pub id: Option<String>,
    pub name: Option<String>,
    pub organization: Option<NamedRef>,
}

/// `GET /api/v2/users/me?expand=authorization`: the fields qtop reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserMe {
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub division: Option<DivisionRef>,
    pub authorization: Option<UserAuthorization>,
}

/// `UserAuthorization`: roles and the flat permission list they grant (no divisions).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserAuthorization {
    pub roles: Vec<DomainRole>,
    pub unused_roles: Vec<DomainRole>,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct DomainRole {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// `AuthzSubject` from `GET /api/v2/authorization/subjects/me`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzSubject {
    pub id: Option<String>,
    pub name: Option<String>,
    pub grants: Vec<AuthzGrant>,
}

/// One role in one division (`division.id == "*"`: every division).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzGrant {
    pub subject_id: Option<String>,
    pub division: Option<AuthzDivision>,
    pub role: Option<AuthzGrantRole>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzDivision {
    pub id: Option<String>,
    pub name: Option<String>,
    pub home_division: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AuthzGrantRole {
    pub id: Option<String>,
    pub name: Option<String>,
    pub policies: Vec<AuthzGrantPolicy>,
}

/// `domain:entityName:action` for each action: the permissions a role grants.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthzGrantPolicy {
    pub domain: Option<String>,
    pub entity_name: Option<String>,
    pub actions: Vec<String>,
    pub condition: Option<String>,
}

/// `GET /api/v2/oauth/clients/{id}`: the fields qtop reads. The secret is deliberately not
/// a field, so a body that carries one never keeps it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OAuthClientInfo {
    pub id: Option<String>,
    pub name: Option<String>,
    pub access_token_validity_seconds: Option<u64>,
    pub authorized_grant_type: Option<String>,
    pub scope: Vec<String>,
    pub role_divisions: Vec<RoleDivision>,
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleDivision {
    pub role_id: String,
    pub division_id: String,
}

/// `GET /api/v2/authorization/divisionspermitted/paged/me` envelope
/// (`DivsPermittedEntityListing`): the divisions where the caller holds the asked permission;
/// `allDivsPermitted` when it holds it in every division (present and future).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DivsPermittedListing {
    pub entities: Vec<AuthzDivision>,
    pub all_divs_permitted: Option<bool>,
    pub page_count: Option<u32>,
    pub next_uri: Option<String>,
}

/// `GET /api/v2/authorization/divisions` envelope.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DivisionListing {
    pub entities: Vec<AuthzDivision>,
    pub page_count: Option<u32>,
    pub total: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_observation_example_parses() {
        let body = r#"{"systemToOrganizationMappings": {"AVAILABLE": ["p-1"]},
 "results": [{"group": {"queueId": "q-1", "mediaType": "voice"},
   "data": [{"metric": "oWaiting", "stats": {"count": 3}},
            {"metric": "oUserRoutingStatuses", "qualifier": "IDLE", "stats": {"count": 4}},
            {"metric": "oLongestWaiting", "stats": {"count": 1, "calculatedMetricValue": 215000},
             "observations": [{"observationDate": "2026-11-24T10:00:01.000Z", "conversationId": "c", "sessionId": "s", "routingPriority": 0, "requestedRoutingSkillIds": [], "direction": "inbound", "ani": "tel:+15550100"}],
             "truncated": false}]}]}"#;
        let r: ObservationResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.results[0].group["queueId"], "q-1");
        assert_eq!(r.results[0].data[2].stats.calculated_metric_value, Some(215000.0));
        assert_eq!(r.results[0].data[1].qualifier.as_deref(), Some("IDLE"));
    }

    #[test]
    fn counts_read_as_integers_or_floats() {
        let read = |count: &str| {
            let s: Stats = serde_json::from_str(&format!(r#"{{"count":{count},"countPositive":{count}}}"#)).unwrap();
            (s.count, s.count_positive)
        };
        assert_eq!(read("2"), (Some(2), Some(2)));
        assert_eq!(read("2.0"), (Some(2), Some(2)), "the SDK's dict(str, float)");
        assert_eq!(read("2.5"), (Some(3), Some(3)));
        assert_eq!(read("-1"), (Some(-1), Some(-1)));
        assert_eq!(read("1e300"), (Some(i64::MAX), Some(i64::MAX)));
        assert_eq!(read("null"), (None, None));
        let s: Stats = serde_json::from_str("{}").unwrap();
        assert_eq!(s.count, None);
        // A float count anywhere in an answer must not fail the answer.
        let r: ObservationResponse = serde_json::from_str(
            r#"{"results":[{"group":{"queueId":"q"},"data":[{"metric":"oWaiting","stats":{"count":3.0}}]}]}"#,
        )
        .unwrap();
        assert_eq!(r.results[0].data[0].stats.count, Some(3));
    }

    #[test]
    fn queue_filter_serialises_as_documented() {
        let f = QueryFilter::queues(["a", "b"]);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"or","predicates":[
                {"type":"dimension","dimension":"queueId","operator":"matches","value":"a"},
                {"type":"dimension","dimension":"queueId","operator":"matches","value":"b"}]})
        );
    }

    #[test]
    fn error_body_with_only_some_fields_parses() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"message":"m","code":"missing.permissions","status":403,"messageParams":{"permissions":"x"}}"#,
        )
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("missing.permissions"));
        assert!(e.details.is_empty());
    }
}
