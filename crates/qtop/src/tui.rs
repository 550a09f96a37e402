//! The terminal: set up, run the event loop, and always put the terminal back (normal exit,
//! error, panic, SIGINT, SIGTERM, SIGHUP).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste, Event as TermEvent, EventStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::App;
use crate::auth_tasks::{self, AuthCommands};
use crate::config::Config;
use crate::diagnose::Knowledge;
use crate::event::{Command, Event};
use crate::monitor::Monitor;
use crate::supervise::{Restart, Task, supervise, supervise_commanded};
use crate::ui;
use genesys::auth::Session;

/// Restores the terminal when dropped, whatever way the loop ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Put the terminal back, bracketed paste included.
fn restore() {
    let _ = ratatui::crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// Replace the default panic output (and its backtrace) with a restored terminal and one
/// line — for a panic of the screen's own thread, which ends qtop. A background task's panic
/// is its supervisor's to report and recover from: the screen must stay as it is, so it goes
/// to the log file only. Call from the thread that runs the screen.
pub fn install_panic_hook() {
    let screen = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let what = crate::supervise::panic_text(info.payload());
        if std::thread::current().id() != screen {
            tracing::error!("a background task panicked{place}: {what}");
            return;
        }
        restore();
        let _ = writeln!(std::io::stderr(), "qtop: internal error{place}: {what} (please report this)");
    }));
}

/// Raw mode and the alternate screen, as `ratatui::try_init` sets them up but without its
/// panic hook.
fn init_terminal() -> std::io::Result<ratatui::DefaultTerminal> {
    ratatui::crossterm::terminal::enable_raw_mode()?;
    ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::terminal::EnterAlternateScreen)?;
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))
}

/// OSC 52 "set clipboard": the terminal emulator, not this machine, takes the text, so it
/// works over SSH. Inside tmux it needs `set-clipboard on` (tmux's default forwards it).
/// One frame; what it had room for goes back into the state for the next key (paging).
fn draw(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> std::io::Result<()> {
    let mut viewport = None;
    terminal.draw(|f| viewport = Some(ui::draw(f, app)))?;
    app.ui.viewport = viewport.unwrap_or_default();
    Ok(())
}

pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text))
}

/// Carry out a clipboard command here (it writes to the terminal); give back any other.
fn copy_to_clipboard(c: Command) -> Option<Command> {
    match c {
        Command::CopyToClipboard(text) => {
            use std::io::Write as _;
            let mut out = std::io::stdout();
            if let Err(e) = out.write_all(osc52(&text).as_bytes()).and_then(|()| out.flush()) {
                tracing::warn!("clipboard: could not write OSC 52: {e}");
            }
            None
        }
        other => Some(other),
    }
}

/// Why the live screen cannot start here, before anything else starts: output piped to a
/// file or another program, or no terminal to read keys from (cron, a service without a tty).
pub fn terminal_problem() -> Option<String> {
    use std::io::IsTerminal;
    let fix = "run qtop in a terminal; for a text report without one use `qtop doctor` (or `qtop doctor --json`)";
    if !std::io::stdout().is_terminal() {
        return Some(format!(
            "the live screen needs a terminal, and standard output is not one (piped or redirected): {fix}"
        ));
    }
    // Keys come from stdin when it is the terminal, else from /dev/tty (as crossterm does).
    if !std::io::stdin().is_terminal() && std::fs::File::open("/dev/tty").is_err() {
        return Some(format!("the live screen needs a terminal to read keys from, and there is none: {fix}"));
    }
    None
}

