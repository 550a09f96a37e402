//! Every demo persona through `doctor`, the way `qtop --demo --as <persona> doctor` runs it:
//! each under-privileged one fails the right check with the right cause and missing item.

use qtop::cli::GlobalArgs;
use qtop::config::{Env, FileConfig};
use qtop::diagnose::Cause;
use qtop::doctor::{self, Report, Status};
use qtop::setup;

async fn doctor_as(persona: &str) -> Report {
    let flags = GlobalArgs { demo: true, persona: Some(persona.into()), ..Default::default() };
    let env = Env { utf8_locale: true, ..Default::default() };
    let (config, session, _demo) =
        setup::prepare(flags, FileConfig::default(), None, env).await.unwrap_or_else(|e| panic!("{persona}: {e}"));
    doctor::run(&config, &session).await
}

fn check<'r>(r: &'r Report, name: &str) -> &'r doctor::Check {
    r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name} check: {r:#?}"))
}

#[tokio::test]
async fn well_privileged_personas_pass() {
    for persona in ["wallboard", "supervisor", "confidential", "expiring", "env-token", "home-division"] {
        let r = doctor_as(persona).await;
        assert_eq!(r.exit_code(), 0, "{persona}: {}", doctor::render(&r, true));
    }
}

#[tokio::test]
async fn doctor_says_which_kind_of_session_it_is() {
    let cases = [
        ("wallboard", "client credentials: a new token by itself"),
        ("confidential", "confidential code grant: refreshes"),
        ("supervisor", "public code grant: one token lifetime, then sign in again (this one ends in 1m"),
        ("env-token", "provided token: cannot be renewed (when it ends is unknown)"),
    ];
    for (persona, kind) in cases {
        let r = doctor_as(persona).await;
        let c = check(&r, "session");
        assert_eq!(c.status, Status::Ok, "{persona}");
        assert!(c.detail.starts_with(kind), "{persona}: {}", c.detail);
        assert!(doctor::render(&r, false).contains(&format!("✓ session      {kind}")), "{persona}");
    }
}

#[tokio::test]
async fn each_refusal_names_the_missing_item() {
    // (persona, failing check, cause, missing)
    let cases: [(&str, &str, Cause, &[&str]); 4] = [
        ("no-observations", "observations", Cause::MissingPermission, &["analytics:queueObservation:view"]),
        ("agent", "queues", Cause::MissingPermission, &["routing:queue:view"]),
        ("narrow-scopes", "observations", Cause::MissingScope, &["analytics", "analytics:readonly"]),
        ("wrong-region", "sign-in", Cause::BadClientCredentials, &[]),
    ];
    for (persona, name, cause, missing) in cases {
        let r = doctor_as(persona).await;
        assert_eq!(r.exit_code(), 1, "{persona}: {}", doctor::render(&r, true));
        let c = check(&r, name);
        assert_eq!(c.status, Status::Fail, "{persona}");
        let d = c.diagnosis.as_ref().unwrap();
        assert_eq!(d.cause, cause, "{persona}: {d:#?}");
        assert_eq!(d.missing, missing, "{persona}");
        assert!(!d.fix.is_empty());
    }
}

#[tokio::test]
async fn the_wrong_region_fix_names_both_causes() {
    let r = doctor_as("wrong-region").await;
    let fix = &check(&r, "sign-in").diagnosis.as_ref().unwrap().fix;
    assert!(fix.contains("secret") && fix.contains("region"), "{fix}");
}

#[tokio::test]
async fn an_unknown_persona_lists_the_real_ones() {
    let flags = GlobalArgs { demo: true, persona: Some("nobody".into()), ..Default::default() };
    let err = setup::prepare(flags, FileConfig::default(), None, Env::default()).await.err().unwrap();
    assert!(err.contains("--as nobody") && err.contains("wallboard") && err.contains("wrong-region"), "{err}");
}
