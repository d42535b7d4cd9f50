//! `GET /api/missing.pfif` against the PFIF 1.4 field lists (order, required fields, namespace), parsed back
//! with a real XML parser; and `GET /api/missing` (same records as JSON).

mod common;

use common::*;
use quick_xml::{
    NsReader,
    events::Event,
    name::{Namespace, ResolveResult},
};
use triage_gateway::{
    Gateway, GatewayConfig, Secret,
    missing::{NOTE_FIELDS, NOTE_REQUIRED, PERSON_FIELDS, PERSON_REQUIRED, PFIF_NS},
};
use triage_model::{Class, ClassEvent, ContactChannel, MissingStatus, Spanned};

type Fields = Vec<(String, String)>;

#[derive(Debug, Default)]
struct ParsedPerson {
    fields: Fields,
    notes: Vec<Fields>,
}

/// Parses a PFIF document: every element must be in the PFIF 1.4 namespace.
fn parse_pfif(xml: &str) -> Result<Vec<ParsedPerson>, String> {
    let mut reader = NsReader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut persons: Vec<ParsedPerson> = Vec::new();
    let mut text = String::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("XML error: {e}"))?;
        match event {
            Event::Start(e) => {
                if ns != ResolveResult::Bound(Namespace(PFIF_NS.as_bytes())) {
                    return Err(format!(
                        "element {:?} is not in the PFIF 1.4 namespace",
                        e.name()
                    ));
                }
                let local = String::from_utf8(e.local_name().as_ref().to_vec())
                    .map_err(|e| e.to_string())?;
                match (path.len(), local.as_str()) {
                    (0, "pfif") => {}
                    (0, other) => return Err(format!("root is <{other}>, not <pfif>")),
                    (1, "person") => persons.push(ParsedPerson::default()),
                    (1, other) => return Err(format!("<{other}> at top level (expected person)")),
                    (2, "note") => persons
                        .last_mut()
                        .ok_or("note outside person")?
                        .notes
                        .push(Vec::new()),
                    _ => {}
                }
                path.push(local);
                text.clear();
            }
            Event::Empty(e) => {
                return Err(format!(
                    "empty element {:?}: PFIF writers omit empty fields",
                    e.name()
                ));
            }
            Event::Text(t) => text.push_str(&t.xml10_content().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or(format!("unknown entity &{name};"))?,
                    );
                }
            }
            Event::End(_) => {
                let local = path.pop().ok_or("unbalanced end tag")?;
                let person = persons.last_mut();
                match (path.len(), person) {
                    (2, Some(p)) if local != "note" => {
                        p.fields.push((local, text.trim().to_owned()))
                    }
                    (3, Some(p)) => p
                        .notes
                        .last_mut()
                        .ok_or("field outside note")?
                        .push((local, text.trim().to_owned())),
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(persons)
}

const STATUS_VALUES: [&str; 5] = [
    "information_sought",
    "is_note_author",
    "believed_alive",
    "believed_missing",
    "believed_dead",
];

/// Every violation of the PFIF 1.4 field lists. `strict`: also fields in the standard order and required
/// fields present (what our writer promises; the reference test file, made to test importers, has neither).
fn pfif_violations(persons: &[ParsedPerson], strict: bool) -> Vec<String> {
    let mut errs = Vec::new();
    let check =
        |fields: &Fields, known: &[&str], required: &[&str], what: &str, errs: &mut Vec<String>| {
            let mut last = None;
            for (name, value) in fields {
                match known.iter().position(|k| k == name) {
                    None => errs.push(format!("{what}: unknown field <{name}>")),
                    Some(i) => {
                        if strict && last.is_some_and(|l| i <= l) {
                            errs.push(format!("{what}: <{name}> out of order or repeated"));
                        }
                        last = Some(i);
                    }
                }
                if name.ends_with("_date") && !value.is_empty() {
                    let ok =
                        chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").is_ok();
                    if !ok {
                        errs.push(format!(
                            "{what}: <{name}> `{value}` is not YYYY-MM-DDThh:mm:ssZ"
                        ));
                    }
                }
            }
            for r in required.iter().filter(|_| strict) {
                if !fields.iter().any(|(n, v)| n == r && !v.is_empty()) {
                    errs.push(format!("{what}: required <{r}> missing"));
                }
            }
        };
    for (i, p) in persons.iter().enumerate() {
        check(
            &p.fields,
            &PERSON_FIELDS,
            &PERSON_REQUIRED,
            &format!("person[{i}]"),
            &mut errs,
        );
        let person_id = p
            .fields
            .iter()
            .find(|(n, _)| n == "person_record_id")
            .map(|(_, v)| v.as_str());
        for (j, n) in p.notes.iter().enumerate() {
            let what = format!("person[{i}].note[{j}]");
            check(n, &NOTE_FIELDS, &NOTE_REQUIRED, &what, &mut errs);
            if let Some((_, linked)) = n.iter().find(|(k, _)| k == "person_record_id")
                && Some(linked.as_str()) != person_id
            {
                errs.push(format!(
                    "{what}: person_record_id {linked} is not its person's {person_id:?}"
                ));
            }
            if let Some((_, s)) = n.iter().find(|(k, _)| k == "status")
                && !STATUS_VALUES.contains(&s.as_str())
            {
                errs.push(format!("{what}: status `{s}` is not a PFIF 1.4 value"));
            }
        }
    }
    errs
}

fn get_field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn field_lists_know_the_reference_document() {
    let xml = include_str!("data/test.pfif-1.4.xml");
    let persons = parse_pfif(xml).expect("reference PFIF parses");
    assert_eq!(persons.len(), 1);
    assert_eq!(persons[0].notes.len(), 4);
    // Not ordered nor complete (it tests importers), but every field must be one we know.
    let errs = pfif_violations(&persons, false);
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(
        get_field(&persons[0].fields, "home_city"),
        Some("_test_home_city")
    );
}

#[test]
fn the_checker_catches_violations() {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="{PFIF_NS}"><pfif:person>
  <pfif:full_name>A</pfif:full_name><pfif:person_record_id>x/1</pfif:person_record_id><pfif:shoe_size>44</pfif:shoe_size>
  <pfif:note><pfif:note_record_id>x/n</pfif:note_record_id><pfif:person_record_id>x/2</pfif:person_record_id>
    <pfif:status>fine</pfif:status><pfif:source_date>yesterday</pfif:source_date></pfif:note>
</pfif:person></pfif:pfif>"#
    );
    let errs = pfif_violations(&parse_pfif(&xml).expect("parses"), true);
    // person: order, unknown field, no source_date; note: order, date format, no author_name, linked id,
    // status value.
    assert_eq!(errs.len(), 8, "{errs:#?}");
    assert!(parse_pfif("<pfif xmlns=\"urn:other\"><person/></pfif>").is_err());
}

