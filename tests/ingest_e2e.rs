//! `triage ingest` end to end: each platform (against the fake servers of `triage_ingest::testing`, built from
//! the real samples), the replay and the webhook feed `<prefix>.raw` on a real broker (the embedded tansu
//! broker, one per test binary, one topic prefix per test) with every expected event exactly once, deletions
//! as tombstones; a streaming worker killed with SIGKILL and restarted resumes from `<prefix>.cursors` with
//! nothing lost or doubled.

mod common;
mod e2e_support;

use std::{
    collections::BTreeSet,
    io::Write,
    sync::Arc,
    time::{Duration, Instant},
};

use common::{broker, bus, create_topics, sample_posts};
use e2e_support::*;
use triage_ingest::testing::{
    Step, bluesky as fake_bsky, fixture,
    mastodon::{self as fake_masto, crisis_status, delete_event, update_event},
    x as fake_x,
};
use triage_model::{RawEvent, SCHEMA_VERSION, Source, Tombstone};

/// Generous: the first produce on a fresh broker creates topics and elects leaders.
const WAIT: Duration = Duration::from_secs(60);

/// The built-in defaults (the repository's config/triage.toml is not read: these tests do not depend on it).
fn default_config(dir: &tempfile::TempDir) -> String {
    config_file(dir.path(), "# e2e: built-in defaults\n")
        .display()
        .to_string()
}

fn ingest_args<'a>(config: &'a str, prefix: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--config",
        config,
        "--brokers",
        broker(),
        "--topic-prefix",
        prefix,
        "ingest",
    ];
    args.extend_from_slice(rest);
    args
}

/// Once every event of `want` is on the raw topic: SIGTERM (exit 0), then each of `want` on the raw topic
/// exactly once, and nothing else.
async fn stop_and_check_raw(bus: &triage_bus::Bus, want: &BTreeSet<String>, proc: &mut Triage) {
    wait_for_raw(bus, want, WAIT, proc).await;
    let status = proc.terminate();
    assert!(status.success(), "exit status {status}\n{}", proc.log());
    assert_exactly_once(&read_raw(bus).await, want);
}

fn keys(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Mastodon with a token: the REST timeline backfills, then the hashtag stream (SSE) brings updates and a
/// delete, which becomes a tombstone. A status without a wanted tag is filtered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_timeline_and_stream_feed_the_raw_topic() {
    let prefix = "e2e-mastodon";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let inst = Arc::new(fake_masto::Instance::default());
    {
        let mut statuses = inst.statuses.lock().unwrap();
        for id in 1000..1005 {
            statuses.push(crisis_status(
                id,
                "PorteOuverte",
                &format!("Chambre libre Paris 11e, 2 places ({id})"),
            ));
        }
        // A variant of the group, accents and case aside.
        statuses.push(crisis_status(
            1005,
            "portesouvertes",
            "On peut héberger 3 personnes à Belleville",
        ));
        // The original sample (#test only): not wanted.
        statuses.push(fake_masto::status(1006));
    }
    let stream = vec![
        Step::Send(":)\n".into()),
        Step::Send(update_event(&crisis_status(
            2000,
            "PorteOuverte",
            "Canapé dispo rue Oberkampf",
        ))),
        Step::Send(":thump\n".into()),
        Step::Send(update_event(&crisis_status(
            2001,
            "PorteOuverte",
            "Porte ouverte Paris 10e",
        ))),
        Step::Send(delete_event(2000)),
        Step::Every(":thump\n".into(), 100),
    ];
    inst.streams
        .lock()
        .unwrap()
        .insert("PorteOuverte".into(), [stream].into());
    let url = fake_masto::instance(inst.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let url = url.to_string();
    let args = ingest_args(
        &config,
        prefix,
        &[
            "--source",
            "mastodon",
            "--instance",
            &url,
            "--tag",
            "PorteOuverte",
            "--token-env",
            "E2E_MASTODON_TOKEN",
        ],
    );
    let mut proc = Triage::start(&args, &[("E2E_MASTODON_TOKEN", fake_masto::STREAM_TOKEN)]);

    let mut want: BTreeSet<String> = (1000..1006)
        .chain([2000, 2001])
        .map(fake_masto::uri)
        .collect();
    want.insert("tombstone:mastodon:https://mastodon.social/users/trwnh/statuses/2000".into());
    stop_and_check_raw(&bus, &want, &mut proc).await;
    assert!(
        inst.stream_connections
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == "PorteOuverte"),
        "the token turned streaming on"
    );
}

