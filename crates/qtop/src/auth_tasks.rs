//! Background work that keeps the token alive and described: renew before expiry even when
//! nothing polls, ask the API about every new token, and carry out the sign-in commands
//! (`a`, the paste prompt) without ever blocking the pollers or the screen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::event::{Activity, Command, Event, MonitorEvent};
use genesys::auth::{Session, TokenSource};
use genesys::token;

/// Renew the token when it falls due, whether or not anything is calling the API.
pub async fn keep_alive(session: Arc<Session>) {
    let mut status = session.status();
    loop {
        match session.renewal_due_in() {
            Some(wait) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {
                        // Errors are published on the status channel; the pane shows them.
                        session.renew_if_due().await;
                    }
                    changed = status.changed() => if changed.is_err() { return },
                }
            }
            None => {
                if status.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Send a [`MonitorEvent::TokenReport`] for every new token, except a refreshed one: a
/// refresh token gives the same user the same scopes, so the 4–6 calls that describe a token
/// would be spent (every minute for short-lived tokens) to learn nothing. Access that
/// changes mid-run is caught by its 403 and `Command::InspectToken`.
pub async fn report_tokens(session: Arc<Session>, events: mpsc::Sender<Event>) {
    let mut status = session.status();
    let mut described: Option<String> = None;
    loop {
        let (current, refreshed) = {
            let s = status.borrow_and_update();
            let t = s.token.as_ref();
            (t.map(|t| t.fingerprint.clone()), t.is_some_and(|t| t.source == TokenSource::Refresh))
        };
        if current.is_some() && current != described {
            let first = described.is_none();
            described = current;
            if refreshed && !first {
                continue;
            }
            if let Ok(report) = token::inspect(&session).await
                && events.send(Event::Monitor(MonitorEvent::TokenReport(Box::new(report)))).await.is_err()
            {
                return;
            }
        }
        if status.changed().await.is_err() {
            return;
        }
    }
}

/// Carries out `ReAuth`, `SubmitPaste` and `CancelSignIn`.
#[derive(Clone)]
pub struct AuthCommands {
    session: Arc<Session>,
    events: mpsc::Sender<Event>,
    reauth_running: Arc<AtomicBool>,
}

impl AuthCommands {
    pub fn new(session: Arc<Session>, events: mpsc::Sender<Event>) -> Self {
        AuthCommands { session, events, reauth_running: Arc::new(AtomicBool::new(false)) }
    }

    /// Handle `cmd` if it is a sign-in command; give it back otherwise.
    pub fn handle(&self, cmd: Command) -> Option<Command> {
        match cmd {
            Command::ReAuth => {
                // One re-authentication at a time: a second press while one runs is ignored.
                if self.reauth_running.swap(true, Ordering::SeqCst) {
                    return None;
                }
                let me = self.clone();
                tokio::spawn(async move {
                    let result = me.session.reauthenticate().await;
                    me.reauth_running.store(false, Ordering::SeqCst);
                    if let Err(e) = result {
                        let ev = MonitorEvent::Failed {
                            activity: Activity::SignIn,
                            error: Box::new(e),
                            at: Timestamp::now(),
                        };
                        let _ = me.events.send(Event::Monitor(ev)).await;
                    }
                });
                None
            }
            Command::SubmitPaste(line) => {
                self.session.paste(line);
                None
            }
            Command::CancelSignIn => {
                self.session.cancel_sign_in();
                None
            }
            other => Some(other),
        }
    }
}
