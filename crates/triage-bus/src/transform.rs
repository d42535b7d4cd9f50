//! The at-least-once consume → transform → produce loop.
//!
//! Every input message yields zero or more output messages. The input's offset is *stored* only once every
//! output of it — and of every earlier message, so that offsets advance in order — has been acknowledged by the
//! broker; librdkafka's auto-commit then commits stored offsets only. A crash at any point therefore replays
//! from the last stored offset: nothing is lost, and what is replayed is counted downstream as duplicates.
//!
//! Shutdown (cancellation token): stop fetching, wait for the in-flight acknowledgements (bounded by
//! `drain_timeout`), store their offsets, commit synchronously, flush the producer.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::{StreamExt, stream::FuturesOrdered};
use rdkafka::{
    ClientContext, Message,
    consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer},
    message::Headers,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::{Bus, BusError, OutRecord, Producer};

/// A message read from an input topic, borrowed for the duration of [`Transform::apply`].
pub struct InMessage<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
    pub payload: Option<&'a [u8]>,
    /// Producer or log-append time, milliseconds since the epoch.
    pub timestamp_ms: Option<i64>,
    pub headers: Vec<(&'a str, &'a [u8])>,
}

/// What a stage does to each message. Runs on the consumer task: keep it CPU-bound and quick.
pub trait Transform: Send {
    fn apply(&mut self, msg: &InMessage<'_>, out: &mut Vec<OutRecord>);
}

impl<F> Transform for F
where
    F: FnMut(&InMessage<'_>, &mut Vec<OutRecord>) + Send,
{
    fn apply(&mut self, msg: &InMessage<'_>, out: &mut Vec<OutRecord>) {
        self(msg, out)
    }
}

#[derive(Clone, Debug)]
pub struct TransformOptions {
    /// Consumer group: every copy of the stage with this group shares the partitions.
    pub group_id: String,
    pub input_topics: Vec<String>,
    /// Input messages whose outputs are not yet acknowledged, at most (bounds memory).
    pub max_in_flight: usize,
    /// How long shutdown waits for in-flight acknowledgements.
    pub drain_timeout: Duration,
    /// Name for logs and metrics (`classify`).
    pub stage: String,
}

/// Counters of one run, shared so that the caller can read them while the loop runs.
#[derive(Debug, Default)]
pub struct TransformStats {
    pub consumed: AtomicU64,
    pub produced: AtomicU64,
    pub offsets_stored: AtomicU64,
    pub offset_store_failures: AtomicU64,
    pub rebalances: AtomicU64,
    pub consume_errors: AtomicU64,
}

/// Logs and counts rebalances; storing offsets for partitions revoked meanwhile fails and is counted by the loop.
struct StageContext {
    stage: String,
    stats: Arc<TransformStats>,
}

impl ClientContext for StageContext {}

impl ConsumerContext for StageContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.stats.rebalances.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("triage_rebalances_total", "stage" => self.stage.clone()).increment(1);
        match rebalance {
            Rebalance::Assign(tpl) => {
                info!(stage = %self.stage, partitions = tpl.count(), "partitions assigned")
            }
            Rebalance::Revoke(tpl) => {
                info!(stage = %self.stage, partitions = tpl.count(), "partitions revoked")
            }
            Rebalance::Error(e) => warn!(stage = %self.stage, error = %e, "rebalance error"),
        }
    }
}

type Done = (String, i32, i64);

/// The acknowledgement of every output of one input message, resolving to that input's position.
type PendingAck<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Done, BusError>> + Send + 'a>>;

