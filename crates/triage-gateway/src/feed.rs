//! Live Server-Sent Events feeds: `GET /api/feed/{class}` (one class) and `GET /api/feed?classes=…` (several
//! classes on ONE connection: a browser holds at most 6 HTTP/1.1 connections per host, so a dashboard with one
//! stream per column would starve its own other requests).
//!
//! Events: `record` (a new record or a new version; `data` is the redacted post), `retract` (deleted or moved
//! to another class: remove it), `handled` (the desk's mark changed). The `data` of every event is JSON with
//! `id` (the post) and `class` (the feed it belongs to). Every event has an SSE `id`, from one sequence for all
//! classes of the gateway process, and a stream sends its events in increasing id order; a client reconnecting
//! with `Last-Event-ID` (header, or `last_event_id` parameter for clients that cannot set headers) first gets
//! the buffered events it missed (of its classes, merged by id), then the live ones: no loss within the
//! buffers (`feed_buffer` events per class), no repeat.

use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{Arc, atomic::Ordering},
};

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use triage_model::Class;

use crate::{
    Gateway,
    store::{FeedEvent, FeedKind},
    view::Filters,
};

/// Where a new subscriber starts.
pub(crate) enum Start {
    /// Resume after this event id.
    After(u64),
    /// A fresh client: the last `n` matching records (and the events about them), then live.
    Backlog(usize),
}

fn passes(event: &FeedEvent, filters: &Filters) -> bool {
    match &event.kind {
        FeedKind::Record(entry) => filters.matches(entry),
        // Retractions and handled marks are cheap and harmless for posts the client never saw: always send.
        FeedKind::Retract | FeedKind::Handled => true,
    }
}

struct State {
    gateway: Gateway,
    classes: Vec<Class>,
    filters: Filters,
    pending: VecDeque<Arc<FeedEvent>>,
    rx: broadcast::Receiver<Arc<FeedEvent>>,
    /// Every event with an id up to this one was sent or skipped: the resume point after a lag.
    last_sent: u64,
    _guard: ClientGuard,
}

/// Counts connected feed clients for /metrics.
struct ClientGuard(Gateway);

impl ClientGuard {
    fn new(gateway: Gateway) -> ClientGuard {
        gateway.inner.sse_clients.fetch_add(1, Ordering::Relaxed);
        ClientGuard(gateway)
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.inner.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The events of `classes` (none twice, in id order) passing `filters`, from `start` on, then live.
pub(crate) fn stream(
    gateway: Gateway,
    classes: Vec<Class>,
    filters: Filters,
    start: Start,
) -> impl Stream<Item = Arc<FeedEvent>> + Send {
    let (rx, pending, last_sent) = {
        let store = gateway.read();
        match start {
            Start::After(after) => {
                let (rx, missed, last) = store.subscribe(&classes, Some(after));
                let pending = missed
                    .into_iter()
                    .filter(|e| passes(e, &filters))
                    .collect::<VecDeque<_>>();
                (rx, pending, last)
            }
            Start::Backlog(n) => {
                let (rx, _, last) = store.subscribe(&classes, None);
                let mut pending = Vec::new();
                if n > 0 {
                    for &class in &classes {
                        // Walk back to the class's n-th newest matching record, then send everything from
                        // there: n records per class, like one feed per class would.
                        let mut records = 0;
                        let mut from = None;
                        for e in store.ring(class).rev() {
                            if matches!(e.kind, FeedKind::Record(_)) && passes(e, &filters) {
                                records += 1;
                                from = Some(e.id);
                                if records == n {
                                    break;
                                }
                            }
                        }
                        if let Some(from) = from {
                            pending.extend(
                                store
                                    .ring(class)
                                    .filter(|e| e.id >= from && passes(e, &filters))
                                    .cloned(),
                            );
                        }
                    }
                    pending.sort_unstable_by_key(|e| e.id);
                }
                (rx, pending.into(), last)
            }
        }
    };
    let state = State {
        _guard: ClientGuard::new(gateway.clone()),
        gateway,
        classes,
        filters,
        pending,
        rx,
        last_sent,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            // The snapshot: all of it is older than `last_sent`, and in id order.
            if let Some(event) = st.pending.pop_front() {
                return Some((event, st));
            }
            match st.rx.recv().await {
                Ok(event) => {
                    if event.id > st.last_sent {
                        st.last_sent = event.id;
                        if st.classes.contains(&event.class) && passes(&event, &st.filters) {
                            return Some((event, st));
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // A slow client: catch up from the ring buffers instead of dropping events. Events the
                    // channel still holds are then skipped by the id check.
                    let store = st.gateway.read();
                    let missed = store.buffered_after(&st.classes, st.last_sent);
                    st.last_sent = store.last_event_id();
                    drop(store);
                    st.pending
                        .extend(missed.into_iter().filter(|e| passes(e, &st.filters)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

pub(crate) fn sse(
    gateway: Gateway,
    classes: Vec<Class>,
    filters: Filters,
    start: Start,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let keep_alive = gateway.inner.config.keep_alive;
    let shutdown = gateway.inner.shutdown.clone().cancelled_owned();
    let events = stream(gateway, classes, filters, start)
        .map(|e| {
            Ok(Event::default()
                .id(e.id.to_string())
                .event(e.name)
                .data(&*e.data))
        })
        .take_until(shutdown);
    Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive))
}
