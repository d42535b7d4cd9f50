//! X: the fake API of `triage_ingest::testing::x` (stream rules endpoint, and a filtered stream answering from
//! a script per connection: 429, 5xx, NDJSON with `\r\n` keep-alives, silence, operational-disconnect), from
//! `fixtures/x/`.

use std::sync::Arc;
use std::time::Duration;

use triage_ingest::testing::x::{Api, api, derived};
use triage_ingest::{SourceConfig, XConfig};
use url::Url;

use crate::common::{Step, config, fixture, json_fixture, keyed, start};

fn source(url: Url, dir: &tempfile::TempDir) -> XConfig {
    let bearer = dir.path().join("bearer");
    std::fs::write(&bearer, "AAAA-bearer\n").unwrap();
    let mut c = XConfig::new(url);
    c.name = Some("x".into());
    c.tags = vec!["TwitterAPI".into(), "PorteOuverte".into()];
    c.bearer_file = Some(bearer);
    c.silence_timeout_ms = 600;
    c.network_backoff_step_ms = 10;
    c.network_backoff_max_ms = 100;
    c.http_backoff_base_ms = 150;
    c.http_backoff_max_ms = 1_000;
    c.rate_limit_backoff_base_ms = 300;
    c.rate_limit_backoff_max_ms = 2_000;
    c
}

#[tokio::test]
async fn rules_sync_then_stream_through_429_5xx_keepalives_silence_and_disconnect() {
    let x = Arc::new(Api::default());
    // A stale rule from an earlier configuration (the documented example).
    x.rules.lock().unwrap().push(serde_json::json!({"id": "1273026480692322304", "value": "cat has:images", "tag": "cats with images"}));
    let wire = fixture("x/filtered_stream_wire_ASSEMBLED.ndjson");
    let disconnect = json_fixture("x/stream_errors_docs.json")["operational_disconnect_in_stream (docs handling-disconnections.mdx)"].to_string();
    x.streams.lock().unwrap().extend([
        vec![Step::Send("HTTP 429".into())],
        vec![Step::Send("HTTP 503".into())],
        // The documented wire (the same post twice, keep-alives), a malformed line, a crisis post, then silence.
        vec![
            Step::Send(wire),
            Step::Send("\r\n".into()),
            Step::Send("{\"data\":{\"id\":\"1\",\r\n".into()),
            Step::Send(format!(
                "{}\r\n",
                derived(1_460_323_737_035_677_698, "PorteOuverte")
            )),
            Step::Hang,
        ],
        // After the stall: a post split across two chunks, keep-alives, then X disconnects us.
        vec![
            Step::Send("\r\n".into()),
            Step::Send({
                let line = derived(1_460_323_737_035_677_699, "portesouvertes");
                line[..40].to_owned()
            }),
            Step::Sleep(50),
            Step::Send(format!(
                "{}\r\n",
                &derived(1_460_323_737_035_677_699, "portesouvertes")[40..]
            )),
            Step::Send(format!("{disconnect}\r\n")),
        ],
    ]);
    let url = api(x.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = start(config(vec![SourceConfig::X(source(url, &dir))]));
    run.wait_for(3).await;
    // Let the last connection (healthy keep-alives) start.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = run.sink.events();
    let report = run.stop().await;

    assert_eq!(
        keyed(&events),
        [
            "post:x:1296121314218897408",
            "post:x:1460323737035677698",
            "post:x:1460323737035677699"
        ]
    );
    let stats = report.sources[0].stats;
    assert_eq!(
        stats.duplicates, 1,
        "the wire sample carries the same post twice: {stats:?}"
    );
    assert_eq!(stats.malformed, 1, "{stats:?}");
    assert_eq!(stats.rate_limited, 1, "{stats:?}");
    assert!(stats.reconnects >= 4, "{stats:?}");

    // Rules: the stale one deleted, one rule per hashtag group added.
    let posts = x.rule_posts.lock().unwrap().clone();
    assert_eq!(
        posts[0],
        serde_json::json!({"delete": {"ids": ["1273026480692322304"]}})
    );
    let values: Vec<String> = x
        .rules
        .lock()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        values,
        [
            "#TwitterAPI",
            "#PorteOuverte OR #PortesOuvertes OR #OpenDoor OR #OffeneTüren OR #PuertasAbiertas"
        ]
    );

    let conns = x.connections.lock().unwrap().clone();
    assert!(
        conns[0].1.contains("expansions=author_id"),
        "{}",
        conns[0].1
    );
    // X's schedules, shortened for the test: 429 waits the rate-limit base, 503 the HTTP base.
    assert!(conns[1].0 - conns[0].0 >= Duration::from_millis(300));
    assert!(conns[2].0 - conns[1].0 >= Duration::from_millis(150));
    // The stall was detected by silence (600 ms), not by the server closing.
    assert!(conns[3].0 - conns[2].0 >= Duration::from_millis(600));

    let triage_model::RawEvent::Post(p) = &events[0] else {
        panic!()
    };
    assert_eq!(p.author.handle, "TwitterDev");
    assert_eq!(p.hashtags, ["TwitterAPI"]);
    assert_eq!(
        p.url.as_deref(),
        Some("https://x.com/TwitterDev/status/1296121314218897408")
    );
}

#[tokio::test]
async fn refused_rules_stop_the_source_with_a_clear_error() {
    let x = Arc::new(Api {
        refuse_adds: true,
        ..Api::default()
    });
    let url = api(x.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let report = start(config(vec![SourceConfig::X(source(url, &dir))]))
        .finish()
        .await;
    let error = report.sources[0].error.clone().unwrap_or_default();
    assert!(error.contains("Invalid Rule"), "{error}");
    assert!(
        x.connections.lock().unwrap().is_empty(),
        "no stream without the right rules"
    );
}
