//! `qtop snapshot` and `qtop export` through their front doors: golden JSON/CSV on a
//! deterministic sim (seeded demo org, clock frozen at a fixed time), diagnosis on refusal,
//! and one-line `--listen` errors from the binary.

use crate::common;

use std::process::Command;

use common::start_sim;
use qtop::export::snapshot::{self, Format};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_csv_are_stable_on_a_frozen_sim() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let s = snapshot::take(&session, &[], &t.org.timezone, "sim").await.expect("a snapshot");
    assert_eq!(s.version, 1);
    assert_eq!(s.taken_at.to_string(), common::T0, "the API's clock, not ours");
    assert_eq!(s.queues.len(), t.org.queues.len());
    // The same moment asked again gives the same answer: the golden files test the shape
    // and the folding, not luck.
    let again = snapshot::take(&session, &[], &t.org.timezone, "sim").await.unwrap();
    assert_eq!(s, again);
    let json = snapshot::render(&s, Format::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["media_type"], "all");
    insta::assert_snapshot!("snapshot_json", json);
    insta::assert_snapshot!("snapshot_csv", snapshot::render(&s, Format::Csv));
    insta::assert_snapshot!("snapshot_table", snapshot::render(&s, Format::Table));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_diagnosed_in_one_line() {
    let t = start_sim().await;
    let session = t.session("no-observations");
    let f = snapshot::take(&session, &[], &t.org.timezone, "sim").await.expect_err("refused");
    assert_eq!(f.error.status(), Some(403));
    let line = f.line();
    assert!(line.contains("analytics:queueObservation:view"), "{line}");
    assert!(!line.contains('\n'), "{line}");
}

fn qtop(args: &[&str]) -> std::process::Output {
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("qtop.log");
    Command::new(env!("CARGO_BIN_EXE_qtop"))
        .args(["--log-file", log.to_str().unwrap()])
        .args(args)
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_SECRET")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .env_remove("GENESYSCLOUD_REGION")
        .output()
        .expect("qtop runs")
}

fn one_line_naming(out: &std::process::Output, flag: &str) -> String {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("qtop: {flag} ")), "{err}");
    err
}

#[test]
fn bad_listen_values_and_a_busy_port_are_one_line_errors_naming_listen() {
    for bad in ["nonsense", "127.0.0.1:99999"] {
        let out = qtop(&["export", "--demo", "--listen", bad]);
        let err = one_line_naming(&out, "--listen");
        assert!(err.contains("e.g. --listen 127.0.0.1:9464"), "{err}");
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = qtop(&["export", "--demo", "--listen", &addr]);
    let err = one_line_naming(&out, "--listen");
    assert!(err.contains("in use") && err.contains("pick another port"), "{err}");
    let out = qtop(&["export", "--demo", "--shard", "3/2"]);
    one_line_naming(&out, "--shard");
}

#[test]
fn the_binary_prints_a_json_snapshot_and_exits_1_with_the_diagnosis_on_a_403() {
    let out = qtop(&["snapshot", "--demo", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["version"], 1);
    assert!(v["queues"].as_array().is_some_and(|q| !q.is_empty()));

    let out = qtop(&["snapshot", "--demo", "--as", "no-observations"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("qtop snapshot: ") && err.contains("analytics:queueObservation:view"), "{err}");
    assert!(out.stdout.is_empty());

    let out = qtop(&["snapshot", "--demo", "--format", "xml"]);
    one_line_naming(&out, "--format");
}

#[test]
fn watch_repeats_the_snapshot_until_stopped() {
    use std::io::Read;
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("qtop.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_qtop"))
        .args(["--log-file", log.to_str().unwrap(), "snapshot", "--demo", "--format", "csv", "--watch", "1s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("qtop runs");
    std::thread::sleep(std::time::Duration::from_millis(2600));
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let headers = out.lines().filter(|l| l.starts_with("id,name,")).count();
    assert!(headers >= 2, "at least two refreshes in 2.6 s:\n{out}");
    let out = qtop(&["snapshot", "--demo", "--watch", "0s"]);
    one_line_naming(&out, "--watch");
}
