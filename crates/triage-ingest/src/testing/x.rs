//! A fake X API v2: the filtered-stream rules endpoint (`GET`/`POST /2/tweets/search/stream/rules`) and the
//! filtered stream (`GET /2/tweets/search/stream`) answering from a script per connection (429, 5xx, NDJSON
//! with `\r\n` keep-alives, silence, operational-disconnect), bearer token [`BEARER`], built from
//! `fixtures/x/`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use url::Url;

use super::{Step, fixture, json_fixture, scripted_body, scripted_status, serve};

/// The bearer token the fake API accepts.
pub const BEARER: &str = "AAAA-bearer";

/// The fake's state; tests script it before (or while) the source runs.
#[derive(Default)]
pub struct Api {
    /// The current stream rules (`{"id", "value", "tag"?}`).
    pub rules: Mutex<Vec<serde_json::Value>>,
    pub next_rule_id: Mutex<u64>,
    /// Bodies of every `POST .../rules`.
    pub rule_posts: Mutex<Vec<serde_json::Value>>,
    /// Refuse every added rule as invalid.
    pub refuse_adds: bool,
    /// Scripted stream connections; when none is left, a healthy idle stream (`\r\n` every 100 ms).
    pub streams: Mutex<VecDeque<Vec<Step>>>,
    /// When each stream connection came, with its query string.
    pub connections: Mutex<Vec<(Instant, String)>>,
}

fn authorized(h: &HeaderMap) -> bool {
    let expected = format!("Bearer {BEARER}");
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

async fn get_rules(State(api): State<Arc<Api>>, h: HeaderMap) -> Response {
    if !authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let rules = api.rules.lock().unwrap().clone();
    let body = if rules.is_empty() {
        serde_json::json!({"meta": {"sent": "2024-01-15T10:30:00.000Z", "result_count": 0}})
    } else {
        serde_json::json!({"data": rules, "meta": {"sent": "2024-01-15T10:30:00.000Z", "result_count": rules.len()}})
    };
    axum::Json(body).into_response()
}

async fn post_rules(
    State(api): State<Arc<Api>>,
    h: HeaderMap,
    body: axum::Json<serde_json::Value>,
) -> Response {
    if !authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let body = body.0;
    api.rule_posts.lock().unwrap().push(body.clone());
    if let Some(ids) = body["delete"]["ids"].as_array() {
        api.rules
            .lock()
            .unwrap()
            .retain(|r| !ids.contains(&r["id"]));
        return axum::Json(
            serde_json::json!({"meta": {"sent": "2024-01-15T10:30:00.000Z",
            "summary": {"deleted": ids.len(), "not_deleted": 0}}}),
        )
        .into_response();
    }
    let adds = body["add"].as_array().cloned().unwrap_or_default();
    if api.refuse_adds {
        let value = adds.first().map(|a| a["value"].clone()).unwrap_or_default();
        return axum::Json(serde_json::json!({
            "meta": {"sent": "2024-01-15T10:30:00.000Z", "summary": {"created": 0, "not_created": 1, "valid": 0, "invalid": 1}},
            "errors": [{"value": value, "details": ["Reference to invalid operator 'has:rainbows'"],
                        "title": "Invalid Rule", "type": "https://api.x.com/2/problems/invalid-rules"}]
        }))
        .into_response();
    }
    let mut data = Vec::new();
    for add in adds {
        let mut id = api.next_rule_id.lock().unwrap();
        *id += 1;
        let mut rule = add.clone();
        rule["id"] = id.to_string().into();
        data.push(rule.clone());
        api.rules.lock().unwrap().push(rule);
    }
    axum::Json(
        serde_json::json!({"data": data, "meta": {"sent": "2024-01-15T10:30:00.000Z",
        "summary": {"created": data.len(), "not_created": 0, "valid": data.len(), "invalid": 0}}}),
    )
    .into_response()
}

async fn stream(State(api): State<Arc<Api>>, h: HeaderMap, uri: axum::http::Uri) -> Response {
    if !authorized(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    api.connections
        .lock()
        .unwrap()
        .push((Instant::now(), uri.query().unwrap_or("").to_owned()));
    let steps = api
        .streams
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| vec![Step::Every("\r\n".into(), 100)]);
    if let Some(code) = scripted_status(&steps) {
        let body = if code == 429 {
            // The real TooManyConnections body (stream_errors_docs.json).
            json_fixture("x/stream_errors_docs.json")
                ["429_too_many_connections (real, quoted in xdevplatform/samples#140; older host api.twitter.com)"]
                .to_string()
        } else {
            r#"{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}"#.into()
        };
        return (
            StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            [("content-type", "application/problem+json")],
            body,
        )
            .into_response();
    }
    ([("content-type", "application/json")], scripted_body(steps)).into_response()
}

/// Starts a fake X API on a free local port; returns its base URL (`http://127.0.0.1:<port>`).
pub async fn api(api: Arc<Api>) -> Url {
    let router = Router::new()
        .route(
            "/2/tweets/search/stream/rules",
            get(get_rules).post(post_rules),
        )
        .route("/2/tweets/search/stream", get(stream))
        .with_state(api);
    Url::parse(&format!("http://{}", serve(router).await)).expect("a local URL parses")
}

/// The documented wire sample of the filtered stream (two messages and keep-alives, `\r\n`-delimited).
pub fn wire_sample() -> String {
    fixture("x/filtered_stream_wire_ASSEMBLED.ndjson")
}

/// A crisis tweet derived from the documented Extended Tweet message: new id, text and hashtag entity. One
/// NDJSON line without its `\r\n`; it normalizes to `post:x:<id>`.
pub fn derived(id: u64, tag: &str) -> String {
    let wire = wire_sample();
    let first = wire.split("\r\n").next().unwrap_or_default();
    let mut v: serde_json::Value =
        serde_json::from_str(first).expect("the first wire message is JSON");
    let text = format!("Hébergement possible 3 personnes Paris 11e #{tag} DM ouverts");
    let start = text.find('#').unwrap_or(0);
    v["data"]["id"] = id.to_string().into();
    v["data"]["conversation_id"] = id.to_string().into();
    v["data"]["lang"] = "fr".into();
    v["data"]["text"] = text.clone().into();
    v["data"]["entities"] =
        serde_json::json!({"hashtags": [{"start": start, "end": text.len(), "tag": tag}]});
    v.to_string()
}
