//! Application state and the pure update function: event in, state changed, commands out.
//! No I/O here; the UI renders from `&App` only.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::event::{Activity, Command, Event, MonitorEvent, QueueInfo};
use crate::genesys::aggregates::TodayNumbers;
use crate::genesys::auth::{AuthPhase, AuthStatus, Grant};
use crate::genesys::client::RateHeaders;
use crate::genesys::queries::QueueNumbers;
use crate::keys::{self, Action};

mod errors;
pub use errors::{ERROR_LOG_CAP, ErrorEntry, ErrorLog};

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub info: QueueInfo,
    pub numbers: Option<QueueNumbers>,
    pub observed_at: Option<Timestamp>,
    /// Today's totals; `None` until the first answer, or while the API refuses them.
    pub today: Option<TodayNumbers>,
    pub today_at: Option<Timestamp>,
}

impl QueueRow {
    /// Longest wait now: the observed value plus the time since it was observed, so the
    /// clock keeps ticking between polls.
    pub fn longest_wait(&self, now: Timestamp) -> Option<Duration> {
        let n = self.numbers.as_ref()?;
        let ms = n.longest_waiting_ms?;
        if ms == 0 || n.waiting == Some(0) {
            return Some(Duration::ZERO);
        }
        let since = self.observed_at.map(|t| now.duration_since(t)).unwrap_or_default();
        let since = Duration::try_from(since).unwrap_or_default();
        Some(Duration::from_millis(ms) + since)
    }

    pub fn age(&self, now: Timestamp) -> Option<Duration> {
        self.observed_at.map(|t| Duration::try_from(now.duration_since(t)).unwrap_or_default())
    }
}

/// What the header says about the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Connecting,
    Live,
    Stale,
    AuthFailed(String),
    Failing(String),
}

#[derive(Debug, Clone)]
pub struct App {
    pub now: Timestamp,
    pub org_label: String,
    pub grant: Grant,
    pub refresh: Duration,
    /// How often today's totals are fetched (their staleness is judged against it).
    pub totals_refresh: Duration,
    pub auth: AuthStatus,
    pub queues: Vec<QueueRow>,
    pub queues_loaded: bool,
    pub unmatched: Vec<String>,
    pub errors: ErrorLog,
    /// The last poll failed (cleared by the next success).
    pub last_failure: Option<(Activity, String)>,
    pub last_update: Option<Timestamp>,
    pub skipped_ticks: u64,
    pub rate: Option<RateHeaders>,
    pub selected: usize,
    pub show_help: bool,
    pub ascii: bool,
    pub color: bool,
    pub should_quit: bool,
    dirty: bool,
    drawn_second: i64,
}

impl App {
    pub fn new(org_label: String, grant: Grant, refresh: Duration, now: Timestamp) -> App {
        App {
            now,
            org_label,
            grant,
            refresh,
            totals_refresh: Duration::from_secs(30),
            auth: AuthStatus { phase: AuthPhase::NotSignedIn, token: None, signed_in_at: None, sign_ins: 0 },
            queues: vec![],
            queues_loaded: false,
            unmatched: vec![],
            errors: ErrorLog::default(),
            last_failure: None,
            last_update: None,
            skipped_ticks: 0,
            rate: None,
            selected: 0,
            show_help: false,
            ascii: false,
            color: true,
            should_quit: false,
            dirty: true,
            drawn_second: now.as_second(),
        }
    }

