//! `xtask tty`: the measurement. Timeline from the spawn (t = 0): bytes before `warmup` are
//! the start-up (first paint), bytes in `[warmup, warmup + seconds)` are the window the
//! per-second figures come from; at the window's end the quit key goes in, then SIGTERM
//! after `quit_timeout`, then SIGKILL two seconds later.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::{Value, json};

use crate::procfs::Sampler;

pub struct Options {
    cols: u16,
    rows: u16,
    seconds: f64,
    warmup: f64,
    quit_key: Option<String>,
    quit_timeout: f64,
    idle_ms: u64,
    tag: Option<String>,
    cmd: Vec<String>,
}

impl Options {
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            cols: 120,
            rows: 40,
            seconds: 30.0,
            warmup: 3.0,
            quit_key: None,
            quit_timeout: 3.0,
            idle_ms: 100,
            tag: None,
            cmd: vec![],
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--" {
                o.cmd = it.cloned().collect();
                break;
            }
            let mut value = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
            let number = |v: String| v.parse::<f64>().map_err(|_| format!("{a} {v}: not a number"));
            match a.as_str() {
                "--cols" => o.cols = number(value()?)? as u16,
                "--rows" => o.rows = number(value()?)? as u16,
                "--seconds" => o.seconds = number(value()?)?,
                "--warmup" => o.warmup = number(value()?)?,
                "--quit-key" => o.quit_key = Some(value()?),
                "--quit-timeout" => o.quit_timeout = number(value()?)?,
                "--idle-ms" => o.idle_ms = number(value()?)? as u64,
                "--tag" => o.tag = Some(value()?),
                other => return Err(format!("unknown option {other} (the command goes after --)")),
            }
        }
        if o.cmd.is_empty() {
            return Err("no command given (after --)".into());
        }
        if o.seconds <= 0.0 {
            return Err("--seconds must be more than 0".into());
        }
        Ok(o)
    }
}

/// Replies a terminal gives to the queries programs send at start-up; without them some wait.
const REPLIES: [(&[u8], &[u8]); 3] =
    [(b"\x1b[6n", b"\x1b[1;1R"), (b"\x1b[c", b"\x1b[?62;22c"), (b"\x1b[5n", b"\x1b[0n")];

