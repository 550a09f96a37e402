//! The simulator's HTTP server: one origin serving both the login host (`/oauth/*`) and the
//! API host (`/api/v2/*`), like a region does from two hostnames.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::grants::Grants;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::authz::{Caller, Lookup, RateLimiter, Tokens};
use super::clock::Clock;
use super::engine::Engine;
use super::errors::{ApiFault, CORRELATION_ID};
use super::org::Org;
use super::{api, identity, login, oauth};

pub struct Shared {
    pub org: Org,
    pub engine: Mutex<Engine>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Mutex<Tokens>,
    pub limiter: Mutex<RateLimiter>,
    /// Authorization codes and refresh tokens.
    pub grants: Mutex<Grants>,
}

impl Shared {
    pub fn new(org: Org, clock: Arc<dyn Clock>) -> Arc<Shared> {
        let engine = Engine::new(org.clone(), clock.now());
        Arc::new(Shared {
            org,
            engine: Mutex::new(engine),
            clock,
            tokens: Mutex::new(Tokens::default()),
            limiter: Mutex::new(RateLimiter::default()),
            grants: Mutex::new(Grants::default()),
        })
    }

    /// The org's business time now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Run the simulation up to now and look at it.
    pub fn with_engine<R>(&self, f: impl FnOnce(&Engine) -> R) -> R {
        let mut e = self.engine.lock().expect("engine lock");
        e.advance_to(self.now().as_millisecond());
        f(&e)
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/v2/routing/queues", get(api::routing_queues))
        .route("/api/v2/routing/queues/{id}/members", get(api::queue_members))
        .route("/api/v2/analytics/queues/observations/query", post(api::queue_observations))
        .route("/api/v2/tokens/me", get(identity::tokens_me).delete(identity::revoke_token))
        .route("/api/v2/users/me", get(identity::users_me))
        .route("/api/v2/authorization/subjects/me", get(identity::subjects_me))
        .route("/api/v2/authorization/divisions", get(identity::divisions))
        .route("/api/v2/oauth/clients/{id}", get(identity::oauth_client))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate));
    Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/authorize", get(login::authorize_page).post(login::authorize_submit))
        .merge(api)
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), stamp))
        .with_state(shared)
}

async fn fallback(req: Request) -> Response {
    ApiFault::not_found(req.uri().path()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiFault::method_not_allowed().into_response()
}

/// Every response carries `ININ-Correlation-Id` and a `Date` on the org's clock.
async fn stamp(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let cid = uuid::Uuid::new_v4().to_string();
    let mut resp = CORRELATION_ID.scope(cid.clone(), next.run(req)).await;
    let h = resp.headers_mut();
    h.insert("inin-correlation-id", HeaderValue::from_str(&cid).expect("uuid is a header value"));
    let date = shared.now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = HeaderValue::from_str(&date) {
        h.insert(header::DATE, v);
    }
    resp
}

/// Bearer check and per-token rate limit for `/api/v2/*`. The caller goes into the request
/// extensions; the rate-limit headers go on the response.
async fn authenticate(State(shared): State<Arc<Shared>>, mut req: Request, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string());
    let Some(token) = bearer.filter(|t| !t.is_empty()) else {
        return ApiFault::authentication_required().into_response();
    };
    let caller: Caller = match shared.tokens.lock().expect("tokens lock").lookup(&token) {
        Lookup::Valid(c) => c,
        Lookup::Expired => return ApiFault::credentials_expired().into_response(),
        Lookup::Unknown => return ApiFault::bad_credentials().into_response(),
    };
    let rate = shared.limiter.lock().expect("limiter lock").hit(&token, shared.org.rate_limit_per_minute);
    let mut resp = if rate.exceeded {
        ApiFault::too_many_requests(rate.reset_secs).into_response()
    } else {
        req.extensions_mut().insert(caller);
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert("inin-ratelimit-allowed", HeaderValue::from(rate.allowed));
    h.insert("inin-ratelimit-count", HeaderValue::from(rate.count));
    h.insert("inin-ratelimit-reset", HeaderValue::from(rate.reset_secs));
    resp
}

/// A running simulator.
pub struct SimHandle {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serve `shared` on `listener` until the handle is stopped or dropped.
pub fn serve(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<SimHandle> {
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(shared.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(SimHandle { addr, shared, shutdown: Some(tx), task: Some(task) })
}

/// JSON response helper: `Body` from a value.
pub fn json(value: serde_json::Value) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(&value).expect("json")));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
