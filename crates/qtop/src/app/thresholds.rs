//! When a number turns amber or red. Rules are per column (by `Column::key`) with optional
//! per-queue overrides; the UI pairs every level with a marker, so colour is never the only
//! signal.

use std::time::Duration;

use crate::text::columns::{self, ColumnId, Unit};
use genesys::queries::Selector;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Level {
    #[default]
    Normal,
    Amber,
    Red,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// In the column's unit (milliseconds for durations, whole percent for percentages).
    Value(i64),
    /// The queue's own service-level goal (percent columns only).
    Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub amber: Option<Bound>,
    pub red: Option<Bound>,
    /// Trigger when the value falls below the bound (service level) instead of reaching it.
    pub below: bool,
}

impl Rule {
    pub const fn at_least(amber: i64, red: i64) -> Rule {
        Rule { amber: Some(Bound::Value(amber)), red: Some(Bound::Value(red)), below: false }
    }

    /// `target` is the queue's goal in the column's unit, when it has one.
    pub fn level(&self, value: i64, target: Option<i64>) -> Level {
        let hit = |b: Option<Bound>| {
            let limit = match b {
                Some(Bound::Value(v)) => Some(v),
                Some(Bound::Target) => target,
                None => None,
            };
            limit.is_some_and(|l| if self.below { value < l } else { value >= l })
        };
        if hit(self.red) {
            Level::Red
        } else if hit(self.amber) {
            Level::Amber
        } else {
            Level::Normal
        }
    }

    /// `≥ 5 amber, ≥ 10 red` for the help screen.
    pub fn describe(&self, unit: Unit, ascii: bool) -> String {
        let op = match (self.below, ascii) {
            (true, _) => "<",
            (false, false) => "≥",
            (false, true) => ">=",
        };
        let show = |b: Bound| match (b, unit) {
            (Bound::Target, _) => "target".to_string(),
            (Bound::Value(v), Unit::Duration) => {
                humantime::format_duration(Duration::from_secs(v as u64 / 1000)).to_string()
            }
            (Bound::Value(v), Unit::Percent) if v % 10 == 0 => format!("{}%", v / 10),
            (Bound::Value(v), Unit::Percent) => format!("{:.1}%", v as f64 / 10.0),
            (Bound::Value(v), Unit::Count) => v.to_string(),
        };
        let mut parts = vec![];
        if let Some(a) = self.amber {
            parts.push(format!("{op} {} amber", show(a)));
        }
        if let Some(r) = self.red {
            parts.push(format!("{op} {} red", show(r)));
        }
        parts.join(", ")
    }
}

type Rules = Vec<(ColumnId, Option<Rule>)>;

/// Resolved `[thresholds]`: the base rules, then per-queue overrides in file order.
#[derive(Debug, Clone)]
pub struct Thresholds {
    pub base: Rules,
    pub queues: Vec<(Selector, Rules)>,
}

/// Out of the box: the numbers supervisors watch first.
pub fn defaults() -> Rules {
    vec![
        (ColumnId::Waiting, Some(Rule::at_least(5, 10))),
        (ColumnId::Longest, Some(Rule::at_least(60_000, 180_000))),
        // Below the queue's own service-level goal is red.
        (ColumnId::ServiceLevel, Some(Rule { amber: None, red: Some(Bound::Target), below: true })),
    ]
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { base: defaults(), queues: vec![] }
    }
}

fn find(rules: &Rules, id: ColumnId) -> Option<Option<Rule>> {
    rules.iter().find(|(c, _)| *c == id).map(|(_, r)| *r)
}

impl Thresholds {
    /// Index of the first override whose selector takes this queue (file order wins).
    pub fn override_for(&self, id: &str, name: &str) -> Option<usize> {
        self.queues.iter().position(|(s, _)| s.matches_queue(id, name))
    }

    /// The rule for a column, given the queue's override (from [`Self::override_for`]).
    pub fn rule(&self, column: ColumnId, over: Option<usize>) -> Option<Rule> {
        if let Some(rules) = over.and_then(|i| self.queues.get(i)).map(|(_, r)| r)
            && let Some(r) = find(rules, column)
        {
            return r;
        }
        find(&self.base, column).flatten()
    }

