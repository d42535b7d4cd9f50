use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Author, Class, Extraction, Media, Post, SCHEMA_VERSION, Source, Tombstone};

/// A post with the classifier's decision: what the classify stage writes to `<prefix>.<class>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifiedRecord {
    /// Schema version, always 1.
    pub v: u32,
    /// `<source>:<native id>`, as in the raw post.
    pub id: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub author: Author,
    pub text: String,
    /// Language identified by the classifier (`fr`, `en`, `de`, `es`, `it`, `pt`, or `und`).
    pub lang: String,
    /// Language the platform declared, when it differs from nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_lang: Option<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,

    pub class: Class,
    /// Calibrated probability of `class`, 0..1.
    pub confidence: f32,
    /// Calibrated probability of every class (they sum to 1).
    pub scores: BTreeMap<Class, f32>,
    /// The few features that weighed most for `class`, readable (`lexicon:offer:héberger`, `regex:arrondissement`).
    pub reasons: Vec<String>,
    /// True when `confidence` is under the class's threshold: a person should look.
    pub needs_review: bool,
    /// Near-duplicate cluster id: reposts and near-copies share it (the id of the first post seen).
    pub cluster: String,
    /// How many posts of this cluster had been seen when this one was classified (this one included).
    pub repost_count: u32,
    pub extracted: Extraction,
    /// Version string of the model that decided.
    pub model: String,
    pub classified_at: DateTime<Utc>,
}

impl ClassifiedRecord {
    /// Copies the post's own fields; the caller fills in the decision.
    #[allow(clippy::too_many_arguments)]
    pub fn from_post(
        post: Post,
        lang: String,
        class: Class,
        confidence: f32,
        scores: BTreeMap<Class, f32>,
        reasons: Vec<String>,
        needs_review: bool,
        extracted: Extraction,
        model: String,
    ) -> ClassifiedRecord {
        ClassifiedRecord {
            v: SCHEMA_VERSION,
            cluster: post.id.clone(),
            repost_count: 1,
            id: post.id,
            source: post.source,
            url: post.url,
            author: post.author,
            text: post.text,
            declared_lang: post.lang,
            lang,
            hashtags: post.hashtags,
            created_at: post.created_at,
            edited_at: post.edited_at,
            repost_of: post.repost_of,
            reply_to: post.reply_to,
            media: post.media,
            class,
            confidence,
            scores,
            reasons,
            needs_review,
            extracted,
            model,
            classified_at: Utc::now(),
        }
    }
}

/// A message on a class topic. On the wire, `"kind": "record"` or `"kind": "tombstone"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(clippy::large_enum_variant)]
pub enum ClassEvent {
    Record(ClassifiedRecord),
    Tombstone(Tombstone),
}

impl ClassEvent {
    pub fn id(&self) -> &str {
        match self {
            ClassEvent::Record(r) => &r.id,
            ClassEvent::Tombstone(t) => &t.id,
        }
    }
}
