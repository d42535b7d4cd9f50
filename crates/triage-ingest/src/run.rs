//! Running the configured sources together.

use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, IngestConfig, SourceConfig};
use crate::cursor::DynCursorStore;
use crate::emit::{Emitter, Filter, TombstonePolicy, shared_dedup};
use crate::hashtags::TagMatcher;
use crate::internal_events::{StatsSnapshot, Telemetry};
use crate::sink::DynRawSink;
use crate::source::{Source, SourceContext};

/// What [`run_sources`] did, per source.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestReport {
    pub sources: Vec<SourceReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    pub name: String,
    pub kind: &'static str,
    pub stats: StatsSnapshot,
    /// Why the source stopped before shutdown or end of input (a configuration X refused, an unreadable file).
    pub error: Option<String>,
}

impl IngestReport {
    /// Sum of every source's figures.
    pub fn total(&self) -> StatsSnapshot {
        self.sources
            .iter()
            .fold(StatsSnapshot::default(), |mut a, s| {
                let b = s.stats;
                a.received += b.received;
                a.posts += b.posts;
                a.tombstones += b.tombstones;
                a.duplicates += b.duplicates;
                a.filtered += b.filtered;
                a.ignored += b.ignored;
                a.malformed += b.malformed;
                a.errors += b.errors;
                a.rate_limited += b.rate_limited;
                a.reconnects += b.reconnects;
                a
            })
    }

    pub fn source(&self, name: &str) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// A built source with what the runner needs to know about it.
struct Built {
    source: Box<dyn Source>,
    filter: Filter,
    tombstones: TombstonePolicy,
}

/// Builds the sources of a configuration (reads credentials). Webhook entries are not sources that run: the
/// gateway mounts [`crate::webhook_router`] for them; they are skipped here.
pub fn build_sources(config: &IngestConfig) -> Result<Vec<Box<dyn Source>>, ConfigError> {
    Ok(build(config)?.into_iter().map(|b| b.source).collect())
}

fn build(config: &IngestConfig) -> Result<Vec<Built>, ConfigError> {
    config.validate()?;
    let groups = &config.hashtags;
    let mut out = Vec::new();
    for (i, sc) in config.sources.iter().enumerate() {
        let name = sc.name(i);
        let built = match sc {
            SourceConfig::Mastodon(c) => {
                let s = crate::mastodon::MastodonSource::new(name, c.clone(), groups)?;
                Built {
                    filter: Filter::Tags(s.matcher()),
                    tombstones: TombstonePolicy::Always,
                    source: Box::new(s),
                }
            }
            SourceConfig::Bluesky(c) => {
                let s = crate::bluesky::BlueskySource::new(name, c.clone(), groups)?;
                Built {
                    filter: Filter::Tags(Arc::new(s.matcher().clone())),
                    tombstones: TombstonePolicy::IfSeen,
                    source: Box::new(s),
                }
            }
            SourceConfig::X(c) => {
                let s = crate::x::XSource::new(name, c.clone(), groups)?;
                Built {
                    filter: Filter::Tags(Arc::new(TagMatcher::new(&c.tags, groups))),
                    tombstones: TombstonePolicy::Always,
                    source: Box::new(s),
                }
            }
            SourceConfig::Replay(c) => Built {
                filter: Filter::PassAll,
                tombstones: TombstonePolicy::Always,
                source: Box::new(crate::replay::ReplaySource::new(name, c.clone())),
            },
            SourceConfig::Webhook(_) => {
                tracing::info!(source = %name, "webhook sources are served through the gateway's router, not run here");
                continue;
            }
        };
        out.push(built);
    }
    Ok(out)
}

/// Runs `sources` concurrently until each ends (replay at end of input) or `shutdown` fires; `config` gives
/// the hashtag groups and the dedup window (its own `sources` are not read: pass them, or
/// [`sources_from_args`](crate::sources_from_args) for ad-hoc ones). Webhook entries are skipped (the gateway
/// mounts [`IngestConfig::webhook_router`]). Fails before starting anything if the configuration or a credential
/// is wrong; afterwards failures are retried inside the sources, and a source that stops for good is reported
/// in [`SourceReport::error`].
pub async fn run_sources(
    config: &IngestConfig,
    sources: Vec<SourceConfig>,
    sink: Arc<dyn DynRawSink>,
    cursors: Arc<dyn DynCursorStore>,
    shutdown: CancellationToken,
) -> anyhow::Result<IngestReport> {
    let config = config.clone().with_sources(sources);
    let built = build(&config)?;
    let dedup = shared_dedup(config.dedup_window);
    let mut tasks = tokio::task::JoinSet::new();
    for (order, b) in built.into_iter().enumerate() {
        let telemetry = Telemetry::new(b.source.name(), b.source.kind());
        let ctx = SourceContext {
            emitter: Emitter {
                sink: sink.clone(),
                dedup: dedup.clone(),
                filter: b.filter,
                tombstones: b.tombstones,
                telemetry: telemetry.clone(),
                shutdown: shutdown.clone(),
            },
            cursors: cursors.clone(),
            shutdown: shutdown.clone(),
        };
        let source = b.source;
        tasks.spawn(async move {
            let name = source.name().to_owned();
            let kind = source.kind();
            let result = source.run(ctx).await;
            if let Err(e) = &result {
                tracing::error!(source = %name, error = %e, "source stopped");
            }
            (
                order,
                SourceReport {
                    name,
                    kind,
                    stats: telemetry.snapshot(),
                    error: result.err().map(|e| e.to_string()),
                },
            )
        });
    }
    let mut reports = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(r) => reports.push(r),
            // A panic inside a source is a bug; report it rather than bringing the process down.
            Err(e) => tracing::error!(error = %e, "source task failed"),
        }
    }
    reports.sort_by_key(|(order, _)| *order);
    Ok(IngestReport {
        sources: reports.into_iter().map(|(_, r)| r).collect(),
    })
}