fn missing_post(n: &str, names: &[&str], text: &str) -> triage_model::ClassifiedRecord {
    let mut r = record(n, Class::Missing, text);
    let mut m = missing(MissingStatus::Missing, names);
    m.age = Some(Spanned {
        value: 27,
        span: triage_model::Span { start: 0, end: 0 },
    });
    m.last_seen_place = Some(spanned("Bataclan".to_owned()));
    m.last_seen_time = Some(spanned("vers 21h30".to_owned()));
    m.photo_url = Some("https://example.org/photo.jpg".into());
    r.extracted.missing = Some(m);
    r.author.name = Some("Sophie <Martin> & co".into());
    r
}

fn scenario(gw: &Gateway) {
    let text =
        "#RechercheParis Marie Dupont, 27 ans, vue au Bataclan vers 21h30. Contact 06 11 22 33 44";
    let mut m1 = missing_post("m1", &["Marie Dupont"], text);
    m1.extracted.contacts = vec![contact(text, "06 11 22 33 44", ContactChannel::Phone)];
    m1.created_at = t("2015-11-13T23:10:00Z");
    let mut m2 = missing_post(
        "m2",
        &["Lucas <Bernard> & fils"],
        "#RechercheParis Lucas <Bernard> & fils",
    );
    m2.created_at = t("2015-11-13T23:20:00Z");
    // Found, by someone else, name written differently.
    let mut found = record(
        "f1",
        Class::Missing,
        "Marie DUPONT a été retrouvée, elle va bien !",
    );
    found.extracted.missing = Some(missing(MissingStatus::Found, &["DUPONT Marie"]));
    found.created_at = t("2015-11-14T02:00:00Z");
    // Safe, from the person themselves.
    let mut safe = record("s1", Class::Missing, "Je vais bien, merci à tous");
    safe.extracted.missing = Some(missing(MissingStatus::Safe, &["Lucas Bernard & fils"]));
    safe.author.name = Some("Lucas Bernard & fils".into());
    safe.created_at = t("2015-11-14T03:00:00Z");
    // Found, about someone never reported missing here: gets its own person.
    let mut orphan = record("f2", Class::Missing, "Paul Lefèvre est sain et sauf");
    orphan.extracted.missing = Some(missing(MissingStatus::Found, &["Paul Lefèvre"]));
    orphan.created_at = t("2015-11-14T04:00:00Z");
    // No name: skipped.
    let mut nameless = record("x1", Class::Missing, "Mon frère ne répond plus");
    nameless.extracted.missing = Some(missing(MissingStatus::Missing, &[]));
    // Found post applied before the report it is about (topics are read in parallel): still linked.
    apply_all(gw, [found, m1, m2, safe, orphan, nameless]);
}

fn token_gateway() -> Gateway {
    Gateway::new(GatewayConfig {
        token: Some(Secret::new("s3cret")),
        ..GatewayConfig::default()
    })
}

