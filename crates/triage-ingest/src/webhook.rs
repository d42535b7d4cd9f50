//! `POST /ingest`: posts pushed by SMS gateways and other tools.
//!
//! Body: one post or an array of posts, JSON:
//! `{"id"?: "...", "text": "...", "author"?: "name" | {"handle", "id"?, "name"?}, "created_at"?: RFC 3339,
//! "lang"?, "url"?, "hashtags"?: [...], "reply_to"?, "repost_of"?, "media"?: [...]}` (a normalized post with
//! `"source": "webhook"` is accepted too). Ids become `webhook:<id>`; without one, a stable hash of author,
//! time and text, so that a retried request is recognized as a duplicate.
//!
//! Answers: `202 {"accepted", "duplicates", "ids"}` once the sink acknowledged; `401` without the bearer token;
//! `413` over the body or post limit; `415` for a non-JSON content type; `400` for invalid JSON; `422` for a
//! post that does not fit (with its index); `503` when the sink fails (retry later: nothing was lost, the
//! posts can be sent again). Every error is `{"error": "<code>", "detail": "...", "index"?: n}`.
//!
//! Only the gateway serves HTTP: this module builds the router, the root binary mounts it.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use triage_model::{Author, Media, Post, PostId, RawEvent, SCHEMA_VERSION, Source as Platform};

use crate::config::{ConfigError, IngestConfig, Secret, SourceConfig, WebhookConfig};
use crate::dedup::{DedupWindow, event_key};
use crate::hashtags::{extract_hashtags, merge_hashtags};
use crate::internal_events::{ErrorKind, StatsSnapshot, Telemetry};
use crate::sink::DynRawSink;

/// Longest text accepted in one post (posts on every platform are far shorter).
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Shared state of the webhook router.
#[derive(Clone)]
pub struct WebhookState {
    inner: Arc<Inner>,
}

struct Inner {
    sink: Arc<dyn DynRawSink>,
    token: Option<Secret>,
    max_body_bytes: usize,
    max_posts: usize,
    dedup: Mutex<DedupWindow>,
    telemetry: Telemetry,
}

impl WebhookState {
    /// `token: None` accepts anonymous requests.
    pub fn new(sink: Arc<dyn DynRawSink>, token: Option<Secret>) -> Self {
        Self::build(sink, token, &WebhookConfig::default(), "webhook")
    }

    /// From a `kind = "webhook"` source: reads the token from its env var or file.
    pub fn from_config(
        name: &str,
        cfg: &WebhookConfig,
        sink: Arc<dyn DynRawSink>,
    ) -> Result<Self, ConfigError> {
        let token = Secret::resolve(cfg.token_env.as_deref(), cfg.token_file.as_deref(), name)?;
        if token.is_none() && !cfg.allow_anonymous {
            return Err(ConfigError::invalid(
                name,
                "a webhook needs token_env or token_file (or allow_anonymous)",
            ));
        }
        Ok(Self::build(sink, token, cfg, name))
    }

    fn build(
        sink: Arc<dyn DynRawSink>,
        token: Option<Secret>,
        cfg: &WebhookConfig,
        name: &str,
    ) -> Self {
        WebhookState {
            inner: Arc::new(Inner {
                sink,
                token,
                max_body_bytes: cfg.max_body_bytes,
                max_posts: cfg.max_posts,
                dedup: Mutex::new(DedupWindow::new(100_000)),
                telemetry: Telemetry::new(name, "webhook"),
            }),
        }
    }

    pub fn with_limits(self, max_body_bytes: usize, max_posts: usize) -> Self {
        let inner = &self.inner;
        WebhookState {
            inner: Arc::new(Inner {
                sink: inner.sink.clone(),
                token: inner.token.clone(),
                max_body_bytes,
                max_posts,
                dedup: Mutex::new(DedupWindow::new(100_000)),
                telemetry: inner.telemetry.clone(),
            }),
        }
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.inner.telemetry.snapshot()
    }
}

impl IngestConfig {
    /// The `POST /ingest` router of the configured `kind = "webhook"` source, `None` without one. The
    /// gateway mounts it (only the gateway serves HTTP). Reads the webhook's token now.
    pub fn webhook_router(&self, sink: Arc<dyn DynRawSink>) -> Result<Option<Router>, ConfigError> {
        let mut hooks = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                SourceConfig::Webhook(c) => Some((s.name(i), c)),
                _ => None,
            });
        let Some((name, cfg)) = hooks.next() else {
            return Ok(None);
        };
        if let Some((other, _)) = hooks.next() {
            return Err(ConfigError::invalid(
                &other,
                "only one webhook source can be mounted at POST /ingest",
            ));
        }
        Ok(Some(webhook_router(WebhookState::from_config(
            &name, cfg, sink,
        )?)))
    }
}

/// The router with `POST /ingest`. Mount it in the gateway (`Router::merge`) or serve it alone.
pub fn webhook_router(state: WebhookState) -> Router {
    Router::new()
        .route("/ingest", post(ingest))
        .with_state(state)
}

/// A post as tools send it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncomingPost {
    #[serde(default)]
    v: Option<u32>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    id: Option<String>,
    text: String,
    #[serde(default)]
    author: Option<IncomingAuthor>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    edited_at: Option<DateTime<Utc>>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    hashtags: Vec<String>,
    #[serde(default)]
    reply_to: Option<String>,
    #[serde(default)]
    repost_of: Option<String>,
    #[serde(default)]
    media: Vec<Media>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IncomingAuthor {
    Handle(String),
    Full(Author),
}

