//! Fake platform servers for tests (feature `testing`): a Mastodon instance ([`mastodon`]), a Bluesky
//! Jetstream ([`bluesky`]) and the X API v2 filtered stream ([`x`]), all on `127.0.0.1:0`, speaking each
//! platform's wire format as reproduced from the real samples in this crate's `tests/fixtures/` (see
//! PROVENANCE.md there).
//!
//! Used by this crate's own tests (`tests/ingest/`) and by the root's end-to-end tests, which run
//! `triage ingest` against them on a real broker. These are test servers, not part of the product: the
//! feature is off in the production binary, and serving HTTP for real stays the gateway's job.
//!
//! ```no_run
//! # async fn demo() {
//! use std::sync::Arc;
//! use triage_ingest::testing::mastodon::{Instance, crisis_status, instance};
//! let inst = Arc::new(Instance::default());
//! inst.statuses.lock().unwrap().push(crisis_status(1000, "PorteOuverte", "Chambre libre Paris 11e"));
//! let url = instance(inst.clone()).await; // http://127.0.0.1:<port>
//! # }
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

pub mod bluesky;
pub mod mastodon;
pub mod x;

/// Where the real platform samples live (this crate's `tests/fixtures/`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

/// A fixture file's text, e.g. `fixture("mastodon/status_entity_example.json")`. Panics if it is missing: a
/// test without its sample cannot run.
pub fn fixture(rel: &str) -> String {
    let path = fixtures_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A fixture file parsed as JSON.
pub fn json_fixture(rel: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel} is not JSON: {e}"))
}

/// Serves `router` on `127.0.0.1:<free port>` until the runtime ends; returns the address.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// One step of a scripted streaming body.
#[derive(Clone, Debug)]
pub enum Step {
    /// Send these bytes. As the first step of a connection, `"HTTP <code>"` answers with that status instead.
    Send(String),
    /// Pause for this many milliseconds.
    Sleep(u64),
    /// Keep the connection open and silent until the client leaves.
    Hang,
    /// Send this every `ms` until the client leaves.
    Every(String, u64),
}

/// A streaming body that plays `steps`, then ends (unless a step hangs or repeats).
pub fn scripted_body(steps: Vec<Step>) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        for step in steps {
            match step {
                Step::Send(s) => {
                    if tx.send(Ok(Bytes::from(s))).await.is_err() {
                        return;
                    }
                }
                Step::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                Step::Hang => {
                    tx.closed().await;
                    return;
                }
                Step::Every(s, ms) => loop {
                    if tx.send(Ok(Bytes::from(s.clone()))).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                },
            }
        }
    });
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// `Step::Send("HTTP <code>")` as the first step: the status code to answer with instead of a stream.
pub(crate) fn scripted_status(steps: &[Step]) -> Option<u16> {
    match steps.first() {
        Some(Step::Send(s)) => s.strip_prefix("HTTP ").and_then(|c| c.trim().parse().ok()),
        _ => None,
    }
}
