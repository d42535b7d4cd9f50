//! Bluesky: the fake Jetstream of `triage_ingest::testing::bluesky` (WebSocket by hand over TCP, so that a
//! connection can be cut in the middle of a frame), replaying `fixtures/bluesky/` captures from the requested
//! `cursor`.

use std::sync::Arc;

use triage_ingest::testing::bluesky::{Jetstream, delete_of, derived_post, jetstream, time_of};
use triage_ingest::{BlueskyConfig, MemoryCursorStore, MemorySink, SourceConfig};
use url::Url;

use crate::common::{config, fixture, keyed, start_with, unique};

fn source(url: Url) -> BlueskyConfig {
    let mut c = BlueskyConfig::new(url);
    c.name = Some("bsky".into());
    c.tags = vec![
        "IndieRebellion".into(),
        "balanwonderworldoc".into(),
        "PorteOuverte".into(),
    ];
    c.backoff_base_ms = 20;
    c.backoff_max_ms = 200;
    c.idle_timeout_ms = 5_000;
    c.cursor_interval_ms = 0;
    c
}

#[tokio::test]
async fn capture_with_facets_malformed_lines_and_a_cut_mid_frame() {
    let js = Arc::new(Jetstream::default());
    let capture = fixture("bluesky/jetstream_v1_production_capture.jsonl");
    let mut log: Vec<(i64, String)> = capture
        .lines()
        .map(|l| (time_of(l), l.to_owned()))
        .collect();
    let base = log.iter().map(|(t, _)| *t).max().unwrap();
    let mut want = vec![
        "post:bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3mptbypfywk2v"
            .to_owned(),
        "post:bluesky:at://did:plc:ynfp6wddjqpl44gordpsqkuw/app.bsky.feed.post/3mptbyo7tas2u"
            .to_owned(),
    ];
    // Crisis posts with accents and case variants of the group's tags.
    for (i, tag) in ["OffeneTüren", "offenetUren", "PORTESOUVERTES", "OpenDoor"]
        .iter()
        .enumerate()
    {
        let (line, id) = derived_post(i, base + 1_000 * (i as i64 + 1), tag);
        log.push((base + 1_000 * (i as i64 + 1), line));
        want.push(id);
    }
    // Malformed input after the cut: not JSON, and JSON of the wrong shape. Skipped and counted.
    log.push((
        base + 10_000,
        r#"{"did":"did:plc:broken","time_us":178317588"#.to_owned(),
    ));
    log.push((
        base + 11_000,
        r#"{"did":"did:plc:x","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r","record":{"text":42}}}"#.to_owned(),
    ));
    let (line, id) = derived_post(9, base + 12_000, "PorteOuverte");
    log.push((base + 12_000, line));
    want.push(id);
    // The author deletes message 0: a tombstone (a delete of a post never seen, in the capture, is not sent).
    log.push((base + 13_000, delete_of("3crisis00000", base + 13_000)));
    want.push(
        "tombstone:bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3crisis00000"
            .into(),
    );
    let total = log.len();
    *js.log.lock().unwrap() = log;
    // The first connection is cut in the middle of the 154th frame (the 2nd derived post).
    *js.cuts.lock().unwrap() = vec![Some(153)];
    let url = jetstream(js.clone()).await;

    let run = start_with(
        config(vec![SourceConfig::Bluesky(source(url))]),
        Arc::new(MemorySink::new()),
        Arc::new(MemoryCursorStore::new()),
    );
    run.wait_for(want.len()).await;
    let events = run.sink.events();
    let report = run.stop().await;

    let got = unique(&events);
    assert_eq!(
        got,
        want.iter().cloned().collect(),
        "nothing lost, nothing doubled"
    );
    let stats = report.sources[0].stats;
    assert_eq!(stats.malformed, 2, "{stats:?}");
    assert!(stats.reconnects >= 1);
    assert!(
        stats.duplicates >= 3,
        "the rewind re-sent what was already produced: {stats:?}"
    );
    let requests = js.requests.lock().unwrap().clone();
    assert!(
        requests[0].ends_with("wantedCollections=app.bsky.feed.post"),
        "{requests:?}"
    );
    assert!(
        requests[1].contains("&cursor="),
        "reconnect resumes from the cursor: {requests:?}"
    );
    assert!(total > 152);

    // Facet tags keep their case; langs give the language.
    let first = events.iter().find_map(|e| match e {
        triage_model::RawEvent::Post(p) if p.id.ends_with("3mptbypfywk2v") => Some(p.clone()),
        _ => None,
    });
    let first = first.expect("the facet post");
    assert_eq!(first.hashtags, ["HowToTellAiToShutUp", "IndieRebellion"]);
    assert_eq!(first.lang.as_deref(), Some("de"));
    assert_eq!(
        first.url.as_deref(),
        Some("https://bsky.app/profile/did:plc:tn3hni2jpphsgl6amfbb7ja6/post/3mptbypfywk2v")
    );
}

