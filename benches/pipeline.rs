//! End-to-end benchmark of the classify stage on the embedded broker (SQLite storage, as `triage run` uses):
//!
//! - `pipeline/throughput`: posts already in `<p>.raw`, the stage started; time from the first classified
//!   record arriving in a class topic to the last. Goal: ≥ 20,000 posts/s on 2 cores.
//! - `pipeline/latency_at_2000_per_s`: posts produced to `<p>.raw` at a steady 2,000 posts/s; for each, the time
//!   from its produce call to its arrival in a class topic. Criterion reports the mean; p50/p99 are printed and
//!   written to `$CARGO_TARGET_DIR/triage-bench/pipeline-latency.json`. Goal: p99 ≤ 50 ms.
//!
//! Run: `cargo bench --bench pipeline` (takes a few minutes). `TRIAGE_BENCH_STORAGE=memory` runs it on the
//! broker's in-memory storage instead of SQLite, to see what the SQLite writes cost.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio_util::sync::CancellationToken;
use triage::stages::classify::ClassifyStage;
use triage_broker::{EmbeddedBroker, EmbeddedBrokerConfig, Storage};
use triage_bus::{
    Bus, BusConfig, OutRecord, Producer,
    reader::Reader,
    transform::{TransformOptions, TransformStats, run_transform},
};
use triage_classify::{Classifier, Deduper};
use triage_model::{ClassEvent, Post, RawEvent};

fn sample_posts() -> Vec<Post> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/samples/paris-2015-11-13.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("sample stream")
        .lines()
        .filter_map(|l| match RawEvent::decode(l.as_bytes()) {
            Ok(RawEvent::Post(p)) => Some(p),
            _ => None,
        })
        .collect()
}

struct Env {
    _broker: EmbeddedBroker,
    _dir: tempfile::TempDir,
    bootstrap: String,
    posts: Vec<Post>,
    classifier: Arc<Classifier>,
    runs: std::cell::Cell<u32>,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        // TRIAGE_BENCH_STORAGE=memory measures the broker without its SQLite writes (for comparison only:
        // not durable, and its watermarks are wrong, which this benchmark does not use).
        let storage = match std::env::var("TRIAGE_BENCH_STORAGE").as_deref() {
            Ok("memory") => Storage::Memory,
            _ => Storage::Sqlite(dir.path().to_owned()),
        };
        let broker = EmbeddedBroker::start(EmbeddedBrokerConfig {
            storage,
            port: 0,
            ..Default::default()
        })
        .unwrap();
        Env {
            bootstrap: broker.bootstrap_servers(),
            _broker: broker,
            _dir: dir,
            posts: sample_posts(),
            classifier: Arc::new(Classifier::builtin().unwrap()),
            runs: std::cell::Cell::new(0),
        }
    }

    /// A fresh topic prefix per run, so that every run starts from empty topics.
    fn bus(&self) -> Bus {
        self.runs.set(self.runs.get() + 1);
        let prefix = format!("bench{}", self.runs.get());
        Bus::new(
            BusConfig {
                topic_prefix: prefix,
                partitions: 2,
                ..Default::default()
            },
            self.bootstrap.clone(),
        )
    }

    fn post(&self, i: usize, tag: &str) -> (String, Vec<u8>) {
        let mut p = self.posts[i % self.posts.len()].clone();
        p.id = format!("sample:{tag}-{i}");
        p.source = triage_model::Source::Sample;
        (p.id.clone(), serde_json::to_vec(&p).unwrap())
    }
}

fn start_stage(env: &Env, bus: &Bus, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let (bus, classifier) = (bus.clone(), env.classifier.clone());
    tokio::spawn(async move {
        let producer = Producer::new(&bus).unwrap();
        let stage = ClassifyStage::new(
            classifier,
            Deduper::new(&Default::default()),
            bus.topics.clone(),
        );
        let options = TransformOptions {
            group_id: format!("{}.classify", bus.topics.prefix()),
            input_topics: vec![bus.topics.raw()],
            max_in_flight: 20_000,
            drain_timeout: Duration::from_secs(5),
            stage: "classify".into(),
        };
        run_transform(
            &bus,
            options,
            stage,
            &producer,
            shutdown,
            Arc::new(TransformStats::default()),
        )
        .await
        .unwrap();
    })
}

fn id_of(payload: &[u8]) -> Option<String> {
    match ClassEvent::decode(payload) {
        Ok(ClassEvent::Record(r)) => Some(r.id),
        _ => None,
    }
}

