//! The login host's sign-in page: `GET /oauth/authorize` shows a login and consent form,
//! `POST /oauth/authorize` (what the form submits — and what tests and the demo's scripted
//! browser send directly) checks the user and redirects back with a code.
//!
//! As RFC 6749 §4.1.2.1 asks, an unknown client or an unregistered redirect URI gets an error
//! page (never a redirect); everything else wrong goes back to the redirect URI as
//! `error=…&error_description=…&state=…`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use reqwest::Url;

use super::org::{OAuthClient, Org};
use super::server::Shared;

/// Whether `given` may be used as the redirect URI of a client registered with `registered`.
/// Loopback registrations without a port accept any port (RFC 8252 §7.3: a native app
/// cannot know which port will be free).
pub fn redirect_allowed(registered: &[String], given: &str) -> bool {
    let Ok(g) = Url::parse(given) else { return false };
    registered.iter().any(|r| {
        if r == given {
            return true;
        }
        let Ok(r) = Url::parse(r) else { return false };
        let loopback = matches!(r.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        loopback
            && r.port().is_none()
            && g.scheme() == r.scheme()
            && g.host_str() == r.host_str()
            && g.path() == r.path()
            && g.query().is_none()
    })
}

type Params = HashMap<String, String>;

/// A checked authorization request.
struct Checked<'a> {
    ci: usize,
    client: &'a OAuthClient,
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<String>,
}

enum Refusal {
    /// Shown in the browser: the redirect URI cannot be trusted.
    Page(StatusCode, String),
    /// Sent back to the (trusted) redirect URI.
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

fn check<'a>(org: &'a Org, p: &Params) -> Result<Checked<'a>, Refusal> {
    let page = |m: String| Refusal::Page(StatusCode::BAD_REQUEST, m);
    let client_id = p.get("client_id").ok_or_else(|| page("client_id is missing".into()))?;
    let ci = org.client_by_id(client_id).ok_or_else(|| page(format!("unknown OAuth client {client_id}")))?;
    let client = &org.clients[ci];
    let redirect_uri = p.get("redirect_uri").ok_or_else(|| page("redirect_uri is missing".into()))?;
    if !redirect_allowed(&client.redirect_uris, redirect_uri) {
        return Err(page(format!("redirect_uri {redirect_uri} is not registered for client '{}'", client.name)));
    }
    let state = p.get("state").cloned();
    let back = |error, description: &str| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description: description.to_string(),
        state: state.clone(),
    };
    if !client.allows_code() {
        return Err(back("unauthorized_client", "client is not authorized to use the authorization_code grant type"));
    }
    if p.get("response_type").map(String::as_str) != Some("code") {
        return Err(back("unsupported_response_type", "response_type must be code"));
    }
    let challenge = p.get("code_challenge").filter(|c| !c.is_empty()).cloned();
    match (p.get("code_challenge_method").map(String::as_str), &challenge) {
        (Some("S256"), Some(_)) => {}
        (_, None) if !client.is_public() => {}
        (_, None) => return Err(back("invalid_request", "code_challenge is required for this client (PKCE)")),
        (_, Some(_)) => return Err(back("invalid_request", "code_challenge_method must be S256")),
    }
    Ok(Checked { ci, client, redirect_uri: redirect_uri.clone(), state, challenge })
}

