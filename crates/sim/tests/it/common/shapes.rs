//! Field sets of the API models (official SDK models, docs/genesys-api.md) that more than
//! one conformance suite checks, and the check itself.

use serde_json::Value;

pub const ERROR_BODY: &[&str] = &[
    "message",
    "code",
    "status",
    "entityId",
    "entityName",
    "messageWithParams",
    "messageParams",
    "contextId",
    "details",
    "errors",
    "limit",
];

pub const PAGING: &[&str] = &[
    "entities",
    "pageSize",
    "pageNumber",
    "total",
    "pageCount",
    "firstUri",
    "selfUri",
    "nextUri",
    "previousUri",
    "lastUri",
];

pub const USER: &[&str] = &[
    "id",
    "name",
    "division",
    "chat",
    "department",
    "email",
    "primaryContactInfo",
    "addresses",
    "state",
    "title",
    "username",
    "manager",
    "images",
    "version",
    "certifications",
    "biography",
    "employerInfo",
    "preferredName",
    "routingStatus",
    "presence",
    "integrationPresence",
    "conversationSummary",
    "outOfOffice",
    "geolocation",
    "station",
    "authorization",
    "profileSkills",
    "locations",
    "groups",
    "team",
    "workPlanBidRanks",
    "skills",
    "languages",
    "acdAutoAnswer",
    "languagePreference",
    "lastTokenIssued",
    "dateLastLogin",
    "dateWelcomeSent",
    "selfUri",
];

/// Every key of `v` is one the model has (a sparse body is fine; an invented key is not).
pub fn keys_within(v: &Value, allowed: &[&str], what: &str) {
    let obj = v.as_object().unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in obj.keys() {
        assert!(allowed.contains(&k.as_str()), "{what} has undocumented key '{k}': {v}");
    }
}
