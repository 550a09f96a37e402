//! `qtop doctor`: the same diagnosis as the TUI, without one. Checks config, region,
//! sign-in and token facts, then probes every endpoint qtop needs and prints ✓/✗ per
//! check with the fix for each ✗. Exit 0: all good; 1: something refused; 2: could not run.

use serde::Serialize;

use crate::config::Config;
use crate::diagnose::{self, Diagnosis, ErrorFacts, Knowledge};
use crate::text::format::span;
use genesys::auth::{self, Grant, Session, SessionKind};
use genesys::catalog::EndpointId;
use genesys::client::{ApiError, Auth, Request};
use genesys::queries::{self, OBSERVATION_BATCH};
use genesys::regions;
use genesys::token;

/// The calls behind the queue table (the token pane's own questions are optional).
const TABLE_NEEDS: &[EndpointId] = &[
    EndpointId::QueueObservations,
    EndpointId::RoutingQueues,
    EndpointId::ConversationAggregates,
    EndpointId::QueueMembers,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: String,
    pub checks: Vec<Check>,
    /// The network or the sign-in path failed before anything could be probed.
    pub could_not_run: bool,
}

impl Report {
    pub fn exit_code(&self) -> u8 {
        if self.could_not_run { 2 } else { u8::from(self.checks.iter().any(|c| c.status == Status::Fail)) }
    }
}

fn ok(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, status: Status::Ok, detail: detail.into(), diagnosis: None }
}

fn skip(name: &'static str, why: &str) -> Check {
    Check { name, status: Status::Skip, detail: why.into(), diagnosis: None }
}

fn failed(name: &'static str, e: &ApiError, k: &Knowledge) -> Check {
    let d = diagnose::diagnose(&ErrorFacts::from_api_error(e), k);
    let answer =
        [e.status().map(|s| s.to_string()), e.code().map(String::from)].into_iter().flatten().collect::<Vec<_>>();
    let detail = if auth::is_session_ended(e) {
        // No server answered: say so rather than show a status as if one had.
        format!("{} — {}", d.summary, e.summary())
    } else if answer.is_empty() {
        d.summary.clone()
    } else {
        format!("{} — {}", answer.join(" "), d.summary)
    };
    Check { name, status: Status::Fail, detail, diagnosis: Some(d) }
}

