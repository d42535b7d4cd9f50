//! Where normalized events go.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::AsyncWriteExt;
use triage_model::RawEvent;

/// Why a batch was not acknowledged. Sources retry the whole batch with backoff, so a sink may fail a batch
/// after having stored part of it (the duplicates that follow are the at-least-once price).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("sink unavailable: {0}")]
    Unavailable(String),
    #[error("event `{id}` rejected: {reason}")]
    Rejected { id: String, reason: String },
    #[error("writing events failed: {0}")]
    Io(#[from] std::io::Error),
}

impl SinkError {
    /// An [`SinkError::Unavailable`] with this message.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError::Unavailable(message.into())
    }
}

/// Where normalized events go. Resolves `Ok` only when EVERY event of the batch is durably acknowledged
/// (for Kafka: produce ack of `<prefix>.raw`, keyed by post id). Implement it with `async fn send_batch`.
pub trait RawSink: Send + Sync {
    fn send_batch(
        &self,
        events: Vec<RawEvent>,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// The object-safe form of [`RawSink`], implemented for every `RawSink`: functions of this crate take
/// `Arc<dyn DynRawSink>`, so an `Arc<KafkaRawSink>` (or any `Arc<impl RawSink>`) can be passed as is.
pub trait DynRawSink: Send + Sync {
    fn send_batch_boxed(&self, events: Vec<RawEvent>) -> BoxFuture<'_, Result<(), SinkError>>;
}

impl<T: RawSink> DynRawSink for T {
    fn send_batch_boxed(&self, events: Vec<RawEvent>) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.send_batch(events))
    }
}

/// Writes one JSON event per line to stdout (`triage ingest --stdout`, for debugging and `| triage label`).
/// Acknowledges once the lines are flushed.
pub struct StdoutSink {
    out: tokio::sync::Mutex<tokio::io::Stdout>,
}

impl StdoutSink {
    pub fn new() -> Self {
        StdoutSink {
            out: tokio::sync::Mutex::new(tokio::io::stdout()),
        }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        Self::new()
    }
}

impl RawSink for StdoutSink {
    async fn send_batch(&self, events: Vec<RawEvent>) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(events.len() * 512);
        for event in &events {
            buf.extend_from_slice(&event.encode());
            buf.push(b'\n');
        }
        let mut out = self.out.lock().await;
        out.write_all(&buf).await?;
        out.flush().await?;
        Ok(())
    }
}

/// Keeps events in memory, in acknowledgement order. For tests and for the lead's wiring checks.
/// [`MemorySink::fail_next`] makes the next batches fail, to exercise retries.
pub struct MemorySink {
    events: Mutex<Vec<RawEvent>>,
    failures: AtomicUsize,
    batches: AtomicUsize,
    count: tokio::sync::watch::Sender<usize>,
}

impl MemorySink {
    pub fn new() -> Self {
        MemorySink {
            events: Mutex::new(Vec::new()),
            failures: AtomicUsize::new(0),
            batches: AtomicUsize::new(0),
            count: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Every acknowledged event, in order.
    pub fn events(&self) -> Vec<RawEvent> {
        self.lock().clone()
    }

    /// The ids of every acknowledged event, in order (a tombstone's id is its post's id).
    pub fn ids(&self) -> Vec<String> {
        self.lock().iter().map(|e| e.id().to_owned()).collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of batches acknowledged so far.
    pub fn batches(&self) -> usize {
        self.batches.load(Ordering::SeqCst)
    }

    /// The next `n` calls to `send_batch` fail with [`SinkError::Unavailable`] and store nothing.
    pub fn fail_next(&self, n: usize) {
        self.failures.store(n, Ordering::SeqCst);
    }

    /// Waits until at least `n` events were acknowledged; false on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.count.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RawEvent>> {
        // A panic while holding this lock can only come from a test assertion; the data is still usable.
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for MemorySink {
    fn default() -> Self {
        Self::new()
    }
}

impl RawSink for MemorySink {
    async fn send_batch(&self, events: Vec<RawEvent>) -> Result<(), SinkError> {
        let failed = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failed {
            return Err(SinkError::Unavailable("MemorySink told to fail".into()));
        }
        let len = {
            let mut all = self.lock();
            all.extend(events);
            all.len()
        };
        self.batches.fetch_add(1, Ordering::SeqCst);
        self.count.send_replace(len);
        Ok(())
    }
}
