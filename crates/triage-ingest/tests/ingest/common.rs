//! Shared helpers: running sources against in-memory sinks; fixtures and fake servers come from
//! `triage_ingest::testing`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use triage_ingest::{
    IngestConfig, IngestReport, MemoryCursorStore, MemorySink, SourceConfig, run_sources,
};
use triage_model::RawEvent;

// The fake servers and fixture helpers live in the crate (feature `testing`), shared with the root e2e tests.
pub use triage_ingest::testing::{Step, fixture, json_fixture, serve};

pub const WAIT: Duration = Duration::from_secs(15);

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
