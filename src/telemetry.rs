//! Logs and metrics. Logs go through `tracing` (`RUST_LOG`, `--log-format json`); metrics through the `metrics`
//! facade into a Prometheus recorder that the gateway renders at `/metrics`.

use std::{sync::Arc, time::Duration};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};
use triage_bus::{Bus, admin::PartitionLag};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the log subscriber. Logs go to stderr so that stdout stays clean for JSONL output.
pub fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,librdkafka=warn,rdkafka=warn,tansu=warn,tansu_broker=warn,tansu_storage=warn,tansu_sans_io=warn,libsql=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .init(),
    }
}

/// Installs the Prometheus recorder and returns a renderer for `/metrics`.
pub fn init_metrics() -> anyhow::Result<Arc<dyn Fn() -> String + Send + Sync>> {
    let handle: PrometheusHandle = PrometheusBuilder::new()
        .set_buckets(&[
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ])?
        .install_recorder()?;
    let upkeep = handle.clone();
    // The recorder's histograms need periodic upkeep when no HTTP exporter runs it.
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })?;
    Ok(Arc::new(move || handle.render()))
}

/// Sets `triage_consumer_lag{stage}` every 5 s until `shutdown`, to what `lag` makes of the committed offsets
/// of `group` and the high watermarks of `topics` (`None`: leave the gauge as it is). The admin calls block (a
/// fresh client, metadata, a watermark request per partition), so they run on the blocking pool, never on a
/// stage's loop.
pub fn spawn_lag_gauge(
    bus: Bus,
    stage: &'static str,
    group: String,
    topics: Vec<String>,
    shutdown: CancellationToken,
    lag: impl Fn(&[PartitionLag]) -> Option<i64> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let gauge = metrics::gauge!("triage_consumer_lag", "stage" => stage);
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
            if let Some(lag) = lag(&partitions) {
                gauge.set(lag as f64);
            }
        }
    })
}

/// One struct per notable thing that happens in the binary's stages: `emit` both logs and counts.
pub mod events {
    use triage_model::Class;

    pub struct Classified {
        pub class: Class,
        pub needs_review: bool,
    }

    impl Classified {
        pub fn emit(&self) {
            metrics::counter!("triage_posts_classified_total", "class" => self.class.as_str(), "needs_review" => if self.needs_review { "true" } else { "false" }).increment(1);
            tracing::trace!(class = %self.class, needs_review = self.needs_review, "classified");
        }
    }

    pub struct DeadLettered<'a> {
        pub stage: &'static str,
        pub reason: &'a str,
    }

    impl DeadLettered<'_> {
        pub fn emit(&self, detail: &str) {
            metrics::counter!("triage_dlq_total", "stage" => self.stage, "reason" => self.reason.to_owned()).increment(1);
            tracing::warn!(
                stage = self.stage,
                reason = self.reason,
                detail,
                "message sent to the dead-letter topic"
            );
        }
    }

    pub struct Retracted;

    impl Retracted {
        pub fn emit(&self) {
            metrics::counter!("triage_tombstones_total").increment(1);
            tracing::debug!("deletion forwarded");
        }
    }
}
