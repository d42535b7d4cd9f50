//! `GET /api/feed/{class}`: a live Server-Sent Events feed of one class.
//!
//! Events: `record` (a new record or a new version; `data` is the redacted post), `retract` (deleted or moved
//! to another class: remove it), `handled` (the desk's mark changed). Every event has an `id`, monotonic
//! across the gateway; a client reconnecting with `Last-Event-ID` (header, or `last_event_id` parameter for
//! clients that cannot set headers) first gets the buffered events it missed, then the live ones.

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
    class: Class,
    filters: Filters,
    pending: VecDeque<Arc<FeedEvent>>,
    rx: broadcast::Receiver<Arc<FeedEvent>>,
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

pub(crate) fn stream(
    gateway: Gateway,
    class: Class,
    filters: Filters,
    start: Start,
) -> impl Stream<Item = Arc<FeedEvent>> + Send {
    let (rx, pending) = {
        let store = gateway.read();
        match start {
            Start::After(after) => {
                let (rx, missed) = store.subscribe(class, Some(after));
                (
                    rx,
                    missed
                        .into_iter()
                        .filter(|e| passes(e, &filters))
                        .collect::<VecDeque<_>>(),
                )
            }
            Start::Backlog(n) => {
                let (rx, _) = store.subscribe(class, None);
                let mut pending = VecDeque::new();
                if n > 0 {
                    // Walk back to the n-th newest matching record, then send everything from there.
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
                (rx, pending)
            }
        }
    };
    let last_sent = match pending.front() {
        Some(first) => first.id.saturating_sub(1),
        None => 0,
    };
    let state = State {
        _guard: ClientGuard::new(gateway.clone()),
        gateway,
        class,
        filters,
        pending,
        rx,
        last_sent,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(event) = st.pending.pop_front() {
                st.last_sent = st.last_sent.max(event.id);
                return Some((event, st));
            }
            match st.rx.recv().await {
                Ok(event) => {
                    if event.id > st.last_sent && passes(&event, &st.filters) {
                        st.last_sent = event.id;
                        return Some((event, st));
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // A slow client: catch up from the ring buffer instead of dropping events.
                    let missed = st.gateway.read().buffered_after(st.class, st.last_sent);
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
    class: Class,
    filters: Filters,
    start: Start,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let keep_alive = gateway.inner.config.keep_alive;
    let shutdown = gateway.inner.shutdown.clone().cancelled_owned();
    let events = stream(gateway, class, filters, start)
        .map(|e| {
            Ok(Event::default()
                .id(e.id.to_string())
                .event(e.name)
                .data(&*e.data))
        })
        .take_until(shutdown);
    Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive))
}
