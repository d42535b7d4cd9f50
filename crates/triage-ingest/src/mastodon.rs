//! Mastodon: hashtag timelines over REST (`GET /api/v1/timelines/tag/:hashtag`), and with a token the
//! streaming API (`GET /api/v1/streaming/hashtag?tag=`, server-sent events) with the REST timeline filling
//! every gap (at start and after each reconnect).
//!
//! Protocol notes (mastodon/mastodon `tag_controller.rb`, `rate_limit_headers.rb`, `streaming/index.js`):
//! - `min_id=<cursor>` returns the `limit` statuses *right after* the cursor, newest first; the `Link` header's
//!   `rel="prev"` is `min_id=<newest id of the page>`, the next page forward in time. We process each page
//!   oldest first and advance the cursor to its newest id once the sink acknowledged it.
//! - `X-RateLimit-Remaining` / `X-RateLimit-Reset` (ISO 8601) on every response; 429 when exhausted. We wait
//!   until the reset (measured against the server's `Date` to cancel clock skew).
//! - The stream opens with `:)`, sends `:thump` every 15 s, and `event: update|delete|status.update`.
//!   No byte for `heartbeat_timeout_ms` means the connection is dead.
//! - `delete` carries only the instance-local id: it becomes a tombstone for the status's `uri` if this source
//!   saw that status (a bounded map of local ids); otherwise it is counted as ignored.
//! - The post id is `mastodon:<uri>`: the same status read through several instances is one post.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use triage_model::{
    Author, Media, Post, PostId, RawEvent, SCHEMA_VERSION, Source as Platform, Tombstone,
};
use url::Url;

use crate::backoff::Backoff;
use crate::config::{ConfigError, HashtagGroups, MastodonConfig, Secret};
use crate::emit::{Cancelled, sleep_or_cancel};
use crate::hashtags::{TagMatcher, extract_hashtags, merge_hashtags, normalize_tag};
use crate::html::html_to_text;
use crate::internal_events::{ErrorKind, Telemetry};
use crate::source::{Source, SourceContext, SourceError};
use crate::sse::{Line, LineBuffer, SseItem, SseParser};

