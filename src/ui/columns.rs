//! The queue table's columns: one table for rendering, the help screen's explanations,
//! sorting and thresholds. Add a column here and every view gets it.

use jiff::Timestamp;

use super::format::clock;
use crate::app::QueueRow;
use crate::genesys::queries::QueueNumbers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnId {
    Waiting,
    Longest,
    Alerting,
    Interacting,
    OnQueue,
    Idle,
    OffQueue,
}

/// What a column's `value` counts; thresholds in the config are read in this unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// Milliseconds (config: "90s", "3m" or a number of seconds).
    Duration,
    /// Whole percent, 0-100 (config: a number, or "target" for the queue's service-level goal).
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

pub const COLUMNS: &[Column] = &[
    Column {
        id: ColumnId::Waiting,
        key: "waiting",
        title: "Wait",
        width: 5,
        unit: Unit::Count,
        priority: 9,
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
        priority: 8,
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
];

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
}
