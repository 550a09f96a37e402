//! Faults the simulator can inject, switched live through `/sim/faults` or on a timeline from
//! a script: what a real region, its gateway or its admins do to a running monitor.
//!
//! Transport faults (latency, 5xx bursts, 503 + Retry-After, connection resets, truncated
//! JSON) are applied per request by a middleware. Org faults (a role taken from a client, a
//! permission taken from a role, a queue moved to another division) are overlays on the
//! loaded org: switching them off restores it. Clock skew shifts every time the server
//! reports and reads; a rate-limit fault lowers the per-token budget; revocation is a one-off.
//!
//! Durations (`for`) run on real time, not the simulated clock: they are for the person
//! watching the screen.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::org::{Org, Persona};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    Latency,
    Errors,
    Unavailable,
    Reset,
    Truncate,
    Revoke,
    RoleRemoved,
    PermissionRemoved,
    QueueMoved,
    ClockSkew,
    RateLimit,
    SocketDrop,
    SocketClosing,
}

impl FaultKind {
    pub const ALL: [FaultKind; 13] = [
        FaultKind::Latency,
        FaultKind::Errors,
        FaultKind::Unavailable,
        FaultKind::Reset,
        FaultKind::Truncate,
        FaultKind::Revoke,
        FaultKind::RoleRemoved,
        FaultKind::PermissionRemoved,
        FaultKind::QueueMoved,
        FaultKind::ClockSkew,
        FaultKind::RateLimit,
        FaultKind::SocketDrop,
        FaultKind::SocketClosing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::Errors => "errors",
            FaultKind::Unavailable => "unavailable",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::Revoke => "revoke",
            FaultKind::RoleRemoved => "role-removed",
            FaultKind::PermissionRemoved => "permission-removed",
            FaultKind::QueueMoved => "queue-moved",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::RateLimit => "rate-limit",
            FaultKind::SocketDrop => "socket-drop",
            FaultKind::SocketClosing => "socket-closing",
        }
    }

    pub fn parse(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Parameters the kind reads (besides the common `for`, `count`, `probability`, `path`).
    pub fn params(self) -> &'static [&'static str] {
        match self {
            FaultKind::Latency => &["ms", "jitter_ms"],
            FaultKind::Errors => &["status"],
            FaultKind::Unavailable => &["retry_after"],
            FaultKind::Reset | FaultKind::Truncate | FaultKind::SocketDrop | FaultKind::SocketClosing => &[],
            FaultKind::Revoke => &["client"],
            FaultKind::RoleRemoved => &["client", "role"],
            FaultKind::PermissionRemoved => &["role", "permission"],
            FaultKind::QueueMoved => &["queue", "division"],
            FaultKind::ClockSkew => &["seconds"],
            FaultKind::RateLimit => &["per_minute"],
        }
    }

    pub fn doc(self) -> &'static str {
        match self {
            FaultKind::Latency => "delay every response by ms (plus up to jitter_ms)",
            FaultKind::Errors => "answer with a 5xx (status 500, 502, 503 or 504; default 500)",
            FaultKind::Unavailable => "answer 503 service.unavailable with Retry-After: retry_after (default 5 s)",
            FaultKind::Reset => "drop the connection instead of answering",
            FaultKind::Truncate => "answer 200 with the JSON body cut short",
            FaultKind::Revoke => "revoke every issued token (of one client, if given) once",
            FaultKind::RoleRemoved => "take a role from an OAuth client (default: the first client's first role)",
            FaultKind::PermissionRemoved => {
                "take a permission from a role (default: analytics:conversationAggregate:view from every role)"
            }
            FaultKind::QueueMoved => {
                "move a queue to another division (default: the first queue, to the last division)"
            }
            FaultKind::ClockSkew => "shift the server's clock by seconds (Date header, observation and query times)",
            FaultKind::RateLimit => "lower the per-token budget to per_minute requests",
            FaultKind::SocketDrop => {
                "close open notification sockets (once; with for, also every socket opened meanwhile)"
            }
            FaultKind::SocketClosing => {
                "send open notification sockets v2.system.socket_closing (as before maintenance), close them 10 s later (once; with for, also every socket opened meanwhile)"
            }
        }
    }

    /// Applied per request (these take `count`, `probability` and `path`).
    fn per_request(self) -> bool {
        matches!(
            self,
            FaultKind::Latency | FaultKind::Errors | FaultKind::Unavailable | FaultKind::Reset | FaultKind::Truncate
        )
    }

    /// Changes who may see what (the effective org is rebuilt).
    pub fn is_overlay(self) -> bool {
        matches!(self, FaultKind::RoleRemoved | FaultKind::PermissionRemoved | FaultKind::QueueMoved)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault as asked for, from JSON (`POST /sim/faults`), a script step or `qtop sim-fault`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub fault: Option<FaultKind>,
    /// How long it stays on ("20s", "2m"); default: until switched off.
    #[serde(default, rename = "for", with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    pub for_: Option<Duration>,
    /// Requests it affects before switching itself off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Share of requests affected (0..1, default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Only requests whose path starts with this (default "/api/").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
}

