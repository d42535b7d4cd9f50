//! Missing-person records for family-tracing services: `GET /api/missing` (JSON) and `GET /api/missing.pfif`
//! (PFIF 1.4, <https://zesty.ca/pfif/1.4/>).
//!
//! Mapping (one model, two serializations with the same PFIF field names):
//! - a `missing` post whose person has status `missing` becomes one PFIF **person** per name
//!   (`person_record_id` = `<domain>/<post id>`, then `<domain>/<post id>/2`, …), with a first **note**
//!   from the same post, status `information_sought`, carrying the `last_known_location` (PFIF keeps it on
//!   notes, not persons) and the text;
//! - a post with status `found` or `safe` becomes a **note** (status `believed_alive`, or `is_note_author` when
//!   the author is the person) linked to the person it is about, matched by normalised name; when no such
//!   person is known, a person record is made from that post so the news is not lost.
//!
//! Field order and the mandatory fields follow the PFIF 1.4 lists below (as in Google Person Finder's
//! `app/pfif.py`, `PFIF_1_4`).

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::{
    Writer,
    events::{BytesDecl, BytesText, Event},
};
use serde::{Serialize, Serializer, ser::SerializeMap};
use triage_model::{Class, ContactChannel, MissingStatus};

use crate::{
    fold,
    store::{Entry, Store},
};

/// PFIF 1.4 namespace.
pub const PFIF_NS: &str = "http://zesty.ca/pfif/1.4";

/// Fields of a PFIF 1.4 `<person>`, in the standard order.
pub const PERSON_FIELDS: [&str; 25] = [
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
];

/// Fields of a PFIF 1.4 `<note>`, in the standard order.
pub const NOTE_FIELDS: [&str; 15] = [
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
];

/// Fields PFIF 1.4 requires on every person.
pub const PERSON_REQUIRED: [&str; 3] = ["person_record_id", "source_date", "full_name"];
/// Fields PFIF 1.4 requires on every note (`person_record_id` is implied when nested in a person; we always
/// write it anyway, and always a `text`).
pub const NOTE_REQUIRED: [&str; 3] = ["note_record_id", "author_name", "source_date"];

