//! What a post looks like on the public endpoints (feeds, `/api/posts`), and the filters they share.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use triage_model::{Class, Contact, MissingPerson, Source};

use crate::{
    fold,
    store::{Entry, Handled},
};

/// A post as shown on public endpoints: contact data redacted, nothing the public should not see.
#[derive(Debug, Serialize)]
pub(crate) struct PostView<'a> {
    pub id: &'a str,
    pub class: Class,
    pub source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    pub author: AuthorView<'a>,
    pub text: &'a str,
    pub lang: &'a str,
    pub hashtags: &'a [String],
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<&'a str>,
    pub confidence: f32,
    pub scores: &'a BTreeMap<Class, f32>,
    pub reasons: &'a [String],
    pub needs_review: bool,
    pub cluster: &'a str,
    pub repost_count: u32,
    pub places: Vec<PlaceView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<&'a str>,
    pub handled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled_at: Option<DateTime<Utc>>,
    pub classified_at: DateTime<Utc>,
    pub model: &'a str,
    /// Only on authorized, unredacted requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<&'a [Contact]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<&'a MissingPerson>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AuthorView<'a> {
    pub handle: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PlaceView<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub precision_m: u32,
}

impl<'a> PostView<'a> {
    /// `redacted = false` only for requests that proved they hold the token.
    pub fn new(entry: &'a Entry, handled: Option<&Handled>, redacted: bool) -> PostView<'a> {
        let r = &entry.record;
        let handled = handled.filter(|h| h.handled);
        PostView {
            id: &r.id,
            class: entry.class,
            source: r.source,
            url: r.url.as_deref(),
            author: AuthorView {
                handle: &r.author.handle,
                name: r.author.name.as_deref(),
            },
            text: if redacted {
                &entry.redacted_text
            } else {
                &r.text
            },
            lang: &r.lang,
            hashtags: &r.hashtags,
            created_at: r.created_at,
            edited_at: r.edited_at,
            repost_of: r.repost_of.as_deref(),
            confidence: r.confidence,
            scores: &r.scores,
            reasons: &r.reasons,
            needs_review: r.needs_review,
            cluster: &r.cluster,
            repost_count: r.repost_count,
            places: r
                .extracted
                .places
                .iter()
                .map(|p| PlaceView {
                    name: &p.name,
                    kind: &p.kind,
                    lat: p.lat,
                    lon: p.lon,
                    precision_m: p.precision_m,
                })
                .collect(),
            capacity: r.extracted.capacity.as_ref().and_then(|c| c.people),
            media: r.media.iter().map(|m| m.url.as_str()).collect(),
            handled: handled.is_some(),
            handled_at: handled.map(|h| h.at),
            classified_at: r.classified_at,
            model: &r.model,
            contacts: (!redacted).then_some(r.extracted.contacts.as_slice()),
            missing: if redacted {
                None
            } else {
                r.extracted.missing.as_ref()
            },
        }
    }
}

/// The `data:` of a `record` feed event (always redacted: feeds are public).
pub(crate) fn feed_record_json(entry: &Entry, handled: Option<&Handled>) -> String {
    serde_json::to_string(&PostView::new(entry, handled, true)).unwrap_or_else(|_| "{}".to_owned())
}

/// A bounding box, `minLon,minLat,maxLon,maxLat` as in RFC 7946 §5. `min_lon > max_lon` crosses the
/// antimeridian.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn parse(s: &str) -> Result<BBox, String> {
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("bbox `{s}` must be four numbers: minLon,minLat,maxLon,maxLat"))?;
        let [min_lon, min_lat, max_lon, max_lat] = parts[..] else {
            return Err(format!(
                "bbox `{s}` must be four numbers: minLon,minLat,maxLon,maxLat"
            ));
        };
        let lon_ok = |x: f64| (-180.0..=180.0).contains(&x);
        let lat_ok = |x: f64| (-90.0..=90.0).contains(&x);
        if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat))
            || min_lat > max_lat
        {
            return Err(format!(
                "bbox `{s}` is out of range (longitudes -180..180, latitudes -90..90, minLat <= maxLat)"
            ));
        }
        Ok(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let lat_in = (self.min_lat..=self.max_lat).contains(&lat);
        let lon_in = if self.min_lon <= self.max_lon {
            (self.min_lon..=self.max_lon).contains(&lon)
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        lat_in && lon_in
    }
}

/// Filters shared by `/api/feed/{class}` and `/api/posts`. Empty filter = everything.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filters {
    /// Primary language subtags; any matches.
    pub langs: Vec<String>,
    /// Folded hashtags without `#`; any matches.
    pub tags: Vec<String>,
    pub min_confidence: Option<f32>,
    /// The post must name a place inside.
    pub bbox: Option<BBox>,
    /// Folded substring of the (redacted) text.
    pub q: Option<String>,
}

impl Filters {
    pub fn parse(
        lang: Option<&str>,
        tag: Option<&str>,
        min_confidence: Option<&str>,
        bbox: Option<&str>,
        q: Option<&str>,
    ) -> Result<Filters, String> {
        let list = |s: Option<&str>, f: &dyn Fn(&str) -> String| -> Vec<String> {
            s.map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(f)
                    .collect()
            })
            .unwrap_or_default()
        };
        let min_confidence = match min_confidence.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<f32>() {
                Ok(v) if (0.0..=1.0).contains(&v) => Some(v),
                _ => {
                    return Err(format!(
                        "min_confidence `{s}` must be a number between 0 and 1"
                    ));
                }
            },
        };
        Ok(Filters {
            langs: list(lang, &crate::store::primary_lang),
            tags: list(tag, &fold::fold_tag),
            min_confidence,
            bbox: bbox
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(BBox::parse)
                .transpose()?,
            q: q.map(fold::fold).filter(|q| !q.trim().is_empty()),
        })
    }

    pub fn matches(&self, entry: &Entry) -> bool {
        let r = &entry.record;
        if !self.langs.is_empty() && !self.langs.contains(&entry.lang_primary) {
            return false;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| entry.folded_tags.contains(t)) {
            return false;
        }
        if self.min_confidence.is_some_and(|min| r.confidence < min) {
            return false;
        }
        if let Some(bbox) = &self.bbox
            && !r
                .extracted
                .places
                .iter()
                .any(|p| bbox.contains(p.lon, p.lat))
        {
            return false;
        }
        if let Some(q) = &self.q
            && !entry.folded_text.contains(q.as_str())
        {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox() {
        let paris = BBox::parse("2.2,48.8,2.5,48.9").unwrap();
        assert!(paris.contains(2.35, 48.85));
        assert!(!paris.contains(48.85, 2.35));
        let fiji = BBox::parse("177,-20,-178,-15").unwrap();
        assert!(
            fiji.contains(179.0, -17.0)
                && fiji.contains(-179.0, -17.0)
                && !fiji.contains(0.0, -17.0)
        );
        assert!(BBox::parse("1,2,3").is_err());
        assert!(BBox::parse("1,95,3,4").is_err());
        assert!(BBox::parse("a,b,c,d").is_err());
    }
}
