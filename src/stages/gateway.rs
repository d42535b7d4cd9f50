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
    spawn_lag_gauge(bus.clone(), topics, positions.clone(), shutdown.clone());
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

/// The gateway's lag gauge, measured off the read loop. Not `reader.lag()` inside the loop: it is blocking and
/// asks for the watermarks one partition at a time on the reader's own connection, queued behind its long-poll
/// fetches (about 0.5 s each on the embedded broker: 9 s for the 18 class partitions). Called there, it
/// stalled the feed, and the SSE task that `apply` had just woken (in the blocked worker's LIFO slot), for
/// seconds: a post took over 10 s to reach the dashboard.
fn spawn_lag_gauge(
    bus: Bus,
    topics: Vec<String>,
    positions: Positions,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let gauge = metrics::gauge!("triage_consumer_lag", "stage" => "gateway");
        // A group that never commits: only the partitions' high watermarks are used.
        let group = format!("{}.gateway-lag", bus.topics.prefix());
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            let (b, g, t) = (bus.clone(), group.clone(), topics.clone());
            let Ok(Ok(partitions)) =
                tokio::task::spawn_blocking(move || triage_bus::admin::group_lag(&b, &g, &t)).await
            else {
                continue;
            };
            let Ok(read) = positions.lock().map(|p| p.clone()) else {
                continue;
            };
            let lag: i64 = partitions
                .iter()
                .map(|p| {
                    (p.high_watermark
                        - read
                            .get(&(p.topic.clone(), p.partition))
                            .copied()
                            .unwrap_or(0))
                    .max(0)
                })
                .sum();
            gauge.set(lag as f64);
        }
    });
}
