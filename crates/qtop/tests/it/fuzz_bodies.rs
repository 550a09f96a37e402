//! Random and truncated bodies, fed to the HTTP client and to the diagnosis: errors, never
//! panics.

use std::sync::{Arc, Mutex};

use genesys::catalog::EndpointId;
use genesys::client::{Auth, Client, ClientOptions, Request};
use genesys::models::{ObservationResponse, QueueEntityListing, TokenResponse};
use genesys::regions;
use genesys::secret::Secret;
use proptest::prelude::*;
use qtop::diagnose::{self, ErrorFacts, Knowledge};
use qtop::explain;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that answers every request with whatever bytes the test put in `reply`.
async fn raw_server(reply: Arc<Mutex<(u16, Vec<u8>)>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let _ = sock.read(&mut buf).await;
                let (status, body) = reply.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\ninin-correlation-id: fuzz\r\nretry-after: 3\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let real = [
        include_str!("../../../sim/tests/fixtures/observations-response.json"),
        include_str!("../../../sim/tests/fixtures/error-429.json"),
        include_str!("../../../sim/tests/fixtures/oauth-invalid-client.json"),
        r#"{"message":"You are missing the following permission(s): [a:b:c:d-1]","code":"missing.permissions","status":403}"#,
    ];
    prop_oneof![
        // Real bodies cut at a random point (truncated JSON).
        (0usize..4, any::<prop::sample::Index>()).prop_map(move |(i, cut)| {
            let b = real[i].as_bytes();
            b[..cut.index(b.len() + 1)].to_vec()
        }),
        prop::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,300}".prop_map(String::into_bytes),
    ]
}

fn statuses() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(401), Just(403), Just(404), Just(429), Just(500), Just(503), 200u16..600]
}

#[test]
fn the_client_and_the_diagnosis_survive_any_body() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reply = Arc::new(Mutex::new((200u16, vec![])));
    let base = rt.block_on(raw_server(reply.clone()));
    let client = Client::new(regions::override_hosts(&base, None).unwrap(), ClientOptions::default());
    let token = Secret::new("t");
    let seen = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 200, ..ProptestConfig::default() });
    runner
        .run(&(statuses(), bodies()), |(status, body)| {
            *reply.lock().unwrap() = (status, body);
            rt.block_on(async {
                let obs = Request::new(EndpointId::QueueObservations).json(&serde_json::json!({}));
                let queues = Request::new(EndpointId::RoutingQueues);
                let login = Request::new(EndpointId::OAuthToken).form(vec![]);
                let outcomes = [
                    client.send::<ObservationResponse>(&obs, Auth::Bearer(&token)).await.err(),
                    client.send::<QueueEntityListing>(&queues, Auth::Bearer(&token)).await.err(),
                    client.send::<TokenResponse>(&login, Auth::None).await.err(),
                ];
                for e in outcomes.into_iter().flatten() {
                    seen.lock().unwrap().insert(format!("{:?}", std::mem::discriminant(&e.kind)));
                    let d = diagnose::diagnose(&ErrorFacts::from_api_error(&e), &Knowledge::default());
                    prop_assert!(!d.summary.is_empty() && !d.fix.is_empty());
                    prop_assert!(!e.summary().is_empty());
                }
                Ok(())
            })
        })
        .unwrap();
    // Decode failures, API errors and OAuth errors all came up.
    assert!(seen.lock().unwrap().len() >= 3, "{:?}", seen.lock().unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn explain_survives_any_text(text in "\\PC{0,400}") {
        let e = explain::explain(&text, None);
        prop_assert!(!explain::render(&e).is_empty());
    }

    #[test]
    fn explain_survives_truncated_error_json(cut in 0usize..200) {
        let body = r#"{"message":"Unable to perform the requested action. You must have at least one of the following permissions assigned: [] in at least one of the following division(s): [d-1]","code":"missing.any.permissions","status":403,"contextId":"x"}"#;
        let text = &body[..cut.min(body.len())];
        let _ = explain::render(&explain::explain(text, None));
    }
}
