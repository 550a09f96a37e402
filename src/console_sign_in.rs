//! Signing a user in before the TUI takes the terminal: the sign-in prompt goes to stderr and
//! a pasted line comes from stdin.

use std::io::Read;
use std::sync::Arc;

use tokio::sync::watch;

use crate::genesys::auth::{AuthPhase, AuthStatus, Session, SignInPrompt};
use crate::genesys::secret::Secret;

/// Sign in (or pick up a cached or refreshable token). Returns a one-line reason on failure.
pub async fn sign_in(session: Arc<Session>, org_label: &str) -> Result<(), String> {
    let printer = tokio::spawn(print_prompts(session.status(), org_label.to_string()));
    let reader = tokio::spawn(read_pastes(session.clone()));
    let result = session.token().await;
    printer.abort();
    reader.abort();
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

/// Pasted lines from stdin, read only when the terminal says a line is ready. A read left
/// blocked on the terminal would outlive the sign-in and swallow the first key meant for the
/// TUI, so the descriptor is polled rather than read by a blocking thread.
async fn read_pastes(session: Arc<Session>) {
    use std::os::fd::AsFd;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else { return };
    let file = std::fs::File::from(fd);
    let mut pending = Vec::new();
    // SAFETY: `file` owns its descriptor (a dup of stdin) and nothing replaces or closes it
    // while the AsyncFd holds it.
    let registered = unsafe { tokio::io::unix::AsyncFd::register_with_interest(file, tokio::io::Interest::READABLE) };
    match registered {
        Ok(afd) => loop {
            let Ok(mut ready) = afd.readable().await else { return };
            let mut buf = [0u8; 4096];
            match ready.try_io(|f| f.get_ref().read(&mut buf)) {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(n)) => {
                    pending.extend_from_slice(&buf[..n]);
                    deliver(&session, &mut pending);
                }
                Err(_would_block) => continue,
            }
        },
        // Not pollable (a regular file, /dev/null): reading it never blocks.
        Err(afd_error) => {
            let mut file = afd_error.into_parts().0;
            let _ = tokio::task::spawn_blocking(move || {
                let mut all = Vec::new();
                let _ = file.read_to_end(&mut all);
                all
            })
            .await
            .map(|mut all| {
                all.push(b'\n');
                deliver(&session, &mut all)
            });
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
