use std::time::Duration;

use rdkafka::{
    error::{KafkaError, RDKafkaErrorCode},
    message::{Header, OwnedHeaders},
    producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer as _},
};
use tracing::warn;

use crate::{Bus, BusError};

/// One message to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutRecord {
    pub topic: String,
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// An idempotent producer (`enable.idempotence=true`, `acks=all`): a retried send never writes a message twice,
/// and messages to one partition stay in order.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
}

/// A pending acknowledgement: resolves when the broker has the message.
pub struct Ack {
    topic: String,
    fut: DeliveryFuture,
}

impl Ack {
    /// Waits for the broker. `Ok((partition, offset))` once the message is durable.
    pub async fn wait(self) -> Result<(i32, i64), BusError> {
        match self.fut.await {
            Ok(Ok(delivery)) => Ok((delivery.partition, delivery.offset)),
            Ok(Err((source, _))) => Err(BusError::Kafka {
                context: format!("delivering to {}", self.topic),
                source,
            }),
            Err(_) => Err(BusError::DeliveryCancelled { topic: self.topic }),
        }
    }
}

impl Producer {
    pub fn new(bus: &Bus) -> Result<Producer, BusError> {
        let mut cfg = bus.client_config();
        cfg.set("enable.idempotence", "true")
            .set("acks", "all")
            // Small batches: latency matters more than the last percent of throughput on a crisis desk.
            .set("linger.ms", "2")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "200000")
            // Retry for as long as it takes a broker to come back (a produce that fails is retried by the caller).
            .set("message.timeout.ms", "120000");
        for (k, v) in &bus.config.librdkafka {
            cfg.set(k, v);
        }
        let inner: FutureProducer = cfg
            .create()
            .map_err(BusError::kafka("creating the producer"))?;
        Ok(Producer { inner })
    }

    /// Hands a message to the producer's queue and returns its pending acknowledgement. Waits (without blocking
    /// the runtime) while the local queue is full.
    pub async fn send(&self, record: &OutRecord) -> Result<Ack, BusError> {
        loop {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for (k, v) in &record.headers {
                headers = headers.insert(Header {
                    key: k,
                    value: Some(v),
                });
            }
            let fr = FutureRecord::to(&record.topic)
                .key(&record.key)
                .payload(&record.payload)
                .headers(headers);
            match self.inner.send_result(fr) {
                Ok(fut) => {
                    return Ok(Ack {
                        topic: record.topic.clone(),
                        fut,
                    });
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((source, _)) => {
                    return Err(BusError::Kafka {
                        context: format!("queueing a message for {}", record.topic),
                        source,
                    });
                }
            }
        }
    }

    /// Sends and waits for the acknowledgement, retrying with backoff (up to `attempts` times) when the
    /// delivery fails, so that a broker outage delays the pipeline instead of losing data.
    pub async fn send_acked(
        &self,
        record: &OutRecord,
        attempts: u32,
    ) -> Result<(i32, i64), BusError> {
        let mut backoff = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match self.send(record).await {
                Ok(ack) => ack.wait().await,
                Err(e) => Err(e),
            };
            match result {
                Ok(done) => return Ok(done),
                Err(e) if attempt < attempts => {
                    metrics::counter!("triage_produce_retries_total", "topic" => record.topic.clone())
                        .increment(1);
                    warn!(error = %e, attempt, ?backoff, "produce failed, retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends everything still queued. Must be called before exit: a dropped producer purges its queue.
    pub fn flush(&self, timeout: Duration) -> Result<(), BusError> {
        self.inner
            .flush(timeout)
            .map_err(BusError::kafka("flushing the producer"))
    }

    /// Messages handed to the producer and not yet acknowledged.
    pub fn in_flight(&self) -> i32 {
        self.inner.in_flight_count()
    }
}
