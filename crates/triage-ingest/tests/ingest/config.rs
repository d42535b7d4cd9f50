//! `[ingest]` configuration and the ad-hoc CLI.

use clap::Parser;
use triage_ingest::{IngestArgs, IngestConfig, Secret, SourceConfig, Speed, sources_from_args};

#[derive(serde::Deserialize)]
struct File {
    ingest: IngestConfig,
}

fn parse(toml: &str) -> Result<IngestConfig, toml::de::Error> {
    toml::from_str::<File>(toml).map(|f| f.ingest)
}

#[test]
fn the_example_configuration_parses_and_validates() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ingest.example.toml"))
        .unwrap();
    let cfg = parse(&text).unwrap();
    cfg.validate().unwrap();
    assert_eq!(
        cfg.sources.iter().map(|s| s.kind()).collect::<Vec<_>>(),
        ["mastodon", "bluesky", "x", "replay", "webhook"]
    );
    assert_eq!(
        cfg.hashtags.0["porteouverte"],
        ["PorteOuverte", "PortesOuvertes", "OpenDoor", "OffeneTüren"]
    );
    let SourceConfig::Replay(r) = &cfg.sources[3] else {
        panic!()
    };
    assert_eq!(r.speed, Speed::Factor(10.0));
}

#[test]
fn unknown_fields_are_errors() {
    let err = parse("[ingest]\ndedup_windw = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("dedup_windw"), "{err}");
    let err = parse("[[ingest.sources]]\nkind = \"mastodon\"\ninstance = \"https://m.example\"\ntoken = \"oops\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("token"), "{err}");
    assert!(parse("[[ingest.sources]]\nkind = \"myspace\"\n").is_err());
}

#[test]
fn cross_field_rules() {
    let cfg = parse("[[ingest.sources]]\nkind = \"x\"\n").unwrap();
    assert!(cfg.validate().unwrap_err().to_string().contains("bearer"));
    let cfg = parse("[[ingest.sources]]\nkind = \"webhook\"\n").unwrap();
    assert!(cfg.validate().unwrap_err().to_string().contains("token"));
    let cfg =
        parse("[[ingest.sources]]\nkind = \"bluesky\"\nendpoint = \"https://jetstream.example\"\n")
            .unwrap();
    assert!(cfg.validate().unwrap_err().to_string().contains("ws(s)"));
}

#[test]
fn secrets_never_print() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?} {s}"), "*** ***");
    let err = Secret::resolve(Some("TRIAGE_TEST_SURELY_UNSET_VAR"), None, "m")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("TRIAGE_TEST_SURELY_UNSET_VAR") && err.contains("`m`"),
        "{err}"
    );
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: IngestArgs,
}

fn args(argv: &[&str]) -> IngestArgs {
    Cli::try_parse_from(std::iter::once("triage-ingest").chain(argv.iter().copied()))
        .unwrap()
        .args
}

#[test]
fn ad_hoc_sources_from_the_command_line() {
    let m = sources_from_args(&args(&[
        "--source",
        "mastodon",
        "--instance",
        "https://mastodon.social",
        "--tag",
        "PorteOuverte",
        "--tag",
        "RechercheParis",
        "--token-env",
        "MASTODON_TOKEN",
    ]))
    .unwrap();
    let SourceConfig::Mastodon(c) = &m[0] else {
        panic!()
    };
    assert_eq!(c.tags, ["PorteOuverte", "RechercheParis"]);
    assert_eq!(c.token_env.as_deref(), Some("MASTODON_TOKEN"));

    let b = sources_from_args(&args(&[
        "--source",
        "bluesky",
        "--endpoint",
        "wss://jetstream2.us-east.bsky.network",
    ]))
    .unwrap();
    assert_eq!(b[0].kind(), "bluesky");
    let x = sources_from_args(&args(&[
        "--source",
        "x",
        "--endpoint",
        "https://api.x.com",
        "--bearer-env",
        "X_BEARER",
    ]))
    .unwrap();
    let SourceConfig::X(c) = &x[0] else { panic!() };
    assert_eq!(c.bearer_env.as_deref(), Some("X_BEARER"));
    let r = sources_from_args(&args(&[
        "--source",
        "replay",
        "posts.jsonl",
        "--speed",
        "5",
        "--stdout",
    ]))
    .unwrap();
    let SourceConfig::Replay(c) = &r[0] else {
        panic!()
    };
    assert_eq!(
        (c.path.to_str(), c.speed),
        (Some("posts.jsonl"), Speed::Factor(5.0))
    );
    let stdin = sources_from_args(&args(&["--source", "replay", "-"])).unwrap();
    assert_eq!(stdin[0].name(0), "replay:-");

    assert!(
        sources_from_args(&args(&[])).unwrap().is_empty(),
        "no --source: the configured sources"
    );
    let err = sources_from_args(&args(&["--source", "mastodon"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--instance"), "{err}");
    assert!(
        sources_from_args(&args(&["--source", "x", "--endpoint", "https://api.x.com"])).is_err()
    );
    assert!(Cli::try_parse_from(["t", "--source", "replay", "f", "--speed", "fast"]).is_err());
}

#[test]
fn helpers_the_root_binary_uses() {
    let SourceConfig::Replay(r) = SourceConfig::replay("night.jsonl", Some("60")) else {
        panic!()
    };
    assert_eq!(
        (r.path.to_str(), r.speed),
        (Some("night.jsonl"), Speed::Factor(60.0))
    );
    let SourceConfig::Replay(r) = SourceConfig::replay("-", Some(Speed::Max)) else {
        panic!()
    };
    assert_eq!(r.speed, Speed::Max);

    let sink = std::sync::Arc::new(triage_ingest::MemorySink::new());
    assert!(
        IngestConfig::default()
            .webhook_router(sink.clone())
            .unwrap()
            .is_none()
    );
    let cfg = parse("[[ingest.sources]]\nkind = \"webhook\"\nallow_anonymous = true\n").unwrap();
    assert!(cfg.webhook_router(sink.clone()).unwrap().is_some());
    let two = parse("[[ingest.sources]]\nkind = \"webhook\"\nallow_anonymous = true\nname = \"a\"\n[[ingest.sources]]\nkind = \"webhook\"\nallow_anonymous = true\nname = \"b\"\n").unwrap();
    assert!(two.webhook_router(sink).is_err());
}
