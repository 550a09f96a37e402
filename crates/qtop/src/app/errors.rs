//! The error log: newest first, identical errors folded into one row, bounded. Each entry
//! carries its diagnosis, computed once when it is recorded (never on the render path).

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::diagnose::{self, Diagnosis, ErrorFacts, Knowledge};
use crate::event::Activity;
use genesys::client::ApiError;

/// Error rows kept (oldest dropped first).
pub const ERROR_LOG_CAP: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    /// Something the API did not refuse but left out (e.g. queues hidden by division).
    Warning,
    /// Good news worth keeping: access that was refused works again.
    Info,
}

/// One row of the error log; identical errors fold into it.
#[derive(Debug, Clone)]
pub struct ErrorEntry {
    pub severity: Severity,
    pub activity: Activity,
    /// The refused call; `None` for warnings that are not one call's answer.
    pub error: Option<ApiError>,
    pub diagnosis: Diagnosis,
    /// The raw body re-indented when it is JSON (done once here, not on every frame).
    pub raw_pretty: Option<String>,
    pub count: u32,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl ErrorEntry {
    fn same_kind(&self, other: &ErrorEntry) -> bool {
        self.severity == other.severity
            && self.activity == other.activity
            && self.error.as_ref().map(|e| (e.request.endpoint, e.status(), e.code().map(String::from)))
                == other.error.as_ref().map(|e| (e.request.endpoint, e.status(), e.code().map(String::from)))
            && self.diagnosis.cause == other.diagnosis.cause
            && self.diagnosis.summary == other.diagnosis.summary
    }

    pub fn status(&self) -> Option<u16> {
        self.error.as_ref().and_then(ApiError::status)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ErrorLog {
    entries: VecDeque<ErrorEntry>,
}

impl ErrorLog {
    /// Record a refused call, diagnosed against what is known of the token now.
    pub fn record(&mut self, activity: Activity, error: ApiError, at: Timestamp, knowledge: &Knowledge) {
        let diagnosis = diagnose::diagnose(&ErrorFacts::from_api_error(&error), knowledge);

        let raw_pretty = error
            .raw()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
            .and_then(|v| serde_json::to_string_pretty(&v).ok());
        let (request, status, cid, summary) = (
            error.request.to_string(),
            error.status().unwrap_or(0),
            error.correlation_id().unwrap_or("-").to_string(),
            error.summary(),
        );
        let (cause, why) = (diagnosis.cause.label(), diagnosis.summary.clone());
        let folded = self.push(ErrorEntry {
            severity: Severity::Error,
            activity: activity.clone(),
            error: Some(error),
            diagnosis,
            raw_pretty,
            count: 1,
            first_seen: at,
            last_seen: at,
        });
        // A new kind of refusal is news; its repeats (every poll while it lasts) are detail.
        if folded {
            tracing::debug!(?activity, %request, status, correlation_id = %cid, cause, error = %summary, "refused again: {why}");
        } else {
            tracing::warn!(?activity, %request, status, correlation_id = %cid, cause, error = %summary, "refused: {why}");
        }
    }

    /// Something that went right after going wrong (access restored), kept beside the errors
    /// it answers.
    pub fn info(&mut self, activity: Activity, diagnosis: Diagnosis, at: Timestamp) {
        tracing::info!(activity = ?activity, "{}", diagnosis.summary);
        let _ = self.push(ErrorEntry {
            severity: Severity::Info,
            activity,
            error: None,
            diagnosis,
            raw_pretty: None,
            count: 1,
            first_seen: at,
            last_seen: at,
        });
    }

    /// qtop's own fault (a task panicked): an error, but no call's answer.
    pub fn internal(&mut self, diagnosis: Diagnosis, at: Timestamp) {
        let _ = self.push(ErrorEntry {
            severity: Severity::Error,
            activity: Activity::Internal,
            error: None,
            diagnosis,
            raw_pretty: None,
            count: 1,
            first_seen: at,
            last_seen: at,
        });
    }

    pub fn warn(&mut self, activity: Activity, diagnosis: Diagnosis, at: Timestamp) {
        let _ = self.push(ErrorEntry {
            severity: Severity::Warning,
            activity,
            error: None,
            diagnosis,
            raw_pretty: None,
            count: 1,
            first_seen: at,
            last_seen: at,
        });
    }

    /// Add an entry; true when it folded into an existing one.
    fn push(&mut self, entry: ErrorEntry) -> bool {
        if let Some(pos) = self.entries.iter().position(|e| e.same_kind(&entry)) {
            let mut old = self.entries.remove(pos).expect("position is valid");
            old.count += 1;
            old.last_seen = entry.last_seen;
            // Keep the newest body and correlation id: that is what support will ask for.
            old.error = entry.error;
            old.diagnosis = entry.diagnosis;
            old.raw_pretty = entry.raw_pretty;
            self.entries.push_front(old);
            return true;
        }
        self.entries.push_front(entry);
        self.entries.truncate(ERROR_LOG_CAP);
        false
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

    /// Forget warnings of one activity (they are re-derived on each queue-list refresh).
    pub fn clear_warnings(&mut self, activity: &Activity) {
        self.entries.retain(|e| !(e.severity == Severity::Warning && &e.activity == activity));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Cause;
    use genesys::catalog::EndpointId;
    use genesys::client::{ErrorKind, Request};

    fn err(status: u16) -> ApiError {
        ApiError {
            request: Request::new(EndpointId::QueueObservations).line(),
            kind: ErrorKind::Api { status, body: None, raw: String::new() },
            meta: None,
        }
    }

    #[test]
    fn the_log_is_bounded_and_newest_first() {
        let mut log = ErrorLog::default();
        let t0: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        for i in 0..(ERROR_LOG_CAP as u16 + 50) {
            log.record(Activity::Observations, err(400 + i % 200), t0, &Knowledge::default());
            let _ = i;
        }
        assert_eq!(log.len(), ERROR_LOG_CAP);
        assert_eq!(log.get(0).unwrap().status(), Some(400 + (ERROR_LOG_CAP as u16 + 49) % 200));
    }

    #[test]
    fn entries_carry_their_diagnosis() {
        let mut log = ErrorLog::default();
        log.record(Activity::Observations, err(503), "2026-11-25T10:00:00Z".parse().unwrap(), &Knowledge::default());
        assert_eq!(log.get(0).unwrap().diagnosis.cause, Cause::Unavailable);
    }
}
