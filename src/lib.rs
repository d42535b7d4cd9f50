//! The `triage` binary's library half: CLI, config and the wiring of each stage to Kafka. It is a library so
//! that the integration tests and benchmarks run exactly the code the binary runs.

pub mod cli;
pub mod config;
pub mod label;
pub mod run;
pub mod stages;
pub mod telemetry;
