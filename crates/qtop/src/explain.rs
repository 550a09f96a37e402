//! `qtop explain`: read an error however it was pasted — a Genesys error body, an OAuth
//! error, an HTTP status line, a terraform/CLI wrapped message, a forum snippet — and print
//! the diagnosis, the fix, and corrections of any folklore it repeats.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::diagnose::{self, Diagnosis, ErrorFacts, Knowledge, myths};
use genesys::auth::Grant;
use genesys::catalog::{self, Method};
use genesys::client::parse_retry_after;

/// Whether an argument names a file rather than being the error itself: it names something
/// that exists, ends like a saved error (`.json`, `.txt`, `.log`), or is one word with a `/`
/// that is not an API path or a URL (those are error text). Such an argument that cannot be
/// read is an error, not something to explain.
pub fn looks_like_path(arg: &str) -> bool {
    let a = arg.trim();
    if a.is_empty() {
        return false;
    }
    if std::path::Path::new(a).exists() {
        return true;
    }
    let lower = a.to_ascii_lowercase();
    if [".json", ".txt", ".log"].iter().any(|ext| lower.ends_with(ext)) {
        return true;
    }
    let text_with_a_slash = lower.contains("/api/v2/") || lower.contains("/oauth/") || lower.contains("://");
    a.contains('/') && !a.contains(char::is_whitespace) && !a.starts_with('{') && !text_with_a_slash
}

/// The one line for a file that cannot be read.
pub fn unreadable(path: &str, e: &std::io::Error) -> String {
    format!(
        "cannot read {path}: {e}; give the path of a file that holds the error, the error text itself in quotes, or - to read standard input"
    )
}

/// Turn pasted text into facts. Never fails: whatever is recognised is used.
pub fn parse(text: &str) -> ErrorFacts {
    let mut f = ErrorFacts { raw: Some(text.trim().to_string()).filter(|t| !t.is_empty()), ..Default::default() };
    if let Some(body) = embedded_json(text) {
        read_json(&body, &mut f);
    }
    for line in text.lines() {
        read_line(line.trim(), &mut f);
    }
    if f.message.is_none() && f.code.is_none() {
        // A forum post or a tool's one-liner: the text itself is the message.
        f.message = Some(text.trim().to_string()).filter(|t| !t.is_empty());
    }
    if f.status.is_none() && !f.is_oauth {
        f.status = status_in_prose(text);
    }
    if f.endpoint.is_none()
        && let Some(path) = &f.path
    {
        f.endpoint = match f.method {
            Some(m) => catalog::lookup(m, path),
            None => catalog::lookup_path(path).next(),
        };
    }
    f
}

fn embedded_json(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start).then(|| serde_json::from_str::<Value>(&text[start..=end]).ok()).flatten().filter(Value::is_object)
}

fn read_json(v: &Value, f: &mut ErrorFacts) {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    if let Some(error) = s("error") {
        f.is_oauth = true;
        f.code = Some(error);
        f.oauth_description = s("error_description").or_else(|| s("description"));
        f.endpoint = Some(catalog::spec(catalog::EndpointId::OAuthToken));
        return;
    }
    f.code = s("code");
    f.message = s("message");
    f.context_id = s("contextId");
    f.status = v.get("status").and_then(Value::as_u64).map(|s| s as u16).or(f.status);
}

fn read_line(line: &str, f: &mut ErrorFacts) {
    let lower = line.to_ascii_lowercase();
    // "HTTP/1.1 403 Forbidden", "403 Forbidden", "API Error: 403 - …", "status: 403"
    if f.status.is_none() {
        f.status = status_in(line);
    }
    if let Some(rest) = header_value(&lower, line, "inin-correlation-id:") {
        f.correlation_id = Some(rest.to_string());
    }
    if let Some(rest) = header_value(&lower, line, "retry-after:") {
        f.retry_after = parse_retry_after(rest, None);
    }
    if f.correlation_id.is_none()
        && let Some(id) = trailing_uuid(line)
    {
        f.correlation_id = Some(id);
    }
    for (i, word) in line.split_whitespace().enumerate() {
        let method = match word {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            _ => None,
        };
        if let Some(m) = method
            && let Some(target) = line.split_whitespace().nth(i + 1)
            && let Some(path) = api_path(target)
        {
            f.method = Some(m);
            f.path = Some(path);
            return;
        }
    }
    if f.path.is_none()
        && let Some(path) = line.split_whitespace().find_map(api_path)
    {
        f.path = Some(path);
    }
}

