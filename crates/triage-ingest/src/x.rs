//! X API v2 filtered stream.
//!
//! At start the stream rules are made equal to the configuration (`GET /2/tweets/search/stream/rules`, then
//! `POST` with `{"delete":{"ids":[...]}}` and `{"add":[...]}` until they match). Then
//! `GET /2/tweets/search/stream` with Bearer auth: newline-delimited JSON objects (`{"data", "includes",
//! "matching_rules"}`), `\r\n` keep-alives every 20 s, and error objects such as `operational-disconnect`.
//! Silence longer than `silence_timeout_ms` means the stream stalled: reconnect. Reconnection follows X's
//! documented schedules (see [`crate::backoff::XBackoff`]).
//!
//! The filtered stream has no cursor: what is missed while disconnected is lost, unless the account's tier
//! supports `backfill_minutes` (configurable, sent on reconnects only).

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use triage_model::{Author, Media, Post, PostId, RawEvent, SCHEMA_VERSION, Source as Platform};
use url::Url;

use crate::backoff::{Backoff, XBackoff};
use crate::config::{ConfigError, HashtagGroups, Secret, XConfig, XRule};
use crate::emit::{Cancelled, sleep_or_cancel};
use crate::hashtags::{TagMatcher, extract_hashtags, merge_hashtags};
use crate::internal_events::{ErrorKind, Telemetry};
use crate::source::{Source, SourceContext, SourceError};
use crate::sse::{Line, LineBuffer};

/// Query parameters of the stream request.
pub const STREAM_FIELDS: &[(&str, &str)] = &[
    ("expansions", "author_id,attachments.media_keys"),
    (
        "tweet.fields",
        "created_at,lang,entities,referenced_tweets,author_id,conversation_id,attachments,edit_history_tweet_ids,note_tweet",
    ),
    ("user.fields", "username,name"),
    ("media.fields", "url,preview_image_url,type,alt_text"),
];

/// One message of the stream.
#[derive(Debug, Deserialize)]
pub struct StreamMessage {
    #[serde(default)]
    pub data: Option<Tweet>,
    #[serde(default)]
    pub includes: Includes,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub author_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub entities: Option<Entities>,
    #[serde(default)]
    pub referenced_tweets: Vec<Reference>,
    #[serde(default)]
    pub attachments: Option<Attachments>,
    #[serde(default)]
    pub edit_history_tweet_ids: Vec<String>,
    #[serde(default)]
    pub note_tweet: Option<NoteTweet>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Entities {
    #[serde(default)]
    pub hashtags: Vec<HashtagEntity>,
}

#[derive(Debug, Deserialize)]
pub struct HashtagEntity {
    pub tag: String,
}

#[derive(Debug, Deserialize)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Attachments {
    #[serde(default)]
    pub media_keys: Vec<String>,
}

