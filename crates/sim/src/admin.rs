//! `/sim/faults`: switch faults on and off while a monitor runs. Served only when the
//! simulator was started with faults enabled, and only to loopback callers.
//!
//! `GET` lists what is on (and the kinds there are), `POST` switches one on (a `FaultSpec`
//! as JSON), `DELETE` switches all off, `DELETE /sim/faults/{fault}` one kind.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::ApiFault;
use super::faults::{FaultKind, FaultSpec};
use super::server::{Shared, json};

fn loopback_only(peer: SocketAddr) -> Result<(), ApiFault> {
    if peer.ip().is_loopback() {
        Ok(())
    } else {
        Err(ApiFault::new(
            StatusCode::FORBIDDEN,
            "not.authorized",
            "Fault switching is served to loopback callers only.",
        ))
    }
}

pub async fn list(State(shared): State<Arc<Shared>>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if let Err(e) = loopback_only(peer) {
        return e.into_response();
    }
    json(json!({"faults": shared.active_faults(), "kinds": super::faults::catalogue()}))
}

pub async fn add(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if let Err(e) = loopback_only(peer) {
        return e.into_response();
    }
    let spec = match serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| FaultSpec::from_json(&v))
    {
        Ok(s) => s,
        Err(e) => return ApiFault::invalid_value("fault", format!("not a fault: {e}")).into_response(),
    };
    match shared.add_fault(spec) {
        Ok(v) => {
            let mut r = json(v);
            *r.status_mut() = StatusCode::CREATED;
            r
        }
        Err(msg) => ApiFault::invalid_value("fault", msg).into_response(),
    }
}

pub async fn clear_all(State(shared): State<Arc<Shared>>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if let Err(e) = loopback_only(peer) {
        return e.into_response();
    }
    json(json!({"cleared": shared.clear_faults(None)}))
}

pub async fn clear_one(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    if let Err(e) = loopback_only(peer) {
        return e.into_response();
    }
    match FaultKind::parse(&name) {
        Some(k) => json(json!({"cleared": shared.clear_faults(Some(k))})),
        None => ApiFault::invalid_value(
            "fault",
            format!("no fault '{name}'; use one of {}", FaultKind::ALL.map(FaultKind::name).join(", ")),
        )
        .into_response(),
    }
}

/// One step of a fault script: at `at` after the simulator starts, switch a fault on, or
/// `clear` one kind (or "all").
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: Duration,
    pub what: StepAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    On(Box<FaultSpec>),
    Clear(Option<FaultKind>),
}

/// A timeline of faults, from TOML (`[[step]]` tables) or JSON (`{"step": [...]}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultScript {
    pub steps: Vec<Step>,
}

impl FaultScript {
    pub fn load(path: &Path) -> Result<FaultScript, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--fault-script {}: {e}", path.display()))?;
        FaultScript::parse(&text).map_err(|e| format!("--fault-script {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<FaultScript, String> {
        let doc: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            let t: toml::Table = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
            serde_json::to_value(t).map_err(|e| e.to_string())?
        };
        let obj = doc.as_object().ok_or("a fault script is a table with [[step]] entries")?;
        if let Some(k) = obj.keys().find(|k| *k != "step") {
            return Err(format!("unknown key '{k}'; a fault script has only [[step]] entries"));
        }
        let steps = obj.get("step").and_then(Value::as_array).ok_or("no [[step]] entries")?;
        let mut out = vec![];
        for (i, s) in steps.iter().enumerate() {
            let mut s = s.as_object().cloned().ok_or(format!("step {}: not a table", i + 1))?;
            let at = s.remove("at").ok_or(format!("step {}: at is required (e.g. at = \"30s\")", i + 1))?;
            let at = at
                .as_str()
                .and_then(|a| humantime::parse_duration(a).ok())
                .ok_or(format!("step {}: at = {at} is not a duration like \"30s\" or \"2m\"", i + 1))?;
            let what = match s.remove("clear") {
                Some(c) => {
                    if !s.is_empty() {
                        return Err(format!("step {}: clear takes nothing else", i + 1));
                    }
                    match c.as_str() {
                        Some("all") => StepAction::Clear(None),
                        Some(name) => StepAction::Clear(Some(
                            FaultKind::parse(name)
                                .ok_or(format!("step {}: clear = \"{name}\": no such fault", i + 1))?,
                        )),
                        None => return Err(format!("step {}: clear must be a fault name or \"all\"", i + 1)),
                    }
                }
                None => StepAction::On(Box::new(
                    FaultSpec::from_json(&Value::Object(s)).map_err(|e| format!("step {}: {e}", i + 1))?,
                )),
            };
            out.push(Step { at, what });
        }
        out.sort_by_key(|s| s.at);
        Ok(FaultScript { steps: out })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Play a script against a running simulator (steps already checked against the org).
pub async fn play(shared: Arc<Shared>, script: FaultScript) {
    let start = tokio::time::Instant::now();
    for step in script.steps {
        tokio::time::sleep_until(start + step.at).await;
        match step.what {
            StepAction::On(spec) => {
                if let Err(e) = shared.add_fault(*spec) {
                    tracing::warn!("fault script step at {:?}: {e}", step.at);
                }
            }
            StepAction::Clear(kind) => {
                shared.clear_faults(kind);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_from_toml_and_json_in_time_order() {
        let s = FaultScript::parse(
            r#"
[[step]]
at = "90s"
clear = "all"

[[step]]
at = "30s"
fault = "errors"
status = 503
for = "20s"
"#,
        )
        .unwrap();
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[0].at, Duration::from_secs(30));
        match &s.steps[0].what {
            StepAction::On(spec) => {
                assert_eq!(spec.fault, Some(FaultKind::Errors));
                assert_eq!(spec.for_, Some(Duration::from_secs(20)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.steps[1].what, StepAction::Clear(None));
        let j = FaultScript::parse(r#"{"step": [{"at": "1s", "fault": "latency", "ms": 200}]}"#).unwrap();
        assert_eq!(j.steps.len(), 1);
    }

    #[test]
    fn the_shipped_script_fits_the_demo_org() {
        let s = FaultScript::parse(include_str!("../faults/bad-afternoon.toml")).unwrap();
        assert!(s.steps.len() >= 8);
        crate::check_script(&s, &crate::org::Org::demo()).unwrap();
        let bad = FaultScript::parse("[[step]]\nat = \"1s\"\nfault = \"queue-moved\"\nqueue = \"Nope\"\n").unwrap();
        let e = crate::check_script(&bad, &crate::org::Org::demo()).unwrap_err();
        assert!(e.starts_with("step 1") && e.contains("Nope"), "{e}");
    }

    #[test]
    fn bad_scripts_name_the_step_and_field() {
        for (text, needle) in [
            ("[[step]]\nfault = \"errors\"\n", "step 1: at is required"),
            ("[[step]]\nat = \"soon\"\nfault = \"errors\"\n", "step 1: at"),
            ("[[step]]\nat = \"1s\"\nfault = \"fire\"\n", "step 1: fault: unknown variant `fire`"),
            ("[[step]]\nat = \"1s\"\nfault = \"latency\"\nms = \"slow\"\n", "step 1: ms: invalid type"),
            ("[[step]]\nat = \"1s\"\nclear = \"fire\"\n", "clear = \"fire\""),
            ("[[steps]]\nat = \"1s\"\n", "unknown key 'steps'"),
        ] {
            let e = FaultScript::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
