//! Bluesky: a fake Jetstream speaking the WebSocket protocol by hand over TCP (so that a connection can be cut
//! in the middle of a frame), replaying `fixtures/bluesky/` captures from the requested `cursor`.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use triage_ingest::{BlueskyConfig, MemoryCursorStore, MemorySink, SourceConfig};
use url::Url;

use crate::common::{config, fixture, keyed, start_with, unique};

#[derive(Default)]
struct Jetstream {
    /// (time_us, line) in the order Jetstream would send them.
    log: Mutex<Vec<(i64, String)>>,
    /// For each connection, after how many events to cut it in the middle of the next frame.
    cuts: Mutex<Vec<Option<usize>>>,
    /// The request target of each connection.
    requests: Mutex<Vec<String>>,
}

fn frame(payload: &[u8]) -> Vec<u8> {
    // Server frames are not masked: FIN + text opcode, then the length in 7, 7+16 or 7+64 bits.
    let mut f = vec![0x81u8];
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n if n <= u16::MAX as usize => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

async fn connection(js: Arc<Jetstream>, mut sock: TcpStream) {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let req = String::from_utf8_lossy(&req).into_owned();
    let target = req.split_whitespace().nth(1).unwrap_or("").to_owned();
    let key = req
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key"))
        })
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let cut = {
        let mut requests = js.requests.lock().unwrap();
        requests.push(target.clone());
        js.cuts
            .lock()
            .unwrap()
            .get(requests.len() - 1)
            .copied()
            .flatten()
    };
    let accept = derive_accept_key(key.as_bytes());
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let url = Url::parse(&format!("ws://x{target}")).unwrap();
    let cursor: Option<i64> = url
        .query_pairs()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse().ok());
    assert_eq!(
        url.query_pairs()
            .find(|(k, _)| k == "wantedCollections")
            .map(|(_, v)| v.into_owned())
            .as_deref(),
        Some("app.bsky.feed.post")
    );
    let mut sent = 0usize;
    let mut next = 0usize;
    loop {
        let pending: Vec<(i64, String)> = js.log.lock().unwrap()[next..].to_vec();
        next += pending.len();
        for (time_us, line) in pending {
            if cursor.is_some_and(|c| time_us < c) {
                continue;
            }
            let f = frame(line.as_bytes());
            if cut == Some(sent) {
                // Half a frame, then the connection drops.
                let _ = sock.write_all(&f[..f.len() / 2]).await;
                return;
            }
            if sock.write_all(&f).await.is_err() {
                return;
            }
            sent += 1;
        }
        // Idle: wait for more log lines or for the client to go away.
        tokio::select! {
            r = sock.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return },
            () = tokio::time::sleep(std::time::Duration::from_millis(30)) => {}
        }
    }
}

async fn jetstream(js: Arc<Jetstream>) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(connection(js.clone(), sock));
        }
    });
    Url::parse(&format!("ws://{addr}")).unwrap()
}

fn time_of(line: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(line).unwrap()["time_us"]
        .as_i64()
        .unwrap()
}

/// A crisis post derived from the first real facet line: new rkey, time, text and tag facet.
fn derived_post(i: usize, time_us: i64, tag: &str) -> (String, String) {
    let real = fixture("bluesky/jetstream_v1_post_with_hashtag_facets.jsonl");
    let mut v: serde_json::Value = serde_json::from_str(real.lines().next().unwrap()).unwrap();
    let rkey = format!("3crisis{i:05}");
    v["time_us"] = time_us.into();
    v["commit"]["rkey"] = rkey.clone().into();
    let text = format!("#{tag} chambre libre Paris 11e, message {i}");
    v["commit"]["record"]["text"] = text.clone().into();
    v["commit"]["record"]["facets"] = serde_json::json!([{
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
        "index": {"byteStart": 0, "byteEnd": tag.len() + 1}
    }]);
    let id =
        format!("post:bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/{rkey}");
    (v.to_string(), id)
}

fn delete_of(rkey: &str, time_us: i64) -> String {
    serde_json::json!({
        "did": "did:plc:tn3hni2jpphsgl6amfbb7ja6", "time_us": time_us, "kind": "commit",
        "commit": {"rev": "3mptbypuw3t2q", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}
    })
    .to_string()
}

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
