//! The TUI's state: the [`Model`] (what the org says, shared with the exporter and
//! `qtop snapshot`) and the screen around it (keymap, focus and panes, filter, sort, views,
//! wall, detail, help, the sign-in prompt's paste line, the last frame's viewport). Updates
//! are pure: event in, state changed, commands out. The UI renders from `&App` only.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::diagnose::Cause;
use crate::event::{Activity, Command, Event, MonitorEvent, QueueInfo};
use crate::keys::{Component, Keymap};
use genesys::aggregates::TodayNumbers;
use genesys::auth::{AuthPhase, Grant};
use genesys::queries::QueueNumbers;

mod actions;
mod errors;
mod filter;
mod health;
mod model;
mod rows;
mod settings;
mod thresholds;
pub mod token;
mod view;
pub use errors::{ERROR_LOG_CAP, ErrorEntry, ErrorLog, Severity};
pub use filter::Filter;
pub use health::{Freshness, Health, Problem, word};
pub use model::Model;
pub use settings::{BigDigits, MAX_VIEWS, Sort, UiSettings, ViewDef, WallSettings};
pub use thresholds::{Bound, Level, Rule, Thresholds};
pub use view::{Detail, Frozen, Members, Pane, QueueDetail, UiState, Viewport, Wall};

/// How often an open queue detail fetches its members again.
pub const MEMBERS_REFRESH: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub info: QueueInfo,
    pub numbers: Option<QueueNumbers>,
    pub observed_at: Option<Timestamp>,
    /// Today's totals; `None` until the first answer, or while the API refuses them.
    pub today: Option<TodayNumbers>,
    pub today_at: Option<Timestamp>,
    /// When the queue list first named this queue: a queue with no numbers yet ages from here.
    pub listed_at: Timestamp,
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

    /// How old what the row shows is: its numbers' age, or since it was listed when it has
    /// none yet.
    pub fn staleness(&self, now: Timestamp) -> Duration {
        Duration::try_from(now.duration_since(self.observed_at.unwrap_or(self.listed_at))).unwrap_or_default()
    }
}

/// A poller waiting out a backoff or a `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub activity: Activity,
    pub attempt: u32,
    pub next: Timestamp,
    pub rate_limited: bool,
}

/// A background task that panicked: being restarted, or given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDown {
    pub task: crate::supervise::Task,
    pub why: String,
    /// When it is started again; `None` once the supervisor gave it up.
    pub restart_at: Option<Timestamp>,
    pub failures: u32,
}

/// A refusal that may go away (a role or permission taken mid-run): remembered so its end is
/// noticed and logged, and served by the exporter while it lasts.
#[derive(Debug, Clone)]
pub struct Refused {
    pub activity: Activity,
    pub cause: Cause,
    summary: String,
    /// The permissions (or scopes) the diagnosis names as missing.
    pub missing: Vec<String>,
    pub endpoint: genesys::catalog::EndpointId,
}

/// The TUI's whole state: the model, and the screen's state around it. It reads the model's
/// fields and methods through `Deref`, so drawing code says `app.queues` as before.
#[derive(Debug, Clone)]
pub struct App {
    pub model: Model,
    pub ascii: bool,
    pub color: bool,
    pub should_quit: bool,
    /// Terminal size (columns, rows), for paging.
    pub size: (u16, u16),
    pub settings: UiSettings,
    pub keymap: Keymap,
    pub ui: UiState,
    /// Whether the token pane shows, and the sign-in prompt's paste line.
    pub token_pane: token::TokenPane,
    /// Queue id → its `[thresholds.queues]` override, resolved when the queue list changes.
    overrides: HashMap<String, Option<usize>>,
    dirty: bool,
    drawn_second: i64,
    /// The model's log news already seen: new news opens the error log.
    log_news_seen: u64,
}

impl std::ops::Deref for App {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl std::ops::DerefMut for App {
    fn deref_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

impl App {
    pub fn new(org_label: String, grant: Grant, refresh: Duration, now: Timestamp) -> App {
        App {
            model: Model::new(org_label, grant, refresh, now),
            ascii: false,
            color: true,
            should_quit: false,
            size: (80, 24),
            settings: UiSettings::default(),
            keymap: Keymap::default(),
            ui: UiState::default(),
            token_pane: token::TokenPane::default(),
            overrides: HashMap::new(),
            dirty: true,
            drawn_second: now.as_second(),
            log_news_seen: 0,
        }
    }

