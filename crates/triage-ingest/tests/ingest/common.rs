//! Shared helpers: fixtures, running sources, scripted HTTP bodies.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use triage_ingest::{
    IngestConfig, IngestReport, MemoryCursorStore, MemorySink, SourceConfig, run_sources,
};
use triage_model::RawEvent;

pub const WAIT: Duration = Duration::from_secs(15);

pub fn fixture(rel: &str) -> String {
    let path = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

pub fn json_fixture(rel: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(rel)).expect("fixture is JSON")
}

pub struct Running {
    pub sink: Arc<MemorySink>,
    pub cursors: Arc<MemoryCursorStore>,
    pub shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<IngestReport>>,
}

pub fn config(sources: Vec<SourceConfig>) -> IngestConfig {
    IngestConfig::default().with_sources(sources)
}

pub fn start(cfg: IngestConfig) -> Running {
    start_with(
        cfg,
        Arc::new(MemorySink::new()),
        Arc::new(MemoryCursorStore::new()),
    )
}

pub fn start_with(
    cfg: IngestConfig,
    sink: Arc<MemorySink>,
    cursors: Arc<MemoryCursorStore>,
) -> Running {
    let shutdown = CancellationToken::new();
    let (sink2, cursors2, shutdown2) = (sink.clone(), cursors.clone(), shutdown.clone());
    let handle = tokio::spawn(async move {
        let sources = cfg.sources.clone();
        run_sources(&cfg, sources, sink2, cursors2, shutdown2).await
    });
    Running {
        sink,
        cursors,
        shutdown,
        handle,
    }
}

impl Running {
    pub async fn wait_for(&self, n: usize) {
        assert!(
            self.sink.wait_for(n, WAIT).await,
            "expected {n} events, got {}: {:?}",
            self.sink.len(),
            self.sink.ids()
        );
    }

    pub async fn stop(self) -> IngestReport {
        self.shutdown.cancel();
        self.finish().await
    }

    /// Waits for the sources to end by themselves (replay).
    pub async fn finish(self) -> IngestReport {
        tokio::time::timeout(WAIT, self.handle)
            .await
            .expect("sources stop in time")
            .expect("no panic")
            .expect("run ok")
    }
}

/// `kind:id` of every event, in order (a tombstone and its post share the id).
pub fn keyed(events: &[RawEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            RawEvent::Post(p) => format!("post:{}", p.id),
            RawEvent::Tombstone(t) => format!("tombstone:{}", t.id),
        })
        .collect()
}

/// Asserts no event was produced twice and returns the set.
pub fn unique(events: &[RawEvent]) -> BTreeSet<String> {
    let keys = keyed(events);
    let set: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(
        set.len(),
        keys.len(),
        "an event was produced twice: {keys:?}"
    );
    set
}

pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// One step of a scripted streaming body.
#[derive(Clone, Debug)]
pub enum Step {
    Send(String),
    Sleep(u64),
    /// Keep the connection open and silent until the client leaves.
    Hang,
    /// Send this every `ms` until the client leaves.
    Every(String, u64),
}

/// A streaming body that plays `steps`, then ends (unless a step hangs).
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
