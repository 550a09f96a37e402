//! The queue table's columns: one table for rendering, the help screen's explanations,
//! sorting and thresholds. Add a column here and every view gets it.

use jiff::Timestamp;

use super::format::{clock, span};
use crate::app::QueueRow;
use crate::genesys::aggregates::TodayNumbers;
use crate::genesys::queries::QueueNumbers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

pub struct Column {
    pub id: ColumnId,
    /// Name in config files and `--columns`.
    pub key: &'static str,
    pub title: &'static str,
    pub width: u16,
    /// When the terminal is too narrow, the lowest go first (the queue name keeps ~14 chars).
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
        _ if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        _ if s >= 120 && s % 60 == 0 => format!("{}m", s / 60),
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
        priority: 0,
        source: "oServiceLevel target; threshold from the queue's mediaSettings",
        meaning: "the service-level goal: this share answered within this many seconds",
        value: |r, _| permille(sl_target(r)),
        text: |r, _| target_text(r),
    },
];

/// Columns at or below this priority give way so queue names get `NAME_COMFORT` characters
/// (two queues that differ only at the end stay tellable apart); the others give way only
/// to keep the name at its minimum.
pub const MINOR: u8 = 3;
pub const NAME_COMFORT: u16 = 20;

/// The columns that fit `width` next to the queue name: the lowest priority goes first
/// (the later one among equals), the rest keep their order.
pub fn fitting(width: u16, name_min: u16) -> Vec<&'static Column> {
    let mut shown: Vec<&'static Column> = COLUMNS.iter().collect();
    let need = |cols: &[&Column], name: u16| cols.iter().map(|c| c.width + 1).sum::<u16>() + name;
    let weakest = |cols: &[&Column]| {
        cols.iter().enumerate().min_by_key(|(i, c)| (c.priority, std::cmp::Reverse(*i))).map(|(i, c)| (i, c.priority))
    };
    while need(&shown, NAME_COMFORT.max(name_min)) > width
        && let Some((i, p)) = weakest(&shown)
        && p <= MINOR
    {
        shown.remove(i);
    }
    while need(&shown, name_min) > width
        && let Some((i, _)) = weakest(&shown)
    {
        shown.remove(i);
    }
    shown
}

pub fn column(id: ColumnId) -> &'static Column {
    COLUMNS.iter().find(|c| c.id == id).expect("every ColumnId is in COLUMNS")
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
    fn narrow_terminals_drop_the_least_important_columns_first() {
        let all: u16 = COLUMNS.iter().map(|c| c.width + 1).sum();
        assert_eq!(fitting(all + NAME_COMFORT, 14).len(), COLUMNS.len());
        assert_eq!(fitting(all + 14, 14).len(), COLUMNS.len() - 1, "a minor column makes room for names");
        let at80: Vec<ColumnId> = fitting(80, 14).iter().map(|c| c.id).collect();
        for keep in [ColumnId::Waiting, ColumnId::Longest, ColumnId::ServiceLevel, ColumnId::Offered] {
            assert!(at80.contains(&keep), "{keep:?} dropped at 80: {at80:?}");
        }
        assert!(!at80.contains(&ColumnId::SlTarget));
        let used: u16 = fitting(80, 14).iter().map(|c| c.width + 1).sum();
        assert!(used + 14 <= 80);
        assert!(used + 19 <= 80, "minor columns made room for names: {}", 80 - used);
        // Order is the registry's, whatever was dropped.
        let pos = |id| COLUMNS.iter().position(|c| c.id == id).unwrap();
        assert!(at80.windows(2).all(|w| pos(w[0]) < pos(w[1])));
        assert!(fitting(10, 14).is_empty());
    }

    #[test]
    fn percentages_keep_a_decimal_only_when_small() {
        assert_eq!(percent_text(Some(34)).as_deref(), Some("3.4"));
        assert_eq!(percent_text(Some(125)).as_deref(), Some("13"));
        assert_eq!(percent_text(Some(1000)).as_deref(), Some("100"));
        assert_eq!(percent_text(None), None);
    }
}
