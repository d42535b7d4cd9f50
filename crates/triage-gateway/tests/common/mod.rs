//! Shared helpers for the gateway's tests: record builders, in-process HTTP calls, an SSE reader.
#![allow(dead_code)] // each test file uses a different subset

use std::{collections::BTreeMap, time::Duration};

use axum::{
    Router,
    body::{Body, Bytes},
    http::{HeaderMap, Request, StatusCode},
};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use triage_gateway::{Gateway, GatewayConfig};
use triage_model::{
    Author, Class, ClassEvent, ClassifiedRecord, Contact, ContactChannel, Extraction,
    MissingPerson, MissingStatus, Place, Source, Span, Spanned, Tombstone,
};

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

/// A record of `class` with id `sample:<n>`, French, confidence 0.9, posted now.
pub fn record(n: &str, class: Class, text: &str) -> ClassifiedRecord {
    let mut scores = BTreeMap::new();
    for c in Class::ALL {
        scores.insert(c, if c == class { 0.9 } else { 0.02 });
    }
    ClassifiedRecord {
        v: 1,
        id: format!("sample:{n}"),
        source: Source::Sample,
        url: Some(format!("https://example.org/post/{n}")),
        author: Author {
            id: None,
            handle: format!("user{n}"),
            name: None,
        },
        text: text.to_owned(),
        lang: "fr".into(),
        declared_lang: None,
        hashtags: vec![],
        created_at: Utc::now(),
        edited_at: None,
        repost_of: None,
        reply_to: None,
        media: vec![],
        class,
        confidence: 0.9,
        scores,
        reasons: vec![format!("lexicon:{class}:test")],
        needs_review: false,
        cluster: format!("sample:{n}"),
        repost_count: 1,
        extracted: Extraction::default(),
        model: "test-model".into(),
        classified_at: Utc::now(),
    }
}

pub fn place(name: &str, lat: f64, lon: f64, precision_m: u32) -> Place {
    Place {
        name: name.into(),
        kind: "arrondissement".into(),
        lat,
        lon,
        precision_m,
        matched: name.into(),
        span: Span { start: 0, end: 0 },
    }
}

/// The contacts of `text` found by simple search (as the extractor would report them).
pub fn contact(text: &str, value: &str, channel: ContactChannel) -> Contact {
    let start = text.find(value).expect("contact value in text");
    Contact {
        channel,
        value: value.into(),
        personal: true,
        span: Span {
            start,
            end: start + value.len(),
        },
    }
}

pub fn spanned<T>(value: T) -> Spanned<T> {
    Spanned {
        value,
        span: Span { start: 0, end: 0 },
    }
}

pub fn missing(status: MissingStatus, names: &[&str]) -> MissingPerson {
    MissingPerson {
        status,
        names: names.iter().map(|n| spanned((*n).to_owned())).collect(),
        age: None,
        last_seen_place: None,
        last_seen_time: None,
        photo_url: None,
    }
}

pub fn tombstone(n: &str) -> ClassEvent {
    ClassEvent::Tombstone(Tombstone {
        v: 1,
        id: format!("sample:{n}"),
        source: Source::Sample,
        deleted_at: Utc::now(),
    })
}

/// Applies records with increasing offsets on partition 0 of their class's topic.
pub fn apply_all(gw: &Gateway, records: impl IntoIterator<Item = ClassifiedRecord>) {
    for (i, r) in records.into_iter().enumerate() {
        let class = r.class;
        gw.apply(ClassEvent::Record(r), class, 0, i as i64);
    }
}

pub fn gateway() -> Gateway {
    Gateway::new(GatewayConfig {
        tiles: String::new(),
        ..GatewayConfig::default()
    })
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("utf-8 body")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn call(router: &Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(router: &Router, uri: &str) -> Reply {
    call(router, "GET", uri, &[]).await
}

/// One parsed Server-Sent Event.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }
    pub fn id_num(&self) -> u64 {
        self.id
            .as_deref()
            .expect("event id")
            .parse()
            .expect("numeric id")
    }
}

/// An open SSE response, read incrementally.
pub struct SseStream {
    body: Body,
    buf: String,
}

impl SseStream {
    pub async fn open(router: &Router, uri: &str, headers: &[(&str, &str)]) -> SseStream {
        let mut req = Request::builder().uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = router
            .clone()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "feed {uri} answered {}",
            resp.status()
        );
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(ct.starts_with("text/event-stream"), "content-type {ct}");
        SseStream {
            body: resp.into_body(),
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or None if none comes within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                let mut ev = SseEvent {
                    id: None,
                    event: None,
                    data: String::new(),
                };
                let mut any = false;
                for line in block.lines() {
                    if line.starts_with(':') || line.is_empty() {
                        continue;
                    }
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    any = true;
                    match field {
                        "id" => ev.id = Some(value.to_owned()),
                        "event" => ev.event = Some(value.to_owned()),
                        "data" => {
                            if !ev.data.is_empty() {
                                ev.data.push('\n');
                            }
                            ev.data.push_str(value);
                        }
                        _ => {}
                    }
                }
                if any {
                    return Some(ev);
                }
                continue;
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??
                .ok()?;
            if let Ok(data) = frame.into_data() {
                self.buf
                    .push_str(std::str::from_utf8(&data).expect("utf-8 SSE"));
            }
        }
    }

    /// All events arriving within `wait` of each other.
    pub async fn drain(&mut self, wait: Duration) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.next(wait).await {
            out.push(e);
        }
        out
    }
}

/// Ids of the `record` events.
pub fn record_ids(events: &[SseEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event.as_deref() == Some("record"))
        .map(|e| e.json()["id"].as_str().expect("id").to_owned())
        .collect()
}

pub const SHORT: Duration = Duration::from_millis(300);