/// Bluesky Jetstream: a real production capture (no crisis tags: all filtered) followed by crisis posts with
/// facet tags in several spellings, and the deletion of one of them (a tombstone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_jetstream_feeds_the_raw_topic() {
    let prefix = "e2e-bluesky";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let js = Arc::new(fake_bsky::Jetstream::default());
    let capture = fixture("bluesky/jetstream_v1_production_capture.jsonl");
    let mut log: Vec<(i64, String)> = capture
        .lines()
        .map(|l| (fake_bsky::time_of(l), l.to_owned()))
        .collect();
    let base = log.iter().map(|(t, _)| *t).max().unwrap();
    let mut want = BTreeSet::new();
    for (i, tag) in [
        "PorteOuverte",
        "OffeneTüren",
        "offeneturen",
        "RechercheParis",
        "PrayForParis",
    ]
    .iter()
    .enumerate()
    {
        let t = base + 1_000 * (i as i64 + 1);
        let (line, id) = fake_bsky::derived_post(i, t, tag);
        log.push((t, line));
        want.insert(id);
    }
    // Not one of the groups: filtered.
    let (line, _) = fake_bsky::derived_post(9, base + 9_000, "ParisJeTaime");
    log.push((base + 9_000, line));
    log.push((
        base + 10_000,
        fake_bsky::delete_of(&fake_bsky::rkey(1), base + 10_000),
    ));
    want.insert(format!(
        "tombstone:{}",
        fake_bsky::post_id(&fake_bsky::rkey(1))
    ));
    *js.log.lock().unwrap() = log;
    let url = fake_bsky::jetstream(js.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let url = url.to_string();
    let mut proc = Triage::start(
        &ingest_args(
            &config,
            prefix,
            &["--source", "bluesky", "--endpoint", &url],
        ),
        &[],
    );
    stop_and_check_raw(&bus, &want, &mut proc).await;
    let requests = js.requests.lock().unwrap().clone();
    assert!(
        requests[0].contains("wantedCollections=app.bsky.feed.post"),
        "{requests:?}"
    );
}

/// X filtered stream: the rules are synced to one per hashtag group, then the stream (the documented wire
/// sample, whose #TwitterAPI post is not wanted, a malformed line, keep-alives, a post split across chunks)
/// brings the crisis tweets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_filtered_stream_feeds_the_raw_topic() {
    let prefix = "e2e-x";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let api = Arc::new(fake_x::Api::default());
    let split = fake_x::derived(1_460_323_737_035_677_702, "portesouvertes");
    api.streams.lock().unwrap().push_back(vec![
        Step::Send(fake_x::wire_sample()),
        Step::Send("\r\n".into()),
        Step::Send(format!(
            "{}\r\n",
            fake_x::derived(1_460_323_737_035_677_700, "PorteOuverte")
        )),
        Step::Send("{\"data\":{\"id\":\"1\",\r\n".into()),
        Step::Send(format!(
            "{}\r\n",
            fake_x::derived(1_460_323_737_035_677_701, "RechercheParis")
        )),
        Step::Send(split[..40].to_owned()),
        Step::Sleep(50),
        Step::Send(format!("{}\r\n", &split[40..])),
        Step::Every("\r\n".into(), 500),
    ]);
    let url = fake_x::api(api.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let url = url.to_string();
    let args = ingest_args(
        &config,
        prefix,
        &[
            "--source",
            "x",
            "--endpoint",
            &url,
            "--bearer-env",
            "E2E_X_BEARER",
        ],
    );
    let mut proc = Triage::start(&args, &[("E2E_X_BEARER", fake_x::BEARER)]);
    let want = keys(&[
        "post:x:1460323737035677700",
        "post:x:1460323737035677701",
        "post:x:1460323737035677702",
    ]);
    stop_and_check_raw(&bus, &want, &mut proc).await;
    let rules: Vec<String> = api
        .rules
        .lock()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(rules.len(), 3, "one rule per hashtag group: {rules:?}");
    assert!(
        rules.iter().any(|r| r.contains("#PorteOuverte")),
        "{rules:?}"
    );
}

