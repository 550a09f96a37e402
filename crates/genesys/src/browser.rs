//! Opening the sign-in page in a browser. Pluggable: the real one launches the system's
//! browser when this machine has one; anything else (a scripted browser in the demo, a test)
//! can stand in, and sign-in cannot tell the difference.

use std::process::{Command, Stdio};

/// Shows an authorize URL to the user in a browser.
pub trait Opener: Send + Sync {
    /// Start showing `url`; `Err(why)` when there is no browser to show it in (an SSH
    /// session, no display), so the caller falls back to printing it.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The browser of the machine qtop runs on: `$BROWSER`, else `xdg-open` (or `open` on macOS).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemBrowser;

/// Whether a browser launched from here could be seen by the user.
fn has_display() -> bool {
    if cfg!(target_os = "macos") {
        // Over SSH `open` would show the page on the remote Mac's screen, not the user's.
        return std::env::var_os("SSH_CONNECTION").is_none();
    }
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

impl Opener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let program = match std::env::var("BROWSER").ok().filter(|b| !b.trim().is_empty()) {
            Some(b) => b,
            None if !has_display() => return Err("no display here (an SSH session?)".into()),
            None if cfg!(target_os = "macos") => "open".into(),
            None => "xdg-open".into(),
        };
        let mut child = Command::new(&program)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        // Some openers live as long as the browser; reap them off the async runtime.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}

/// No browser at all: always falls back to printing the URL (paste mode, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBrowser;

impl Opener for NoBrowser {
    fn open(&self, _url: &str) -> Result<(), String> {
        Err("no browser configured".into())
    }
}
