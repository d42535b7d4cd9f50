//! Bluesky through Jetstream: `GET /subscribe?wantedCollections=app.bsky.feed.post&cursor=<time_us>` over a
//! WebSocket, one JSON event per text message (bluesky-social/jetstream, v1 event shape).
//!
//! - Hashtags: `record.facets[].features[]` of `$type` `app.bsky.richtext.facet#tag` (no `#`, original case),
//!   `record.tags`, and `#tags` in the text. Language: `record.langs[0]`.
//! - Id `bluesky:at://<did>/app.bsky.feed.post/<rkey>`, URL `https://bsky.app/profile/<did>/post/<rkey>`.
//! - `operation: delete` on a post becomes a tombstone, sent only for posts this process produced recently
//!   (Jetstream carries the deletes of the whole network).
//! - Resume: events are not strictly ordered by `time_us`, so we reconnect from the highest acknowledged
//!   `time_us` minus `rewind_ms`, and the cursor also stores the ids produced within that rewind window, so a
//!   restarted worker drops them again instead of doubling them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;
use triage_model::{
    Author, Media, Post, PostId, RawEvent, SCHEMA_VERSION, Source as Platform, Tombstone,
};
use url::Url;

use crate::backoff::Backoff;
use crate::config::{BlueskyConfig, ConfigError, HashtagGroups};
use crate::dedup::event_key;
use crate::emit::{Cancelled, sleep_or_cancel};
use crate::hashtags::{TagMatcher, extract_hashtags, merge_hashtags};
use crate::internal_events::ErrorKind;
use crate::source::{Source, SourceContext, SourceError};

const POST_COLLECTION: &str = "app.bsky.feed.post";
const TAG_FEATURE: &str = "app.bsky.richtext.facet#tag";