#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    index: Option<usize>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            index: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.code, "detail": self.detail });
        if let Some(i) = self.index {
            body["index"] = i.into();
        }
        let mut resp = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Compares in time independent of where the first difference is (no timing oracle on the token).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

fn authorize(state: &Inner, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &state.token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), token.expose().as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token is not valid",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer <token>` (the webhook's token_env / token_file)",
        )),
    }
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.as_bytes().iter().chain([0xffu8].iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn to_post(p: IncomingPost) -> Result<Post, String> {
    if p.v.is_some_and(|v| v != SCHEMA_VERSION) {
        return Err(format!(
            "unsupported schema version v={} (this build reads v={SCHEMA_VERSION})",
            p.v.unwrap_or(0)
        ));
    }
    if p.kind.as_deref().is_some_and(|k| k != "post") {
        return Err("only posts are accepted (`kind` must be `post` or absent)".into());
    }
    if p.source.as_deref().is_some_and(|s| s != "webhook") {
        return Err("`source` must be `webhook` or absent (use replay for platform posts)".into());
    }
    let text = p.text.trim().to_owned();
    if text.is_empty() {
        return Err("`text` is empty".into());
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "`text` is {} bytes, over the limit of {MAX_TEXT_BYTES}",
            text.len()
        ));
    }
    let author = match p.author {
        Some(IncomingAuthor::Handle(h)) => Author {
            id: None,
            handle: h,
            name: None,
        },
        Some(IncomingAuthor::Full(a)) => a,
        None => Author {
            id: None,
            handle: "anonymous".into(),
            name: None,
        },
    };
    let id = match p.id.map(|i| i.trim().to_owned()) {
        Some(id) => {
            let native = id.strip_prefix("webhook:").unwrap_or(&id).to_owned();
            if native.is_empty() || native.len() > 256 || native.chars().any(char::is_control) {
                return Err("`id` must be 1 to 256 characters without control characters".into());
            }
            PostId::new(Platform::Webhook, &native)
        }
        None => {
            let at = p.created_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            PostId::new(
                Platform::Webhook,
                &format!("{:016x}", fnv1a(&[&author.handle, &at, &text])),
            )
        }
    };
    let hashtags = merge_hashtags(
        merge_hashtags(Vec::new(), p.hashtags),
        extract_hashtags(&text),
    );
    Ok(Post {
        v: SCHEMA_VERSION,
        id,
        source: Platform::Webhook,
        url: p.url,
        author,
        text,
        lang: p.lang.filter(|l| !l.is_empty()),
        hashtags,
        created_at: p.created_at.unwrap_or_else(Utc::now),
        edited_at: p.edited_at,
        repost_of: p.repost_of,
        reply_to: p.reply_to,
        media: p.media,
    })
}

async fn ingest(State(state): State<WebhookState>, headers: HeaderMap, body: Body) -> Response {
    match handle(&state.inner, &headers, body).await {
        Ok(resp) => resp,
        Err(e) => {
            if e.status != StatusCode::UNAUTHORIZED {
                state.inner.telemetry.error(
                    if e.status == StatusCode::SERVICE_UNAVAILABLE {
                        ErrorKind::Sink
                    } else {
                        ErrorKind::Malformed
                    },
                    &format_args!("{} {}: {}", e.status.as_u16(), e.code, e.detail),
                );
            } else {
                state
                    .inner
                    .telemetry
                    .error(ErrorKind::Protocol, &"401 unauthorized request");
            }
            e.into_response()
        }
    }
}

async fn handle(state: &Inner, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    authorize(state, headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send `Content-Type: application/json` (got `{content_type}`)"),
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is over the limit of {} bytes; send fewer posts per request",
                state.max_body_bytes
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, state.max_body_bytes)
        .await
        .map_err(|_| too_large())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_post",
                "expected a post object or an array of posts",
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_post",
            "the array of posts is empty",
        ));
    }
    if items.len() > state.max_posts {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_posts",
            format!(
                "{} posts in one request, over the limit of {}",
                items.len(),
                state.max_posts
            ),
        ));
    }
    let mut posts = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let post = IncomingPost::deserialize(item)
            .map_err(|e| e.to_string())
            .and_then(to_post)
            .map_err(|detail| ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_post",
                detail: format!("post {i}: {detail}"),
                index: Some(i),
            })?;
        posts.push(post);
    }
    state.telemetry.received(posts.len() as u64);
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let mut fresh = Vec::new();
    let mut keys = Vec::new();
    {
        let mut dedup = state.dedup.lock().unwrap_or_else(|e| e.into_inner());
        for post in posts {
            let event = RawEvent::Post(post);
            let key = event_key(&event);
            if dedup.insert(key.clone()) {
                keys.push(key);
                fresh.push(event);
            }
        }
    }
    let duplicates = ids.len() - fresh.len();
    state.telemetry.duplicates(duplicates as u64);
    let accepted = fresh.len();
    if !fresh.is_empty()
        && let Err(e) = state.sink.send_batch_boxed(fresh).await
    {
        let mut dedup = state.dedup.lock().unwrap_or_else(|e| e.into_inner());
        for key in &keys {
            dedup.remove(key);
        }
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sink_unavailable",
            format!("the posts were not stored ({e}); retry later"),
        ));
    }
    state.telemetry.sent(accepted as u64, 0);
    let body = serde_json::json!({ "accepted": accepted, "duplicates": duplicates, "ids": ids });
    Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_and_constant_time_eq() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
