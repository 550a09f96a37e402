//! What flows into the app (events) and out of it (commands).

use std::collections::BTreeMap;

use jiff::Timestamp;
use ratatui::crossterm::event::KeyEvent;

use crate::genesys::aggregates::TodayNumbers;
use crate::genesys::auth::AuthStatus;
use crate::genesys::client::{ApiError, RateHeaders};
use crate::genesys::queries::{Member, QueueNumbers};
use crate::genesys::secret::Secret;
use crate::genesys::token::TokenReport;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Activity {
    SignIn,
    QueueList,
    Observations,
    /// The members of one queue, for its detail view.
    Members,
    /// Today's totals (conversation aggregates): failing leaves the live columns alone.
    Totals,
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
    /// Answer to [`Command::FetchMembers`].
    Members {
        queue_id: String,
        result: Result<Vec<Member>, Box<ApiError>>,
        at: Timestamp,
    },
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
}
