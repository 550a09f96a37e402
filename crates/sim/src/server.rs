//! The simulator's HTTP server: one origin serving both the login host (`/oauth/*`) and the
//! API host (`/api/v2/*`), like a region does from two hostnames.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jiff::{SignedDuration, Timestamp};

use super::grants::Grants;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::authz::{Caller, Lookup, RateLimiter, Subject, Tokens};
use super::clock::Clock;
use super::engine::{Engine, Ms};
use super::errors::{ApiFault, CORRELATION_ID};
use super::faults::{self, Action, Effect, FaultKind, FaultSpec, FaultState};
use super::org::Org;
use super::{admin, aggregates, api, identity, login, notifications, oauth, observations};

pub struct Shared {
    /// The org as loaded. What callers may see right now, with faults applied, is
    /// [`Shared::org_now`].
    pub org: Org,
    live: RwLock<Arc<Org>>,
    pub engine: Mutex<Engine>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Mutex<Tokens>,
    pub limiter: Mutex<RateLimiter>,
    /// Authorization codes and refresh tokens.
    pub grants: Mutex<Grants>,
    pub faults: Mutex<FaultState>,
    /// Mirrors of fault state read on every request (no lock on the hot path).
    skew_secs: AtomicI64,
    faults_on: AtomicBool,
    /// `/sim/faults` is served.
    pub admin: bool,
    /// Notification channels and their sockets.
    pub notifications: super::notifications::Notifications,
    /// Every HTTP request that reached the simulator (tests count what a client sends).
    pub requests: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn new(org: Org, clock: Arc<dyn Clock>) -> Arc<Shared> {
        Shared::with_admin(org, clock, false)
    }

    pub fn with_admin(org: Org, clock: Arc<dyn Clock>, admin: bool) -> Arc<Shared> {
        let engine = Engine::new(org.clone(), clock.now());
        Arc::new(Shared {
            live: RwLock::new(Arc::new(org.clone())),
            org,
            engine: Mutex::new(engine),
            clock,
            tokens: Mutex::new(Tokens::default()),
            limiter: Mutex::new(RateLimiter::default()),
            grants: Mutex::new(Grants::default()),
            faults: Mutex::new(FaultState::default()),
            skew_secs: AtomicI64::new(0),
            faults_on: AtomicBool::new(false),
            admin,
            notifications: Default::default(),
            requests: Default::default(),
        })
    }

    /// The org's business time now (the simulation's own clock).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The time the server says it is: business time shifted by a clock-skew fault. The
    /// `Date` header, observation dates and query intervals are all in this time.
    pub fn reported_now(&self) -> Timestamp {
        self.now().saturating_add(SignedDuration::from_secs(self.skew_secs())).unwrap_or_else(|_| self.now())
    }

    pub fn skew_secs(&self) -> i64 {
        self.skew_secs.load(Ordering::Relaxed)
    }

    /// A simulation time as the server reports it.
    pub fn report_ms(&self, t: Ms) -> Ms {
        t + self.skew_secs() * 1000
    }

    /// A time the caller sent, as simulation time.
    pub fn read_ms(&self, t: Ms) -> Ms {
        t - self.skew_secs() * 1000
    }

    /// The org with live faults applied (roles removed, queues moved).
    pub fn org_now(&self) -> Arc<Org> {
        self.live.read().expect("org lock").clone()
    }

    pub fn rate_limit(&self) -> u32 {
        if self.faults_on.load(Ordering::Relaxed)
            && let Some(n) = self.faults.lock().expect("faults lock").rate_limit()
        {
            return n;
        }
        self.org.rate_limit_per_minute
    }

    /// Switch a fault on; returns its JSON description or a one-line reason it was refused.
    pub fn add_fault(&self, spec: FaultSpec) -> Result<serde_json::Value, String> {
        let (kind, effect) = faults::resolve(&spec, &self.org)?;
        let now = tokio::time::Instant::now();
        let added = self.faults.lock().expect("faults lock").add(spec, kind, effect.clone(), now);
        if let Effect::Revoke { client } = effect {
            let n = self.tokens.lock().expect("tokens lock").revoke_all(|r| {
                client.is_none_or(|c| match r.subject {
                    Subject::Client(x) | Subject::User { client: x, .. } => x == c,
                })
            });
            let mut v = added.to_json(now);
            v["revoked"] = serde_json::json!(n);
            return Ok(v);
        }
        match effect {
            Effect::SocketDrop => self.notifications.drop_sockets(),
            Effect::SocketClosing => self.notifications.closing_sockets(),
            _ => {}
        }
        self.sync_faults();
        Ok(added.to_json(now))
    }

    /// A `socket-drop` fault with a duration is on: sockets opened now are closed at once.
    pub fn socket_drop_active(&self) -> bool {
        self.fault_active(FaultKind::SocketDrop)
    }

    /// A `socket-closing` fault with a duration is on: sockets opened now are told at once.
    pub fn socket_closing_active(&self) -> bool {
        self.fault_active(FaultKind::SocketClosing)
    }

    fn fault_active(&self, kind: FaultKind) -> bool {
        if !self.faults_on.load(Ordering::Relaxed) {
            return false;
        }
        let mut st = self.faults.lock().expect("faults lock");
        st.expire(tokio::time::Instant::now());
        st.active.iter().any(|f| f.kind == kind)
    }

    pub fn clear_faults(&self, kind: Option<FaultKind>) -> usize {
        let n = self.faults.lock().expect("faults lock").clear(kind);
        self.sync_faults();
        n
    }

