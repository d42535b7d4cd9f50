//! `GET /api/offers.geojson`: current shelter offers as an RFC 7946 FeatureCollection, one Point feature per
//! near-duplicate cluster, loadable as is by Leaflet, uMap and QGIS.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use triage_model::{Class, Place};

use crate::{
    config::TtlBasis,
    store::{Entry, Store},
};

/// RFC 7946 §11.2: six decimal places are about 10 cm, more is noise.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The most precise place of a post.
fn best_place(entry: &Entry) -> Option<&Place> {
    entry
        .record
        .extracted
        .places
        .iter()
        .filter(|p| {
            p.lat.is_finite()
                && p.lon.is_finite()
                && (-90.0..=90.0).contains(&p.lat)
                && (-180.0..=180.0).contains(&p.lon)
        })
        .min_by_key(|p| p.precision_m)
}

pub(crate) fn offers(store: &Store, now: DateTime<Utc>, ttl: Duration, basis: TtlBasis) -> Value {
    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
    let mut clusters: HashMap<&str, Vec<&Arc<Entry>>> = HashMap::new();
    for entry in store.entries().filter(|e| e.class == Class::Offer) {
        clusters
            .entry(entry.record.cluster.as_str())
            .or_default()
            .push(entry);
    }
    let mut features: Vec<(DateTime<Utc>, Value)> = Vec::new();
    for (cluster, members) in clusters {
        // The latest version stands for the cluster (a repost or a corrected copy of the same offer).
        let Some(latest) = members
            .iter()
            .max_by_key(|e| (e.posted_at(), e.record.classified_at, e.seen_at))
        else {
            continue;
        };
        let from = match basis {
            TtlBasis::Posted => latest.posted_at(),
            TtlBasis::Seen => latest.seen_at,
        };
        let expires = from
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if expires <= now {
            continue;
        }
        // A place from the latest version, else from the newest member that has one.
        let place = best_place(latest).or_else(|| {
            let mut with_place: Vec<_> = members
                .iter()
                .filter_map(|e| best_place(e).map(|p| (e.posted_at(), p)))
                .collect();
            with_place.sort_by_key(|(t, _)| *t);
            with_place.pop().map(|(_, p)| p)
        });
        // Offers nobody can locate cannot go on a map.
        let Some(place) = place else { continue };
        let repost_count = members
            .iter()
            .map(|e| e.record.repost_count)
            .max()
            .unwrap_or(1)
            .max(members.len() as u32);
        let r = &latest.record;
        let handled = store.handled(&r.id).is_some_and(|h| h.handled);
        let feature = json!({
            "type": "Feature",
            "id": cluster,
            "geometry": {
                "type": "Point",
                "coordinates": [round6(place.lon), round6(place.lat)],
            },
            "properties": {
                "id": r.id,
                "cluster": cluster,
                "text": latest.redacted_text,
                "url": r.url,
                "author": r.author.handle,
                "lang": r.lang,
                "place": place.name,
                "kind": place.kind,
                "precision_m": place.precision_m,
                "capacity": r.extracted.capacity.as_ref().and_then(|c| c.people),
                "time": latest.posted_at(),
                "expires": expires,
                "confidence": r.confidence,
                "needs_review": r.needs_review,
                "repost_count": repost_count,
                "handled": handled,
            },
        });
        features.push((latest.posted_at(), feature));
    }
    // Newest first, so that clients that cap the list keep the freshest offers.
    features.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    json!({
        "type": "FeatureCollection",
        "features": features.into_iter().map(|(_, f)| f).collect::<Vec<_>>(),
    })
}
