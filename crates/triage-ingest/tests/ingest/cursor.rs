//! The JSON-file cursor store used with `--stdout`.

use triage_ingest::{CursorError, CursorStore, FileCursorStore};

#[tokio::test]
async fn file_cursors_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cursors.json");
    let store = FileCursorStore::open(&path).unwrap();
    assert_eq!(store.load("m#porteouverte").await.unwrap(), None);
    store
        .save("m#porteouverte", "109348684737626801")
        .await
        .unwrap();
    store
        .save("bsky", r#"{"time_us":1783175888172335,"recent":[]}"#)
        .await
        .unwrap();
    store
        .save("m#porteouverte", "109348684737626802")
        .await
        .unwrap();
    drop(store);

    let reopened = FileCursorStore::open(&path).unwrap();
    assert_eq!(
        reopened.load("m#porteouverte").await.unwrap().as_deref(),
        Some("109348684737626802")
    );
    assert!(
        reopened
            .load("bsky")
            .await
            .unwrap()
            .unwrap()
            .contains("1783175888172335")
    );
    assert!(
        !dir.path().join("cursors.json.tmp").exists(),
        "written through a temporary file and a rename"
    );
}

#[test]
fn a_corrupt_cursor_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cursors.json");
    std::fs::write(&path, "{\"m\": 3").unwrap();
    let Err(err) = FileCursorStore::open(&path) else {
        panic!("must not open")
    };
    assert!(matches!(err, CursorError::Corrupt { .. }));
    assert!(err.to_string().contains("cursors.json"), "{err}");
}