    /// Apply the screen settings from the config (start view, wall mode, wall quit keys).
    pub fn configure(&mut self, settings: UiSettings, timezone: jiff::tz::TimeZone) {
        self.keymap = Keymap::new(&settings.wall.quit_keys);
        self.ui.sort = settings.sort;
        if let Some(v) = settings.start_view.filter(|v| *v < settings.views.len()) {
            self.ui.view = Some(v);
            self.ui.sort = settings.views[v].sort.unwrap_or(settings.sort);
        }
        if settings.start_wall {
            self.ui.wall = Some(Wall { kiosk: true, since: self.now });
        }
        self.settings = settings;
        self.timezone = timezone;
        self.refresh_overrides();
        self.recompute();
        self.dirty = true;
    }

    /// Components that get keys now, topmost first.
    pub fn key_stack(&self) -> Vec<Component> {
        if self.ui.wall.is_some() {
            return vec![Component::Wall];
        }
        if self.ui.show_help {
            return vec![Component::Help];
        }
        if self.ui.filter.editing {
            return vec![Component::Filter];
        }
        if self.ui.detail.is_some() {
            return vec![Component::Detail, Component::Global];
        }
        match self.ui.focus {
            Pane::Queues => vec![Component::Queues, Component::Global],
            Pane::Errors => vec![Component::ErrorLog, Component::Global],
            Pane::Token => vec![Component::Global],
        }
    }

    /// True once per change; the loop draws only then.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::replace(&mut self.dirty, false)
    }

    /// The status word: [`Health::Frozen`] while the screen is held, else [`Model::live_health`].
    pub fn health(&self) -> Health {
        if self.ui.frozen.is_some() {
            return Health::Frozen;
        }
        self.live_health()
    }

