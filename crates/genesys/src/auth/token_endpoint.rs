//! The three grants qtop sends to `POST /oauth/token`.

use jiff::Timestamp;

use super::grant::{Grant, Token};
use crate::catalog::EndpointId;
use crate::client::{ApiError, Auth, Client, Request, Response};
use crate::models::TokenResponse;
use crate::secret::Secret;

/// `POST /oauth/token` with `grant_type=client_credentials` and HTTP Basic credentials.
pub async fn client_credentials(client: &Client, client_id: &str, secret: &Secret) -> Result<Token, ApiError> {
    let req = Request::new(EndpointId::OAuthToken).form(vec![("grant_type".into(), "client_credentials".into())]);
    let resp: Response<TokenResponse> = client.send(&req, Auth::Basic { user: client_id, password: secret }).await?;
    Ok(Token::from_response(resp.body, Grant::ClientCredentials, Timestamp::now()))
}

/// `POST /oauth/token` with `grant_type=authorization_code` and the PKCE verifier. A public
/// client names itself in the form; a confidential one authenticates with HTTP Basic.
pub async fn exchange_code(
    client: &Client,
    client_id: &str,
    secret: Option<&Secret>,
    code: &Secret,
    verifier: &Secret,
    redirect_uri: &str,
) -> Result<Token, ApiError> {
    let mut form = vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code.expose().into()),
        ("redirect_uri".into(), redirect_uri.into()),
        ("code_verifier".into(), verifier.expose().into()),
    ];
    let auth = if let Some(password) = secret {
        Auth::Basic { user: client_id, password }
    } else {
        form.push(("client_id".into(), client_id.into()));
        Auth::None
    };
    let req = Request::new(EndpointId::OAuthToken).form(form);
    let resp: Response<TokenResponse> = client.send(&req, auth).await?;
    Ok(Token::from_response(resp.body, Grant::AuthorizationCode, Timestamp::now()))
}

/// `POST /oauth/token` with `grant_type=refresh_token` and HTTP Basic credentials. The secret
/// is not optional: Genesys refreshes only confidential clients, so a public client has no
/// business calling this.
pub async fn refresh_token(
    client: &Client,
    client_id: &str,
    secret: &Secret,
    refresh: &Secret,
) -> Result<Token, ApiError> {
    let req = Request::new(EndpointId::OAuthToken)
        .form(vec![("grant_type".into(), "refresh_token".into()), ("refresh_token".into(), refresh.expose().into())]);
    let resp: Response<TokenResponse> = client.send(&req, Auth::Basic { user: client_id, password: secret }).await?;
    Ok(Token::from_response(resp.body, Grant::AuthorizationCode, Timestamp::now()))
}
