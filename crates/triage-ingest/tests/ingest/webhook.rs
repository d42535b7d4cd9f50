//! `POST /ingest`: auth, size limits, clear JSON errors, duplicates, sink failures.

use std::sync::Arc;

use triage_ingest::{MemorySink, Secret, WebhookState, webhook_router};
use triage_model::{RawEvent, Source};

use crate::common::serve;

async fn server(max_body: usize) -> (String, Arc<MemorySink>) {
    let sink = Arc::new(MemorySink::new());
    let state =
        WebhookState::new(sink.clone(), Some(Secret::new("hook-token"))).with_limits(max_body, 3);
    let addr = serve(webhook_router(state)).await;
    (format!("http://{addr}/ingest"), sink)
}

async fn post(
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let json = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, json)
}

const JSON: &str = "application/json";

#[tokio::test]
async fn accepts_one_post_or_an_array_and_drops_duplicates() {
    let (url, sink) = server(64 * 1024).await;
    let one = r#"{"id": "sms-1", "text": "Besoin d'un abri rue Oberkampf #RechercheParis", "author": "+33600000000",
                  "created_at": "2015-11-13T23:05:00Z", "lang": "fr"}"#;
    let (status, body) = post(&url, Some("hook-token"), JSON, one).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"accepted": 1, "duplicates": 0, "ids": ["webhook:sms-1"]})
    );

    let many = r#"[{"id": "sms-1", "text": "Besoin d'un abri rue Oberkampf #RechercheParis", "author": "+33600000000",
                    "created_at": "2015-11-13T23:05:00Z", "lang": "fr"},
                   {"text": "Je peux héberger 2 personnes, Paris 20e", "author": {"handle": "sms:+33611111111"}}]"#;
    let (status, body) = post(
        &url,
        Some("hook-token"),
        "application/json; charset=utf-8",
        many,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["duplicates"], 1);
    let hashed = body["ids"][1].as_str().unwrap().to_owned();
    assert!(
        hashed.starts_with("webhook:") && hashed.len() == "webhook:".len() + 16,
        "{hashed}"
    );

    // The same anonymous message again: the same stable id, a duplicate.
    let (_, again) = post(&url, Some("hook-token"), JSON, r#"{"text": "Je peux héberger 2 personnes, Paris 20e", "author": {"handle": "sms:+33611111111"}}"#).await;
    assert_eq!(again["ids"][0], hashed.as_str());
    assert_eq!(again["duplicates"], 1);

    let events = sink.events();
    assert_eq!(events.len(), 2);
    let RawEvent::Post(p) = &events[0] else {
        panic!()
    };
    assert_eq!(p.source, Source::Webhook);
    assert_eq!(p.hashtags, ["RechercheParis"]);
    assert_eq!(p.author.handle, "+33600000000");
}

#[tokio::test]
async fn rejects_bad_requests_with_clear_json_errors() {
    let (url, sink) = server(1024).await;
    let ok = r#"{"text": "abri"}"#;

    let (s, b) = post(&url, None, JSON, ok).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("unauthorized")));
    let (s, _) = post(&url, Some("wrong"), JSON, ok).await;
    assert_eq!(s, 401);

    let (s, b) = post(&url, Some("hook-token"), "text/plain", ok).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    let big = format!(r#"{{"text": "{}"}}"#, "a".repeat(2000));
    let (s, b) = post(&url, Some("hook-token"), JSON, big.clone()).await;
    assert_eq!((s, b["error"].as_str()), (413, Some("payload_too_large")));
    // Without a Content-Length (chunked), the limit holds too.
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let (s, _) = post(
        &url,
        Some("hook-token"),
        JSON,
        reqwest::Body::wrap_stream(stream),
    )
    .await;
    assert_eq!(s, 413);

    let (s, b) = post(&url, Some("hook-token"), JSON, r#"{"text": "abri""#).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_json")));
    assert!(b["detail"].as_str().unwrap().contains("not JSON"), "{b}");

    let (s, b) = post(
        &url,
        Some("hook-token"),
        JSON,
        r#"[{"text": "ok"}, {"txt": "typo"}]"#,
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str(), b["index"].as_u64()),
        (422, Some("invalid_post"), Some(1))
    );
    assert!(b["detail"].as_str().unwrap().contains("txt"), "{b}");

    let (s, b) = post(&url, Some("hook-token"), JSON, r#"{"text": "   "}"#).await;
    assert_eq!((s, b["index"].as_u64()), (422, Some(0)));
    let (s, _) = post(
        &url,
        Some("hook-token"),
        JSON,
        r#"{"text": "x", "source": "x"}"#,
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = post(&url, Some("hook-token"), JSON, "[]").await;
    assert_eq!(s, 422);
    let (s, b) = post(
        &url,
        Some("hook-token"),
        JSON,
        r#"[{"text":"a"},{"text":"b"},{"text":"c"},{"text":"d"}]"#,
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (413, Some("too_many_posts")));

    assert!(sink.is_empty(), "nothing bad reached the sink");
}

#[tokio::test]
async fn a_sink_failure_is_a_503_and_the_retry_is_not_a_duplicate() {
    let (url, sink) = server(64 * 1024).await;
    sink.fail_next(1);
    let body = r#"{"id": "7", "text": "abri 4 places"}"#;
    let (s, b) = post(&url, Some("hook-token"), JSON, body).await;
    assert_eq!((s, b["error"].as_str()), (503, Some("sink_unavailable")));
    let (s, b) = post(&url, Some("hook-token"), JSON, body).await;
    assert_eq!((s, b["accepted"].as_u64()), (202, Some(1)));
    assert_eq!(sink.ids(), ["webhook:7"]);
}
