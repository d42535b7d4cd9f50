//! Tidy checks of the architecture invariants stated in ARCHITECTURE.md, so that a change that breaks one fails
//! the build instead of waiting for review.

use std::{
    fs,
    path::{Path, PathBuf},
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `[dependencies]` (not dev-dependencies) of a crate's manifest.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push((p.clone(), fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn crate_folders_are_named_like_their_crates() {
    for (folder, path) in crates() {
        let doc: toml::Table =
            toml::from_str(&fs::read_to_string(path.join("Cargo.toml")).unwrap()).unwrap();
        assert_eq!(doc["package"]["name"].as_str(), Some(folder.as_str()));
    }
}

#[test]
fn only_the_bus_crate_knows_rdkafka() {
    for (name, path) in crates() {
        let uses = dependencies(&path.join("Cargo.toml"))
            .iter()
            .any(|d| d == "rdkafka");
        assert_eq!(uses, name == "triage-bus", "{name} and rdkafka");
    }
    assert!(
        !dependencies(&root().join("Cargo.toml"))
            .iter()
            .any(|d| d == "rdkafka"),
        "the binary goes through triage-bus"
    );
}

#[test]
fn only_the_broker_crate_knows_tansu() {
    for (name, path) in crates() {
        let uses = dependencies(&path.join("Cargo.toml"))
            .iter()
            .any(|d| d.starts_with("tansu"));
        assert_eq!(uses, name == "triage-broker", "{name} and tansu");
    }
}

#[test]
fn the_classifier_core_does_no_io() {
    let path = root().join("crates/triage-classify");
    let deps = dependencies(&path.join("Cargo.toml"));
    for banned in [
        "tokio",
        "reqwest",
        "rdkafka",
        "axum",
        "hyper",
        "triage-bus",
        "triage-ingest",
        "triage-gateway",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "triage-classify depends on {banned}"
        );
    }
    for (file, text) in sources(&path.join("src")) {
        for banned in [
            "std::fs",
            "std::net",
            "File::open",
            "std::env::var",
            "SystemTime::now",
            "Utc::now",
            "thread_rng",
        ] {
            assert!(!text.contains(banned), "{} uses {banned}", file.display());
        }
    }
}

#[test]
fn only_the_gateway_serves_http() {
    for (name, path) in crates() {
        if name == "triage-gateway" {
            continue;
        }
        for (file, text) in sources(&path.join("src")) {
            // Fake platform servers for tests live in `testing` modules behind a cargo feature of that name.
            if file.components().any(|c| c.as_os_str() == "testing") || file.ends_with("testing.rs")
            {
                continue;
            }
            for banned in ["axum::serve", "hyper::server", "hyper_util::server"] {
                assert!(
                    !text.contains(banned),
                    "{} ({name}) serves HTTP: {banned}",
                    file.display()
                );
            }
        }
    }
    for (file, text) in sources(&root().join("src")) {
        assert!(
            !text.contains("axum::serve"),
            "{} serves HTTP itself instead of through the gateway",
            file.display()
        );
    }
}

#[test]
fn only_ingest_knows_platform_formats() {
    // The platforms' own field names appear nowhere but in ingest (and its fixtures).
    for (name, path) in crates() {
        if name == "triage-ingest" {
            continue;
        }
        for (file, text) in sources(&path.join("src")) {
            for marker in [
                "app.bsky.feed.post",
                "/api/v1/timelines",
                "/2/tweets/search/stream",
            ] {
                assert!(
                    !text.contains(marker),
                    "{} ({name}) knows a platform format: {marker}",
                    file.display()
                );
            }
        }
    }
}