impl FaultSpec {
    /// From a JSON object, naming the field when one does not fit (serde's own message
    /// says what was expected, not where).
    pub fn from_json(v: &Value) -> Result<FaultSpec, String> {
        serde_json::from_value(v.clone()).map_err(|e| {
            let culprit = v.as_object().and_then(|obj| {
                obj.iter().find(|(k, x)| serde_json::from_value::<FaultSpec>(json!({k.as_str(): x})).is_err())
            });
            match culprit {
                Some((k, _)) => format!("{k}: {e}"),
                None => e.to_string(),
            }
        })
    }

    fn given(&self) -> Vec<&'static str> {
        let mut out = vec![];
        let mut mark = |name, present: bool| {
            if present {
                out.push(name);
            }
        };
        mark("ms", self.ms.is_some());
        mark("jitter_ms", self.jitter_ms.is_some());
        mark("status", self.status.is_some());
        mark("retry_after", self.retry_after.is_some());
        mark("client", self.client.is_some());
        mark("role", self.role.is_some());
        mark("permission", self.permission.is_some());
        mark("queue", self.queue.is_some());
        mark("division", self.division.is_some());
        mark("seconds", self.seconds.is_some());
        mark("per_minute", self.per_minute.is_some());
        out
    }
}

/// What a fault resolved to against the org (names → indices, defaults filled in).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Latency { ms: u64, jitter_ms: u64 },
    Error { status: u16 },
    Unavailable { retry_after: u64 },
    Reset,
    Truncate,
    Revoke { client: Option<usize> },
    RoleRemoved { client: usize, role: usize },
    PermissionRemoved { role: Option<usize>, permission: String },
    QueueMoved { queue: usize, division: usize },
    ClockSkew { seconds: i64 },
    RateLimit { per_minute: u32 },
    SocketDrop,
    SocketClosing,
}

#[derive(Debug, Clone)]
pub struct ActiveFault {
    pub id: u64,
    pub kind: FaultKind,
    pub spec: FaultSpec,
    pub effect: Effect,
    pub until: Option<Instant>,
    pub remaining: Option<u32>,
    pub path: String,
    pub probability: f64,
    pub hits: u64,
}

/// What to do to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub delay: Option<Duration>,
    pub action: Option<Action>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Error(u16),
    Unavailable(u64),
    Reset,
    Truncate,
}

#[derive(Debug, Default)]
pub struct FaultState {
    pub active: Vec<ActiveFault>,
    next_id: u64,
}

fn find_client(org: &Org, name: &str) -> Option<usize> {
    if let Some(Persona::Client(c)) = org.persona(name) {
        return Some(c);
    }
    org.clients.iter().position(|c| c.id == name || c.name.eq_ignore_ascii_case(name))
}

fn find_role(org: &Org, name: &str) -> Option<usize> {
    org.roles.iter().position(|r| r.id == name || r.name.eq_ignore_ascii_case(name))
}

