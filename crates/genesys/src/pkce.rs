//! Authorization code + PKCE (RFC 7636, S256): the verifier, the challenge, the authorize
//! URL, and reading what comes back (a loopback redirect or a pasted address).
//!
//! The verifier stays in this process: only its SHA-256 (the challenge) goes to the browser.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::catalog::{self, EndpointId};
use super::regions::Hosts;
use super::secret::Secret;

/// One sign-in attempt's secrets: the verifier (kept) and the state (echoed by the server).
pub struct Attempt {
    pub verifier: Secret,
    pub challenge: String,
    pub state: String,
    pub redirect_uri: String,
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt").field("verifier", &self.verifier).field("redirect_uri", &self.redirect_uri).finish()
    }
}

fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge.
pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43–128 characters from the unreserved set.
pub fn verifier_is_well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl Attempt {
    pub fn new(redirect_uri: String) -> Attempt {
        // 32 random bytes give a 43-character verifier, the minimum length with full entropy.
        let verifier = random_urlsafe(32);
        let challenge = challenge_for(&verifier);
        Attempt { verifier: Secret::new(verifier), challenge, state: random_urlsafe(16), redirect_uri }
    }

    /// `https://login.<domain>/oauth/authorize?response_type=code&…&code_challenge_method=S256&state=…`
    pub fn authorize_url(&self, hosts: &Hosts, client_id: &str) -> Url {
        let path = catalog::spec(EndpointId::OAuthAuthorize).path;
        let mut url = hosts.login.join(path.trim_start_matches('/')).expect("catalogue paths are relative URLs");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("code_challenge", &self.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &self.state);
        url
    }
}

/// `http://127.0.0.1:<port>/callback`: the loopback redirect qtop listens on.
pub fn loopback_redirect(port: u16) -> String {
    format!("http://127.0.0.1:{port}/callback")
}

/// What the authorization server sent back through the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// `code` (a short-lived credential) and the `state` it came with (absent when the user
    /// pasted only the code).
    Code { code: Secret, state: Option<String> },
    /// `error=access_denied&error_description=…`
    Error { error: String, description: Option<String>, state: Option<String> },
}

/// Why a pasted line could not be used; the user may paste again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasteError(pub String);

impl std::fmt::Display for PasteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read `code`, `state`, `error`, `error_description` from a query string.
pub fn parse_query(query: &str) -> Option<Callback> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    match (error, code) {
        (Some(error), _) => Some(Callback::Error { error, description, state }),
        (None, Some(code)) if !code.is_empty() => Some(Callback::Code { code: Secret::new(code), state }),
        _ => None,
    }
}

/// The shortest text accepted as a bare authorization code.
const MIN_BARE_CODE: usize = 16;

/// What the user pasted: the whole redirect address, its query, or the bare code.
pub fn parse_pasted(line: &str) -> Result<Callback, PasteError> {
    let text = line.trim().trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    if text.is_empty() {
        return Err(PasteError("nothing was pasted; paste the address the browser ended on, or the code".into()));
    }
    if text.contains("://") {
        let url = Url::parse(text)
            .map_err(|e| PasteError(format!("the pasted address is not a URL ({e}); paste it again, whole")))?;
        let query = url.query().unwrap_or("");
        // Some servers put the answer in the fragment; accept it there too.
        let fragment = url.fragment().unwrap_or("");
        return parse_query(query).or_else(|| parse_query(fragment)).ok_or_else(|| {
            PasteError(
                "the pasted address has no code= in it; paste the address the browser shows after you sign in".into(),
            )
        });
    }
    if text.contains('=') {
        return parse_query(text)
            .ok_or_else(|| PasteError("the pasted text has no code= in it; paste the whole address".into()));
    }
    // Codes are long random strings; a short word is a typo, not a code.
    if text.chars().any(|c| c.is_whitespace() || c == '/' || c == '?') || text.len() < MIN_BARE_CODE {
        return Err(PasteError(
            "that does not look like an authorization code; paste the whole address the browser ended on".into(),
        ));
    }
    Ok(Callback::Code { code: Secret::new(text), state: None })
}

/// What a paste prompt may show of a pasted line: the address up to its query, the rest
/// masked (the query carries the code).
pub fn masked(line: &str, ascii: bool) -> String {
    let dot = if ascii { '*' } else { '•' };
    let (shown, hidden) = match line.find('?') {
        Some(i) if line.contains("://") => (&line[..=i], &line[i + 1..]),
        _ => ("", line),
    };
    let n = hidden.chars().count().min(24);
    format!("{shown}{}", std::iter::repeat_n(dot, n).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_challenge() {
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn attempts_are_fresh_and_well_formed() {
        let a = Attempt::new(loopback_redirect(8085));
        let b = Attempt::new(loopback_redirect(8085));
        assert!(verifier_is_well_formed(a.verifier.expose()), "{}", a.verifier.expose().len());
        assert_ne!(a.verifier, b.verifier);
        assert_ne!(a.state, b.state);
        assert_eq!(a.challenge, challenge_for(a.verifier.expose()));
        assert!(!format!("{a:?}").contains(a.verifier.expose()));
        assert!(!verifier_is_well_formed("short"));
        assert!(!verifier_is_well_formed(&"a b".repeat(20)));
    }

    #[test]
    fn the_authorize_url_carries_the_challenge_not_the_verifier() {
        let hosts = super::super::regions::find("eu-west-1").unwrap().hosts();
        let a = Attempt::new(loopback_redirect(8085));
        let url = a.authorize_url(&hosts, "cid");
        assert!(url.as_str().starts_with("https://login.mypurecloud.ie/oauth/authorize?response_type=code&"));
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("cid"));
        assert_eq!(get("redirect_uri"), Some("http://127.0.0.1:8085/callback"));
        assert_eq!(get("code_challenge"), Some(a.challenge.as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("state"), Some(a.state.as_str()));
        assert!(!url.as_str().contains(a.verifier.expose()));
    }

    #[test]
    fn pasted_addresses_queries_and_bare_codes() {
        let full = parse_pasted(" http://127.0.0.1:8085/callback?code=abcDEF123456&state=xyz \n").unwrap();
        assert_eq!(full, Callback::Code { code: Secret::new("abcDEF123456"), state: Some("xyz".into()) });
        let query = parse_pasted("?code=abcDEF123456&state=xyz").unwrap();
        assert_eq!(query, full);
        let bare = parse_pasted("abcDEF123456ghiJKL").unwrap();
        assert_eq!(bare, Callback::Code { code: Secret::new("abcDEF123456ghiJKL"), state: None });
        let denied =
            parse_pasted("http://127.0.0.1:8085/callback?error=access_denied&error_description=no%20way&state=s")
                .unwrap();
        assert_eq!(
            denied,
            Callback::Error {
                error: "access_denied".into(),
                description: Some("no way".into()),
                state: Some("s".into())
            }
        );
        for bad in ["", "http://127.0.0.1:8085/callback?state=x", "http://[bad", "two words here", "abc", "nonsense"] {
            let e = parse_pasted(bad).unwrap_err().0;
            assert!(!e.contains('\n') && !e.is_empty(), "{bad:?} → {e}");
        }
    }

    #[test]
    fn the_masked_echo_hides_the_query() {
        let m = masked("http://127.0.0.1:8085/callback?code=SECRETCODE&state=x", false);
        assert!(m.starts_with("http://127.0.0.1:8085/callback?") && !m.contains("SECRET"), "{m}");
        assert!(!masked("SECRETCODE", true).contains("SECRET"));
    }
}
