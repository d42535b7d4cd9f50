//! The pipeline against a real Kafka-protocol broker (embedded tansu, started by the tests): nothing is lost,
//! duplicates only after a crash, garbage goes to the dead-letter topic with its reason, SIGTERM is clean.

mod common;

use std::{collections::HashSet, io::Write, time::Duration};

use common::*;

/// (a) 10,000 posts replayed through `triage ingest`: every id lands in exactly one class topic, none missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_posts_all_land_in_exactly_one_class_topic() {
    let prefix = "t-replay";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let posts = sample_posts(10_000, prefix);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for p in &posts {
        serde_json::to_writer(&mut file, p).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();

    let mut classify = Triage::classify(prefix);
    let path = file.path().to_str().unwrap();
    let mut ingest = Triage::start(
        &[
            "--brokers",
            broker(),
            "--topic-prefix",
            prefix,
            "ingest",
            "--source",
            "replay",
            path,
            "--speed",
            "max",
        ],
        &[],
    );
    let status = ingest.wait(Duration::from_secs(600));
    assert!(
        status.success(),
        "ingest exits 0 at the end of the file\n{}",
        ingest.log()
    );

    let expected: HashSet<String> = posts.iter().map(|p| p.id.clone()).collect();
    let out = read_outputs(&bus, Duration::from_secs(600), |o| {
        o.records.len() >= expected.len()
    })
    .await;
    let status = classify.terminate();
    assert!(status.success(), "exit status {status}\n{}", classify.log());

    let missing: Vec<&String> = expected
        .iter()
        .filter(|id| !out.records.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} posts missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let unexpected: Vec<&String> = out
        .records
        .keys()
        .filter(|id| !expected.contains(*id))
        .collect();
    assert!(
        unexpected.is_empty(),
        "records that were never sent: {unexpected:?}"
    );
    let in_two_topics: Vec<_> = out
        .records
        .iter()
        .filter(|(_, topics)| topics.iter().collect::<HashSet<_>>().len() > 1)
        .collect();
    assert!(
        in_two_topics.is_empty(),
        "a post in two class topics: {:?}",
        in_two_topics.first()
    );
    assert!(
        out.dead_letters.is_empty(),
        "valid posts never go to the DLQ"
    );
    // Every class is represented by the sample stream.
    let classes: HashSet<&String> = out.records.values().flatten().collect();
    assert_eq!(
        classes.len(),
        6,
        "all six class topics receive posts: {classes:?}"
    );
}

/// A classify stage that is visibly busy (1,500 records out) while 10,000 posts are still arriving at 2,000/s.
struct MidStream {
    bus: triage_bus::Bus,
    posts: Vec<triage_model::Post>,
    classify: Triage,
    producing: tokio::task::JoinHandle<()>,
}

async fn classify_mid_stream(prefix: &str) -> MidStream {
    let bus = bus(prefix);
    create_topics(&bus).await;
    let posts = sample_posts(10_000, prefix);
    let payloads = posts
        .iter()
        .map(|p| (p.id.clone(), serde_json::to_vec(p).unwrap()))
        .collect();
    let classify = Triage::classify(prefix);
    let producing = produce_raw_paced(&bus, payloads, 2_000);
    let partial = read_outputs(&bus, Duration::from_secs(300), |o| o.records.len() >= 1_500).await;
    assert!(partial.records.len() >= 1_500, "classify made progress");
    MidStream {
        bus,
        posts,
        classify,
        producing,
    }
}

/// Restarts the classify stage, lets it classify the whole stream and stops it with SIGTERM (exit 0): what came
/// out, and how many of `posts` have no record.
async fn restart_and_finish(
    prefix: &str,
    bus: &triage_bus::Bus,
    posts: &[triage_model::Post],
) -> (Outputs, usize) {
    let mut restarted = Triage::classify(prefix);
    let expected: HashSet<String> = posts.iter().map(|p| p.id.clone()).collect();
    let out = read_outputs(bus, Duration::from_secs(600), |o| {
        o.records.len() >= expected.len()
    })
    .await;
    let status = restarted.terminate();
    assert!(
        status.success(),
        "exit status {status}\n{}",
        restarted.log()
    );
    let missing = expected
        .iter()
        .filter(|id| !out.records.contains_key(*id))
        .count();
    (out, missing)
}

