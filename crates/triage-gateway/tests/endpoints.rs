//! `/metrics`, `/healthz`, `/api/config` and the embedded dashboard assets.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use triage_gateway::{Gateway, GatewayConfig};
use triage_model::Class;

#[tokio::test]
async fn metrics_include_the_installed_renderer_and_own_gauges() {
    let gw = gateway();
    apply_all(
        &gw,
        [
            record("1", Class::Offer, "a"),
            record("2", Class::Offer, "b"),
            record("3", Class::Info, "c"),
        ],
    );
    let router = gw.router();
    let bare = get(&router, "/metrics").await;
    assert_eq!(bare.status, StatusCode::OK);
    assert!(bare.content_type().starts_with("text/plain"));
    let text = bare.text();
    assert!(
        text.contains("triage_gateway_records{class=\"offer\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("triage_gateway_records{class=\"info\"} 1"),
        "{text}"
    );
    assert!(text.contains("triage_gateway_sse_clients 0"), "{text}");

    gw.set_metrics_renderer(Arc::new(|| {
        "# TYPE triage_consumer_lag gauge\ntriage_consumer_lag{stage=\"classify\"} 7".to_owned()
    }));
    let text = get(&router, "/metrics").await.text();
    assert!(
        text.starts_with(
            "# TYPE triage_consumer_lag gauge\ntriage_consumer_lag{stage=\"classify\"} 7\n"
        ),
        "{text}"
    );
    assert!(text.contains("triage_gateway_records{class=\"offer\"} 2"));
    // Every non-comment line is `name{labels} value`.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let value = line.rsplit(' ').next().unwrap_or("");
        assert!(value.parse::<f64>().is_ok(), "bad sample line `{line}`");
    }
}

#[tokio::test]
async fn healthz_reports_records_and_offsets() {
    let gw = gateway();
    apply_all(
        &gw,
        [
            record("1", Class::Offer, "a"),
            record("2", Class::Offer, "b"),
        ],
    );
    let doc = get(&gw.router(), "/healthz").await.json();
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["records"], 2);
    assert_eq!(doc["offsets"]["offer/0"], 1);
}

#[tokio::test]
async fn dashboard_and_vendored_assets_are_embedded() {
    let router = Gateway::new(GatewayConfig {
        tiles: "https://tiles.example.org/{z}/{x}/{y}.png".into(),
        ..GatewayConfig::default()
    })
    .router();
    let index = get(&router, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.content_type().starts_with("text/html"));
    let csp = index
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = index.text();
    assert!(html.contains("/assets/vendor/leaflet/leaflet.js") && html.contains("/assets/app.js"));
    assert!(!html.contains("unpkg") && !html.contains("cdn"), "no CDN");

    for (path, ct) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/assets/vendor/leaflet/leaflet.css", "text/css"),
        ("/assets/vendor/leaflet/images/marker-icon.png", "image/png"),
        ("/assets/vendor/leaflet/LICENSE", "text/plain"),
    ] {
        let r = get(&router, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.content_type().starts_with(ct),
            "{path}: {}",
            r.content_type()
        );
        assert!(!r.body.is_empty());
    }
    assert_eq!(
        get(&router, "/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    let js = get(&router, "/assets/app.js").await.text();
    assert!(
        !js.contains(".innerHTML"),
        "the dashboard never uses innerHTML"
    );

    let cfg = get(&router, "/api/config").await.json();
    assert_eq!(cfg["tiles"], "https://tiles.example.org/{z}/{x}/{y}.png");
    assert_eq!(cfg["map_center"], serde_json::json!([48.8566, 2.3522]));
    assert_eq!(
        get(&router, "/api/nope").await.status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn config_from_toml() {
    #[derive(serde::Deserialize)]
    struct File {
        gateway: GatewayConfig,
    }
    let f: File = toml::from_str(
        r#"
        [gateway]
        listen = "0.0.0.0:9000"
        offer_ttl = "90m"
        keep_alive = 20
        tiles = ""
        cors_origins = ["*"]
        token_env = "TRIAGE_GATEWAY_TOKEN"
        max_records = 1000
        "#,
    )
    .expect("parses");
    let c = f.gateway;
    assert_eq!(c.listen.port(), 9000);
    assert_eq!(c.offer_ttl, std::time::Duration::from_secs(5400));
    assert_eq!(c.keep_alive, std::time::Duration::from_secs(20));
    assert_eq!(c.feed_buffer, 1000, "default");
    assert!(c.validate().is_ok());

    let unknown = toml::from_str::<File>("[gateway]\nlisten_on = \"0.0.0.0:1\"\n");
    assert!(unknown.is_err(), "unknown keys are refused");
    let bad = toml::from_str::<File>("[gateway]\noffer_ttl = \"six hours\"\n");
    assert!(
        bad.err()
            .is_some_and(|e| e.to_string().contains("not a duration"))
    );
    let empty: File = toml::from_str("[gateway]\n").expect("all defaults");
    assert_eq!(empty.gateway.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(
        empty.gateway.offer_ttl,
        std::time::Duration::from_secs(6 * 3600)
    );
}