fn find_queue(org: &Org, name: &str) -> Option<usize> {
    org.queue_by_id(name).or_else(|| org.queues.iter().position(|q| q.name.eq_ignore_ascii_case(name)))
}

fn find_division(org: &Org, name: &str) -> Option<usize> {
    org.divisions.iter().position(|d| d.id == name || d.name.eq_ignore_ascii_case(name))
}

/// Check a spec against the org and fill in defaults. Errors are one line naming the field.
pub fn resolve(spec: &FaultSpec, org: &Org) -> Result<(FaultKind, Effect), String> {
    let kind = spec
        .fault
        .ok_or_else(|| format!("fault is required: one of {}", FaultKind::ALL.map(FaultKind::name).join(", ")))?;
    let stray: Vec<&str> = spec.given().into_iter().filter(|p| !kind.params().contains(p)).collect();
    if !stray.is_empty() {
        let takes = if kind.params().is_empty() { "no parameters".to_string() } else { kind.params().join(", ") };
        return Err(format!("{kind} does not take {}; it takes {takes}", stray.join(", ")));
    }
    if !kind.per_request() && (spec.count.is_some() || spec.probability.is_some() || spec.path.is_some()) {
        return Err(format!("{kind} is not per request: count, probability and path do not apply (use for)"));
    }
    if let Some(p) = spec.probability
        && !(p > 0.0 && p <= 1.0)
    {
        return Err(format!("probability {p} must be in (0, 1], e.g. 0.3"));
    }
    if spec.count == Some(0) {
        return Err("count must be at least 1".into());
    }
    let effect = match kind {
        FaultKind::Latency => {
            let ms = spec.ms.unwrap_or(1500);
            if ms > 120_000 || spec.jitter_ms.unwrap_or(0) > 120_000 {
                return Err("ms and jitter_ms must be at most 120000 (two minutes)".into());
            }
            Effect::Latency { ms, jitter_ms: spec.jitter_ms.unwrap_or(0) }
        }
        FaultKind::Errors => {
            let status = spec.status.unwrap_or(500);
            if ![500, 502, 503, 504].contains(&status) {
                return Err(format!("status {status} is not one of 500, 502, 503, 504"));
            }
            Effect::Error { status }
        }
        FaultKind::Unavailable => {
            let retry_after = spec.retry_after.unwrap_or(5);
            if retry_after > 86_400 {
                return Err(format!("retry_after {retry_after} must be at most 86400 seconds"));
            }
            Effect::Unavailable { retry_after }
        }
        FaultKind::Reset => Effect::Reset,
        FaultKind::Truncate => Effect::Truncate,
        FaultKind::Revoke => Effect::Revoke {
            client: match &spec.client {
                None => None,
                Some(c) => Some(find_client(org, c).ok_or_else(|| format!("client '{c}': no such OAuth client"))?),
            },
        },
        FaultKind::RoleRemoved => {
            let client = match &spec.client {
                Some(c) => find_client(org, c).ok_or_else(|| format!("client '{c}': no such OAuth client"))?,
                None => org
                    .clients
                    .iter()
                    .position(|c| !c.roles.is_empty())
                    .ok_or("client: the org has no OAuth client with a role")?,
            };
            let held: Vec<usize> = org.clients[client].roles.iter().map(|g| g.role).collect();
            let role = match &spec.role {
                Some(r) => {
                    let role = find_role(org, r).ok_or_else(|| format!("role '{r}': no such role"))?;
                    if !held.contains(&role) {
                        return Err(format!("role '{r}': client '{}' does not hold it", org.clients[client].name));
                    }
                    role
                }
                None => *held.first().ok_or_else(|| format!("client '{}' holds no role", org.clients[client].name))?,
            };
            Effect::RoleRemoved { client, role }
        }
        FaultKind::PermissionRemoved => Effect::PermissionRemoved {
            role: match &spec.role {
                None => None,
                Some(r) => Some(find_role(org, r).ok_or_else(|| format!("role '{r}': no such role"))?),
            },
            permission: spec.permission.clone().unwrap_or_else(|| "analytics:conversationAggregate:view".into()),
        },
        FaultKind::QueueMoved => {
            let queue = match &spec.queue {
                Some(q) => find_queue(org, q).ok_or_else(|| format!("queue '{q}': no such queue"))?,
                None => (0..org.queues.len())
                    .min_by_key(|&i| org.queues[i].name.to_lowercase())
                    .ok_or("queue: the org has no queues")?,
            };
            let division = match &spec.division {
                Some(d) => find_division(org, d).ok_or_else(|| format!("division '{d}': no such division"))?,
                None => (0..org.divisions.len())
                    .rev()
                    .find(|&d| d != org.queues[queue].division)
                    .ok_or("division: the org has only one division; add another to move a queue to")?,
            };
            Effect::QueueMoved { queue, division }
        }
        FaultKind::ClockSkew => {
            let seconds = spec.seconds.ok_or("seconds is required (e.g. seconds=-90 or seconds=7200)")?;
            if seconds.abs() > 7 * 86_400 {
                return Err(format!("seconds {seconds} must be within a week either way"));
            }
            Effect::ClockSkew { seconds }
        }
        FaultKind::RateLimit => {
            let per_minute = spec.per_minute.ok_or("per_minute is required (e.g. per_minute=20)")?;
            if per_minute == 0 {
                return Err("per_minute must be at least 1".into());
            }
            Effect::RateLimit { per_minute }
        }
        FaultKind::SocketDrop => Effect::SocketDrop,
        FaultKind::SocketClosing => Effect::SocketClosing,
    };
    Ok((kind, effect))
}

