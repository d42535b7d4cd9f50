//! `GET /api/offers.geojson` against RFC 7946, and its offer semantics (clusters, TTL, tombstones).

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use serde_json::Value;
use triage_gateway::{Gateway, GatewayConfig, TtlBasis};
use triage_model::{Class, ClassEvent, ContactChannel};

/// Checks a document against RFC 7946 for what this endpoint can produce (a FeatureCollection of Points),
/// returning every violation found.
fn rfc7946_violations(doc: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let Some(obj) = doc.as_object() else {
        return vec!["root is not an object (§2)".into()];
    };
    if obj.get("type") != Some(&Value::from("FeatureCollection")) {
        errs.push("root type is not FeatureCollection (§3.3)".into());
    }
    if obj.contains_key("crs") {
        errs.push("`crs` member is not allowed (§4)".into());
    }
    for member in [
        "geometry",
        "properties",
        "coordinates",
        "geometries",
        "features",
    ] {
        if member != "features" && obj.contains_key(member) {
            errs.push(format!("FeatureCollection must not have `{member}` (§7.1)"));
        }
    }
    if let Some(bbox) = obj.get("bbox") {
        check_bbox(bbox, "root", &mut errs);
    }
    let Some(features) = obj.get("features").and_then(Value::as_array) else {
        errs.push("`features` is missing or not an array (§3.3)".into());
        return errs;
    };
    for (i, f) in features.iter().enumerate() {
        let at = format!("features[{i}]");
        let Some(f) = f.as_object() else {
            errs.push(format!("{at} is not an object"));
            continue;
        };
        if f.get("type") != Some(&Value::from("Feature")) {
            errs.push(format!("{at}.type is not Feature (§3.2)"));
        }
        if f.contains_key("crs") {
            errs.push(format!("{at} has `crs` (§4)"));
        }
        if let Some(id) = f.get("id")
            && !(id.is_string() || id.is_number())
        {
            errs.push(format!("{at}.id is neither a string nor a number (§3.2)"));
        }
        match f.get("properties") {
            Some(Value::Object(_)) | Some(Value::Null) => {}
            _ => errs.push(format!(
                "{at}.properties is missing or not an object/null (§3.2)"
            )),
        }
        for member in ["features", "coordinates", "geometries"] {
            if f.contains_key(member) {
                errs.push(format!("{at} must not have `{member}` (§7.1)"));
            }
        }
        let Some(g) = f.get("geometry") else {
            errs.push(format!("{at} has no `geometry` member (§3.2)"));
            continue;
        };
        if g.is_null() {
            continue; // an unlocated feature is valid GeoJSON
        }
        let Some(g) = g.as_object() else {
            errs.push(format!("{at}.geometry is not an object"));
            continue;
        };
        if g.get("type") != Some(&Value::from("Point")) {
            errs.push(format!("{at}.geometry.type is not Point"));
        }
        match g.get("coordinates").and_then(Value::as_array) {
            Some(pos) if (2..=3).contains(&pos.len()) && pos.iter().all(Value::is_number) => {
                let lon = pos[0].as_f64().unwrap_or(f64::NAN);
                let lat = pos[1].as_f64().unwrap_or(f64::NAN);
                if !(-180.0..=180.0).contains(&lon) {
                    errs.push(format!("{at} longitude {lon} out of range (§3.1.1, §4)"));
                }
                if !(-90.0..=90.0).contains(&lat) {
                    errs.push(format!("{at} latitude {lat} out of range (§3.1.1, §4)"));
                }
            }
            _ => errs.push(format!(
                "{at}.geometry.coordinates is not a position [lon, lat(, alt)] (§3.1.1)"
            )),
        }
        if let Some(bbox) = f.get("bbox") {
            check_bbox(bbox, &at, &mut errs);
        }
    }
    errs
}

fn check_bbox(bbox: &Value, at: &str, errs: &mut Vec<String>) {
    match bbox.as_array() {
        Some(b) if b.len() == 4 && b.iter().all(Value::is_number) => {}
        _ => errs.push(format!("{at}.bbox is not [w, s, e, n] (§5)")),
    }
}

#[test]
fn the_checker_catches_violations() {
    let bad = serde_json::json!({
        "type": "FeatureCollection", "crs": {},
        "features": [
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": [48.86, 200.0] }, "properties": {} },
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": "2,48" } },
            { "type": "Feat", "id": [1], "geometry": { "type": "Point", "coordinates": [2.0, 48.0] }, "properties": 3 }
        ]
    });
    let errs = rfc7946_violations(&bad);
    assert_eq!(errs.len(), 7, "{errs:#?}");
}

async fn offers(gw: &Gateway) -> Value {
    let r = get(&gw.router(), "/api/offers.geojson").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/geo+json");
    let doc = r.json();
    let errs = rfc7946_violations(&doc);
    assert!(errs.is_empty(), "not RFC 7946: {errs:#?}\n{doc:#}");
    doc
}

