//! Replay of JSONL: normalized events and raw platform JSON from `fixtures/`, mixed in one file.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_ingest::{
    CursorStore, MemoryCursorStore, MemorySink, ReplayConfig, SourceConfig, Speed,
};
use triage_model::{Author, Post, RawEvent, SCHEMA_VERSION, Source, Tombstone};

use crate::common::{config, fixture, json_fixture, keyed, start, start_with};

fn compact(rel: &str) -> String {
    json_fixture(rel).to_string()
}

fn post(id: &str, at: &str) -> Post {
    Post {
        v: SCHEMA_VERSION,
        id: format!("file:{id}"),
        source: Source::File,
        url: None,
        author: Author {
            id: None,
            handle: "archive".into(),
            name: None,
        },
        text: format!("Porte ouverte rue de Charonne ({id})"),
        lang: Some("fr".into()),
        hashtags: vec!["PorteOuverte".into()],
        created_at: at.parse().unwrap(),
        edited_at: None,
        repost_of: None,
        reply_to: None,
        media: Vec::new(),
    }
}

fn write(lines: &[String]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    f.flush().unwrap();
    f
}

fn replay(path: &std::path::Path) -> ReplayConfig {
    let mut c = ReplayConfig::new(path);
    c.name = Some("replay".into());
    c
}

#[tokio::test]
async fn normalized_and_raw_platform_json_in_one_file() {
    let normalized = RawEvent::Post(post("1", "2015-11-13T22:10:00Z"));
    let tombstone = RawEvent::Tombstone(Tombstone {
        v: SCHEMA_VERSION,
        id: "file:1".into(),
        source: Source::File,
        deleted_at: "2015-11-13T23:00:00Z".parse().unwrap(),
    });
    let mut without_kind = serde_json::to_value(post("2", "2015-11-13T22:11:00Z")).unwrap();
    without_kind.as_object_mut().unwrap().remove("kind");
    let mut lines = vec![
        String::from_utf8(normalized.encode()).unwrap(),
        without_kind.to_string(),
        String::new(),
        compact("mastodon/status_entity_example.json"),
        // A whole timeline page (an array of statuses) on one line.
        compact("mastodon/timeline_tag_response_body.json"),
        compact("x/filtered_stream_message_quickstart_docs.json"),
        // A lookup response: `data` is an array.
        compact("x/tweet_lookup_response_docs_example.json"),
        "{not json".into(),
        r#"{"hello": "world"}"#.into(),
    ];
    lines.extend(
        fixture("bluesky/jetstream_v1_post_with_hashtag_facets.jsonl")
            .lines()
            .map(str::to_owned),
    );
    // Identity, account and deletes of other collections: not posts.
    lines.extend(
        fixture("bluesky/jetstream_v1_identity_account_delete.jsonl")
            .lines()
            .map(str::to_owned),
    );
    // The Mastodon WebSocket form of an update.
    let ws = json_fixture("mastodon/websocket_messages.json");
    lines.push(ws[2].to_string());
    lines.push(String::from_utf8(tombstone.encode()).unwrap());
    let file = write(&lines);

    let report = start(config(vec![SourceConfig::Replay(replay(file.path()))]));
    let sink = report.sink.clone();
    let report = report.finish().await;

    assert_eq!(
        keyed(&sink.events()),
        [
            "post:file:1",
            "post:file:2",
            "post:mastodon:https://mastodon.social/users/Gargron/statuses/103270115826048975",
            "post:mastodon:https://mastodon.social/users/trwnh/statuses/108914430312582020",
            "post:x:1234567890",
            "post:x:1212092628029698048",
            "post:bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3mptbypfywk2v",
            "post:bluesky:at://did:plc:ynfp6wddjqpl44gordpsqkuw/app.bsky.feed.post/3mptbyo7tas2u",
            // The delete of a post in the capture: replay passes every tombstone through.
            "tombstone:bluesky:at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p",
            "post:mastodon:https://fosstodon.org/users/tobtobxx/statuses/108913983628474640",
            "tombstone:file:1",
        ]
    );
    let stats = report.sources[0].stats;
    assert_eq!(stats.malformed, 2, "{stats:?}");
    assert_eq!(stats.ignored, 5, "{stats:?}");
    assert_eq!(stats.filtered, 0, "replay passes everything through");
}

#[tokio::test]
async fn real_time_speed_spaces_events_by_their_timestamps() {
    let lines: Vec<String> = [
        "2015-11-13T22:00:00Z",
        "2015-11-13T22:00:02Z",
        "2015-11-13T22:00:04Z",
    ]
    .iter()
    .enumerate()
    .map(|(i, at)| String::from_utf8(RawEvent::Post(post(&i.to_string(), at)).encode()).unwrap())
    .collect();
    let file = write(&lines);
    let mut cfg = replay(file.path());
    // 4 s of posts at 10× real time: at least 0.4 s.
    cfg.speed = Speed::Factor(10.0);
    let started = Instant::now();
    let run = start(config(vec![SourceConfig::Replay(cfg)]));
    let sink = run.sink.clone();
    run.finish().await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sink.len(), 3);
    assert_eq!(sink.batches(), 3, "one batch per post in real-time mode");
}

#[tokio::test]
async fn resume_skips_what_was_acknowledged() {
    let lines: Vec<String> = (0..5)
        .map(|i| {
            String::from_utf8(RawEvent::Post(post(&i.to_string(), "2015-11-13T22:00:00Z")).encode())
                .unwrap()
        })
        .collect();
    let file = write(&lines);
    let mut cfg = replay(file.path());
    cfg.resume = true;
    let sink = Arc::new(MemorySink::new());
    let cursors = Arc::new(MemoryCursorStore::new());
    // A previous run acknowledged the first 3 lines.
    cursors.save("replay", "3").await.unwrap();
    start_with(
        config(vec![SourceConfig::Replay(cfg.clone())]),
        sink.clone(),
        cursors.clone(),
    )
    .finish()
    .await;
    assert_eq!(sink.ids(), ["file:3", "file:4"]);
    assert_eq!(cursors.get("replay").as_deref(), Some("5"));
    start_with(
        config(vec![SourceConfig::Replay(cfg)]),
        sink.clone(),
        cursors,
    )
    .finish()
    .await;
    assert_eq!(sink.len(), 2, "nothing left to replay");
}

#[tokio::test]
async fn a_failing_sink_is_retried_until_it_acknowledges() {
    let lines: Vec<String> = (0..3)
        .map(|i| {
            String::from_utf8(RawEvent::Post(post(&i.to_string(), "2015-11-13T22:00:00Z")).encode())
                .unwrap()
        })
        .collect();
    let file = write(&lines);
    let sink = Arc::new(MemorySink::new());
    sink.fail_next(2);
    let run = start_with(
        config(vec![SourceConfig::Replay(replay(file.path()))]),
        sink.clone(),
        Arc::new(MemoryCursorStore::new()),
    );
    let report = run.finish().await;
    assert_eq!(sink.ids(), ["file:0", "file:1", "file:2"]);
    assert_eq!(report.sources[0].stats.errors, 2);
    assert_eq!(report.sources[0].stats.posts, 3);
}
