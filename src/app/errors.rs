//! The error log: newest first, identical errors folded into one row, bounded.

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::event::Activity;
use crate::genesys::client::ApiError;

/// Error rows kept (oldest dropped first).
pub const ERROR_LOG_CAP: usize = 200;

/// One row of the error log; identical errors fold into it.
#[derive(Debug, Clone)]
pub struct ErrorEntry {
    pub activity: Activity,
    pub error: ApiError,
    pub count: u32,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl ErrorEntry {
    fn same_kind(&self, activity: &Activity, e: &ApiError) -> bool {
        self.activity == *activity
            && self.error.request.endpoint == e.request.endpoint
            && self.error.status() == e.status()
            && self.error.code() == e.code()
            && self.error.summary() == e.summary()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ErrorLog {
    entries: VecDeque<ErrorEntry>,
}

impl ErrorLog {
    pub fn record(&mut self, activity: Activity, error: ApiError, at: Timestamp) {
        if let Some(pos) = self.entries.iter().position(|e| e.same_kind(&activity, &error)) {
            let mut entry = self.entries.remove(pos).expect("position is valid");
            entry.count += 1;
            entry.last_seen = at;
            entry.error = error;
            self.entries.push_front(entry);
            return;
        }
        self.entries.push_front(ErrorEntry { activity, error, count: 1, first_seen: at, last_seen: at });
        self.entries.truncate(ERROR_LOG_CAP);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &ErrorEntry> {
        self.entries.iter()
    }

    pub fn get(&self, i: usize) -> Option<&ErrorEntry> {
        self.entries.get(i)
    }
}
