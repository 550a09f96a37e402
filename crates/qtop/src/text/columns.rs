//! The queue table's columns: one table for rendering, the help screen's explanations,
//! sorting and thresholds. Add a column here and every view gets it.

use jiff::Timestamp;

use super::format::{clock, span};
use crate::app::QueueRow;
use genesys::aggregates::TodayNumbers;
use genesys::queries::QueueNumbers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnId {
    Waiting,
    Longest,
    Alerting,
    Interacting,
    OnQueue,
    Idle,
    OffQueue,
    Offered,
    Answered,
    Abandoned,
    AbandonRate,
    Asa,
    ServiceLevel,
    SlTarget,
}

/// What a column's `value` counts; thresholds in the config are read in this unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Milliseconds (config: "90s", "3m" or a number of seconds).
    Duration,
    /// Per mille, 0-1000, so a 3.4% abandon rate sorts right (config: whole percent, or
    /// "target" for the queue's service-level goal).
    Percent,
}

pub struct Column {
    pub id: ColumnId,
    /// Name in config files and `--columns`.
    pub key: &'static str,
    pub title: &'static str,
    pub width: u16,
    pub unit: Unit,
    /// Higher stays longer when a narrow terminal has to drop columns.
    pub priority: u8,
    /// Where the number comes from.
    pub source: &'static str,
    /// What it means, for the help screen.
    pub meaning: &'static str,
    /// The value for sorting and thresholds (durations in milliseconds); `None` = unknown.
    pub value: fn(&QueueRow, Timestamp) -> Option<i64>,
    /// How the value is shown (`None` renders as the unknown marker).
    pub text: fn(&QueueRow, Timestamp) -> Option<String>,
}

fn live(row: &QueueRow, f: fn(&QueueNumbers) -> Option<u32>) -> Option<i64> {
    row.numbers.as_ref().and_then(f).map(i64::from)
}

fn count_text(v: Option<i64>) -> Option<String> {
    v.map(|v| v.to_string())
}

fn today(row: &QueueRow, f: fn(&TodayNumbers) -> Option<i64>) -> Option<i64> {
    row.today.as_ref().and_then(f)
}

/// Per mille, so sorting and thresholds stay integers.
fn permille(ratio: Option<f64>) -> Option<i64> {
    ratio.map(|r| (r * 1000.0).round() as i64)
}

/// `3.4` under ten percent, whole percent above.
fn percent_text(permille: Option<i64>) -> Option<String> {
    permille.map(|p| if p < 100 { format!("{:.1}", p as f64 / 10.0) } else { format!("{}", (p + 5) / 10) })
}

/// The service-level target a row is held to: the API's, else the queue's configuration.
pub fn sl_target(row: &QueueRow) -> Option<f64> {
    row.today.as_ref().and_then(|t| t.sl_target).or(row.info.sl_target.map(|(pct, _)| pct))
}

/// `80/20s`: the share to answer within the threshold.
fn target_text(row: &QueueRow) -> Option<String> {
    let pct = (sl_target(row)? * 100.0).round() as i64;
    // Short enough for the column: 20s, 90s, 2m, 4h.
    let threshold = |s: u64| match s {
        _ if s >= 3600 && s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s >= 120 && s.is_multiple_of(60) => format!("{}m", s / 60),
        0..1000 => format!("{s}s"),
        _ => format!("{}m", s / 60),
    };
    match row.info.sl_target {
        Some((_, secs)) => Some(format!("{pct}/{}", threshold(secs))),
        None => Some(format!("{pct}%")),
    }
}