    pub fn parse(table: &toml::Table) -> Result<Thresholds, String> {
        let mut t = Thresholds::default();
        for (key, value) in table {
            if key == "queues" {
                let queues = value.as_table().ok_or_else(|| {
                    "[thresholds] queues must be a table: [thresholds.queues.\"Sales*\"] waiting = { amber = 3, red = 6 }"
                        .to_string()
                })?;
                for (sel, rules) in queues {
                    let at = format!("[thresholds.queues.\"{sel}\"]");
                    let selector = Selector::parse(sel).map_err(|e| format!("{at}: {e}"))?;
                    let rules = rules.as_table().ok_or_else(|| format!("{at} must be a table of column rules"))?;
                    let mut parsed = vec![];
                    for (col, v) in rules {
                        parsed.push(parse_rule(&at, col, v)?);
                    }
                    t.queues.push((selector, parsed));
                }
                continue;
            }
            let (id, rule) = parse_rule("[thresholds]", key, value)?;
            t.base.retain(|(c, _)| *c != id);
            t.base.push((id, rule));
        }
        Ok(t)
    }
}

fn parse_rule(at: &str, key: &str, value: &toml::Value) -> Result<(ColumnId, Option<Rule>), String> {
    let col = columns::by_key(key)
        .ok_or_else(|| format!("{at} {key}: no such column; use one of: {}, or queues", columns::keys()))?;
    let here = format!("{at} {key}");
    let rule = match value {
        toml::Value::String(s) if s == "off" => None,
        toml::Value::String(s) if s == "target" => {
            if col.unit != Unit::Percent {
                return Err(format!("{here} = \"target\" only works for percentage columns"));
            }
            Some(Rule { amber: None, red: Some(Bound::Target), below: true })
        }
        toml::Value::Table(tbl) => {
            let mut rule = Rule { amber: None, red: None, below: false };
            for (k, v) in tbl {
                match k.as_str() {
                    "amber" => rule.amber = Some(parse_bound(&format!("{here}.amber"), col.unit, v)?),
                    "red" => rule.red = Some(parse_bound(&format!("{here}.red"), col.unit, v)?),
                    "below" => {
                        rule.below = v.as_bool().ok_or_else(|| format!("{here}.below must be true or false"))?;
                    }
                    other => {
                        return Err(format!("{here}: unknown key \"{other}\"; use amber, red and below"));
                    }
                }
            }
            if rule.amber.is_none() && rule.red.is_none() {
                return Err(format!("{here} sets neither amber nor red; give one, or write {key} = \"off\""));
            }
            if let (Some(Bound::Value(a)), Some(Bound::Value(r))) = (rule.amber, rule.red) {
                if !rule.below && a >= r {
                    return Err(format!("{here}: amber must be below red (or add below = true for falling values)"));
                }
                if rule.below && a <= r {
                    return Err(format!("{here}: with below = true, amber must be above red"));
                }
            }
            Some(rule)
        }
        _ => {
            return Err(format!(
                "{here} must be a table like {{ amber = 5, red = 10 }}, \"off\", or \"target\" (percentages)"
            ));
        }
    };
    Ok((col.id, rule))
}

