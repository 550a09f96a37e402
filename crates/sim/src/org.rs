//! The simulated org: divisions, roles, OAuth clients, users, queues and agent teams, read
//! from TOML (`sim/orgs/*.toml`). Ids left out of the file are derived from names, so the
//! same file always gives the same ids.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub const DEMO_ORG: &str = include_str!("../orgs/demo.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgFile {
    pub org: OrgSection,
    #[serde(default)]
    pub divisions: Vec<DivisionDef>,
    #[serde(default)]
    pub roles: Vec<RoleDef>,
    #[serde(default)]
    pub clients: Vec<ClientDef>,
    #[serde(default)]
    pub users: Vec<UserDef>,
    #[serde(default)]
    pub queues: Vec<QueueDef>,
    #[serde(default)]
    pub teams: Vec<TeamDef>,
    /// Expands into many queues and teams at load time (the large org).
    #[serde(default)]
    pub generate: Option<super::generate::GenerateDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSection {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    /// IANA zone for "today" and the arrival curve.
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Requests per token per minute before 429.
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
    /// The "Enforce scopes" org setting (off by default, as in real orgs).
    #[serde(default)]
    pub enforce_scopes: bool,
    /// Local opening hours ("HH:MM-HH:MM"); outside them the IVR offers nothing to queues.
    #[serde(default = "default_hours")]
    pub hours: String,
}

fn default_hours() -> String {
    "00:00-24:00".into()
}

fn default_tz() -> String {
    "UTC".into()
}
fn default_seed() -> u64 {
    1
}
fn default_rate() -> u32 {
    300
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DivisionDef {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    pub permissions: Vec<String>,
}

/// A role granted in some divisions (`"*"` = all divisions).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleGrantDef {
    pub role: String,
    #[serde(default = "all_divisions")]
    pub divisions: Vec<String>,
}

fn all_divisions() -> Vec<String> {
    vec!["*".into()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientDef {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    pub secret: String,
    /// `client_credentials`; `authorization_code` (confidential: the secret is required);
    /// `pkce` (a public client: no secret, a PKCE S256 challenge is required).
    pub grants: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub roles: Vec<RoleGrantDef>,
    #[serde(default = "default_lifetime")]
    pub token_lifetime_secs: u64,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "default_refresh_lifetime")]
    pub refresh_token_lifetime_secs: u64,
    /// Short name for `--as`.
    #[serde(default)]
    pub persona: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// How `--demo --as` signs in as this client persona: `client_credentials` (default),
    /// `provided_token` (another tool gets a token and hands it over in
    /// GENESYSCLOUD_ACCESS_TOKEN), or `other_region` (the right credentials sent to another
    /// region's login host, where the client does not exist).
    #[serde(default)]
    pub demo_sign_in: Option<String>,
    /// `--demo --as` runs the org with "Enforce scopes" turned on for this persona.
    #[serde(default)]
    pub demo_enforce_scopes: bool,
}

