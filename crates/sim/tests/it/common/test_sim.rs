//! A simulator on loopback with a hand-stepped clock, for tests that talk to it over HTTP.

use std::sync::Arc;

use genesys::auth::{AuthMethod, Session};
use genesys::client::{Client, ClientOptions};
use genesys::regions;
use genesys::secret::Secret;
use jiff::Timestamp;
use sim::clock::ManualClock;
use sim::org::{Org, Persona};
use sim::{SimExtras, SimHandle, SimOptions};

pub const T0: &str = "2026-11-25T10:30:00Z";

pub struct TestSim {
    pub sim: SimHandle,
    pub clock: Arc<ManualClock>,
    pub org: Org,
}

pub async fn start_sim() -> TestSim {
    start_sim_with(Org::demo()).await
}

pub async fn start_sim_with(org: Org) -> TestSim {
    start_sim_extras(org, SimExtras::default()).await
}

/// A simulator whose faults can be switched over HTTP (`/sim/faults`).
pub async fn start_sim_with_faults() -> TestSim {
    start_sim_extras(Org::demo(), SimExtras { faults: true, ..Default::default() }).await
}

pub async fn start_sim_extras(org: Org, extras: SimExtras) -> TestSim {
    let clock = Arc::new(ManualClock::new(T0.parse::<Timestamp>().unwrap()));
    let opts = SimOptions { org: org.clone(), start: None, speed: 1.0, clock: Some(clock.clone()) };
    let sim = sim::start_with(opts, extras, sim::loopback()).await.expect("sim starts");
    TestSim { sim, clock, org }
}

impl TestSim {
    pub fn client(&self) -> Client {
        Client::new(regions::override_hosts(&self.sim.base_url(), None).unwrap(), ClientOptions::default())
    }

    pub fn persona_client(&self, persona: &str) -> (String, Secret) {
        match self.org.persona(persona) {
            Some(Persona::Client(c)) => {
                (self.org.clients[c].id.clone(), Secret::new(self.org.clients[c].secret.clone()))
            }
            _ => panic!("no client persona {persona}"),
        }
    }

    pub fn session(&self, persona: &str) -> Arc<Session> {
        let (client_id, secret) = self.persona_client(persona);
        Arc::new(Session::new(self.client(), AuthMethod::ClientCredentials { client_id, secret }))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    /// A bearer token for a persona, fetched over HTTP like any client would.
    pub async fn token(&self, persona: &str) -> String {
        let session = self.session(persona);
        session.token().await.expect("sign-in works").access.expose().to_string()
    }
}

/// A plain HTTP client for raw requests (conformance checks).
pub fn http() -> reqwest::Client {
    genesys::client::ensure_tls();
    reqwest::Client::new()
}
