//! Everything triage knows about Kafka. This is the only crate that uses rdkafka (an architecture invariant):
//! the stages hand it bytes and get bytes back, so the same code runs against the embedded broker, Apache Kafka,
//! Redpanda or MSK.
//!
//! - [`Topics`]: the topic names of one crisis (`<prefix>.raw`, `<prefix>.offer`, …, `<prefix>.dlq`).
//! - [`admin`]: idempotent topic creation and listing.
//! - [`Producer`]: an idempotent producer whose sends resolve only when the broker acknowledged them.
//! - [`transform`]: the at-least-once consume → transform → produce loop every transforming stage runs.
//! - [`reader`]: plain readers for the gateway, `triage tail`, cursors and tests.

pub mod admin;
mod config;
mod producer;
pub mod reader;
pub mod transform;

pub use config::{Bus, BusConfig, Topics};
pub use producer::{Ack, OutRecord, Producer};

/// What went wrong talking to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("kafka client error ({context}): {source}")]
    Kafka {
        context: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },
    #[error("topic {topic} could not be created: {reason}")]
    CreateTopic { topic: String, reason: String },
    #[error("topic {0} does not exist (run `triage topics create`)")]
    MissingTopic(String),
    #[error("the delivery of a message to {topic} was cancelled (producer closed)")]
    DeliveryCancelled { topic: String },
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
}

impl BusError {
    pub(crate) fn kafka(
        context: impl Into<String>,
    ) -> impl FnOnce(rdkafka::error::KafkaError) -> BusError {
        let context = context.into();
        move |source| BusError::Kafka { context, source }
    }
}