/// Replay of a JSONL file mixing normalized posts, a normalized tombstone and raw platform JSON of the three
/// networks: it ends by itself (exit 0) with everything on the raw topic once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_feeds_the_raw_topic_and_exits() {
    let prefix = "e2e-replay";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let posts = sample_posts(300, prefix);
    let mut want: BTreeSet<String> = posts.iter().map(|p| format!("post:{}", p.id)).collect();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for p in &posts {
        file.write_all(&RawEvent::Post(p.clone()).encode()).unwrap();
        file.write_all(b"\n").unwrap();
    }
    let deleted = posts[7].id.clone();
    let tombstone = RawEvent::Tombstone(Tombstone {
        v: SCHEMA_VERSION,
        id: deleted.clone(),
        source: Source::Sample,
        deleted_at: "2015-11-14T01:00:00Z".parse().unwrap(),
    });
    file.write_all(&tombstone.encode()).unwrap();
    writeln!(file).unwrap();
    want.insert(format!("tombstone:{deleted}"));
    // Raw platform JSON, one of each.
    writeln!(
        file,
        "{}",
        crisis_status(7000, "PorteOuverte", "Hébergement possible Paris 20e")
    )
    .unwrap();
    want.insert(fake_masto::uri(7000));
    let (line, id) = fake_bsky::derived_post(70, 1_447_452_000_000_000, "PorteOuverte");
    writeln!(file, "{line}").unwrap();
    want.insert(id);
    writeln!(
        file,
        "{}",
        fake_x::derived(1_460_323_737_035_677_770, "PorteOuverte")
    )
    .unwrap();
    want.insert("post:x:1460323737035677770".into());
    file.flush().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let path = file.path().to_str().unwrap();
    let mut proc = Triage::start(
        &ingest_args(
            &config,
            prefix,
            &["--source", "replay", path, "--speed", "max"],
        ),
        &[],
    );
    let status = proc.wait(WAIT);
    assert!(status.success(), "exit status {status}\n{}", proc.log());

    assert_exactly_once(&read_raw(&bus).await, &want);
}

async fn post_json(url: &str, body: &str) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("the webhook answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// The webhook served by `triage ingest --source webhook --listen`: one post, an array with a retried post
/// (a duplicate), a bad request with a JSON error; each accepted post once on the raw topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_feeds_the_raw_topic() {
    let prefix = "e2e-webhook";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let listen = format!("127.0.0.1:{}", free_port());
    let mut proc = Triage::start(
        &ingest_args(
            &config,
            prefix,
            &["--source", "webhook", "--listen", &listen],
        ),
        &[],
    );
    wait_for_listener(&listen, &mut proc, WAIT).await;
    let url = format!("http://{listen}/ingest");

    let (status, body) = post_json(
        &url,
        r#"{"id": "sms-1", "text": "Besoin d'un abri rue Oberkampf #RechercheParis", "author": "+33600000000",
            "created_at": "2015-11-13T23:05:00Z", "lang": "fr"}"#,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["ids"], serde_json::json!(["webhook:sms-1"]));
    let (status, body) = post_json(
        &url,
        r#"[{"id": "sms-1", "text": "Besoin d'un abri rue Oberkampf #RechercheParis", "author": "+33600000000",
             "created_at": "2015-11-13T23:05:00Z", "lang": "fr"},
            {"id": "sms-2", "text": "Je peux héberger 2 personnes, Paris 20e #PorteOuverte", "author": {"handle": "sms:+33611111111"}}]"#,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{body}"
    );
    let (status, body) = post_json(&url, "{not json").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].is_string(), "a JSON error: {body}");

    let want = keys(&["post:webhook:sms-1", "post:webhook:sms-2"]);
    stop_and_check_raw(&bus, &want, &mut proc).await;
}

