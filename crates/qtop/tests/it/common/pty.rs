//! The real binary in a pseudo-terminal, with a clean environment: no user config, no
//! browser, no credentials from the machine running the tests.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub const ENTER_ALT: &[u8] = b"\x1b[?1049h";
pub const LEAVE_ALT: &[u8] = b"\x1b[?1049l";

pub struct Running {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub writer: Box<dyn Write + Send>,
    pub output: mpsc::Receiver<Vec<u8>>,
    pub seen: Vec<u8>,
    _home: tempfile::TempDir,
}

/// Start `qtop ARGS` in a `cols`x`rows` terminal with extra environment.
pub fn spawn_sized(args: &[&str], (cols, rows): (u16, u16), env: &[(&str, &str)]) -> Running {
    let pair = native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qtop"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    for (var, dir) in [("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")] {
        cmd.env(var, home.path().join(dir));
    }
    for k in [
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "BROWSER",
        "QTOP_CONFIG",
        "GENESYSCLOUD_REGION",
        "GENESYSCLOUD_ACCESS_TOKEN",
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    ] {
        cmd.env_remove(k);
    }
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
    Running { child, writer, output: rx, seen: vec![], _home: home }
}

/// 80x24, the smallest terminal qtop is built for.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
    spawn_sized(args, (80, 24), env)
}

impl Running {
    fn drain(&mut self) {
        while let Ok(chunk) = self.output.try_recv() {
            self.seen.extend(chunk);
        }
    }

    /// Read output until `needle` shows up (true) or the time runs out (false).
    pub fn wait_for(&mut self, needle: &[u8], within: Duration) -> bool {
        let end = Instant::now() + within;
        loop {
            if self.seen.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            if let Ok(chunk) = self.output.recv_timeout(Duration::from_millis(100)) {
                self.seen.extend(chunk);
            }
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    pub fn type_keys(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn type_line(&mut self, line: &str) {
        self.type_keys(line.as_bytes());
        self.type_keys(b"\r");
    }

    pub fn wait_exit(&mut self, within: Duration) -> Option<portable_pty::ExitStatus> {
        let end = Instant::now() + within;
        while Instant::now() < end {
            self.drain();
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                self.drain();
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Press `q` and wait for the exit.
    pub fn quit(&mut self) -> portable_pty::ExitStatus {
        self.type_keys(b"q");
        if let Some(status) = self.wait_exit(Duration::from_secs(10)) {
            status
        } else {
            let _ = self.child.kill();
            panic!("qtop did not exit after q");
        }
    }

    /// The terminal was put back: the last alternate-screen entry has a later exit and the
    /// cursor is shown again.
    pub fn restored(&self) -> bool {
        let last = |needle: &[u8]| self.seen.windows(needle.len()).rposition(|w| w == needle);
        match (last(ENTER_ALT), last(LEAVE_ALT), last(b"\x1b[?25h")) {
            (Some(entered), Some(left), Some(cursor)) => left > entered && cursor > entered,
            _ => false,
        }
    }
}
