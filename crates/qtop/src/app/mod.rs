//! Application state and the pure update function: event in, state changed, commands out.
//! No I/O here; the UI renders from `&App` only.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::diagnose::{Cause, Diagnosis, Knowledge};
use crate::event::{Activity, Command, Event, MonitorEvent, PollPlan, QueueInfo};
use crate::keys::{Component, Keymap};
use genesys::aggregates::TodayNumbers;
use genesys::auth::{AuthPhase, AuthStatus, Grant};
use genesys::budget::BudgetUse;
use genesys::client::RateHeaders;
use genesys::queries::QueueNumbers;

mod actions;
mod errors;
mod filter;
mod health;
mod rows;
mod settings;
mod thresholds;
pub mod token;
mod view;
pub use errors::{ERROR_LOG_CAP, ErrorEntry, ErrorLog, Severity};
pub use filter::Filter;
pub use health::{Freshness, Health, Problem, word};
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
    /// What is known about the token, for diagnosing refusals.
    pub knowledge: Knowledge,
    /// The last failure of the live numbers, the queue list or the sign-in, as the header
    /// names it (cleared when that data answers).
    pub last_problem: Option<(Activity, Problem)>,
    /// When live numbers last arrived for any queue.
    pub last_update: Option<Timestamp>,
    pub skipped_ticks: u64,
    /// The server's last `inin-ratelimit-*` headers (shown when no budget report came yet).
    pub rate: Option<RateHeaders>,
    /// qtop's own count of requests in the last minute against the allowed rate.
    pub budget: Option<BudgetUse>,
    /// Polling waits for room in the budget until then.
    pub budget_resume: Option<Timestamp>,
    /// How often each kind of data is fetched, after fitting the budget.
    pub plan: Option<PollPlan>,
    /// Where live numbers come from (`None` until the monitor says).
    pub live_source: Option<crate::event::LiveSource>,
    /// Pollers waiting to try again (one per activity).
    pub retries: Vec<Retry>,
    /// Background tasks that panicked and are not running now.
    pub tasks_down: Vec<TaskDown>,
    refused: Vec<Refused>,
    /// The token pane's state (what the API said about the token, the sign-in prompt).
    pub token: token::TokenPane,
    pub ascii: bool,
    pub color: bool,
    pub should_quit: bool,
    /// Terminal size (columns, rows), for paging.
    pub size: (u16, u16),
    /// The org's time zone (the wall clock).
    pub timezone: jiff::tz::TimeZone,
    pub settings: UiSettings,
    pub keymap: Keymap,
    pub ui: UiState,
    /// Queue id → its `[thresholds.queues]` override, resolved when the queue list changes.
    overrides: HashMap<String, Option<usize>>,
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
            auth: AuthStatus::default(),
            queues: vec![],
            queues_loaded: false,
            unmatched: vec![],
            errors: ErrorLog::default(),
            knowledge: Knowledge { grant: Some(grant), ..Default::default() },
            last_problem: None,
            last_update: None,
            skipped_ticks: 0,
            rate: None,
            budget: None,
            budget_resume: None,
            plan: None,
            live_source: None,
            retries: vec![],
            tasks_down: vec![],
            refused: vec![],
            token: token::TokenPane::default(),
            ascii: false,
            color: true,
            should_quit: false,
            size: (80, 24),
            timezone: jiff::tz::TimeZone::UTC,
            settings: UiSettings::default(),
            keymap: Keymap::default(),
            ui: UiState::default(),
            overrides: HashMap::new(),
            dirty: true,
            drawn_second: now.as_second(),
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

    /// The status word: [`Health::Frozen`] while the screen is held, else [`App::live_health`].
    pub fn health(&self) -> Health {
        if self.ui.frozen.is_some() {
            return Health::Frozen;
        }
        self.live_health()
    }

    /// How the live data is doing, frozen screen or not. The order is the order of what a
    /// user must know first: no sign-in, then a hold on every request, then a retry, then
    /// what the numbers themselves say.
    pub fn live_health(&self) -> Health {
        // qtop's own fault first: with a task gone, nothing else on screen can be trusted.
        if let Some(down) = self.stopped_task() {
            let detail = format!("the {} stopped after {} failures: restart qtop", down.task.label(), down.failures);
            return Health::Failing(Problem::new(Cause::Internal, detail));
        }
        if let Some(down) = self.tasks_down.iter().find(|d| d.restart_at.is_some()) {
            let problem = Problem::new(Cause::Internal, format!("the {} task failed: {}", down.task.label(), down.why));
            let next = down.restart_at.unwrap_or(self.now);
            return Health::Retrying { next, attempt: down.failures, problem };
        }
        let fresh = self.freshness();
        // Nothing is sent until the person renews the session: no countdown, no retry, the
        // fix in the words of where it is shown.
        if let AuthPhase::Expired(fix) = &self.auth.phase {
            return Health::Failing(Problem::new(Cause::TokenExpired, fix.clone()));
        }
        if let AuthPhase::Failed(why) = &self.auth.phase {
            // The diagnosis' words when there is one ("client id/secret refused (or wrong
            // region)", "cannot reach login…: DNS lookup failed"), else the session's.
            let problem = match &self.last_problem {
                Some((Activity::SignIn | Activity::QueueList, p)) => p.clone(),
                _ => Problem::new(Cause::Unknown, why.clone()),
            };
            return match self.retry_shown() {
                Some(r) => Health::Retrying { next: r.next, attempt: r.attempt, problem },
                None => Health::Failing(problem),
            };
        }
        // A user token died and only the person can sign in again: say so once the numbers
        // stop (while they still flow, a prompt is just someone pressing `a`).
        if matches!(self.auth.phase, AuthPhase::AwaitingUser(_)) && fresh.observed > 0 && !fresh.all_fresh() {
            return Health::Failing(Problem::new(Cause::SignInIncomplete, "sign in again: the sign-in prompt is open"));
        }
        if let Some(r) = self.retries.iter().find(|r| r.rate_limited && r.next > self.now) {
            return Health::RateLimited { until: r.next };
        }
        // Holding back to stay under the limit (a lower one was just learned, or another
        // program spends the token's budget): not a failure, and it ends by itself. Worth
        // saying once a planned round is overdue because of it.
        if let Some(until) = self.budget_resume.filter(|u| *u > self.now)
            && fresh.oldest.is_none_or(|age| age > self.live_every())
        {
            return Health::RateLimited { until };
        }
        let problem = self.last_problem.as_ref().map(|(_, p)| p.clone());
        if let Some(r) = self.retry_shown() {
            let problem = problem.unwrap_or_else(|| Problem::new(Cause::Unknown, ""));
            return Health::Retrying { next: r.next, attempt: r.attempt, problem };
        }
        if let Some(why) = self.no_queues() {
            return Health::NoQueues(why);
        }
        if fresh.observed == 0 {
            return problem.map_or(Health::Connecting, Health::Failing);
        }
        if !fresh.all_fresh() {
            return match problem {
                Some(p) => Health::Failing(p),
                None => Health::Stale { stale: fresh.stale(), of: fresh.of },
            };
        }
        Health::Live
    }

    /// A background task the supervisor gave up: the exporter's `/healthz` fails on it.
    pub fn stopped_task(&self) -> Option<&TaskDown> {
        self.tasks_down.iter().find(|d| d.restart_at.is_none())
    }

    /// How current the watched queues' numbers are (every queue in the list, whatever the
    /// filter shows): the header's word and age, the rows' markers and `/readyz` read this.
    pub fn freshness(&self) -> Freshness {
        let stale_after = self.stale_after();
        let mut f = Freshness { of: self.queues.len(), ..Default::default() };
        for row in &self.queues {
            let age = row.staleness(self.now);
            f.observed += usize::from(row.observed_at.is_some());
            f.fresh += usize::from(row.observed_at.is_some() && age <= stale_after);
            f.oldest = Some(f.oldest.map_or(age, |o| o.max(age)));
        }
        f
    }

    /// Why there is no queue to show, once the list has answered with none.
    fn no_queues(&self) -> Option<String> {
        if !self.queues_loaded || !self.queues.is_empty() {
            return None;
        }
        let held_in = genesys::token::queues_limited_to(&self.token.needs);
        let divisions = held_in.map(|h| format!(": routing:queue:view is held in {h}")).unwrap_or_default();
        Some(match self.unmatched.len() {
            0 => format!("the token sees no queues{divisions}"),
            1 => format!("the queue asked for is not visible to this token{divisions}"),
            n => format!("none of the {n} queues asked for is visible to this token{divisions}"),
        })
    }

    /// The retry the header reports: the live numbers', or the queue list's (sign-in
    /// included) while there is no list yet.
    pub fn retry_shown(&self) -> Option<&Retry> {
        let find = |a: Activity| self.retries.iter().find(|r| r.activity == a);
        find(Activity::Observations).or_else(|| if self.queues_loaded { None } else { find(Activity::QueueList) })
    }

    /// How often live numbers are fetched now (the budget may have stretched `refresh`).
    pub fn live_every(&self) -> Duration {
        self.plan.as_ref().map(|p| p.live_every).unwrap_or(self.refresh)
    }

    /// How often today's totals are fetched now.
    pub fn totals_every(&self) -> Duration {
        self.plan.as_ref().map(|p| p.totals_every).unwrap_or(self.totals_refresh)
    }

    /// Numbers older than this are stale: three missed refreshes.
    pub fn stale_after(&self) -> Duration {
        self.live_every() * 3
    }

    pub fn update(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Key(k) => {
                // The sign-in prompt, when open, takes the keys before any table.
                if let AuthPhase::AwaitingUser(prompt) = &self.auth.phase
                    && let Some(commands) = self.token.prompt_key(prompt, &k)
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
                if let AuthPhase::AwaitingUser(prompt) = &self.auth.phase
                    && prompt.accepts_paste
                {
                    self.token.paste_text(&text);
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
                self.now = now;
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

    fn on_monitor(&mut self, m: MonitorEvent) -> Vec<Command> {
        let mut commands = vec![];
        match m {
            MonitorEvent::Auth(status) => {
                if !matches!(status.phase, AuthPhase::AwaitingUser(_)) {
                    self.token.paste = Default::default();
                    self.token.copied = false;
                }
                // The session's words, diagnosed once here, name the cause until the refused
                // call itself reaches the log (or when it never does: a sign-in at start).
                if let AuthPhase::Failed(why) = &status.phase
                    && !matches!(self.last_problem, Some((Activity::SignIn | Activity::QueueList, _)))
                {
                    let mut facts = crate::explain::parse(why);
                    // The session words an OAuth refusal as "400 invalid_client: …".
                    if facts.code.is_none()
                        && let Some(code) = why
                            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .find(|w| crate::diagnose::is_oauth_code(w))
                    {
                        facts.is_oauth = true;
                        facts.code = Some(code.to_string());
                    }
                    let d = crate::diagnose::diagnose(&facts, &self.knowledge);
                    self.last_problem = Some((Activity::SignIn, Problem::new(d.cause, why.clone())));
                }
                self.auth = *status;
            }
            MonitorEvent::TokenReport(report) => {
                self.knowledge.learn(&report);
                self.token.on_report(report);
                // Where the token may see queues is known now: say it for the missing ones.
                self.warn_about_unmatched();
            }
            MonitorEvent::Queues { queues, unmatched, at } => {
                // Keep numbers already shown for queues that are still there.
                let mut old: HashMap<String, QueueRow> =
                    std::mem::take(&mut self.queues).into_iter().map(|r| (r.info.id.clone(), r)).collect();
                let mut rows: Vec<QueueRow> = queues
                    .into_iter()
                    .map(|info| match old.remove(&info.id) {
                        Some(row) => QueueRow { info, ..row },
                        None => QueueRow {
                            numbers: None,
                            observed_at: None,
                            today: None,
                            today_at: None,
                            listed_at: at,
                            info,
                        },
                    })
                    .collect();
                rows.sort_by_key(|r| r.info.name.to_lowercase());
                self.queues = rows;
                self.queues_loaded = true;
                self.unmatched = unmatched;
                self.warn_about_unmatched();
                self.refresh_overrides();
                if matches!(self.last_problem, Some((Activity::QueueList | Activity::SignIn, _))) {
                    self.last_problem = None;
                }
                self.answered(Activity::QueueList, at, &mut commands);
            }
            MonitorEvent::Observations { queue_ids, numbers, at } => {
                // A set: a streamed second names all 1 000 queues, and a list scan per row
                // was a million string comparisons.
                let asked: HashSet<&str> = queue_ids.iter().map(String::as_str).collect();
                for row in self.queues.iter_mut().filter(|r| asked.contains(r.info.id.as_str())) {
                    // A queue the API left out of the results has nothing reported: unknown.
                    row.numbers = Some(numbers.get(&row.info.id).cloned().unwrap_or_default());
                    row.observed_at = Some(at);
                }
                self.last_update = Some(at);
                self.last_problem = None;
                self.answered(Activity::Observations, at, &mut commands);
            }
            MonitorEvent::Totals { queue_ids, today, at } => {
                let asked: HashSet<&str> = queue_ids.iter().map(String::as_str).collect();
                for row in self.queues.iter_mut().filter(|r| asked.contains(r.info.id.as_str())) {
                    row.today = today.get(&row.info.id).cloned();
                    row.today_at = Some(at);
                }
                self.answered(Activity::Totals, at, &mut commands);
            }
            MonitorEvent::Failed { activity: Activity::Totals, error, at } => {
                // The live columns and the health in the header are about observations; a
                // refusal (403, 400) blanks the totals, a passing failure leaves them to age.
                if !error.worth_retrying() {
                    for row in &mut self.queues {
                        row.today = None;
                        row.today_at = None;
                    }
                }
                self.refused(Activity::Totals, &error, &mut commands);
                self.record_error(Activity::Totals, *error, at);
            }
            MonitorEvent::Failed { activity, error, at } => {
                self.refused(activity.clone(), &error, &mut commands);
                self.record_error(activity.clone(), *error, at);
                if activity != Activity::Members
                    && let Some(e) = self.errors.get(0)
                {
                    let problem = Problem::new(e.diagnosis.cause, e.diagnosis.summary.clone());
                    self.last_problem = Some((activity, problem));
                }
            }
            MonitorEvent::Skipped { .. } => self.skipped_ticks += 1,
            MonitorEvent::Rate { rate, .. } => self.rate = Some(rate),
            MonitorEvent::Retrying { activity, attempt, next, rate_limited } => {
                self.retries.retain(|r| r.activity != activity);
                self.retries.push(Retry { activity, attempt, next, rate_limited });
            }
            MonitorEvent::Plan(plan) => self.plan = Some(plan),
            MonitorEvent::Source(source) => self.live_source = Some(source),
            MonitorEvent::Budget { usage, resume } => {
                let shared =
                    |u: Option<BudgetUse>, r: Option<Timestamp>| r.and(u).and_then(crate::diagnose::shared_budget);
                let already = shared(self.budget, self.budget_resume).is_some();
                self.budget = Some(usage);
                self.budget_resume = resume;
                // Once when it starts: each budget report while it lasts is not news.
                if !already && let Some(d) = shared(self.budget, resume) {
                    self.errors.warn(Activity::Observations, d, self.now);
                }
            }
            MonitorEvent::TaskFailed { task, why, in_a_row, restart_in, at } => {
                self.task_failed(task, why, in_a_row, restart_in, at)
            }
            MonitorEvent::TaskRestarted { task, .. } => self.tasks_down.retain(|d| d.task != task),
            MonitorEvent::Members { queue_id, result, at } => {
                let outcome = match result {
                    Ok(members) => Members::Loaded { members, at },
                    Err(e) => {
                        let why = e.summary();
                        self.record_error(Activity::Members, *e, at);
                        Members::Failed { why, at }
                    }
                };
                if let Some(Detail::Queue(d)) = &mut self.ui.detail
                    && d.queue_id == queue_id
                {
                    d.members = outcome;
                    d.fetching = false;
                }
            }
        }
        commands
    }

    /// A refusal by the API. A 403 that was not there before means access changed (or was
    /// never there): remember it so its end is noticed, and have the token pane asked again.
    /// Any answer but a passing failure also ends that poller's backoff.
    fn refused(&mut self, activity: Activity, error: &genesys::client::ApiError, commands: &mut Vec<Command>) {
        if !error.worth_retrying() {
            self.retries.retain(|r| r.activity != activity);
        }
        if error.status() != Some(403) || self.refused.iter().any(|r| r.activity == activity) {
            return;
        }
        let d = crate::diagnose::diagnose(&crate::diagnose::ErrorFacts::from_api_error(error), &self.knowledge);
        self.refused.push(Refused {
            activity,
            cause: d.cause,
            summary: d.summary,
            missing: d.missing,
            endpoint: error.request.endpoint,
        });
        commands.push(Command::InspectToken);
    }

    /// `activity` answered with data: its retry is over, and a refusal it had is gone.
    fn answered(&mut self, activity: Activity, at: Timestamp, commands: &mut Vec<Command>) {
        self.retries.retain(|r| r.activity != activity);
        let Some(pos) = self.refused.iter().position(|r| r.activity == activity) else { return };
        let gone = self.refused.remove(pos);
        let what = match activity {
            Activity::Observations => "live numbers",
            Activity::Totals => "today's totals",
            Activity::QueueList => "the queue list",
            _ => "the API",
        };
        let summary = format!("access restored: {what} answer again (was: {})", gone.summary);
        let fix = "nothing to do: the role or permission is back; the token pane has been checked again".to_string();
        let diagnosis = Diagnosis {
            cause: gone.cause,
            summary,
            missing: vec![],
            divisions: vec![],
            evidence: vec![],
            fix,
            endpoint: None,
        };
        self.errors.info(activity, diagnosis, at);
        commands.push(Command::InspectToken);
    }

    /// A task panicked: log it with its cause, and (for the long-lived tasks) keep it in the
    /// status line until it runs again. A poll request or the stream is started again by the
    /// monitor at once, so those are logged only.
    fn task_failed(
        &mut self,
        task: crate::supervise::Task,
        why: String,
        failures: u32,
        restart_in: Option<Duration>,
        at: Timestamp,
    ) {
        use crate::supervise::Task;
        let restart_at = restart_in.map(|d| at.checked_add(d).unwrap_or(at));
        let (summary, fix) = match restart_at {
            Some(_) => (
                format!("qtop's {} task failed: {why}", task.label()),
                "qtop started it again by itself; this is a qtop bug: please report it with the log file".to_string(),
            ),
            None => (
                format!("qtop's {} task failed {failures} times in a row and was stopped: {why}", task.label()),
                "restart qtop; this is a qtop bug: please report it with the log file".to_string(),
            ),
        };
        let d = Diagnosis {
            cause: Cause::Internal,
            summary,
            missing: vec![],
            divisions: vec![],
            evidence: vec![],
            fix,
            endpoint: None,
        };
        self.errors.internal(d, at);
        if !self.ui.error_log_touched {
            self.ui.show_error_log = true;
        }
        if matches!(task, Task::Poll | Task::Stream) && restart_at.is_some() {
            return;
        }
        self.tasks_down.retain(|d| d.task != task);
        self.tasks_down.push(TaskDown { task, why, restart_at, failures });
    }

    fn record_error(&mut self, activity: Activity, error: genesys::client::ApiError, at: Timestamp) {
        self.errors.record(activity, error, at, &self.knowledge);
        // The log opens by itself on the first error, unless the user has chosen.
        if !self.ui.error_log_touched {
            self.ui.show_error_log = true;
        }
    }

    /// One warning per queue selector that matched nothing visible, naming the divisions the
    /// token can see queues in when the token pane has read them.
    fn warn_about_unmatched(&mut self) {
        self.errors.clear_warnings(&Activity::QueueList);
        if self.unmatched.is_empty() {
            return;
        }
        let held_in = genesys::token::queues_limited_to(&self.token.needs);
        for selector in &self.unmatched {
            let d = crate::diagnose::hidden_queue(selector, held_in.as_deref(), &self.knowledge);
            self.errors.warn(Activity::QueueList, d, self.now);
        }
        if !self.ui.error_log_touched {
            self.ui.show_error_log = true;
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

    /// Seconds since `t`, never negative.
    pub fn since(&self, t: Timestamp) -> Duration {
        Duration::try_from(self.now.duration_since(t)).unwrap_or_default()
    }

    /// The org's name, once `tokens/me` has said it (the region label is all we know before).
    pub fn org_name(&self) -> Option<&str> {
        let info = self.token.report.as_ref()?.info.as_ref().ok()?;
        info.organization.as_ref()?.name.as_deref().filter(|n| !n.trim().is_empty())
    }

    /// The 403s the API keeps giving, one per kind of data, until that data answers again.
    pub fn refusals(&self) -> &[Refused] {
        &self.refused
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
        assert_eq!(a.token.paste.text(), "http://127.0.0.1/callback?code=xq");
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
