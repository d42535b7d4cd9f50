//! Ingest wiring: the ingest crate's sink and cursor store over Kafka.

use std::{collections::HashMap, sync::Arc, time::Duration};

use tokio::sync::Mutex;
use triage_bus::{Bus, OutRecord, Producer, reader::Reader};
use triage_ingest::{CursorError, CursorStore, RawSink, SinkError};
use triage_model::RawEvent;

/// Produces to `<prefix>.raw`, keyed by post id, and resolves once the broker acknowledged the whole batch.
pub struct KafkaRawSink {
    producer: Producer,
    topic: String,
}

impl KafkaRawSink {
    pub fn new(bus: &Bus, producer: Producer) -> KafkaRawSink {
        KafkaRawSink {
            producer,
            topic: bus.topics.raw(),
        }
    }
}

impl RawSink for KafkaRawSink {
    async fn send_batch(&self, events: Vec<RawEvent>) -> Result<(), SinkError> {
        let mut acks = Vec::with_capacity(events.len());
        for event in &events {
            let record = OutRecord {
                topic: self.topic.clone(),
                key: event.id().as_bytes().to_vec(),
                payload: event.encode(),
                headers: Vec::new(),
            };
            let ack = self
                .producer
                .send(&record)
                .await
                .map_err(|e| SinkError::new(e.to_string()))?;
            acks.push((record, ack));
        }
        for (record, ack) in acks {
            if ack.wait().await.is_err() {
                // One more try with backoff before the source is told the batch failed (it will resend it).
                self.producer
                    .send_acked(&record, 5)
                    .await
                    .map_err(|e| SinkError::new(e.to_string()))?;
            }
        }
        Ok(())
    }
}

/// Cursors in the compacted `<prefix>.cursors` topic: read whole at start, written through on save. Any
/// stateless worker finds them again.
pub struct KafkaCursorStore {
    producer: Producer,
    topic: String,
    cache: Mutex<HashMap<String, String>>,
}

impl KafkaCursorStore {
    pub async fn open(bus: &Bus, producer: Producer) -> anyhow::Result<Arc<KafkaCursorStore>> {
        let topic = bus.topics.cursors();
        let mut reader = Reader::from_beginning(bus, std::slice::from_ref(&topic), "cursors")?;
        let mut cache = HashMap::new();
        for msg in reader.read_to_end(Duration::from_secs(30)).await? {
            if let (Some(key), Some(value)) = (msg.key, msg.payload) {
                cache.insert(
                    String::from_utf8_lossy(&key).into_owned(),
                    String::from_utf8_lossy(&value).into_owned(),
                );
            }
        }
        tracing::info!(cursors = cache.len(), "cursors loaded");
        Ok(Arc::new(KafkaCursorStore {
            producer,
            topic,
            cache: Mutex::new(cache),
        }))
    }
}

impl CursorStore for KafkaCursorStore {
    async fn load(&self, key: &str) -> Result<Option<String>, CursorError> {
        Ok(self.cache.lock().await.get(key).cloned())
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CursorError> {
        let record = OutRecord {
            topic: self.topic.clone(),
            key: key.as_bytes().to_vec(),
            payload: value.as_bytes().to_vec(),
            headers: Vec::new(),
        };
        self.producer
            .send_acked(&record, 5)
            .await
            .map_err(|e| CursorError::new(e.to_string()))?;
        self.cache
            .lock()
            .await
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
