//! What the header, the wall and the exporter's readiness say about the data. Derived in one
//! place from the per-queue freshness and the last failure, so the three never disagree and
//! the word on screen always names the real cause.

use std::time::Duration;

use jiff::Timestamp;

use crate::diagnose::Cause;

/// How the data is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Connecting,
    /// Every watched queue's numbers are younger than the stale line.
    Live,
    /// Some watched queues' numbers are older than the stale line, with no error to blame.
    Stale {
        stale: usize,
        of: usize,
    },
    /// `f`: the screen holds still; the live health says how the data underneath is.
    Frozen,
    /// A passing failure (network, server error, a refusal before the first queue list):
    /// the next try is at `next`, and the header counts down to it.
    Retrying {
        next: Timestamp,
        attempt: u32,
        problem: Problem,
    },
    /// Nothing is sent with this token until `until` (a 429's Retry-After, or the budget
    /// waiting for the server's window).
    RateLimited {
        until: Timestamp,
    },
    /// A failure retrying alone will not mend: a refusal, a sign-in refused, a token that
    /// expired and cannot be renewed.
    Failing(Problem),
    /// The queue list answered, and there is no queue in it to show: why.
    NoQueues(String),
}

/// A failure as the header names it: its cause (which picks the word) and a few words of
/// detail (the missing permission, the host that cannot be reached, what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cause: Cause,
    pub detail: String,
}

impl Problem {
    pub fn new(cause: Cause, detail: impl Into<String>) -> Problem {
        Problem { cause, detail: detail.into() }
    }

    pub fn word(&self) -> &'static str {
        word(self.cause)
    }
}

/// The status word for each cause: the one mapping the header, the wall and `/readyz` use.
pub fn word(cause: Cause) -> &'static str {
    match cause {
        Cause::MissingPermission
        | Cause::MissingAnyPermission
        | Cause::MissingScope
        | Cause::Division
        | Cause::UserContextRequired
        | Cause::IpNotAuthorized
        | Cause::NotAuthorized
        | Cause::NotFound
        | Cause::BadRequest => "Refused",
        Cause::GrantNotAllowed | Cause::BadClientCredentials | Cause::InvalidGrant => "Sign-in refused",
        Cause::SignInIncomplete => "Sign in needed",
        Cause::TokenExpired => "Token expired",
        Cause::TokenInvalid | Cause::NoToken => "Token refused",
        Cause::RateLimited => "Rate limited",
        Cause::ServerFault | Cause::Unavailable => "Server error",
        Cause::Network => "Network",
        Cause::Unreadable => "Bad answer",
        Cause::Internal => "qtop fault",
        Cause::Unknown => "Error",
    }
}

impl Health {
    /// The word the header shows first.
    pub fn word(&self) -> &'static str {
        match self {
            Health::Connecting => "Connecting",
            Health::Live | Health::Frozen => "Live",
            Health::Stale { .. } => "Stale",
            Health::Retrying { problem, .. } | Health::Failing(problem) => problem.word(),
            Health::RateLimited { .. } => "Rate limited",
            Health::NoQueues(_) => "No queues",
        }
    }

    /// Good news: the numbers on screen are current.
    pub fn is_live(&self) -> bool {
        matches!(self, Health::Live | Health::Frozen)
    }
}

/// How current the watched queues' numbers are. A queue's numbers date from its last answer;
/// a queue with none yet counts from when it was listed, so a new queue is not stale the
/// moment it appears, and one that never gets numbers is after the stale line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Freshness {
    /// Watched queues.
    pub of: usize,
    /// Of those, with numbers younger than the stale line.
    pub fresh: usize,
    /// Of those, with any numbers at all (fresh or not).
    pub observed: usize,
    /// The oldest age among the watched queues: what "Live 2s" says.
    pub oldest: Option<Duration>,
}

impl Freshness {
    pub fn stale(&self) -> usize {
        self.of - self.fresh
    }

    pub fn all_fresh(&self) -> bool {
        self.of > 0 && self.fresh == self.of
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cause has a word, and the words a user must act on differently differ.
    #[test]
    fn every_cause_maps_to_the_word_that_names_it() {
        let cases = [
            (Cause::MissingPermission, "Refused"),
            (Cause::MissingAnyPermission, "Refused"),
            (Cause::MissingScope, "Refused"),
            (Cause::Division, "Refused"),
            (Cause::UserContextRequired, "Refused"),
            (Cause::IpNotAuthorized, "Refused"),
            (Cause::NotAuthorized, "Refused"),
            (Cause::NotFound, "Refused"),
            (Cause::BadRequest, "Refused"),
            (Cause::GrantNotAllowed, "Sign-in refused"),
            (Cause::BadClientCredentials, "Sign-in refused"),
            (Cause::InvalidGrant, "Sign-in refused"),
            (Cause::SignInIncomplete, "Sign in needed"),
            (Cause::TokenExpired, "Token expired"),
            (Cause::TokenInvalid, "Token refused"),
            (Cause::NoToken, "Token refused"),
            (Cause::RateLimited, "Rate limited"),
            (Cause::ServerFault, "Server error"),
            (Cause::Unavailable, "Server error"),
            (Cause::Network, "Network"),
            (Cause::Unreadable, "Bad answer"),
            (Cause::Internal, "qtop fault"),
            (Cause::Unknown, "Error"),
        ];
        for (cause, w) in cases {
            assert_eq!(word(cause), w, "{cause:?}");
        }
        // The table above lists every cause once: a new cause must be given its word here.
        let listed: std::collections::HashSet<String> = cases.iter().map(|(c, _)| format!("{c:?}")).collect();
        assert_eq!(listed.len(), cases.len());
        assert_eq!(cases.len(), 23, "a cause was added: give it a word and a row above");
    }

    #[test]
    fn a_retry_and_a_lasting_failure_take_their_cause_s_word() {
        let p = Problem::new(Cause::Network, "cannot reach api.mypurecloud.com: DNS lookup failed");
        let next = Timestamp::UNIX_EPOCH;
        assert_eq!(Health::Retrying { next, attempt: 2, problem: p.clone() }.word(), "Network");
        assert_eq!(Health::Failing(Problem::new(Cause::MissingPermission, "x")).word(), "Refused");
        assert_eq!(Health::NoQueues("why".into()).word(), "No queues");
        assert_eq!(Health::Stale { stale: 1, of: 3 }.word(), "Stale");
    }
}
