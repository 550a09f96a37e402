//! What the org says, as qtop knows it: sign-in status, queues and their numbers, errors and
//! refusals, freshness and health, the rate budget and poll plan, retries, tasks down, what
//! the token may do, and where live numbers come from. The TUI wraps it in a screen
//! ([`super::App`]); `qtop export` and `qtop snapshot` hold it alone: no keymap, no screen.
//! [`Model::apply`] takes an event and returns commands, without I/O.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::health::{Freshness, Health, Problem};
use super::token::TokenKnown;
use super::{ErrorLog, QueueRow, Refused, Retry, TaskDown};
use crate::diagnose::{Cause, Diagnosis, Knowledge};
use crate::event::{Activity, Command, Event, MonitorEvent, PollPlan};
use genesys::auth::{AuthPhase, AuthStatus, Grant};
use genesys::budget::BudgetUse;
use genesys::client::RateHeaders;

#[derive(Debug, Clone)]
pub struct Model {
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
    /// What the API said about the token.
    pub token: TokenKnown,
    /// The org's time zone (the wall clock, "today" for the totals).
    pub timezone: jiff::tz::TimeZone,
    /// Counts errors and warnings worth the log's opening by itself (the screen decides).
    pub(super) log_news: u64,
}

impl Model {
    pub fn new(org_label: String, grant: Grant, refresh: Duration, now: Timestamp) -> Model {
        Model {
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
            token: TokenKnown::default(),
            timezone: jiff::tz::TimeZone::UTC,
            log_news: 0,
        }
    }

    /// How often today's totals are fetched.
    #[must_use]
    pub fn with_totals_refresh(mut self, every: Duration) -> Model {
        self.totals_refresh = every;
        self
    }

    /// The org's time zone.
    #[must_use]
    pub fn with_timezone(mut self, timezone: jiff::tz::TimeZone) -> Model {
        self.timezone = timezone;
        self
    }

    /// What the session already tells about the token (its grant, its client).
    #[must_use]
    pub fn with_knowledge(mut self, knowledge: Knowledge) -> Model {
        self.knowledge = knowledge;
        self
    }

    /// The clock and the monitor's news; keys, pastes and resizes are the screen's.
    pub fn apply(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Tick(now) => {
                self.now = now;
                vec![]
            }
            Event::Monitor(m) => self.on_monitor(m),
            Event::Key(_) | Event::Paste(_) | Event::Resize(..) | Event::Quit(_) => vec![],
        }
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

    fn on_monitor(&mut self, m: MonitorEvent) -> Vec<Command> {
        let mut commands = vec![];
        match m {
            MonitorEvent::Auth(status) => {
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
                self.task_failed(task, why, in_a_row, restart_in, at);
            }
            MonitorEvent::TaskRestarted { task, .. } => self.tasks_down.retain(|d| d.task != task),
            // Members are the queue detail's (the screen's); a failure is logged here too.
            MonitorEvent::Members { result, at, .. } => {
                if let Err(e) = result {
                    self.record_error(Activity::Members, *e, at);
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
        self.log_news += 1;
        if matches!(task, Task::Poll | Task::Stream) && restart_at.is_some() {
            return;
        }
        self.tasks_down.retain(|d| d.task != task);
        self.tasks_down.push(TaskDown { task, why, restart_at, failures });
    }

    pub(super) fn record_error(&mut self, activity: Activity, error: genesys::client::ApiError, at: Timestamp) {
        self.errors.record(activity, error, at, &self.knowledge);
        // News: the screen opens its log by itself on the first error.
        self.log_news += 1;
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
        self.log_news += 1;
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