/// A Mastodon status, as much of it as we use. Unknown fields are ignored (the API grows).
#[derive(Clone, Debug, Deserialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    #[serde(default)]
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub spoiler_text: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub in_reply_to_id: Option<String>,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
    pub account: Account,
    #[serde(default)]
    pub media_attachments: Vec<Attachment>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub username: String,
    pub acct: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Attachment {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub remote_url: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Tag {
    pub name: String,
}

/// The post id of a status: `mastodon:<uri>`.
pub fn post_id(status: &Status) -> String {
    PostId::new(Platform::Mastodon, &status.uri)
}

/// Normalizes a status. A reblog keeps its own id and points at the original with `repost_of`; its text,
/// hashtags, language and media are the original's.
pub fn normalize_status(status: &Status) -> Post {
    let shown = status.reblog.as_deref().unwrap_or(status);
    let body = html_to_text(&shown.content);
    let text = if shown.spoiler_text.trim().is_empty() {
        body
    } else {
        // The content warning is part of what the author wrote (and often says what the post is about).
        format!("{}\n\n{}", shown.spoiler_text.trim(), body)
    };
    let hashtags = merge_hashtags(
        extract_hashtags(&text),
        shown.tags.iter().map(|t| t.name.clone()),
    );
    let media = shown
        .media_attachments
        .iter()
        .filter_map(|a| {
            let url = a.url.clone().or_else(|| a.remote_url.clone())?;
            Some(Media {
                url,
                kind: a.kind.clone(),
                description: a.description.clone().filter(|d| !d.is_empty()),
            })
        })
        .collect();
    Post {
        v: SCHEMA_VERSION,
        id: post_id(status),
        source: Platform::Mastodon,
        url: status.url.clone().or_else(|| Some(status.uri.clone())),
        author: author(&status.account, &status.uri),
        text,
        lang: shown.language.clone().filter(|l| !l.is_empty()),
        hashtags,
        created_at: status.created_at,
        edited_at: status.edited_at,
        repost_of: status.reblog.as_deref().map(post_id),
        reply_to: None,
        media,
    }
}

fn author(account: &Account, status_uri: &str) -> Author {
    let handle = if account.acct.contains('@') {
        format!("@{}", account.acct)
    } else {
        let host = account
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .or_else(|| Url::parse(status_uri).ok())
            .and_then(|u| u.host_str().map(str::to_owned));
        match host {
            Some(h) => format!("@{}@{h}", account.acct),
            None => format!("@{}", account.acct),
        }
    };
    Author {
        // The account URL is the same through every instance; the numeric id is local to one.
        id: account.url.clone().or_else(|| Some(account.id.clone())),
        handle,
        name: Some(account.display_name.clone()).filter(|n| !n.trim().is_empty()),
    }
}

/// Parses one status (JSON) and normalizes it.
pub fn parse_status(json: &serde_json::Value) -> Result<Post, serde_json::Error> {
    Status::deserialize(json).map(|s| normalize_status(&s))
}

/// Orders Mastodon ids: numeric snowflakes compare by length then digits (also right for fixed-width flake ids).
fn id_greater(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// The links of a `Link` header by relation (`next`, `prev`).
pub fn parse_link_header(value: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let target = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let params_end = rest.find('<').unwrap_or(rest.len());
        for param in rest[..params_end].split(';') {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("rel")
            {
                for rel in v
                    .trim()
                    .trim_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_whitespace()
                {
                    out.insert(rel.to_ascii_lowercase(), target.to_owned());
                }
            }
        }
        rest = &rest[params_end..];
    }
    out
}

/// Remembers which post id an instance-local status id belongs to, for `delete` events (bounded).
struct LocalIds {
    map: HashMap<String, String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl LocalIds {
    fn new(capacity: usize) -> Self {
        LocalIds {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn remember(&mut self, local: &str, post_id: &str) {
        if self
            .map
            .insert(local.to_owned(), post_id.to_owned())
            .is_none()
        {
            self.order.push_back(local.to_owned());
            if self.order.len() > self.capacity
                && let Some(old) = self.order.pop_front()
            {
                self.map.remove(&old);
            }
        }
    }

    fn get(&self, local: &str) -> Option<String> {
        self.map.get(local).cloned()
    }
}

/// Rate-limit state shared by all the tags of one instance (Mastodon limits per account or IP).
#[derive(Default)]
struct RateState {
    blocked_until: Option<tokio::time::Instant>,
}

pub struct MastodonSource {
    name: String,
    cfg: MastodonConfig,
    token: Option<Secret>,
    matcher: Arc<TagMatcher>,
    client: reqwest::Client,
    ids: Arc<Mutex<LocalIds>>,
    rate: Arc<Mutex<RateState>>,
}

enum FetchError {
    Network(String),
    /// 429, or any status with `X-RateLimit-Remaining: 0`: wait this long.
    RateLimited(Option<Duration>),
    Http(u16),
    Malformed(String),
}

struct Page {
    statuses: Vec<serde_json::Value>,
    prev: Option<String>,
}

/// How a stream connection ended.
enum StreamEnd {
    Timeout,
    Closed,
    Network(String),
    Http(u16),
    RateLimited(Option<Duration>),
}

impl MastodonSource {
    pub fn new(
        name: String,
        cfg: MastodonConfig,
        groups: &HashtagGroups,
    ) -> Result<Self, ConfigError> {
        let token = Secret::resolve(cfg.token_env.as_deref(), cfg.token_file.as_deref(), &name)?;
        let matcher = TagMatcher::new(&cfg.tags, groups);
        if matcher.is_empty() {
            return Err(ConfigError::invalid(&name, "no hashtag to follow"));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("triage-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::invalid(&name, format!("HTTP client: {e}")))?;
        Ok(MastodonSource {
            name,
            cfg,
            token,
            matcher: Arc::new(matcher),
            client,
            ids: Arc::new(Mutex::new(LocalIds::new(100_000))),
            rate: Arc::default(),
        })
    }

    pub fn matcher(&self) -> Arc<TagMatcher> {
        self.matcher.clone()
    }

    fn streaming(&self) -> bool {
        self.cfg.streaming.unwrap_or(self.token.is_some()) && self.token.is_some()
    }

    fn timeline_url(&self, tag: &str, min_id: Option<&str>) -> Url {
        let mut url = self.cfg.instance.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty()
                .extend(["api", "v1", "timelines", "tag", tag]);
        }
        {
            let mut q = url.query_pairs_mut();
            q.clear().append_pair("limit", &self.cfg.limit.to_string());
            if let Some(id) = min_id {
                q.append_pair("min_id", id);
            }
        }
        url
    }

    fn streaming_url(&self, tag: &str) -> Url {
        let mut url = self
            .cfg
            .streaming_url
            .clone()
            .unwrap_or_else(|| self.cfg.instance.clone());
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty()
                .extend(["api", "v1", "streaming", "hashtag"]);
        }
        url.query_pairs_mut().clear().append_pair("tag", tag);
        url
    }

    fn same_origin(&self, link: &str) -> Option<Url> {
        let url = Url::parse(link).ok()?;
        (url.origin() == self.cfg.instance.origin()).then_some(url)
    }

    fn lock_ids(&self) -> std::sync::MutexGuard<'_, LocalIds> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits out a rate-limit block set by any tag's last response.
    async fn wait_rate_limit(&self, ctx: &SourceContext) -> Result<(), Cancelled> {
        let until = self
            .rate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .blocked_until;
        if let Some(until) = until {
            let now = tokio::time::Instant::now();
            if until > now {
                ctx.telemetry().backoff(until - now);
                tokio::select! {
                    biased;
                    () = ctx.shutdown.cancelled() => return Err(Cancelled),
                    () = tokio::time::sleep_until(until) => {}
                }
            }
        }
        Ok(())
    }

    /// Reads the rate-limit headers; returns how long to wait if the budget is spent.
    fn note_rate_limit(
        &self,
        headers: &reqwest::header::HeaderMap,
        force: bool,
    ) -> Option<Duration> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
        if !force && remaining != Some(0) {
            return None;
        }
        let reset =
            header("x-ratelimit-reset").and_then(|v| DateTime::parse_from_rfc3339(v).ok())?;
        // Measure against the server's clock when it tells it (Date header), so skew does not matter.
        let now = header("date")
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        let wait = (reset.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO);
        let wait = wait.min(Duration::from_millis(self.cfg.rate_limit_max_wait_ms));
        self.rate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .blocked_until = Some(tokio::time::Instant::now() + wait);
        Some(wait)
    }

    async fn get_page(&self, url: &Url) -> Result<Page, FetchError> {
        let mut req = self
            .client
            .get(url.clone())
            .timeout(Duration::from_secs(30))
            .header("accept", "application/json");
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| FetchError::Network(e.without_url().to_string()))?;
        let status = resp.status();
        if status.as_u16() == 429 {
            return Err(FetchError::RateLimited(
                self.note_rate_limit(resp.headers(), true),
            ));
        }
        self.note_rate_limit(resp.headers(), false);
        if !status.is_success() {
            return Err(FetchError::Http(status.as_u16()));
        }
        let prev = resp
            .headers()
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| parse_link_header(v).remove("prev"));
        let body = resp
            .bytes()
            .await
            .map_err(|e| FetchError::Network(e.without_url().to_string()))?;
        let statuses: Vec<serde_json::Value> = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Malformed(format!("timeline page: {e}")))?;
        Ok(Page { statuses, prev })
    }

    /// Normalizes statuses (any order), remembering their local ids. Returns the events and the largest id.
    fn normalize_all(
        &self,
        values: impl IntoIterator<Item = serde_json::Value>,
        edited: bool,
        t: &Telemetry,
    ) -> (Vec<RawEvent>, Option<String>) {
        let mut events = Vec::new();
        let mut max_id: Option<String> = None;
        for value in values {
            t.received(1);
            // The id advances the cursor even when the rest is malformed: reading it again will not fix it.
            if let Some(id) = value.get("id").and_then(|v| v.as_str())
                && max_id.as_deref().is_none_or(|m| id_greater(id, m))
            {
                max_id = Some(id.to_owned());
            }
            match Status::deserialize(&value) {
                Ok(status) => {
                    let mut post = normalize_status(&status);
                    {
                        let mut ids = self.lock_ids();
                        ids.remember(&status.id, &post.id);
                        if let Some(parent) = &status.in_reply_to_id {
                            post.reply_to = ids.get(parent);
                        }
                    }
                    if edited && post.edited_at.is_none() {
                        post.edited_at = Some(Utc::now());
                    }
                    events.push(RawEvent::Post(post));
                }
                Err(e) => t.error(ErrorKind::Malformed, &format_args!("status: {e}")),
            }
        }
        (events, max_id)
    }

    async fn advance(
        &self,
        ctx: &SourceContext,
        key: &str,
        cursor: &mut Option<String>,
        max_id: Option<String>,
    ) {
        if let Some(id) = max_id
            && cursor.as_deref().is_none_or(|c| id_greater(&id, c))
        {
            ctx.save_cursor(key, &id).await;
            *cursor = Some(id);
        }
    }

    /// Reads the tag timeline from the cursor until caught up (a page shorter than `limit`).
    async fn catch_up(
        &self,
        ctx: &SourceContext,
        tag: &str,
        key: &str,
        cursor: &mut Option<String>,
    ) -> Result<(), Cancelled> {
        let t = ctx.telemetry();
        let first_run = cursor.is_none();
        let mut url = self.timeline_url(tag, cursor.as_deref());
        let mut backoff = self.backoff();
        loop {
            self.wait_rate_limit(ctx).await?;
            let page = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => return Err(Cancelled),
                p = self.get_page(&url) => p,
            };
            match page {
                Ok(page) => {
                    if backoff.attempts() > 0 {
                        backoff.reset();
                        t.backoff(Duration::ZERO);
                    }
                    let full = page.statuses.len() >= self.cfg.limit as usize;
                    // Pages come newest first; the sink gets them oldest first.
                    let (events, max_id) =
                        self.normalize_all(page.statuses.into_iter().rev(), false, t);
                    ctx.emit(events).await?;
                    self.advance(ctx, key, cursor, max_id).await;
                    // Without a cursor the first page is the newest one: we start from there, not from the
                    // beginning of the tag's history.
                    if !full || first_run {
                        return Ok(());
                    }
                    url = match page.prev.as_deref().and_then(|l| self.same_origin(l)) {
                        Some(prev) => prev,
                        None => self.timeline_url(tag, cursor.as_deref()),
                    };
                }
                Err(FetchError::RateLimited(wait)) => {
                    t.error(ErrorKind::RateLimited, &format_args!("tag {tag}: HTTP 429"));
                    let wait = wait.unwrap_or_else(|| backoff.next_delay());
                    t.backoff(wait);
                    sleep_or_cancel(wait, &ctx.shutdown).await?;
                }
                Err(e) => {
                    let (kind, detail) = match e {
                        FetchError::Network(d) => (ErrorKind::Network, d),
                        FetchError::Http(s) => (ErrorKind::Http, format!("HTTP {s}")),
                        FetchError::Malformed(d) => (ErrorKind::Malformed, d),
                        FetchError::RateLimited(_) => unreachable!("handled above"),
                    };
                    t.error(kind, &format_args!("tag {tag} timeline: {detail}"));
                    let delay = backoff.next_delay();
                    t.backoff(delay);
                    sleep_or_cancel(delay, &ctx.shutdown).await?;
                }
            }
        }
    }

    fn backoff(&self) -> Backoff {
        Backoff::exponential(
            Duration::from_millis(self.cfg.backoff_base_ms),
            Duration::from_millis(self.cfg.backoff_max_ms),
        )
    }

    /// One streaming connection, until it ends. `connected` is set once the server answered 200.
    async fn stream_once(
        &self,
        ctx: &SourceContext,
        tag: &str,
        key: &str,
        cursor: &mut Option<String>,
        connected: &mut bool,
    ) -> Result<StreamEnd, Cancelled> {
        let t = ctx.telemetry();
        let mut req = self
            .client
            .get(self.streaming_url(tag))
            .header("accept", "text/event-stream");
        if let Some(tok) = &self.token {
            req = req.bearer_auth(tok.expose());
        }
        let heartbeat = Duration::from_millis(self.cfg.heartbeat_timeout_ms);
        let sent = tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => return Err(Cancelled),
            r = tokio::time::timeout(heartbeat, req.send()) => r,
        };
        let resp = match sent {
            Err(_) => return Ok(StreamEnd::Timeout),
            Ok(Err(e)) => return Ok(StreamEnd::Network(e.without_url().to_string())),
            Ok(Ok(r)) => r,
        };
        if resp.status().as_u16() == 429 {
            return Ok(StreamEnd::RateLimited(
                self.note_rate_limit(resp.headers(), true),
            ));
        }
        if !resp.status().is_success() {
            return Ok(StreamEnd::Http(resp.status().as_u16()));
        }
        *connected = true;
        t.connected(&format_args!("streaming #{tag}"));
        let mut body = resp.bytes_stream();
        let mut lines = LineBuffer::new(crate::MAX_LINE);
        let mut sse = SseParser::default();
        loop {
            let chunk = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => return Err(Cancelled),
                c = tokio::time::timeout(heartbeat, body.next()) => c,
            };
            let chunk = match chunk {
                Err(_) => return Ok(StreamEnd::Timeout),
                Ok(None) => return Ok(StreamEnd::Closed),
                Ok(Some(Err(e))) => return Ok(StreamEnd::Network(e.without_url().to_string())),
                Ok(Some(Ok(c))) => c,
            };
            let mut events = Vec::new();
            let mut max_id = None;
            for line in lines.push(&chunk) {
                let line = match line {
                    Line::Text(l) => l,
                    Line::Invalid | Line::TooLong => {
                        t.error(ErrorKind::Malformed, &"stream line not UTF-8 or too long");
                        continue;
                    }
                };
                let Some(SseItem::Event(ev)) = sse.line(&line) else {
                    continue;
                };
                match ev.event.as_str() {
                    "update" | "status.update" => {
                        match serde_json::from_str::<serde_json::Value>(&ev.data) {
                            Ok(value) => {
                                let edited = ev.event == "status.update";
                                let (mut evs, id) = self.normalize_all([value], edited, t);
                                events.append(&mut evs);
                                // An edit is of an older status: it does not move the timeline cursor.
                                if !edited
                                    && let Some(id) = id
                                    && max_id.as_ref().is_none_or(|m: &String| id_greater(&id, m))
                                {
                                    max_id = Some(id);
                                }
                            }
                            Err(e) => {
                                t.received(1);
                                t.error(
                                    ErrorKind::Malformed,
                                    &format_args!("{} event: {e}", ev.event),
                                );
                            }
                        }
                    }
                    "delete" => {
                        t.received(1);
                        match self.lock_ids().get(ev.data.trim()) {
                            Some(id) => events.push(RawEvent::Tombstone(Tombstone {
                                v: SCHEMA_VERSION,
                                id,
                                source: Platform::Mastodon,
                                deleted_at: Utc::now(),
                            })),
                            None => t.ignored(1),
                        }
                    }
                    _ => {
                        t.received(1);
                        t.ignored(1);
                    }
                }
            }
            if !events.is_empty() {
                ctx.emit(events).await?;
            }
            self.advance(ctx, key, cursor, max_id).await;
        }
    }

    async fn run_tag(&self, ctx: SourceContext, tag: String) -> Result<(), Cancelled> {
        let key = format!("{}#{}", self.name, normalize_tag(&tag));
        let mut cursor = ctx.load_cursor(&key).await?;
        let t = ctx.telemetry().clone();
        if !self.streaming() {
            loop {
                self.catch_up(&ctx, &tag, &key, &mut cursor).await?;
                sleep_or_cancel(
                    Duration::from_millis(self.cfg.poll_interval_ms),
                    &ctx.shutdown,
                )
                .await?;
            }
        }
        let mut backoff = self.backoff();
        loop {
            // Fill the gap since the cursor (start, or the time the stream was down) through REST.
            self.catch_up(&ctx, &tag, &key, &mut cursor).await?;
            let mut connected = false;
            let end = self
                .stream_once(&ctx, &tag, &key, &mut cursor, &mut connected)
                .await?;
            if connected {
                backoff.reset();
            }
            let mut delay = None;
            match end {
                StreamEnd::Timeout => t.error(
                    ErrorKind::Timeout,
                    &format_args!("#{tag} stream: no heartbeat"),
                ),
                StreamEnd::Closed => {
                    tracing::info!(source = %self.name, tag, "stream closed by the server")
                }
                StreamEnd::Network(d) => {
                    t.error(ErrorKind::Network, &format_args!("#{tag} stream: {d}"))
                }
                StreamEnd::Http(s) => {
                    t.error(ErrorKind::Http, &format_args!("#{tag} stream: HTTP {s}"))
                }
                StreamEnd::RateLimited(w) => {
                    t.error(
                        ErrorKind::RateLimited,
                        &format_args!("#{tag} stream: HTTP 429"),
                    );
                    delay = w;
                }
            }
            t.reconnect(&format_args!("#{tag} stream"));
            let delay = delay.unwrap_or_else(|| backoff.next_delay());
            t.backoff(delay);
            sleep_or_cancel(delay, &ctx.shutdown).await?;
        }
    }
}