/// (b) The classify stage killed with SIGKILL mid-stream and restarted: nothing missing; duplicates counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_mid_stream_loses_nothing() {
    let prefix = "t-crash";
    let MidStream {
        bus,
        posts,
        mut classify,
        producing,
    } = classify_mid_stream(prefix).await;
    // Kill the stage with no chance to commit or flush.
    classify.kill9();
    assert!(
        !producing.is_finished(),
        "the kill happened mid-stream, while posts were still arriving"
    );
    producing.await.unwrap();

    let (out, missing) = restart_and_finish(prefix, &bus, &posts).await;
    assert_eq!(missing, 0, "posts lost across the crash");
    let duplicates = out.duplicates();
    eprintln!(
        "crash test: {} posts, {duplicates} duplicates redone after the kill",
        posts.len()
    );
    // At-least-once: redone work is bounded by what was in flight plus the uncommitted second of auto-commit.
    assert!(duplicates < posts.len(), "{duplicates} duplicates");
}

/// (c) SIGTERM: exit 0 within 10 s, offsets committed, and a restart redoes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_is_clean_and_restart_duplicates_nothing() {
    let prefix = "t-term";
    let MidStream {
        bus,
        posts,
        mut classify,
        producing,
    } = classify_mid_stream(prefix).await;
    let (status, took) = classify.terminate_timed();
    assert!(!producing.is_finished(), "SIGTERM arrived mid-stream");
    producing.await.unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < Duration::from_secs(10),
        "SIGTERM to exit took {took:?}"
    );
    eprintln!("sigterm test: exit 0 after {took:?}");

    let (_, missing) = restart_and_finish(prefix, &bus, &posts).await;
    let settled = read_all_settled(&bus, Duration::from_secs(3)).await;
    assert_eq!(missing, 0);
    assert_eq!(
        settled.duplicates(),
        0,
        "a graceful stop commits everything it wrote: nothing is redone"
    );
    let lag =
        triage_bus::admin::group_lag(&bus, &format!("{prefix}.classify"), &[bus.topics.raw()])
            .unwrap();
    assert_eq!(
        lag.iter().map(|l| l.lag).sum::<i64>(),
        0,
        "offsets committed: {lag:?}"
    );
}

/// (d) 1% garbage: every bad message is in the DLQ with its reason and original bytes; the rest is classified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_goes_to_the_dlq_with_reasons() {
    let prefix = "t-garbage";
    let bus = bus(prefix);
    create_topics(&bus).await;
    let posts = sample_posts(5_000, prefix);
    let mut payloads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut garbage: Vec<(String, Vec<u8>, &str)> = Vec::new();
    for (i, p) in posts.iter().enumerate() {
        payloads.push((p.id.clone(), serde_json::to_vec(p).unwrap()));
        if i % 100 == 0 {
            let (bytes, reason): (Vec<u8>, &str) = match (i / 100) % 5 {
                0 => (
                    format!("garbage line {i} {{not json").into_bytes(),
                    "not_json",
                ),
                1 => (
                    format!(r#"{{"v":1,"id":"x:{i}","text":"no author"}}"#).into_bytes(),
                    "wrong_schema",
                ),
                2 => (
                    format!(r#"{{"v":7,"id":"x:{i}"}}"#).into_bytes(),
                    "unsupported_version",
                ),
                3 => (vec![0xc3, 0x28, b'a', (i % 250) as u8], "not_utf8"),
                _ => (
                    vec![b'x'; triage_model::MAX_RAW_BYTES + 10 + i],
                    "too_large",
                ),
            };
            let key = format!("garbage-{i}");
            payloads.push((key.clone(), bytes.clone()));
            garbage.push((key, bytes, reason));
        }
    }
    produce_raw(&bus, payloads).await;

    let mut classify = Triage::classify(prefix);
    let want = posts.len();
    let out = read_outputs(&bus, Duration::from_secs(600), |o| {
        o.records.len() >= want && o.dead_letters.len() >= garbage.len()
    })
    .await;
    let status = classify.terminate();
    assert!(status.success(), "exit status {status}\n{}", classify.log());

    assert_eq!(out.records.len(), posts.len(), "every good post classified");
    assert_eq!(
        out.dead_letters.len(),
        garbage.len(),
        "every bad message dead-lettered, once"
    );
    for (key, bytes, reason) in &garbage {
        let dl = out
            .dead_letters
            .iter()
            .find(|(k, _, _)| k == key)
            .unwrap_or_else(|| panic!("{key} not in DLQ"));
        assert_eq!(&dl.1, reason, "{key}");
        assert_eq!(&dl.2, bytes, "{key}: the original bytes are kept");
    }
}
