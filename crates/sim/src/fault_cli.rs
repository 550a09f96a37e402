//! `qtop sim-fault`: switch a running simulator's faults from another terminal.
//!
//! ```text
//! qtop sim-fault errors on status=503 count=5
//! qtop sim-fault latency on ms=2000 for=30s
//! qtop sim-fault latency off
//! qtop sim-fault list
//! qtop sim-fault clear
//! ```

use serde_json::{Map, Value, json};

use super::faults::FaultKind;

/// What the words on the command line ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultCommand {
    List,
    ClearAll,
    On(Value),
    Off(FaultKind),
}

pub fn parse(words: &[String]) -> Result<FaultCommand, String> {
    let kinds = || FaultKind::ALL.map(FaultKind::name).join(", ");
    let Some(first) = words.first() else {
        return Err(format!("name a fault ({}) or list / clear", kinds()));
    };
    match first.as_str() {
        "list" | "ls" if words.len() == 1 => return Ok(FaultCommand::List),
        "clear" if words.len() == 1 => return Ok(FaultCommand::ClearAll),
        _ => {}
    }
    let kind = FaultKind::parse(first).ok_or_else(|| format!("no fault '{first}'; use one of {}", kinds()))?;
    let mut rest = &words[1..];
    match rest.first().map(String::as_str) {
        Some("on") => rest = &rest[1..],
        Some("off") if rest.len() > 1 => return Err(format!("'{kind} off' takes no parameters")),
        Some("off") => return Ok(FaultCommand::Off(kind)),
        _ => {}
    }
    let mut body = Map::new();
    body.insert("fault".into(), json!(kind.name()));
    for w in rest {
        let (k, v) = w.split_once('=').ok_or_else(|| format!("'{w}' is not key=value (e.g. status=503, for=30s)"))?;
        let key = k.trim().replace('-', "_");
        let value = if key == "for" {
            json!(v)
        } else if let Ok(n) = v.parse::<i64>() {
            json!(n)
        } else if let Ok(x) = v.parse::<f64>() {
            json!(x)
        } else {
            json!(v)
        };
        body.insert(key, value);
    }
    Ok(FaultCommand::On(Value::Object(body)))
}

/// Send the command to the simulator on `127.0.0.1:port`; returns what to print.
pub async fn run(port: u16, cmd: FaultCommand) -> Result<String, String> {
    genesys::client::ensure_tls();
    let base = format!("http://127.0.0.1:{port}/sim/faults");
    let http = reqwest::Client::new();
    let req = match &cmd {
        FaultCommand::List => http.get(&base),
        FaultCommand::ClearAll => http.delete(&base),
        FaultCommand::On(body) => http.post(&base).json(body),
        FaultCommand::Off(kind) => http.delete(format!("{base}/{}", kind.name())),
    };
    let resp = req.send().await.map_err(|e| {
        // reqwest's own message hides the cause ("error sending request"); the chain names it.
        let mut cause = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        format!("cannot reach a simulator on 127.0.0.1:{port} ({cause}); start one with `qtop sim --faults` or `qtop --demo --sim-port {port} --sim-faults`")
    })?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    match status {
        404 => Err(format!(
            "the simulator on 127.0.0.1:{port} does not switch faults: start it with --faults (qtop sim) or --sim-faults (qtop --demo)"
        )),
        200 | 201 => Ok(describe(&cmd, &body)),
        _ => Err(body["message"].as_str().map(String::from).unwrap_or_else(|| format!("HTTP {status}: {body}"))),
    }
}

fn describe(cmd: &FaultCommand, body: &Value) -> String {
    match cmd {
        FaultCommand::List => {
            let active = body["faults"].as_array().cloned().unwrap_or_default();
            let mut out = if active.is_empty() { "no faults on\n".to_string() } else { "on:\n".to_string() };
            for f in &active {
                out.push_str(&format!("  {}\n", one_fault(f)));
            }
            out.push_str("faults:\n");
            for k in body["kinds"].as_array().cloned().unwrap_or_default() {
                let params: Vec<String> =
                    k["params"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(String::from)).collect();
                out.push_str(&format!(
                    "  {:<19} {}\n  {:<19} params: {}\n",
                    k["fault"].as_str().unwrap_or(""),
                    k["doc"].as_str().unwrap_or(""),
                    "",
                    params.join(", ")
                ));
            }
            out
        }
        FaultCommand::ClearAll => format!("cleared {} fault(s)\n", body["cleared"]),
        FaultCommand::Off(kind) => format!("{kind} off ({} cleared)\n", body["cleared"]),
        FaultCommand::On(_) => format!("on: {}\n", one_fault(body)),
    }
}

fn one_fault(f: &Value) -> String {
    let mut parts = vec![format!("#{} {}", f["id"], f["fault"].as_str().unwrap_or("?"))];
    if let Some(obj) = f.as_object() {
        for (k, v) in obj {
            if !["id", "fault"].contains(&k.as_str()) {
                parts.push(format!("{k}={}", v.as_str().map(String::from).unwrap_or_else(|| v.to_string())));
            }
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn words_become_fault_requests() {
        assert_eq!(parse(&words("list")).unwrap(), FaultCommand::List);
        assert_eq!(parse(&words("clear")).unwrap(), FaultCommand::ClearAll);
        assert_eq!(parse(&words("latency off")).unwrap(), FaultCommand::Off(FaultKind::Latency));
        assert_eq!(
            parse(&words("errors on status=503 for=20s probability=0.5 queue=Sales")).unwrap(),
            FaultCommand::On(
                json!({"fault": "errors", "status": 503, "for": "20s", "probability": 0.5, "queue": "Sales"})
            )
        );
        assert_eq!(
            parse(&words("clock-skew seconds=-90 retry-after=3")).unwrap(),
            FaultCommand::On(json!({"fault": "clock-skew", "seconds": -90, "retry_after": 3}))
        );
        assert_eq!(parse(&words("socket-closing")).unwrap(), FaultCommand::On(json!({"fault": "socket-closing"})));
        for bad in ["", "fire on", "errors on status", "errors off status=3"] {
            assert!(parse(&words(bad)).is_err(), "{bad}");
        }
    }
}