    /// True once per change; the loop draws only then.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::replace(&mut self.dirty, false)
    }

    pub fn health(&self) -> Health {
        if let AuthPhase::Failed(why) = &self.auth.phase {
            return Health::AuthFailed(why.clone());
        }
        match (self.last_update, &self.last_failure) {
            (None, Some((_, why))) => Health::Failing(why.clone()),
            (None, None) => Health::Connecting,
            (Some(t), failure) => {
                let age = Duration::try_from(self.now.duration_since(t)).unwrap_or_default();
                if age > self.refresh * 3 {
                    match failure {
                        Some((_, why)) => Health::Failing(why.clone()),
                        None => Health::Stale,
                    }
                } else {
                    Health::Live
                }
            }
        }
    }

    pub fn update(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Key(k) => match keys::action_for(&k) {
                Some(a) => self.act(a),
                None => vec![],
            },
            Event::Resize(..) => {
                self.dirty = true;
                vec![]
            }
            Event::Tick(now) => {
                self.now = now;
                // Countdowns and the longest-wait clock show whole seconds.
                if now.as_second() != self.drawn_second {
                    self.drawn_second = now.as_second();
                    self.dirty = true;
                }
                vec![]
            }
            Event::Monitor(m) => {
                self.dirty = true;
                self.on_monitor(m);
                vec![]
            }
            Event::Quit(_) => {
                self.should_quit = true;
                vec![Command::Quit]
            }
        }
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        self.dirty = true;
        match action {
            Action::Quit => {
                self.should_quit = true;
                vec![Command::Quit]
            }
            Action::Refresh => vec![Command::RefreshNow],
            Action::Up => {
                self.selected = self.selected.saturating_sub(1);
                vec![]
            }
            Action::Down => {
                if self.selected + 1 < self.queues.len() {
                    self.selected += 1;
                }
                vec![]
            }
            Action::Help => {
                self.show_help = !self.show_help;
                vec![]
            }
        }
    }

    fn on_monitor(&mut self, m: MonitorEvent) {
        match m {
            MonitorEvent::Auth(status) => self.auth = status,
            MonitorEvent::Queues { queues, unmatched, .. } => {
                let mut rows: Vec<QueueRow> = queues
                    .into_iter()
                    .map(|info| {
                        // Keep numbers already shown for queues that are still there.
                        let old = self.queues.iter().find(|r| r.info.id == info.id);
                        QueueRow {
                            numbers: old.and_then(|r| r.numbers.clone()),
                            observed_at: old.and_then(|r| r.observed_at),
                            today: old.and_then(|r| r.today.clone()),
                            today_at: old.and_then(|r| r.today_at),
                            info,
                        }
                    })
                    .collect();
                rows.sort_by_key(|r| r.info.name.to_lowercase());
                self.queues = rows;
                self.queues_loaded = true;
                self.unmatched = unmatched;
                self.selected = self.selected.min(self.queues.len().saturating_sub(1));
                if matches!(self.last_failure, Some((Activity::QueueList, _))) {
                    self.last_failure = None;
                }
            }
            MonitorEvent::Observations { queue_ids, numbers, at } => {
                for row in self.queues.iter_mut().filter(|r| queue_ids.contains(&r.info.id)) {
                    // A queue the API left out of the results has nothing reported: unknown.
                    row.numbers = Some(numbers.get(&row.info.id).cloned().unwrap_or_default());
                    row.observed_at = Some(at);
                }
                self.last_update = Some(at);
                self.last_failure = None;
            }
            MonitorEvent::Totals { queue_ids, today, at } => {
                for row in self.queues.iter_mut().filter(|r| queue_ids.contains(&r.info.id)) {
                    row.today = today.get(&row.info.id).cloned();
                    row.today_at = Some(at);
                }
            }
            MonitorEvent::Failed { activity: Activity::Totals, error, at } => {
                // The live columns and the health in the header are about observations; a
                // refusal (403, 400) blanks the totals, a passing failure leaves them to age.
                if !error.is_transient() {
                    for row in &mut self.queues {
                        row.today = None;
                        row.today_at = None;
                    }
                }
                self.errors.record(Activity::Totals, *error, at);
            }
            MonitorEvent::Failed { activity, error, at } => {
                self.last_failure = Some((activity.clone(), error.summary()));
                self.errors.record(activity, *error, at);
            }
            MonitorEvent::Skipped { .. } => self.skipped_ticks += 1,
            MonitorEvent::Rate { rate, .. } => self.rate = Some(rate),
        }
    }

    /// Seconds since `t`, never negative.
    pub fn since(&self, t: Timestamp) -> Duration {
        Duration::try_from(self.now.duration_since(t)).unwrap_or_default()
    }

    /// Time left on the token, when known.
    pub fn token_left(&self) -> Option<SignedDuration> {
        let exp = self.auth.token.as_ref()?.expires_at?;
        Some(exp.duration_since(self.now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::catalog::EndpointId;
    use crate::genesys::client::{ApiError, ErrorKind, Request};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::collections::BTreeMap;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn app() -> App {
        let mut a =
            App::new("test".into(), Grant::ClientCredentials, Duration::from_secs(1), t("2026-11-25T10:00:00Z"));
        a.update(Event::Monitor(MonitorEvent::Queues {
            queues: vec![
                QueueInfo { id: "b".into(), name: "Billing".into(), division: None, sl_target: None },
                QueueInfo { id: "a".into(), name: "Accounts".into(), division: None, sl_target: None },
            ],
            unmatched: vec![],
            at: t("2026-11-25T10:00:00Z"),
        }));
        a
    }

    fn key(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn err403() -> ApiError {
        ApiError {
            request: Request::new(EndpointId::QueueObservations).line(),
            kind: ErrorKind::Api { status: 403, body: None, raw: "no".into() },
            meta: None,
        }
    }

    #[test]
    fn keys_produce_commands() {
        let mut a = app();
        assert_eq!(a.update(key('r')), vec![Command::RefreshNow]);
        assert_eq!(a.update(key('q')), vec![Command::Quit]);
        assert!(a.should_quit);
    }

    #[test]
    fn observations_fill_rows_and_missing_queues_stay_unknown() {
        let mut a = app();
        let mut numbers = BTreeMap::new();
        numbers.insert(
            "a".to_string(),
            QueueNumbers { waiting: Some(4), longest_waiting_ms: Some(30_000), ..Default::default() },
        );
        let at = t("2026-11-25T10:00:01Z");
        a.update(Event::Monitor(MonitorEvent::Observations { queue_ids: vec!["a".into(), "b".into()], numbers, at }));
        assert_eq!(a.queues[0].info.name, "Accounts");
        assert_eq!(a.queues[0].numbers.as_ref().unwrap().waiting, Some(4));
        assert_eq!(a.queues[1].numbers.as_ref().unwrap().waiting, None);
        a.update(Event::Tick(t("2026-11-25T10:00:06Z")));
        assert_eq!(a.queues[0].longest_wait(a.now), Some(Duration::from_secs(35)), "ticks between polls");
        assert_eq!(a.health(), Health::Stale);
    }

    #[test]
    fn identical_errors_fold_into_one_row() {
        let mut a = app();
        for s in 1..=3 {
            a.update(Event::Monitor(MonitorEvent::Failed {
                activity: Activity::Observations,
                error: Box::new(err403()),
                at: t(&format!("2026-11-25T10:00:0{s}Z")),
            }));
        }
        assert_eq!(a.errors.len(), 1);
        let e = a.errors.get(0).unwrap();
        assert_eq!((e.count, e.first_seen, e.last_seen), (3, t("2026-11-25T10:00:01Z"), t("2026-11-25T10:00:03Z")));
        assert!(matches!(a.health(), Health::Failing(_)));
    }

    fn totals_for(ids: &[&str]) -> Event {
        let today = ids
            .iter()
            .map(|id| (id.to_string(), TodayNumbers { offered: 10, answered: 9, abandoned: 1, ..Default::default() }))
            .collect();
        Event::Monitor(MonitorEvent::Totals {
            queue_ids: ids.iter().map(|s| s.to_string()).collect(),
            today,
            at: t("2026-11-25T10:00:02Z"),
        })
    }

    fn totals_error(status: u16) -> Event {
        Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Totals,
            error: Box::new(ApiError {
                request: Request::new(EndpointId::ConversationAggregates).line(),
                kind: ErrorKind::Api { status, body: None, raw: String::new() },
                meta: None,
            }),
            at: t("2026-11-25T10:00:03Z"),
        })
    }

    #[test]
    fn totals_fill_their_rows_and_survive_a_queue_list_refresh() {
        let mut a = app();
        a.update(totals_for(&["a"]));
        assert_eq!(a.queues[0].today.as_ref().map(|n| n.offered), Some(10));
        assert!(a.queues[1].today.is_none(), "not in the batch: untouched");
        a.update(Event::Monitor(MonitorEvent::Queues {
            queues: vec![QueueInfo { id: "a".into(), name: "Accounts".into(), division: None, sl_target: None }],
            unmatched: vec![],
            at: t("2026-11-25T10:05:00Z"),
        }));
        assert_eq!(a.queues[0].today.as_ref().map(|n| n.answered), Some(9));
    }

    #[test]
    fn refused_totals_blank_the_totals_but_not_the_live_numbers_or_health() {
        let mut a = app();
        let numbers = BTreeMap::from([("a".to_string(), QueueNumbers { waiting: Some(1), ..Default::default() })]);
        a.update(Event::Monitor(MonitorEvent::Observations {
            queue_ids: vec!["a".into(), "b".into()],
            numbers,
            at: t("2026-11-25T10:00:01Z"),
        }));
        a.update(totals_for(&["a", "b"]));
        a.update(totals_error(503));
        assert!(a.queues[0].today.is_some(), "a passing failure leaves the totals to age");
        a.update(totals_error(403));
        assert!(a.queues.iter().all(|r| r.today.is_none()));
        assert_eq!(a.queues[0].numbers.as_ref().unwrap().waiting, Some(1));
        assert_eq!(a.last_failure, None, "the header's health is about live numbers");
        assert_eq!(a.errors.get(0).unwrap().activity, Activity::Totals);
    }

    #[test]
    fn ticks_mark_dirty_once_per_second() {
        let mut a = app();
        a.take_dirty();
        a.update(Event::Tick(t("2026-11-25T10:00:00.5Z")));
        assert!(!a.take_dirty());
        a.update(Event::Tick(t("2026-11-25T10:00:01.1Z")));
        assert!(a.take_dirty());
    }
}
