use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A byte range in the post's original `text` (UTF-8 byte offsets, end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn of<'a>(&self, text: &'a str) -> Option<&'a str> {
        text.get(self.start..self.end)
    }
}

/// Everything the classifier pulled out of a post, each with the span it came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extraction {
    #[serde(default)]
    pub places: Vec<Place>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    /// Contact channels: personal data, redacted on public endpoints.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingPerson>,
}

/// A place named in the post and found in the gazetteer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// The gazetteer's name for the place (`Paris 20e`, `Rue Castagnary`, `Belleville`).
    pub name: String,
    /// The gazetteer's kind: `arrondissement`, `quartier`, `metro`, `rer`, `street`, `city`, ...
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    /// How far from `lat`,`lon` the place may really be, in metres.
    pub precision_m: u32,
    /// The text as written in the post.
    pub matched: String,
    pub span: Span,
}

/// How many people an offer can take, or what it offers to sleep on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Number of people, when stated or implied ("a couch" is 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<u32>,
    pub matched: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactChannel {
    /// "DM me", "MP", "écrivez-moi en privé": the author's direct messages.
    Dm,
    Phone,
    Email,
}

/// A way to reach the author. Always personal data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub channel: ContactChannel,
    /// The number or address as written (empty for `dm`).
    pub value: String,
    /// Always true: redact on public endpoints.
    pub personal: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MissingStatus {
    Missing,
    Found,
    Safe,
}

/// A person someone is looking for (or who was found), from a `missing` post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingPerson {
    pub status: MissingStatus,
    /// Names as written, with their spans.
    #[serde(default)]
    pub names: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<Spanned<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_place: Option<Spanned<String>>,
    /// As written ("vers 21h30", "last night").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_time: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

/// A value pulled out of the text, with where it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}