/// A long post's full text (the `text` field is cut at 280 characters).
#[derive(Debug, Deserialize)]
pub struct NoteTweet {
    pub text: String,
    #[serde(default)]
    pub entities: Option<Entities>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Includes {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub media: Vec<MediaObject>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MediaObject {
    pub media_key: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub preview_image_url: Option<String>,
    #[serde(default)]
    pub alt_text: Option<String>,
}

/// Normalizes a post. An edited post (X gives each version its own id) keeps the id of the first version,
/// listed first in `edit_history_tweet_ids`, with `edited_at` set.
pub fn normalize_tweet(tweet: &Tweet, includes: &Includes) -> Post {
    let (raw_text, entities) = match &tweet.note_tweet {
        Some(note) => (
            &note.text,
            note.entities.as_ref().or(tweet.entities.as_ref()),
        ),
        None => (&tweet.text, tweet.entities.as_ref()),
    };
    // X escapes &, < and > in text as HTML entities.
    let text = html_escape::decode_html_entities(raw_text).into_owned();
    let entity_tags = entities
        .map(|e| e.hashtags.iter().map(|h| h.tag.clone()).collect())
        .unwrap_or_default();
    let hashtags = merge_hashtags(entity_tags, extract_hashtags(&text));
    let user = tweet
        .author_id
        .as_ref()
        .and_then(|a| includes.users.iter().find(|u| &u.id == a));
    let original = tweet
        .edit_history_tweet_ids
        .first()
        .filter(|first| **first != tweet.id);
    let native_id = original.unwrap_or(&tweet.id);
    let url = match user {
        Some(u) => format!("https://x.com/{}/status/{}", u.username, native_id),
        None => format!("https://x.com/i/web/status/{native_id}"),
    };
    let reference = |kind: &str| {
        tweet
            .referenced_tweets
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| PostId::new(Platform::X, &r.id))
    };
    let media = tweet
        .attachments
        .iter()
        .flat_map(|a| a.media_keys.iter())
        .filter_map(|k| includes.media.iter().find(|m| &m.media_key == k))
        .filter_map(|m| {
            Some(Media {
                url: m.url.clone().or_else(|| m.preview_image_url.clone())?,
                kind: m.kind.clone(),
                description: m.alt_text.clone().filter(|a| !a.is_empty()),
            })
        })
        .collect();
    let created_at = tweet.created_at.unwrap_or_else(Utc::now);
    Post {
        v: SCHEMA_VERSION,
        id: PostId::new(Platform::X, native_id),
        source: Platform::X,
        url: Some(url),
        author: Author {
            id: tweet.author_id.clone(),
            handle: user
                .map(|u| u.username.clone())
                .or_else(|| tweet.author_id.clone())
                .unwrap_or_default(),
            name: user.and_then(|u| u.name.clone()),
        },
        text,
        // `und`: X could not tell; `qme`, `zxx`...: media only, no text.
        lang: tweet.lang.clone().filter(|l| {
            !matches!(
                l.as_str(),
                "" | "und" | "qam" | "qct" | "qht" | "qme" | "qst" | "zxx"
            )
        }),
        hashtags,
        created_at,
        edited_at: original.map(|_| created_at),
        repost_of: reference("retweeted"),
        reply_to: reference("replied_to"),
        media,
    }
}

/// Parses one stream line: `Ok(None)` for a message without `data` (errors are returned in `errors`).
pub fn parse_message(
    value: serde_json::Value,
) -> Result<(Vec<Post>, Vec<serde_json::Value>), serde_json::Error> {
    // A lookup response has `data` as an array; a stream message as one object.
    if let Some(serde_json::Value::Array(items)) = value.get("data") {
        let includes: Includes = match value.get("includes") {
            Some(i) => Includes::deserialize(i)?,
            None => Includes::default(),
        };
        let mut posts = Vec::new();
        for item in items {
            posts.push(normalize_tweet(&Tweet::deserialize(item)?, &includes));
        }
        return Ok((posts, Vec::new()));
    }
    let msg = StreamMessage::deserialize(value)?;
    let posts = msg
        .data
        .iter()
        .map(|t| normalize_tweet(t, &msg.includes))
        .collect();
    Ok((posts, msg.errors))
}

/// The rules that match a tag configuration: one per group, `#A OR #B ...`, split to fit `max_len`.
pub fn rules_for(matcher: &TagMatcher, suffix: Option<&str>, max_len: usize) -> Vec<XRule> {
    let suffix = suffix.map(str::trim).filter(|s| !s.is_empty());
    let mut rules = Vec::new();
    for (group, spellings) in matcher.groups() {
        let mut chunk: Vec<String> = Vec::new();
        let make = |chunk: &[String], part: usize| {
            let body = chunk
                .iter()
                .map(|s| format!("#{s}"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let value = match (suffix, chunk.len()) {
                (Some(sfx), 1) => format!("{body} {sfx}"),
                (Some(sfx), _) => format!("({body}) {sfx}"),
                (None, _) => body,
            };
            let tag = if part == 0 {
                format!("triage:{group}")
            } else {
                format!("triage:{group}:{part}")
            };
            XRule {
                value,
                tag: Some(tag),
            }
        };
        let mut part = 0;
        for s in spellings {
            chunk.push(s.clone());
            if chunk.len() > 1 && make(&chunk, part).value.chars().count() > max_len {
                let last = chunk.pop().expect("just pushed");
                rules.push(make(&chunk, part));
                part += 1;
                chunk = vec![last];
            }
        }
        if !chunk.is_empty() {
            rules.push(make(&chunk, part));
        }
    }
    rules
}

#[derive(Debug, Deserialize)]
struct RulesResponse {
    #[serde(default)]
    data: Vec<ExistingRule>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ExistingRule {
    id: String,
    value: String,
    #[serde(default)]
    tag: Option<String>,
}

enum HttpFailure {
    Network(String),
    RateLimited {
        status: u16,
        reset: Option<Duration>,
    },
    Status(u16, String),
    Fatal(String),
}

pub struct XSource {
    name: String,
    cfg: XConfig,
    bearer: Secret,
    rules: Vec<XRule>,
    client: reqwest::Client,
}

impl XSource {
    pub fn new(name: String, cfg: XConfig, groups: &HashtagGroups) -> Result<Self, ConfigError> {
        let bearer = Secret::resolve(cfg.bearer_env.as_deref(), cfg.bearer_file.as_deref(), &name)?
            .ok_or_else(|| {
                ConfigError::invalid(&name, "X needs a bearer token (bearer_env or bearer_file)")
            })?;
        let rules = match &cfg.rules {
            Some(rules) => rules.clone(),
            None => {
                let matcher = TagMatcher::new(&cfg.tags, groups);
                rules_for(&matcher, cfg.rule_suffix.as_deref(), cfg.max_rule_len)
            }
        };
        if rules.is_empty() {
            return Err(ConfigError::invalid(
                &name,
                "no stream rule (no hashtag and no `rules`)",
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("triage-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::invalid(&name, format!("HTTP client: {e}")))?;
        Ok(XSource {
            name,
            cfg,
            bearer,
            rules,
            client,
        })
    }

    pub fn rules(&self) -> &[XRule] {
        &self.rules
    }

    fn backoffs(&self) -> XBackoff {
        let ms = Duration::from_millis;
        XBackoff {
            network: Backoff::linear(
                ms(self.cfg.network_backoff_step_ms),
                ms(self.cfg.network_backoff_max_ms),
            ),
            http: Backoff::exponential(
                ms(self.cfg.http_backoff_base_ms),
                ms(self.cfg.http_backoff_max_ms),
            ),
            rate_limit: Backoff::exponential(
                ms(self.cfg.rate_limit_backoff_base_ms),
                ms(self.cfg.rate_limit_backoff_max_ms),
            ),
        }
    }

    fn endpoint(&self, path: &[&str]) -> Url {
        let mut url = self.cfg.endpoint.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend(path);
        }
        url
    }

    /// The wait `x-rate-limit-reset` (epoch seconds) asks for, at most 15 minutes (X's rate-limit window).
    fn reset_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
        let reset = headers
            .get("x-rate-limit-reset")?
            .to_str()
            .ok()?
            .trim()
            .parse::<i64>()
            .ok()?;
        let wait = reset.checked_sub(Utc::now().timestamp())?;
        Some(Duration::from_secs(u64::try_from(wait).ok()?.min(15 * 60)))
    }

    async fn rules_call(&self, req: reqwest::RequestBuilder) -> Result<RulesResponse, HttpFailure> {
        let resp = req
            .bearer_auth(self.bearer.expose())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| HttpFailure::Network(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let reset = Self::reset_after(resp.headers());
        let body = resp
            .bytes()
            .await
            .map_err(|e| HttpFailure::Network(e.without_url().to_string()))?;
        if status == 429 {
            return Err(HttpFailure::RateLimited { status, reset });
        }
        if !(200..300).contains(&status) {
            let detail = String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned();
            // 4xx other than 429 will not get better by retrying with the same rules or token.
            if matches!(status, 400 | 401 | 403) {
                return Err(HttpFailure::Fatal(format!(
                    "rules endpoint answered HTTP {status}: {detail}"
                )));
            }
            return Err(HttpFailure::Status(status, detail));
        }
        serde_json::from_slice(&body)
            .map_err(|e| HttpFailure::Status(status, format!("rules response: {e}")))
    }

    /// One pass of rule synchronization; `Ok(true)` when the rules already matched.
    async fn sync_pass(&self) -> Result<bool, HttpFailure> {
        let url = self.endpoint(&["2", "tweets", "search", "stream", "rules"]);
        let current = self.rules_call(self.client.get(url.clone())).await?;
        let wanted: HashSet<(&str, Option<&str>)> = self
            .rules
            .iter()
            .map(|r| (r.value.as_str(), r.tag.as_deref()))
            .collect();
        let present: HashSet<(&str, Option<&str>)> = current
            .data
            .iter()
            .map(|r| (r.value.as_str(), r.tag.as_deref()))
            .collect();
        let delete: Vec<&str> = current
            .data
            .iter()
            .filter(|r| !wanted.contains(&(r.value.as_str(), r.tag.as_deref())))
            .map(|r| r.id.as_str())
            .collect();
        let add: Vec<&XRule> = self
            .rules
            .iter()
            .filter(|r| !present.contains(&(r.value.as_str(), r.tag.as_deref())))
            .collect();
        if delete.is_empty() && add.is_empty() {
            return Ok(true);
        }
        if !delete.is_empty() {
            tracing::info!(source = %self.name, n = delete.len(), "deleting stream rules");
            let body = serde_json::json!({ "delete": { "ids": delete } });
            self.rules_call(self.client.post(url.clone()).json(&body))
                .await?;
        }
        if !add.is_empty() {
            tracing::info!(source = %self.name, rules = ?add, "adding stream rules");
            let body = serde_json::json!({ "add": add });
            let resp = self.rules_call(self.client.post(url).json(&body)).await?;
            let refused: Vec<_> = resp
                .errors
                .iter()
                .filter(|e| e.get("title").and_then(|t| t.as_str()) != Some("DuplicateRule"))
                .collect();
            if !refused.is_empty() {
                return Err(HttpFailure::Fatal(format!(
                    "X refused stream rules: {}",
                    serde_json::Value::Array(refused.into_iter().cloned().collect())
                )));
            }
        }
        Ok(false)
    }

    async fn sync_rules(
        &self,
        ctx: &SourceContext,
        backoff: &mut XBackoff,
    ) -> Result<(), SyncError> {
        let t = ctx.telemetry();
        let mut passes = 0;
        loop {
            let delay = match self.sync_pass().await {
                Ok(true) => {
                    tracing::info!(source = %self.name, n = self.rules.len(), "stream rules match the configuration");
                    backoff.reset();
                    return Ok(());
                }
                Ok(false) => {
                    passes += 1;
                    if passes > 3 {
                        return Err(SyncError::Fatal(
                            "stream rules still differ after 3 updates".into(),
                        ));
                    }
                    continue;
                }
                Err(HttpFailure::Fatal(d)) => return Err(SyncError::Fatal(d)),
                Err(HttpFailure::Network(d)) => {
                    t.error(ErrorKind::Network, &format_args!("rules: {d}"));
                    backoff.network.next_delay()
                }
                Err(HttpFailure::RateLimited { status, reset }) => {
                    t.error(
                        ErrorKind::RateLimited,
                        &format_args!("rules: HTTP {status}"),
                    );
                    backoff
                        .rate_limit
                        .next_delay()
                        .max(reset.unwrap_or_default())
                }
                Err(HttpFailure::Status(s, d)) => {
                    t.error(ErrorKind::Http, &format_args!("rules: HTTP {s}: {d}"));
                    backoff.http.next_delay()
                }
            };
            t.backoff(delay);
            sleep_or_cancel(delay, &ctx.shutdown)
                .await
                .map_err(|_| SyncError::Cancelled)?;
        }
    }

    /// One stream connection. Returns the delay before the next one.
    async fn connection(
        &self,
        ctx: &SourceContext,
        backoff: &mut XBackoff,
        reconnecting: bool,
    ) -> Result<Duration, Cancelled> {
        let t = ctx.telemetry();
        let mut url = self.endpoint(&["2", "tweets", "search", "stream"]);
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in STREAM_FIELDS {
                q.append_pair(k, v);
            }
            if reconnecting && self.cfg.backfill_minutes > 0 {
                q.append_pair("backfill_minutes", &self.cfg.backfill_minutes.to_string());
            }
        }
        let silence = Duration::from_millis(self.cfg.silence_timeout_ms);
        let req = self.client.get(url).bearer_auth(self.bearer.expose());
        let sent = tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => return Err(Cancelled),
            r = tokio::time::timeout(silence, req.send()) => r,
        };
        let resp = match sent {
            Err(_) => {
                t.error(ErrorKind::Timeout, &"stream: no response");
                return Ok(backoff.network.next_delay());
            }
            Ok(Err(e)) => {
                t.error(
                    ErrorKind::Network,
                    &format_args!("stream: {}", e.without_url()),
                );
                return Ok(backoff.network.next_delay());
            }
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if status == 429 {
            let reset = Self::reset_after(resp.headers());
            let body = resp.text().await.unwrap_or_default();
            t.error(
                ErrorKind::RateLimited,
                &format_args!("stream: HTTP 429 {}", truncate(&body)),
            );
            return Ok(backoff
                .rate_limit
                .next_delay()
                .max(reset.unwrap_or_default()));
        }
        if !(200..300).contains(&status) {
            let body = resp.text().await.unwrap_or_default();
            t.error(
                ErrorKind::Http,
                &format_args!("stream: HTTP {status} {}", truncate(&body)),
            );
            return Ok(backoff.http.next_delay());
        }
        backoff.reset();
        t.connected(&"filtered stream");
        let mut body = resp.bytes_stream();
        let mut lines = LineBuffer::new(crate::MAX_LINE);
        loop {
            let chunk = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => return Err(Cancelled),
                c = tokio::time::timeout(silence, body.next()) => c,
            };
            let chunk = match chunk {
                Err(_) => {
                    t.error(
                        ErrorKind::Timeout,
                        &format_args!("stream silent for {silence:?}"),
                    );
                    return Ok(backoff.network.next_delay());
                }
                Ok(None) => {
                    if lines.pending() > 0 {
                        t.error(
                            ErrorKind::Malformed,
                            &"stream cut in the middle of a message",
                        );
                    }
                    tracing::info!(source = %self.name, "stream closed by the server");
                    return Ok(backoff.network.next_delay());
                }
                Ok(Some(Err(e))) => {
                    if lines.pending() > 0 {
                        t.error(
                            ErrorKind::Malformed,
                            &"stream cut in the middle of a message",
                        );
                    }
                    t.error(
                        ErrorKind::Network,
                        &format_args!("stream: {}", e.without_url()),
                    );
                    return Ok(backoff.network.next_delay());
                }
                Ok(Some(Ok(c))) => c,
            };
            let mut posts = Vec::new();
            let mut disconnect = false;
            for line in lines.push(&chunk) {
                match line {
                    Line::Text(l) if l.trim().is_empty() => {} // keep-alive
                    Line::Text(l) => disconnect |= self.line(&l, &mut posts, t),
                    Line::Invalid | Line::TooLong => {
                        t.received(1);
                        t.error(ErrorKind::Malformed, &"stream line not UTF-8 or too long");
                    }
                }
            }
            if !posts.is_empty() {
                ctx.emit(posts).await?;
            }
            if disconnect {
                return Ok(backoff.network.next_delay());
            }
        }
    }

    /// Handles one JSON line; true if X says the stream is being disconnected.
    fn line(&self, line: &str, posts: &mut Vec<RawEvent>, t: &Telemetry) -> bool {
        t.received(1);
        let value = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => v,
            Err(e) => {
                t.error(ErrorKind::Malformed, &format_args!("stream line: {e}"));
                return false;
            }
        };
        match parse_message(value) {
            Ok((new, errors)) => {
                posts.extend(new.into_iter().map(RawEvent::Post));
                let mut disconnect = false;
                for e in &errors {
                    let title = e.get("title").and_then(|v| v.as_str()).unwrap_or("");
                    disconnect |=
                        title == "operational-disconnect" || e.get("disconnect_type").is_some();
                    t.error(
                        ErrorKind::Protocol,
                        &format_args!("stream error message: {e}"),
                    );
                }
                disconnect
            }
            Err(e) => {
                t.error(ErrorKind::Malformed, &format_args!("stream message: {e}"));
                false
            }
        }
    }
}

enum SyncError {
    Cancelled,
    Fatal(String),
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(300) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[async_trait]
impl Source for XSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "x"
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<(), SourceError> {
        let t = ctx.telemetry().clone();
        let mut backoff = self.backoffs();
        match self.sync_rules(&ctx, &mut backoff).await {
            Ok(()) => {}
            Err(SyncError::Cancelled) => return Ok(()),
            Err(SyncError::Fatal(d)) => return Err(SourceError::Fatal(d)),
        }
        let mut reconnecting = false;
        loop {
            let Ok(delay) = self.connection(&ctx, &mut backoff, reconnecting).await else {
                return Ok(());
            };
            reconnecting = true;
            t.reconnect(&"filtered stream");
            t.backoff(delay);
            if sleep_or_cancel(delay, &ctx.shutdown).await.is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_per_group_and_split() {
        let m = TagMatcher::new(&["PorteOuverte".into()], &HashtagGroups::default());
        let rules = rules_for(&m, Some("-is:retweet"), 512);
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules[0].value,
            "(#PorteOuverte OR #PortesOuvertes OR #OpenDoor OR #OffeneTüren OR #PuertasAbiertas) -is:retweet"
        );
        assert_eq!(rules[0].tag.as_deref(), Some("triage:porteouverte"));
        let split = rules_for(&m, None, 40);
        assert!(
            split.len() > 1 && split.iter().all(|r| r.value.chars().count() <= 40),
            "{split:?}"
        );
        let all: Vec<_> = split.iter().flat_map(|r| r.value.split(" OR ")).collect();
        assert_eq!(all.len(), 5);
    }
}
