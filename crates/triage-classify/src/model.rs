//! The model file: a linear multiclass model over hashed features, weights quantized to `i8`.
//!
//! Layout: the magic `TRIAGEMODEL1\n`, a little-endian `u32` header length, a JSON header ([`ModelHeader`]), then
//! `6 << bits` signed bytes: for each bucket, one weight per class in [`Class::ALL`] order (the six weights a
//! feature needs are adjacent, so one cache line serves a feature).

use serde::{Deserialize, Serialize};

use crate::LoadError;

pub(crate) const MAGIC: &[u8] = b"TRIAGEMODEL1\n";
/// Version of the feature extraction. A model trained with another version is refused: its buckets would mean
/// different features.
pub const FEATURES_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelHeader {
    /// Shown in every record (`model` field).
    pub version: String,
    pub features_version: u32,
    /// log2 of the number of buckets.
    pub bits: u32,
    /// Weight = quantized byte × `scale`.
    pub scale: f32,
    pub bias: [f32; 6],
    /// Softmax temperature fitted on a development split (calibration).
    pub temperature: f32,
    /// Feature families the model was trained with.
    #[serde(default)]
    pub flags: crate::features::FeatureFlags,
    /// Free-form provenance: algorithm, data, dev figures.
    #[serde(default)]
    pub notes: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub header: ModelHeader,
    pub weights: Vec<i8>,
}

impl Model {
    pub fn parse(bytes: &[u8]) -> Result<Model, LoadError> {
        let bad = |m: String| LoadError::Model(m);
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("not a triage model file (bad magic)".into()))?;
        if rest.len() < 4 {
            return Err(bad("truncated header".into()));
        }
        let hlen = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let rest = &rest[4..];
        if rest.len() < hlen {
            return Err(bad("truncated header".into()));
        }
        let header: ModelHeader = serde_json::from_slice(&rest[..hlen])
            .map_err(|e| bad(format!("bad model header: {e}")))?;
        if header.features_version != FEATURES_VERSION {
            return Err(bad(format!(
                "model was trained with features v{}, this build computes v{FEATURES_VERSION}: retrain it",
                header.features_version
            )));
        }
        if !(10..=24).contains(&header.bits) {
            return Err(bad(format!("bits = {} out of range 10..=24", header.bits)));
        }
        if !(header.temperature > 0.0 && header.temperature.is_finite() && header.scale.is_finite())
        {
            return Err(bad(
                "temperature and scale must be finite and positive".into()
            ));
        }
        let body = &rest[hlen..];
        let expected = 6usize << header.bits;
        if body.len() != expected {
            return Err(bad(format!(
                "weights are {} bytes, expected {expected}",
                body.len()
            )));
        }
        let weights = body.iter().map(|&b| b as i8).collect();
        Ok(Model { header, weights })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("header serializes");
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend(self.weights.iter().map(|&w| w as u8));
        out
    }

    /// Quantizes float weights (`6 << bits` of them, bucket-major) to a model.
    pub fn quantize(mut header: ModelHeader, weights: &[f32]) -> Model {
        let max = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        header.scale = scale;
        let weights = weights
            .iter()
            .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Model { header, weights }
    }
}