/// A PFIF record: (field, value) pairs kept in the standard order.
#[derive(Clone, Debug, Default)]
pub struct Record {
    fields: Vec<(&'static str, String)>,
}

impl Record {
    fn build(order: &[&'static str], mut values: HashMap<&'static str, String>) -> Record {
        let fields = order
            .iter()
            .filter_map(|f| values.remove(f).filter(|v| !v.is_empty()).map(|v| (*f, v)))
            .collect();
        debug_assert!(
            values.is_empty(),
            "unknown PFIF fields: {:?}",
            values.keys()
        );
        Record { fields }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }

    pub fn fields(&self) -> &[(&'static str, String)] {
        &self.fields
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
pub struct Person {
    #[serde(flatten)]
    pub record: Record,
    pub notes: Vec<Record>,
}

#[derive(Debug, Serialize)]
pub struct MissingExport {
    pub persons: Vec<Person>,
    /// `missing` posts with no name to file a record under.
    pub skipped_without_name: usize,
}

fn pfif_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `Marie DUPONT`, `dupont marie`, `Marie-Dupont` → `dupont marie`: tokens folded and sorted, so that the
/// two ways people write a name meet.
pub fn name_key(name: &str) -> String {
    let folded = fold::fold(name);
    let mut tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    tokens.sort_unstable();
    tokens.join(" ")
}

struct Ctx<'a> {
    domain: &'a str,
    unredacted: bool,
}

impl Ctx<'_> {
    fn text(&self, e: &Entry) -> String {
        if self.unredacted {
            e.record.text.clone()
        } else {
            e.redacted_text.clone()
        }
    }

    /// Who wrote the post, and (unredacted only) how to reach them.
    fn author(&self, e: &Entry, v: &mut HashMap<&'static str, String>) {
        let a = &e.record.author;
        v.insert(
            "author_name",
            a.name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| a.handle.clone()),
        );
        if self.unredacted {
            for c in &e.record.extracted.contacts {
                let key = match c.channel {
                    ContactChannel::Phone => "author_phone",
                    ContactChannel::Email => "author_email",
                    ContactChannel::Dm => continue,
                };
                v.entry(key).or_insert_with(|| c.value.clone());
            }
        }
    }

    fn record_id(&self, post_id: &str, index: usize) -> String {
        if index == 0 {
            format!("{}/{post_id}", self.domain)
        } else {
            format!("{}/{post_id}/{}", self.domain, index + 1)
        }
    }

    fn person(&self, e: &Entry, name: &str, index: usize) -> Record {
        let r = &e.record;
        let mut v = HashMap::new();
        v.insert("person_record_id", self.record_id(&r.id, index));
        v.insert("entry_date", pfif_date(e.seen_at));
        self.author(e, &mut v);
        v.insert("source_name", format!("triage ({})", r.source));
        v.insert("source_date", pfif_date(r.created_at));
        v.insert("source_url", r.url.clone().unwrap_or_default());
        v.insert("full_name", name.trim().to_owned());
        v.insert("description", self.text(e));
        if let Some(m) = &r.extracted.missing {
            if let Some(age) = &m.age {
                v.insert("age", age.value.to_string());
            }
            v.insert("photo_url", m.photo_url.clone().unwrap_or_default());
        }
        Record::build(&PERSON_FIELDS, v)
    }

    fn note(&self, e: &Entry, person_record_id: &str, index: usize, status: &str) -> Record {
        let r = &e.record;
        let mut v = HashMap::new();
        v.insert(
            "note_record_id",
            format!("{}/note", self.record_id(&r.id, index)),
        );
        v.insert("person_record_id", person_record_id.to_owned());
        v.insert("entry_date", pfif_date(e.seen_at));
        self.author(e, &mut v);
        v.insert("source_date", pfif_date(r.created_at));
        v.insert("status", status.to_owned());
        if let Some(m) = &r.extracted.missing {
            let place = m.last_seen_place.as_ref().map(|p| p.value.as_str());
            let time = m.last_seen_time.as_ref().map(|t| t.value.as_str());
            let location = match (place, time) {
                (Some(p), Some(t)) => format!("{p} ({t})"),
                (Some(p), None) => p.to_owned(),
                (None, Some(t)) => format!("({t})"),
                (None, None) => String::new(),
            };
            v.insert("last_known_location", location);
            v.insert("photo_url", m.photo_url.clone().unwrap_or_default());
        }
        v.insert("text", self.text(e));
        Record::build(&NOTE_FIELDS, v)
    }
}

/// Builds the export from the current state. `unredacted` only for requests that proved the token.
pub(crate) fn export(store: &Store, domain: &str, unredacted: bool) -> MissingExport {
    let ctx = Ctx { domain, unredacted };
    let mut posts: Vec<&Arc<Entry>> = store
        .entries()
        .filter(|e| e.class == Class::Missing && e.record.extracted.missing.is_some())
        .collect();
    // Oldest first: a person is filed before the news about them, and the output is stable.
    posts.sort_by(|a, b| {
        (a.record.created_at, &a.record.id).cmp(&(b.record.created_at, &b.record.id))
    });

    let mut persons: Vec<Person> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut skipped = 0;

    // Missing reports first, so that a "found" post read before its report still links to it.
    for e in posts.iter().filter(|e| {
        matches!(
            e.record.extracted.missing.as_ref().map(|m| m.status),
            Some(MissingStatus::Missing)
        )
    }) {
        let Some(m) = &e.record.extracted.missing else {
            continue;
        };
        let names: Vec<&str> = m
            .names
            .iter()
            .map(|n| n.value.as_str())
            .filter(|n| !name_key(n).is_empty())
            .collect();
        if names.is_empty() {
            skipped += 1;
            continue;
        }
        for (i, name) in names.into_iter().enumerate() {
            let record = ctx.person(e, name, i);
            let id = record
                .get("person_record_id")
                .unwrap_or_default()
                .to_owned();
            let first_note = ctx.note(e, &id, i, "information_sought");
            by_name.entry(name_key(name)).or_insert(persons.len());
            persons.push(Person {
                record,
                notes: vec![first_note],
            });
        }
    }

    for e in posts.iter() {
        let Some(m) = &e.record.extracted.missing else {
            continue;
        };
        if m.status == MissingStatus::Missing {
            continue;
        }
        let author_keys = [
            Some(e.record.author.handle.as_str()),
            e.record.author.name.as_deref(),
        ];
        for (i, name) in m
            .names
            .iter()
            .map(|n| n.value.as_str())
            .filter(|n| !name_key(n).is_empty())
            .enumerate()
        {
            let key = name_key(name);
            // "I am safe" from the person themselves: PFIF's `is_note_author`.
            let by_self = author_keys.iter().flatten().any(|a| name_key(a) == key);
            let status = if by_self {
                "is_note_author"
            } else {
                "believed_alive"
            };
            let idx = match by_name.get(&key) {
                Some(&idx) => idx,
                None => {
                    let idx = persons.len();
                    persons.push(Person {
                        record: ctx.person(e, name, i),
                        notes: Vec::new(),
                    });
                    by_name.insert(key, idx);
                    idx
                }
            };
            let person_id = persons[idx]
                .record
                .get("person_record_id")
                .unwrap_or_default()
                .to_owned();
            let note = ctx.note(e, &person_id, i, status);
            persons[idx].notes.push(note);
        }
        if m.names.iter().all(|n| name_key(&n.value).is_empty()) {
            skipped += 1;
        }
    }
    MissingExport {
        persons,
        skipped_without_name: skipped,
    }
}

/// XML 1.0 forbids most control characters even escaped: drop them (PFIF's reference code does the same).
fn xml_clean(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if s.contains(bad) {
        s.chars().filter(|c| !bad(*c)).collect::<String>().into()
    } else {
        s.into()
    }
}

fn write_fields(w: &mut Writer<Vec<u8>>, record: &Record) -> std::io::Result<()> {
    for (field, value) in record.fields() {
        w.create_element(format!("pfif:{field}"))
            .write_text_content(BytesText::new(&xml_clean(value)))?;
    }
    Ok(())
}

/// Serializes the export as a PFIF 1.4 document.
pub fn to_pfif(export: &MissingExport) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("pfif:pfif")
        .with_attribute(("xmlns:pfif", PFIF_NS))
        .write_inner_content(|w| {
            for person in &export.persons {
                w.create_element("pfif:person").write_inner_content(|w| {
                    write_fields(w, &person.record)?;
                    for note in &person.notes {
                        w.create_element("pfif:note")
                            .write_inner_content(|w| write_fields(w, note))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_meet() {
        assert_eq!(name_key("Marie DUPONT"), name_key("dupont marie"));
        assert_eq!(
            name_key("Zoé Lefèvre-Martin"),
            name_key("zoe lefevre martin")
        );
        assert_ne!(name_key("Marie Dupont"), name_key("Marie Durand"));
    }

    #[test]
    fn control_chars_dropped() {
        assert_eq!(xml_clean("a\u{0}b\u{1b}c\td"), "abc\td");
    }
}
