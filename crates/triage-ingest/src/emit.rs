//! From normalized events to acknowledged events: hashtag filter, dedup, sink with retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use triage_model::RawEvent;

use crate::backoff::Backoff;
use crate::dedup::{DedupWindow, event_key, seen_key};
use crate::hashtags::TagMatcher;
use crate::internal_events::{ErrorKind, Telemetry};
use crate::sink::DynRawSink;

/// Which posts a source keeps.
#[derive(Clone, Debug)]
pub(crate) enum Filter {
    /// Replay and webhook: everything.
    PassAll,
    /// Platform sources: posts with at least one wanted hashtag.
    Tags(Arc<TagMatcher>),
}

/// Which tombstones a source sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TombstonePolicy {
    Always,
    /// Only for posts produced recently (Jetstream sends the deletes of the whole network).
    IfSeen,
}

/// The shutdown token fired while a batch was waiting for the sink; it was not acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("shutting down")]
pub struct Cancelled;

/// What happened to a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Emitted {
    pub posts: usize,
    pub tombstones: usize,
    pub duplicates: usize,
    pub filtered: usize,
    /// Dedup keys of the events that passed the filter (sent now, or duplicates of events sent before).
    pub(crate) keys: Vec<String>,
}

pub(crate) type SharedDedup = Arc<Mutex<DedupWindow>>;

pub(crate) fn shared_dedup(capacity: usize) -> SharedDedup {
    Arc::new(Mutex::new(DedupWindow::new(capacity)))
}

#[derive(Clone)]
pub(crate) struct Emitter {
    pub sink: Arc<dyn DynRawSink>,
    pub dedup: SharedDedup,
    pub filter: Filter,
    pub tombstones: TombstonePolicy,
    pub telemetry: Telemetry,
    pub shutdown: CancellationToken,
}

impl Emitter {
    fn dedup(&self) -> std::sync::MutexGuard<'_, DedupWindow> {
        // Nothing panics while holding it; if something did, the window is still consistent enough.
        self.dedup.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Filters and deduplicates `events`, then sends what is left and waits for the sink's acknowledgement,
    /// retrying with backoff (never dropping the batch) until it comes or shutdown is requested.
    pub async fn emit(&self, events: Vec<RawEvent>) -> Result<Emitted, Cancelled> {
        let mut result = Emitted::default();
        let mut batch = Vec::with_capacity(events.len());
        let mut keys = Vec::with_capacity(events.len());
        {
            let mut dedup = self.dedup();
            for event in events {
                match &event {
                    RawEvent::Post(post) => {
                        if let Filter::Tags(m) = &self.filter
                            && !m.matches(&post.hashtags)
                        {
                            result.filtered += 1;
                            continue;
                        }
                    }
                    RawEvent::Tombstone(t) => {
                        if self.tombstones == TombstonePolicy::IfSeen
                            && !dedup.contains(&seen_key(&t.id))
                        {
                            result.filtered += 1;
                            continue;
                        }
                    }
                }
                let key = event_key(&event);
                // Reserved now so that a concurrent source does not send the same post; released if the
                // batch is abandoned.
                if !dedup.insert(key.clone()) {
                    result.duplicates += 1;
                    result.keys.push(key);
                    continue;
                }
                if let RawEvent::Post(p) = &event {
                    dedup.insert(seen_key(&p.id));
                }
                keys.push(key);
                batch.push(event);
            }
        }
        self.telemetry.filtered(result.filtered as u64);
        self.telemetry.duplicates(result.duplicates as u64);
        if batch.is_empty() {
            return Ok(result);
        }
        result.posts = batch
            .iter()
            .filter(|e| matches!(e, RawEvent::Post(_)))
            .count();
        result.tombstones = batch.len() - result.posts;

        let mut backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(30));
        loop {
            let attempt = tokio::select! {
                biased;
                () = self.shutdown.cancelled() => None,
                r = self.sink.send_batch_boxed(batch.clone()) => Some(r),
            };
            match attempt {
                Some(Ok(())) => {
                    self.telemetry
                        .sent(result.posts as u64, result.tombstones as u64);
                    result.keys.extend(keys);
                    return Ok(result);
                }
                Some(Err(e)) => {
                    self.telemetry.error(ErrorKind::Sink, &e);
                    let delay = backoff.next_delay();
                    if sleep_or_cancel(delay, &self.shutdown).await.is_err() {
                        self.release(&keys);
                        return Err(Cancelled);
                    }
                }
                None => {
                    self.release(&keys);
                    return Err(Cancelled);
                }
            }
        }
    }

    fn release(&self, keys: &[String]) {
        let mut dedup = self.dedup();
        for key in keys {
            dedup.remove(key);
        }
    }

    /// Marks ids as already produced (a Jetstream cursor carries the ids of its rewind window).
    pub fn seed(&self, keys: impl IntoIterator<Item = String>) {
        let mut dedup = self.dedup();
        for key in keys {
            dedup.insert(key);
        }
    }
}

/// Sleeps, or returns `Err(Cancelled)` as soon as shutdown is requested.
pub(crate) async fn sleep_or_cancel(
    delay: Duration,
    shutdown: &CancellationToken,
) -> Result<(), Cancelled> {
    tokio::select! {
        biased;
        () = shutdown.cancelled() => Err(Cancelled),
        () = tokio::time::sleep(delay) => Ok(()),
    }
}
