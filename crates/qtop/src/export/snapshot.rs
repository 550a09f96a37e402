//! `qtop snapshot`: one refresh — queue list, live numbers, today's totals — printed as JSON,
//! CSV or a table. The numbers come from the same queries and folds the monitor uses.
//!
//! The JSON shape is a contract for scripts: fields are only ever added, and `version`
//! changes when one changes meaning or goes away.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::diagnose::{self, Diagnosis, ErrorFacts, Knowledge};
use crate::monitor::queue_info;
use crate::text::format;
use genesys::aggregates::{self, TodayById};
use genesys::auth::Session;
use genesys::budget::Priority;
use genesys::client::ApiError;
use genesys::queries::{self, OBSERVATION_BATCH, QueueNumbersById, Selector};

/// Bumped when a field changes meaning or is removed (never for an added field).
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Table,
}

impl Format {
    pub fn parse(text: &str) -> Result<Format, String> {
        match text {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "table" => Ok(Format::Table),
            other => Err(format!("--format {other}: use json, csv or table")),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snapshot {
    pub version: u32,
    /// The API's clock when the live numbers were taken (its `Date` header), else ours.
    pub taken_at: Timestamp,
    pub org: String,
    /// Numbers are summed across media types.
    pub media_type: &'static str,
    pub queues: Vec<QueueSnapshot>,
    /// Selectors (`--queues`) that matched no visible queue.
    pub unmatched: Vec<String>,
}

/// One queue. `null` means the API did not say (never shown as 0).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueSnapshot {
    pub id: String,
    pub name: String,
    pub division: Option<String>,
    pub waiting: Option<u32>,
    pub interacting: Option<u32>,
    pub alerting: Option<u32>,
    pub on_queue: Option<u32>,
    pub idle: Option<u32>,
    pub not_responding: Option<u32>,
    pub off_queue: Option<u32>,
    pub longest_wait_seconds: Option<f64>,
    pub service_level_target: Option<f64>,
    pub offered_today: Option<u64>,
    pub answered_today: Option<u64>,
    pub abandoned_today: Option<u64>,
    pub asa_seconds: Option<f64>,
    pub service_level_today: Option<f64>,
}

/// A refused or failed call, diagnosed like the TUI's error log does.
#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    pub diagnosis: Diagnosis,
}

impl Failure {
    /// One line: what was refused, why, and the fix.
    pub fn line(&self) -> String {
        let mut s = format!("{} → {}: {}", self.error.request, self.error.summary(), self.diagnosis.summary);
        if !self.diagnosis.fix.is_empty() {
            let _ = write!(s, " (fix: {})", self.diagnosis.fix.replace('\n', " "));
        }
        s
    }
}

fn failed(session: &Session, error: ApiError) -> Failure {
    let diagnosis = diagnose::diagnose(&ErrorFacts::from_api_error(&error), &Knowledge::of_session(session));
    Failure { error, diagnosis }
}

/// One refresh of everything, in the org's "today".
pub async fn take(
    session: &Session,
    selectors: &[Selector],
    timezone: &jiff::tz::TimeZone,
    org: &str,
) -> Result<Snapshot, Box<Failure>> {
    let fail = |e| Box::new(failed(session, e));
    let (all, _) = queries::list_queues(session).await.map_err(fail)?;
    let (picked, unmatched) = queries::select_queues(all, selectors);
    let infos: Vec<_> = picked.iter().map(queue_info).collect();
    let ids: Vec<String> = infos.iter().map(|q| q.id.clone()).collect();
    let mut numbers = QueueNumbersById::new();
    let mut today = TodayById::new();
    let mut taken_at = None;
    for batch in ids.chunks(OBSERVATION_BATCH) {
        let (resp, meta) = queries::observe_as(session, batch, Priority::Other).await.map_err(fail)?;
        taken_at = taken_at.or(meta.server_date);
        numbers.extend(queries::parse_observations(&resp));
    }
    let now = taken_at.unwrap_or_else(Timestamp::now);
    for batch in ids.chunks(OBSERVATION_BATCH) {
        let interval = aggregates::today_interval(now, timezone);
        let (t, _) = aggregates::today_as(session, batch, interval, Priority::Other).await.map_err(fail)?;
        today.extend(t);
    }
    let queues = infos
        .into_iter()
        .map(|info| {
            let n = numbers.get(&info.id).cloned().unwrap_or_default();
            let t = today.get(&info.id);
            let longest = n.longest_waiting_ms.map(|ms| if n.waiting == Some(0) { 0.0 } else { ms as f64 / 1000.0 });
            QueueSnapshot {
                waiting: n.waiting,
                interacting: n.interacting,
                alerting: n.alerting,
                on_queue: n.on_queue,
                idle: n.idle,
                not_responding: n.not_responding,
                off_queue: n.off_queue,
                longest_wait_seconds: longest,
                service_level_target: info.sl_target.map(|(f, _)| f),
                offered_today: t.map(|t| t.offered),
                answered_today: t.map(|t| t.answered),
                abandoned_today: t.map(|t| t.abandoned),
                asa_seconds: t.and_then(genesys::aggregates::TodayNumbers::asa_ms).map(|ms| ms as f64 / 1000.0),
                service_level_today: t
                    .and_then(genesys::aggregates::TodayNumbers::sl_ratio)
                    .map(|r| (r * 10_000.0).round() / 10_000.0),
                id: info.id,
                name: info.name,
                division: info.division,
            }
        })
        .collect();
    Ok(Snapshot { version: VERSION, taken_at: now, org: org.to_string(), media_type: "all", queues, unmatched })
}

const COLUMNS: &[&str] = &[
    "id",
    "name",
    "division",
    "waiting",
    "interacting",
    "alerting",
    "on_queue",
    "idle",
    "not_responding",
    "off_queue",
    "longest_wait_seconds",
    "service_level_target",
    "offered_today",
    "answered_today",
    "abandoned_today",
    "asa_seconds",
    "service_level_today",
];

fn cells(q: &QueueSnapshot) -> Vec<String> {
    fn o<T: ToString>(v: Option<T>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    vec![
        q.id.clone(),
        q.name.clone(),
        o(q.division.clone()),
        o(q.waiting),
        o(q.interacting),
        o(q.alerting),
        o(q.on_queue),
        o(q.idle),
        o(q.not_responding),
        o(q.off_queue),
        o(q.longest_wait_seconds),
        o(q.service_level_target),
        o(q.offered_today),
        o(q.answered_today),
        o(q.abandoned_today),
        o(q.asa_seconds),
        o(q.service_level_today),
    ]
}

/// RFC 4180: quote a field holding a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

pub fn render(s: &Snapshot, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(s).unwrap_or_default() + "\n",
        Format::Csv => {
            let mut out = COLUMNS.join(",") + "\n";
            for q in &s.queues {
                out += &cells(q).iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
                out.push('\n');
            }
            out
        }
        Format::Table => table(s),
    }
}

fn table(s: &Snapshot) -> String {
    let head = ["Queue", "Wait", "Longest", "Int", "Alert", "On-Q", "Idle", "Offer", "Answ", "Aband", "ASA", "SL%"];
    let dash = || "-".to_string();
    let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(dash);
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(std::string::ToString::to_string).collect()];
    for q in &s.queues {
        // The screen's formats: the longest wait as a clock, ASA as a span (`1h04m`, not `3895s`).
        let secs = |v: Option<f64>, f: fn(Duration) -> String| {
            v.map(|v| f(Duration::from_secs(v.max(0.0).round() as u64))).unwrap_or_else(dash)
        };
        rows.push(vec![
            q.name.clone(),
            o(q.waiting.map(u64::from)),
            secs(q.longest_wait_seconds, format::clock),
            o(q.interacting.map(u64::from)),
            o(q.alerting.map(u64::from)),
            o(q.on_queue.map(u64::from)),
            o(q.idle.map(u64::from)),
            o(q.offered_today),
            o(q.answered_today),
            o(q.abandoned_today),
            secs(q.asa_seconds, format::span),
            q.service_level_today.map(|r| format!("{:.0}", r * 100.0)).unwrap_or_else(dash),
        ]);
    }
    let widths: Vec<usize> =
        (0..head.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = format!("{}  {}  ({} queues, all media)\n", s.org, s.taken_at, s.queues.len());
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(
                |(c, cell)| {
                    if c == 0 { format!("{cell:<w$}", w = widths[c]) } else { format!("{cell:>w$}", w = widths[c]) }
                },
            )
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
    }
    for u in &s.unmatched {
        let _ = writeln!(out, "no visible queue matches '{u}'");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        assert_eq!(csv_field("Sales"), "Sales");
        assert_eq!(csv_field("Sales, EN"), "\"Sales, EN\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert!(Format::parse("xml").unwrap_err().starts_with("--format xml"));
    }
}
