//! Helpers shared by the end-to-end tests (`ingest_e2e`, `dashboard_e2e`, which also use `common`): free ports,
//! config files, and readers of the raw and cursors topics.

#![allow(dead_code)]

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use triage_bus::{Bus, reader::Reader};

pub use crate::common::Triage;
use triage_model::RawEvent;

/// A loopback port that is free now (the child binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits until something accepts TCP connections on `addr`.
pub async fn wait_for_listener(addr: &str, proc: &mut Triage, timeout: Duration) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        proc.assert_running();
        assert!(
            started.elapsed() < timeout,
            "nothing listens on {addr} after {timeout:?}\n{}",
            proc.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A config file for a child process (the repository's config/triage.toml is not read by these tests).
pub fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("triage.toml");
    std::fs::write(&path, text).expect("config file");
    path
}

/// `post:<id>` or `tombstone:<id>` (a post and its deletion share the id).
pub fn event_key(event: &RawEvent) -> String {
    match event {
        RawEvent::Post(p) => format!("post:{}", p.id),
        RawEvent::Tombstone(t) => format!("tombstone:{}", t.id),
    }
}

/// Events on `<prefix>.raw`: key → how many copies.
pub type RawCounts = BTreeMap<String, usize>;

fn add(counts: &mut RawCounts, msg: &triage_bus::reader::Received) {
    let payload = msg.payload.as_deref().unwrap_or_default();
    let event = RawEvent::decode(payload).unwrap_or_else(|e| {
        panic!(
            "undecodable event on the raw topic ({e}): {}",
            String::from_utf8_lossy(payload)
        )
    });
    let key = event_key(&event);
    // Produced keyed by post id, as downstream partitioning relies on.
    let id = key.split_once(':').map(|(_, id)| id).unwrap_or_default();
    assert_eq!(
        msg.key.as_deref(),
        Some(id.as_bytes()),
        "raw record keyed by its post id"
    );
    *counts.entry(key).or_default() += 1;
}

/// Reads `<prefix>.raw` until every key of `want` arrived (or `deadline` passes); returns what was read.
pub async fn wait_for_raw(
    bus: &Bus,
    want: &BTreeSet<String>,
    deadline: Duration,
    proc: &mut Triage,
) -> RawCounts {
    let mut reader = Reader::from_beginning(bus, &[bus.topics.raw()], "e2e-wait").expect("reader");
    let mut counts = RawCounts::new();
    let started = Instant::now();
    while !want.iter().all(|k| counts.contains_key(k)) {
        if started.elapsed() > deadline {
            let missing: Vec<&String> = want.iter().filter(|k| !counts.contains_key(*k)).collect();
            panic!(
                "after {deadline:?}, {} events missing on the raw topic: {missing:?}\n{}",
                missing.len(),
                proc.log()
            );
        }
        proc.assert_running();
        if let Ok(msg) = tokio::time::timeout(Duration::from_millis(300), reader.next()).await {
            add(&mut counts, &msg.expect("read"));
        }
    }
    counts
}

/// Everything on `<prefix>.raw` now (call once the producers have stopped).
pub async fn read_raw(bus: &Bus) -> RawCounts {
    let mut reader = Reader::from_beginning(bus, &[bus.topics.raw()], "e2e-all").expect("reader");
    let mut counts = RawCounts::new();
    for msg in reader
        .read_to_end(Duration::from_secs(15))
        .await
        .expect("read to end")
    {
        add(&mut counts, &msg);
    }
    counts
}

/// Asserts that the raw topic holds exactly `want`, each once: nothing lost, nothing doubled, nothing else.
pub fn assert_exactly_once(counts: &RawCounts, want: &BTreeSet<String>) {
    let missing: Vec<&String> = want.iter().filter(|k| !counts.contains_key(*k)).collect();
    let doubled: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let unexpected: Vec<&String> = counts.keys().filter(|k| !want.contains(*k)).collect();
    assert!(
        missing.is_empty() && doubled.is_empty() && unexpected.is_empty(),
        "raw topic: {} missing {missing:?}; doubled {doubled:?}; unexpected {unexpected:?}",
        missing.len()
    );
}

/// The latest value of every key of `<prefix>.cursors`.
pub async fn read_cursors(bus: &Bus) -> BTreeMap<String, String> {
    let mut reader =
        Reader::from_beginning(bus, &[bus.topics.cursors()], "e2e-cursors").expect("reader");
    let mut out = BTreeMap::new();
    for msg in reader
        .read_to_end(Duration::from_secs(15))
        .await
        .expect("read cursors")
    {
        if let (Some(k), Some(v)) = (msg.key, msg.payload) {
            out.insert(
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            );
        }
    }
    out
}