fn redirect(to: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = Url::parse(to).expect("checked redirect URIs parse");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn refusal(r: Refusal) -> Response {
    match r {
        Refusal::Page(status, message) => (status, Html(error_page(&message))).into_response(),
        Refusal::Redirect { redirect_uri, error, description, state } => {
            let mut pairs = vec![("error", error), ("error_description", description.as_str())];
            if let Some(s) = &state {
                pairs.push(("state", s.as_str()));
            }
            redirect(&redirect_uri, &pairs)
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn error_page(message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>Sign-in error</h1><p>{}</p></body></html>",
        escape(message)
    )
}

/// The login + consent form, carrying the authorization request in hidden fields.
fn login_page(org: &Org, c: &Checked, p: &Params, problem: Option<&str>) -> String {
    let hidden: String =
        ["response_type", "client_id", "redirect_uri", "code_challenge", "code_challenge_method", "state"]
            .iter()
            .filter_map(|k| p.get(*k).map(|v| (k, v)))
            .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", escape(v)))
            .collect();
    let scopes = if c.client.scopes.is_empty() {
        "<li>the permissions of your roles</li>".to_string()
    } else {
        c.client.scopes.iter().map(|s| format!("<li><code>{}</code></li>", escape(s))).collect()
    };
    let problem = problem.map(|m| format!("<p style=\"color:#b00\">{}</p>", escape(m))).unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in: {org}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em;max-width:32em\">\
         <h1>{org}</h1><p><b>{client}</b> asks to act as you with:</p><ul>{scopes}</ul>{problem}\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
         <p><label>Email <input name=\"username\" autocomplete=\"username\"></label></p>\
         <p><label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label></p>\
         <p><button name=\"consent\" value=\"allow\">Sign in and allow</button> \
         <button name=\"consent\" value=\"deny\">Deny</button></p></form>\
         <p style=\"color:#666\">Simulated org: the demo users are in sim/orgs/demo.toml.</p></body></html>",
        org = escape(&org.name),
        client = escape(&c.client.name),
    )
}

/// `GET /oauth/authorize`
pub async fn authorize_page(State(shared): State<Arc<Shared>>, Query(p): Query<Params>) -> Response {
    match check(&shared.org, &p) {
        Ok(c) => Html(login_page(&shared.org, &c, &p, None)).into_response(),
        Err(r) => refusal(r),
    }
}

/// `POST /oauth/authorize` (form): sign the user in and send the code back.
pub async fn authorize_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let p: Params = form_urlencoded::parse(&body).into_owned().collect();
    let org = &shared.org;
    let c = match check(org, &p) {
        Ok(c) => c,
        Err(r) => return refusal(r),
    };
    let with_state = |mut pairs: Vec<(&'static str, String)>| {
        if let Some(s) = &c.state {
            pairs.push(("state", s.clone()));
        }
        pairs
    };
    if p.get("consent").map(String::as_str) == Some("deny") {
        let pairs = with_state(vec![
            ("error", "access_denied".into()),
            ("error_description", "the user denied the request".into()),
        ]);
        return redirect(&c.redirect_uri, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    }
    let user = p
        .get("username")
        .and_then(|e| org.user_by_email(e))
        .filter(|u| p.get("password").is_some_and(|pw| *pw == org.users[*u].password));
    let Some(user) = user else {
        let page = login_page(org, &c, &p, Some("Wrong email or password."));
        return (StatusCode::OK, Html(page)).into_response();
    };
    let code = shared.grants.lock().expect("grants lock").issue_code(c.ci, user, &c.redirect_uri, c.challenge.clone());
    let pairs = with_state(vec![("code", code)]);
    redirect(&c.redirect_uri, &pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registrations_accept_any_port_and_nothing_else() {
        let reg = vec!["http://127.0.0.1/callback".to_string(), "https://app.example/cb".to_string()];
        assert!(redirect_allowed(&reg, "http://127.0.0.1:8085/callback"));
        assert!(redirect_allowed(&reg, "http://127.0.0.1:41234/callback"));
        assert!(redirect_allowed(&reg, "https://app.example/cb"));
        for bad in [
            "http://127.0.0.1:8085/other",
            "http://localhost:8085/callback",
            "https://127.0.0.1:8085/callback",
            "http://127.0.0.1:8085/callback?x=1",
            "https://app.example:444/cb",
            "https://evil.example/cb",
            "not a url",
        ] {
            assert!(!redirect_allowed(&reg, bad), "{bad}");
        }
        let fixed = vec!["http://127.0.0.1:8085/callback".to_string()];
        assert!(redirect_allowed(&fixed, "http://127.0.0.1:8085/callback"));
        assert!(!redirect_allowed(&fixed, "http://127.0.0.1:9999/callback"), "a registered port is exact");
    }
}