#[async_trait]
impl Source for MastodonSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "mastodon"
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<(), SourceError> {
        let this: Arc<MastodonSource> = Arc::from(self);
        let tags = this.matcher.query_tags().to_vec();
        tracing::info!(source = %this.name, instance = %this.cfg.instance, ?tags, streaming = this.streaming(), "mastodon source starting");
        let tasks = tags.into_iter().map(|tag| {
            let this = this.clone();
            let ctx = ctx.clone();
            async move { this.run_tag(ctx, tag).await }
        });
        // Every tag loop ends only on shutdown.
        let _ = futures::future::join_all(tasks).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let v = r#"<https://mastodon.example/api/v1/timelines/tag/test?limit=20&max_id=108914430312582020>; rel="next", <https://mastodon.example/api/v1/timelines/tag/test?limit=20&min_id=108914430312582020>; rel="prev""#;
        let links = parse_link_header(v);
        assert_eq!(
            links["next"],
            "https://mastodon.example/api/v1/timelines/tag/test?limit=20&max_id=108914430312582020"
        );
        assert_eq!(
            links["prev"],
            "https://mastodon.example/api/v1/timelines/tag/test?limit=20&min_id=108914430312582020"
        );
    }

    #[test]
    fn ids_order_numerically() {
        assert!(id_greater("108914430312582020", "99999999999999999"));
        assert!(!id_greater("1", "2"));
    }
}
