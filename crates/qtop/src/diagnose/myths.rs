//! Folklore about the real-time queue API that forum threads repeat, and the truth
//! (docs/genesys-api.md, "What the forums get wrong").

#[derive(Debug, PartialEq, Eq)]
pub struct Myth {
    pub id: &'static str,
    /// Lower-case fragments that give the myth away.
    pub tells: &'static [&'static str],
    pub myth: &'static str,
    pub truth: &'static str,
}

pub const MYTHS: &[Myth] = &[
    Myth {
        id: "realtime-endpoint",
        tells: &["analytics/queues/realtime"],
        myth: "GET /api/v2/analytics/queues/realtime does not exist",
        truth: "live queue numbers come from POST /api/v2/analytics/queues/observations/query (permission analytics:queueObservation:view), or the notification topic v2.analytics.queues.{id}.observations",
    },
    Myth {
        id: "sdk-method",
        tells: &["getanalyticsqueuesrealtime", "get_analytics_queues_realtime"],
        myth: "no official SDK has getAnalyticsQueuesRealtime",
        truth: "the SDK method is postAnalyticsQueuesObservationsQuery (Python: post_analytics_queues_observations_query)",
    },
    Myth {
        id: "queue-view-scope",
        tells: &["analytics:queue:view"],
        myth: "there is no analytics:queue:view scope or permission",
        truth: "the OAuth scopes are analytics or analytics:readonly; the permission is analytics:queueObservation:view",
    },
    Myth {
        id: "realtime-role",
        tells: &["queue realtime viewer", "queue real-time viewer", "queue real time viewer"],
        myth: "there is no built-in \"Queue Realtime Viewer\" role",
        truth: "any role that holds analytics:queueObservation:view works: create one (e.g. \"Queue Wallboard\" with analytics:queueObservation:view and routing:queue:view) and assign it",
    },
    Myth {
        id: "client-credentials-fail",
        tells: &[
            "client credentials always",
            "client credentials can't",
            "client credentials cannot get",
            "client credentials don't work",
            "client_credentials always",
            "client credentials never",
        ],
        myth: "client credentials do not always get 403 on real-time data",
        truth: "a client-credentials client gets its permissions from the roles assigned to the OAuth client, per division (Admin > Integrations > OAuth > Roles); scopes do not limit it",
    },
    Myth {
        id: "403-means-scope",
        tells: &[
            "403 means your token lacks a scope",
            "403 means missing scope",
            "403 is a scope",
            "need scope",
            "need the scope",
            "need a scope",
            "needs scope",
            "needs the scope",
            "lacks a scope",
            "missing the scope",
            "missing a scope",
        ],
        myth: "a 403 rarely means a missing scope",
        truth: "scopes are enforced only when the org turns on \"Enforce scopes\" (off by default); a 403 almost always means a missing permission (role) or division",
    },
    Myth {
        id: "decode-jwt",
        tells: &["decode the jwt", "decode the access token", "jwt.io"],
        myth: "Genesys access tokens are not JWTs to decode",
        truth: "treat access tokens as opaque: GET /api/v2/tokens/me returns authorizedScope and the OAuth client",
    },
];

/// Names the folklore gives to permissions that do not exist (`analytics:queue:view`): never
/// to be reported as a missing permission.
pub fn is_invented_permission(permission: &str) -> bool {
    permission.eq_ignore_ascii_case("analytics:queue:view")
}

/// Every myth the text repeats.
pub fn find(text: &str) -> Vec<&'static Myth> {
    let lower = text.to_lowercase();
    MYTHS.iter().filter(|m| m.tells.iter().any(|t| lower.contains(t))).collect()
}

/// The myth behind a request path, if the path is one.
pub fn endpoint_myth(path: &str) -> Option<&'static Myth> {
    let lower = path.to_lowercase();
    MYTHS.iter().find(|m| m.id == "realtime-endpoint" && m.tells.iter().any(|t| lower.contains(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_myth_and_nothing_in_plain_text() {
        let post = "Use GET /api/v2/analytics/queues/realtime with scope analytics:queue:view and the Queue Realtime Viewer role; \
                    client credentials always get 403 anyway. Call getAnalyticsQueuesRealtime. Decode the JWT on jwt.io.";
        let ids: Vec<&str> = find(post).iter().map(|m| m.id).collect();
        assert_eq!(
            ids,
            [
                "realtime-endpoint",
                "sdk-method",
                "queue-view-scope",
                "realtime-role",
                "client-credentials-fail",
                "decode-jwt"
            ]
        );
        assert!(find("POST /api/v2/analytics/queues/observations/query returned 403").is_empty());
    }

    #[test]
    fn asking_for_a_scope_on_a_403_is_the_scope_myth() {
        let ids: Vec<&str> = find("I get 403, do I need scope analytics:queue:view?").iter().map(|m| m.id).collect();
        assert_eq!(ids, ["queue-view-scope", "403-means-scope"]);
        assert!(is_invented_permission("analytics:queue:view"));
        assert!(!is_invented_permission("analytics:queueObservation:view"));
    }

    #[test]
    fn every_truth_names_something_real() {
        for m in MYTHS {
            assert!(!m.truth.contains("analytics:queue:view"), "{}", m.id);
            assert!(!m.truth.is_empty() && !m.myth.is_empty());
        }
    }
}
