//! Gateway wiring: every class topic, read from the beginning, into the gateway's state.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use triage_bus::{Bus, reader::Reader};
use triage_gateway::Gateway;
use triage_model::ClassEvent;

/// Feeds the gateway until `shutdown`. The gateway keeps no database: its state is rebuilt from the topics at
/// every start, which is why it reads from the beginning without committing.
pub async fn feed_gateway(
    bus: Bus,
    gateway: Gateway,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let topics = bus.topics.classes();
    let mut reader = Reader::from_beginning(&bus, &topics, "gateway")?;
    let lag_gauge = metrics::gauge!("triage_consumer_lag", "stage" => "gateway");
    let mut last_lag = std::time::Instant::now();
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
        if last_lag.elapsed() > Duration::from_secs(2) {
            last_lag = std::time::Instant::now();
            if let Ok(lag) = reader.lag() {
                lag_gauge.set(lag as f64);
            }
        }
    }
}