pub const COLUMNS: &[Column] = &[
    Column {
        id: ColumnId::Waiting,
        key: "waiting",
        title: "Wait",
        width: 5,
        unit: Unit::Count,
        priority: 10,
        source: "oWaiting (queue observations)",
        meaning: "conversations waiting in the queue right now (not the day's offered total)",
        value: |r, _| live(r, |n| n.waiting),
        text: |r, _| count_text(live(r, |n| n.waiting)),
    },
    Column {
        id: ColumnId::Longest,
        key: "longest",
        title: "Longest",
        width: 8,
        unit: Unit::Duration,
        priority: 9,
        source: "oLongestWaiting (queue observations)",
        meaning: "how long the longest-waiting conversation has waited; ticks locally between polls",
        value: |r, now| r.longest_wait(now).map(|d| d.as_millis() as i64),
        text: |r, now| r.longest_wait(now).map(clock),
    },
    Column {
        id: ColumnId::Alerting,
        key: "alerting",
        title: "Alert",
        width: 5,
        unit: Unit::Count,
        priority: 2,
        source: "oAlerting (queue observations)",
        meaning: "conversations offered to an agent and ringing, not yet answered",
        value: |r, _| live(r, |n| n.alerting),
        text: |r, _| count_text(live(r, |n| n.alerting)),
    },
    Column {
        id: ColumnId::Interacting,
        key: "interacting",
        title: "Int",
        width: 4,
        unit: Unit::Count,
        priority: 5,
        source: "oInteracting (queue observations)",
        meaning: "conversations from this queue connected to an agent now",
        value: |r, _| live(r, |n| n.interacting),
        text: |r, _| count_text(live(r, |n| n.interacting)),
    },
    Column {
        id: ColumnId::OnQueue,
        key: "on_queue",
        title: "On-Q",
        width: 5,
        unit: Unit::Count,
        priority: 6,
        source: "oOnQueueUsers (sum over routing statuses)",
        meaning: "members on queue: idle, interacting, or not responding",
        value: |r, _| live(r, |n| n.on_queue),
        text: |r, _| count_text(live(r, |n| n.on_queue)),
    },
    Column {
        id: ColumnId::Idle,
        key: "idle",
        title: "Idle",
        width: 5,
        unit: Unit::Count,
        priority: 7,
        source: "oUserRoutingStatuses, qualifier IDLE",
        meaning: "members on queue and free to take the next conversation",
        value: |r, _| live(r, |n| n.idle),
        text: |r, _| count_text(live(r, |n| n.idle)),
    },
    Column {
        id: ColumnId::OffQueue,
        key: "off_queue",
        title: "Off",
        width: 4,
        unit: Unit::Count,
        priority: 3,
        source: "oOffQueueUsers (queue observations)",
        meaning: "members signed in but off queue (break, meal, meeting, available)",
        value: |r, _| live(r, |n| n.off_queue),
        text: |r, _| count_text(live(r, |n| n.off_queue)),
    },
    Column {
        id: ColumnId::Offered,
        key: "offered",
        title: "Offer",
        width: 5,
        unit: Unit::Count,
        priority: 8,
        source: "nOffered (conversation aggregates, today)",
        meaning: "conversations offered to the queue since the org's midnight",
        value: |r, _| today(r, |t| Some(t.offered as i64)),
        text: |r, _| count_text(today(r, |t| Some(t.offered as i64))),
    },
    Column {
        id: ColumnId::Answered,
        key: "answered",
        title: "Answ",
        width: 5,
        unit: Unit::Count,
        priority: 1,
        source: "tAnswered count (conversation aggregates, today)",
        meaning: "conversations answered by an agent today",
        value: |r, _| today(r, |t| Some(t.answered as i64)),
        text: |r, _| count_text(today(r, |t| Some(t.answered as i64))),
    },
    Column {
        id: ColumnId::Abandoned,
        key: "abandoned",
        title: "Aband",
        width: 5,
        unit: Unit::Count,
        priority: 4,
        source: "tAbandon count (conversation aggregates, today)",
        meaning: "callers who hung up while waiting in the queue today",
        value: |r, _| today(r, |t| Some(t.abandoned as i64)),
        text: |r, _| count_text(today(r, |t| Some(t.abandoned as i64))),
    },
    Column {
        id: ColumnId::AbandonRate,
        key: "abandon_rate",
        title: "Ab%",
        width: 4,
        unit: Unit::Percent,
        priority: 6,
        source: "tAbandon count / nOffered (today)",
        meaning: "share of today's offered conversations that were abandoned",
        value: |r, _| permille(r.today.as_ref().and_then(TodayNumbers::abandon_ratio)),
        text: |r, _| percent_text(permille(r.today.as_ref().and_then(TodayNumbers::abandon_ratio))),
    },
    Column {
        id: ColumnId::Asa,
        key: "asa",
        title: "ASA",
        width: 6,
        unit: Unit::Duration,
        priority: 5,
        source: "tAnswered sum / count (today)",
        meaning: "average speed of answer: how long answered conversations waited today",
        value: |r, _| today(r, |t| t.asa_ms().map(|ms| ms as i64)),
        text: |r, _| r.today.as_ref()?.asa_ms().map(|ms| span(std::time::Duration::from_millis(ms))),
    },
    Column {
        id: ColumnId::ServiceLevel,
        key: "service_level",
        title: "SL%",
        width: 4,
        unit: Unit::Percent,
        priority: 9,
        source: "oServiceLevel ratio (conversation aggregates, today)",
        meaning: "share answered within the queue's service-level threshold today; red below the target",
        value: |r, _| permille(r.today.as_ref().and_then(TodayNumbers::sl_ratio)),
        text: |r, _| permille(r.today.as_ref().and_then(TodayNumbers::sl_ratio)).map(|p| ((p + 5) / 10).to_string()),
    },
    Column {
        id: ColumnId::SlTarget,
        key: "sl_target",
        title: "Target",
        width: 6,
        unit: Unit::Percent,
        priority: 0,
        source: "oServiceLevel target; threshold from the queue's mediaSettings",
        meaning: "the service-level goal: this share answered within this many seconds",
        value: |r, _| permille(sl_target(r)),
        text: |r, _| target_text(r),
    },
];

