use crate::{ClassEvent, PostId, RawEvent, SCHEMA_VERSION};

/// The largest raw message the classify stage accepts. Posts on every platform are far smaller (X: 25,000
/// characters for paid accounts); anything larger is a bug or an attack and goes to the dead-letter topic.
pub const MAX_RAW_BYTES: usize = 256 * 1024;

/// Why a message could not be decoded. [`DecodeError::code`] is what the dead-letter topic's
/// `triage.dlq.reason` header carries; the `Display` text goes in `triage.dlq.detail`.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("message is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("message is not valid UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    #[error("message is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("message does not match the schema: {0}")]
    WrongSchema(serde_json::Error),
    #[error("unsupported schema version v={found} (this build reads v={SCHEMA_VERSION})")]
    UnsupportedVersion { found: u64 },
    #[error("invalid record: {0}")]
    Invalid(String),
}

impl DecodeError {
    /// A short stable code for metrics and headers.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::NotUtf8(_) => "not_utf8",
            DecodeError::NotJson(_) => "not_json",
            DecodeError::WrongSchema(_) => "wrong_schema",
            DecodeError::UnsupportedVersion { .. } => "unsupported_version",
            DecodeError::Invalid(_) => "invalid",
        }
    }
}

fn parse_object(bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, DecodeError> {
    if bytes.len() > MAX_RAW_BYTES {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit: MAX_RAW_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(DecodeError::NotJson)?;
    let serde_json::Value::Object(map) = value else {
        return Err(DecodeError::Invalid("expected a JSON object".into()));
    };
    match map.get("v") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
        Some(serde_json::Value::Number(n)) => {
            return Err(DecodeError::UnsupportedVersion {
                found: n.as_u64().unwrap_or(0),
            });
        }
        Some(_) => return Err(DecodeError::Invalid("field `v` must be a number".into())),
        None => return Err(DecodeError::Invalid("missing field `v`".into())),
    }
    Ok(map)
}

impl RawEvent {
    /// Strictly decodes a raw-topic message: size limit, UTF-8, JSON, version, schema, id form.
    /// A message without `kind` is a post.
    pub fn decode(bytes: &[u8]) -> Result<RawEvent, DecodeError> {
        let mut map = parse_object(bytes)?;
        map.entry("kind").or_insert_with(|| "post".into());
        let event: RawEvent = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(DecodeError::WrongSchema)?;
        let (id, source) = match &event {
            RawEvent::Post(p) => (&p.id, p.source),
            RawEvent::Tombstone(t) => (&t.id, t.source),
        };
        if !PostId::matches(id, source) {
            return Err(DecodeError::Invalid(format!(
                "id `{id}` is not of the form `{source}:<native id>`"
            )));
        }
        Ok(event)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("records always serialize")
    }
}

impl ClassEvent {
    /// Strictly decodes a class-topic message.
    pub fn decode(bytes: &[u8]) -> Result<ClassEvent, DecodeError> {
        let map = parse_object(bytes)?;
        serde_json::from_value(serde_json::Value::Object(map)).map_err(DecodeError::WrongSchema)
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("records always serialize")
    }
}
