//! The bus against a real broker (the embedded tansu one, started here): topic creation is idempotent, the
//! transform loop moves every message exactly once in a clean run and commits its offsets.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;
use triage_broker::{EmbeddedBroker, EmbeddedBrokerConfig, Storage};
use triage_bus::{
    Bus, BusConfig, OutRecord, Producer, admin,
    reader::Reader,
    transform::{InMessage, TransformOptions, TransformStats, run_transform},
};

/// SQLite storage, as in production: tansu's in-memory storage reports wrong high watermarks (the last batch's
/// base offset), which would make `read_to_end` stop early.
fn broker(dir: &tempfile::TempDir) -> EmbeddedBroker {
    let storage = Storage::Sqlite(dir.path().to_owned());
    EmbeddedBroker::start(EmbeddedBrokerConfig {
        storage,
        port: 0,
        ..Default::default()
    })
    .expect("embedded broker starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transform_moves_every_message_once_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let broker = broker(&dir);
    let bus = Bus::new(
        BusConfig {
            topic_prefix: "t1".into(),
            ..Default::default()
        },
        broker.bootstrap_servers(),
    );
    let created = admin::ensure_topics(&bus, &bus.topics.all()).await.unwrap();
    assert_eq!(created.len(), bus.topics.all().len());
    // Idempotent: a second call creates nothing and does not fail.
    assert!(
        admin::ensure_topics(&bus, &bus.topics.all())
            .await
            .unwrap()
            .is_empty()
    );
    let listed = admin::list_topics(&bus).unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.name == "t1.raw" && t.partitions == 3),
        "{listed:?}"
    );

    let producer = Producer::new(&bus).unwrap();
    let n = 2_000;
    let mut acks = Vec::new();
    for i in 0..n {
        let record = OutRecord {
            topic: bus.topics.raw(),
            key: format!("k{i}").into_bytes(),
            payload: format!("{i}").into_bytes(),
            headers: vec![],
        };
        acks.push(producer.send(&record).await.unwrap());
    }
    for ack in acks {
        ack.wait().await.unwrap();
    }

    // Even numbers to offer, odd to noise.
    let topics = bus.topics.clone();
    let transform = move |msg: &InMessage<'_>, out: &mut Vec<OutRecord>| {
        let n: u64 = std::str::from_utf8(msg.payload.unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let class = if n.is_multiple_of(2) {
            triage_model::Class::Offer
        } else {
            triage_model::Class::Noise
        };
        out.push(OutRecord {
            topic: topics.class(class),
            key: msg.key.unwrap().to_vec(),
            payload: msg.payload.unwrap().to_vec(),
            headers: vec![("origin".into(), msg.offset.to_string().into_bytes())],
        });
    };
    let shutdown = CancellationToken::new();
    let stats = Arc::new(TransformStats::default());
    let options = TransformOptions {
        group_id: "t1.classify".into(),
        input_topics: vec![bus.topics.raw()],
        max_in_flight: 500,
        drain_timeout: Duration::from_secs(5),
        stage: "test".into(),
    };
    let task = {
        let (bus, producer, shutdown, stats) = (
            bus.clone(),
            producer.clone(),
            shutdown.clone(),
            stats.clone(),
        );
        tokio::spawn(async move {
            run_transform(&bus, options, transform, &producer, shutdown, stats).await
        })
    };
    let started = std::time::Instant::now();
    while stats
        .offsets_stored
        .load(std::sync::atomic::Ordering::Relaxed)
        < n
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "transform stalled: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    task.await.unwrap().unwrap();

    let mut reader = Reader::from_beginning(
        &bus,
        &[topics_class(&bus, "offer"), topics_class(&bus, "noise")],
        "check",
    )
    .unwrap();
    let got = reader.read_to_end(Duration::from_secs(20)).await.unwrap();
    let mut values: Vec<u64> = got
        .iter()
        .map(|m| {
            std::str::from_utf8(m.payload.as_deref().unwrap())
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    values.sort_unstable();
    let missing: Vec<u64> = (0..n)
        .filter(|v| values.binary_search(v).is_err())
        .collect();
    let mut dups = values.clone();
    dups.dedup();
    assert!(
        missing.is_empty(),
        "{} missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(dups.len(), values.len(), "no duplicates in a clean run");
    assert!(got.iter().all(|m| m.header("origin").is_some()));

    let lag = admin::group_lag(&bus, "t1.classify", &[bus.topics.raw()]).unwrap();
    assert_eq!(
        lag.iter().map(|l| l.lag).sum::<i64>(),
        0,
        "all offsets committed: {lag:?}"
    );
}

fn topics_class(bus: &Bus, class: &str) -> String {
    format!("{}.{class}", bus.topics.prefix())
}