/// The `time_us` the Bluesky cursor in `<prefix>.cursors` has reached, if saved.
async fn bluesky_cursor(bus: &triage_bus::Bus) -> Option<i64> {
    let cursors = read_cursors(bus).await;
    let (_, value) = cursors.iter().find(|(k, _)| k.starts_with("bluesky"))?;
    serde_json::from_str::<serde_json::Value>(value).ok()?["time_us"].as_i64()
}

/// A Jetstream worker killed with SIGKILL once its cursor is durable, then restarted: it resumes from the
/// cursor in `<prefix>.cursors` (rewound 5 s, as Jetstream events are not strictly ordered), drops what it
/// had already produced, sends what came while it was down, and turns the deletion of a post produced by the
/// first worker into a tombstone. Nothing lost, nothing doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_worker_killed_and_restarted_loses_and_doubles_nothing() {
    let prefix = "e2e-restart";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let js = Arc::new(fake_bsky::Jetstream::default());
    let base = 1_447_452_000_000_000i64; // 13 Nov 2015, 22:00 UTC
    let post = |i: usize| {
        let tag = if i.is_multiple_of(2) {
            "PorteOuverte"
        } else {
            "RechercheParis"
        };
        fake_bsky::derived_post(i, base + i as i64 * 100_000, tag)
    };
    js.log
        .lock()
        .unwrap()
        .extend((0..12).map(|i| (base + i as i64 * 100_000, post(i).0)));
    // Real Jetstream never goes quiet (it carries every post of the network): unrelated posts keep coming,
    // which is also what lets the worker save its cursor (at most once per second, on the next message).
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(base + 12 * 100_000));
    let filler = {
        let (js, clock) = (js.clone(), clock.clone());
        tokio::spawn(async move {
            for n in 1000.. {
                let t = clock.fetch_add(10_000, std::sync::atomic::Ordering::SeqCst);
                js.log
                    .lock()
                    .unwrap()
                    .push((t, fake_bsky::derived_post(n, t, "Caturday").0));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let url = fake_bsky::jetstream(js.clone()).await.to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = default_config(&dir);
    let args = ingest_args(
        &config,
        prefix,
        &["--source", "bluesky", "--endpoint", &url],
    );

    let mut first = Triage::start(&args, &[]);
    let first_ids: BTreeSet<String> = (0..12).map(|i| post(i).1).collect();
    wait_for_raw(&bus, &first_ids, WAIT, &mut first).await;
    // Kill only once the cursor covers every produced post: a crash between the produce acknowledgement and
    // the cursor save redoes that batch (at least once), which is not what this test is about.
    let last = base + 11 * 100_000;
    let started = Instant::now();
    while bluesky_cursor(&bus).await.is_none_or(|t| t < last) {
        first.assert_running();
        assert!(
            started.elapsed() < WAIT,
            "cursor never saved\n{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill9();

    // While no worker runs: more posts, and the deletion of post 3 (produced by the first worker).
    {
        let mut log = js.log.lock().unwrap();
        for i in 12..20 {
            let t = clock.fetch_add(100_000, std::sync::atomic::Ordering::SeqCst);
            log.push((t, fake_bsky::derived_post(i, t, "PorteOuverte").0));
        }
        let t = clock.fetch_add(10_000, std::sync::atomic::Ordering::SeqCst);
        log.push((t, fake_bsky::delete_of(&fake_bsky::rkey(3), t)));
    }
    let mut want = first_ids.clone();
    want.extend((12..20).map(|i| format!("post:{}", fake_bsky::post_id(&fake_bsky::rkey(i)))));
    want.insert(format!(
        "tombstone:{}",
        fake_bsky::post_id(&fake_bsky::rkey(3))
    ));

    let mut second = Triage::start(&args, &[]);
    wait_for_raw(&bus, &want, WAIT, &mut second).await;
    // Let the replayed rewind window go by before stopping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = second.terminate();
    assert!(status.success(), "exit status {status}\n{}", second.log());
    filler.abort();

    assert_exactly_once(&read_raw(&bus).await, &want);
    let requests = js.requests.lock().unwrap().clone();
    let resumed = requests.last().cloned().unwrap_or_default();
    assert!(
        resumed.contains("&cursor="),
        "the restarted worker resumed from its cursor: {requests:?}"
    );
}
