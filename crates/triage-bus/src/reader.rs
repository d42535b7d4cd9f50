//! Readers that only consume: the gateway rebuilding its state, `triage tail`, the cursor store, and tests.

use std::{collections::HashMap, time::Duration};

use rdkafka::{
    Message, Offset, TopicPartitionList,
    consumer::{Consumer, StreamConsumer},
    message::Headers,
};

use crate::{Bus, BusError};

const METADATA_TIMEOUT: Duration = Duration::from_secs(30);

/// A message read, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub timestamp_ms: Option<i64>,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Received {
    pub fn header(&self, key: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_slice())
    }
}

/// Reads every partition of some topics from the beginning, without joining a group (no rebalance wait, no
/// committed offsets: every reader sees the whole topic).
pub struct Reader {
    consumer: StreamConsumer,
    /// Next offset to read per (topic, partition), for lag and end-of-topic checks.
    positions: HashMap<(String, i32), i64>,
}

impl Reader {
    /// Assigns all partitions of `topics` at their beginning. `label` names the reader in logs (`client.id`).
    pub fn from_beginning(bus: &Bus, topics: &[String], label: &str) -> Result<Reader, BusError> {
        let mut cfg = bus.consumer_config(&format!("{}-reader-{label}", bus.config.client_id));
        cfg.set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        let consumer: StreamConsumer =
            cfg.create().map_err(BusError::kafka("creating a reader"))?;
        let metadata = consumer
            .fetch_metadata(None, METADATA_TIMEOUT)
            .map_err(BusError::kafka("fetching metadata"))?;
        let mut tpl = TopicPartitionList::new();
        let mut positions = HashMap::new();
        for topic in topics {
            let Some(meta) = metadata.topics().iter().find(|t| t.name() == topic) else {
                return Err(BusError::MissingTopic(topic.clone()));
            };
            if meta.partitions().is_empty() {
                return Err(BusError::MissingTopic(topic.clone()));
            }
            for p in meta.partitions() {
                tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
                    .map_err(BusError::kafka("building the assignment"))?;
                positions.insert((topic.clone(), p.id()), 0);
            }
        }
        consumer
            .assign(&tpl)
            .map_err(BusError::kafka("assigning partitions"))?;
        Ok(Reader {
            consumer,
            positions,
        })
    }

    /// The next message, waiting for one.
    pub async fn next(&mut self) -> Result<Received, BusError> {
        let msg = self
            .consumer
            .recv()
            .await
            .map_err(BusError::kafka("reading"))?;
        let received = Received {
            topic: msg.topic().to_owned(),
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(<[u8]>::to_vec),
            payload: msg.payload().map(<[u8]>::to_vec),
            timestamp_ms: msg.timestamp().to_millis(),
            headers: msg
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default(),
        };
        self.positions.insert(
            (received.topic.clone(), received.partition),
            received.offset + 1,
        );
        Ok(received)
    }

    /// Messages in the assigned partitions not read yet (high watermark minus position).
    ///
    /// Blocking, and slow: one watermark request per partition on the reader's own connection, queued behind
    /// its fetches. Call it from `spawn_blocking`, never inside a read loop that must stay live.
    pub fn lag(&self) -> Result<i64, BusError> {
        let mut lag = 0;
        for ((topic, partition), position) in &self.positions {
            let (low, high) = self
                .consumer
                .fetch_watermarks(topic, *partition, METADATA_TIMEOUT)
                .map_err(BusError::kafka("fetching watermarks"))?;
            lag += (high - (*position).max(low)).max(0);
        }
        Ok(lag)
    }

    /// Reads everything written so far (up to the high watermarks seen when called), then returns it.
    /// Gives up after `idle` with no message while messages are still expected.
    pub async fn read_to_end(&mut self, idle: Duration) -> Result<Vec<Received>, BusError> {
        let mut targets = HashMap::new();
        for (topic, partition) in self.positions.keys() {
            let (_, high) = self
                .consumer
                .fetch_watermarks(topic, *partition, METADATA_TIMEOUT)
                .map_err(BusError::kafka("fetching watermarks"))?;
            targets.insert((topic.clone(), *partition), high);
        }
        let mut out = Vec::new();
        loop {
            let done = targets
                .iter()
                .all(|(k, high)| self.positions.get(k).copied().unwrap_or(0) >= *high);
            if done {
                return Ok(out);
            }
            match tokio::time::timeout(idle, self.next()).await {
                Ok(msg) => out.push(msg?),
                Err(_) => return Err(BusError::Timeout(idle)),
            }
        }
    }
}
