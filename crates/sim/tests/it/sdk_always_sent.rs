//! What the generated SDK tables (`sdk_models.json`, from `scripts/sdk-models.py`) cannot say:
//! which keys the real service always sends, and the few bodies no SDK model describes. Written
//! by hand; each entry names its source. The SDK models mark no field as required, so each
//! list below is a decision from `docs/genesys-api.md` (its captured bodies and the sections
//! named), kept to what every real answer of that kind has been seen or documented to carry.
//! A key that is only sometimes there (next/previous page links, `description`, `qualifier`)
//! is not listed.

/// (model, keys always present, source).
pub const ALWAYS_SENT: &[(&str, &[&str], &str)] = &[
    // Paging envelopes.
    (
        "QueueEntityListing",
        &["entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "selfUri", "lastUri"],
        "docs/genesys-api.md Endpoints: the routing/queues envelope keys (next/previous only when those pages exist)",
    ),
    (
        "AuthzDivisionEntityListing",
        &["entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "selfUri", "lastUri"],
        "the same paging envelope as routing/queues (same SDK fields)",
    ),
    (
        "DivsPermittedEntityListing",
        &[
            "entities",
            "pageSize",
            "pageNumber",
            "total",
            "pageCount",
            "firstUri",
            "selfUri",
            "lastUri",
            "allDivsPermitted",
        ],
        "docs/genesys-api.md Endpoints: divisionspermitted answers allDivsPermitted; the paging envelope as routing/queues",
    ),
    (
        "QueueMemberEntityListing",
        &["entities", "pageSize", "pageNumber", "firstUri", "selfUri"],
        "SDK model (no total, pageCount or lastUri: paged by nextUri); the envelope's other keys as routing/queues",
    ),
    // Queues and members.
    ("Queue", &["id", "name", "division", "selfUri"], "docs/genesys-api.md Endpoints: routing/queues entities"),
    ("Division", &["id", "name", "selfUri"], "a division reference as every entity carries it"),
    ("QueueMember", &["id", "name", "joined"], "docs/genesys-api.md Endpoints: the queue detail's member list"),
    ("User", &["id", "name"], "every User body"),
    ("RoutingStatus", &["userId", "status", "startTime"], "expand=routingStatus (SDK API docs)"),
    ("UserPresence", &["presenceDefinition"], "expand=presence (SDK API docs)"),
    ("PresenceDefinition", &["id", "systemPresence"], "expand=presence (SDK API docs)"),
    // Observations and aggregates.
    ("QueueObservationQueryResponse", &["results"], "docs/genesys-api.md Queue observations: the response example"),
    (
        "QueueObservationDataContainer",
        &["group", "data"],
        "docs/genesys-api.md Queue observations: the response example",
    ),
    ("ObservationMetricData", &["metric", "stats"], "docs/genesys-api.md Queue observations: the response example"),
    (
        "ObservationValue",
        &["observationDate", "conversationId", "sessionId"],
        "docs/genesys-api.md Queue observations: the response example's observation",
    ),
    // ConversationAggregateQueryResponse: none; an interval with no data answers `{}`.
    ("ConversationAggregateDataContainer", &["group", "data"], "docs/genesys-api.md Today's aggregates: the answer"),
    ("StatisticalResponse", &["interval", "metrics"], "docs/genesys-api.md Today's aggregates: the answer"),
    ("AggregateMetricData", &["metric", "stats"], "docs/genesys-api.md Today's aggregates: the answer"),
    // Who the token is.
    ("AuthzSubject", &["id", "grants"], "docs/genesys-api.md Endpoints: subjects/me grants"),
    ("AuthzGrant", &["division", "role"], "docs/genesys-api.md Endpoints: grants[{division, role{id,name,policies}}]"),
    ("AuthzDivision", &["id", "name"], "docs/genesys-api.md Endpoints: division names"),
    ("AuthzGrantRole", &["id", "name", "policies"], "docs/genesys-api.md Endpoints: role{id,name,policies}"),
    ("AuthzGrantPolicy", &["domain", "entityName", "actions"], "SDK docs: a policy is domain:entityName:actions"),
    ("UserMe", &["id", "name"], "every User body"),
    ("UserAuthorization", &["roles", "permissions"], "docs/genesys-api.md Endpoints: users/me?expand=authorization"),
    ("DomainRole", &["id", "name"], "users/me?expand=authorization roles"),
    (
        "OAuthClient",
        &["id", "name", "authorizedGrantType", "accessTokenValiditySeconds"],
        "docs/genesys-api.md Endpoints and OAuth: grant type and token lifetime per client",
    ),
    ("RoleDivision", &["roleId", "divisionId"], "docs/genesys-api.md Endpoints: roleDivisions"),
    (
        "TokenInfo",
        &["organization", "homeOrganization", "authorizedScope", "OAuthClient"],
        "docs/genesys-api.md Endpoints: tokens/me body keys (clonedUser and dateTokenIdles only when they apply)",
    ),
    ("NamedEntity", &["id", "name"], "docs/genesys-api.md Endpoints: organization{id,name}"),
    (
        "OrgOAuthClient",
        &["id", "name", "organization"],
        "docs/genesys-api.md Endpoints: OAuthClient{id,name,organization}",
    ),
    // Notifications.
    ("Channel", &["id", "connectUri", "expires"], "docs/genesys-api.md Notifications: {id, connectUri, expires}"),
    ("ChannelTopicEntityListing", &["entities"], "docs/genesys-api.md Notifications: subscription answers"),
    ("ChannelTopic", &["id"], "docs/genesys-api.md Notifications: subscription answers"),
    (
        "StatEventQueueTopicStatsNotification",
        &["group", "data"],
        "docs/genesys-api.md Notifications: the captured observation events (2024-12-30)",
    ),
    (
        "StatEventQueueTopicIntervalMetrics",
        &["interval", "metrics"],
        "docs/genesys-api.md Notifications: the captured observation events",
    ),
    (
        "StatEventQueueTopicMetricStats",
        &["metric", "stats"],
        "docs/genesys-api.md Notifications: the captured observation events",
    ),
    // SystemMessageSystemMessage: none; the socket_closing body is UNCONFIRMED.
    (
        "NotificationEvent",
        &["topicName", "eventBody"],
        "docs/genesys-api.md Notifications: the heartbeat and the captured events",
    ),
    ("ChannelMetadataNotification", &["message"], "docs/genesys-api.md Notifications: heartbeat and pong"),
    // Errors.
    (
        "ErrorBody",
        &["message", "code", "status", "contextId", "details", "errors"],
        "docs/genesys-api.md Errors: the official 429 example",
    ),
    (
        "OAuthTokenResponse",
        &["access_token", "token_type", "expires_in"],
        "docs/genesys-api.md OAuth: the token answer",
    ),
    (
        "OAuthError",
        &["error", "description", "error_description"],
        "docs/genesys-api.md OAuth: captured token-endpoint errors carry both descriptions",
    ),
];

/// A model's keys and their SDK-style types.
pub type Fields = &'static [(&'static str, &'static str)];

/// Bodies no SDK model describes, as (model, [(key, SDK-style type)], source). The checker
/// reads them like the generated tables.
pub const HAND_WRITTEN: &[(&str, Fields, &str)] = &[
    (
        "NotificationEvent",
        &[("topicName", "str"), ("version", "str"), ("eventBody", "object"), ("metadata", "object")],
        "every socket message (docs/genesys-api.md Notifications; the SDKs' notification handlers read these four)",
    ),
    (
        "ChannelMetadataNotification",
        &[("message", "str")],
        "eventBody of channel.metadata: heartbeat and pong (docs/genesys-api.md Notifications)",
    ),
    (
        "OAuthTokenResponse",
        &[("access_token", "str"), ("token_type", "str"), ("expires_in", "int"), ("refresh_token", "str")],
        "POST /oauth/token on the login host, which the API's swagger does not cover (docs/genesys-api.md OAuth)",
    ),
    (
        "OAuthError",
        &[("error", "str"), ("description", "str"), ("error_description", "str")],
        "token-endpoint errors (docs/genesys-api.md OAuth, captured)",
    ),
];

/// Enum values of the hand-written bodies: (model, key, values, source).
pub const HAND_WRITTEN_ENUMS: &[(&str, &str, &[&str], &str)] = &[
    ("ChannelMetadataNotification", "message", &["WebSocket Heartbeat", "pong"], "docs/genesys-api.md Notifications"),
    ("OAuthTokenResponse", "token_type", &["bearer"], "docs/genesys-api.md OAuth"),
    (
        "OAuthError",
        "error",
        &[
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
        ],
        "RFC 6749 section 5.2, which the token endpoint follows",
    ),
];
