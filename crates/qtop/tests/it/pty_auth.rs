//! The real binary signing a user in: the demo supervisor through its scripted browser, and a
//! paste-mode sign-in where the redirect address is typed into the prompt before the TUI.

use crate::common;

use std::time::Duration;

use common::pty::{Running, spawn_sized};

fn spawn(args: &[&str]) -> Running {
    spawn_sized(args, (120, 40), &[])
}

#[test]
fn the_demo_supervisor_signs_in_with_pkce_and_the_pane_shows_who() {
    let mut run = spawn(&["--demo", "--as", "supervisor"]);
    assert!(
        // ratatui moves the cursor over spaces, so look for a word without any.
        run.wait_for(b"<sam.supervisor@acme.example>", Duration::from_secs(30)),
        "no token pane: {}",
        String::from_utf8_lossy(&run.seen)
    );
    assert!(run.wait_for(b"authorization_code+pkce", Duration::from_secs(5)));
    // A public client: the pane says the session ends, never that it refreshes.
    assert!(run.wait_for(b"public", Duration::from_secs(5)), "{}", String::from_utf8_lossy(&run.seen));
    let before_tui = String::from_utf8_lossy(&run.seen);
    let before_tui = before_tui.split("\x1b[?1049h").next().unwrap_or_default();
    assert!(!before_tui.contains("Open this address"), "the scripted browser signs in quietly: {before_tui}");
    assert!(run.quit().success());
}

#[test]
fn the_demo_confidential_persona_signs_in_and_refreshes() {
    let mut run = spawn(&["--demo", "--as", "confidential"]);
    assert!(
        run.wait_for(b"<chris.coordinator@acme.example>", Duration::from_secs(30)),
        "no token pane: {}",
        String::from_utf8_lossy(&run.seen)
    );
    assert!(run.wait_for(b"confidential", Duration::from_secs(5)), "{}", String::from_utf8_lossy(&run.seen));
    assert!(run.wait_for(b"refreshes", Duration::from_secs(5)), "{}", String::from_utf8_lossy(&run.seen));
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
        let ok = run.wait_for(b"Paste that whole address", Duration::from_secs(20));
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
    genesys::client::ensure_tls();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();

    let (mut run, ok) = tokio::task::spawn_blocking(move || {
        let mut run = run.0;
        run.type_line("not an address");
        let complained = run.wait_for(b"does not look like an authorization code", Duration::from_secs(10));
        run.type_line(&location);
        let ok = complained && run.wait_for(b"Collections", Duration::from_secs(30));
        (run, ok)
    })
    .await
    .unwrap();
    assert!(ok, "no TUI after the paste: {}", String::from_utf8_lossy(&run.seen));
    let status = tokio::task::spawn_blocking(move || run.quit()).await.unwrap();
    assert!(status.success());
}