fn offer_at(n: &str, text: &str, lat: f64, lon: f64) -> triage_model::ClassifiedRecord {
    let mut r = record(n, Class::Offer, text);
    r.extracted.places = vec![place("Paris 11e", lat, lon, 1500)];
    r
}

#[tokio::test]
async fn empty_collection_is_valid() {
    let doc = offers(&gateway()).await;
    assert_eq!(doc["features"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn one_point_per_cluster_lon_lat_order_latest_version() {
    let gw = gateway();
    let first = offer_at(
        "1",
        "J'héberge 2 personnes, Paris 11e",
        48.859_123_456_7,
        2.380_012_345_6,
    );
    let mut repost = offer_at(
        "2",
        "RT J'héberge 2 personnes, Paris 11e — toujours dispo",
        48.859_123_456_7,
        2.380_012_345_6,
    );
    repost.cluster = "sample:1".into();
    repost.repost_count = 2;
    repost.created_at = first.created_at + chrono::Duration::minutes(3);
    let mut other = offer_at("3", "Canapé libre à Belleville", 48.8722, 2.3767);
    other
        .extracted
        .places
        .push(place("Paris", 48.8566, 2.3522, 8000));
    let unlocated = record("4", Class::Offer, "Je peux héberger quelqu'un");
    let request = offer_at("5", "Je cherche un toit", 48.85, 2.35);
    let mut request = request;
    request.class = Class::Request;
    apply_all(&gw, [first, repost, other, unlocated, request]);

    let doc = offers(&gw).await;
    let features = doc["features"].as_array().expect("features");
    assert_eq!(
        features.len(),
        2,
        "one per cluster, unlocated and non-offers left out: {doc:#}"
    );
    let f = features
        .iter()
        .find(|f| f["id"] == "sample:1")
        .expect("cluster sample:1");
    assert_eq!(
        f["geometry"]["coordinates"],
        serde_json::json!([2.380012, 48.859123]),
        "[lon, lat], 6 decimals"
    );
    assert_eq!(
        f["properties"]["id"], "sample:2",
        "latest version stands for the cluster"
    );
    assert_eq!(f["properties"]["repost_count"], 2);
    assert_eq!(f["properties"]["place"], "Paris 11e");
    assert_eq!(f["properties"]["kind"], "arrondissement");
    assert_eq!(f["properties"]["precision_m"], 1500);
    assert!(f["properties"]["time"].is_string() && f["properties"]["confidence"].is_number());
    let belleville = features
        .iter()
        .find(|f| f["id"] == "sample:3")
        .expect("cluster sample:3");
    assert_eq!(
        belleville["properties"]["precision_m"], 1500,
        "the most precise place is used"
    );
}

#[tokio::test]
async fn expired_after_ttl_and_retracted_on_tombstone() {
    let gw = Gateway::new(GatewayConfig {
        offer_ttl: Duration::from_secs(3600),
        ..GatewayConfig::default()
    });
    let mut old = offer_at("old", "Chambre dispo (hier)", 48.86, 2.38);
    old.created_at = Utc::now() - chrono::Duration::hours(2);
    let fresh = offer_at("fresh", "Chambre dispo", 48.86, 2.38);
    let gone = offer_at("gone", "Chambre dispo, supprimé", 48.86, 2.38);
    apply_all(&gw, [old.clone(), fresh, gone]);
    gw.apply(tombstone("gone"), Class::Offer, 0, 99);
    let doc = offers(&gw).await;
    let ids: Vec<&str> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["sample:fresh"]);

    // Replaying an old archive: count the TTL from when the gateway saw the post.
    let replay = Gateway::new(GatewayConfig {
        offer_ttl: Duration::from_secs(3600),
        offer_ttl_from: TtlBasis::Seen,
        ..GatewayConfig::default()
    });
    apply_all(&replay, [old]);
    assert_eq!(
        offers(&replay).await["features"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn properties_are_redacted() {
    let gw = gateway();
    let text = "Chambre libre, appelez le 06 12 34 56 78 ou jean.dupont@example.fr";
    let mut r = offer_at("1", text, 48.86, 2.38);
    r.extracted.contacts = vec![contact(text, "06 12 34 56 78", ContactChannel::Phone)];
    gw.apply(ClassEvent::Record(r), Class::Offer, 0, 0);
    let doc = offers(&gw).await;
    let shown = doc["features"][0]["properties"]["text"]
        .as_str()
        .expect("text");
    assert_eq!(shown, "Chambre libre, appelez le [phone] ou [email]");
    let raw = doc.to_string();
    assert!(
        !raw.contains("06 12 34") && !raw.contains("jean.dupont"),
        "{raw}"
    );
}
