//! The exporter's HTTP side: `--listen` checked and bound before anything signs in, then
//! `/metrics`, `/healthz` and `/readyz` served from the shared state.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::Shared;
use super::metrics::{self, CONTENT_TYPE, TEXT_CONTENT_TYPE};

const LISTEN_EXAMPLE: &str = "e.g. --listen 127.0.0.1:9464 (or 0.0.0.0:9464 for every interface)";

/// `--listen HOST:PORT`, where HOST is an IP address or `localhost`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    let Some((host, port)) = t.rsplit_once(':') else {
        return Err(format!("--listen {text}: give an address and a port, {LISTEN_EXAMPLE}"));
    };
    let port = match port.parse::<u32>() {
        // 0 asks for any free port (tests, scripts that read the address back).
        Ok(p) if p <= 65535 => p as u16,
        Ok(_) => return Err(format!("--listen {text}: the port must be 0-65535, {LISTEN_EXAMPLE}")),
        Err(_) => return Err(format!("--listen {text}: '{port}' is not a port number, {LISTEN_EXAMPLE}")),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        h => h
            .parse::<IpAddr>()
            .map_err(|_| format!("--listen {text}: '{h}' is not an IP address of this machine, {LISTEN_EXAMPLE}"))?,
    };
    Ok(SocketAddr::new(ip, port))
}

/// Bind `--listen`, with the fix in the error when the port is taken or not ours to take.
pub async fn bind(text: &str) -> Result<TcpListener, String> {
    let addr = parse_listen(text)?;
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "--listen {text}: the port is in use by another program (another qtop export?): stop it or pick another port, e.g. --listen {}:{}",
            addr.ip(),
            addr.port().wrapping_add(1).max(1)
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("--listen {text}: not allowed to listen there (ports below 1024 need privileges): pick a port above 1024")
        }
        std::io::ErrorKind::AddrNotAvailable => {
            format!("--listen {text}: {} is not an address of this machine: use 127.0.0.1 or 0.0.0.0", addr.ip())
        }
        _ => format!("--listen {text}: cannot listen: {e}"),
    })
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(shared)
}

/// OpenMetrics when asked for (Prometheus asks), else the Prometheus text format.
async fn scrape(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> impl IntoResponse {
    let body = shared.render(jiff::Timestamp::now());
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if metrics::wants_openmetrics(accept) {
        ([(header::CONTENT_TYPE, CONTENT_TYPE)], body)
    } else {
        ([(header::CONTENT_TYPE, TEXT_CONTENT_TYPE)], metrics::to_text_format(&body))
    }
}

/// Alive unless a task behind the numbers was given up after panicking again and again: then
/// a restart (by systemd, Kubernetes, a person) is the only cure.
async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let stopped = shared.with_model(|app, _| {
        app.stopped_task()
            .map(|d| format!("qtop's {} task stopped after {} failures: {}", d.task.label(), d.failures, d.why))
    });
    match stopped {
        None => (StatusCode::OK, "ok\n".to_string()),
        Some(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("unhealthy: {why}\n")),
    }
}

async fn readyz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let verdict = shared.with_model(|app, _| metrics::ready(app));
    match verdict {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_parse_or_name_the_flag_and_the_fix() {
        assert_eq!(parse_listen("127.0.0.1:9464").unwrap(), "127.0.0.1:9464".parse().unwrap());
        assert_eq!(parse_listen("localhost:9464").unwrap(), "127.0.0.1:9464".parse().unwrap());
        assert_eq!(parse_listen("[::1]:9464").unwrap(), "[::1]:9464".parse().unwrap());
        assert_eq!(parse_listen(":9464").unwrap(), "0.0.0.0:9464".parse().unwrap());
        for bad in ["nonsense", "127.0.0.1:99999", "127.0.0.1:http", "example.com:9464"] {
            let e = parse_listen(bad).unwrap_err();
            assert!(e.starts_with(&format!("--listen {bad}:")), "{e}");
            assert!(e.contains("e.g. --listen 127.0.0.1:9464") && !e.contains('\n'), "{e}");
        }
    }

    #[tokio::test]
    async fn a_port_in_use_names_the_flag_and_another_port() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let text = taken.local_addr().unwrap().to_string();
        let e = bind(&text).await.unwrap_err();
        assert!(e.starts_with(&format!("--listen {text}: the port is in use")), "{e}");
        assert!(e.contains("pick another port") && !e.contains('\n'), "{e}");
    }
}