/// A 403 told in words: a bare `403`, "forbidden", "not authorized". Not in an OAuth error
/// ("client is not authorized to use the … grant type" is the token endpoint's, not a 403).
fn status_in_prose(text: &str) -> Option<u16> {
    let lower = text.to_lowercase();
    let oauth = ["invalid_client", "unauthorized_client", "invalid_grant", "invalid_request", "grant type"];
    if oauth.iter().any(|o| lower.contains(o)) {
        return None;
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let said = words.contains(&"403")
        || words.contains(&"forbidden")
        || words.windows(2).any(|w| w[0] == "not" && matches!(w[1], "authorized" | "authorised"));
    said.then_some(403)
}

fn header_value<'a>(lower: &str, line: &'a str, name: &str) -> Option<&'a str> {
    lower.starts_with(name).then(|| line[name.len()..].trim())
}

fn status_in(line: &str) -> Option<u16> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .map(|w| w.trim_end_matches(['.', ';', ')']))
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<u16>() else { continue };
        if !(400..600).contains(&n) {
            continue;
        }
        let prev = if i > 0 { words[i - 1].to_ascii_lowercase() } else { String::new() };
        let next = words.get(i + 1).map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let looks_like_status = prev.starts_with("http")
            || prev == "error"
            || prev == "status"
            || ["returns", "returned", "got", "gets", "with", "a", "code", "answers", "answered", "gives", "gave"]
                .contains(&prev.as_str())
            || ["->", "=>", "→"].contains(&prev.as_str())
            // "GET /api/v2/… 404": the number straight after the request is its answer.
            || prev.contains("/api/v2/")
            || prev.contains("/oauth/")
            || i == 0
            || ["forbidden", "unauthorized", "bad", "not", "too", "internal", "service", "-"].contains(&next.as_str());
        if looks_like_status {
            return Some(n);
        }
    }
    None
}

/// `/api/v2/…` out of a path or a full URL.
fn api_path(target: &str) -> Option<String> {
    let at = target.find("/api/v2/").or_else(|| target.find("/oauth/"))?;
    let path = &target[at..];
    let path = path.split(['?', '"', '\'', ')', ',']).next().unwrap_or(path);
    Some(path.to_string())
}

fn trailing_uuid(line: &str) -> Option<String> {
    let inner = line.trim_end().strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let id = &inner[open + 1..];
    uuid::Uuid::parse_str(id).ok().map(|_| id.to_string())
}

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub request: Option<String>,
    pub diagnosis: Diagnosis,
    pub myths: Vec<MythOut>,
}

#[derive(Debug, Serialize)]
pub struct MythOut {
    pub myth: &'static str,
    pub truth: &'static str,
}

pub fn explain(text: &str, grant: Option<Grant>) -> Explanation {
    let mut facts = parse(text);
    let knowledge = Knowledge { grant, ..Default::default() };
    let mut found = myths::find(text);
    let invented = facts.path.as_deref().and_then(myths::endpoint_myth);
    if let Some(m) = invented
        && !found.contains(&m)
    {
        found.insert(0, m);
    }
    let mut diagnosis = match (invented, facts.path.clone()) {
        (Some(_), Some(path)) => about_the_real_endpoint(&mut facts, &knowledge, &path),
        _ => diagnose::diagnose(&facts, &knowledge),
    };
    // A refused refresh reads the same whatever the code (the real one is not documented):
    // the fact that decides it is who may refresh at all.
    if facts.is_oauth && text.to_lowercase().contains("refresh") {
        diagnosis.evidence.push(
            "Genesys: the refresh token grant requires client credentials, so only a confidential client (sending its id and secret) can refresh".into(),
        );
        if facts.code.as_deref() != Some("invalid_grant") {
            diagnosis.fix = format!(
                "a public (PKCE) client cannot refresh: sign in again when the token ends; a confidential client must send its id and secret with the refresh (HTTP Basic); otherwise: {}",
                diagnosis.fix
            );
        }
    }
    // Prose is the poster's words, not the API's.
    if facts.code.is_none() && facts.message.as_deref() == Some(text.trim()) && !text.trim_start().starts_with('{') {
        for line in &mut diagnosis.evidence {
            if let Some(words) = line.strip_prefix("API said: ") {
                *line = format!("the text says: {words}");
            }
        }
    }
    Explanation {
        status: facts.status,
        code: facts.code.clone(),
        request: facts.request_line(),
        diagnosis,
        myths: found.into_iter().map(|m| MythOut { myth: m.myth, truth: m.truth }).collect(),
    }
}