fn parse_bound(at: &str, unit: Unit, v: &toml::Value) -> Result<Bound, String> {
    let number = |n: f64| -> Result<i64, String> {
        if n.is_finite() && n >= 0.0 { Ok(n.round() as i64) } else { Err(format!("{at} = {n} must be 0 or more")) }
    };
    match (unit, v) {
        (Unit::Percent, toml::Value::String(s)) if s == "target" => Ok(Bound::Target),
        (Unit::Duration, toml::Value::String(s)) => humantime::parse_duration(s.trim())
            .map(|d| Bound::Value(d.as_millis() as i64))
            .map_err(|_| format!("{at} = \"{s}\" is not a duration; write it like \"60s\" or \"3m\"")),
        (Unit::Duration, toml::Value::Integer(n)) => number(*n as f64).map(|s| Bound::Value(s * 1000)),
        (Unit::Duration, toml::Value::Float(n)) => number(*n * 1000.0).map(Bound::Value),
        (Unit::Percent, toml::Value::Integer(n)) if *n > 100 => Err(format!("{at} = {n}: a percentage is 0-100")),
        (Unit::Percent, toml::Value::Float(n)) if *n > 100.0 => Err(format!("{at} = {n}: a percentage is 0-100")),
        // Percent columns count per mille: 2.5% is 25.
        (Unit::Percent, toml::Value::Integer(n)) => number(*n as f64 * 10.0).map(Bound::Value),
        (Unit::Percent, toml::Value::Float(n)) => number(*n * 10.0).map(Bound::Value),
        (_, toml::Value::Integer(n)) => number(*n as f64).map(Bound::Value),
        (_, toml::Value::Float(n)) => number(*n).map(Bound::Value),
        (Unit::Duration, other) => Err(format!("{at} = {other} is not a duration; write it like \"60s\"")),
        (_, other) => Err(format!("{at} = {other} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Thresholds, String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        Thresholds::parse(&table)
    }

    #[test]
    fn levels_go_amber_then_red() {
        let r = Rule::at_least(5, 10);
        assert_eq!((r.level(4, None), r.level(5, None), r.level(10, None)), (Level::Normal, Level::Amber, Level::Red));
        let sl = Rule { amber: Some(Bound::Value(90)), red: Some(Bound::Target), below: true };
        assert_eq!(sl.level(95, Some(80)), Level::Normal);
        assert_eq!(sl.level(85, Some(80)), Level::Amber);
        assert_eq!(sl.level(79, Some(80)), Level::Red);
        assert_eq!(sl.level(79, None), Level::Amber, "no target: only the fixed bound applies");
    }

    #[test]
    fn config_rules_override_defaults_and_queues_override_the_base() {
        let t = parse(
            r#"
            waiting = { amber = 2, red = 4 }
            longest = "off"
            [queues."VIP*"]
            waiting = { red = 1 }
            [queues."Sales*"]
            longest = { amber = "30s", red = 90 }
            "#,
        )
        .unwrap();
        assert_eq!(t.rule(ColumnId::Waiting, None), Some(Rule::at_least(2, 4)));
        assert_eq!(t.rule(ColumnId::Longest, None), None);
        let vip = t.override_for("x", "VIP Concierge");
        assert_eq!(vip, Some(0));
        assert_eq!(t.rule(ColumnId::Waiting, vip).unwrap().level(1, None), Level::Red);
        let sales = t.override_for("y", "Sales - Upgrades");
        assert_eq!(t.rule(ColumnId::Longest, sales), Some(Rule::at_least(30_000, 90_000)));
        assert_eq!(t.rule(ColumnId::Waiting, sales), Some(Rule::at_least(2, 4)), "falls back to the base rule");
    }

    #[test]
    fn bad_rules_name_the_key() {
        for (text, needle) in [
            ("waitng = { amber = 1 }", "[thresholds] waitng: no such column"),
            ("waiting = { amber = 10, red = 5 }", "[thresholds] waiting: amber must be below red"),
            ("longest = { amber = \"soon\" }", "[thresholds] longest.amber = \"soon\" is not a duration"),
            ("waiting = { amber = -1 }", "waiting.amber = -1 must be 0 or more"),
            ("waiting = { yellow = 1 }", "unknown key \"yellow\""),
            ("waiting = \"target\"", "only works for percentage columns"),
            ("waiting = {}", "sets neither amber nor red"),
            ("[queues.\"[oops\"]\nwaiting = { red = 1 }", "[thresholds.queues.\"[oops\"]"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn descriptions_read_like_the_config() {
        assert_eq!(Rule::at_least(60_000, 180_000).describe(Unit::Duration, false), "≥ 1m amber, ≥ 3m red");
        assert_eq!(Rule::at_least(5, 10).describe(Unit::Count, true), ">= 5 amber, >= 10 red");
        let sl = Rule { amber: None, red: Some(Bound::Target), below: true };
        assert_eq!(sl.describe(Unit::Percent, false), "< target red");
    }
}
