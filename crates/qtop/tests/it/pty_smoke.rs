//! Start the real binary in a pseudo-terminal, wait for a frame with queue names, quit with
//! `q` or a signal, and check the exit code and that the terminal was put back.

use crate::common;

use std::time::Duration;

use common::pty::{ENTER_ALT, LEAVE_ALT, spawn};

#[test]
fn demo_shows_queues_and_quits_cleanly() {
    let mut run = spawn(&["--demo"], &[]);
    assert!(run.wait_for(ENTER_ALT, Duration::from_secs(20)), "never entered the alternate screen");
    assert!(run.wait_for(b"Collections", Duration::from_secs(30)), "no queue names: {}", run.text());
    assert!(run.wait_for(b"Live", Duration::from_secs(10)));
    let status = run.quit();
    assert!(status.success(), "exit status {status:?}");
    assert!(run.restored(), "terminal not restored: {:?}", run.text());
}

#[test]
fn a_bad_flag_is_one_line_not_a_backtrace() {
    let mut run = spawn(&["--refresh", "fast", "--demo"], &[]);
    let status = run.wait_exit(Duration::from_secs(20)).expect("exits");
    assert!(!status.success());
    let text = run.text();
    assert!(text.contains("--refresh = \"fast\" is not a duration"), "{text}");
    assert!(!text.contains("panicked") && !text.contains("backtrace"), "{text}");
    assert!(!run.seen.windows(ENTER_ALT.len()).any(|w| w == ENTER_ALT), "no TUI for a config error");
}

#[test]
fn piped_output_is_one_line_not_a_broken_screen() {
    // No terminal at all: output to a pipe, no stdin (cron, a service, `qtop --demo | less`).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtop"))
        .args(["--demo"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a terminal") && err.contains("qtop doctor"), "{err}");
    assert!(!out.stdout.contains(&0x1b) && !err.contains('\x1b'), "no escape sequences: {out:?}");
}

fn exits_cleanly_on(sig: &str) {
    let mut run = spawn(&["--demo"], &[]);
    assert!(run.wait_for(b"Collections", Duration::from_secs(30)), "no frame");
    let pid = run.child.process_id().expect("pid").to_string();
    assert!(std::process::Command::new("kill").args([sig, pid.as_str()]).status().unwrap().success());
    let status = run.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("still running 10 s after {sig}"));
    assert!(status.success(), "{sig}: {status:?}");
    assert!(run.restored(), "{sig}: terminal not restored");
}

#[test]
fn sigterm_restores_the_terminal() {
    exits_cleanly_on("-TERM");
}

#[test]
fn sighup_restores_the_terminal_and_exits() {
    exits_cleanly_on("-HUP");
}

#[test]
fn sigint_restores_the_terminal() {
    exits_cleanly_on("-INT");
}

#[test]
fn wall_mode_ignores_keys_until_quit_and_restores_the_terminal() {
    let mut run = spawn(&["--demo", "--wall"], &[]);
    assert!(run.wait_for(ENTER_ALT, Duration::from_secs(20)), "never entered the alternate screen");
    // 80x24 is too small for big digits: the wall falls back to its bold table.
    assert!(run.wait_for(b"Collections", Duration::from_secs(30)), "{}", run.text());
    assert!(run.wait_for(b"Live", Duration::from_secs(10)));
    // Keys that would open a prompt or an overlay do nothing on a wall.
    run.type_keys(b"?/e");
    std::thread::sleep(Duration::from_millis(800));
    let seen_before = run.seen.len();
    assert!(run.wait_exit(Duration::from_millis(300)).is_none(), "still running");
    let after = String::from_utf8_lossy(&run.seen[seen_before.saturating_sub(4000)..]).to_string();
    assert!(!after.contains("help") && !after.contains("Errors ("), "a prompt appeared: {after}");
    let status = run.quit();
    assert!(status.success(), "exit status {status:?}");
    assert!(run.restored());
}

#[test]
fn a_panic_restores_the_terminal_and_says_so_in_one_line() {
    // Honoured by debug builds only (the test binary's qtop is one).
    let mut run = spawn(&["--demo"], &[("QTOP_TEST_PANIC_AFTER", "1500")]);
    assert!(run.wait_for(ENTER_ALT, Duration::from_secs(20)), "never entered the alternate screen");
    let status = run.wait_exit(Duration::from_secs(30)).expect("the panic ends qtop");
    assert!(!status.success(), "a panic is a failure: {status:?}");
    let out = &run.seen;
    let entered = out.windows(ENTER_ALT.len()).rposition(|w| w == ENTER_ALT).unwrap();
    // The panic hook restores the terminal before it prints (and the guard again as the
    // stack unwinds): the message lands on the normal screen.
    let left =
        entered + out[entered..].windows(LEAVE_ALT.len()).position(|w| w == LEAVE_ALT).expect("alternate screen left");
    let cursor_shown = out.windows(6).rposition(|w| w == b"\x1b[?25h").expect("cursor shown again");
    assert!(cursor_shown > entered);
    let text = String::from_utf8_lossy(&out[left..]);
    assert!(text.contains("qtop: internal error") && text.contains("QTOP_TEST_PANIC_AFTER"), "{text}");
    assert!(!text.contains("stack backtrace"), "{text}");
}