    pub fn active_faults(&self) -> Vec<serde_json::Value> {
        let now = tokio::time::Instant::now();
        if self.faults.lock().expect("faults lock").expire(now) {
            self.sync_faults();
        }
        self.faults.lock().expect("faults lock").active.iter().map(|f| f.to_json(now)).collect()
    }

    /// Rebuild what the fault state implies: the effective org, skew, the hot-path flag.
    fn sync_faults(&self) {
        let st = self.faults.lock().expect("faults lock");
        self.skew_secs.store(st.skew_seconds(), Ordering::Relaxed);
        self.faults_on.store(!st.active.is_empty(), Ordering::Relaxed);
        let org = faults::overlay(&self.org, &st.active);
        drop(st);
        *self.live.write().expect("org lock") = Arc::new(org);
    }

    /// What faults do to this request (expired ones are dropped first).
    fn fault_plan(&self, path: &str) -> faults::Plan {
        if !self.faults_on.load(Ordering::Relaxed) {
            return faults::Plan::default();
        }
        let mut st = self.faults.lock().expect("faults lock");
        let state_gone = st.expire(tokio::time::Instant::now());
        let plan = st.plan(path);
        let emptied = st.active.is_empty();
        drop(st);
        if state_gone || emptied {
            self.sync_faults();
        }
        plan
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
        .route("/api/v2/analytics/queues/observations/query", post(observations::queue_observations))
        .route("/api/v2/analytics/conversations/aggregates/query", post(aggregates::conversation_aggregates))
        .route("/api/v2/tokens/me", get(identity::tokens_me).delete(identity::revoke_token))
        .route("/api/v2/users/me", get(identity::users_me))
        .route("/api/v2/authorization/subjects/me", get(identity::subjects_me))
        .route("/api/v2/authorization/divisions", get(identity::divisions))
        .route("/api/v2/authorization/divisionspermitted/paged/me", get(identity::divisions_permitted))
        .route("/api/v2/oauth/clients/{id}", get(identity::oauth_client))
        .route("/api/v2/notifications/channels", post(notifications::create_channel))
        .route(
            "/api/v2/notifications/channels/{id}/subscriptions",
            get(notifications::list_subscriptions)
                .put(notifications::put_subscriptions)
                .post(notifications::post_subscriptions),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authenticate));
    let mut app = Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/authorize", get(login::authorize_page).post(login::authorize_submit))
        // A channel's connectUri: the streaming host, no bearer (the channel id is the key).
        .route("/channels/{id}", get(notifications::socket))
        .merge(api);
    if shared.admin {
        app = app
            .route("/sim/faults", get(admin::list).post(admin::add).delete(admin::clear_all))
            .route("/sim/faults/{fault}", delete(admin::clear_one));
    }
    app.fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), apply_faults))
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
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let cid = uuid::Uuid::new_v4().to_string();
    let mut resp = CORRELATION_ID.scope(cid.clone(), next.run(req)).await;
    let h = resp.headers_mut();
    h.insert("inin-correlation-id", HeaderValue::from_str(&cid).expect("uuid is a header value"));
    let date = shared.reported_now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
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
    let rate = shared.limiter.lock().expect("limiter lock").hit(&token, shared.rate_limit());
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

/// Transport faults: delay, refuse, drop or truncate before the API sees the request.
async fn apply_faults(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/sim/") {
        return next.run(req).await;
    }
    let plan = shared.fault_plan(path);
    if let Some(d) = plan.delay {
        tokio::time::sleep(d).await;
    }
    match plan.action {
        None => next.run(req).await,
        Some(Action::Error(status)) => server_error(status),
        Some(Action::Unavailable(secs)) => ApiFault::service_unavailable(Some(secs)).into_response(),
        Some(Action::Reset) => reset(),
        Some(Action::Truncate) => truncate(next.run(req).await).await,
    }
}

/// 500 and 503 come from the API as ErrorBody; 502 and 504 come from the load balancer in
/// front of it, as a short HTML page (what a client sees when the gateway gives up).
fn server_error(status: u16) -> Response {
    match status {
        502 | 504 => {
            let code = axum::http::StatusCode::from_u16(status).expect("valid status");
            let reason = code.canonical_reason().unwrap_or("Gateway Error");
            let html = format!(
                "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center></body></html>\n"
            );
            let mut r = Response::new(Body::from(html));
            *r.status_mut() = code;
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            r
        }
        503 => ApiFault::service_unavailable(None).into_response(),
        _ => ApiFault::internal().into_response(),
    }
}

/// A response whose body fails at once: hyper abandons the connection, and the client
/// sees it close mid-exchange (a reset) rather than an HTTP answer.
fn reset() -> Response {
    let failing = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        ))
    });
    let mut r = Response::new(Body::from_stream(failing));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A 2xx JSON body cut in half (a proxy or a dropped connection mid-body, reported as 200).
async fn truncate(resp: Response) -> Response {
    if !resp.status().is_success() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return reset();
    };
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
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
    let app = router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Small answers go out at once (no Nagle delay), as from a real API front end.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
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
    json_body(&value)
}

/// JSON response from anything serialisable (typed bodies skip the `Value` tree).
pub fn json_body<T: serde::Serialize>(value: &T) -> Response {
    let mut resp = Response::new(Body::from(serde_json::to_vec(value).expect("response bodies serialise")));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
