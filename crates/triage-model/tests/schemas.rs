//! The JSON Schema files under `schemas/` are generated from the types (kept in sync by this test; refresh with
//! `UPDATE_EXPECT=1 cargo test -p triage-model`), and the example records validate against them and decode.

use expect_test::expect_file;
use triage_model::{ClassEvent, DecodeError, MAX_RAW_BYTES, RawEvent, schema};

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

#[test]
fn schema_files_are_up_to_date() {
    expect_file!["../schemas/raw-event.schema.json"].assert_eq(&pretty(&schema::raw_event()));
    expect_file!["../schemas/class-event.schema.json"].assert_eq(&pretty(&schema::class_event()));
}

fn example(name: &str) -> (Vec<u8>, serde_json::Value) {
    let path = format!("{}/tests/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let value = serde_json::from_slice(&bytes).unwrap();
    (bytes, value)
}

fn assert_valid(schema: &serde_json::Value, instance: &serde_json::Value) {
    let validator = jsonschema::validator_for(schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn raw_examples_validate_and_decode() {
    for name in ["post.json", "post-minimal.json", "tombstone.json"] {
        let (bytes, mut value) = example(name);
        // On the wire `kind` defaults to `post`; the schema describes the explicit form.
        value
            .as_object_mut()
            .unwrap()
            .entry("kind")
            .or_insert("post".into());
        assert_valid(&schema::raw_event(), &value);
        let event = RawEvent::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Round trip: what we encode decodes to the same event.
        assert_eq!(RawEvent::decode(&event.encode()).unwrap(), event);
    }
}

#[test]
fn class_example_validates_and_decodes() {
    let (bytes, value) = example("record.json");
    assert_valid(&schema::class_event(), &value);
    let event = ClassEvent::decode(&bytes).unwrap();
    assert_eq!(event.id(), "x:665983290447020032");
}

#[test]
fn schema_rejects_what_decode_rejects() {
    let (_, mut value) = example("post.json");
    value
        .as_object_mut()
        .unwrap()
        .insert("kind".into(), "post".into());
    value
        .as_object_mut()
        .unwrap()
        .insert("colour".into(), "blue".into());
    let validator = jsonschema::validator_for(&schema::raw_event()).unwrap();
    assert!(
        !validator.is_valid(&value),
        "unknown fields are refused by the schema"
    );
    let bytes = serde_json::to_vec(&value).unwrap();
    assert!(matches!(
        RawEvent::decode(&bytes),
        Err(DecodeError::WrongSchema(_))
    ));
}

#[test]
fn decode_errors_have_stable_codes() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json at all".to_vec(), "not_json"),
        (vec![0xff, 0xfe, 0x00], "not_utf8"),
        (b"[1,2,3]".to_vec(), "invalid"),
        (br#"{"id":"x:1"}"#.to_vec(), "invalid"),
        (br#"{"v":2,"id":"x:1"}"#.to_vec(), "unsupported_version"),
        (br#"{"v":1,"id":"x:1","source":"x"}"#.to_vec(), "wrong_schema"),
        (
            br#"{"v":1,"id":"mastodon:1","source":"x","author":{"handle":"a"},"text":"t","created_at":"2015-11-13T22:00:00Z"}"#.to_vec(),
            "invalid",
        ),
        (vec![b' '; MAX_RAW_BYTES + 1], "too_large"),
    ];
    for (bytes, code) in cases {
        let err = RawEvent::decode(&bytes).expect_err("must be refused");
        assert_eq!(err.code(), code, "{err}");
    }
}
