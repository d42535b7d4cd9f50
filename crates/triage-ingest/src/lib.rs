//! Platform sources for triage: Mastodon, Bluesky (Jetstream), X (filtered stream v2), replay files and a webhook,
//! each normalized into [`triage_model::RawEvent`]s and handed to a [`RawSink`].
//!
//! Architecture invariant: this is the only crate that knows platform wire formats, and it knows nothing about
//! Kafka. The root binary wires it to the bus through two traits: [`RawSink`] (where events go; resolves only once
//! every event of a batch is durably acknowledged) and [`CursorStore`] (where each source keeps its place).
//!
//! Delivery contract: a source advances its cursor only after the sink acknowledged every event before it, so a
//! restarted worker resumes without loss; events are deduplicated by id (and version) within a bounded window
//! shared by all sources of one [`run_sources`] call, so the same post seen twice (through two Mastodon instances,
//! a Jetstream rewind, a reconnect) is produced once.
//!
//! Serving HTTP is the gateway's job: [`webhook::webhook_router`] only builds the `POST /ingest` router.
//!
//! Wiring (the root binary): implement [`RawSink`] and [`CursorStore`] with plain `async fn`s; every function
//! here takes their object-safe forms [`DynRawSink`] / [`DynCursorStore`], which any `Arc<impl RawSink>`
//! coerces to.
//!
//! ```no_run
//! use std::sync::Arc;
//! use triage_ingest::{IngestConfig, RawSink, SinkError, MemoryCursorStore, sources_from_args, run_sources};
//! use triage_model::RawEvent;
//!
//! struct Kafka;
//! impl RawSink for Kafka {
//!     async fn send_batch(&self, events: Vec<RawEvent>) -> Result<(), SinkError> {
//!         // produce every event to `<prefix>.raw`, keyed by `event.id()`, and wait for every ack
//!         Ok(())
//!     }
//! }
//!
//! # async fn wire(config: IngestConfig, args: triage_ingest::IngestArgs) -> anyhow::Result<()> {
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let mut sources = sources_from_args(&args)?;
//! if sources.is_empty() {
//!     sources = config.sources.clone();
//! }
//! let sink = Arc::new(Kafka);
//! let webhook: Option<axum::Router> = config.webhook_router(sink.clone())?; // mount in the gateway
//! let report = run_sources(&config, sources, sink, Arc::new(MemoryCursorStore::new()), shutdown).await?;
//! # Ok(()) }
//! ```

/// Longest line accepted from a streamed body or a replay file; longer ones are skipped and counted.
pub(crate) const MAX_LINE: usize = 1 << 20;

pub mod backoff;
pub mod bluesky;
pub mod cli;
pub mod config;
mod cursor;
mod dedup;
mod emit;
pub mod hashtags;
pub mod html;
pub mod internal_events;
pub mod mastodon;
pub mod replay;
mod run;
mod sink;
pub mod source;
mod sse;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;
pub mod x;

pub use cli::{IngestArgs, SourceKind, sources_from_args};
pub use config::{
    BlueskyConfig, ConfigError, HashtagGroups, IngestConfig, MastodonConfig, ReplayConfig, Secret,
    SourceConfig, WebhookConfig, XConfig, XRule,
};
pub use cursor::{CursorError, CursorStore, DynCursorStore, FileCursorStore, MemoryCursorStore};
pub use emit::{Cancelled, Emitted};
pub use internal_events::StatsSnapshot;
pub use replay::Speed;
pub use run::{IngestReport, SourceReport, build_sources, run_sources};
pub use sink::{DynRawSink, MemorySink, RawSink, SinkError, StdoutSink};
pub use source::{Source, SourceContext, SourceError};
pub use webhook::{WebhookState, webhook_router};