pub async fn run(config: &Config, session: &Session) -> Report {
    let client = session.client();
    let hosts = client.hosts();
    let mut checks = vec![];
    let mut k = Knowledge::of_session(session);
    let report = |checks: Vec<Check>, could_not_run| Report { target: hosts.label.clone(), checks, could_not_run };

    let source = config
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no config file (flags and environment)".into());
    let who = k.client_id.clone().map(|c| format!(", client {c}")).unwrap_or_default();
    checks.push(ok("config", format!("{source}; {}{who}", session.method().grant())));

    // Any HTTP answer (401 without a token is expected) proves the host is reachable.
    let probe = Request::new(EndpointId::TokensMe);
    match client.send::<serde_json::Value>(&probe, Auth::None).await {
        Err(e) if e.status().is_none() => {
            let d = diagnose::diagnose(&ErrorFacts::from_api_error(&e), &k);
            checks.push(Check {
                name: "region",
                status: Status::Fail,
                detail: format!("{} — {}", hosts.api, e.summary()),
                diagnosis: Some(d),
            });
            return report(checks, true);
        }
        _ => {
            let api = regions::host_port(&hosts.api);
            let login = regions::host_port(&hosts.login);
            let detail =
                if api == login { format!("{api} answers") } else { format!("{api} answers; sign-in goes to {login}") };
            checks.push(ok("region", detail));
        }
    }

    let token = match session.token().await {
        Ok(t) => t,
        Err(e) => {
            checks.push(failed("sign-in", &e, &k));
            for name in ["token", "queues", "observations"] {
                checks.push(skip(name, "needs a signed-in token"));
            }
            // No answer at all is the network's; an ended session is the token's.
            let network = e.status().is_none() && !auth::is_session_ended(&e);
            return report(checks, network);
        }
    };
    let left = token.expires_at.map(|e| e.duration_since(jiff::Timestamp::now()));
    let expiry = match left.and_then(|l| std::time::Duration::try_from(l).ok()) {
        Some(l) => format!(", expires in {}", span(l)),
        None if token.grant == Grant::Provided => ", expiry unknown (provided token)".into(),
        None => String::new(),
    };
    checks.push(ok("sign-in", format!("{} token {}{expiry}", token.grant, token.access.fingerprint())));
    checks.push(ok("session", session_line(session.kind(), left)));

    let mut division_note: Option<String> = None;
    match token::inspect(session).await {
        Ok(report) => {
            k.learn(&report);
            match &report.info {
                Ok(info) => {
                    let org = info.organization.as_ref().and_then(|o| o.name.clone()).unwrap_or_else(|| "?".into());
                    let who = match (&k.user_name, &k.client_name) {
                        (Some(u), _) => format!(", user '{u}'"),
                        (None, Some(c)) => format!(", OAuth client '{c}'"),
                        _ => String::new(),
                    };
                    let scopes = if token.grant == Grant::ClientCredentials {
                        "scopes do not limit client credentials: roles do".to_string()
                    } else if info.authorized_scope.is_empty() {
                        "no scopes".to_string()
                    } else {
                        format!("scopes {}", info.authorized_scope.join(" "))
                    };
                    let roles = report.roles().map(|r| format!("; roles {}", r.join(", "))).unwrap_or_default();
                    checks.push(ok("token", format!("org '{org}'{who}; {scopes}{roles}")));
                }
                Err(e) => checks.push(failed("token", e, &k)),
            }
            // What the roles predict for the calls the queue table needs; the probes below
            // confirm it.
            let needs: Vec<token::NeedRow> =
                token::needs(&report).into_iter().filter(|n| TABLE_NEEDS.contains(&n.endpoint)).collect();
            let refused: Vec<String> = needs
                .iter()
                .filter_map(|n| match &n.permission {
                    token::Check::No(why) => Some(format!("{}: {why}", n.label)),
                    _ => None,
                })
                .collect();
            if !refused.is_empty() {
                checks.push(Check {
                    name: "roles",
                    status: Status::Warn,
                    detail: format!("by this token's roles these calls will be refused: {}", refused.join("; ")),
                    diagnosis: None,
                });
            }
            let scopes: Vec<String> = needs
                .iter()
                .filter_map(|n| match &n.scope {
                    token::Check::No(why) => Some(format!("{}: {why}", n.label)),
                    _ => None,
                })
                .collect();
            if !scopes.is_empty() {
                checks.push(Check {
                    name: "scopes",
                    status: Status::Warn,
                    detail: format!(
                        "refused only if the org enforces scopes (Admin > Settings): {}",
                        scopes.join("; ")
                    ),
                    diagnosis: None,
                });
            }
            division_note = token::queues_limited_to(&needs);
        }
        Err(e) => checks.push(failed("token", &e, &k)),
    }

    let ids = match queries::list_queues(session).await {
        Ok((all, _)) => {
            let total = all.len();
            let (picked, unmatched) = queries::select_queues(all, &config.queues);
            if total == 0 {
                checks.push(Check {
                    name: "queues",
                    status: Status::Warn,
                    detail: "no queue is visible to this token: it needs routing:queue:view in the queues' divisions"
                        .into(),
                    diagnosis: None,
                });
            } else if !unmatched.is_empty() {
                checks.push(Check {
                    name: "queues",
                    status: Status::Warn,
                    detail: format!(
                        "{} of {total} visible queues selected; nothing visible matches {} (missing, misspelt, or in a division this token cannot see)",
                        picked.len(),
                        unmatched.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", ")
                    ),
                    diagnosis: None,
                });
            } else {
                let hidden = division_note
                    .as_ref()
                    .map(|n| format!("; routing:queue:view held in {n}: queues elsewhere are hidden"))
                    .unwrap_or_default();
                checks.push(ok("queues", format!("{} of {total} visible queues selected{hidden}", picked.len())));
            }
            picked.into_iter().take(OBSERVATION_BATCH).map(|q| q.id).collect::<Vec<_>>()
        }
        Err(e) => {
            checks.push(failed("queues", &e, &k));
            vec![]
        }
    };

    if ids.is_empty() {
        checks.push(skip("observations", "no queue to ask about"));
    } else {
        match queries::observe(session, &ids).await {
            Ok((resp, _)) => {
                let n = queries::parse_observations(&resp).len();
                checks.push(ok("observations", format!("live numbers for {n} of {} queues", ids.len())));
            }
            Err(e) => checks.push(failed("observations", &e, &k)),
        }
    }
    report(checks, false)
}