async fn throughput_run(env: &Env, n: usize) -> Duration {
    let bus = env.bus();
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all())
        .await
        .unwrap();
    let producer = Producer::new(&bus).unwrap();
    let mut acks = Vec::with_capacity(n);
    for i in 0..n {
        let (key, payload) = env.post(i, "tp");
        let record = OutRecord {
            topic: bus.topics.raw(),
            key: key.into_bytes(),
            payload,
            headers: vec![],
        };
        acks.push(producer.send(&record).await.unwrap());
    }
    for a in acks {
        a.wait().await.unwrap();
    }
    let mut reader = Reader::from_beginning(&bus, &bus.topics.classes(), "bench").unwrap();
    let shutdown = CancellationToken::new();
    let stage = start_stage(env, &bus, shutdown.clone());
    let mut seen = 0usize;
    let mut first = None;
    while seen < n {
        let msg = tokio::time::timeout(Duration::from_secs(60), reader.next())
            .await
            .expect("stalled")
            .unwrap();
        if id_of(msg.payload.as_deref().unwrap_or_default()).is_some() {
            first.get_or_insert_with(Instant::now);
            seen += 1;
        }
    }
    let elapsed = first.unwrap().elapsed();
    shutdown.cancel();
    stage.await.unwrap();
    // Scale to the full n (the first record's own time is not measured).
    elapsed.mul_f64(n as f64 / (n - 1) as f64)
}

async fn latency_run(env: &Env, rate: u32, seconds: u32) -> Vec<Duration> {
    let bus = env.bus();
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all())
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let stage = start_stage(env, &bus, shutdown.clone());
    let mut reader = Reader::from_beginning(&bus, &bus.topics.classes(), "bench-lat").unwrap();
    // Warm up: the group join takes ~3 s on this broker; wait until a first post goes through.
    let producer = Producer::new(&bus).unwrap();
    let (key, payload) = env.post(0, "warm");
    producer
        .send_acked(
            &OutRecord {
                topic: bus.topics.raw(),
                key: key.into_bytes(),
                payload,
                headers: vec![],
            },
            3,
        )
        .await
        .unwrap();
    while id_of(
        reader
            .next()
            .await
            .unwrap()
            .payload
            .as_deref()
            .unwrap_or_default(),
    )
    .is_none()
    {}

    let n = (rate * seconds) as usize;
    let sent: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let send_task = {
        let (sent, producer, topic) = (sent.clone(), producer.clone(), bus.topics.raw());
        let posts: Vec<(String, Vec<u8>)> = (0..n).map(|i| env.post(i, "lat")).collect();
        tokio::spawn(async move {
            let start = Instant::now();
            let period = Duration::from_secs_f64(1.0 / rate as f64);
            let mut acks = Vec::new();
            for (i, (key, payload)) in posts.into_iter().enumerate() {
                tokio::time::sleep_until((start + period * i as u32).into()).await;
                sent.lock().unwrap().insert(key.clone(), Instant::now());
                let record = OutRecord {
                    topic: topic.clone(),
                    key: key.into_bytes(),
                    payload,
                    headers: vec![],
                };
                acks.push(producer.send(&record).await.unwrap());
            }
            for a in acks {
                a.wait().await.unwrap();
            }
        })
    };
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        let msg = tokio::time::timeout(Duration::from_secs(60), reader.next())
            .await
            .expect("stalled")
            .unwrap();
        let arrived = Instant::now();
        if let Some(id) = id_of(msg.payload.as_deref().unwrap_or_default())
            && let Some(t0) = sent.lock().unwrap().remove(&id)
        {
            latencies.push(arrived - t0);
        }
    }
    send_task.await.unwrap();
    shutdown.cancel();
    stage.await.unwrap();
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let env = rt.block_on(async { Env::new() });

    let mut group = c.benchmark_group("pipeline");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(1));
    let n = 20_000;
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("throughput", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(throughput_run(&env, n)))
                .sum::<Duration>()
        })
    });

    let (rate, seconds) = (2_000, 10);
    let mut all = Vec::new();
    group.throughput(Throughput::Elements(1));
    group.bench_function("latency_at_2000_per_s", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut count = 0u64;
            while count < iters {
                let lats = rt.block_on(latency_run(&env, rate, seconds));
                for l in &lats {
                    if count < iters {
                        total += *l;
                        count += 1;
                    }
                }
                all.extend(lats);
            }
            total
        })
    });
    group.finish();

    all.sort();
    if !all.is_empty() {
        let (p50, p90, p99, max) = (
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            *all.last().unwrap(),
        );
        println!(
            "pipeline latency at {rate} posts/s over {} posts: p50 {p50:?}  p90 {p90:?}  p99 {p99:?}  max {max:?}",
            all.len()
        );
        let dir = std::path::Path::new(
            &std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
        )
        .join("triage-bench");
        let _ = std::fs::create_dir_all(&dir);
        let json = serde_json::json!({
            "rate_per_s": rate, "posts": all.len(),
            "p50_ms": p50.as_secs_f64() * 1e3, "p90_ms": p90.as_secs_f64() * 1e3,
            "p99_ms": p99.as_secs_f64() * 1e3, "max_ms": max.as_secs_f64() * 1e3,
        });
        let _ = std::fs::write(dir.join("pipeline-latency.json"), json.to_string());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