/// A request to an endpoint that does not exist: whatever the poster says it answered, the
/// answer is about the one that does (its permission, its refusals).
fn about_the_real_endpoint(facts: &mut ErrorFacts, k: &Knowledge, path: &str) -> Diagnosis {
    let real = catalog::spec(catalog::EndpointId::QueueObservations);
    let mut d = match facts.status {
        // Not found is what a path that does not exist gets, said or not.
        Some(404) | None => {
            let as_404 = ErrorFacts { status: Some(404), ..facts.clone() };
            let mut d = diagnose::diagnose(&as_404, k);
            d.endpoint = Some(real);
            return d;
        }
        Some(_) => {
            facts.endpoint = Some(real);
            diagnose::diagnose(facts, k)
        }
    };
    d.summary = format!(
        "{path} does not exist; live queue numbers come from {}, which needs {}",
        real.label(),
        diagnose::permission_rule(real)
    );
    d.fix = format!("call {} instead; if it is refused too: {}", real.label(), d.fix);
    d
}

/// The human-readable report.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let head = [e.status.map(|s| s.to_string()), e.code.clone(), e.request.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let d = &e.diagnosis;
    let line = |out: &mut String, label: &str, text: &str| out.push_str(&format!("{label:<9}{text}\n"));
    if !head.is_empty() {
        line(&mut out, "error", &head);
    }
    line(&mut out, "cause", &format!("{} — {}", d.cause.label(), d.summary));
    if !d.missing.is_empty() {
        line(&mut out, "missing", &d.missing.join(", "));
    }
    if !d.divisions.is_empty() {
        line(&mut out, "division", &d.divisions.join(", "));
    }
    if let Some(ep) = d.endpoint
        && ep.id != catalog::EndpointId::OAuthToken
    {
        let scopes = if ep.scopes.is_empty() { "any".to_string() } else { ep.scopes.join(" or ") };
        line(
            &mut out,
            "endpoint",
            &format!("{} needs {}; user-token scopes: {scopes}", ep.label(), diagnose::permission_rule(ep)),
        );
    }
    for (i, ev) in d.evidence.iter().enumerate() {
        line(&mut out, if i == 0 { "evidence" } else { "" }, ev);
    }
    line(&mut out, "fix", &d.fix);
    for m in &e.myths {
        line(&mut out, "myth", m.myth);
        line(&mut out, "truth", m.truth);
    }
    out
}