impl FaultState {
    /// Switch a resolved fault on. A kind that holds state (skew, limit, latency) replaces
    /// an earlier one of the same kind; bursts and overlays stack.
    pub fn add(&mut self, spec: FaultSpec, kind: FaultKind, effect: Effect, now: Instant) -> ActiveFault {
        if matches!(kind, FaultKind::ClockSkew | FaultKind::RateLimit | FaultKind::Latency) {
            self.active.retain(|f| f.kind != kind);
        }
        self.next_id += 1;
        let f = ActiveFault {
            id: self.next_id,
            kind,
            until: spec.for_.map(|d| now + d),
            remaining: spec.count,
            path: spec.path.clone().unwrap_or_else(|| "/api/".into()),
            probability: spec.probability.unwrap_or(1.0),
            effect,
            spec,
            hits: 0,
        };
        // One-shot kinds act when switched on and are not kept (a socket drop is kept only
        // for its duration, during which new sockets are closed too).
        let one_shot = kind == FaultKind::Revoke
            || (matches!(kind, FaultKind::SocketDrop | FaultKind::SocketClosing) && f.until.is_none());
        if !one_shot {
            self.active.push(f.clone());
        }
        f
    }

    /// Switch off faults of `kind` (all when `None`); returns how many.
    pub fn clear(&mut self, kind: Option<FaultKind>) -> usize {
        let before = self.active.len();
        self.active.retain(|f| kind.is_some_and(|k| f.kind != k));
        before - self.active.len()
    }

    /// Drop faults whose time or count ran out; true when one that shapes the server's state
    /// (the org overlay or the clock skew) went away, so that state must be rebuilt.
    pub fn expire(&mut self, now: Instant) -> bool {
        let mut state_gone = false;
        self.active.retain(|f| {
            let alive = f.until.is_none_or(|u| u > now) && f.remaining != Some(0);
            state_gone |= !alive && (f.kind.is_overlay() || f.kind == FaultKind::ClockSkew);
            alive
        });
        state_gone
    }

