//! Mastodon: the fake instance of `triage_ingest::testing::mastodon` (tag timeline with min_id paging, Link
//! headers, rate-limit headers, 429, 5xx; hashtag stream over SSE with `:)`, `:thump`, update / delete /
//! status.update), built from `fixtures/mastodon/`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_ingest::testing::mastodon::{Instance, Reply, instance, status, uri};
use triage_ingest::{MastodonConfig, MemoryCursorStore, MemorySink, SourceConfig};
use triage_model::RawEvent;
use url::Url;

use crate::common::{Step, config, fixture, start, start_with, unique};

fn source(url: Url, name: &str) -> MastodonConfig {
    let mut c = MastodonConfig::new(url);
    c.name = Some(name.into());
    c.tags = vec!["test".into()];
    c.poll_interval_ms = 50;
    c.backoff_base_ms = 20;
    c.backoff_max_ms = 200;
    c.heartbeat_timeout_ms = 800;
    c
}

#[tokio::test]
async fn rest_pagination_follows_link_prev_oldest_first() {
    let inst = Arc::new(Instance::default());
    // 95 statuses after the stored cursor (3 pages of 40), and one older that must not be re-read.
    inst.statuses
        .lock()
        .unwrap()
        .extend((999..1095).map(status));
    // A status on the tag timeline that no longer carries a configured tag (edited away): dropped, counted.
    let mut stray = status(1095);
    stray["content"] = "<p>nothing to see</p>".into();
    stray["tags"] = serde_json::json!([]);
    inst.statuses.lock().unwrap().push(stray);
    let url = instance(inst.clone()).await;

    let cursors = Arc::new(MemoryCursorStore::new());
    use triage_ingest::CursorStore;
    cursors.save("m#test", "999").await.unwrap();
    let run = start_with(
        config(vec![SourceConfig::Mastodon(source(url, "m"))]),
        Arc::new(MemorySink::new()),
        cursors,
    );
    run.wait_for(95).await;

    // New statuses while polling.
    inst.statuses
        .lock()
        .unwrap()
        .extend((1096..1099).map(status));
    run.wait_for(98).await;
    let sink = run.sink.clone();
    let cursors = run.cursors.clone();
    let report = run.stop().await;

    let want: Vec<String> = (1000..1095).chain(1096..1099).map(uri).collect();
    assert_eq!(
        crate::common::keyed(&sink.events()),
        want,
        "every status once, oldest first"
    );
    assert_eq!(cursors.get("m#test").as_deref(), Some("1098"));
    let stats = report.sources[0].stats;
    assert_eq!(stats.filtered, 1);
    assert_eq!(stats.posts, 98);

    let requests: Vec<String> = inst
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, q)| q.clone())
        .collect();
    // First page from the cursor, then Link rel="prev" (min_id = newest id of the page), until a short page.
    assert_eq!(
        requests[..3],
        [
            "limit=40&min_id=999",
            "limit=40&min_id=1039",
            "limit=40&min_id=1079"
        ]
    );
    assert!(
        requests[3..]
            .iter()
            .all(|q| q.starts_with("limit=40&min_id=10")),
        "{requests:?}"
    );
}

#[tokio::test]
async fn waits_for_rate_limit_reset_and_recovers_from_5xx() {
    let inst = Arc::new(Instance::default());
    inst.statuses
        .lock()
        .unwrap()
        .extend((2000..2005).map(status));
    inst.replies.lock().unwrap().extend([
        Reply::RateLimited,
        Reply::Status(502),
        Reply::Status(503),
    ]);
    let url = instance(inst.clone()).await;
    let run = start(config(vec![SourceConfig::Mastodon(source(url, "m"))]));
    run.wait_for(5).await;
    let events = run.sink.events();
    let report = run.stop().await;

    assert_eq!(
        crate::common::keyed(&events),
        (2000..2005).map(uri).collect::<Vec<_>>()
    );
    let stats = report.sources[0].stats;
    assert_eq!(stats.rate_limited, 1);
    assert!(stats.errors >= 3, "{stats:?}");
    let times: Vec<Instant> = inst
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _)| *t)
        .collect();
    // X-RateLimit-Reset was one second after the 429 (measured against the Date header, second precision).
    assert!(
        times[1] - times[0] >= Duration::from_millis(900),
        "{:?}",
        times[1] - times[0]
    );
}

