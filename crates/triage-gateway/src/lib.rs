//! The HTTP side of triage: the only crate that serves HTTP.
//!
//! The root binary consumes the class topics (`<prefix>.offer` … `<prefix>.noise`) as its own consumer group,
//! from the beginning at start, and hands every message to [`Gateway::apply`]; the gateway keeps its state in
//! memory (no database: the topics are the database) and serves:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | the crisis desk's dashboard (assets embedded in the binary, Leaflet vendored) |
//! | `GET /api/feed/{class}` | Server-Sent Events, filters `lang`, `tag`, `min_confidence`, `bbox`, `q`, resumable with `Last-Event-ID` |
//! | `GET /api/feed?classes=offer,request` | the same events for several classes (all when absent) on ONE connection, ids monotonic across classes: what the dashboard uses |
//! | `GET /api/offers.geojson` | RFC 7946 FeatureCollection of current offers, one Point per cluster |
//! | `GET /api/missing`, `GET /api/missing.pfif` | missing persons as JSON and PFIF 1.4 (token) |
//! | `GET /api/posts` | search and export (JSON or CSV) for journalists, noise left out unless asked for |
//! | `POST /api/handled/{id}`, `DELETE /api/handled/{id}` | the desk's "handled" mark (token when configured) |
//! | `GET /api/config` | what the dashboard needs (tile URL, map centre) |
//! | `GET /metrics`, `GET /healthz` | Prometheus text, liveness |
//!
//! Architecture invariant: no Kafka here. Privacy invariant: every public output goes through
//! [`redact::redact`].

mod assets;
mod config;
mod feed;
mod fold;
mod geojson;
mod http;
pub mod missing;
mod posts;
pub mod redact;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod view;

use std::{
    future::Future,
    sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use triage_model::{Class, ClassEvent};

pub use config::{ConfigError, GatewayConfig, Secret, TtlBasis};
pub use view::BBox;

use crate::store::Store;

/// A function rendering the process's Prometheus metrics (installed by the root binary).
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// How the protected endpoints are guarded.
#[derive(Clone, Debug)]
pub(crate) enum Guard {
    /// No token configured: everything is open (development); logged at start.
    Open,
    Token(Secret),
    /// A token was configured but could not be read: fail closed.
    Broken(String),
}

pub(crate) struct Inner {
    pub config: GatewayConfig,
    pub guard: Guard,
    store: RwLock<Store>,
    pub metrics_renderer: RwLock<Option<MetricsRenderer>>,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub sse_clients: std::sync::atomic::AtomicUsize,
}

/// The gateway: state rebuilt from the class topics, and the HTTP routes over it. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

impl Gateway {
    /// Builds the gateway. A token that is configured but cannot be read (unset variable, unreadable file)
    /// does not stop it: the protected endpoints then answer 503 (fail closed) and the error is logged. Use
    /// [`Gateway::try_new`] to refuse to start instead.
    pub fn new(config: GatewayConfig) -> Gateway {
        let guard = match config.resolve_token() {
            Ok(Some(token)) => Guard::Token(token),
            Ok(None) => {
                tracing::warn!(
                    "gateway: no token configured: /api/missing, /api/missing.pfif and unredacted data are OPEN"
                );
                Guard::Open
            }
            Err(e) => {
                tracing::error!(error = %e, "gateway: token unavailable, protected endpoints will answer 503");
                Guard::Broken(e.to_string())
            }
        };
        if let Err(e) = config.validate() {
            tracing::error!(error = %e, "gateway: invalid configuration, using it anyway where possible");
        }
        Gateway::with_guard(config, guard)
    }

    /// Like [`Gateway::new`], but refuses a configuration that is invalid or whose token cannot be read.
    pub fn try_new(config: GatewayConfig) -> Result<Gateway, ConfigError> {
        config.validate()?;
        let guard = match config.resolve_token()? {
            Some(token) => Guard::Token(token),
            None => Guard::Open,
        };
        Ok(Gateway::with_guard(config, guard))
    }

    fn with_guard(config: GatewayConfig, guard: Guard) -> Gateway {
        let store = Store::new(config.max_records.max(1), config.feed_buffer.max(1));
        Gateway {
            inner: Arc::new(Inner {
                config,
                guard,
                store: RwLock::new(store),
                metrics_renderer: RwLock::new(None),
                shutdown: tokio_util::sync::CancellationToken::new(),
                sse_clients: std::sync::atomic::AtomicUsize::new(0),
            }),
        }
    }

    /// A message arrived on a class topic (`topic_class`): a record or a tombstone. Idempotent: a redelivered
    /// message (same record) changes nothing; an older version than the one held is ignored; a record whose
    /// id was tombstoned is ignored.
    pub fn apply(&self, event: ClassEvent, topic_class: Class, partition: i32, offset: i64) {
        let outcome = match event {
            ClassEvent::Record(record) => {
                if record.class != topic_class {
                    tracing::warn!(id = %record.id, record_class = %record.class, %topic_class,
                        "record read from another class's topic; filed under the topic's class");
                }
                // Redaction and folding happen before taking the lock.
                let entry = store::Entry::new(record, topic_class);
                self.write().apply_record(entry, partition, offset)
            }
            ClassEvent::Tombstone(t) => {
                self.write()
                    .apply_tombstone(&t, topic_class, partition, offset)
            }
        };
        metrics::counter!("triage_gateway_events_total", "class" => topic_class.as_str(), "outcome" => outcome.as_str())
            .increment(1);
    }

    /// Installs the function that renders the process's metrics on `GET /metrics`.
    pub fn set_metrics_renderer(&self, f: Arc<dyn Fn() -> String + Send + Sync>) {
        *self
            .inner
            .metrics_renderer
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(f);
    }

    /// Every route of the gateway, with its state, CORS and tracing layers. Merge other routers into it
    /// (e.g. ingest's webhook) before serving.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// Serves [`Gateway::router`] on `listener` until `shutdown` completes; open SSE streams are then ended so
    /// that the graceful shutdown does not wait for them forever.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = self.router();
        self.serve_router(router, listener, shutdown).await
    }

    /// Serves `router` (normally [`Gateway::router`] merged with other routers, e.g. ingest's webhook) with
    /// the same shutdown behaviour as [`Gateway::serve`].
    pub async fn serve_router(
        self,
        router: axum::Router,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let cancel = self.inner.shutdown.clone();
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "gateway listening");
        }
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                cancel.cancel();
            })
            .await
    }

    /// For shutdown: ends every live feed now, and any opened later at once (clients reconnect to the next
    /// process with `Last-Event-ID`). [`Gateway::serve`] calls it when its shutdown future completes; call it
    /// yourself before a graceful shutdown of a server you run, or that shutdown waits for the feeds forever.
    pub fn close_feeds(&self) {
        self.inner.shutdown.cancel();
    }

    /// Number of records held, per class (for the root's status output and tests).
    pub fn counts(&self) -> Vec<(Class, usize)> {
        let store = self.read();
        Class::ALL
            .into_iter()
            .map(|c| (c, store.count(c)))
            .collect()
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    // A poisoned lock means a panic happened while applying a message; the state is still consistent enough
    // to serve (every mutation is a few field updates), so keep going rather than take the gateway down.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.inner.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.inner.store.write().unwrap_or_else(|e| e.into_inner())
    }
}