    /// Decide what happens to a request for `path`. Counts are spent here.
    pub fn plan(&mut self, path: &str) -> Plan {
        let mut plan = Plan::default();
        let mut rng = rand::rng();
        for f in self.active.iter_mut().filter(|f| f.kind.per_request()) {
            if !path.starts_with(&f.path) || f.remaining == Some(0) {
                continue;
            }
            if f.probability < 1.0 && rng.random::<f64>() >= f.probability {
                continue;
            }
            let hit = match f.effect {
                Effect::Latency { ms, jitter_ms } => {
                    let extra = if jitter_ms > 0 { rng.random_range(0..=jitter_ms) } else { 0 };
                    plan.delay = Some(Duration::from_millis(ms + extra));
                    true
                }
                _ if plan.action.is_some() => false,
                Effect::Error { status } => {
                    plan.action = Some(Action::Error(status));
                    true
                }
                Effect::Unavailable { retry_after } => {
                    plan.action = Some(Action::Unavailable(retry_after));
                    true
                }
                Effect::Reset => {
                    plan.action = Some(Action::Reset);
                    true
                }
                Effect::Truncate => {
                    plan.action = Some(Action::Truncate);
                    true
                }
                _ => false,
            };
            if hit {
                f.hits += 1;
                if let Some(n) = &mut f.remaining {
                    *n -= 1;
                }
            }
        }
        plan
    }

    pub fn skew_seconds(&self) -> i64 {
        self.active
            .iter()
            .find_map(|f| match f.effect {
                Effect::ClockSkew { seconds } => Some(seconds),
                _ => None,
            })
            .unwrap_or(0)
    }

    pub fn rate_limit(&self) -> Option<u32> {
        self.active.iter().find_map(|f| match f.effect {
            Effect::RateLimit { per_minute } => Some(per_minute),
            _ => None,
        })
    }
}

/// The org as the faults leave it: roles taken from clients, permissions from roles,
/// queues moved between divisions.
pub fn overlay(base: &Org, active: &[ActiveFault]) -> Org {
    let mut org = base.clone();
    for f in active {
        match &f.effect {
            Effect::RoleRemoved { client, role } => org.clients[*client].roles.retain(|g| g.role != *role),
            Effect::PermissionRemoved { role, permission } => {
                for (i, r) in org.roles.iter_mut().enumerate() {
                    if role.is_none_or(|x| x == i) {
                        r.permissions.retain(|p| p != permission);
                    }
                }
            }
            Effect::QueueMoved { queue, division } => org.queues[*queue].division = *division,
            _ => {}
        }
    }
    org
}

impl ActiveFault {
    pub fn to_json(&self, now: Instant) -> Value {
        let mut v = serde_json::to_value(&self.spec).unwrap_or_else(|_| json!({}));
        v["id"] = json!(self.id);
        v["fault"] = json!(self.kind.name());
        v["hits"] = json!(self.hits);
        if let Some(u) = self.until {
            v["remainingSeconds"] = json!(u.saturating_duration_since(now).as_secs_f64().ceil() as u64);
        }
        if let Some(n) = self.remaining {
            v["remainingRequests"] = json!(n);
        }
        v
    }
}