#[tokio::test]
async fn streaming_update_delete_and_status_update() {
    let inst = Arc::new(Instance::default());
    // The exact wire sample (":)", an update, ":thump", a delete of it), then the documented status.update.
    let wire = fixture("mastodon/streaming_hashtag_sse_wire.txt");
    let events = fixture("mastodon/streaming_hashtag_sse_events.txt");
    let update_block = events
        .split("\n\n")
        .find(|b| b.starts_with("event: status.update"))
        .unwrap()
        .to_owned();
    inst.streams.lock().unwrap().insert(
        "test".into(),
        VecDeque::from([vec![
            Step::Send(wire),
            Step::Send(format!("{update_block}\n\n")),
            Step::Hang,
        ]]),
    );
    let url = instance(inst.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let mut cfg = source(url, "m");
    cfg.tags = vec!["test".into(), "musicTuesday".into()];
    cfg.token_file = Some(token);
    cfg.heartbeat_timeout_ms = 30_000;
    let run = start(config(vec![SourceConfig::Mastodon(cfg)]));
    run.wait_for(3).await;
    let events = run.sink.events();
    let report = run.stop().await;

    assert_eq!(
        crate::common::keyed(&events),
        [
            "post:mastodon:https://mastodon.social/users/trwnh/statuses/108914430312582020",
            "tombstone:mastodon:https://mastodon.social/users/trwnh/statuses/108914430312582020",
            "post:mastodon:https://ruby.social/users/chrismo/statuses/109348684454557541",
        ]
    );
    let RawEvent::Post(edit) = &events[2] else {
        panic!("a post")
    };
    assert_eq!(
        edit.edited_at.map(|t| t.to_rfc3339()),
        Some("2022-11-15T16:10:43+00:00".into())
    );
    assert_eq!(
        edit.hashtags,
        ["musicTuesday", "piano", "neoclassical", "jazz"]
    );
    assert!(!edit.text.contains('<'), "{}", edit.text);
    assert_eq!(report.sources[0].stats.tombstones, 1);
}

#[tokio::test]
async fn heartbeat_timeout_reconnects_and_backfills_the_gap() {
    let inst = Arc::new(Instance::default());
    let update = |id: u64| format!("event: update\ndata: {}\n\n", status(id));
    inst.streams.lock().unwrap().insert(
        "test".into(),
        VecDeque::from([
            // The first attempt fails (5xx), the second streams one update then goes silent: no :thump.
            vec![Step::Send("HTTP 502".into())],
            vec![
                Step::Send(":)\n".into()),
                Step::Send(update(3000)),
                Step::Hang,
            ],
        ]),
    );
    let url = instance(inst.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token").unwrap();
    let mut cfg = source(url, "m");
    cfg.token_file = Some(token);
    let run = start(config(vec![SourceConfig::Mastodon(cfg)]));
    run.wait_for(1).await;
    // Meanwhile the instance got 3001 and 3002, which the dead stream never delivers.
    inst.statuses
        .lock()
        .unwrap()
        .extend([status(3000), status(3001), status(3002)]);
    run.wait_for(3).await;
    let events = run.sink.events();
    let cursors = run.cursors.clone();
    let report = run.stop().await;

    assert_eq!(unique(&events).len(), 3);
    assert_eq!(
        crate::common::keyed(&events),
        [uri(3000), uri(3001), uri(3002)]
    );
    assert_eq!(cursors.get("m#test").as_deref(), Some("3002"));
    let stats = report.sources[0].stats;
    assert!(stats.reconnects >= 2, "{stats:?}");
    let requests: Vec<String> = inst
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, q)| q.clone())
        .collect();
    assert!(
        requests.contains(&"limit=40&min_id=3000".to_owned()),
        "gap backfilled from the cursor: {requests:?}"
    );
    assert!(inst.stream_connections.lock().unwrap().len() >= 3);
}

#[tokio::test]
async fn the_same_status_through_two_instances_is_one_post() {
    let a = Arc::new(Instance::default());
    let b = Arc::new(Instance::default());
    a.statuses.lock().unwrap().push(status(4000));
    // The same status federated to another instance: another local id, the same uri.
    let mut federated = status(4000);
    federated["id"] = "5555555555".into();
    b.statuses.lock().unwrap().push(federated);
    let (ua, ub) = (instance(a.clone()).await, instance(b.clone()).await);
    let run = start(config(vec![
        SourceConfig::Mastodon(source(ua, "a")),
        SourceConfig::Mastodon(source(ub, "b")),
    ]));
    run.wait_for(1).await;
    // Both instances answered at least twice: each source has read the status.
    let polled = |i: &Instance| i.requests.lock().unwrap().len() >= 2;
    let deadline = Instant::now() + crate::common::WAIT;
    while !(polled(&a) && polled(&b)) {
        assert!(Instant::now() < deadline, "both instances polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events = run.sink.events();
    let report = run.stop().await;
    assert_eq!(crate::common::keyed(&events), [uri(4000)]);
    assert_eq!(report.total().duplicates, 1);
}
