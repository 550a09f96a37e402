//! A task that panics behind a live screen: the real binary, with a debug-build switch
//! (`QTOP_TEST_PANIC_TASK`) that makes a task panic as it starts. The screen must say so and
//! recover when the task runs again; a task given up must fail the exporter's `/healthz`.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::pty::spawn_sized;

#[test]
fn a_monitor_that_panics_is_shown_and_started_again() {
    let mut run = spawn_sized(&["--demo"], (160, 40), &[("QTOP_TEST_PANIC_TASK", "monitor:2")]);
    assert!(run.wait_for(b"qtop fault", Duration::from_secs(30)), "the panic never reached the screen: {}", run.text());
    // The status line names it until the task runs again; then the numbers come.
    assert!(run.wait_for(b"qtop task", Duration::from_secs(10)), "the error log names it: {}", run.text());
    assert!(run.wait_for(b"Collections", Duration::from_secs(40)), "no numbers after the restart: {}", run.text());
    assert!(run.wait_for(b"Live", Duration::from_secs(20)), "{}", run.text());
    let status = run.quit();
    assert!(status.success(), "exit status {status:?}");
    assert!(run.restored());
}

#[test]
fn an_exporter_whose_monitor_keeps_panicking_fails_healthz() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qtop"))
        .args(["export", "--demo", "--listen", &listen])
        .env("QTOP_TEST_PANIC_TASK", "monitor:99")
        .env("XDG_STATE_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_CACHE_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    let url = format!("http://{listen}/healthz");
    let rt = tokio::runtime::Runtime::new().unwrap();
    genesys::client::ensure_tls();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = vec![];
    let verdict = rt.block_on(async {
        loop {
            if let Ok(r) = reqwest::get(&url).await {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                seen.push(status);
                if status == 503 {
                    return Some(body);
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    let body = verdict.unwrap_or_else(|| panic!("/healthz never failed: {seen:?}"));
    assert!(seen.contains(&200), "healthy while the supervisor still restarts it: {seen:?}");
    assert!(body.starts_with("unhealthy: qtop's monitor"), "{body}");
    assert!(body.contains("QTOP_TEST_PANIC_TASK"), "the panic's own words: {body}");
}
