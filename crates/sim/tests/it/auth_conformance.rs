//! The simulator's sign-in and token endpoints against the documented shapes: TokenInfo,
//! User (+ UserAuthorization), AuthzSubject, OAuthClient, the division listing, OAuth-style
//! token errors, and the authorize endpoint's redirects and error pages.

use crate::common;

use common::shapes::{PAGING, USER, keys_within};

use std::collections::BTreeSet;

use common::{TestSim, start_sim};
use genesys::models::{AuthzSubject, DivisionListing, OAuthClientInfo, TokenInfo, UserMe};
use genesys::pkce::{Attempt, loopback_redirect};
use reqwest::Url;
use serde_json::Value;
use sim::org::Persona;

const TOKEN_INFO: &[&str] =
    &["organization", "homeOrganization", "authorizedScope", "clonedUser", "dateTokenIdles", "OAuthClient"];
const NAMED_REF: &[&str] = &["id", "name", "selfUri"];
const TOKEN_CLIENT: &[&str] = &["id", "name", "organization"];
const USER_AUTHORIZATION: &[&str] = &["roles", "unusedRoles", "permissions", "permissionPolicies"];
const DOMAIN_ROLE: &[&str] = &["id", "name"];
const AUTHZ_SUBJECT: &[&str] = &["id", "name", "grants", "version", "selfUri"];
const AUTHZ_GRANT: &[&str] = &["subjectId", "division", "role", "grantMadeAt"];
const AUTHZ_DIVISION: &[&str] = &["id", "name", "description", "homeDivision", "objectCounts", "selfUri"];
const AUTHZ_GRANT_ROLE: &[&str] = &["id", "name", "description", "policies", "default", "selfUri"];
const AUTHZ_GRANT_POLICY: &[&str] = &["actions", "condition", "domain", "entityName"];
const OAUTH_CLIENT: &[&str] = &[
    "id",
    "name",
    "accessTokenValiditySeconds",
    "description",
    "registeredRedirectUri",
    "secret",
    "roleIds",
    "dateCreated",
    "dateModified",
    "createdBy",
    "modifiedBy",
    "authorizedGrantType",
    "scope",
    "roleDivisions",
    "state",
    "dateToDelete",
    "selfUri",
];
const ROLE_DIVISION: &[&str] = &["roleId", "divisionId"];
const OAUTH_ERROR: &[&str] = &["error", "description", "error_description"];

async fn get(token: &str, url: String) -> (u16, Value) {
    let resp = common::http().get(url).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A user token for `persona`, obtained through the real authorize + token endpoints.
pub(crate) async fn user_token(t: &TestSim, persona: &str) -> String {
    user_token_answer(t, persona).await["access_token"].as_str().unwrap().to_string()
}

/// The token endpoint's whole answer to a code exchange for `persona`.
pub(crate) async fn user_token_answer(t: &TestSim, persona: &str) -> Value {
    let Some(Persona::User(u)) = t.org.persona(persona) else { panic!() };
    let u = &t.org.users[u];
    let client_id = t.org.clients[u.client.unwrap()].id.clone();
    let attempt = Attempt::new(loopback_redirect(41234));
    let url = attempt.authorize_url(t.client().hosts(), &client_id);
    let location = submit_login(t, &url, &u.email, &u.password).await.expect("redirected");
    let code = Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let resp = common::http()
        .post(t.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &attempt.redirect_uri),
            ("client_id", &client_id),
            ("code_verifier", attempt.verifier.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["access_token", "token_type", "expires_in", "refresh_token"]));
    assert!(!v["access_token"].as_str().unwrap().contains('.'), "opaque, not a JWT");
    v
}

