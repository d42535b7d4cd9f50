//! Gateway wiring: every class topic, read from the beginning, into the gateway's state.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio_util::sync::CancellationToken;
use triage_bus::{Bus, reader::Reader};
use triage_gateway::Gateway;
use triage_model::ClassEvent;

/// Next offset to apply per (topic, partition), shared with the lag gauge.
type Positions = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// Feeds the gateway until `shutdown`. The gateway keeps no database: its state is rebuilt from the topics at
/// every start, which is why it reads from the beginning without committing.
pub async fn feed_gateway(
    bus: Bus,
    gateway: Gateway,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let topics = bus.topics.classes();
    let mut reader = Reader::from_beginning(&bus, &topics, "gateway")?;
    let positions = Positions::default();
    // The gateway commits nothing (it rereads from the beginning), so its lag is the high watermarks minus
    // its read positions; the group named here never commits and only brings the watermarks.
    // Measured off the read loop, not with `reader.lag()` inside it: that is blocking and asks for the
    // watermarks one partition at a time on the reader's own connection, queued behind its long-poll fetches
    // (about 0.5 s each on the embedded broker: 9 s for the 18 class partitions). Called there, it stalled the
    // feed, and the SSE task that `apply` had just woken (in the blocked worker's LIFO slot), for seconds: a
    // post took over 10 s to reach the dashboard.
    let read = positions.clone();
    crate::telemetry::spawn_lag_gauge(
        bus.clone(),
        "gateway",
        format!("{}.gateway-lag", bus.topics.prefix()),
        topics.clone(),
        shutdown.clone(),
        move |partitions| {
            let read = read.lock().ok()?;
            let behind = |p: &triage_bus::admin::PartitionLag| {
                let at = read.get(&(p.topic.clone(), p.partition)).copied();
                (p.high_watermark - at.unwrap_or(0)).max(0)
            };
            Some(partitions.iter().map(behind).sum())
        },
    );
    loop {
        let msg = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            msg = reader.next() => msg,
        };
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "gateway read error");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if let Ok(mut p) = positions.lock() {
            p.insert((msg.topic.clone(), msg.partition), msg.offset + 1);
        }
        let Some(class) = bus.topics.class_of(&msg.topic) else {
            continue;
        };
        match ClassEvent::decode(msg.payload.as_deref().unwrap_or_default()) {
            Ok(event) => gateway.apply(event, class, msg.partition, msg.offset),
            Err(e) => {
                metrics::counter!("triage_gateway_undecodable_total").increment(1);
                tracing::warn!(topic = %msg.topic, offset = msg.offset, error = %e, "undecodable class record");
            }
        }
    }
}
