//! The loopback redirect listener for the authorization-code flow: a tiny HTTP server on
//! 127.0.0.1 that receives `/callback?code=…&state=…` from the user's browser and tells the
//! browser how it went.

use std::io;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::pkce::{Callback, parse_query};

/// How long the browser's page waits for qtop to finish the exchange before saying "check qtop".
const VERDICT_WAIT: Duration = Duration::from_secs(20);

/// A callback and the way to answer the browser that brought it.
pub struct Arrival {
    pub callback: Callback,
    pub reply: oneshot::Sender<Verdict>,
}

/// What the browser tab is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    SignedIn,
    Refused(String),
}

pub struct Listener {
    pub port: u16,
    pub arrivals: mpsc::Receiver<Arrival>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Listen on `127.0.0.1:port` (0 = any free port) until the listener is dropped.
pub async fn listen(port: u16) -> io::Result<Listener> {
    let socket = TcpListener::bind(("127.0.0.1", port)).await?;
    let port = socket.local_addr()?.port();
    let (tx, arrivals) = mpsc::channel::<Arrival>(4);
    let app = Router::new().route("/callback", get(callback)).fallback(not_here).with_state(tx);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(socket, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Listener { port, arrivals, shutdown: Some(stop) })
}

async fn callback(State(tx): State<mpsc::Sender<Arrival>>, req: Request) -> Response {
    let Some(callback) = req.uri().query().and_then(parse_query) else {
        return page(StatusCode::BAD_REQUEST, "No sign-in here", "This address carries no code. Start again in qtop.");
    };
    let (reply, verdict) = oneshot::channel();
    if tx.send(Arrival { callback, reply }).await.is_err() {
        return page(StatusCode::GONE, "qtop is not waiting", "This sign-in has ended. Start again in qtop.");
    }
    match tokio::time::timeout(VERDICT_WAIT, verdict).await {
        Ok(Ok(Verdict::SignedIn)) => {
            page(StatusCode::OK, "Signed in", "qtop is signed in. You can close this tab and go back to the terminal.")
        }
        Ok(Ok(Verdict::Refused(why))) => page(StatusCode::BAD_REQUEST, "Sign-in refused", &why),
        _ => page(StatusCode::ACCEPTED, "Almost there", "qtop received the answer; check the terminal."),
    }
}

async fn not_here() -> Response {
    page(StatusCode::NOT_FOUND, "Not here", "qtop listens only on /callback.")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>qtop: {t}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    );
    (status, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_callback_reaches_the_flow_and_the_browser_hears_the_verdict() {
        let mut l = listen(0).await.unwrap();
        let url = format!("http://127.0.0.1:{}/callback?code=c0de1234&state=s1", l.port);
        crate::client::ensure_tls();
        let browser = tokio::spawn(async move { reqwest::get(url).await.unwrap() });
        let arrival = l.arrivals.recv().await.unwrap();
        match &arrival.callback {
            Callback::Code { code, state } => {
                assert_eq!(code.expose(), "c0de1234");
                assert_eq!(state.as_deref(), Some("s1"));
            }
            other => panic!("{other:?}"),
        }
        arrival.reply.send(Verdict::Refused("state <mismatch>".into())).unwrap();
        let resp = browser.await.unwrap();
        assert_eq!(resp.status(), 400);
        let text = resp.text().await.unwrap();
        assert!(text.contains("state &lt;mismatch&gt;"), "{text}");
    }

    #[tokio::test]
    async fn requests_without_a_code_are_turned_away() {
        let l = listen(0).await.unwrap();
        crate::client::ensure_tls();
        let resp = reqwest::get(format!("http://127.0.0.1:{}/callback?state=x", l.port)).await.unwrap();
        assert_eq!(resp.status(), 400);
        let resp = reqwest::get(format!("http://127.0.0.1:{}/other", l.port)).await.unwrap();
        assert_eq!(resp.status(), 404);
    }
}
