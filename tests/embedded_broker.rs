//! The embedded broker's behaviour that triage relies on and that the patched tansu-storage provides
//! (`vendor/README.md`): a waiting fetch answers when data arrives, and the SQLite write-ahead log is
//! checkpointed and restarted under a steady stream of writes. Each test starts its own broker (real, SQLite
//! storage, in a temporary directory).

use std::{path::Path, time::Duration};

use triage_broker::{EmbeddedBroker, EmbeddedBrokerConfig, Storage};
use triage_bus::{Bus, BusConfig, OutRecord, Producer, reader::Reader};

fn start_broker(dir: &Path) -> EmbeddedBroker {
    EmbeddedBroker::start(EmbeddedBrokerConfig {
        storage: Storage::Sqlite(dir.to_owned()),
        port: 0,
        ..Default::default()
    })
    .expect("the embedded broker starts")
}

async fn bus_with_topics(broker: &EmbeddedBroker, fetch_wait_max_ms: u32) -> Bus {
    let bus = Bus::new(
        BusConfig {
            topic_prefix: "brokertest".into(),
            partitions: 1,
            fetch_wait_max_ms,
            ..Default::default()
        },
        broker.bootstrap_servers(),
    );
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all())
        .await
        .expect("topics created");
    bus
}

fn record(bus: &Bus, i: usize, size: usize) -> OutRecord {
    OutRecord {
        topic: bus.topics.raw(),
        key: format!("k{i}").into_bytes(),
        payload: vec![b'a' + (i % 26) as u8; size],
        headers: vec![],
    }
}

/// A consumer waiting in a long fetch (20 s) gets a record produced meanwhile well before the wait is over.
/// Upstream tansu 0.6.0 slept out the whole wait before answering, so this took more than 20 s there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_fetch_answers_when_a_record_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let bus = bus_with_topics(&broker, 20_000).await;

    let mut reader = Reader::from_beginning(&bus, &[bus.topics.raw()], "waiting").unwrap();
    let read = tokio::spawn(async move { reader.next().await });
    // Long enough for the reader to be inside a fetch on the empty topic.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let producer = Producer::new(&bus).unwrap();
    producer.send_acked(&record(&bus, 1, 10), 3).await.unwrap();

    let received = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the record arrived before the fetch's 20 s wait was over")
        .unwrap()
        .unwrap();
    assert_eq!(received.key.as_deref(), Some(&b"k1"[..]));
}

/// 40 MB written (and read back at the same time) leave a write-ahead log of a few MB: checkpoints copy it to the
/// database and the log starts again. A connection left in a read transaction would stop both and the log would
/// hold all 40 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_stays_small_under_steady_writes() {
    let dir = tempfile::tempdir().unwrap();
    let broker = start_broker(dir.path());
    let bus = bus_with_topics(&broker, 500).await;
    let (n, size) = (40_000, 1_000);

    let mut reader = Reader::from_beginning(&bus, &[bus.topics.raw()], "wal").unwrap();
    let read_all = tokio::spawn(async move {
        for _ in 0..n {
            reader.next().await.unwrap();
        }
    });
    let producer = Producer::new(&bus).unwrap();
    let mut acks = Vec::with_capacity(n);
    for i in 0..n {
        acks.push(producer.send(&record(&bus, i, size)).await.unwrap());
    }
    for ack in acks {
        ack.wait().await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(120), read_all)
        .await
        .expect("every record read back")
        .unwrap();

    let len = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let (db, wal) = (len("broker.db"), len("broker.db-wal"));
    assert!(
        db >= (n * size / 2) as u64,
        "most records reached the database file: {db} bytes"
    );
    assert!(
        wal < 16 << 20,
        "write-ahead log of {wal} bytes after {} MB written",
        (n * size) >> 20
    );
}