/// The kinds and their parameters, for `GET /sim/faults` and `qtop sim-fault --help`.
pub fn catalogue() -> Value {
    Value::Array(
        FaultKind::ALL
            .iter()
            .map(|k| {
                let mut params: Vec<&str> = k.params().to_vec();
                params.push("for");
                if k.per_request() {
                    params.extend(["count", "probability", "path"]);
                }
                json!({"fault": k.name(), "params": params, "doc": k.doc()})
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: Value) -> FaultSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn specs_are_checked_and_defaults_filled_in() {
        let org = Org::demo();
        let (k, e) = resolve(&spec(json!({"fault": "errors"})), &org).unwrap();
        assert_eq!((k, e), (FaultKind::Errors, Effect::Error { status: 500 }));
        let (_, e) = resolve(&spec(json!({"fault": "role-removed", "client": "wallboard"})), &org).unwrap();
        let wallboard = find_client(&org, "wallboard").unwrap();
        assert!(matches!(e, Effect::RoleRemoved { client, .. } if client == wallboard));
        for (bad, needle) in [
            (json!({"fault": "errors", "status": 404}), "404"),
            (json!({"fault": "latency", "status": 500}), "latency does not take status"),
            (json!({"fault": "clock-skew"}), "seconds is required"),
            (json!({"fault": "revoke", "count": 3}), "not per request"),
            (json!({"fault": "queue-moved", "queue": "Nowhere"}), "queue 'Nowhere'"),
            (json!({"fault": "role-removed", "client": "wallboard", "role": "Agent"}), "does not hold"),
            (json!({"fault": "errors", "probability": 2.0}), "probability"),
            (json!({}), "fault is required"),
        ] {
            let e = resolve(&spec(bad.clone()), &org).unwrap_err();
            assert!(e.contains(needle), "{bad} → {e}");
        }
        assert!(serde_json::from_value::<FaultSpec>(json!({"fault": "errors", "colour": 1})).is_err());
        assert!(serde_json::from_value::<FaultSpec>(json!({"fault": "fire"})).is_err());
    }

    #[test]
    fn socket_closing_is_a_one_off_unless_it_lasts_and_takes_no_parameters() {
        let org = Org::demo();
        let s = spec(json!({"fault": "socket-closing"}));
        let (k, e) = resolve(&s, &org).unwrap();
        assert_eq!((k, &e), (FaultKind::SocketClosing, &Effect::SocketClosing));
        let mut st = FaultState::default();
        st.add(s, k, e.clone(), Instant::now());
        assert!(st.active.is_empty(), "acts once when switched on");
        st.add(spec(json!({"fault": "socket-closing", "for": "3s"})), k, e, Instant::now());
        assert_eq!(st.active.len(), 1, "with for, kept to tell new sockets too");
        let e = resolve(&spec(json!({"fault": "socket-closing", "seconds": 3})), &org).unwrap_err();
        assert!(e.contains("takes no parameters"), "{e}");
        assert!(catalogue().as_array().unwrap().iter().any(|k| k["fault"] == "socket-closing"));
    }

    #[test]
    fn counted_bursts_spend_themselves_and_expire() {
        let org = Org::demo();
        let mut st = FaultState::default();
        let s = spec(json!({"fault": "errors", "status": 503, "count": 2}));
        let (k, e) = resolve(&s, &org).unwrap();
        let now = Instant::now();
        st.add(s, k, e, now);
        assert_eq!(st.plan("/oauth/token"), Plan::default(), "only /api/ by default");
        assert_eq!(st.plan("/api/v2/routing/queues").action, Some(Action::Error(503)));
        assert_eq!(st.plan("/api/v2/routing/queues").action, Some(Action::Error(503)));
        st.expire(now);
        assert!(st.active.is_empty());
        assert_eq!(st.plan("/api/v2/routing/queues"), Plan::default());
    }

    #[test]
    fn a_skew_running_out_beside_another_fault_asks_for_a_rebuild() {
        let org = Org::demo();
        let mut st = FaultState::default();
        let now = Instant::now();
        for body in [json!({"fault": "clock-skew", "seconds": 300, "for": "10s"}), json!({"fault": "latency", "ms": 5})]
        {
            let s = spec(body);
            let (k, e) = resolve(&s, &org).unwrap();
            st.add(s, k, e, now);
        }
        assert!(!st.expire(now + Duration::from_secs(5)), "nothing ran out yet");
        assert!(st.expire(now + Duration::from_secs(11)), "the skew ran out: the Date header must follow");
        assert_eq!(st.active.len(), 1, "the latency stays");
    }

    #[test]
    fn overlays_change_the_org_and_clearing_restores_it() {
        let base = Org::demo();
        let mut st = FaultState::default();
        let s = spec(json!({"fault": "queue-moved", "queue": "Sales - Upgrades", "division": "Finance"}));
        let (k, e) = resolve(&s, &base).unwrap();
        st.add(s, k, e, Instant::now());
        let q = find_queue(&base, "Sales - Upgrades").unwrap();
        assert_eq!(overlay(&base, &st.active).queues[q].division, find_division(&base, "Finance").unwrap());
        st.clear(Some(FaultKind::QueueMoved));
        assert_eq!(overlay(&base, &st.active).queues[q].division, base.queues[q].division);
    }
}
