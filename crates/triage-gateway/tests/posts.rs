//! `GET /api/posts`: search and export for journalists (JSON, CSV), noise left out unless asked for.

mod common;

use axum::http::StatusCode;
use common::*;
use triage_gateway::Gateway;
use triage_model::Class;

fn newsroom() -> Gateway {
    let gw = gateway();
    let mut a = record("a", Class::Offer, "Hébergement possible à Bastille");
    a.created_at = t("2015-11-13T22:00:00Z");
    a.hashtags = vec!["PorteOuverte".into()];
    let mut b = record("b", Class::Info, "Le métro ligne 9 est fermé");
    b.created_at = t("2015-11-13T23:00:00Z");
    let mut c = record("c", Class::Noise, "Regardez ma nouvelle vidéo");
    c.created_at = t("2015-11-14T00:30:00Z");
    let mut d = record(
        "d",
        Class::Support,
        "=HYPERLINK(\"http://evil.example\",\"clic\") #PrayForParis",
    );
    d.created_at = t("2015-11-14T01:00:00Z");
    d.lang = "en".into();
    let mut e = record(
        "e",
        Class::Request,
        "Besoin d'un \"toit\", près de la gare; merci\nvraiment",
    );
    e.created_at = t("2015-11-14T02:00:00Z");
    apply_all(&gw, [a, b, c, d, e]);
    gw
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["posts"]
        .as_array()
        .expect("posts")
        .iter()
        .map(|p| {
            p["id"]
                .as_str()
                .expect("id")
                .trim_start_matches("sample:")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn search_table() {
    let router = newsroom().router();
    let table: &[(&str, &[&str])] = &[
        ("", &["e", "d", "b", "a"]),
        ("include_noise=true", &["e", "d", "c", "b", "a"]),
        ("class=noise", &["c"]),
        ("class=offer,info", &["b", "a"]),
        ("class=offer&include_noise=1", &["c", "a"]),
        ("lang=en", &["d"]),
        ("q=metro", &["b"]),
        ("q=HEBERGEMENT", &["a"]),
        ("tag=porteouverte", &["a"]),
        ("since=2015-11-13T22:30:00Z", &["e", "d", "b"]),
        ("until=2015-11-14", &["b", "a"]),
        (
            "since=2015-11-13T22:30:00%2B00:00&until=2015-11-14T01:30:00Z",
            &["d", "b"],
        ),
        ("limit=2", &["e", "d"]),
    ];
    for (query, want) in table {
        let r = get(&router, &format!("/api/posts?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
        let doc = r.json();
        assert_eq!(ids(&doc), *want, "{query}");
        assert_eq!(doc["count"], want.len(), "{query}");
    }
    assert_eq!(
        get(&router, "/api/posts?limit=2").await.json()["truncated"],
        true
    );
}

#[tokio::test]
async fn bad_parameters_are_400() {
    let router = newsroom().router();
    for q in [
        "class=shelter",
        "since=yesterday",
        "format=xml",
        "limit=-3",
        "include_noise=maybe",
    ] {
        let r = get(&router, &format!("/api/posts?{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(r.json()["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn csv_export_parses_back() {
    let router = newsroom().router();
    let r = get(&router, "/api/posts?format=csv&include_noise=true").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type().starts_with("text/csv"));
    assert!(
        r.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("attachment"))
    );
    let mut reader = csv::Reader::from_reader(r.body.as_ref());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..4], ["id", "class", "created_at", "edited_at"]);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|r| r.len() == header.len()),
        "every row has every column"
    );
    let e = rows
        .iter()
        .find(|r| &r[col("id")] == "sample:e")
        .expect("row e");
    assert_eq!(
        &e[col("text")],
        "Besoin d'un \"toit\", près de la gare; merci\nvraiment",
        "quotes, commas, newlines survive"
    );
    assert_eq!(&e[col("class")], "request");
    assert_eq!(&e[col("confidence")], "0.900");
    let d = rows
        .iter()
        .find(|r| &r[col("id")] == "sample:d")
        .expect("row d");
    assert!(
        d[col("text")].starts_with("'=HYPERLINK"),
        "formula neutralised for spreadsheets: {}",
        &d[col("text")]
    );
    let a = rows
        .iter()
        .find(|r| &r[col("id")] == "sample:a")
        .expect("row a");
    assert_eq!(&a[col("hashtags")], "PorteOuverte");
    assert_eq!(&a[col("reasons")], "lexicon:offer:test");

    let none = get(
        &router,
        "/api/posts?format=csv&class=offer&q=nothing-matches",
    )
    .await;
    let mut reader = csv::Reader::from_reader(none.body.as_ref());
    assert_eq!(reader.records().count(), 0);
    assert!(
        reader.headers().is_ok(),
        "an empty export still has its header"
    );
}
