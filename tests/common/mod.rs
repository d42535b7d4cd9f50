//! Shared helpers for the integration tests: a real broker (the embedded tansu broker, SQLite storage, started
//! by the tests), the `triage` binary as child processes, and readers of the output topics.

#![allow(dead_code)]

use std::{
    collections::{BTreeMap, HashSet},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use triage_broker::{EmbeddedBroker, EmbeddedBrokerConfig, Storage};
use triage_bus::{Bus, BusConfig, OutRecord, Producer, reader::Reader};
use triage_model::{ClassEvent, RawEvent};

/// One broker per test binary; every test uses its own topic prefix.
pub fn broker() -> &'static str {
    static BROKER: OnceLock<(EmbeddedBroker, tempfile::TempDir)> = OnceLock::new();
    let (broker, _) = BROKER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let broker = EmbeddedBroker::start(EmbeddedBrokerConfig {
            storage: Storage::Sqlite(dir.path().to_owned()),
            port: 0,
            ..Default::default()
        })
        .expect("the embedded broker starts");
        (broker, dir)
    });
    Box::leak(broker.bootstrap_servers().into_boxed_str())
}

pub fn bus(prefix: &str) -> Bus {
    Bus::new(
        BusConfig {
            topic_prefix: prefix.into(),
            ..Default::default()
        },
        broker(),
    )
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `n` posts built from the bundled sample stream, cycled with fresh ids so that every id is unique.
pub fn sample_posts(n: usize, tag: &str) -> Vec<triage_model::Post> {
    let text = std::fs::read_to_string(repo_path("config/samples/paris-2015-11-13.jsonl"))
        .expect("the bundled sample stream exists");
    let base: Vec<triage_model::Post> = text
        .lines()
        .filter_map(|l| match RawEvent::decode(l.as_bytes()) {
            Ok(RawEvent::Post(p)) => Some(p),
            _ => None,
        })
        .collect();
    assert!(base.len() > 1000, "sample stream too small: {}", base.len());
    (0..n)
        .map(|i| {
            let mut p = base[i % base.len()].clone();
            p.source = triage_model::Source::Sample;
            p.id = format!("sample:{tag}-{i}");
            p.repost_of = None;
            p
        })
        .collect()
}

/// Writes events to the raw topic directly (as ingest would), waiting for every acknowledgement.
pub async fn produce_raw(bus: &Bus, payloads: Vec<(String, Vec<u8>)>) {
    let producer = Producer::new(bus).expect("producer");
    let mut acks = Vec::with_capacity(payloads.len());
    for (key, payload) in payloads {
        let record = OutRecord {
            topic: bus.topics.raw(),
            key: key.into_bytes(),
            payload,
            headers: vec![],
        };
        acks.push(producer.send(&record).await.expect("queued"));
    }
    for ack in acks {
        ack.wait().await.expect("acknowledged");
    }
}

/// Writes events to the raw topic at about `per_second`, in the background, so that a stage is certainly
/// mid-stream while they arrive.
pub fn produce_raw_paced(
    bus: &Bus,
    payloads: Vec<(String, Vec<u8>)>,
    per_second: usize,
) -> tokio::task::JoinHandle<()> {
    let bus = bus.clone();
    tokio::spawn(async move {
        let chunk = (per_second / 20).max(1);
        let mut rest = payloads;
        while !rest.is_empty() {
            let tail = rest.split_off(chunk.min(rest.len()));
            produce_raw(&bus, rest).await;
            rest = tail;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

pub async fn create_topics(bus: &Bus) {
    triage_bus::admin::ensure_topics(bus, &bus.topics.all())
        .await
        .expect("topics");
}

/// A `triage` child process; its stderr goes to a log file, printed by [`Triage::log`] for failure messages.
/// Killed when dropped (a failing test leaves nothing behind).
pub struct Triage {
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Triage {
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Triage {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("triage.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_triage"))
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn,triage=info,triage_ingest=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("triage starts");
        Triage {
            child,
            log,
            _dir: dir,
        }
    }

    /// `triage classify` on the test broker.
    pub fn classify(prefix: &str) -> Triage {
        Triage::start(
            &["--brokers", broker(), "--topic-prefix", prefix, "classify"],
            &[],
        )
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The process's log so far (for failure messages).
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(40)..];
        format!(
            "--- triage log (last {} lines) ---\n{}\n---",
            tail.len(),
            tail.join("\n")
        )
    }

    /// Panics (with the log) if the process already exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("triage exited early with {status}\n{}", self.log());
        }
    }

    /// Waits for the process to exit by itself.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                started.elapsed() < timeout,
                "triage did not exit within {timeout:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        self.terminate_timed().0
    }

    /// SIGTERM, then the exit status and how long the process took to exit (at most 30 s).
    pub fn terminate_timed(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "kill -TERM failed");
        let status = self.wait(Duration::from_secs(30));
        (status, started.elapsed())
    }

    /// SIGKILL: no graceful path at all.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Triage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What came out of the pipeline: record ids per class topic, tombstones, and dead letters with their reason.
#[derive(Debug, Default)]
pub struct Outputs {
    /// id → topics it was written to (one entry per copy).
    pub records: BTreeMap<String, Vec<String>>,
    pub tombstones: usize,
    /// (key, reason header, payload)
    pub dead_letters: Vec<(String, String, Vec<u8>)>,
}

impl Outputs {
    pub fn ids(&self) -> HashSet<&str> {
        self.records.keys().map(String::as_str).collect()
    }
    /// Copies beyond the first, over all ids.
    pub fn duplicates(&self) -> usize {
        self.records.values().map(|v| v.len() - 1).sum()
    }
}

/// Reads the class topics and the DLQ until `done` says enough arrived (or the deadline passes).
pub async fn read_outputs(
    bus: &Bus,
    deadline: Duration,
    done: impl Fn(&Outputs) -> bool,
) -> Outputs {
    let mut topics = bus.topics.classes();
    topics.push(bus.topics.dlq());
    let mut reader = Reader::from_beginning(bus, &topics, "test").expect("reader");
    let mut out = Outputs::default();
    let started = Instant::now();
    while !done(&out) && started.elapsed() < deadline {
        let Ok(msg) = tokio::time::timeout(Duration::from_millis(500), reader.next()).await else {
            continue;
        };
        let msg = msg.expect("read");
        if msg.topic == bus.topics.dlq() {
            let reason =
                String::from_utf8_lossy(msg.header("triage.dlq.reason").unwrap_or_default())
                    .into_owned();
            let key = String::from_utf8_lossy(msg.key.as_deref().unwrap_or_default()).into_owned();
            out.dead_letters
                .push((key, reason, msg.payload.unwrap_or_default()));
            continue;
        }
        match ClassEvent::decode(msg.payload.as_deref().unwrap_or_default())
            .expect("class topics hold valid records")
        {
            ClassEvent::Record(r) => {
                assert_eq!(
                    bus.topics.class(r.class),
                    msg.topic,
                    "a record is in its class's topic"
                );
                out.records.entry(r.id).or_default().push(msg.topic);
            }
            ClassEvent::Tombstone(_) => out.tombstones += 1,
        }
    }
    out
}

/// Reads until no message arrived for `quiet` (to catch late duplicates after the expected set is complete).
pub async fn read_all_settled(bus: &Bus, quiet: Duration) -> Outputs {
    let mut topics = bus.topics.classes();
    topics.push(bus.topics.dlq());
    let mut reader = Reader::from_beginning(bus, &topics, "settle").expect("reader");
    let mut out = Outputs::default();
    while let Ok(msg) = tokio::time::timeout(quiet, reader.next()).await {
        let msg = msg.expect("read");
        if msg.topic == bus.topics.dlq() {
            out.dead_letters
                .push((String::new(), String::new(), Vec::new()));
            continue;
        }
        if let Ok(ClassEvent::Record(r)) =
            ClassEvent::decode(msg.payload.as_deref().unwrap_or_default())
        {
            out.records.entry(r.id).or_default().push(msg.topic);
        }
    }
    out
}