pub fn run(o: &Options) -> Result<String, String> {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize { rows: o.rows, cols: o.cols, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| format!("cannot open a pty: {e}"))?;
    // portable-pty looks a bare name up in PATH but not a relative path: make that absolute.
    let program = std::path::Path::new(&o.cmd[0]);
    let program = if o.cmd[0].contains('/') && program.is_relative() {
        std::env::current_dir().map_err(|e| e.to_string())?.join(program)
    } else {
        program.to_path_buf()
    };
    let mut cmd = CommandBuilder::new(program);
    cmd.args(&o.cmd[1..]);
    if let Ok(dir) = std::env::current_dir() {
        cmd.cwd(dir);
    }
    // These would override the pty's size in curses programs.
    for k in ["LINES", "COLUMNS", "TMUX", "STY"] {
        cmd.env_remove(k);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    cmd.env("LC_ALL", "C.UTF-8");
    let t0 = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).map_err(|e| format!("cannot start {}: {e}", o.cmd[0]))?;
    // Only the child holds the terminal side now: its exit ends the reader.
    drop(pair.slave);
    let pid = child.process_id().ok_or("the child has no process id")?;
    let mut reader = pair.master.try_clone_reader().map_err(|e| e.to_string())?;
    let mut writer = pair.master.take_writer().map_err(|e| e.to_string())?;

    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });

    let mut sampler = Sampler::new(pid);
    let secs = Duration::from_secs_f64;
    let (w0, w1) = (t0 + secs(o.warmup), t0 + secs(o.warmup + o.seconds));
    let mut chunks: Vec<(f64, usize)> = vec![];
    let mut out: Vec<u8> = vec![];
    let (mut cpu_w0, mut cpu_w1) = (None, None);
    let mut next_sample = t0 + Duration::from_secs(1);
    let mut quit: Option<(Instant, String)> = None;
    let (mut term_sent, mut kill_sent) = (false, false);
    let exit_code;
    loop {
        let now = Instant::now();
        if cpu_w0.is_none() && now >= w0 {
            cpu_w0 = Some(sampler.sample());
        }
        if cpu_w1.is_none() && now >= w1 {
            cpu_w1 = Some(sampler.sample());
            let how = if let Some(k) = &o.quit_key {
                let _ = writer.write_all(k.as_bytes()).and_then(|()| writer.flush());
                "key"
            } else {
                signal(pid, libc::SIGTERM);
                term_sent = true;
                "SIGTERM"
            };
            quit = Some((now, how.to_string()));
        }
        if now >= next_sample && cpu_w1.is_none() {
            sampler.sample();
            next_sample = now + Duration::from_secs(1);
        }
        if let Ok(Some(status)) = child.try_wait() {
            if cpu_w1.is_none() {
                // It died early: the window closes here.
                cpu_w1 = cpu_w0.map(|_| sampler.sample());
            }
            exit_code = Some(status.exit_code());
            break;
        }
        if let Some((at, how)) = &mut quit {
            let waited = now.duration_since(*at).as_secs_f64();
            if !term_sent && waited >= o.quit_timeout {
                signal(pid, libc::SIGTERM);
                term_sent = true;
                how.push_str("+SIGTERM");
            } else if term_sent && !kill_sent && waited >= o.quit_timeout + 2.0 {
                // SAFETY: a signal to the child's process group, which it leads (setsid).
                unsafe { libc::killpg(pid as i32, libc::SIGKILL) };
                kill_sent = true;
                how.push_str("+SIGKILL");
            }
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(data) => take(&data, t0, &mut chunks, &mut out, &mut writer),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    // What it wrote just before it exited.
    while let Ok(data) = rx.recv_timeout(Duration::from_millis(200)) {
        take(&data, t0, &mut chunks, &mut out, &mut writer);
    }
    let report = Report { o, chunks: &chunks, out: &out, cpu: cpu_w0.zip(cpu_w1), sampler: &sampler, root: pid };
    let mut line = report.json(exit_code, quit.map(|(_, how)| how));
    if let Some(tag) = &o.tag {
        let mut tagged = serde_json::Map::new();
        tagged.insert("tag".into(), json!(tag));
        tagged.extend(line.as_object().cloned().unwrap_or_default());
        line = Value::Object(tagged);
    }
    Ok(line.to_string())
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on the child's pid; the worst case is a process that is already gone.
    unsafe { libc::kill(pid as i32, sig) };
}

/// Counts one read, keeps the bytes for the restore check and answers terminal queries.
fn take(data: &[u8], t0: Instant, chunks: &mut Vec<(f64, usize)>, out: &mut Vec<u8>, writer: &mut impl Write) {
    chunks.push((t0.elapsed().as_secs_f64(), data.len()));
    let tail = out.len().saturating_sub(8);
    out.extend_from_slice(data);
    for (query, reply) in REPLIES {
        if contains(&out[tail..], query) {
            let _ = writer.write_all(reply).and_then(|()| writer.flush());
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

struct Report<'a> {
    o: &'a Options,
    chunks: &'a [(f64, usize)],
    out: &'a [u8],
    cpu: Option<(f64, f64)>,
    sampler: &'a Sampler,
    root: u32,
}

impl Report<'_> {
    fn json(&self, exit_code: Option<u32>, quit: Option<String>) -> Value {
        let o = self.o;
        let (w0, w1) = (o.warmup, o.warmup + o.seconds);
        let window: Vec<(f64, usize)> = self.chunks.iter().copied().filter(|(t, _)| (w0..w1).contains(t)).collect();
        let bytes_total: usize = window.iter().map(|(_, n)| n).sum();
        let bytes_warmup: usize = self.chunks.iter().filter(|(t, _)| *t < w0).map(|(_, n)| n).sum();
        let bytes_after: usize = self.chunks.iter().filter(|(t, _)| *t >= w1).map(|(_, n)| n).sum();
        let gap = o.idle_ms as f64 / 1000.0;
        // Start-up: the first byte, and the end of the first burst followed by a quiet gap.
        let first_byte = self.chunks.first().map(|(t, _)| t * 1000.0);
        let first_idle = self
            .chunks
            .iter()
            .enumerate()
            .find(|(i, (t, _))| self.chunks.get(i + 1).is_none_or(|(next, _)| next - t >= gap))
            .map(|(_, (t, _))| t * 1000.0);
        // Bursts ("frames") in the window: runs of reads separated by a quiet gap.
        let mut bursts: Vec<usize> = vec![];
        let mut last: Option<f64> = None;
        for (t, n) in &window {
            match (last, bursts.last_mut()) {
                (Some(l), Some(b)) if t - l < gap => *b += n,
                _ => bursts.push(*n),
            }
            last = Some(*t);
        }
        let mut per_second = vec![0usize; (o.seconds.round() as usize).max(1)];
        for (t, n) in &window {
            if let Some(s) = per_second.get_mut((t - w0) as usize) {
                *s += n;
            }
        }
        let cpu_s = self.cpu.map(|(a, b)| b - a);
        let restore = Restore::read(self.out);
        let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
        let first_idle_key = format!("first_idle_{}ms", o.idle_ms);
        json!({
            "cmd": o.cmd.join(" "),
            "cols": o.cols, "rows": o.rows,
            "seconds": o.seconds, "warmup": o.warmup,
            "bytes_total": bytes_total,
            "bytes_per_s": round(bytes_total as f64 / o.seconds, 1),
            "bytes_warmup": bytes_warmup,
            "bytes_after_window": bytes_after,
            "bytes_per_s_median_1s": median(&per_second),
            "bytes_per_s_max_1s": per_second.iter().max().copied().unwrap_or(0),
            "bursts": bursts.len(),
            "burst_bytes_median": median(&bursts),
            "cpu_s": cpu_s.map(|c| round(c, 2)),
            "cpu_pct": cpu_s.map(|c| round(100.0 * c / o.seconds, 2)),
            "read_chunks": window.len(),
            "peak_rss_kb": self.sampler.peak_rss_kb(),
            "peak_rss_root_hwm_kb": self.sampler.hwm_kb.get(&self.root).copied().unwrap_or(0),
            "startup_first_frame_ms": {
                "first_byte": first_byte.map(|t| round(t, 1)),
                first_idle_key: first_idle.map(|t| round(t, 1)),
            },
            "restored": restore.restored(),
            "restore_detail": {
                "alt_screen_entered": restore.alt_entered,
                "alt_screen_exit_seen": restore.alt_exit_seen,
                "cursor_hidden": restore.cursor_hidden,
                "cursor_show_seen": restore.cursor_show_seen,
                "modes_left_set": restore.left,
            },
            "exit_code": exit_code,
            "quit": quit,
        })
    }
}

fn median(v: &[usize]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let m = s.len() / 2;
    if s.len().is_multiple_of(2) { (s[m - 1] + s[m]) as f64 / 2.0 } else { s[m] as f64 }
}

/// The DEC private modes a program set (`ESC [ ? n h`) and reset (`… l`), in order.
struct Restore {
    alt_entered: bool,
    alt_exit_seen: bool,
    cursor_hidden: bool,
    cursor_shown_last: bool,
    cursor_show_seen: bool,
    left: Vec<u32>,
}

/// Modes whose fresh-terminal default is known: a program that changes one must put it back.
const DEFAULTS: [(u32, bool); 16] = [
    (1, false),
    (7, true),
    (25, true),
    (47, false),
    (1047, false),
    (1049, false),
    (1000, false),
    (1002, false),
    (1003, false),
    (1005, false),
    (1006, false),
    (1015, false),
    (1004, false),
    (2004, false),
    (2026, false),
    (12, true),
];

impl Restore {
    fn read(out: &[u8]) -> Restore {
        let mut last: std::collections::BTreeMap<u32, bool> = Default::default();
        let mut i = 0;
        while let Some(at) = out[i..].windows(3).position(|w| w == b"\x1b[?") {
            let start = i + at + 3;
            let end = out[start..].iter().position(|b| !(b.is_ascii_digit() || *b == b';')).map(|p| start + p);
            let Some(end) = end else { break };
            if matches!(out[end], b'h' | b'l') {
                let on = out[end] == b'h';
                for n in out[start..end].split(|b| *b == b';').filter_map(|d| std::str::from_utf8(d).ok()?.parse().ok())
                {
                    last.insert(n, on);
                }
            }
            i = end;
        }
        let left = last
            .iter()
            .filter(|(n, on)| **n != 12 && DEFAULTS.iter().any(|(d, default)| d == *n && default != *on))
            .map(|(n, _)| *n)
            .collect();
        let seen = |s: &[u8]| contains(out, s);
        Restore {
            alt_entered: [47, 1047, 1049].iter().any(|m| last.contains_key(m)),
            alt_exit_seen: seen(b"\x1b[?1049l") || seen(b"\x1b[?1047l") || seen(b"\x1b[?47l"),
            cursor_hidden: last.contains_key(&25),
            cursor_shown_last: last.get(&25).copied().unwrap_or(true),
            cursor_show_seen: seen(b"\x1b[?25h"),
            left,
        }
    }

    fn restored(&self) -> bool {
        self.left.is_empty()
            && (!self.alt_entered || self.alt_exit_seen)
            && (!self.cursor_hidden || self.cursor_shown_last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_leaves_the_alternate_screen_and_shows_the_cursor_restored_the_terminal() {
        let good = Restore::read(b"\x1b[?1049h\x1b[?25lframe\x1b[?25h\x1b[?1049l");
        assert!(good.alt_entered && good.alt_exit_seen && good.restored());
        let stuck = Restore::read(b"\x1b[?1049h\x1b[?25l\x1b[?2004hframe");
        assert!(!stuck.restored());
        assert_eq!(stuck.left, [25, 1049, 2004]);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4, 1, 3, 2]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
