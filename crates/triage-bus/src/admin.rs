//! Topic administration: idempotent creation and listing.

use std::time::Duration;

use rdkafka::{
    admin::{AdminClient, AdminOptions, NewTopic, TopicReplication},
    client::DefaultClientContext,
    consumer::{BaseConsumer, Consumer},
    types::RDKafkaErrorCode,
};
use tracing::{debug, info};

use crate::{Bus, BusError, config::TopicKind};

const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A topic as the cluster reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: usize,
}

/// Creates the topics that do not exist yet, with the configured partition count; existing ones are left as
/// they are. Safe to call from every stage at start and from several processes at once.
pub async fn ensure_topics(
    bus: &Bus,
    topics: &[(String, TopicKind)],
) -> Result<Vec<String>, BusError> {
    let existing: Vec<String> = list_topics(bus)?.into_iter().map(|t| t.name).collect();
    let missing: Vec<&(String, TopicKind)> = topics
        .iter()
        .filter(|(name, _)| !existing.contains(name))
        .collect();
    if missing.is_empty() {
        debug!("all {} topics exist", topics.len());
        return Ok(Vec::new());
    }
    let admin: AdminClient<DefaultClientContext> = bus
        .client_config()
        .create()
        .map_err(BusError::kafka("creating the admin client"))?;
    let new_topics: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|(name, kind)| {
            let topic = NewTopic::new(
                name,
                bus.config.partitions,
                TopicReplication::Fixed(bus.config.replication_factor),
            );
            match kind {
                TopicKind::Compacted => topic.set("cleanup.policy", "compact"),
                TopicKind::Stream => topic,
            }
        })
        .collect();
    let results = admin
        .create_topics(
            &new_topics,
            &AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT)),
        )
        .await
        .map_err(BusError::kafka("creating topics"))?;
    let mut created = Vec::new();
    for result in results {
        match result {
            Ok(name) => {
                info!(topic = %name, partitions = bus.config.partitions, "created topic");
                created.push(name);
            }
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                debug!(topic = %name, "topic already exists (created concurrently)");
            }
            Err((name, code)) => {
                return Err(BusError::CreateTopic {
                    topic: name,
                    reason: code.to_string(),
                });
            }
        }
    }
    // Metadata propagates asynchronously; wait until every topic is visible so that the first produce succeeds.
    let wanted: Vec<&String> = topics.iter().map(|(n, _)| n).collect();
    let started = std::time::Instant::now();
    loop {
        let seen: Vec<String> = list_topics(bus)?.into_iter().map(|t| t.name).collect();
        if wanted.iter().all(|w| seen.contains(w)) {
            break;
        }
        if started.elapsed() > ADMIN_TIMEOUT {
            return Err(BusError::Timeout(ADMIN_TIMEOUT));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(created)
}

/// Every topic of the cluster with its partition count, internal topics left out.
pub fn list_topics(bus: &Bus) -> Result<Vec<TopicInfo>, BusError> {
    let consumer: BaseConsumer = bus
        .client_config()
        .create()
        .map_err(BusError::kafka("creating a metadata client"))?;
    let metadata = consumer
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(BusError::kafka("fetching metadata"))?;
    let mut topics: Vec<TopicInfo> = metadata
        .topics()
        .iter()
        .filter(|t| !t.name().starts_with("__") && t.error().is_none())
        .map(|t| TopicInfo {
            name: t.name().to_owned(),
            partitions: t.partitions().len(),
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(topics)
}

/// Lag of a consumer group on one partition: messages written but not yet committed by the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    pub committed: Option<i64>,
    pub high_watermark: i64,
    pub lag: i64,
}

/// The lag of `group` on `topics`, from its committed offsets and the partitions' high watermarks.
pub fn group_lag(bus: &Bus, group: &str, topics: &[String]) -> Result<Vec<PartitionLag>, BusError> {
    let consumer: BaseConsumer = bus
        .consumer_config(group)
        .create()
        .map_err(BusError::kafka("creating a lag client"))?;
    let metadata = consumer
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(BusError::kafka("fetching metadata"))?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    for t in metadata
        .topics()
        .iter()
        .filter(|t| topics.iter().any(|n| n == t.name()))
    {
        for p in t.partitions() {
            tpl.add_partition(t.name(), p.id());
        }
    }
    let committed = consumer
        .committed_offsets(tpl, ADMIN_TIMEOUT)
        .map_err(BusError::kafka("fetching committed offsets"))?;
    let mut lags = Vec::new();
    for elem in committed.elements() {
        let (low, high) = consumer
            .fetch_watermarks(elem.topic(), elem.partition(), ADMIN_TIMEOUT)
            .map_err(BusError::kafka("fetching watermarks"))?;
        let committed = elem.offset().to_raw().filter(|o| *o >= 0);
        let lag = high - committed.unwrap_or(low);
        lags.push(PartitionLag {
            topic: elem.topic().to_owned(),
            partition: elem.partition(),
            committed,
            high_watermark: high,
            lag: lag.max(0),
        });
    }
    Ok(lags)
}
