//! The real binary signing a user in: the demo supervisor through its scripted browser, and a
//! paste-mode sign-in where the redirect address is typed into the prompt before the TUI.

mod common;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Running {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
    _cache: tempfile::TempDir,
}

fn spawn(args: &[&str]) -> Running {
    let pair = native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_qtop"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("LANG", "C.UTF-8");
    cmd.env("XDG_CONFIG_HOME", std::env::temp_dir().join("qtop-pty-no-config"));
    cmd.env("XDG_CACHE_HOME", cache.path());
    // No browser may open on the machine running the tests.
    cmd.env_remove("DISPLAY");
    cmd.env_remove("WAYLAND_DISPLAY");
    cmd.env_remove("BROWSER");
    for k in ["GENESYSCLOUD_ACCESS_TOKEN", "GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET"] {
        cmd.env_remove(k);
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
    Running { child, writer, output: rx, seen: vec![], _cache: cache }
}

impl Running {
    fn wait_for(&mut self, needle: &str, within: Duration) -> bool {
        let end = Instant::now() + within;
        loop {
            if String::from_utf8_lossy(&self.seen).contains(needle) {
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

    fn type_line(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).unwrap();
        self.writer.write_all(b"\r").unwrap();
        self.writer.flush().unwrap();
    }

    fn quit(&mut self) -> portable_pty::ExitStatus {
        self.writer.write_all(b"q").unwrap();
        self.writer.flush().unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            while let Ok(chunk) = self.output.try_recv() {
                self.seen.extend(chunk);
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("qtop did not exit after q");
    }
}

#[test]
fn the_demo_supervisor_signs_in_with_pkce_and_the_pane_shows_who() {
    let mut run = spawn(&["--demo", "--as", "supervisor"]);
    assert!(
        // ratatui moves the cursor over spaces, so look for a word without any.
        run.wait_for("<sam.supervisor@acme.example>", Duration::from_secs(30)),
        "no token pane: {}",
        String::from_utf8_lossy(&run.seen)
    );
    assert!(run.wait_for("authorization_code+pkce", Duration::from_secs(5)));
    let before_tui = String::from_utf8_lossy(&run.seen);
    let before_tui = before_tui.split("\x1b[?1049h").next().unwrap_or_default();
    assert!(!before_tui.contains("Open this address"), "the scripted browser signs in quietly: {before_tui}");
    assert!(run.quit().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn paste_mode_takes_the_address_typed_before_the_tui() {
    let t = common::start_sim().await;
    let cli = t.org.clients.iter().find(|c| c.name == "qtop cli").unwrap().id.clone();
    let base = t.sim.base_url();
    let run = tokio::task::spawn_blocking(move || {
        let args = ["--base-url", base.as_str(), "--auth", "pkce", "--auth-mode", "paste", "--client-id", cli.as_str()];
        let mut run = spawn(&args);
        let ok = run.wait_for("Paste that whole address", Duration::from_secs(20));
        (run, ok)
    })
    .await
    .unwrap();
    assert!(run.1, "no paste prompt: {}", String::from_utf8_lossy(&run.0.seen));
    let text = String::from_utf8_lossy(&run.0.seen).to_string();
    let url = text.split_whitespace().find(|w| w.contains("/oauth/authorize?")).unwrap().to_string();
    assert!(url.contains("code_challenge_method=S256") && url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A8085"));

    // The user signs in "on another machine" and copies the address the browser ended on.
    let mut form: Vec<(String, String)> = reqwest::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    form.extend([
        ("username".into(), "sam.supervisor@acme.example".into()),
        ("password".into(), "demo-password".into()),
    ]);
    qtop::genesys::client::ensure_tls();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();

    let (mut run, ok) = tokio::task::spawn_blocking(move || {
        let mut run = run.0;
        run.type_line("not an address");
        let complained = run.wait_for("does not look like an authorization code", Duration::from_secs(10));
        run.type_line(&location);
        let ok = complained && run.wait_for("Collections", Duration::from_secs(30));
        (run, ok)
    })
    .await
    .unwrap();
    assert!(ok, "no TUI after the paste: {}", String::from_utf8_lossy(&run.seen));
    let status = tokio::task::spawn_blocking(move || run.quit()).await.unwrap();
    assert!(status.success());
}
