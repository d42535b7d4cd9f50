//! Privacy: the token guards missing-person data, unredacted data and the handled mark; phone numbers and
//! emails never leave on a public endpoint.

mod common;

use axum::http::StatusCode;
use common::*;
use triage_gateway::{Gateway, GatewayConfig, Secret, redact};
use triage_model::{Class, ContactChannel, MissingStatus};

const TOKEN: &str = "correct horse battery staple";

fn guarded() -> Gateway {
    Gateway::new(GatewayConfig {
        token: Some(Secret::new(TOKEN)),
        ..GatewayConfig::default()
    })
}

const PROTECTED: [(&str, &str); 5] = [
    ("GET", "/api/missing"),
    ("GET", "/api/missing.pfif"),
    ("GET", "/api/posts?redact=false"),
    ("POST", "/api/handled/sample%3A1"),
    ("DELETE", "/api/handled/sample%3A1"),
];

#[tokio::test]
async fn protected_endpoints_need_the_token() {
    let gw = guarded();
    apply_all(&gw, [record("1", Class::Offer, "x")]);
    let router = gw.router();
    let bearer = format!("Bearer {TOKEN}");
    for (method, uri) in PROTECTED {
        for headers in [
            vec![],
            vec![("authorization", "Bearer wrong")],
            vec![("authorization", "Basic Zm9vOmJhcg==")],
        ] {
            let r = call(&router, method, uri, &headers).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} {headers:?}"
            );
            assert!(
                r.content_type().starts_with("application/json"),
                "{method} {uri}: JSON error"
            );
            assert_eq!(r.json()["error"], "unauthorized");
            assert!(r.headers.get("www-authenticate").is_some());
        }
        let r = call(&router, method, uri, &[("authorization", &bearer)]).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{method} {uri} with the token: {}",
            r.text()
        );
    }
    // Public endpoints stay public.
    for uri in [
        "/api/posts",
        "/api/offers.geojson",
        "/healthz",
        "/metrics",
        "/",
        "/api/config",
    ] {
        assert_eq!(get(&router, uri).await.status, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn token_from_env_and_file_and_failing_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("token");
    std::fs::write(&file, "from-file\n").expect("write");
    let gw = Gateway::new(GatewayConfig {
        token_file: Some(file.clone()),
        ..GatewayConfig::default()
    });
    let r = call(
        &gw.router(),
        "GET",
        "/api/missing",
        &[("authorization", "Bearer from-file")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // A configured token that cannot be read: protected endpoints refuse (503), nothing is left open.
    let var = "TRIAGE_TEST_TOKEN_THAT_IS_NOT_SET_4242";
    let config = GatewayConfig {
        token_env: Some(var.into()),
        ..GatewayConfig::default()
    };
    assert!(Gateway::try_new(config.clone()).is_err());
    let gw = Gateway::new(config);
    let r = get(&gw.router(), "/api/missing").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["error"], "token_unavailable");
    assert!(
        !format!("{:?}", Secret::new("hunter2")).contains("hunter2"),
        "secrets never print"
    );
}

/// Posts full of personal data, in every class and form the public endpoints show.
fn leaky_gateway(gw: &Gateway) {
    let t1 = "J'héberge 2 personnes Paris 11e, appelez le 06 12 34 56 78 ou écrivez à marie.d@example.fr";
    let mut offer = record("1", Class::Offer, t1);
    offer.extracted.places = vec![place("Paris 11e", 48.859, 2.38, 1500)];
    offer.extracted.contacts = vec![
        contact(t1, "06 12 34 56 78", ContactChannel::Phone),
        contact(t1, "marie.d@example.fr", ContactChannel::Email),
    ];
    // Missed by the extractor: the regex fallback must catch these.
    let t2 = "Need a ride from Bastille, call +33 7 98 76 54 32 or mail help.me@example.com";
    let mut request = record("2", Class::Request, t2);
    request.lang = "en".into();
    let t3 = "#RechercheParis Jean Martin, 0033 6 55 44 33 22, jean.martin@example.org";
    let mut missing_post = record("3", Class::Missing, t3);
    missing_post.extracted.missing = Some(missing(MissingStatus::Missing, &["Jean Martin"]));
    apply_all(gw, [offer, request, missing_post]);
}

const SECRETS: [&str; 9] = [
    "06 12 34 56 78",
    "marie.d@example.fr",
    "+33 7 98 76 54 32",
    "98 76 54 32",
    "help.me@example.com",
    "6 55 44 33 22",
    "jean.martin@example.org",
    "example.com",
    "example.fr",
];

fn assert_clean(what: &str, body: &str) {
    for s in SECRETS {
        assert!(!body.contains(s), "{what} leaks `{s}`:\n{body}");
    }
    assert!(
        body.contains("[phone]"),
        "{what} shows no redaction mark:\n{body}"
    );
}

#[tokio::test]
async fn no_phone_or_email_on_public_endpoints() {
    let gw = gateway();
    let router = gw.router();
    let mut feeds = Vec::new();
    for class in ["offer", "request", "missing"] {
        feeds.push((
            class,
            SseStream::open(&router, &format!("/api/feed/{class}"), &[]).await,
        ));
    }
    leaky_gateway(&gw);
    for (class, feed) in &mut feeds {
        let events = feed.drain(SHORT).await;
        assert_eq!(events.len(), 1, "{class}");
        assert_clean(&format!("feed {class}"), &events[0].data);
        assert!(
            !events[0].data.contains("contacts"),
            "contacts structure is not public"
        );
    }
    let mut replay = SseStream::open(&router, "/api/feed/offer?backlog=10", &[]).await;
    assert_clean(
        "feed backlog",
        &replay
            .drain(SHORT)
            .await
            .into_iter()
            .map(|e| e.data)
            .collect::<String>(),
    );

    assert_clean("posts json", &get(&router, "/api/posts").await.text());
    assert_clean(
        "posts csv",
        &get(&router, "/api/posts?format=csv").await.text(),
    );
    assert_clean(
        "posts json class=missing",
        &get(&router, "/api/posts?class=missing").await.text(),
    );
    assert_clean(
        "offers geojson",
        &get(&router, "/api/offers.geojson").await.text(),
    );

    // `q` searches the redacted text: it cannot be used to probe for a number.
    let probe = get(&router, "/api/posts?q=0612345678").await.json();
    assert_eq!(probe["count"], 0);
    let probe = get(&router, "/api/posts?q=06%2012%2034").await.json();
    assert_eq!(probe["count"], 0);
}

#[tokio::test]
async fn unredacted_only_with_the_token() {
    let gw = guarded();
    leaky_gateway(&gw);
    let r = call(
        &gw.router(),
        "GET",
        "/api/posts?redact=false&class=offer",
        &[("authorization", &format!("Bearer {TOKEN}"))],
    )
    .await;
    let body = r.text();
    assert!(
        body.contains("06 12 34 56 78") && body.contains("\"contacts\""),
        "{body}"
    );
    let public = get(&gw.router(), "/api/posts?class=offer").await.text();
    assert_clean("posts json (token configured, none given)", &public);
}

#[test]
fn redaction_fallback_table() {
    for (input, want) in [
        ("ring 06.12.34.56.78", "ring [phone]"),
        ("WhatsApp +44 20 7946 0958", "WhatsApp [phone]"),
        ("écrire à contact@asso-paris.org.", "écrire à [email]."),
        (
            "RDV 13/11/2015 21:30 à la gare",
            "RDV 13/11/2015 21:30 à la gare",
        ),
        ("1 canapé, 2 lits, 75011", "1 canapé, 2 lits, 75011"),
    ] {
        assert_eq!(redact::redact(input, &[]), want, "{input}");
        assert!(!redact::contains_contact(want), "{want}");
    }
}

#[tokio::test]
async fn cors_is_configurable() {
    let none = gateway().router();
    let r = call(
        &none,
        "GET",
        "/api/offers.geojson",
        &[("origin", "https://umap.example.org")],
    )
    .await;
    assert!(
        r.headers.get("access-control-allow-origin").is_none(),
        "no CORS unless configured"
    );

    let gw = Gateway::new(GatewayConfig {
        cors_origins: vec!["https://umap.example.org".into()],
        ..GatewayConfig::default()
    });
    let router = gw.router();
    let r = call(
        &router,
        "GET",
        "/api/offers.geojson",
        &[("origin", "https://umap.example.org")],
    )
    .await;
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://umap.example.org")
    );
    let r = call(
        &router,
        "GET",
        "/api/offers.geojson",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let r = call(
        &router,
        "OPTIONS",
        "/api/missing",
        &[
            ("origin", "https://umap.example.org"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
    )
    .await;
    assert!(r.status.is_success(), "preflight {}", r.status);
    assert!(
        r.headers
            .get("access-control-allow-headers")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| h.contains("authorization"))
    );

    let any = Gateway::new(GatewayConfig {
        cors_origins: vec!["*".into()],
        ..GatewayConfig::default()
    })
    .router();
    let r = call(
        &any,
        "GET",
        "/api/offers.geojson",
        &[("origin", "https://qgis.example")],
    )
    .await;
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}