/// Which kind of session this is, and for one that ends, when.
fn session_line(kind: SessionKind, left: Option<jiff::SignedDuration>) -> String {
    let left = left.and_then(|l| std::time::Duration::try_from(l).ok());
    match (kind, left) {
        (SessionKind::PublicCode | SessionKind::Provided, Some(l)) => format!("{kind} (this one ends in {})", span(l)),
        (SessionKind::Provided, None) => format!("{kind} (when it ends is unknown)"),
        _ => kind.to_string(),
    }
}

/// The report for people: one line per check, the fix under each ✗. With `width`, long
/// lines wrap under their own text (a terminal); without, they stay whole (a pipe).
pub fn render(r: &Report, ascii: bool) -> String {
    render_width(r, ascii, None)
}

pub fn render_width(r: &Report, ascii: bool, width: Option<u16>) -> String {
    let width = width.map(usize::from).filter(|w| *w >= 40);
    let mut out = String::new();
    for (head, body) in rows(r, ascii) {
        let Some(width) = width else {
            out.push_str(&format!("{head}{body}\n"));
            continue;
        };
        // Long details wrap under their own text, never under the check's name.
        let indent = head.chars().count();
        for (i, part) in crate::text::format::wrap(&body, width.saturating_sub(indent)).into_iter().enumerate() {
            let lead = if i == 0 { head.clone() } else { " ".repeat(indent) };
            out.push_str(&format!("{lead}{part}\n"));
        }
    }
    out
}

/// The report as (head, text) rows: `✓ region       ` + what was found, `  fix          ` + the
/// fix under a check; the title and the verdict have no head.
fn rows(r: &Report, ascii: bool) -> Vec<(String, String)> {
    let dash = if ascii { "-" } else { "—" };
    let mut out = vec![(String::new(), format!("qtop doctor {dash} {}", r.target))];
    for c in &r.checks {
        let mark = match (c.status, ascii) {
            (Status::Ok, false) => "✓",
            (Status::Warn, false) => "!",
            (Status::Fail, false) => "✗",
            (Status::Skip, false) => "–",
            (Status::Ok, true) => "ok",
            (Status::Warn, true) => "!!",
            (Status::Fail, true) => "XX",
            (Status::Skip, true) => "--",
        };
        out.push((format!("{mark} {:<13}", c.name), c.detail.clone()));
        // Lines under a check start where its name does, whatever the mark's width.
        let under = " ".repeat(mark.chars().count() + 1);
        if let Some(d) = &c.diagnosis {
            if !d.missing.is_empty() {
                out.push((format!("{under}{:<13}", "missing"), d.missing.join(", ")));
            }
            out.push((format!("{under}{:<13}", "fix"), d.fix.clone()));
        }
    }
    if ascii {
        // Details carry the API's words and names: keep the ASCII promise for them too.
        for (_, body) in &mut out {
            *body = crate::text::ascii::fold_text(body);
        }
    }
    let failures = r.checks.iter().filter(|c| c.status == Status::Fail).count();
    out.push((
        String::new(),
        match (r.exit_code(), failures) {
            (0, _) => "all checks passed".to_string(),
            (2, _) => "could not run the checks: fix the first failure above".to_string(),
            (_, n) => format!("{n} check{} refused", if n == 1 { "" } else { "s" }),
        },
    ));
    out
}