fn no_redirects() -> reqwest::Client {
    genesys::client::ensure_tls();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Post the login form; the redirect target when there is one.
async fn submit_login(t: &TestSim, authorize: &Url, email: &str, password: &str) -> Option<String> {
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.extend([
        ("username".into(), email.into()),
        ("password".into(), password.into()),
        ("consent".into(), "allow".into()),
    ]);
    let resp = no_redirects().post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    resp.headers().get("location").map(|l| l.to_str().unwrap().to_string())
}

#[tokio::test]
async fn tokens_me_is_a_token_info() {
    let t = start_sim().await;
    for (who, token) in [("client", t.token("wallboard").await), ("user", user_token(&t, "supervisor").await)] {
        let (status, v) = get(&token, t.url("/api/v2/tokens/me?preserveIdleTTL=true")).await;
        assert_eq!(status, 200, "{who}: {v}");
        keys_within(&v, TOKEN_INFO, "TokenInfo");
        keys_within(&v["organization"], NAMED_REF, "organization");
        keys_within(&v["homeOrganization"], NAMED_REF, "homeOrganization");
        keys_within(&v["OAuthClient"], TOKEN_CLIENT, "OAuthClient");
        keys_within(&v["OAuthClient"]["organization"], NAMED_REF, "OAuthClient.organization");
        assert_eq!(v["organization"]["id"], t.org.id.as_str());
        assert!(v["authorizedScope"].is_array());
        serde_json::from_value::<TokenInfo>(v.clone()).unwrap();
    }
    let (_, v) = get(&user_token(&t, "supervisor").await, t.url("/api/v2/tokens/me")).await;
    let scopes: Vec<&str> = v["authorizedScope"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let cli = t.org.clients.iter().find(|c| c.name == "qtop cli").unwrap();
    assert_eq!(scopes, cli.scopes, "a user token carries its client's scopes");
}

#[tokio::test]
async fn delete_tokens_me_revokes_the_token_that_asked() {
    let t = start_sim().await;
    let token = user_token(&t, "supervisor").await;
    let resp = common::http().delete(t.url("/api/v2/tokens/me")).bearer_auth(&token).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(resp.bytes().await.unwrap().len(), 0);
    let (status, v) = get(&token, t.url("/api/v2/tokens/me")).await;
    assert_eq!(status, 401);
    assert_eq!(v["code"], "bad.credentials");
}

#[tokio::test]
async fn users_me_answers_users_and_refuses_client_credentials() {
    let t = start_sim().await;
    let token = user_token(&t, "supervisor").await;
    let (status, v) = get(&token, t.url("/api/v2/users/me?expand=authorization")).await;
    assert_eq!(status, 200, "{v}");
    keys_within(&v, USER, "User");
    keys_within(&v["division"], NAMED_REF, "User.division");
    keys_within(&v["authorization"], USER_AUTHORIZATION, "UserAuthorization");
    for r in v["authorization"]["roles"].as_array().unwrap() {
        keys_within(r, DOMAIN_ROLE, "DomainRole");
    }
    let me: UserMe = serde_json::from_value(v.clone()).unwrap();
    let auth = me.authorization.unwrap();
    assert!(auth.permissions.iter().any(|p| p == "analytics:queueObservation:view"));
    assert_eq!(auth.roles[0].name.as_deref(), Some("Supervisor"));
    let (_, plain) = get(&token, t.url("/api/v2/users/me")).await;
    assert!(plain.get("authorization").is_none(), "authorization only when expanded");

    let (status, v) = get(&t.token("wallboard").await, t.url("/api/v2/users/me?expand=authorization")).await;
    assert_eq!(status, 400);
    assert_eq!(v["code"], "bad.request");
    assert_eq!(
        v["message"],
        "This request requires a user context. Client credentials cannot be used for requests to this resource."
    );
}

#[tokio::test]
async fn subjects_me_lists_grants_with_policies_and_divisions() {
    let t = start_sim().await;
    for persona in ["home-division", "wallboard"] {
        let (status, v) = get(&t.token(persona).await, t.url("/api/v2/authorization/subjects/me")).await;
        assert_eq!(status, 200, "{v}");
        keys_within(&v, AUTHZ_SUBJECT, "AuthzSubject");
        let grants = v["grants"].as_array().unwrap();
        assert!(!grants.is_empty());
        for g in grants {
            keys_within(g, AUTHZ_GRANT, "AuthzGrant");
            keys_within(&g["division"], AUTHZ_DIVISION, "AuthzDivision");
            keys_within(&g["role"], AUTHZ_GRANT_ROLE, "AuthzGrantRole");
            for p in g["role"]["policies"].as_array().unwrap() {
                keys_within(p, AUTHZ_GRANT_POLICY, "AuthzGrantPolicy");
            }
        }
        let subject: AuthzSubject = serde_json::from_value(v.clone()).unwrap();
        let divisions: Vec<String> =
            subject.grants.iter().map(|g| g.division.as_ref().unwrap().id.clone().unwrap()).collect();
        match persona {
            "home-division" => assert_eq!(divisions, [t.org.divisions[0].id.clone()]),
            _ => assert_eq!(divisions, ["*"], "a role in every division is one grant in division *"),
        }
    }
}

#[tokio::test]
async fn oauth_clients_need_oauth_client_view_and_never_show_the_secret() {
    let t = start_sim().await;
    let (id, _) = t.persona_client("home-division");
    let (status, v) = get(&t.token("home-division").await, t.url(&format!("/api/v2/oauth/clients/{id}"))).await;
    assert_eq!(status, 403);
    assert_eq!(v["code"], "missing.permissions");
    assert!(v["message"].as_str().unwrap().contains("oauth:client:view"));

    let supervisor = user_token(&t, "supervisor").await;
    let (status, v) = get(&supervisor, t.url(&format!("/api/v2/oauth/clients/{id}"))).await;
    assert_eq!(status, 200, "{v}");
    keys_within(&v, OAUTH_CLIENT, "OAuthClient");
    assert!(v.get("secret").is_none(), "the sim never returns a client secret");
    assert_eq!(v["authorizedGrantType"], "CLIENT-CREDENTIALS");
    for rd in v["roleDivisions"].as_array().unwrap() {
        keys_within(rd, ROLE_DIVISION, "RoleDivision");
    }
    let info: OAuthClientInfo = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(info.role_divisions[0].division_id, t.org.divisions[0].id);
    let cli = t.org.clients.iter().find(|c| c.name == "qtop cli").unwrap();
    let (_, v) = get(&supervisor, t.url(&format!("/api/v2/oauth/clients/{}", cli.id))).await;
    keys_within(&v, OAUTH_CLIENT, "OAuthClient");
    assert_eq!(v["scope"].as_array().unwrap().len(), cli.scopes.len());
    assert!(v.get("roleDivisions").is_none(), "roles apply to client credentials only");
    let (status, v) = get(&supervisor, t.url("/api/v2/oauth/clients/00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(status, 404);
    assert_eq!(v["status"], 404);
}

#[tokio::test]
async fn the_division_listing_is_paged_like_the_other_listings() {
    let t = start_sim().await;
    let token = t.token("home-division").await;
    let (status, v) = get(&token, t.url("/api/v2/authorization/divisions?pageSize=2&pageNumber=1")).await;
    assert_eq!(status, 200);
    keys_within(&v, PAGING, "division listing");
    assert_eq!(v["total"], t.org.divisions.len());
    assert!(v.get("nextUri").is_some());
    for d in v["entities"].as_array().unwrap() {
        keys_within(d, AUTHZ_DIVISION, "AuthzDivision");
    }
    let all: DivisionListing =
        serde_json::from_value(get(&token, t.url("/api/v2/authorization/divisions?pageSize=100")).await.1).unwrap();
    assert_eq!(all.entities.len(), t.org.divisions.len(), "every division, whatever the caller's roles");
    assert_eq!(get(&token, t.url("/api/v2/authorization/divisions?pageSize=x")).await.0, 400);
}

async fn token_error(t: &TestSim, form: &[(&str, &str)]) -> Value {
    let resp = common::http().post(t.url("/oauth/token")).form(form).send().await.unwrap();
    assert_eq!(resp.status(), 400, "{form:?}");
    let v: Value = resp.json().await.unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, OAUTH_ERROR.iter().copied().collect(), "{v}");
    assert_eq!(v["description"], v["error_description"]);
    v
}

#[tokio::test]
async fn token_endpoint_user_grants_fail_oauth_style() {
    let t = start_sim().await;
    let cli = t.org.clients.iter().find(|c| c.name == "qtop cli").unwrap().id.clone();
    let (wallboard, wallboard_secret) = t.persona_client("wallboard");
    let (confidential, confidential_secret) = code_client(&t, "confidential");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("grant_type", "authorization_code"), ("client_id", &cli)], "invalid_request"),
        (vec![("grant_type", "authorization_code"), ("client_id", &cli), ("code", "nope")], "invalid_grant"),
        // A public client may leave its secret out only to redeem a code: it cannot refresh.
        (vec![("grant_type", "refresh_token"), ("client_id", &cli), ("refresh_token", "nope")], "invalid_client"),
        (vec![("grant_type", "client_credentials"), ("client_id", &cli)], "invalid_client"),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", &confidential),
                ("client_secret", confidential_secret.expose()),
                ("refresh_token", "nope"),
            ],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", &confidential),
                ("client_secret", confidential_secret.expose()),
            ],
            "invalid_request",
        ),
        // A confidential client may not leave it out at all.
        (vec![("grant_type", "refresh_token"), ("client_id", &wallboard), ("refresh_token", "x")], "invalid_client"),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &wallboard),
                ("client_secret", wallboard_secret.expose()),
                ("code", "x"),
            ],
            "unauthorized_client",
        ),
    ];
    for (form, error) in cases {
        let v = token_error(&t, &form).await;
        assert_eq!(v["error"], error, "{form:?} → {v}");
    }
}

