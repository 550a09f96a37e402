//! Time per operation on qtop's hot paths, with criterion: a full-screen render, one
//! `App::update` per observation event, one diagnosis per error, one observations answer
//! decoded. Bytes on the wire are in `benches/frame.rs`.
//!
//! `cargo bench --bench hot_paths` (add `-- render` to run one group);
//! `cargo bench --bench hot_paths -- --test` runs each once (CI smoke).

mod common;
// The error answers the tests feed the app: the same bodies, one copy.
#[path = "../tests/it/common/errors.rs"]
#[allow(dead_code)]
mod errors;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys::auth::{AuthMethod, Grant, Session};
use genesys::catalog::EndpointId;
use genesys::client::{Client, ClientOptions};
use genesys::models::ObservationResponse;
use genesys::queries;
use genesys::regions;
use genesys::secret::Secret;
use qtop::diagnose::{ErrorFacts, Knowledge, diagnose};
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sim::clock::ManualClock;
use sim::org::{Org, Persona};
use sim::{self, SimExtras, SimOptions};

/// The real draw path the TUI takes (`ui::draw` into a ratatui `Terminal`), on a TestBackend so
/// the terminal's speed is not in the number.
fn render(c: &mut Criterion) {
    let mut g = c.benchmark_group("render");
    for (w, h) in [(120u16, 40u16), (200, 60)] {
        for n in [20usize, 200, 1000] {
            let app = common::app(n, w, h);
            let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
            g.bench_function(BenchmarkId::new(format!("{w}x{h}"), format!("{n} queues")), |b| {
                b.iter(|| {
                    term.draw(|f| {
                        ui::draw(f, black_box(&app));
                    })
                    .unwrap();
                });
            });
        }
    }
    g.finish();
}

/// One `MonitorEvent::Observations` through `App::update`, for a batch of 100 queues (what one
/// observations query answers) and for 1 queue, into an app already watching them.
fn update(c: &mut Criterion) {
    let mut g = c.benchmark_group("update");
    for batch in [1usize, 100] {
        let app = common::app(batch, 120, 40);
        let ids = common::ids(batch);
        let at = common::t0() + jiff::SignedDuration::from_secs(1);
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(BenchmarkId::new("observations", format!("{batch} queues")), |b| {
            // The event is built outside the timing: the monitor task builds it, not the app.
            b.iter_batched(
                || (app.clone(), common::observations(&ids, at, 1)),
                |(mut app, event)| {
                    black_box(app.update(event));
                    app
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

/// From the client's `ApiError` to the `Diagnosis` the error log shows, as the app does it.
fn diagnosis(c: &mut Criterion) {
    let know = Knowledge {
        grant: Some(Grant::ClientCredentials),
        client_id: Some("7de3af06-c0b3-4f9f-b2ce-1f3f3c1d0a01".into()),
        client_name: Some("wallboard".into()),
        login_host: Some("login.mypurecloud.com".into()),
        ..Default::default()
    };
    let errors = [
        ("403 missing permission", errors::forbidden()),
        (
            "401 bad credentials",
            errors::api_error(EndpointId::QueueObservations, 401, "bad.credentials", "Invalid login credentials."),
        ),
        ("429 rate limited", errors::too_many()),
        ("503 unavailable", errors::unavailable()),
    ];
    let mut g = c.benchmark_group("diagnose");
    for (name, error) in &errors {
        g.bench_function(*name, |b| b.iter(|| diagnose(&ErrorFacts::from_api_error(black_box(error)), &know)));
    }
    g.finish();
}

/// An observations answer for 100 queues of the large org at noon, as the simulator's own
/// observations code writes it, fetched over HTTP once.
fn observations_body() -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let org = Org::from_toml(include_str!("../../sim/orgs/large.toml")).unwrap();
        // Noon in Chicago: queues are open and busy.
        let clock = Arc::new(ManualClock::new("2026-11-25T18:00:00Z".parse().unwrap()));
        let opts = SimOptions { org: org.clone(), start: None, speed: 1.0, clock: Some(clock) };
        let sim = sim::start_with(opts, SimExtras::default(), sim::loopback()).await.unwrap();
        let Some(Persona::Client(c)) = org.persona("wallboard") else { panic!("large.toml has a wallboard persona") };
        let client = Client::new(regions::override_hosts(&sim.base_url(), None).unwrap(), ClientOptions::default());
        let session = Session::new(
            client,
            AuthMethod::ClientCredentials {
                client_id: org.clients[c].id.clone(),
                secret: Secret::new(org.clients[c].secret.clone()),
            },
        );
        let (queues, _) = queries::list_queues(&session).await.unwrap();
        let query = queries::observation_query(queues.iter().take(100).map(|q| q.id.as_str()));
        let token = session.token().await.unwrap();
        genesys::client::ensure_tls();
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v2/analytics/queues/observations/query", sim.base_url()))
            .bearer_auth(token.access.expose())
            .json(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "the simulator answers the observations query");
        resp.bytes().await.unwrap().to_vec()
    })
}

/// Bytes to `QueueNumbers` per queue: serde into the real model types, then
/// `queries::parse_observations`.
fn decode(c: &mut Criterion) {
    let body = observations_body();
    let parsed: ObservationResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(queries::parse_observations(&parsed).len(), 100, "one entry per queue asked");
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("observations 100 queues", |b| {
        b.iter(|| {
            let resp: ObservationResponse = serde_json::from_slice(black_box(&body)).unwrap();
            queries::parse_observations(&resp)
        });
    });
    g.finish();
}

criterion_group!(benches, render, update, diagnosis, decode);
criterion_main!(benches);