fn default_lifetime() -> u64 {
    86_400
}
fn default_refresh_lifetime() -> u64 {
    30 * 86_400
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDef {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub id: Option<String>,
    pub password: String,
    #[serde(default)]
    pub division: Option<String>,
    #[serde(default)]
    pub roles: Vec<RoleGrantDef>,
    #[serde(default)]
    pub persona: Option<String>,
    /// The OAuth client this persona signs in through.
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `--demo --as` runs the org with "Enforce scopes" turned on for this persona.
    #[serde(default)]
    pub demo_enforce_scopes: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueDef {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub division: Option<String>,
    /// Analytics media types: voice, callback, chat, email, message.
    #[serde(default = "default_media")]
    pub media: Vec<String>,
    #[serde(default = "default_sl_pct")]
    pub sl_percentage: f64,
    #[serde(default = "default_sl_secs")]
    pub sl_seconds: u64,
    /// Arrivals per hour at the busiest time of day.
    pub peak_per_hour: f64,
    #[serde(default = "default_handle")]
    pub handle_secs: f64,
    #[serde(default = "default_wrap")]
    pub wrap_secs: f64,
    /// Mean patience before a caller abandons.
    #[serde(default = "default_patience")]
    pub patience_secs: f64,
    /// Opening hours when they differ from the org's (email: "00:00-24:00").
    #[serde(default)]
    pub hours: Option<String>,
    /// Routing priority of its conversations: an agent in several queues takes the highest
    /// first, then the longest waiting (email below voice and chat, say).
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub description: Option<String>,
}

fn default_media() -> Vec<String> {
    vec!["voice".into()]
}
fn default_sl_pct() -> f64 {
    0.8
}
fn default_sl_secs() -> u64 {
    20
}
fn default_handle() -> f64 {
    240.0
}
fn default_wrap() -> f64 {
    30.0
}
fn default_patience() -> f64 {
    150.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamDef {
    pub name: String,
    pub size: usize,
    /// Queue names the team answers (all members are members of each).
    pub queues: Vec<String>,
    /// Local shift starts ("HH:MM"), given out round-robin; shifts last `shift_hours`.
    #[serde(default = "default_shifts")]
    pub shifts: Vec<String>,
    #[serde(default = "default_shift_hours")]
    pub shift_hours: f64,
    #[serde(default)]
    pub division: Option<String>,
}

/// Shift starts handed out round-robin: weighted to the morning ramp, with a late shift
/// for the evening, so staffing follows the arrival curve through the day.
pub fn default_shifts() -> Vec<String> {
    ["07:45", "08:00", "08:00", "08:30", "09:00", "09:30", "10:00", "11:00", "11:30", "12:00"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect()
}
fn default_shift_hours() -> f64 {
    8.5
}

#[derive(Debug, Error)]
pub enum OrgError {
    #[error("org file: {0}")]
    Parse(String),
    #[error("org file: {0}")]
    Invalid(String),
}

/// A stable UUID-shaped id from a kind and a name.
pub fn derive_id(kind: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

#[derive(Debug, Clone)]
pub struct Division {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// A role in a set of divisions; `None` = every division.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    pub role: usize,
    pub divisions: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub id: String,
    pub name: String,
    pub secret: String,
    pub grants: Vec<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<RoleGrant>,
    pub token_lifetime_secs: u64,
    pub refresh_token_lifetime_secs: u64,
    pub redirect_uris: Vec<String>,
    pub persona: Option<String>,
    pub description: Option<String>,
    pub demo_sign_in: Option<String>,
    pub demo_enforce_scopes: bool,
}

impl OAuthClient {
    pub fn allows(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    /// A public client signs in users without a secret and must use PKCE.
    pub fn is_public(&self) -> bool {
        self.allows("pkce")
    }

    /// Either flavour of the authorization-code grant.
    pub fn allows_code(&self) -> bool {
        self.allows("pkce") || self.allows("authorization_code")
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub division: usize,
    pub roles: Vec<RoleGrant>,
    pub persona: Option<String>,
    pub client: Option<usize>,
    pub description: Option<String>,
    pub demo_enforce_scopes: bool,
}

#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub id: String,
    pub name: String,
    pub division: usize,
    pub media: Vec<String>,
    pub sl_percentage: f64,
    pub sl_ms: i64,
    pub peak_per_hour: f64,
    pub handle_secs: f64,
    pub wrap_secs: f64,
    pub patience_secs: f64,
    /// Local minutes since midnight when arrivals start and stop.
    pub open_min: i32,
    pub close_min: i32,
    pub priority: i32,
    pub description: Option<String>,
    pub members: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct AgentSpec {
    pub id: String,
    pub name: String,
    pub email: String,
    pub division: usize,
    pub queues: Vec<usize>,
    /// Local minutes since midnight.
    pub shift_start_min: i32,
    pub shift_end_min: i32,
}

#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub timezone: jiff::tz::TimeZone,
    pub timezone_name: String,
    pub seed: u64,
    pub rate_limit_per_minute: u32,
    pub enforce_scopes: bool,
    pub divisions: Vec<Division>,
    pub roles: Vec<Role>,
    pub clients: Vec<OAuthClient>,
    pub users: Vec<User>,
    pub queues: Vec<QueueSpec>,
    pub agents: Vec<AgentSpec>,
    /// Queue id → index into `queues`.
    pub queue_index: HashMap<String, usize>,
}

pub const MEDIA: &[&str] = &["voice", "callback", "chat", "email", "message"];

const FIRST: &[&str] = &[
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Isla", "Jonas", "Kemi", "Liam", "Maya", "Noah",
    "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Adams",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fofana",
    "Garcia",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Murphy",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ulrich",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
];

impl Org {
    pub fn demo() -> Org {
        Org::from_toml(DEMO_ORG).expect("the shipped demo org is valid")
    }

    pub fn from_toml(text: &str) -> Result<Org, OrgError> {
        let file: OrgFile = toml::from_str(text).map_err(|e| OrgError::Parse(one_line(&e.to_string())))?;
        Org::build(file)
    }

    pub fn build(mut f: OrgFile) -> Result<Org, OrgError> {
        let bad = |m: String| OrgError::Invalid(m);
        if let Some(g) = f.generate.take() {
            super::generate::expand(&mut f, &g)?;
        }
        let org_hours = parse_hours(&f.org.hours).ok_or_else(|| {
            bad(format!(
                "org.hours '{}' is not HH:MM-HH:MM with opening before closing (e.g. \"07:00-21:00\")",
                f.org.hours
            ))
        })?;
        let timezone = jiff::tz::TimeZone::get(&f.org.timezone).map_err(|_| {
            bad(format!("org.timezone '{}' is not an IANA time zone (e.g. Europe/London)", f.org.timezone))
        })?;
        let mut divisions: Vec<Division> = f
            .divisions
            .iter()
            .map(|d| Division {
                id: d.id.clone().unwrap_or_else(|| derive_id("division", &d.name)),
                name: d.name.clone(),
            })
            .collect();
        if divisions.is_empty() {
            divisions.push(Division { id: derive_id("division", "Home"), name: "Home".into() });
        }
        let div_index: HashMap<&str, usize> = divisions.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect();
        let find_div = |name: &Option<String>, what: &str| -> Result<usize, OrgError> {
            match name {
                None => Ok(0),
                Some(n) => {
                    div_index.get(n.as_str()).copied().ok_or_else(|| bad(format!("{what}: unknown division '{n}'")))
                }
            }
        };
        let roles: Vec<Role> = f
            .roles
            .iter()
            .map(|r| Role {
                id: r.id.clone().unwrap_or_else(|| derive_id("role", &r.name)),
                name: r.name.clone(),
                permissions: r.permissions.clone(),
            })
            .collect();
        let grants = |defs: &[RoleGrantDef], who: &str| -> Result<Vec<RoleGrant>, OrgError> {
            defs.iter()
                .map(|g| {
                    let role = roles
                        .iter()
                        .position(|r| r.name == g.role)
                        .ok_or_else(|| bad(format!("{who}: unknown role '{}'", g.role)))?;
                    let divisions = if g.divisions.iter().any(|d| d == "*") {
                        None
                    } else {
                        Some(
                            g.divisions
                                .iter()
                                .map(|d| {
                                    div_index
                                        .get(d.as_str())
                                        .copied()
                                        .ok_or_else(|| bad(format!("{who}: unknown division '{d}'")))
                                })
                                .collect::<Result<Vec<_>, _>>()?,
                        )
                    };
                    Ok(RoleGrant { role, divisions })
                })
                .collect()
        };
        let clients = f
            .clients
            .iter()
            .map(|c| {
                Ok(OAuthClient {
                    id: c.id.clone().unwrap_or_else(|| derive_id("client", &c.name)),
                    name: c.name.clone(),
                    secret: c.secret.clone(),
                    grants: c.grants.clone(),
                    scopes: c.scopes.clone(),
                    roles: grants(&c.roles, &format!("client '{}'", c.name))?,
                    token_lifetime_secs: c.token_lifetime_secs.clamp(1, 172_800),
                    refresh_token_lifetime_secs: c.refresh_token_lifetime_secs.max(1),
                    redirect_uris: c.redirect_uris.clone(),
                    persona: c.persona.clone(),
                    description: c.description.clone(),
                    demo_sign_in: c.demo_sign_in.clone(),
                    demo_enforce_scopes: c.demo_enforce_scopes,
                })
            })
            .collect::<Result<Vec<_>, OrgError>>()?;
        for (i, c) in clients.iter().enumerate() {
            if let Some(other) = clients[..i].iter().find(|o| o.id == c.id) {
                return Err(bad(format!(
                    "clients '{}' and '{}' share the id {}: ids must be unique",
                    other.name, c.name, c.id
                )));
            }
        }
        let users = f
            .users
            .iter()
            .map(|u| {
                let client = match &u.client {
                    None => None,
                    Some(n) => Some(
                        clients
                            .iter()
                            .position(|c| &c.name == n)
                            .ok_or_else(|| bad(format!("user '{}': unknown client '{n}'", u.name)))?,
                    ),
                };
                Ok(User {
                    id: u.id.clone().unwrap_or_else(|| derive_id("user", &u.email)),
                    name: u.name.clone(),
                    email: u.email.clone(),
                    password: u.password.clone(),
                    division: find_div(&u.division, &format!("user '{}'", u.name))?,
                    roles: grants(&u.roles, &format!("user '{}'", u.name))?,
                    persona: u.persona.clone(),
                    client,
                    description: u.description.clone(),
                    demo_enforce_scopes: u.demo_enforce_scopes,
                })
            })
            .collect::<Result<Vec<_>, OrgError>>()?;
        let mut queues = f
            .queues
            .iter()
            .map(|q| {
                for m in &q.media {
                    if !MEDIA.contains(&m.as_str()) {
                        return Err(bad(format!("queue '{}': media '{m}' is not one of {}", q.name, MEDIA.join(", "))));
                    }
                }
                if q.media.is_empty() {
                    return Err(bad(format!("queue '{}': media must list at least one media type", q.name)));
                }
                if !(q.peak_per_hour >= 0.0 && q.handle_secs > 0.0 && q.patience_secs > 0.0 && q.wrap_secs >= 0.0) {
                    return Err(bad(format!("queue '{}': rates and durations must be positive", q.name)));
                }
                if !(q.sl_percentage > 0.0 && q.sl_percentage <= 1.0) {
                    return Err(bad(format!(
                        "queue '{}': sl_percentage {} must be a fraction in (0, 1], e.g. 0.8",
                        q.name, q.sl_percentage
                    )));
                }
                let (open_min, close_min) = match &q.hours {
                    None => org_hours,
                    Some(h) => parse_hours(h).ok_or_else(|| {
                        bad(format!("queue '{}': hours '{h}' is not HH:MM-HH:MM with opening before closing (e.g. \"07:00-21:00\")", q.name))
                    })?,
                };
                Ok(QueueSpec {
                    id: q.id.clone().unwrap_or_else(|| derive_id("queue", &q.name)),
                    name: q.name.clone(),
                    division: find_div(&q.division, &format!("queue '{}'", q.name))?,
                    media: q.media.clone(),
                    sl_percentage: q.sl_percentage,
                    sl_ms: (q.sl_seconds * 1000) as i64,
                    peak_per_hour: q.peak_per_hour,
                    handle_secs: q.handle_secs,
                    wrap_secs: q.wrap_secs,
                    patience_secs: q.patience_secs,
                    open_min,
                    close_min,
                    priority: q.priority,
                    description: q.description.clone(),
                    members: vec![],
                })
            })
            .collect::<Result<Vec<_>, OrgError>>()?;
        let q_index: HashMap<String, usize> = queues.iter().enumerate().map(|(i, q)| (q.name.clone(), i)).collect();
        if q_index.len() != queues.len() {
            let mut seen = std::collections::HashSet::new();
            let dup = queues.iter().find(|q| !seen.insert(&q.name)).map(|q| q.name.clone()).unwrap_or_default();
            return Err(bad(format!("queue '{dup}' is defined twice: queue names must be unique")));
        }
        let mut agents = Vec::new();
        for team in &f.teams {
            let qs = team
                .queues
                .iter()
                .map(|n| {
                    q_index.get(n).copied().ok_or_else(|| bad(format!("team '{}': unknown queue '{n}'", team.name)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let shifts = team
                .shifts
                .iter()
                .map(|s| parse_hhmm(s).ok_or_else(|| bad(format!("team '{}': shift '{s}' is not HH:MM", team.name))))
                .collect::<Result<Vec<_>, _>>()?;
            if shifts.is_empty() {
                return Err(bad(format!("team '{}': shifts must list at least one start time", team.name)));
            }
            let division = find_div(&team.division, &format!("team '{}'", team.name))?;
            for i in 0..team.size {
                let n = agents.len();
                let name = format!("{} {}", FIRST[n % FIRST.len()], LAST[(n / FIRST.len() + n * 7) % LAST.len()]);
                let email = format!(
                    "{}.{}{}@{}.example",
                    FIRST[n % FIRST.len()].to_lowercase(),
                    LAST[(n / FIRST.len() + n * 7) % LAST.len()].to_lowercase(),
                    n,
                    slug(&f.org.name)
                );
                // Spread the team evenly over the shift starts, so a small team still covers
                // the evening.
                let start = shifts[((2 * i + 1) * shifts.len() / (2 * team.size)) % shifts.len()];
                let end = start + (team.shift_hours * 60.0) as i32;
                for &q in &qs {
                    queues[q].members.push(n);
                }
                agents.push(AgentSpec {
                    id: derive_id("agent", &format!("{}#{n}", team.name)),
                    name,
                    email,
                    division,
                    queues: qs.clone(),
                    shift_start_min: start,
                    shift_end_min: end,
                });
            }
        }
        let queue_index = queues.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
        Ok(Org {
            queue_index,
            id: f.org.id.clone().unwrap_or_else(|| derive_id("org", &f.org.name)),
            name: f.org.name.clone(),
            timezone,
            timezone_name: f.org.timezone.clone(),
            seed: f.org.seed,
            rate_limit_per_minute: f.org.rate_limit_per_minute.max(1),
            enforce_scopes: f.org.enforce_scopes,
            divisions,
            roles,
            clients,
            users,
            queues,
            agents,
        })
    }

    pub fn queue_by_id(&self, id: &str) -> Option<usize> {
        self.queue_index.get(id).copied()
    }

    pub fn client_by_id(&self, id: &str) -> Option<usize> {
        self.clients.iter().position(|c| c.id == id)
    }

    /// A user by sign-in name (the email, any case).
    pub fn user_by_email(&self, email: &str) -> Option<usize> {
        self.users.iter().position(|u| u.email.eq_ignore_ascii_case(email.trim()))
    }

    /// A persona by `--as` name: a client or a user.
    pub fn persona(&self, name: &str) -> Option<Persona> {
        if let Some(i) = self.clients.iter().position(|c| c.persona.as_deref() == Some(name)) {
            return Some(Persona::Client(i));
        }
        self.users.iter().position(|u| u.persona.as_deref() == Some(name)).map(Persona::User)
    }

    pub fn personas(&self) -> Vec<(String, String)> {
        let c =
            self.clients.iter().filter_map(|c| Some((c.persona.clone()?, c.description.clone().unwrap_or_default())));
        let u = self.users.iter().filter_map(|u| Some((u.persona.clone()?, u.description.clone().unwrap_or_default())));
        c.chain(u).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    Client(usize),
    User(usize),
}

fn parse_hhmm(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// "07:00-21:00" → (420, 1260); "24:00" is allowed as an end.
fn parse_hours(s: &str) -> Option<(i32, i32)> {
    let (a, b) = s.split_once('-')?;
    let open = parse_hhmm(a)?;
    let close = if b.trim() == "24:00" { 24 * 60 } else { parse_hhmm(b)? };
    (open < close).then_some((open, close))
}

fn slug(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_org_builds_with_members_for_every_queue() {
        let org = Org::demo();
        assert!(org.queues.len() >= 12, "{}", org.queues.len());
        for q in &org.queues {
            assert!(!q.members.is_empty(), "queue {} has no agents", q.name);
        }
        let ids: std::collections::HashSet<_> = org.queues.iter().map(|q| &q.id).collect();
        assert_eq!(ids.len(), org.queues.len());
        assert!(org.persona("wallboard").is_some());
    }

    #[test]
    fn ids_are_stable_and_uuid_shaped() {
        let a = derive_id("queue", "Sales");
        assert_eq!(a, derive_id("queue", "Sales"));
        assert_ne!(a, derive_id("queue", "Support"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn bad_references_name_the_culprit() {
        let text = r#"
[org]
name = "X"
[[queues]]
name = "Q"
peak_per_hour = 10
[[teams]]
name = "T"
size = 2
queues = ["Nope"]
"#;
        let e = Org::from_toml(text).unwrap_err().to_string();
        assert!(e.contains("team 'T'") && e.contains("Nope"), "{e}");
        let e = Org::from_toml("[org]\nname='x'\ntimezone='Mars/Olympus'").unwrap_err().to_string();
        assert!(e.contains("org.timezone"), "{e}");
        let e = Org::from_toml("[org]\nname='x'\nbogus=1").unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
        let twins = "[org]\nname='x'\n[[clients]]\nname='a'\nid='1'\nsecret='s'\ngrants=[]\n[[clients]]\nname='b'\nid='1'\nsecret='s'\ngrants=[]\n";
        let e = Org::from_toml(twins).unwrap_err().to_string();
        assert!(e.contains("share the id 1"), "{e}");
    }
}