/// Runs the loop until `shutdown` is cancelled. Returns the final counters.
pub async fn run_transform<T: Transform>(
    bus: &Bus,
    options: TransformOptions,
    mut transform: T,
    producer: &Producer,
    shutdown: CancellationToken,
    stats: Arc<TransformStats>,
) -> Result<Arc<TransformStats>, BusError> {
    let mut cfg = bus.consumer_config(&options.group_id);
    cfg.set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false");
    let context = StageContext {
        stage: options.stage.clone(),
        stats: stats.clone(),
    };
    let consumer: StreamConsumer<StageContext> = cfg
        .create_with_context(context)
        .map_err(BusError::kafka("creating the consumer"))?;
    let topics: Vec<&str> = options.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(BusError::kafka("subscribing"))?;
    info!(stage = %options.stage, group = %options.group_id, topics = ?topics, "stage consuming");

    let stage = options.stage.clone();
    let consumed_metric =
        metrics::counter!("triage_stage_consumed_total", "stage" => stage.clone());
    let produced_metric =
        metrics::counter!("triage_stage_produced_total", "stage" => stage.clone());
    let latency_metric =
        metrics::histogram!("triage_stage_latency_seconds", "stage" => stage.clone());

    let mut in_flight: FuturesOrdered<PendingAck<'_>> = FuturesOrdered::new();
    let mut outputs: Vec<OutRecord> = Vec::new();

    let store = |done: Done, stats: &TransformStats| match consumer
        .store_offset(&done.0, done.1, done.2)
    {
        Ok(()) => {
            stats.offsets_stored.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            // The partition was revoked while its outputs were in flight: its new owner will redo the message.
            stats.offset_store_failures.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("triage_offset_store_failures_total", "stage" => stage.clone())
                .increment(1);
            debug!(topic = %done.0, partition = done.1, offset = done.2, error = %e, "offset not stored");
        }
    };

    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                store(done?, &stats);
            }
            received = consumer.recv(), if in_flight.len() < options.max_in_flight => {
                let msg = match received {
                    Ok(msg) => msg,
                    Err(e) => {
                        stats.consume_errors.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!("triage_consume_errors_total", "stage" => stage.clone()).increment(1);
                        warn!(stage = %stage, error = %e, "consume error");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                stats.consumed.fetch_add(1, Ordering::Relaxed);
                consumed_metric.increment(1);
                let headers: Vec<(&str, &[u8])> = msg
                    .headers()
                    .map(|h| h.iter().filter_map(|h| h.value.map(|v| (h.key, v))).collect())
                    .unwrap_or_default();
                let input = InMessage {
                    topic: msg.topic(),
                    partition: msg.partition(),
                    offset: msg.offset(),
                    key: msg.key(),
                    payload: msg.payload(),
                    timestamp_ms: msg.timestamp().to_millis(),
                    headers,
                };
                outputs.clear();
                transform.apply(&input, &mut outputs);
                let mut acks = Vec::with_capacity(outputs.len());
                for record in outputs.drain(..) {
                    let ack = producer.send(&record).await?;
                    acks.push((record, ack));
                }
                stats.produced.fetch_add(acks.len() as u64, Ordering::Relaxed);
                produced_metric.increment(acks.len() as u64);
                let done: Done = (input.topic.to_owned(), input.partition, input.offset);
                let sent_ms = input.timestamp_ms;
                let latency_metric = latency_metric.clone();
                in_flight.push_back(Box::pin(async move {
                    for (record, ack) in acks {
                        if let Err(e) = ack.wait().await {
                            // librdkafka gave up (broker gone for message.timeout.ms): send again, with backoff.
                            warn!(error = %e, topic = %record.topic, "delivery failed, resending");
                            producer.send_acked(&record, u32::MAX).await?;
                        }
                    }
                    if let Some(sent) = sent_ms {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_millis() as i64)
                            .unwrap_or(sent);
                        latency_metric.record((now - sent).max(0) as f64 / 1000.0);
                    }
                    Ok(done)
                }));
            }
        }
    }

    info!(stage = %stage, in_flight = in_flight.len(), "stopping: draining in-flight messages");
    let drain = async {
        while let Some(done) = in_flight.next().await {
            match done {
                Ok(done) => store(done, &stats),
                Err(e) => {
                    error!(stage = %stage, error = %e, "in-flight message failed during drain")
                }
            }
        }
    };
    if tokio::time::timeout(options.drain_timeout, drain)
        .await
        .is_err()
    {
        warn!(stage = %stage, "drain timed out: the rest will be redone by the next run");
    }
    if let Err(e) = producer.flush(Duration::from_secs(5)) {
        warn!(stage = %stage, error = %e, "producer flush incomplete");
    }
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => info!(stage = %stage, "final offsets committed"),
        // NoOffset: nothing was stored since the last auto-commit.
        Err(e) => debug!(stage = %stage, error = %e, "final commit"),
    }
    consumer.unsubscribe();
    Ok(stats)
}
