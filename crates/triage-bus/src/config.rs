use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use serde::Deserialize;
use triage_model::Class;

/// The `[kafka]` section of the config.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BusConfig {
    /// `host:port,...` of Apache Kafka, Redpanda or MSK. Empty: start the embedded broker.
    #[serde(default)]
    pub brokers: String,
    /// Prefix of every topic of this crisis: `<prefix>.raw`, `<prefix>.offer`, ...
    #[serde(default = "default_prefix")]
    pub topic_prefix: String,
    /// Partitions of each topic created by triage: the most copies of a stage that can share the work.
    #[serde(default = "default_partitions")]
    pub partitions: i32,
    #[serde(default = "default_replication")]
    pub replication_factor: i32,
    /// Consumer group session timeout. Short, because the embedded broker stalls joins with the 45 s default.
    #[serde(default = "default_session_timeout_ms")]
    pub session_timeout_ms: u32,
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// How long a fetch waits on the broker when there is no data yet (librdkafka's `fetch.wait.max.ms`). Kafka
    /// and the embedded broker (patched, see `vendor/README.md`) answer as soon as data arrives, so this bounds
    /// only idle requests, not latency.
    #[serde(default = "default_fetch_wait_max_ms")]
    pub fetch_wait_max_ms: u32,
    /// Extra librdkafka properties for every client (`security.protocol`, `sasl.mechanism`, ...).
    #[serde(default)]
    pub librdkafka: BTreeMap<String, String>,
}

fn default_prefix() -> String {
    "paris".into()
}
const fn default_partitions() -> i32 {
    3
}
const fn default_replication() -> i32 {
    1
}
const fn default_session_timeout_ms() -> u32 {
    6000
}
fn default_client_id() -> String {
    "triage".into()
}
const fn default_fetch_wait_max_ms() -> u32 {
    500
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            brokers: String::new(),
            topic_prefix: default_prefix(),
            partitions: default_partitions(),
            replication_factor: default_replication(),
            session_timeout_ms: default_session_timeout_ms(),
            client_id: default_client_id(),
            fetch_wait_max_ms: default_fetch_wait_max_ms(),
            librdkafka: BTreeMap::new(),
        }
    }
}

/// A resolved connection: the config plus the bootstrap servers actually used (the embedded broker's address
/// when `brokers` was empty).
#[derive(Clone, Debug)]
pub struct Bus {
    pub config: BusConfig,
    pub bootstrap: String,
    pub topics: Topics,
}

impl Bus {
    pub fn new(config: BusConfig, bootstrap: impl Into<String>) -> Bus {
        let topics = Topics::new(&config.topic_prefix);
        Bus {
            config,
            bootstrap: bootstrap.into(),
            topics,
        }
    }

    /// The client config every client starts from.
    pub(crate) fn client_config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", &self.bootstrap)
            .set("client.id", &self.config.client_id)
            // The embedded broker listens on IPv4 only.
            .set("broker.address.family", "v4");
        for (k, v) in &self.config.librdkafka {
            cfg.set(k, v);
        }
        cfg
    }

    pub(crate) fn consumer_config(&self, group_id: &str) -> ClientConfig {
        let mut cfg = self.client_config();
        cfg.set("group.id", group_id)
            .set(
                "session.timeout.ms",
                self.config.session_timeout_ms.to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (self.config.session_timeout_ms / 3).max(100).to_string(),
            )
            .set("auto.offset.reset", "earliest")
            .set(
                "fetch.wait.max.ms",
                self.config.fetch_wait_max_ms.to_string(),
            )
            .set("enable.partition.eof", "false");
        for (k, v) in &self.config.librdkafka {
            cfg.set(k, v);
        }
        cfg
    }
}

/// The topic names of one crisis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topics {
    prefix: String,
}

/// What kind of topic a name is, for creation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicKind {
    /// Ordinary append-only topic.
    Stream,
    /// Compacted: the latest value per key is what counts (cursors).
    Compacted,
}

impl Topics {
    pub fn new(prefix: &str) -> Topics {
        Topics {
            prefix: prefix.to_owned(),
        }
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn raw(&self) -> String {
        format!("{}.raw", self.prefix)
    }
    pub fn class(&self, class: Class) -> String {
        format!("{}.{}", self.prefix, class.as_str())
    }
    pub fn classes(&self) -> Vec<String> {
        Class::ALL.iter().map(|c| self.class(*c)).collect()
    }
    pub fn dlq(&self) -> String {
        format!("{}.dlq", self.prefix)
    }
    pub fn cursors(&self) -> String {
        format!("{}.cursors", self.prefix)
    }
    /// The class a topic name stands for, if it is one of this crisis's class topics.
    pub fn class_of(&self, topic: &str) -> Option<Class> {
        let rest = topic.strip_prefix(&self.prefix)?.strip_prefix('.')?;
        rest.parse().ok()
    }
    /// Every topic of the pipeline, with its kind.
    pub fn all(&self) -> Vec<(String, TopicKind)> {
        let mut all = vec![(self.raw(), TopicKind::Stream)];
        all.extend(self.classes().into_iter().map(|t| (t, TopicKind::Stream)));
        all.push((self.dlq(), TopicKind::Stream));
        all.push((self.cursors(), TopicKind::Compacted));
        all
    }
}
