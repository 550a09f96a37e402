//! What flows into the app (events) and out of it (commands).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use ratatui::crossterm::event::KeyEvent;

use genesys::aggregates::TodayNumbers;
use genesys::auth::AuthStatus;
use genesys::client::{ApiError, RateHeaders};
use genesys::queries::{Member, QueueNumbers};
use genesys::secret::Secret;
use genesys::token::TokenReport;

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): one event, never a run of key presses.
    Paste(String),
    Resize(u16, u16),
    /// Wall-clock time moved (drives countdowns, ages and the ticking longest wait).
    Tick(Timestamp),
    Monitor(MonitorEvent),
    /// A signal or the input stream ending: leave now.
    Quit(&'static str),
}

/// A queue as the monitor resolved it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInfo {
    pub id: String,
    pub name: String,
    pub division: Option<String>,
    /// Service-level target of the first media type: (fraction, seconds).
    pub sl_target: Option<(f64, u64)>,
}

/// Which part of the monitor's work an error interrupted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Activity {
    SignIn,
    QueueList,
    Observations,
    /// The members of one queue, for its detail view.
    Members,
    /// Today's totals (conversation aggregates): failing leaves the live columns alone.
    Totals,
    /// qtop's own fault: a background task panicked.
    Internal,
}

#[derive(Debug, Clone)]
pub enum MonitorEvent {
    /// Boxed: the status carries the token's facts and would make every event that big.
    Auth(Box<AuthStatus>),
    Queues {
        queues: Vec<QueueInfo>,
        unmatched: Vec<String>,
        at: Timestamp,
    },
    Observations {
        queue_ids: Vec<String>,
        numbers: BTreeMap<String, QueueNumbers>,
        at: Timestamp,
    },
    /// Today's totals for a batch of queues (queues the API left out had no conversations).
    Totals {
        queue_ids: Vec<String>,
        today: BTreeMap<String, TodayNumbers>,
        at: Timestamp,
    },
    Failed {
        activity: Activity,
        error: Box<ApiError>,
        at: Timestamp,
    },
    /// A tick came while the batch's previous request was still in flight.
    Skipped {
        batch: usize,
        at: Timestamp,
    },
    Rate {
        rate: RateHeaders,
        at: Timestamp,
    },
    /// What the API said about the current token (identity, scopes, roles).
    TokenReport(Box<TokenReport>),
    /// A poller failed for a passing reason and waits before trying again: the next attempt
    /// is at `next` (the app counts down to it). Cleared by that poller's next success.
    Retrying {
        activity: Activity,
        attempt: u32,
        next: Timestamp,
        /// A 429's `Retry-After`: the whole token waits, not just this poller.
        rate_limited: bool,
    },
    /// How often each kind of data is fetched now, after fitting the rate budget.
    Plan(PollPlan),
    /// Requests sent with this token in the last minute, against the allowed rate; `resume`
    /// when polling must wait for room (a lower limit was learned, or a 429's hold).
    Budget {
        usage: genesys::budget::BudgetUse,
        resume: Option<Timestamp>,
    },
    /// Where live numbers come from now (polling, or the notification stream).
    Source(LiveSource),
    /// A background task panicked: `restart_in` when it is started again, `None` when the
    /// supervisor gave it up.
    TaskFailed {
        task: crate::supervise::Task,
        why: String,
        /// Panics in a row, each soon after its start (this one included).
        in_a_row: u32,
        restart_in: Option<Duration>,
        at: Timestamp,
    },
    /// A task that panicked runs again.
    TaskRestarted {
        task: crate::supervise::Task,
        at: Timestamp,
    },
    /// Answer to [`Command::FetchMembers`].
    Members {
        queue_id: String,
        result: Result<Vec<Member>, Box<ApiError>>,
        at: Timestamp,
    },
}

/// Where live numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSource {
    Poll,
    Stream,
    /// Streaming, but a socket is down and being reconnected.
    StreamReconnecting,
}

impl LiveSource {
    /// A word or two for the header.
    pub fn label(self) -> &'static str {
        match self {
            LiveSource::Poll => "poll",
            LiveSource::Stream => "stream",
            LiveSource::StreamReconnecting => "stream: reconnecting",
        }
    }
}

/// The pollers' intervals as planned against the rate budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPlan {
    pub live_every: Duration,
    pub totals_every: Duration,
    pub allowed: u32,
    /// A few words when the plan is slower than configured (`totals every 90s`).
    pub short: Option<String>,
    /// The whole story, for the help screen and the log.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    RefreshNow,
    Quit,
    /// Sign in again now (`a`).
    ReAuth,
    /// The line pasted into the sign-in prompt (it carries an authorization code).
    SubmitPaste(Secret),
    /// Give up the sign-in that waits for the browser or a paste.
    CancelSignIn,
    /// Fetch a queue's members and their routing status (queue detail).
    FetchMembers(String),
    /// Ask the API about the token again (access changed mid-run: the token pane must follow).
    InspectToken,
    /// Put text on the clipboard of the terminal the user sits at (OSC 52: over SSH too).
    CopyToClipboard(String),
}