/// Retry-After as seconds, for JSON output.
pub fn secs(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Cause;

    #[test]
    fn a_genesys_error_body() {
        let e = explain(
            r#"{"message":"Unable to perform the requested action. You are missing the following permission(s): [analytics:queueObservation:view]","code":"missing.permissions","status":403,"contextId":"9d1c"}"#,
            Some(Grant::ClientCredentials),
        );
        assert_eq!(e.diagnosis.cause, Cause::MissingPermission);
        assert_eq!(e.diagnosis.missing, ["analytics:queueObservation:view"]);
        let text = render(&e);
        assert!(
            text.contains("fix      add a role with analytics:queueObservation:view to this OAuth client"),
            "{text}"
        );
        assert!(text.contains("9d1c"));
    }

    #[test]
    fn an_oauth_error() {
        let e = explain(
            r#"{"error":"invalid_client","description":"authentication failed","error_description":"authentication failed"}"#,
            None,
        );
        assert_eq!(e.diagnosis.cause, Cause::BadClientCredentials);
        assert!(e.diagnosis.fix.contains("region"));
    }

    #[test]
    fn a_status_line_and_request() {
        let e = explain(
            "POST https://api.mypurecloud.ie/api/v2/analytics/queues/observations/query\nHTTP/1.1 403 Forbidden\nININ-Correlation-Id: abc-123",
            None,
        );
        assert_eq!(e.status, Some(403));
        assert_eq!(e.request.as_deref(), Some("POST /api/v2/analytics/queues/observations/query"));
        assert_eq!(e.diagnosis.cause, Cause::NotAuthorized);
        assert!(e.diagnosis.fix.contains("analytics:queueObservation:view"), "{}", e.diagnosis.fix);
        assert!(e.diagnosis.evidence.iter().any(|l| l.contains("abc-123")));
    }

    #[test]
    fn a_request_and_its_status_on_one_line() {
        let e = explain("GET /api/v2/analytics/queues/realtime 404", None);
        assert_eq!(e.status, Some(404));
        assert_eq!(e.diagnosis.cause, Cause::NotFound);
        assert!(e.diagnosis.fix.contains("POST /api/v2/analytics/queues/observations/query"), "{}", e.diagnosis.fix);
        let e = explain("POST /api/v2/analytics/queues/observations/query -> 403", None);
        assert_eq!(e.status, Some(403));
        // A queue count is not a status.
        assert_eq!(explain("we watch 450 queues", None).status, None);
    }

    #[test]
    fn a_terraform_wrapped_message() {
        let e = explain(
            "Error: API Error: 403 - Unable to perform the requested action. You are missing the following permission(s): [routing:queue:view, routing:queue:add] (0a1b2c3d-1111-2222-3333-444455556666)",
            None,
        );
        assert_eq!(e.status, Some(403));
        assert_eq!(e.diagnosis.missing, ["routing:queue:view", "routing:queue:add"]);
        assert!(e.diagnosis.evidence.iter().any(|l| l.contains("0a1b2c3d-1111-2222-3333-444455556666")));
    }

    #[test]
    fn a_forum_snippet_full_of_myths() {
        let post = "Calling GET /api/v2/analytics/queues/realtime?aggregateInterval=PT1S returns 404. \
                    I added the analytics:queue:view scope and the Queue Realtime Viewer role. Client credentials always get 403 anyway.";
        let e = explain(post, None);
        assert_eq!(e.diagnosis.cause, Cause::NotFound);
        assert!(e.diagnosis.fix.contains("observations/query"));
        assert_eq!(e.myths.len(), 4, "{:?}", e.myths);
        let text = render(&e);
        assert!(text.contains("analytics:queueObservation:view"));
    }

    #[test]
    fn rate_limit_headers() {
        let e = explain(
            "HTTP/1.1 429 Too Many Requests\nRetry-After: 42\n{\"code\":\"too.many.requests.retry.after\",\"status\":429,\"message\":\"Rate limit exceeded the maximum. Retry the request in [42] seconds\"}",
            None,
        );
        assert_eq!(e.diagnosis.cause, Cause::RateLimited);
        assert!(e.diagnosis.summary.contains("42s"));
    }

    const FORUM: &str = "I get 403 on GET /api/v2/analytics/queues/realtime, do I need scope analytics:queue:view?";

    #[test]
    fn a_forum_question_about_a_403_is_recognised_and_each_myth_corrected() {
        let e = explain(FORUM, None);
        assert_eq!(e.status, Some(403));
        assert_eq!(e.request.as_deref(), Some("GET /api/v2/analytics/queues/realtime"));
        assert_ne!(e.diagnosis.cause, Cause::Unknown);
        assert!(e.diagnosis.missing.iter().all(|m| m != "analytics:queue:view"), "{:?}", e.diagnosis.missing);
        let ids: Vec<&str> = e.myths.iter().map(|m| m.myth).collect();
        assert_eq!(ids.len(), 3, "{ids:?}");
        let text = render(&e);
        for needle in [
            "GET /api/v2/analytics/queues/realtime does not exist",
            "POST /api/v2/analytics/queues/observations/query",
            "analytics:queueObservation:view",
            "there is no analytics:queue:view scope",
            "scopes are enforced only when the org turns on",
        ] {
            assert!(text.contains(needle), "{needle}:\n{text}");
        }
    }

    #[test]
    fn every_myth_in_one_post_is_corrected() {
        let post = "Getting forbidden on GET /api/v2/analytics/queues/realtime?aggregateInterval=PT1S with getAnalyticsQueuesRealtime. \
                    Do I need scope analytics:queue:view or the Queue Realtime Viewer role? I read client credentials always fail.";
        let e = explain(post, None);
        assert_eq!(e.status, Some(403));
        let mut truths: Vec<&str> = e.myths.iter().map(|m| m.truth).collect();
        truths.sort_unstable();
        let mut want: Vec<&str> = myths::MYTHS
            .iter()
            .filter(|m| {
                matches!(
                    m.id,
                    "realtime-endpoint"
                        | "sdk-method"
                        | "queue-view-scope"
                        | "realtime-role"
                        | "client-credentials-fail"
                        | "403-means-scope"
                )
            })
            .map(|m| m.truth)
            .collect();
        want.sort_unstable();
        assert_eq!(truths, want);
        let text = render(&e);
        assert!(
            text.contains("postAnalyticsQueuesObservationsQuery")
                && text.contains("roles assigned to the OAuth client")
        );
        assert!(
            text.contains(
                "endpoint POST /api/v2/analytics/queues/observations/query needs analytics:queueObservation:view"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_403_in_words_is_a_403_but_an_oauth_refusal_is_not() {
        for text in
            ["got a 403 calling the observations query", "it says Forbidden", "I am not authorized to see queues"]
        {
            assert_eq!(explain(text, None).status, Some(403), "{text}");
        }
        let oauth = "unauthorized_client: client is not authorized to use the client_credential grant type";
        assert_eq!(explain(oauth, None).status, None);
        assert_eq!(explain("we watch 403 queues", None).status, Some(403), "a bare 403 is taken as the status");
        assert_eq!(explain("we watch 450 queues", None).status, None);
    }

    #[test]
    fn the_legacy_message_with_a_stray_backtick_names_one_permission() {
        let e = explain(
            r#"{"message":"Permission is forbidden on domain, 'responses`, entity 'response', with action set '[view]'","code":"forbidden","status":403}"#,
            None,
        );
        assert_eq!(e.diagnosis.cause, Cause::MissingPermission);
        assert_eq!(e.diagnosis.missing, ["responses:response:view"]);
    }

    #[test]
    fn a_refused_refresh_says_who_may_refresh_whatever_the_code() {
        for code in ["invalid_client", "unauthorized_client", "invalid_request", "invalid_grant"] {
            let text = format!(
                "POST /oauth/token grant_type=refresh_token\nHTTP/1.1 400\n{{\"error\":\"{code}\",\"description\":\"x\",\"error_description\":\"x\"}}"
            );
            let e = explain(&text, Some(Grant::AuthorizationCode));
            assert!(e.diagnosis.evidence.iter().any(|l| l.contains("only a confidential client")), "{code}");
            let fix = &e.diagnosis.fix;
            if code == "invalid_grant" {
                assert!(fix.contains("sign in again"), "{code}: {fix}");
            } else {
                assert!(fix.contains("public (PKCE) client cannot refresh") && fix.contains("secret"), "{code}: {fix}");
            }
        }
    }

    #[test]
    fn arguments_that_look_like_paths() {
        for p in ["nosuch.json", "errors/403", "./x", "~/saved/error.TXT", "my error.log", "src"] {
            assert!(looks_like_path(p), "{p}");
        }
        for t in [
            "GET /api/v2/analytics/queues/realtime 404",
            "/api/v2/analytics/queues/realtime",
            "https://api.mypurecloud.ie/api/v2/routing/queues",
            "403 Forbidden",
            r#"{"message":"x/y","status":403}"#,
            "it doesn't work",
        ] {
            assert!(!looks_like_path(t), "{t}");
        }
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let line = unreadable("nosuch.json", &e);
        assert!(line.contains("nosuch.json") && !line.contains('\n'), "{line}");
    }

    #[test]
    fn nonsense_is_answered_honestly() {
        let e = explain("it doesn't work", None);
        assert_eq!(e.diagnosis.cause, Cause::Unknown);
        assert!(render(&e).contains("raw body"));
    }
}
