//! The login host's token endpoint: `POST /oauth/token`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use super::authz::Subject;
use super::errors::OAuthFault;
use super::server::{Shared, json};

/// `client_id`/`client_secret` from HTTP Basic, or from the form body (also accepted).
fn client_credentials(headers: &HeaderMap, form: &[(String, String)]) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
    {
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((id.to_string(), secret.to_string()));
    }
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    Some((get("client_id")?, get("client_secret").unwrap_or_default()))
}

pub async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    match issue(&shared, &headers, &body) {
        Ok(r) => r,
        Err(f) => f.into_response(),
    }
}

fn issue(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthFault> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OAuthFault::new("invalid_request", "content type must be application/x-www-form-urlencoded"));
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let grant_type = form.iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v.as_str()).unwrap_or("");
    let org = &shared.org;
    let (id, secret) = client_credentials(headers, &form).ok_or_else(OAuthFault::authentication_failed)?;
    let ci = org.client_by_id(&id).ok_or_else(OAuthFault::authentication_failed)?;
    let client = &org.clients[ci];
    if client.secret != secret {
        return Err(OAuthFault::authentication_failed());
    }
    match grant_type {
        "client_credentials" => {
            if !client.grants.iter().any(|g| g == "client_credentials") {
                return Err(OAuthFault::new(
                    "unauthorized_client",
                    "client is not authorized to use the client_credential grant type",
                ));
            }
            let lifetime = client.token_lifetime_secs;
            let token = shared.tokens.lock().expect("tokens lock").issue(
                Subject::Client(ci),
                client.scopes.clone(),
                Duration::from_secs(lifetime),
            );
            Ok(json(json!({"access_token": token, "token_type": "bearer", "expires_in": lifetime})))
        }
        "" => Err(OAuthFault::new("invalid_request", "grant_type is required")),
        _ => Err(OAuthFault::new("unsupported_grant_type", format!("grant type '{grant_type}' is not supported"))),
    }
}