impl Column {
    /// From today's conversation aggregates (slower cadence) rather than live observations.
    pub fn is_totals(&self) -> bool {
        matches!(
            self.id,
            ColumnId::Offered
                | ColumnId::Answered
                | ColumnId::Abandoned
                | ColumnId::AbandonRate
                | ColumnId::Asa
                | ColumnId::ServiceLevel
                | ColumnId::SlTarget
        )
    }
}

pub fn column(id: ColumnId) -> &'static Column {
    COLUMNS.iter().find(|c| c.id == id).expect("every ColumnId is in COLUMNS")
}

/// The column a config file or flag names (`Column::key`).
pub fn by_key(key: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.key.eq_ignore_ascii_case(key.trim()))
}

/// Every key, for error messages that list the choices.
pub fn keys() -> String {
    COLUMNS.iter().map(|c| c.key).collect::<Vec<_>>().join(", ")
}

/// Resolve a list of column keys; the error names the bad one and the choices.
pub fn parse_list(keys_in: &[String], what: &str) -> Result<Vec<ColumnId>, String> {
    let mut out = vec![];
    for k in keys_in {
        let c = by_key(k).ok_or_else(|| format!("{what}: no column \"{k}\"; use some of: {}", keys()))?;
        if !out.contains(&c.id) {
            out.push(c.id);
        }
    }
    if out.is_empty() {
        return Err(format!("{what} is empty; name at least one of: {}", keys()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_titles_are_unique() {
        for (i, c) in COLUMNS.iter().enumerate() {
            for d in &COLUMNS[i + 1..] {
                assert_ne!(c.key, d.key);
                assert_ne!(c.title, d.title);
                assert_ne!(c.id, d.id);
            }
            assert!(c.title.len() as u16 <= c.width, "{} wider than its column", c.title);
            assert_eq!(column(c.id).key, c.key);
        }
    }

    #[test]
    fn percentages_keep_a_decimal_only_when_small() {
        assert_eq!(percent_text(Some(34)).as_deref(), Some("3.4"));
        assert_eq!(percent_text(Some(125)).as_deref(), Some("13"));
        assert_eq!(percent_text(Some(1000)).as_deref(), Some("100"));
        assert_eq!(percent_text(None), None);
    }
}
