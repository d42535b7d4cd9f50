//! One function per notable thing a source does: each logs it with `tracing` and counts it with `metrics`
//! (labels: `source` = the source's name, `kind` = its platform), and keeps the per-source figures that
//! [`crate::IngestReport`] returns.
//!
//! Metrics:
//! - `triage_ingest_received_total{source,kind}`: messages read from the platform (posts or not).
//! - `triage_ingest_events_total{source,kind,event}`: events acknowledged by the sink (`event` = post|tombstone).
//! - `triage_ingest_duplicates_total{source,kind}`: events dropped because their id (and version) was recent.
//! - `triage_ingest_filtered_total{source,kind}`: posts dropped because they match no configured hashtag.
//! - `triage_ingest_ignored_total{source,kind}`: platform messages that are not posts (likes, identity, ...).
//! - `triage_ingest_errors_total{source,kind,error_type}`: malformed input, HTTP, network, rate limits, ...
//! - `triage_ingest_reconnects_total{source,kind}`.
//! - `triage_ingest_backoff_seconds{source,kind}` (gauge): the current reconnection delay, 0 when connected.

use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Kinds of error, the `error_type` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A message that is not valid JSON or not of the platform's shape: skipped.
    Malformed,
    /// An HTTP status that is an error (4xx other than 429, 5xx).
    Http,
    /// Connection refused, reset, cut mid-message, DNS, TLS.
    Network,
    /// HTTP 429 or a rate-limit header that says wait.
    RateLimited,
    /// A stream went silent longer than its heartbeat allows.
    Timeout,
    /// The sink did not acknowledge a batch (it is retried).
    Sink,
    /// A cursor could not be loaded or saved.
    Cursor,
    /// The platform said something we did not expect (an error message in a stream, a rule it refused).
    Protocol,
    /// Local I/O (reading a replay file).
    Io,
}

impl ErrorKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::Http => "http",
            ErrorKind::Network => "network",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Sink => "sink",
            ErrorKind::Cursor => "cursor",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Io => "io",
        }
    }
}

/// Figures of one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub received: u64,
    pub posts: u64,
    pub tombstones: u64,
    pub duplicates: u64,
    pub filtered: u64,
    pub ignored: u64,
    pub malformed: u64,
    pub errors: u64,
    pub rate_limited: u64,
    pub reconnects: u64,
}

#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    posts: AtomicU64,
    tombstones: AtomicU64,
    duplicates: AtomicU64,
    filtered: AtomicU64,
    ignored: AtomicU64,
    malformed: AtomicU64,
    errors: AtomicU64,
    rate_limited: AtomicU64,
    reconnects: AtomicU64,
}

/// The telemetry handle of one source; cheap to clone.
#[derive(Clone, Debug)]
pub struct Telemetry {
    name: Arc<str>,
    kind: &'static str,
    counters: Arc<Counters>,
}

impl Telemetry {
    pub fn new(name: &str, kind: &'static str) -> Self {
        Telemetry {
            name: Arc::from(name),
            kind,
            counters: Arc::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            received: get(&c.received),
            posts: get(&c.posts),
            tombstones: get(&c.tombstones),
            duplicates: get(&c.duplicates),
            filtered: get(&c.filtered),
            ignored: get(&c.ignored),
            malformed: get(&c.malformed),
            errors: get(&c.errors),
            rate_limited: get(&c.rate_limited),
            reconnects: get(&c.reconnects),
        }
    }

    fn labels(&self) -> [(&'static str, String); 2] {
        [
            ("source", self.name.to_string()),
            ("kind", self.kind.to_owned()),
        ]
    }

    pub fn received(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.counters.received.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("triage_ingest_received_total", &self.labels()).increment(n);
    }

    /// Events the sink acknowledged.
    pub fn sent(&self, posts: u64, tombstones: u64) {
        self.counters.posts.fetch_add(posts, Ordering::Relaxed);
        self.counters
            .tombstones
            .fetch_add(tombstones, Ordering::Relaxed);
        let [source, kind] = self.labels();
        if posts > 0 {
            metrics::counter!(
                "triage_ingest_events_total",
                &[source.clone(), kind.clone(), ("event", "post".to_owned())]
            )
            .increment(posts);
        }
        if tombstones > 0 {
            metrics::counter!(
                "triage_ingest_events_total",
                &[source, kind, ("event", "tombstone".to_owned())]
            )
            .increment(tombstones);
        }
        tracing::debug!(source = %self.name, posts, tombstones, "events acknowledged by the sink");
    }

    pub fn duplicates(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.counters.duplicates.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("triage_ingest_duplicates_total", &self.labels()).increment(n);
        tracing::debug!(source = %self.name, n, "duplicates dropped");
    }

    pub fn filtered(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.counters.filtered.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("triage_ingest_filtered_total", &self.labels()).increment(n);
    }

    pub fn ignored(&self, n: u64) {
        if n == 0 {
            return;
        }
        self.counters.ignored.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("triage_ingest_ignored_total", &self.labels()).increment(n);
    }

    /// Something went wrong; `detail` must not contain credentials.
    pub fn error(&self, kind: ErrorKind, detail: &dyn Display) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        match kind {
            ErrorKind::Malformed => {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
            }
            ErrorKind::RateLimited => {
                self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        let [source, k] = self.labels();
        metrics::counter!(
            "triage_ingest_errors_total",
            &[source, k, ("error_type", kind.as_str().to_owned())]
        )
        .increment(1);
        match kind {
            ErrorKind::Malformed => {
                tracing::debug!(source = %self.name, error_type = kind.as_str(), %detail, "skipped malformed input")
            }
            _ => {
                tracing::warn!(source = %self.name, error_type = kind.as_str(), %detail, "ingest error")
            }
        }
    }

    pub fn reconnect(&self, reason: &dyn Display) {
        self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("triage_ingest_reconnects_total", &self.labels()).increment(1);
        tracing::info!(source = %self.name, %reason, "reconnecting");
    }

    pub fn backoff(&self, delay: Duration) {
        metrics::gauge!("triage_ingest_backoff_seconds", &self.labels()).set(delay.as_secs_f64());
        if !delay.is_zero() {
            tracing::info!(source = %self.name, delay_ms = delay.as_millis() as u64, "backing off");
        }
    }

    pub fn connected(&self, what: &dyn Display) {
        self.backoff(Duration::ZERO);
        tracing::info!(source = %self.name, %what, "connected");
    }
}
