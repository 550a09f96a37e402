//! `qtop explain` as people run it: a file name that cannot be read is an error (exit 2, one
//! line naming the file and the fix), while error text — even text with a `/` in it — is
//! explained; a forum question about a 403 is recognised with every myth it repeats.

use std::process::{Command, Output};

fn explain(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qtop"))
        .arg("explain")
        .args(args)
        .current_dir(dir)
        .env_remove("GENESYSCLOUD_ACCESS_TOKEN")
        .output()
        .unwrap()
}

#[test]
fn a_file_that_cannot_be_read_is_an_error_not_an_explanation() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["nosuch.json", "saved/403.txt", "./missing", "run.log"] {
        let out = explain(&[name], dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: explained anyway: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: one line: {stderr}");
        assert!(stderr.contains(name) && stderr.contains("cannot read"), "{name}: {stderr}");
        assert!(stderr.contains("- to read standard input"), "the fix: {stderr}");
    }
    // A directory is a path that names something, but not an error to read.
    let out = explain(&["."], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_readable_file_and_plain_text_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"message":"Permission is forbidden on domain, 'responses`, entity 'response', with action set '[view]'","code":"forbidden","status":403}"#;
    std::fs::write(dir.path().join("error.json"), body).unwrap();
    let out = explain(&["error.json"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("missing  responses:response:view\n"), "{stdout}");

    let out = explain(&["GET /api/v2/analytics/queues/realtime 404"], dir.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("does not exist"));
}

#[test]
fn a_forum_question_is_recognised_as_a_403_and_its_myths_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let post = "I get 403 on GET /api/v2/analytics/queues/realtime, do I need scope analytics:queue:view?";
    let out = explain(&[post], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("error    403 GET /api/v2/analytics/queues/realtime\n"), "{stdout}");
    assert!(!stdout.contains("unrecognised error"), "{stdout}");
    assert_eq!(stdout.matches("\nmyth ").count(), 3, "{stdout}");
    assert!(stdout.contains("POST /api/v2/analytics/queues/observations/query needs analytics:queueObservation:view"));
    assert!(!stdout.contains("missing  analytics:queue:view"), "the invented scope is not a missing permission");
}