pub async fn run(config: &Config, session: Arc<Session>) -> std::io::Result<()> {
    // The terminal first, and without `ratatui::try_init`: its panic hook restores the
    // terminal on a panic of any thread, so a supervised task panicking while it ran left the
    // live screen in cooked mode (keys then never arrived). Our hook (main installs it) only
    // restores for the screen's own thread.
    let mut terminal = init_terminal()?;
    let _guard = TerminalGuard;

    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(16);
    let mut tasks = JoinSet::new();

    let monitor = Monitor {
        session: session.clone(),
        refresh: config.refresh,
        totals_refresh: config.totals_refresh,
        timezone: config.timezone.clone(),
        selectors: config.queues.clone(),
        source: config.live_source,
        events: ev_tx.clone(),
    };
    // Every task runs under a supervisor: a panic is shown and the task started again,
    // never a screen that keeps drawing with nothing behind it.
    let policy = Restart::default();
    let events = ev_tx.clone();
    tasks.spawn(supervise_commanded(Task::Monitor, events, policy.clone(), cmd_rx, move |rx| monitor.clone().run(rx)));
    let (s, events) = (session.clone(), ev_tx.clone());
    tasks.spawn(supervise(Task::KeepAlive, ev_tx.clone(), policy.clone(), move || auth_tasks::keep_alive(s.clone())));
    let s = session.clone();
    tasks.spawn(supervise(Task::TokenReports, ev_tx.clone(), policy.clone(), move || {
        auth_tasks::report_tokens(s.clone(), events.clone())
    }));
    let auth_commands = AuthCommands::new(session.clone(), ev_tx.clone());
    let events = ev_tx.clone();
    tasks.spawn(supervise(Task::Input, ev_tx.clone(), policy.clone(), move || read_input(events.clone())));
    let events = ev_tx.clone();
    tasks.spawn(supervise(Task::Clock, ev_tx.clone(), policy, move || tick(events.clone())));
    tasks.spawn(signals(ev_tx.clone()));
    drop(ev_tx);

    // A paste arrives as one event, so pasted text can never act as hotkeys.
    let _ = ratatui::crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
    let mut app = App::new(config.hosts.label.clone(), session.method().grant(), config.refresh, Timestamp::now());
    app.totals_refresh = config.totals_refresh;
    app.ascii = config.ascii;
    app.color = config.color;
    app.knowledge = Knowledge::of_session(&session);
    app.configure(config.ui.clone(), config.timezone.clone());
    if let Ok(size) = terminal.size() {
        app.update(Event::Resize(size.width, size.height));
    }

    // Debug builds only: a deliberate panic after this many milliseconds, so a test can prove
    // the terminal comes back from one (release builds ignore it).
    let panic_at = cfg!(debug_assertions)
        .then(|| std::env::var("QTOP_TEST_PANIC_AFTER").ok()?.parse::<u64>().ok())
        .flatten()
        .map(|ms| std::time::Instant::now() + Duration::from_millis(ms));

    draw(&mut terminal, &mut app)?;
    while let Some(ev) = ev_rx.recv().await {
        assert!(
            panic_at.is_none_or(|at| std::time::Instant::now() < at),
            "QTOP_TEST_PANIC_AFTER: a test asked for this panic"
        );
        let mut commands = app.update(ev);
        // Coalesce a burst of events into one frame.
        while let Ok(ev) = ev_rx.try_recv() {
            commands.extend(app.update(ev));
        }
        for c in commands.into_iter().filter_map(copy_to_clipboard).filter_map(|c| auth_commands.handle(c)) {
            // A full command queue means the same request is already waiting.
            let _ = cmd_tx.try_send(c);
        }
        if app.should_quit {
            break;
        }
        if app.take_dirty() {
            draw(&mut terminal, &mut app)?;
        }
    }
    tracing::info!("leaving: stopping every task");
    tasks.abort_all();
    // Wait for them to end (aborted tasks stop at their next await), so nothing outlives the
    // screen: no request half-sent after an SSH drop.
    let _ = tokio::time::timeout(Duration::from_secs(2), async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

async fn read_input(tx: mpsc::Sender<Event>) {
    let mut stream = EventStream::new();
    while let Some(item) = stream.next().await {
        let ev = match item {
            Ok(TermEvent::Key(k)) => Event::Key(k),
            Ok(TermEvent::Paste(text)) => Event::Paste(text),
            Ok(TermEvent::Resize(w, h)) => Event::Resize(w, h),
            Ok(_) => continue,
            Err(_) => Event::Quit("terminal input failed"),
        };
        if tx.send(ev).await.is_err() {
            return;
        }
    }
    let _ = tx.send(Event::Quit("terminal closed")).await;
}

async fn tick(tx: mpsc::Sender<Event>) {
    let mut every = tokio::time::interval(Duration::from_millis(250));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        if tx.send(Event::Tick(Timestamp::now())).await.is_err() {
            return;
        }
    }
}

async fn signals(tx: mpsc::Sender<Event>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::hangup()), signal(SignalKind::interrupt()))
    else {
        return;
    };
    let why = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = why, "signal: leaving");
    let _ = tx.send(Event::Quit(why)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_base64_encoded() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        let url = "https://login.mypurecloud.ie/oauth/authorize?response_type=code&state=é";
        let seq = osc52(url);
        assert!(seq.is_ascii() && !seq.contains("state"), "{seq}");
    }

    #[test]
    fn only_the_clipboard_command_is_taken() {
        assert_eq!(copy_to_clipboard(Command::RefreshNow), Some(Command::RefreshNow));
    }
}
