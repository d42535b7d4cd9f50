//! The trait every platform source implements.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use triage_model::RawEvent;

use crate::cursor::DynCursorStore;
use crate::emit::{Cancelled, Emitted, Emitter};
use crate::internal_events::{ErrorKind, Telemetry};

/// Why a source stopped for good (transient failures are retried inside the source and never end up here).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Fatal(String),
}

/// A running platform source: reads until its input ends (replay) or shutdown, normalizes, emits through
/// [`SourceContext::emit`] and keeps its cursors in [`SourceContext::cursors`].
#[async_trait]
pub trait Source: Send {
    fn name(&self) -> &str;
    fn kind(&self) -> &'static str;
    /// Runs to completion. Returns `Ok` on end of input or shutdown.
    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<(), SourceError>;
}

/// What a source gets to run with.
#[derive(Clone)]
pub struct SourceContext {
    pub(crate) emitter: Emitter,
    pub cursors: Arc<dyn DynCursorStore>,
    pub shutdown: CancellationToken,
}

impl SourceContext {
    pub fn telemetry(&self) -> &Telemetry {
        &self.emitter.telemetry
    }

    /// Filters, deduplicates and sends; resolves once the sink acknowledged the batch (retrying as long as it
    /// takes), or `Err(Cancelled)` on shutdown, in which case nothing of the batch may be considered sent.
    pub async fn emit(&self, events: Vec<RawEvent>) -> Result<Emitted, Cancelled> {
        self.emitter.emit(events).await
    }

    /// Loads a cursor. A store failure is retried until shutdown: starting without the cursor would skip or
    /// re-read posts.
    pub async fn load_cursor(&self, key: &str) -> Result<Option<String>, Cancelled> {
        let mut backoff = crate::backoff::Backoff::exponential(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(30),
        );
        loop {
            match self.cursors.load_boxed(key).await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.telemetry().error(
                        ErrorKind::Cursor,
                        &format_args!("loading cursor `{key}`: {e}"),
                    );
                    crate::emit::sleep_or_cancel(backoff.next_delay(), &self.shutdown).await?;
                }
            }
        }
    }

    /// Saves a cursor. Call only after the events before it were acknowledged. A failure is logged and
    /// counted; the next save supersedes it (at worst a restart re-reads a little).
    pub async fn save_cursor(&self, key: &str, value: &str) {
        if let Err(e) = self.cursors.save_boxed(key, value).await {
            self.telemetry().error(
                ErrorKind::Cursor,
                &format_args!("saving cursor `{key}`: {e}"),
            );
        } else {
            tracing::trace!(source = %self.telemetry().name(), key, value, "cursor saved");
        }
    }
}
