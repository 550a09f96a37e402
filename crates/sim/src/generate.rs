//! `[generate]` in an org file: many queues and teams made up at load time, deterministic for
//! a seed, so a 1 000-queue org is a few lines in the repository.
//!
//! Volumes are drawn per queue; each team answers a few queues of one division and is sized
//! with Erlang C for the busiest hour (plus shift coverage and breaks), then volumes are
//! scaled so the teams add up to the requested number of agents. The result is an org
//! where most queues meet their service level most of the day, as a real one mostly does.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use super::org::{OrgError, OrgFile, QueueDef, TeamDef};
use super::staffing::agents_needed;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateDef {
    pub queues: usize,
    pub agents: usize,
    /// Divisions (by name, from `[[divisions]]`) the queues are spread over; default: all.
    #[serde(default)]
    pub divisions: Vec<String>,
    /// Queues each team answers.
    #[serde(default = "default_queues_per_team")]
    pub queues_per_team: usize,
    /// Defaults to the org's seed.
    #[serde(default)]
    pub seed: Option<u64>,
}

fn default_queues_per_team() -> usize {
    3
}

const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Service",
    "Billing",
    "Tech Support",
    "Claims",
    "Retention",
    "Orders",
    "Returns",
    "Accounts",
    "Bookings",
    "Onboarding",
    "Loyalty",
];
const LINES: &[&str] = &["North", "South", "East", "West", "Central", "Metro", "Online", "Partners", "Business", "VIP"];

/// Share of agents on shift at the busiest hour (four staggered 8.5 h shifts) and not on a
/// break: turns the Erlang answer into a head count.
const ON_SHIFT_AT_PEAK: f64 = 0.68;

struct Kind {
    media: &'static [&'static str],
    handle: (f64, f64),
    patience: f64,
    sl: (f64, u64),
    all_day: bool,
}

const KINDS: &[(f64, Kind)] = &[
    (0.62, Kind { media: &["voice"], handle: (180.0, 420.0), patience: 150.0, sl: (0.8, 20), all_day: false }),
    (
        0.12,
        Kind { media: &["voice", "callback"], handle: (240.0, 420.0), patience: 200.0, sl: (0.8, 30), all_day: false },
    ),
    (0.12, Kind { media: &["chat"], handle: (300.0, 540.0), patience: 300.0, sl: (0.8, 60), all_day: false }),
    (0.08, Kind { media: &["message"], handle: (150.0, 300.0), patience: 900.0, sl: (0.8, 120), all_day: false }),
    (0.06, Kind { media: &["email"], handle: (300.0, 600.0), patience: 86_400.0, sl: (0.9, 14_400), all_day: true }),
];

fn pick_kind(rng: &mut StdRng) -> &'static Kind {
    let mut x: f64 = rng.random();
    for (share, kind) in KINDS {
        if x < *share {
            return kind;
        }
        x -= share;
    }
    &KINDS[0].1
}