/// The OAuth client a user persona signs in through, and its secret.
fn code_client(t: &TestSim, persona: &str) -> (String, genesys::secret::Secret) {
    let Some(Persona::User(u)) = t.org.persona(persona) else { panic!("no user persona {persona}") };
    let c = &t.org.clients[t.org.users[u].client.unwrap()];
    (c.id.clone(), genesys::secret::Secret::new(c.secret.clone()))
}

/// The token endpoint's answer to a code grant for `persona`, the secret sent (HTTP Basic)
/// when `with_secret`.
async fn code_grant(t: &TestSim, persona: &str, with_secret: bool) -> Value {
    let Some(Persona::User(u)) = t.org.persona(persona) else { panic!() };
    let (client_id, secret) = code_client(t, persona);
    let attempt = Attempt::new(loopback_redirect(41234));
    let url = attempt.authorize_url(t.client().hosts(), &client_id);
    let location = submit_login(t, &url, &t.org.users[u].email, &t.org.users[u].password).await.unwrap();
    let code = Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let mut req = common::http().post(t.url("/oauth/token"));
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", attempt.redirect_uri.as_str()),
        ("code_verifier", attempt.verifier.expose()),
    ];
    if with_secret {
        req = req.basic_auth(&client_id, Some(secret.expose()));
    } else {
        form.push(("client_id", client_id.as_str()));
    }
    let resp = req.form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{persona}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn refresh_tokens_rotate_at_the_token_endpoint() {
    let t = start_sim().await;
    let (client_id, secret) = code_client(&t, "confidential");
    let first = code_grant(&t, "confidential", true).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    // HTTP Basic, as the SDKs send it.
    let second: Value = common::http()
        .post(t.url("/oauth/token"))
        .basic_auth(&client_id, Some(secret.expose()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", r1)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    // The secret in the form body does as well.
    let r2 = second["refresh_token"].as_str().unwrap();
    let third = common::http()
        .post(t.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", r2),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 200);
    let v = token_error(
        &t,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", r1),
            ("client_id", &client_id),
            ("client_secret", secret.expose()),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");
}

#[tokio::test]
async fn a_refresh_without_client_credentials_is_refused_in_the_token_endpoints_error_shape() {
    let t = start_sim().await;
    // A public client's code grant may carry a refresh token (the real service may send one),
    // but without client credentials it buys nothing.
    let (public, public_secret) = code_client(&t, "supervisor");
    let granted = code_grant(&t, "supervisor", false).await;
    let refresh = granted["refresh_token"].as_str().expect("the answer carries one");
    let v =
        token_error(&t, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", &public)]).await;
    assert_eq!(v["error"], "invalid_client", "{v}");
    assert_eq!(v["error_description"], "authentication failed");
    // Nor does a public client become confidential by sending the secret a fixture gave it.
    let resp = common::http()
        .post(t.url("/oauth/token"))
        .basic_auth(&public, Some(public_secret.expose()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "unauthorized_client", "{v}");
    assert_eq!(v["description"], v["error_description"]);
    // A confidential client that leaves its secret out is refused the same way.
    let (confidential, _) = code_client(&t, "confidential");
    let granted = code_grant(&t, "confidential", true).await;
    let refresh = granted["refresh_token"].as_str().unwrap();
    let v =
        token_error(&t, &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", &confidential)])
            .await;
    assert_eq!(v["error"], "invalid_client", "{v}");
    // The refusal spent nothing: with the secret the same refresh token still works.
    let (_, secret) = code_client(&t, "confidential");
    let resp = common::http()
        .post(t.url("/oauth/token"))
        .basic_auth(&confidential, Some(secret.expose()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(t.sim.shared.grants.lock().unwrap().refresh_requests, 4, "every refresh request is counted");
}

#[tokio::test]
async fn the_authorize_endpoint_checks_client_redirect_and_pkce() {
    let t = start_sim().await;
    let cli = t.org.clients.iter().find(|c| c.name == "qtop cli").unwrap().id.clone();
    let http = no_redirects();
    let authorize = |pairs: &[(&str, &str)]| {
        let mut u = Url::parse(&t.url("/oauth/authorize")).unwrap();
        u.query_pairs_mut().extend_pairs(pairs);
        u
    };
    let good = [
        ("response_type", "code"),
        ("client_id", cli.as_str()),
        ("redirect_uri", "http://127.0.0.1:50123/callback"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", "S256"),
        ("state", "st"),
    ];
    let page = http.get(authorize(&good)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("qtop cli") && html.contains("analytics:readonly"));

    // Never redirect to an untrusted place: an error page instead.
    let mut bad_uri = good;
    bad_uri[2] = ("redirect_uri", "http://evil.example/callback");
    let mut bad_client = good;
    bad_client[1] = ("client_id", "nobody");
    for pairs in [bad_uri, bad_client] {
        let resp = http.get(authorize(&pairs)).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp.headers().get("location").is_none());
    }
    // Everything else goes back to the client with error and state.
    let mut token_flow = good;
    token_flow[0] = ("response_type", "token");
    let mut plain = good;
    plain[4] = ("code_challenge_method", "plain");
    let no_challenge = [good[0], good[1], good[2], good[5]];
    for (pairs, error) in [
        (&token_flow[..], "unsupported_response_type"),
        (&plain[..], "invalid_request"),
        (&no_challenge[..], "invalid_request"),
    ] {
        let resp = http.get(authorize(pairs)).send().await.unwrap();
        assert_eq!(resp.status(), 302, "{pairs:?}");
        let to = Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
        assert!(to.as_str().starts_with("http://127.0.0.1:50123/callback?"));
        let q: Vec<(String, String)> = to.query_pairs().into_owned().collect();
        assert!(q.contains(&("error".into(), error.into())), "{q:?}");
        assert!(q.contains(&("state".into(), "st".into())));
    }
    // A wrong password shows the form again; denying consent goes back with access_denied.
    let wrong = submit_login(&t, &authorize(&good), "sam.supervisor@acme.example", "nope").await;
    assert_eq!(wrong, None);
    let mut form: Vec<(String, String)> = authorize(&good).query_pairs().into_owned().collect();
    form.push(("consent".into(), "deny".into()));
    let resp = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    assert!(resp.headers()["location"].to_str().unwrap().contains("error=access_denied"));
}

/// `divisionspermitted/paged/me` answers from the caller's role divisions, with wildcards;
/// `allDivsPermitted` only for a role granted in every division. qtop's token report reads it.
#[tokio::test]
async fn divisions_permitted_follow_the_role_divisions() {
    let t = start_sim().await;
    let path = |perm: &str| format!("/api/v2/authorization/divisionspermitted/paged/me?permission={perm}");
    let ids = |v: &Value| -> Vec<String> {
        v["entities"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
    };
    let home = t.token("home-division").await;
    let (status, v) = get(&home, t.url(&path("routing:queue:view"))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((ids(&v), v["allDivsPermitted"].clone()), (vec![t.org.divisions[0].id.clone()], Value::Bool(false)));
    assert_eq!(v["total"], 1);
    let (_, v) = get(&home, t.url(&path("oauth:client:view"))).await;
    assert_eq!((ids(&v).len(), v["total"].clone(), v["allDivsPermitted"].clone()), (0, 0.into(), false.into()));

    let every: Vec<String> = t.org.divisions.iter().map(|d| d.id.clone()).collect();
    let wallboard = t.token("wallboard").await;
    let (_, v) = get(&wallboard, t.url(&path("analytics:queueObservation:view"))).await;
    assert_eq!((ids(&v), v["allDivsPermitted"].clone()), (every.clone(), Value::Bool(true)));
    // Paged like the other listings.
    let (_, v) = get(&wallboard, t.url(&format!("{}&pageSize=1&pageNumber=2", path("routing:queue:view")))).await;
    assert_eq!((ids(&v), v["pageCount"].clone()), (vec![every[1].clone()], every.len().into()));
    // A user token: the user's roles decide.
    let supervisor = user_token(&t, "supervisor").await;
    let (_, v) = get(&supervisor, t.url(&path("analytics:queueObservation:view"))).await;
    assert_eq!(v["allDivsPermitted"], true, "{v}");
    let (status, v) = get(&home, t.url("/api/v2/authorization/divisionspermitted/paged/me")).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("invalid.value")));

    let report = genesys::token::inspect(&t.session("home-division")).await.unwrap();
    let routing = report.permitted["routing:queue:view"].as_ref().unwrap();
    assert!(!routing.all && routing.divisions.len() == 1, "{routing:?}");
    let rows = genesys::token::needs(&report);
    let home_only = format!("{} only; not ", t.org.divisions[0].name);
    assert!(genesys::token::queues_limited_to(&rows).is_some_and(|n| n.starts_with(&home_only)), "{rows:?}");
}
