//! A fake Mastodon instance: the tag timeline (`GET /api/v1/timelines/tag/:tag`, `min_id`/`max_id` paging,
//! `Link` headers, `X-RateLimit-*` headers, scripted 429 and 5xx) and the hashtag stream
//! (`GET /api/v1/streaming/hashtag?tag=`, SSE with `:)`, `:thump`, `update` / `delete` / `status.update`,
//! bearer token [`STREAM_TOKEN`]), built from `fixtures/mastodon/`.
//!
//! Every tag timeline serves every status of [`Instance::statuses`] (a status carrying several of a group's
//! tags is on each of their timelines; the source filters and deduplicates).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use url::Url;

use super::{Step, json_fixture, scripted_body, scripted_status, serve};

/// The bearer token the fake streaming API accepts.
pub const STREAM_TOKEN: &str = "s3cret-token";

/// A status derived from the real hashtag-stream sample: only `id`, `uri`, `url` and `created_at` change.
pub fn status(id: u64) -> serde_json::Value {
    let mut s = json_fixture("mastodon/status_hashtag_stream_update.json");
    s["id"] = id.to_string().into();
    s["uri"] = format!("https://mastodon.social/users/trwnh/statuses/{id}").into();
    s["url"] = format!("https://mastodon.social/@trwnh/{id}").into();
    s["created_at"] = format!("2022-08-30T23:{:02}:{:02}.000Z", (id / 60) % 60, id % 60).into();
    s
}

/// [`status`] turned into a crisis post: `text` followed by `#tag`, as Mastodon renders it (HTML content with
/// a hashtag link, and the tag entity).
pub fn crisis_status(id: u64, tag: &str, text: &str) -> serde_json::Value {
    let mut s = status(id);
    let text = html_escape::encode_text(text);
    s["content"] = format!(
        "<p>{text} <a href=\"https://mastodon.social/tags/{lower}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a></p>",
        lower = tag.to_lowercase()
    )
    .into();
    s["tags"] = serde_json::json!([{"name": tag.to_lowercase(), "url": format!("https://mastodon.social/tags/{}", tag.to_lowercase())}]);
    s["language"] = "fr".into();
    s
}

/// `kind:id` of the post [`status`]`(id)` normalizes to (`post:mastodon:<uri>`).
pub fn uri(id: u64) -> String {
    format!("post:mastodon:https://mastodon.social/users/trwnh/statuses/{id}")
}

/// An SSE `update` event carrying `status`.
pub fn update_event(status: &serde_json::Value) -> String {
    format!("event: update\ndata: {status}\n\n")
}

/// An SSE `delete` event: Mastodon sends only the instance-local id.
pub fn delete_event(local_id: u64) -> String {
    format!("event: delete\ndata: {local_id}\n\n")
}

/// What the next timeline request answers instead of a page.
pub enum Reply {
    Status(u16),
    /// A 429 with `X-RateLimit-Reset` one second ahead (rack_attack's throttled responder).
    RateLimited,
}

/// The instance's state; tests change it while the source runs.
#[derive(Default)]
pub struct Instance {
    /// The tag timeline, any order (served sorted by id).
    pub statuses: Mutex<Vec<serde_json::Value>>,
    /// What the next timeline requests answer instead of a page.
    pub replies: Mutex<VecDeque<Reply>>,
    /// Query strings of timeline requests, with when they came.
    pub requests: Mutex<Vec<(Instant, String)>>,
    /// Scripted streaming connections per tag (as sent in `?tag=`); when none is left, a healthy idle
    /// stream (`:)`, then `:thump` every 100 ms).
    pub streams: Mutex<HashMap<String, VecDeque<Vec<Step>>>>,
    /// The `tag` of every streaming connection.
    pub stream_connections: Mutex<Vec<String>>,
}

/// The numeric `id` of a status.
pub fn id_of(s: &serde_json::Value) -> u64 {
    s["id"].as_str().and_then(|i| i.parse().ok()).unwrap_or(0)
}

async fn timeline(
    State(inst): State<Arc<Instance>>,
    Path(tag): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let query = {
        let mut pairs: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        pairs.join("&")
    };
    inst.requests.lock().unwrap().push((Instant::now(), query));
    let reset = (Utc::now() + chrono::Duration::milliseconds(1000))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let reply = inst.replies.lock().unwrap().pop_front();
    match reply {
        Some(Reply::RateLimited) => {
            // rack_attack.rb's throttled responder.
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("content-type", "application/json"),
                    ("x-ratelimit-limit", "300"),
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", reset.as_str()),
                ],
                r#"{"error":"Too many requests"}"#,
            )
                .into_response();
        }
        Some(Reply::Status(code)) => {
            return (
                StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
                "<html>Bad gateway</html>",
            )
                .into_response();
        }
        None => {}
    }
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(40);
    let mut all = inst.statuses.lock().unwrap().clone();
    all.sort_by_key(id_of);
    // tag_controller.rb / paginate_by_min_id: min_id gives the statuses right after it, newest first.
    let page: Vec<serde_json::Value> =
        if let Some(min) = q.get("min_id").and_then(|m| m.parse::<u64>().ok()) {
            let mut p: Vec<_> = all
                .into_iter()
                .filter(|s| id_of(s) > min)
                .take(limit)
                .collect();
            p.reverse();
            p
        } else if let Some(max) = q.get("max_id").and_then(|m| m.parse::<u64>().ok()) {
            all.into_iter()
                .rev()
                .filter(|s| id_of(s) < max)
                .take(limit)
                .collect()
        } else {
            all.into_iter().rev().take(limit).collect()
        };
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let mut resp = axum::Json(&page).into_response();
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", "300".parse().unwrap());
    h.insert("x-ratelimit-remaining", "299".parse().unwrap());
    h.insert("x-ratelimit-reset", reset.parse().unwrap());
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        let base = format!("http://{host}/api/v1/timelines/tag/{tag}?limit={limit}");
        let link = format!(
            "<{base}&max_id={}>; rel=\"next\", <{base}&min_id={}>; rel=\"prev\"",
            id_of(last),
            id_of(first)
        );
        if let Ok(v) = link.parse() {
            h.insert("link", v);
        }
    }
    resp
}

async fn streaming(
    State(inst): State<Arc<Instance>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let expected = format!("Bearer {STREAM_TOKEN}");
    if headers.get("authorization").and_then(|a| a.to_str().ok()) != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "Error while authorizing"})),
        )
            .into_response();
    }
    let tag = q.get("tag").cloned().unwrap_or_default();
    inst.stream_connections.lock().unwrap().push(tag.clone());
    let script = inst
        .streams
        .lock()
        .unwrap()
        .get_mut(&tag)
        .and_then(|s| s.pop_front());
    let steps = script.unwrap_or_else(|| {
        vec![
            Step::Send(":)\n".into()),
            Step::Every(":thump\n".into(), 100),
        ]
    });
    if let Some(code) = scripted_status(&steps) {
        return StatusCode::from_u16(code)
            .unwrap_or(StatusCode::BAD_GATEWAY)
            .into_response();
    }
    (
        [("content-type", "text/event-stream")],
        scripted_body(steps),
    )
        .into_response()
}

/// Starts a fake instance on a free local port; returns its base URL (`http://127.0.0.1:<port>`).
pub async fn instance(inst: Arc<Instance>) -> Url {
    let router = Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(timeline))
        .route("/api/v1/streaming/hashtag", get(streaming))
        .with_state(inst);
    let addr = serve(router).await;
    Url::parse(&format!("http://{addr}")).expect("a local URL parses")
}
