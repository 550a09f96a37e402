//! Start the real binary in a pseudo-terminal, wait for a frame with queue names, quit with
//! `q`, and check the exit code and that the terminal was put back.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Running {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub writer: Box<dyn Write + Send>,
    pub output: mpsc::Receiver<Vec<u8>>,
    pub seen: Vec<u8>,
}

pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
    let pty = native_pty_system();
    let pair = pty.openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qtop"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    // No user config may leak into the test.
    cmd.env("XDG_CONFIG_HOME", std::env::temp_dir().join("qtop-pty-no-config"));
    cmd.env("XDG_STATE_HOME", std::env::temp_dir().join("qtop-pty-state"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let writer = pair.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _keep_master_open = pair.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    Running { child, writer, output: rx, seen: vec![] }
}

impl Running {
    /// Read output until `needle` shows up (true) or the time runs out (false).
    pub fn wait_for(&mut self, needle: &[u8], within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.seen.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
            if let Ok(chunk) = self.output.recv_timeout(Duration::from_millis(100)) {
                self.seen.extend(chunk);
            }
        }
        self.seen.windows(needle.len()).any(|w| w == needle)
    }

    pub fn wait_exit(&mut self, within: Duration) -> Option<portable_pty::ExitStatus> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            while let Ok(chunk) = self.output.try_recv() {
                self.seen.extend(chunk);
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                while let Ok(chunk) = self.output.try_recv() {
                    self.seen.extend(chunk);
                }
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

const ENTER_ALT: &[u8] = b"\x1b[?1049h";
const LEAVE_ALT: &[u8] = b"\x1b[?1049l";

#[test]
fn demo_shows_queues_and_quits_cleanly() {
    let mut run = spawn(&["--demo"], &[]);
    assert!(run.wait_for(ENTER_ALT, Duration::from_secs(20)), "never entered the alternate screen");
    assert!(
        run.wait_for(b"Collections", Duration::from_secs(30)),
        "no queue names: {}",
        String::from_utf8_lossy(&run.seen)
    );
    assert!(run.wait_for(b"Live", Duration::from_secs(10)));
    run.writer.write_all(b"q").unwrap();
    run.writer.flush().unwrap();
    let status = run.wait_exit(Duration::from_secs(10)).expect("qtop exits after q");
    assert!(status.success(), "exit status {status:?}");
    let out = &run.seen;
    let left = out.windows(LEAVE_ALT.len()).rposition(|w| w == LEAVE_ALT).expect("left the alternate screen");
    let entered = out.windows(ENTER_ALT.len()).rposition(|w| w == ENTER_ALT).unwrap();
    assert!(left > entered);
}

#[test]
fn a_bad_flag_is_one_line_not_a_backtrace() {
    let mut run = spawn(&["--refresh", "fast", "--demo"], &[]);
    let status = run.wait_exit(Duration::from_secs(20)).expect("exits");
    assert!(!status.success());
    let text = String::from_utf8_lossy(&run.seen);
    assert!(text.contains("--refresh = \"fast\" is not a duration"), "{text}");
    assert!(!text.contains("panicked") && !text.contains("backtrace"), "{text}");
    assert!(!run.seen.windows(ENTER_ALT.len()).any(|w| w == ENTER_ALT), "no TUI for a config error");
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig} {pid}");
}

fn exits_cleanly_on(sig: &str) {
    let mut run = spawn(&["--demo"], &[]);
    assert!(run.wait_for(b"Collections", Duration::from_secs(30)), "no frame");
    let pid = run.child.process_id().expect("pid");
    signal(pid, sig);
    let status = run.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("still running 10 s after {sig}"));
    assert!(status.success(), "{sig}: {status:?}");
    let out = &run.seen;
    let entered = out.windows(ENTER_ALT.len()).rposition(|w| w == ENTER_ALT).unwrap();
    let left = out
        .windows(LEAVE_ALT.len())
        .rposition(|w| w == LEAVE_ALT)
        .unwrap_or_else(|| panic!("{sig}: alternate screen not left"));
    assert!(left > entered);
    let cursor_shown = out.windows(6).rposition(|w| w == b"\x1b[?25h").expect("cursor shown again");
    assert!(cursor_shown > entered, "{sig}: cursor left hidden");
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
    assert!(run.wait_for(b"Collections", Duration::from_secs(30)), "{}", String::from_utf8_lossy(&run.seen));
    assert!(run.wait_for(b"Live", Duration::from_secs(10)));
    // Keys that would open a prompt or an overlay do nothing on a wall.
    run.writer.write_all(b"?/e").unwrap();
    run.writer.flush().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let seen_before = run.seen.len();
    assert!(run.wait_exit(Duration::from_millis(300)).is_none(), "still running");
    let after = String::from_utf8_lossy(&run.seen[seen_before.saturating_sub(4000)..]).to_string();
    assert!(!after.contains("help") && !after.contains("Errors ("), "a prompt appeared: {after}");
    run.writer.write_all(b"q").unwrap();
    run.writer.flush().unwrap();
    let status = run.wait_exit(Duration::from_secs(10)).expect("q quits the wall");
    assert!(status.success(), "exit status {status:?}");
    let out = &run.seen;
    let left = out.windows(LEAVE_ALT.len()).rposition(|w| w == LEAVE_ALT).expect("left the alternate screen");
    let entered = out.windows(ENTER_ALT.len()).rposition(|w| w == ENTER_ALT).unwrap();
    assert!(left > entered);
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
