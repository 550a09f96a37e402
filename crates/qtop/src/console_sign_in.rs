//! Signing a user in before the TUI takes the terminal: the sign-in prompt goes to stderr and
//! a pasted line comes from stdin.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use genesys::auth::{AuthPhase, AuthStatus, Session, SignInPrompt};
use genesys::secret::Secret;

/// Sign in (or pick up a cached or refreshable token). Returns a one-line reason on failure.
pub async fn sign_in(session: Arc<Session>, org_label: &str) -> Result<(), String> {
    let printer = tokio::spawn(print_prompts(session.status(), org_label.to_string()));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::task::spawn_blocking({
        let (session, stop) = (session.clone(), stop.clone());
        move || read_pastes(session, stop)
    });
    let result = session.token().await;
    printer.abort();
    stop.store(true, Ordering::SeqCst);
    let _ = reader.await;
    result.map(|_| ()).map_err(|e| format!("sign-in failed: {}", e.summary()))
}

fn describe(p: &SignInPrompt, org: &str) -> String {
    let mut out = format!("qtop: sign in to {org} as a user.\n");
    match (&p.browser_problem, &p.listening) {
        (None, _) => {
            out.push_str("  A browser was opened. If nothing appeared, open this address in any browser:\n");
        }
        (Some(_), Some(_)) => out.push_str("  Open this address in a browser and sign in:\n"),
        (Some(_), None) => out.push_str("  Open this address in a browser (on any machine) and sign in:\n"),
    }
    out.push_str(&format!("\n  {}\n\n", p.authorize_url));
    if let Some(uri) = &p.listening {
        out.push_str(&format!("  Waiting for the browser to come back to {uri} …\n"));
    }
    if p.accepts_paste {
        out.push_str(
            "  The browser then goes to a 127.0.0.1 address that may not load on another machine: that is fine.\n  \
             Paste that whole address (or just its code) here and press Enter; Ctrl-C gives up.\n",
        );
    }
    out
}

/// When a browser was opened, give it this long before printing the address: a sign-in that
/// completes by itself then leaves the terminal quiet.
const BROWSER_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

async fn print_prompts(mut status: watch::Receiver<AuthStatus>, org: String) {
    let mut shown_url = String::new();
    let mut shown_problem: Option<String> = None;
    loop {
        let prompt = match &status.borrow_and_update().phase {
            AuthPhase::AwaitingUser(p) => Some(p.clone()),
            _ => None,
        };
        if let Some(p) = prompt {
            if p.authorize_url != shown_url {
                shown_url = p.authorize_url.clone();
                shown_problem = None;
                if p.browser_problem.is_none() {
                    tokio::time::sleep(BROWSER_GRACE).await;
                    if !matches!(&status.borrow().phase, AuthPhase::AwaitingUser(q) if q.authorize_url == shown_url) {
                        continue;
                    }
                }
                eprint!("{}", describe(&p, &org));
            }
            if p.paste_problem.is_some() && p.paste_problem != shown_problem {
                shown_problem = p.paste_problem.clone();
                eprintln!("  {}", shown_problem.as_deref().unwrap_or_default());
            }
        }
        if status.changed().await.is_err() {
            return;
        }
    }
}

/// How often the paste reader looks at its stop flag.
const POLL_MS: i32 = 100;

/// Pasted lines from stdin. The reader polls with a timeout and reads only when a line is
/// ready, and it is stopped and joined before the TUI starts: a read left blocked on the
/// terminal would outlive the sign-in and swallow the first key meant for the TUI.
fn read_pastes(session: Arc<Session>, stop: Arc<AtomicBool>) {
    use std::os::fd::{AsFd, AsRawFd};
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else { return };
    let mut file = std::fs::File::from(fd);
    let mut pending = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let mut pfd = libc::pollfd { fd: file.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
        let n = unsafe { libc::poll(&raw mut pfd, 1, POLL_MS) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        match file.read(&mut buf) {
            Ok(0) | Err(_) => {
                // End of input: a last line without a newline still counts.
                pending.push(b'\n');
                deliver(&session, &mut pending);
                return;
            }
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                deliver(&session, &mut pending);
            }
        }
    }
}

fn deliver(session: &Session, pending: &mut Vec<u8>) {
    while let Some(i) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=i).collect();
        let text = String::from_utf8_lossy(&line).trim().to_string();
        if !text.is_empty() {
            session.paste(Secret::new(text));
        }
    }
}