#[tokio::test]
async fn pfif_export_is_valid_and_links_notes_to_persons() {
    let gw = token_gateway();
    scenario(&gw);
    let r = call(
        &gw.router(),
        "GET",
        "/api/missing.pfif",
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.content_type().starts_with("application/xml"));
    let xml = r.text();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    let persons = parse_pfif(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let errs = pfif_violations(&persons, true);
    assert!(errs.is_empty(), "{errs:#?}\n{xml}");

    let names: Vec<_> = persons
        .iter()
        .map(|p| get_field(&p.fields, "full_name").unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["Marie Dupont", "Lucas <Bernard> & fils", "Paul Lefèvre"],
        "escaped and parsed back"
    );

    let marie = &persons[0];
    assert_eq!(
        get_field(&marie.fields, "person_record_id"),
        Some("triage.invalid/sample:m1")
    );
    assert_eq!(get_field(&marie.fields, "age"), Some("27"));
    assert_eq!(
        get_field(&marie.fields, "source_date"),
        Some("2015-11-13T23:10:00Z")
    );
    assert_eq!(
        get_field(&marie.fields, "source_url"),
        Some("https://example.org/post/m1")
    );
    assert_eq!(
        get_field(&marie.fields, "photo_url"),
        Some("https://example.org/photo.jpg")
    );
    assert_eq!(
        get_field(&marie.fields, "author_name"),
        Some("Sophie <Martin> & co")
    );
    // Behind the token, the family-tracing service gets the contact the author gave.
    assert_eq!(
        get_field(&marie.fields, "author_phone"),
        Some("06 11 22 33 44")
    );
    let statuses: Vec<_> = marie
        .notes
        .iter()
        .map(|n| get_field(n, "status").unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["information_sought", "believed_alive"]);
    assert_eq!(
        get_field(&marie.notes[0], "last_known_location"),
        Some("Bataclan (vers 21h30)")
    );
    assert_eq!(
        get_field(&marie.notes[1], "note_record_id"),
        Some("triage.invalid/sample:f1/note")
    );
    assert_eq!(
        get_field(&marie.notes[1], "person_record_id"),
        Some("triage.invalid/sample:m1")
    );

    let lucas = &persons[1];
    let statuses: Vec<_> = lucas
        .notes
        .iter()
        .map(|n| get_field(n, "status").unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["information_sought", "is_note_author"]);

    let paul = &persons[2];
    assert_eq!(
        get_field(&paul.fields, "person_record_id"),
        Some("triage.invalid/sample:f2")
    );
    assert_eq!(paul.notes.len(), 1);
    assert_eq!(get_field(&paul.notes[0], "status"), Some("believed_alive"));
}

#[tokio::test]
async fn json_has_the_same_records() {
    let gw = token_gateway();
    scenario(&gw);
    let r = call(
        &gw.router(),
        "GET",
        "/api/missing",
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["skipped_without_name"], 1);
    let persons = doc["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 3);
    assert_eq!(persons[0]["full_name"], "Marie Dupont");
    assert_eq!(persons[0]["notes"][1]["status"], "believed_alive");
    // JSON keys come in PFIF order, like the XML.
    let keys: Vec<&str> = r
        .text()
        .split("\"notes\"")
        .next()
        .map(|head| {
            PERSON_FIELDS
                .iter()
                .copied()
                .filter(|f| head.contains(&format!("\"{f}\"")))
                .collect()
        })
        .unwrap_or_default();
    let text = r.text();
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\"")).unwrap_or(0))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

#[tokio::test]
async fn deleted_reports_leave_the_export() {
    let gw = token_gateway();
    scenario(&gw);
    gw.apply(tombstone("m2"), Class::Missing, 0, 100);
    let r = call(
        &gw.router(),
        "GET",
        "/api/missing.pfif",
        &[("authorization", "Bearer s3cret")],
    )
    .await;
    let persons = parse_pfif(&r.text()).expect("parses");
    let names: Vec<_> = persons
        .iter()
        .map(|p| get_field(&p.fields, "full_name").unwrap_or(""))
        .collect();
    // Lucas's own "I am safe" post stays, filed under a person of its own.
    assert_eq!(
        names,
        ["Marie Dupont", "Lucas Bernard & fils", "Paul Lefèvre"]
    );
    assert!(pfif_violations(&persons, true).is_empty());
}

#[tokio::test]
async fn without_a_token_configured_the_export_is_redacted() {
    let gw = gateway(); // no token: open, so personal data must not be in it
    scenario(&gw);
    let xml = get(&gw.router(), "/api/missing.pfif").await.text();
    let persons = parse_pfif(&xml).expect("parses");
    assert!(pfif_violations(&persons, true).is_empty());
    assert!(!xml.contains("06 11 22 33 44"), "{xml}");
    assert!(get_field(&persons[0].fields, "author_phone").is_none());
    assert!(get_field(&persons[0].fields, "description").is_some_and(|d| d.contains("[phone]")));
}

#[test]
fn control_characters_do_not_break_the_xml() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let gw = gateway();
        let r = missing_post("c1", &["Zoé\u{1b} Petit"], "Zoé\u{0} Petit\u{7} disparue");
        gw.apply(ClassEvent::Record(r), Class::Missing, 0, 0);
        let xml = get(&gw.router(), "/api/missing.pfif").await.text();
        let persons = parse_pfif(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(
            get_field(&persons[0].fields, "full_name"),
            Some("Zoé Petit")
        );
    });
}
