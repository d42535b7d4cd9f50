//! The records that flow through triage.
//!
//! Ingest writes [`RawEvent`]s (a [`Post`] or a [`Tombstone`]) to the `<prefix>.raw` topic; the classify stage
//! writes [`ClassEvent`]s (a [`ClassifiedRecord`] or a [`Tombstone`]) to one `<prefix>.<class>` topic each.
//! Every record carries `"v": 1` so that consumers can refuse what they do not understand.
//!
//! This crate is pure data: serde types, their JSON Schemas and strict decoding. It does no I/O.

mod class;
mod decode;
mod extract;
mod post;
mod record;

pub use class::{Class, ParseClassError};
pub use decode::{DecodeError, MAX_RAW_BYTES};
pub use extract::{
    Capacity, Contact, ContactChannel, Extraction, MissingPerson, MissingStatus, Place, Span,
    Spanned,
};
pub use post::{Author, Media, Post, PostId, RawEvent, Source, Tombstone};
pub use record::{ClassEvent, ClassifiedRecord};

/// The schema version every record carries in its `v` field.
pub const SCHEMA_VERSION: u32 = 1;

/// JSON Schemas of the wire records, generated from the types (the files under `schemas/` are kept equal to
/// these by a test).
pub mod schema {
    use schemars::schema_for;

    /// Schema of a message on the raw topic (a post or a tombstone).
    pub fn raw_event() -> serde_json::Value {
        serde_json::to_value(schema_for!(crate::RawEvent)).expect("schema serializes")
    }

    /// Schema of a message on a class topic (a classified record or a tombstone).
    pub fn class_event() -> serde_json::Value {
        serde_json::to_value(schema_for!(crate::ClassEvent)).expect("schema serializes")
    }
}