/// Append the generated queues and teams to `f`.
pub fn expand(f: &mut OrgFile, g: &GenerateDef) -> Result<(), OrgError> {
    let bad = |m: String| OrgError::Invalid(m);
    if g.queues == 0 || g.agents == 0 {
        return Err(bad("generate: queues and agents must both be at least 1".into()));
    }
    if g.queues_per_team == 0 {
        return Err(bad("generate.queues_per_team must be at least 1".into()));
    }
    let teams = g.queues.div_ceil(g.queues_per_team);
    if g.agents < teams {
        return Err(bad(format!(
            "generate: {} agents cannot staff {teams} teams; give at least {teams} agents or raise queues_per_team",
            g.agents
        )));
    }
    let divisions: Vec<String> = if g.divisions.is_empty() {
        f.divisions.iter().map(|d| d.name.clone()).collect()
    } else {
        for d in &g.divisions {
            if !f.divisions.iter().any(|x| &x.name == d) {
                return Err(bad(format!("generate.divisions: unknown division '{d}'; add it under [[divisions]]")));
            }
        }
        g.divisions.clone()
    };
    let mut rng = StdRng::seed_from_u64(g.seed.unwrap_or(f.org.seed) ^ 0x9e37_79b9_7f4a_7c15);

    let mut queues: Vec<QueueDef> = Vec::with_capacity(g.queues);
    for i in 0..g.queues {
        let kind = pick_kind(&mut rng);
        let team = i / g.queues_per_team;
        // A log-normal-ish spread: many small queues, a few busy ones.
        let peak = (8.0 * (rng.random::<f64>() * 2.4).exp()).round();
        let name = format!(
            "{} - {} {:04}",
            DEPARTMENTS[team % DEPARTMENTS.len()],
            LINES[(team / DEPARTMENTS.len() + i) % LINES.len()],
            i + 1
        );
        queues.push(QueueDef {
            name,
            id: None,
            division: (!divisions.is_empty()).then(|| divisions[team % divisions.len()].clone()),
            media: kind.media.iter().map(std::string::ToString::to_string).collect(),
            sl_percentage: kind.sl.0,
            sl_seconds: kind.sl.1,
            peak_per_hour: peak,
            handle_secs: rng.random_range(kind.handle.0..kind.handle.1).round(),
            wrap_secs: 30.0,
            patience_secs: kind.patience,
            hours: kind.all_day.then(|| "00:00-24:00".to_string()),
            priority: if kind.all_day { -1 } else { 0 },
            description: None,
        });
    }

    // Scale volumes until the Erlang head count matches the agents asked for.
    let need = |queues: &[QueueDef]| -> Vec<f64> {
        queues
            .chunks(g.queues_per_team)
            .map(|qs| {
                let arrivals: f64 = qs.iter().map(|q| q.peak_per_hour).sum();
                if arrivals <= 0.0 {
                    return 1.0;
                }
                let aht = qs.iter().map(|q| q.peak_per_hour * (q.handle_secs + q.wrap_secs)).sum::<f64>() / arrivals;
                let sl = qs.iter().map(|q| q.sl_seconds).min().unwrap_or(20) as f64;
                let target = qs.iter().map(|q| q.sl_percentage).fold(0.0, f64::max);
                (agents_needed(arrivals, aht, sl.min(aht * 4.0), target) as f64 / ON_SHIFT_AT_PEAK).max(1.0)
            })
            .collect()
    };
    for _ in 0..4 {
        let total: f64 = need(&queues).iter().sum();
        let scale = g.agents as f64 / total;
        if (scale - 1.0).abs() < 0.01 {
            break;
        }
        for q in &mut queues {
            q.peak_per_hour = (q.peak_per_hour * scale).max(0.5);
        }
    }
    let sizes = apportion(&need(&queues), g.agents);

    for (t, (qs, size)) in queues.chunks(g.queues_per_team).zip(sizes).enumerate() {
        f.teams.push(TeamDef {
            name: format!("Generated team {:04}", t + 1),
            size,
            queues: qs.iter().map(|q| q.name.clone()).collect(),
            shifts: super::org::default_shifts(),
            shift_hours: 8.5,
            division: qs[0].division.clone(),
        });
    }
    f.queues.extend(queues);
    Ok(())
}

/// Whole numbers proportional to `weights`, each at least 1, summing to `total`
/// (largest remainder).
fn apportion(weights: &[f64], total: usize) -> Vec<usize> {
    let n = weights.len();
    let spare = total - n;
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * spare as f64).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| 1 + e.floor() as usize).collect();
    let mut left = total - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Org;

    const SMALL: &str = r#"
[org]
name = "Gen"
seed = 3
[[divisions]]
name = "Home"
[[divisions]]
name = "Two"
[generate]
queues = 40
agents = 300
"#;

    #[test]
    fn generation_is_deterministic_and_sized_as_asked() {
        let a = Org::from_toml(SMALL).unwrap();
        let b = Org::from_toml(SMALL).unwrap();
        assert_eq!(a.queues.len(), 40);
        assert_eq!(a.agents.len(), 300);
        let ids = |o: &Org| o.queues.iter().map(|q| (q.id.clone(), q.peak_per_hour.to_bits())).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert!(a.queues.iter().all(|q| !q.members.is_empty()));
        assert!(a.queues.iter().any(|q| q.division == 1), "queues spread over divisions");
    }

    #[test]
    fn the_shipped_large_org_has_a_thousand_queues_and_ten_thousand_agents() {
        let org = Org::from_toml(include_str!("../orgs/large.toml")).unwrap();
        assert_eq!((org.queues.len(), org.agents.len()), (1000, 10_000));
        assert!(org.queues.iter().all(|q| !q.members.is_empty()));
        for d in 0..org.divisions.len() {
            assert!(org.queues.iter().any(|q| q.division == d), "division {d} has queues");
        }
        let media: std::collections::HashSet<&str> =
            org.queues.iter().flat_map(|q| q.media.iter().map(String::as_str)).collect();
        assert_eq!(media.len(), 5, "{media:?}");
    }

    #[test]
    fn apportion_keeps_the_total_and_a_minimum_of_one() {
        let out = apportion(&[10.0, 0.1, 5.0, 5.0], 20);
        assert_eq!(out.iter().sum::<usize>(), 20);
        assert!(out.iter().all(|n| *n >= 1));
        assert!(out[0] > out[2]);
    }

    #[test]
    fn bad_generate_sections_name_the_field() {
        let e = Org::from_toml(&SMALL.replace("agents = 300", "agents = 5")).unwrap_err().to_string();
        assert!(e.contains("generate") && e.contains("5 agents"), "{e}");
        let e = Org::from_toml(&format!("{SMALL}divisions = [\"Nope\"]\n")).unwrap_err().to_string();
        assert!(e.contains("generate.divisions") && e.contains("Nope"), "{e}");
    }
}