/// A Jetstream event (v1).
#[derive(Debug, Deserialize)]
pub struct JetstreamEvent {
    pub did: String,
    pub time_us: i64,
    pub kind: String,
    #[serde(default)]
    pub commit: Option<Commit>,
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    pub operation: String,
    pub collection: String,
    pub rkey: String,
    #[serde(default)]
    pub record: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct PostRecord {
    #[serde(default)]
    text: String,
    #[serde(rename = "createdAt", default)]
    created_at: Option<String>,
    #[serde(default)]
    facets: Vec<Facet>,
    #[serde(default)]
    langs: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    reply: Option<ReplyRef>,
    #[serde(default)]
    embed: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Facet {
    #[serde(default)]
    features: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ReplyRef {
    parent: StrongRef,
}

#[derive(Debug, Deserialize)]
struct StrongRef {
    uri: String,
}

fn time_of(time_us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time_us).unwrap_or_else(Utc::now)
}

/// `bluesky:at://<did>/app.bsky.feed.post/<rkey>`.
pub fn post_id(did: &str, rkey: &str) -> String {
    PostId::new(
        Platform::Bluesky,
        &format!("at://{did}/{POST_COLLECTION}/{rkey}"),
    )
}

/// Normalizes one Jetstream event; `None` for what is not a post (identity, account, another collection).
pub fn normalize_event(event: &JetstreamEvent) -> Result<Option<RawEvent>, serde_json::Error> {
    let Some(commit) = event.commit.as_ref().filter(|_| event.kind == "commit") else {
        return Ok(None);
    };
    if commit.collection != POST_COLLECTION {
        return Ok(None);
    }
    let id = post_id(&event.did, &commit.rkey);
    match commit.operation.as_str() {
        "delete" => Ok(Some(RawEvent::Tombstone(Tombstone {
            v: SCHEMA_VERSION,
            id,
            source: Platform::Bluesky,
            deleted_at: time_of(event.time_us),
        }))),
        op @ ("create" | "update") => {
            let value = commit.record.clone().unwrap_or(serde_json::Value::Null);
            let record = PostRecord::deserialize(value)?;
            let mut hashtags = Vec::new();
            for facet in &record.facets {
                for feature in &facet.features {
                    if feature.get("$type").and_then(|t| t.as_str()) == Some(TAG_FEATURE)
                        && let Some(tag) = feature.get("tag").and_then(|t| t.as_str())
                    {
                        hashtags.push(tag.trim_start_matches('#').to_owned());
                    }
                }
            }
            let hashtags = merge_hashtags(
                merge_hashtags(Vec::new(), hashtags),
                record.tags.iter().cloned(),
            );
            let hashtags = merge_hashtags(hashtags, extract_hashtags(&record.text));
            // createdAt is declared by the client; fall back to Jetstream's receive time if it is unusable.
            let created_at = record
                .created_at
                .as_deref()
                .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
                .map(|c| c.with_timezone(&Utc))
                .unwrap_or_else(|| time_of(event.time_us));
            Ok(Some(RawEvent::Post(Post {
                v: SCHEMA_VERSION,
                id,
                source: Platform::Bluesky,
                url: Some(format!(
                    "https://bsky.app/profile/{}/post/{}",
                    event.did, commit.rkey
                )),
                author: Author {
                    id: Some(event.did.clone()),
                    handle: event.did.clone(),
                    name: None,
                },
                text: record.text.clone(),
                lang: record.langs.first().cloned().filter(|l| !l.is_empty()),
                hashtags,
                created_at,
                edited_at: (op == "update").then(|| time_of(event.time_us)),
                repost_of: None,
                reply_to: record
                    .reply
                    .as_ref()
                    .map(|r| PostId::new(Platform::Bluesky, &r.parent.uri)),
                media: media(&event.did, record.embed.as_ref()),
            })))
        }
        _ => Ok(None),
    }
}

/// Parses and normalizes one line of Jetstream JSON.
pub fn parse_line(line: &str) -> Result<(i64, Option<RawEvent>), serde_json::Error> {
    let event: JetstreamEvent = serde_json::from_str(line)?;
    let normalized = normalize_event(&event)?;
    Ok((event.time_us, normalized))
}

/// Images and video of an embed (`app.bsky.embed.images|video`, or the media of `recordWithMedia`), as CDN URLs.
fn media(did: &str, embed: Option<&serde_json::Value>) -> Vec<Media> {
    let Some(embed) = embed else {
        return Vec::new();
    };
    let embed = match embed.get("$type").and_then(|t| t.as_str()) {
        Some("app.bsky.embed.recordWithMedia") => match embed.get("media") {
            Some(m) => m,
            None => return Vec::new(),
        },
        _ => embed,
    };
    let cid = |blob: &serde_json::Value| {
        blob.get("ref")
            .and_then(|r| r.get("$link"))
            .and_then(|l| l.as_str())
            .map(str::to_owned)
    };
    let alt = |v: &serde_json::Value| {
        v.get("alt")
            .and_then(|a| a.as_str())
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    };
    match embed.get("$type").and_then(|t| t.as_str()) {
        Some("app.bsky.embed.images") => embed
            .get("images")
            .and_then(|i| i.as_array())
            .into_iter()
            .flatten()
            .filter_map(|img| {
                let cid = cid(img.get("image")?)?;
                Some(Media {
                    url: format!("https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg"),
                    kind: Some("image".into()),
                    description: alt(img),
                })
            })
            .collect(),
        Some("app.bsky.embed.video") => embed
            .get("video")
            .and_then(cid)
            .map(|cid| Media {
                url: format!("https://video.bsky.app/watch/{did}/{cid}/playlist.m3u8"),
                kind: Some("video".into()),
                description: alt(embed),
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// What the cursor stores: the highest acknowledged `time_us`, and the keys of the events produced within the
/// rewind window before it (seeded into the dedup window on restart).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    time_us: i64,
    #[serde(default)]
    recent: Vec<(String, i64)>,
}

/// At most this many recent keys in a cursor (a few seconds of matching posts is far fewer).
const MAX_RECENT: usize = 5_000;

impl Cursor {
    fn parse(s: &str) -> Option<Cursor> {
        // A bare number is accepted too (a cursor set by hand).
        serde_json::from_str(s).ok().or_else(|| {
            s.trim().parse().ok().map(|time_us| Cursor {
                time_us,
                recent: Vec::new(),
            })
        })
    }
}

pub struct BlueskySource {
    name: String,
    cfg: BlueskyConfig,
    matcher: TagMatcher,
}

impl BlueskySource {
    pub fn new(
        name: String,
        cfg: BlueskyConfig,
        groups: &HashtagGroups,
    ) -> Result<Self, ConfigError> {
        let matcher = TagMatcher::new(&cfg.tags, groups);
        if matcher.is_empty() {
            return Err(ConfigError::invalid(&name, "no hashtag to follow"));
        }
        Ok(BlueskySource { name, cfg, matcher })
    }

    pub fn matcher(&self) -> &TagMatcher {
        &self.matcher
    }

    fn url(&self, cursor: Option<i64>) -> Url {
        let mut url = self.cfg.endpoint.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().push("subscribe");
        }
        {
            let mut q = url.query_pairs_mut();
            q.clear().append_pair("wantedCollections", POST_COLLECTION);
            if let Some(c) = cursor {
                q.append_pair("cursor", &c.to_string());
            }
        }
        url
    }
}

/// Why a connection ended.
enum End {
    Network(String),
    Timeout,
    Closed,
}

struct State {
    cursor: Cursor,
    dirty: bool,
    last_save: tokio::time::Instant,
}

impl BlueskySource {
    async fn save(&self, ctx: &SourceContext, key: &str, state: &mut State) {
        if !state.dirty {
            return;
        }
        let floor = state.cursor.time_us.saturating_sub(self.rewind_us());
        state.cursor.recent.retain(|(_, t)| *t >= floor);
        if state.cursor.recent.len() > MAX_RECENT {
            let excess = state.cursor.recent.len() - MAX_RECENT;
            state.cursor.recent.drain(..excess);
        }
        match serde_json::to_string(&state.cursor) {
            Ok(v) => ctx.save_cursor(key, &v).await,
            Err(e) => ctx.telemetry().error(ErrorKind::Cursor, &e),
        }
        state.dirty = false;
        state.last_save = tokio::time::Instant::now();
    }

    fn rewind_us(&self) -> i64 {
        i64::try_from(self.cfg.rewind_ms.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Normalizes, emits and advances the cursor for a batch of text messages.
    async fn handle(
        &self,
        ctx: &SourceContext,
        key: &str,
        state: &mut State,
        messages: Vec<String>,
    ) -> Result<(), Cancelled> {
        let t = ctx.telemetry();
        t.received(messages.len() as u64);
        let before = (state.cursor.time_us, state.cursor.recent.len());
        let mut events = Vec::new();
        let mut times = Vec::new();
        let mut max_time = None::<i64>;
        for msg in messages {
            match parse_line(&msg) {
                Ok((time_us, normalized)) => {
                    max_time = Some(max_time.map_or(time_us, |m| m.max(time_us)));
                    match normalized {
                        Some(e) => {
                            times.push((event_key(&e), time_us));
                            events.push(e);
                        }
                        None => t.ignored(1),
                    }
                }
                Err(e) => t.error(ErrorKind::Malformed, &format_args!("jetstream event: {e}")),
            }
        }
        if !events.is_empty() {
            let emitted = ctx.emit(events).await?;
            // Keys sent now or dropped as duplicates of earlier ones: a restart that rewinds over them must drop
            // them again. Filtered posts need no memory (they would be filtered again).
            let kept: std::collections::HashSet<String> = emitted.keys.into_iter().collect();
            state
                .cursor
                .recent
                .extend(times.into_iter().filter(|(k, _)| kept.contains(k)));
        }
        if let Some(max) = max_time
            && max > state.cursor.time_us
        {
            state.cursor.time_us = max;
        }
        // Only a changed cursor needs saving (the quiet-stream timer in `connection` waits on `dirty`).
        if (state.cursor.time_us, state.cursor.recent.len()) != before {
            state.dirty = true;
        }
        if state.last_save.elapsed() >= Duration::from_millis(self.cfg.cursor_interval_ms) {
            self.save(ctx, key, state).await;
        }
        Ok(())
    }

    async fn connection(
        &self,
        ctx: &SourceContext,
        key: &str,
        state: &mut State,
        connected: &mut bool,
    ) -> Result<End, Cancelled> {
        let t = ctx.telemetry();
        let from = (state.cursor.time_us > 0)
            .then(|| state.cursor.time_us.saturating_sub(self.rewind_us()).max(0));
        let url = self.url(from);
        let idle = Duration::from_millis(self.cfg.idle_timeout_ms);
        let connect = tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => return Err(Cancelled),
            c = tokio::time::timeout(idle, tokio_tungstenite::connect_async(url.as_str())) => c,
        };
        let mut ws = match connect {
            Err(_) => return Ok(End::Timeout),
            Ok(Err(e)) => return Ok(End::Network(e.to_string())),
            Ok(Ok((ws, _))) => ws,
        };
        *connected = true;
        t.connected(&format_args!("jetstream cursor={from:?}"));
        let cursor_interval = Duration::from_millis(self.cfg.cursor_interval_ms);
        let mut idle_deadline = deadline_after(tokio::time::Instant::now(), idle);
        loop {
            let msg = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => {
                    let _ = ws.close(None).await;
                    return Err(Cancelled);
                }
                // A stream that goes quiet after a batch must not leave the cursor stale until the next message
                // (a crash then would re-send that batch). `dirty` is only set by `handle` after the sink
                // acknowledged the batch, and `handle` runs to completion outside this select, so the saved
                // cursor never covers an unacknowledged event.
                () = tokio::time::sleep_until(deadline_after(state.last_save, cursor_interval)),
                    if state.dirty =>
                {
                    self.save(ctx, key, state).await;
                    continue;
                }
                // `next()` is cancel-safe: a message is never lost when another branch wins.
                m = ws.next() => m,
                () = tokio::time::sleep_until(idle_deadline) => return Ok(End::Timeout),
            };
            idle_deadline = deadline_after(tokio::time::Instant::now(), idle);
            let first = match msg {
                None => return Ok(End::Closed),
                Some(Err(e)) => return Ok(End::Network(e.to_string())),
                Some(Ok(m)) => m,
            };
            // Take what is already buffered too, so the sink sees batches rather than single events.
            let mut batch = Vec::new();
            let mut end = None;
            let mut next = Some(first);
            while let Some(m) = next.take() {
                match m {
                    Message::Text(s) => batch.push(s.to_string()),
                    Message::Binary(_) => t.error(
                        ErrorKind::Malformed,
                        &"binary message (compression is not requested)",
                    ),
                    Message::Close(_) => end = Some(End::Closed),
                    _ => {}
                }
                if batch.len() >= 500 || end.is_some() {
                    break;
                }
                match futures::FutureExt::now_or_never(ws.next()) {
                    Some(Some(Ok(m))) => next = Some(m),
                    Some(Some(Err(e))) => end = Some(End::Network(e.to_string())),
                    Some(None) => end = Some(End::Closed),
                    None => {}
                }
            }
            if !batch.is_empty() {
                self.handle(ctx, key, state, batch).await?;
            }
            if let Some(end) = end {
                return Ok(end);
            }
        }
    }
}

/// `from + d`, or a deadline decades away when that overflows (a configured interval of `u64::MAX` ms means
/// "never", as with `tokio::time::timeout`).
fn deadline_after(from: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    from.checked_add(d)
        .unwrap_or_else(|| from + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

#[async_trait]
impl Source for BlueskySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "bluesky"
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<(), SourceError> {
        let key = self.name.clone();
        let t = ctx.telemetry().clone();
        let Ok(stored) = ctx.load_cursor(&key).await else {
            return Ok(());
        };
        let cursor = match stored.as_deref().map(Cursor::parse) {
            Some(Some(c)) => c,
            Some(None) => {
                t.error(
                    ErrorKind::Cursor,
                    &format_args!("cursor `{key}` unreadable; starting from now"),
                );
                Cursor::default()
            }
            None => Cursor::default(),
        };
        ctx.emitter
            .seed(cursor.recent.iter().map(|(k, _)| k.clone()));
        ctx.emitter.seed(cursor.recent.iter().filter_map(|(k, _)| {
            k.strip_prefix("p|")
                .and_then(|r| r.rsplit_once('|'))
                .map(|(id, _)| crate::dedup::seen_key(id))
        }));
        tracing::info!(source = %self.name, endpoint = %self.cfg.endpoint, time_us = cursor.time_us, "bluesky source starting");
        let mut state = State {
            cursor,
            dirty: false,
            last_save: tokio::time::Instant::now(),
        };
        let mut backoff = Backoff::exponential(
            Duration::from_millis(self.cfg.backoff_base_ms),
            Duration::from_millis(self.cfg.backoff_max_ms),
        );
        loop {
            let mut connected = false;
            let end = match self
                .connection(&ctx, &key, &mut state, &mut connected)
                .await
            {
                Ok(end) => end,
                Err(Cancelled) => break,
            };
            // Everything handled so far was acknowledged: make the resume point durable before retrying.
            self.save(&ctx, &key, &mut state).await;
            if connected {
                backoff.reset();
            }
            match end {
                End::Network(d) => t.error(ErrorKind::Network, &format_args!("jetstream: {d}")),
                End::Timeout => t.error(
                    ErrorKind::Timeout,
                    &"jetstream: no message within idle_timeout",
                ),
                End::Closed => {
                    tracing::info!(source = %self.name, "jetstream closed the connection")
                }
            }
            t.reconnect(&"jetstream");
            let delay = backoff.next_delay();
            t.backoff(delay);
            if sleep_or_cancel(delay, &ctx.shutdown).await.is_err() {
                break;
            }
        }
        // Shutdown: everything handled was acknowledged (a cancelled batch never advanced the cursor).
        self.save(&ctx, &key, &mut state).await;
        Ok(())
    }
}
