use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a post came from. The first half of every post id.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Mastodon,
    Bluesky,
    X,
    /// Posted to the webhook (`POST /ingest`) by an SMS gateway or another tool.
    Webhook,
    /// Read from a file of posts with no platform of its own (journalists' archives, hand-written posts).
    File,
    /// The bundled sample stream under `config/samples/`.
    Sample,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Mastodon => "mastodon",
            Source::Bluesky => "bluesky",
            Source::X => "x",
            Source::Webhook => "webhook",
            Source::File => "file",
            Source::Sample => "sample",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stable post id, `<source>:<native id>` (`x:1212092628029698048`, `mastodon:https://mastodon.social/users/a/statuses/1`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostId;

impl PostId {
    /// Builds the id of a post from its source and the platform's own id for it. Ids travel as plain strings
    /// in every record, so this returns the string rather than a `PostId`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(source: Source, native_id: &str) -> String {
        format!("{}:{}", source.as_str(), native_id)
    }

    /// Checks that `id` has the form `<source>:<native id>` for this source.
    pub fn matches(id: &str, source: Source) -> bool {
        id.strip_prefix(source.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|native| !native.is_empty())
    }
}

/// Who wrote a post.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// The platform's id for the account (DID on Bluesky, numeric id on X, account id on Mastodon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The handle people know the account by (`@user@instance`, `user.bsky.social`, `user`).
    pub handle: String,
    /// Display name, when the platform gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A picture or video attached to a post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    pub url: String,
    /// `image`, `video`, `gifv`, `audio` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A post normalized from any platform: what ingest writes to the raw topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Post {
    /// Schema version, always 1.
    pub v: u32,
    /// `<source>:<native id>`, stable across re-ingestion (the same post read twice has the same id).
    pub id: String,
    pub source: Source,
    /// Where a person can see the post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub author: Author,
    /// Plain text (HTML already stripped by ingest), as the author wrote it.
    pub text: String,
    /// Language declared by the platform or the author, if any (BCP 47, e.g. `fr`, `en-GB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Hashtags without `#`, in the author's spelling, from the platform's entities and the text.
    #[serde(default)]
    pub hashtags: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Set when this is a new version of an edited post (same id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// The id of the original when this post is a repost/retweet/boost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<String>,
    /// The id of the post this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Media>,
}

/// A post was deleted by its author: downstream consumers retract it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tombstone {
    /// Schema version, always 1.
    pub v: u32,
    /// The id of the deleted post.
    pub id: String,
    pub source: Source,
    pub deleted_at: DateTime<Utc>,
}

/// A message on the raw topic. On the wire, `"kind": "post"` (the default when absent) or `"kind": "tombstone"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
// Posts are the common case and tombstones rare: boxing the post would cost an allocation on every message.
#[allow(clippy::large_enum_variant)]
pub enum RawEvent {
    Post(Post),
    Tombstone(Tombstone),
}

impl RawEvent {
    pub fn id(&self) -> &str {
        match self {
            RawEvent::Post(p) => &p.id,
            RawEvent::Tombstone(t) => &t.id,
        }
    }
}