    pub fn update(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Key(k) => {
                // The sign-in prompt, when open, takes the keys before any table.
                if let AuthPhase::AwaitingUser(prompt) = &self.model.auth.phase
                    && let Some(commands) = self.token_pane.prompt_key(prompt, &k)
                {
                    self.dirty = true;
                    return commands;
                }
                let stack = self.key_stack();
                match self.keymap.action(&stack, &k) {
                    Some(a) => self.act(stack[0], a),
                    None => vec![],
                }
            }
            Event::Paste(text) => {
                // Pasted text is input for the sign-in prompt and nothing else: a pasted
                // address must never act as a run of hotkeys (its `q` would quit).
                if let AuthPhase::AwaitingUser(prompt) = &self.model.auth.phase
                    && prompt.accepts_paste
                {
                    self.token_pane.paste_text(&text);
                    self.dirty = true;
                }
                vec![]
            }
            Event::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                vec![]
            }
            Event::Tick(now) => {
                self.model.apply(Event::Tick(now));
                // Countdowns and the longest-wait clock show whole seconds.
                if now.as_second() != self.drawn_second {
                    self.drawn_second = now.as_second();
                    self.dirty = true;
                }
                self.members_due()
            }
            Event::Monitor(m) => {
                self.dirty = true;
                // Only these change which rows show or how they sort (budget, plan, auth and
                // retry news arrive every second or so and change neither).
                let rows_change = matches!(
                    m,
                    MonitorEvent::Queues { .. }
                        | MonitorEvent::Observations { .. }
                        | MonitorEvent::Totals { .. }
                        | MonitorEvent::Failed { .. }
                );
                let commands = self.on_monitor(m);
                // The log opens by itself on news (an error, a warning), unless the user chose.
                if self.model.log_news != self.log_news_seen {
                    self.log_news_seen = self.model.log_news;
                    if !self.ui.error_log_touched {
                        self.ui.show_error_log = true;
                    }
                }
                if rows_change {
                    self.recompute();
                }
                commands
            }
            Event::Quit(_) => {
                self.should_quit = true;
                vec![Command::Quit]
            }
        }
    }

    /// The model takes the monitor's news; the screen keeps what only it shows (the open queue
    /// detail's members) and ends a sign-in prompt's paste line with the prompt.
    fn on_monitor(&mut self, m: MonitorEvent) -> Vec<Command> {
        match m {
            MonitorEvent::Auth(status) => {
                if !matches!(status.phase, AuthPhase::AwaitingUser(_)) {
                    self.token_pane.paste = Default::default();
                    self.token_pane.copied = false;
                }
                self.model.apply(Event::Monitor(MonitorEvent::Auth(status)))
            }
            MonitorEvent::Members { queue_id, result, at } => {
                let outcome = match result {
                    Ok(members) => Members::Loaded { members, at },
                    Err(e) => {
                        let why = e.summary();
                        self.model.record_error(Activity::Members, *e, at);
                        Members::Failed { why, at }
                    }
                };
                if let Some(Detail::Queue(d)) = &mut self.ui.detail
                    && d.queue_id == queue_id
                {
                    d.members = outcome;
                    d.fetching = false;
                }
                vec![]
            }
            m => {
                let queues = matches!(m, MonitorEvent::Queues { .. });
                let commands = self.model.apply(Event::Monitor(m));
                // Each listed queue's `[thresholds.queues]` override, once per list.
                if queues {
                    self.refresh_overrides();
                }
                commands
            }
        }
    }

    /// Keep an open queue detail fresh without a key press.
    fn members_due(&mut self) -> Vec<Command> {
        if self.ui.wall.is_some() {
            return vec![];
        }
        let now = self.now;
        match &mut self.ui.detail {
            Some(Detail::Queue(d)) if !d.fetching => match d.members {
                Members::Loaded { at, .. }
                    if now.duration_since(at) >= SignedDuration::try_from(MEMBERS_REFRESH).unwrap_or_default() =>
                {
                    d.fetching = true;
                    vec![Command::FetchMembers(d.queue_id.clone())]
                }
                _ => vec![],
            },
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PollPlan;
    use genesys::budget::BudgetUse;
    use genesys::catalog::EndpointId;
    use genesys::client::{ApiError, ErrorKind, Request};
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
        assert_eq!(a.health(), Health::Stale { stale: 2, of: 2 });
    }

    fn retrying(activity: Activity, secs: i64, rate_limited: bool) -> Event {
        Event::Monitor(MonitorEvent::Retrying {
            activity,
            attempt: 3,
            next: t("2026-11-25T10:00:00Z") + SignedDuration::from_secs(secs),
            rate_limited,
        })
    }

    /// Live numbers for every queue at `at`.
    fn observed(a: &mut App, at: &str) -> Vec<Command> {
        a.update(Event::Monitor(MonitorEvent::Observations {
            queue_ids: vec!["a".into(), "b".into()],
            numbers: BTreeMap::new(),
            at: t(at),
        }))
    }

    #[test]
    fn health_says_reconnecting_rate_limited_frozen_and_recovers() {
        let mut a = app();
        a.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(ApiError {
                request: Request::new(EndpointId::QueueObservations).line(),
                kind: ErrorKind::Api { status: 503, body: None, raw: String::new() },
                meta: None,
            }),
            at: t("2026-11-25T10:00:00Z"),
        }));
        a.update(retrying(Activity::Observations, 8, false));
        match a.health() {
            Health::Retrying { attempt: 3, problem, .. } => {
                assert_eq!(problem.cause, Cause::Unavailable);
                assert_eq!(problem.word(), "Server error");
            }
            other => panic!("{other:?}"),
        }
        a.update(retrying(Activity::Totals, 42, true));
        assert_eq!(a.health(), Health::RateLimited { until: t("2026-11-25T10:00:42Z") });
        a.update(key('f'));
        assert_eq!(a.health(), Health::Frozen);
        assert!(matches!(a.live_health(), Health::RateLimited { .. }));
        a.update(key('f'));
        a.update(Event::Tick(t("2026-11-25T10:00:43Z")));
        assert!(matches!(a.health(), Health::Retrying { .. }), "the 429 has passed; the 503 retry has not");
        observed(&mut a, "2026-11-25T10:00:43Z");
        assert_eq!(a.health(), Health::Live);
        assert!(a.retries.iter().all(|r| r.activity == Activity::Totals));
    }

    #[test]
    fn a_403_that_goes_away_is_logged_as_access_restored_and_the_token_is_checked_again() {
        let mut a = app();
        observed(&mut a, "2026-11-25T10:00:00Z");
        let out = a.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(err403()),
            at: t("2026-11-25T10:00:01Z"),
        }));
        assert_eq!(out, vec![Command::InspectToken]);
        let again = a.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(err403()),
            at: t("2026-11-25T10:00:02Z"),
        }));
        assert!(again.is_empty(), "once per change, not per poll");
        assert_eq!(observed(&mut a, "2026-11-25T10:00:03Z"), vec![Command::InspectToken]);
        let e = a.errors.get(0).unwrap();
        assert_eq!(e.severity, Severity::Info);
        assert!(e.diagnosis.summary.starts_with("access restored: live numbers"), "{}", e.diagnosis.summary);
        assert!(observed(&mut a, "2026-11-25T10:00:04Z").is_empty());
    }

    #[test]
    fn waiting_for_room_in_the_budget_is_rate_limited_once_a_round_is_overdue() {
        let mut a = app();
        observed(&mut a, "2026-11-25T10:00:00Z");
        a.update(Event::Monitor(MonitorEvent::Budget {
            usage: BudgetUse { used: 33, allowed: 20, ours: 33 },
            resume: Some(t("2026-11-25T10:00:30Z")),
        }));
        a.update(Event::Tick(t("2026-11-25T10:00:00.5Z")));
        assert_eq!(a.health(), Health::Live);
        a.update(Event::Tick(t("2026-11-25T10:00:02Z")));
        assert_eq!(a.health(), Health::RateLimited { until: t("2026-11-25T10:00:30Z") });
        a.update(Event::Monitor(MonitorEvent::Budget {
            usage: BudgetUse { used: 12, allowed: 20, ours: 12 },
            resume: None,
        }));
        observed(&mut a, "2026-11-25T10:00:02Z");
        assert_eq!(a.health(), Health::Live);
        assert!(a.errors.is_empty(), "qtop's own requests filled the budget: nothing to explain");
    }

    #[test]
    fn a_budget_spent_by_another_program_is_explained_while_polling_waits() {
        let mut a = app();
        observed(&mut a, "2026-11-25T10:00:00Z");
        let spent = |used, ours, resume: Option<&str>| {
            Event::Monitor(MonitorEvent::Budget {
                usage: BudgetUse { used, allowed: 300, ours },
                resume: resume.map(t),
            })
        };
        a.update(spent(290, 12, None));
        assert!(a.errors.is_empty(), "room left: nothing waits yet");
        a.update(spent(299, 13, Some("2026-11-25T10:00:40Z")));
        a.update(spent(300, 13, Some("2026-11-25T10:00:41Z")));
        assert_eq!(a.errors.len(), 1, "one entry while it lasts");
        let e = a.errors.get(0).unwrap();
        assert_eq!((e.severity, e.diagnosis.cause), (Severity::Warning, Cause::RateLimited));
        assert!(e.diagnosis.summary.starts_with("another program"), "{}", e.diagnosis.summary);
        assert!(e.diagnosis.evidence[0].contains("299 of 300") && e.diagnosis.evidence[0].contains("qtop sent 13"));
    }

    /// One queue's numbers stop (its stream lane is down, its batch fails): the header, the
    /// row and `/readyz` all say so, from the same per-queue ages; the other row stays live.
    #[test]
    fn one_queue_going_stale_is_said_by_the_header_the_row_and_readiness_alike() {
        let mut a = app();
        let status = genesys::auth::AuthStatus { phase: AuthPhase::SignedIn, ..Default::default() };
        a.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
        observed(&mut a, "2026-11-25T10:00:00Z");
        for s in 1..=5 {
            let at = t(&format!("2026-11-25T10:00:0{s}Z"));
            a.update(Event::Monitor(MonitorEvent::Observations {
                queue_ids: vec!["b".into()],
                numbers: BTreeMap::new(),
                at,
            }));
            a.update(Event::Tick(at));
        }
        assert_eq!(a.health(), Health::Stale { stale: 1, of: 2 });
        let f = a.freshness();
        assert_eq!((f.fresh, f.observed, f.oldest), (1, 2, Some(Duration::from_secs(5))));
        let accounts = a.queues.iter().find(|r| r.info.id == "a").unwrap();
        assert!(accounts.staleness(a.now) > a.stale_after(), "the row is past the stale line");
        let why = crate::export::metrics::ready(&a).unwrap_err();
        assert_eq!(why, "1 of 2 queues without fresh numbers: stale");
        observed(&mut a, "2026-11-25T10:00:05Z");
        assert_eq!(a.health(), Health::Live);
        assert_eq!(crate::export::metrics::ready(&a), Ok(()));
    }

    #[test]
    fn a_stretched_plan_moves_the_stale_line() {
        let mut a = app();
        observed(&mut a, "2026-11-25T10:00:00Z");
        a.update(Event::Tick(t("2026-11-25T10:00:05Z")));
        assert_eq!(a.health(), Health::Stale { stale: 2, of: 2 });
        a.update(Event::Monitor(MonitorEvent::Plan(PollPlan {
            live_every: Duration::from_secs(4),
            totals_every: Duration::from_secs(300),
            allowed: 20,
            short: Some("live every 4s, totals 300s".into()),
            note: None,
        })));
        assert_eq!(a.health(), Health::Live, "5 s is fresh when live numbers come every 4 s");
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
            queue_ids: ids.iter().map(std::string::ToString::to_string).collect(),
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
        assert_eq!(a.last_problem, None, "the header's health is about live numbers");
        assert_eq!(a.errors.get(0).unwrap().activity, Activity::Totals);
    }

    #[test]
    fn pasted_text_feeds_the_sign_in_prompt_and_is_never_a_hotkey() {
        use genesys::auth::SignInPrompt;
        let mut a = app();
        assert_eq!(a.update(Event::Paste("q".into())), vec![]);
        assert!(!a.should_quit, "a paste outside the prompt is ignored, not typed");
        let mut status = a.auth.clone();
        status.phase = AuthPhase::AwaitingUser(Box::new(SignInPrompt { accepts_paste: true, ..Default::default() }));
        a.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
        a.update(Event::Paste("http://127.0.0.1/callback?code=xq\n".into()));
        assert_eq!(a.token_pane.paste.text(), "http://127.0.0.1/callback?code=xq");
        assert!(!a.should_quit);
        let out = a.update(Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        assert!(matches!(&out[..], [Command::SubmitPaste(_)]), "{out:?}");
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
