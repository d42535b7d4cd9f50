//! `GET /api/posts`: search and export for journalists (JSON or CSV), noise left out unless asked for.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use triage_model::Class;

use crate::{
    store::{Entry, Store},
    view::{Filters, PostView},
};

/// What `/api/posts` was asked for.
#[derive(Debug)]
pub(crate) struct Query {
    pub classes: Vec<Class>,
    pub include_noise: bool,
    pub filters: Filters,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// Accepts RFC 3339 (`2015-11-13T21:30:00Z`) or a day (`2015-11-13`, meaning its start, UTC).
pub(crate) fn parse_time(name: &str, s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!(
        "{name} `{s}` must be an RFC 3339 time (2015-11-13T21:30:00Z) or a day (2015-11-13)"
    ))
}

pub(crate) fn parse_classes(s: &str) -> Result<Vec<Class>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Class>().map_err(|e| e.to_string()))
        .collect()
}

/// Matching entries, newest first, at most `limit`; the flag tells whether more matched.
pub(crate) fn search<'a>(store: &'a Store, q: &Query) -> (Vec<&'a Arc<Entry>>, bool) {
    let mut hits: Vec<&Arc<Entry>> = store
        .entries()
        .filter(|e| {
            if q.classes.is_empty() {
                e.class != Class::Noise || q.include_noise
            } else {
                q.classes.contains(&e.class) || (q.include_noise && e.class == Class::Noise)
            }
        })
        .filter(|e| q.since.is_none_or(|s| e.record.created_at >= s))
        .filter(|e| q.until.is_none_or(|u| e.record.created_at < u))
        .filter(|e| q.filters.matches(e))
        .collect();
    hits.sort_by(|a, b| {
        (b.record.created_at, &b.record.id).cmp(&(a.record.created_at, &a.record.id))
    });
    let truncated = hits.len() > q.limit;
    hits.truncate(q.limit);
    (hits, truncated)
}

/// Spreadsheets run cells starting with these as formulas (CSV injection): journalists open exports in
/// Excel, so such cells get a leading `'`, as OWASP recommends.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

pub(crate) const CSV_HEADER: [&str; 17] = [
    "id",
    "class",
    "created_at",
    "edited_at",
    "lang",
    "confidence",
    "needs_review",
    "source",
    "author",
    "url",
    "text",
    "hashtags",
    "places",
    "repost_count",
    "cluster",
    "handled",
    "reasons",
];

pub(crate) fn to_csv(
    store: &Store,
    hits: &[&Arc<Entry>],
    redacted: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for e in hits {
        let v = PostView::new(e, store.handled(&e.record.id), redacted);
        let places: Vec<&str> = v.places.iter().map(|p| p.name).collect();
        w.write_record([
            cell(v.id).as_ref(),
            v.class.as_str(),
            &v.created_at.to_rfc3339(),
            &v.edited_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            v.lang,
            &format!("{:.3}", v.confidence),
            if v.needs_review { "true" } else { "false" },
            v.source.as_str(),
            &cell(v.author.handle),
            &cell(v.url.unwrap_or("")),
            &cell(v.text),
            &cell(&v.hashtags.join(" ")),
            &cell(&places.join("; ")),
            &v.repost_count.to_string(),
            &cell(v.cluster),
            if v.handled { "true" } else { "false" },
            &cell(&v.reasons.join("; ")),
        ])?;
    }
    w.flush()?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