#[tokio::test]
async fn restart_resumes_from_the_cursor_with_nothing_lost_or_doubled() {
    let js = Arc::new(Jetstream::default());
    let base = 1_783_175_900_000_000i64;
    let posts: Vec<(i64, String, String)> = (0..20)
        .map(|i| {
            let t = base + i as i64 * 100_000;
            let (line, id) = derived_post(
                i,
                t,
                if i % 2 == 0 {
                    "PorteOuverte"
                } else {
                    "OffeneTüren"
                },
            );
            (t, line, id)
        })
        .collect();
    js.log
        .lock()
        .unwrap()
        .extend(posts[..12].iter().map(|(t, l, _)| (*t, l.clone())));
    let url = jetstream(js.clone()).await;
    let sink = Arc::new(MemorySink::new());
    let cursors = Arc::new(MemoryCursorStore::new());

    let run = start_with(
        config(vec![SourceConfig::Bluesky(source(url.clone()))]),
        sink.clone(),
        cursors.clone(),
    );
    run.wait_for(12).await;
    run.stop().await;
    let saved: serde_json::Value =
        serde_json::from_str(&cursors.get("bsky").expect("cursor saved")).unwrap();
    assert_eq!(saved["time_us"].as_i64(), Some(posts[11].0));

    // While the worker is down, 8 more posts; then a new worker with the same cursor store.
    js.log
        .lock()
        .unwrap()
        .extend(posts[12..].iter().map(|(t, l, _)| (*t, l.clone())));
    let run = start_with(
        config(vec![SourceConfig::Bluesky(source(url))]),
        sink.clone(),
        cursors.clone(),
    );
    run.wait_for(20).await;
    // Let the rewound events that the new worker drops go by.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let report = run.stop().await;

    let events = sink.events();
    assert_eq!(
        keyed(&events),
        posts
            .iter()
            .map(|(_, _, id)| id.clone())
            .collect::<Vec<_>>()
    );
    let requests = js.requests.lock().unwrap().clone();
    let resumed = format!("cursor={}", posts[11].0 - 5_000_000);
    assert!(
        requests[1].ends_with(&resumed),
        "resumes 5 s before the highest time_us: {requests:?}"
    );
    // The 12 rewound posts came again and were dropped thanks to the ids kept in the cursor.
    assert_eq!(report.sources[0].stats.duplicates, 12);
}

/// The stream goes quiet after a batch (the socket stays open): the cursor must still be saved within
/// `cursor_interval_ms`, not at the next message or at shutdown, so that a crash during the silence does not
/// re-send the batch.
#[tokio::test]
async fn cursor_is_saved_while_the_stream_is_quiet() {
    use std::time::Duration;

    let js = Arc::new(Jetstream::default());
    let base = 1_783_175_900_000_000i64;
    let posts: Vec<(i64, String, String)> = (0..4)
        .map(|i| {
            let t = base + i as i64 * 100_000;
            let (line, id) = derived_post(i, t, "PorteOuverte");
            (t, line, id)
        })
        .collect();
    let last = posts[3].0;
    js.log
        .lock()
        .unwrap()
        .extend(posts.iter().map(|(t, l, _)| (*t, l.clone())));
    let url = jetstream(js.clone()).await;
    let mut cfg = source(url.clone());
    // The batch arrives well within the first interval after start, so the message path does not save it;
    // only the timer can. The idle timeout (a reconnect, which also saves) is far beyond the wait below.
    cfg.cursor_interval_ms = 1_000;
    cfg.idle_timeout_ms = 120_000;
    let sink = Arc::new(MemorySink::new());
    // The first two sends fail: the acknowledgement comes late, and the cursor must wait for it.
    sink.fail_next(2);
    let cursors = Arc::new(MemoryCursorStore::new());
    let run = start_with(
        config(vec![SourceConfig::Bluesky(cfg.clone())]),
        sink.clone(),
        cursors.clone(),
    );

    // No further message is sent; the fake keeps the socket open and silent.
    let saved = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            if let Some(raw) = cursors.get("bsky") {
                let v: serde_json::Value = serde_json::from_str(&raw).expect("cursor is JSON");
                let time_us = v["time_us"].as_i64().expect("cursor time_us");
                // Never ahead of what the sink acknowledged.
                let acked = keyed(&sink.events());
                for (t, _, id) in &posts {
                    assert!(
                        *t > time_us || acked.contains(id),
                        "cursor {time_us} covers {id}, not acknowledged yet: {acked:?}"
                    );
                }
                if time_us == last {
                    return raw;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the cursor covers the last post without any further message");
    assert_eq!(js.requests.lock().unwrap().len(), 1, "no reconnect");
    assert_eq!(
        keyed(&sink.events()),
        posts
            .iter()
            .map(|(_, _, id)| id.clone())
            .collect::<Vec<_>>()
    );

    // A crash now: a new worker starts from the cursor as it is in the store at this moment (the first one is
    // then stopped; its shutdown save must not help the second).
    let crashed = Arc::new(MemoryCursorStore::new());
    {
        use triage_ingest::CursorStore;
        crashed.save("bsky", &saved).await.unwrap();
    }
    run.stop().await;
    // One new post after the silence, so we know when the rewound ones have gone by (Jetstream keeps order).
    let (line, fresh) = derived_post(4, last + 100_000, "PorteOuverte");
    js.log.lock().unwrap().push((last + 100_000, line));
    let sink2 = Arc::new(MemorySink::new());
    let run = start_with(
        config(vec![SourceConfig::Bluesky(cfg)]),
        sink2.clone(),
        crashed,
    );
    run.wait_for(1).await;
    let report = run.stop().await;
    assert_eq!(
        keyed(&sink2.events()),
        vec![fresh],
        "the batch before the silence is not produced again"
    );
    assert_eq!(report.sources[0].stats.duplicates, 4);
    let requests = js.requests.lock().unwrap().clone();
    assert!(
        requests[1].ends_with(&format!("cursor={}", last - 5_000_000)),
        "{requests:?}"
    );
}
