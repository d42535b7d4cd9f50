//! The stages the binary runs, each wired from its library crate to Kafka.

pub mod classify;
pub mod gateway;
pub mod ingest;
