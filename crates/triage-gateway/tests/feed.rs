//! `GET /api/feed/{class}` and the multiplexed `GET /api/feed?classes=…`: filters, live delivery,
//! `Last-Event-ID` resume, backlog, retractions, handled marks.

mod common;

use axum::http::StatusCode;
use common::*;
use triage_gateway::{Gateway, GatewayConfig};
use triage_model::{Class, ClassEvent, ClassifiedRecord};

#[tokio::test]
async fn live_records_arrive_in_their_class_only() {
    let gw = gateway();
    let router = gw.router();
    let mut offers = SseStream::open(&router, "/api/feed/offer", &[]).await;
    let mut info = SseStream::open(&router, "/api/feed/info", &[]).await;
    apply_all(
        &gw,
        [
            record("1", Class::Offer, "J'héberge 2 personnes"),
            record("2", Class::Info, "Métro fermé"),
        ],
    );
    let got = offers.drain(SHORT).await;
    assert_eq!(record_ids(&got), ["sample:1"]);
    let ev = &got[0];
    assert_eq!(ev.event.as_deref(), Some("record"));
    let data = ev.json();
    assert_eq!(data["class"], "offer");
    assert_eq!(data["text"], "J'héberge 2 personnes");
    assert!(data["reasons"].is_array() && data["confidence"].is_number());
    assert_eq!(record_ids(&info.drain(SHORT).await), ["sample:2"]);
}

/// One feed per filter, the same six records applied to each: a table of filter → ids that pass.
#[tokio::test]
async fn filters() {
    let mut de = record("de", Class::Offer, "Ich biete einen Schlafplatz");
    de.lang = "de".into();
    let mut low = record("low", Class::Offer, "peut-être un canapé");
    low.confidence = 0.4;
    let mut tagged = record("tag", Class::Offer, "Porte ouverte rue Oberkampf");
    tagged.hashtags = vec!["PorteOuverte".into()];
    let mut paris = record("paris", Class::Offer, "Chambre libre Paris 11e");
    paris.extracted.places = vec![place("Paris 11e", 48.8590, 2.3800, 1500)];
    let mut lyon = record("lyon", Class::Offer, "Chambre libre à Lyon");
    lyon.extracted.places = vec![place("Lyon", 45.7640, 4.8357, 5000)];
    let accent = record("accent", Class::Offer, "Hébergement près de la RÉPUBLIQUE");
    let all = [de, low, tagged, paris, lyon, accent];

    let table: &[(&str, &[&str])] = &[
        ("", &["de", "low", "tag", "paris", "lyon", "accent"]),
        ("lang=de", &["de"]),
        ("lang=fr-FR", &["low", "tag", "paris", "lyon", "accent"]),
        ("lang=de,it", &["de"]),
        (
            "min_confidence=0.5",
            &["de", "tag", "paris", "lyon", "accent"],
        ),
        ("tag=porteouverte", &["tag"]),
        ("tag=%23PorteOuverte", &["tag"]),
        ("bbox=2.2,48.8,2.5,48.95", &["paris"]),
        ("bbox=-5,40,10,52", &["paris", "lyon"]),
        ("q=republique", &["accent"]),
        ("q=hebergement%20pres", &["accent"]),
        ("q=CHAMBRE&bbox=4,45,5,46", &["lyon"]),
        ("lang=fr&min_confidence=0.5&q=chambre", &["paris", "lyon"]),
    ];
    assert_live_filters("/api/feed/offer", table, all).await;
}

/// One stream per row of `table` (a query, the names of the records that pass it), opened at `path?query`
/// before `records` are applied: each stream gets exactly the records of its row, in order. Returns the
/// gateway, which then holds `records`.
async fn assert_live_filters(
    path: &str,
    table: &[(&str, &[&str])],
    records: impl IntoIterator<Item = ClassifiedRecord>,
) -> Gateway {
    let gw = gateway();
    let router = gw.router();
    let mut streams = Vec::new();
    for (query, _) in table {
        streams.push(SseStream::open(&router, &format!("{path}?{query}"), &[]).await);
    }
    apply_all(&gw, records);
    for ((query, want), stream) in table.iter().zip(&mut streams) {
        let got = record_ids(&stream.drain(SHORT).await);
        assert_eq!(got, sample_ids(want), "filter `{query}`");
    }
    gw
}

/// The ids of the test records named `names` (see `common::record`).
fn sample_ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("sample:{n}")).collect()
}

#[tokio::test]
async fn bad_filters_are_400_unknown_class_404() {
    let router = gateway().router();
    for q in [
        "min_confidence=2",
        "min_confidence=x",
        "bbox=1,2,3",
        "bbox=0,91,1,92",
        "backlog=-1",
    ] {
        let r = get(&router, &format!("/api/feed/offer?{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.json()["error"], "bad_request", "{q}");
    }
    let r = get(&router, "/api/feed/shelter").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &router,
        "GET",
        "/api/feed/offer",
        &[("last-event-id", "abc")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resume_with_last_event_id_sends_what_was_missed_then_live() {
    let gw = gateway();
    let router = gw.router();
    let mut first = SseStream::open(&router, "/api/feed/offer", &[]).await;
    apply_all(
        &gw,
        [
            record("1", Class::Offer, "one"),
            record("2", Class::Offer, "two"),
        ],
    );
    let seen = first.drain(SHORT).await;
    assert_eq!(record_ids(&seen), ["sample:1", "sample:2"]);
    assert!(seen[0].id_num() < seen[1].id_num(), "ids are monotonic");
    let last = seen[1].id.clone().expect("id");
    drop(first); // the connection drops

    // While disconnected: two offers, and events of other classes (which take ids too).
    gw.apply(
        ClassEvent::Record(record("3", Class::Offer, "three")),
        Class::Offer,
        0,
        10,
    );
    gw.apply(
        ClassEvent::Record(record("x", Class::Info, "info")),
        Class::Info,
        0,
        11,
    );
    gw.apply(
        ClassEvent::Record(record("4", Class::Offer, "four")),
        Class::Offer,
        0,
        12,
    );

    let mut resumed =
        SseStream::open(&router, "/api/feed/offer", &[("last-event-id", &last)]).await;
    let missed = resumed.drain(SHORT).await;
    assert_eq!(record_ids(&missed), ["sample:3", "sample:4"]);
    assert!(missed.iter().all(|e| e.id_num() > seen[1].id_num()));

    gw.apply(
        ClassEvent::Record(record("5", Class::Offer, "five")),
        Class::Offer,
        0,
        13,
    );
    let live = resumed.drain(SHORT).await;
    assert_eq!(
        record_ids(&live),
        ["sample:5"],
        "then live, without repeats"
    );
    assert!(live[0].id_num() > missed[1].id_num());

    // The same resume through the query parameter (clients that cannot set headers).
    let mut by_param = SseStream::open(
        &router,
        &format!("/api/feed/offer?last_event_id={last}"),
        &[],
    )
    .await;
    assert_eq!(
        record_ids(&by_param.drain(SHORT).await),
        ["sample:3", "sample:4", "sample:5"]
    );

    // Filters apply to the replay too.
    let mut filtered = SseStream::open(
        &router,
        "/api/feed/offer?q=four",
        &[("last-event-id", &last)],
    )
    .await;
    assert_eq!(record_ids(&filtered.drain(SHORT).await), ["sample:4"]);
}

#[tokio::test]
async fn resume_older_than_the_buffer_gets_the_whole_buffer() {
    let gw = Gateway::new(GatewayConfig {
        feed_buffer: 3,
        ..GatewayConfig::default()
    });
    let router = gw.router();
    apply_all(
        &gw,
        (1..=5).map(|i| record(&i.to_string(), Class::Offer, "x")),
    );
    let mut s = SseStream::open(&router, "/api/feed/offer", &[("last-event-id", "1")]).await;
    assert_eq!(
        record_ids(&s.drain(SHORT).await),
        ["sample:3", "sample:4", "sample:5"],
        "bounded ring"
    );
}

#[tokio::test]
async fn backlog_for_fresh_clients() {
    let gw = gateway();
    let router = gw.router();
    apply_all(
        &gw,
        (1..=5).map(|i| {
            record(
                &i.to_string(),
                Class::Offer,
                if i % 2 == 0 { "even" } else { "odd" },
            )
        }),
    );
    let mut none = SseStream::open(&router, "/api/feed/offer", &[]).await;
    assert!(none.drain(SHORT).await.is_empty(), "live only by default");
    let mut two = SseStream::open(&router, "/api/feed/offer?backlog=2", &[]).await;
    assert_eq!(
        record_ids(&two.drain(SHORT).await),
        ["sample:4", "sample:5"]
    );
    let mut odd = SseStream::open(&router, "/api/feed/offer?backlog=2&q=odd", &[]).await;
    assert_eq!(
        record_ids(&odd.drain(SHORT).await),
        ["sample:3", "sample:5"]
    );
}

#[tokio::test]
async fn tombstones_retract_and_redeliveries_are_silent() {
    let gw = gateway();
    let router = gw.router();
    let mut s = SseStream::open(&router, "/api/feed/offer", &[]).await;
    let r = record("1", Class::Offer, "one");
    gw.apply(ClassEvent::Record(r.clone()), Class::Offer, 0, 0);
    gw.apply(ClassEvent::Record(r.clone()), Class::Offer, 0, 0); // redelivered after a rebalance
    gw.apply(tombstone("1"), Class::Offer, 0, 1);
    gw.apply(ClassEvent::Record(r), Class::Offer, 0, 0); // an old copy read again: stays deleted
    let got = s.drain(SHORT).await;
    let kinds: Vec<_> = got
        .iter()
        .map(|e| e.event.clone().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["record", "retract"]);
    assert_eq!(got[1].json()["id"], "sample:1");
    assert_eq!(gw.counts().iter().map(|(_, n)| n).sum::<usize>(), 0);
}

#[tokio::test]
async fn reclassified_post_moves_between_feeds() {
    let gw = gateway();
    let router = gw.router();
    let mut offers = SseStream::open(&router, "/api/feed/offer", &[]).await;
    let mut requests = SseStream::open(&router, "/api/feed/request", &[]).await;
    let first = record("1", Class::Offer, "j'ai un canapé");
    let mut edited = record("1", Class::Request, "je cherche un canapé");
    edited.edited_at = Some(first.created_at + chrono::Duration::minutes(5));
    gw.apply(ClassEvent::Record(first), Class::Offer, 0, 0);
    gw.apply(ClassEvent::Record(edited), Class::Request, 0, 0);
    let o = offers.drain(SHORT).await;
    assert_eq!(
        o.iter()
            .map(|e| e.event.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["record", "retract"]
    );
    assert_eq!(record_ids(&requests.drain(SHORT).await), ["sample:1"]);
}

#[tokio::test]
async fn handled_marks_are_broadcast() {
    let gw = gateway();
    let router = gw.router();
    apply_all(&gw, [record("1", Class::Request, "besoin d'un toit")]);
    let mut s = SseStream::open(&router, "/api/feed/request", &[]).await;
    let r = call(&router, "POST", "/api/handled/sample%3A1", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["handled"], true);
    let got = s.drain(SHORT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event.as_deref(), Some("handled"));
    assert_eq!(got[0].json()["id"], "sample:1");
    assert_eq!(got[0].json()["class"], "request");
    let posts = get(&router, "/api/posts").await.json();
    assert_eq!(posts["posts"][0]["handled"], true);
    assert_eq!(
        call(&router, "DELETE", "/api/handled/sample%3A1", &[])
            .await
            .json()["handled"],
        false
    );
    assert_eq!(
        call(&router, "POST", "/api/handled/sample%3Anope", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn feed_over_real_http_with_keep_alive_and_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = GatewayConfig {
        keep_alive: std::time::Duration::from_millis(200),
        ..GatewayConfig::default()
    };
    let server = triage_gateway::testing::TestServer::start(config)
        .await
        .expect("server");
    let mut conn = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    conn.write_all(b"GET /api/feed/offer HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut applied = false;
    loop {
        let seen = String::from_utf8_lossy(&got).into_owned();
        if seen.contains("live over TCP") && seen.contains("\n:") {
            break;
        }
        // Once the response head is out the client is subscribed: publish.
        if !applied && seen.contains("\r\n\r\n") {
            server.gateway.apply(
                ClassEvent::Record(record("1", Class::Offer, "live over TCP")),
                Class::Offer,
                0,
                0,
            );
            applied = true;
        }
        let n = tokio::time::timeout_at(deadline, conn.read(&mut buf))
            .await
            .expect("data within 3 s")
            .expect("read");
        assert!(n > 0, "connection closed early");
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("event: record"));
    // Shutdown ends the open stream instead of waiting for it forever.
    tokio::time::timeout(std::time::Duration::from_secs(5), server.stop())
        .await
        .expect("stops")
        .expect("clean");
}

// ---- the multiplexed feed: `GET /api/feed?classes=…` ----

/// `(event name, post id, class)` of each event, from its SSE name and its JSON data.
fn summary(events: &[SseEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            let d = e.json();
            (
                e.event.clone().unwrap_or_default(),
                d["id"].as_str().unwrap_or_default().to_owned(),
                d["class"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn ev(name: &str, n: &str, class: &str) -> (String, String, String) {
    (name.to_owned(), format!("sample:{n}"), class.to_owned())
}

fn assert_increasing(events: &[SseEvent]) {
    for pair in events.windows(2) {
        assert!(
            pair[0].id_num() < pair[1].id_num(),
            "ids strictly increase: {:?} then {:?}",
            pair[0].id,
            pair[1].id
        );
    }
}

#[tokio::test]
async fn multiplexed_feed_carries_the_classes_asked_for() {
    let gw = gateway();
    let router = gw.router();
    let mut all = SseStream::open(&router, "/api/feed", &[]).await;
    let mut empty_list = SseStream::open(&router, "/api/feed?classes=", &[]).await;
    let mut two = SseStream::open(&router, "/api/feed?classes=request,offer", &[]).await;
    let mut noise = SseStream::open(&router, "/api/feed?classes=noise", &[]).await;
    let mut dup = SseStream::open(&router, "/api/feed?classes=info,info,%20info", &[]).await;
    apply_all(
        &gw,
        Class::ALL
            .into_iter()
            .map(|c| record(c.as_str(), c, &format!("a post of class {c}"))),
    );
    let got = all.drain(SHORT).await;
    assert_eq!(
        summary(&got),
        Class::ALL
            .iter()
            .map(|c| ev("record", c.as_str(), c.as_str()))
            .collect::<Vec<_>>(),
        "all six classes (noise included) when `classes` is absent, in id order"
    );
    assert_increasing(&got);
    assert_eq!(got[0].json()["text"], "a post of class offer");
    assert_eq!(summary(&empty_list.drain(SHORT).await), summary(&got));
    assert_eq!(
        summary(&two.drain(SHORT).await),
        [
            ev("record", "offer", "offer"),
            ev("record", "request", "request")
        ]
    );
    assert_eq!(
        summary(&noise.drain(SHORT).await),
        [ev("record", "noise", "noise")]
    );
    assert_eq!(
        summary(&dup.drain(SHORT).await),
        [ev("record", "info", "info")],
        "a class listed twice is sent once"
    );
    // The same events, with the same ids, as the per-class feeds.
    let mut offer = SseStream::open(&router, "/api/feed/offer?backlog=1", &[]).await;
    let one = offer.drain(SHORT).await;
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].id.clone(), one[0].data.clone()),
        (got[0].id.clone(), got[0].data.clone())
    );
}

/// One multiplexed feed per filter, the same six records (one per class) applied to each.
#[tokio::test]
async fn multiplexed_filters() {
    let mut de = record("de", Class::Offer, "Ich biete einen Schlafplatz");
    de.lang = "de".into();
    let mut low = record("low", Class::Request, "peut-être besoin d'un canapé");
    low.confidence = 0.4;
    let mut tagged = record("tag", Class::Missing, "#RechercheParis Marie, 27 ans");
    tagged.hashtags = vec!["RechercheParis".into()];
    let mut paris = record("paris", Class::Info, "Métro fermé Paris 11e");
    paris.extracted.places = vec![place("Paris 11e", 48.8590, 2.3800, 1500)];
    let mut lyon = record("lyon", Class::Support, "Lyon pense à Paris");
    lyon.extracted.places = vec![place("Lyon", 45.7640, 4.8357, 5000)];
    let accent = record(
        "accent",
        Class::Noise,
        "Match ce soir près de la RÉPUBLIQUE",
    );
    let all = [de, low, tagged, paris, lyon, accent];

    let table: &[(&str, &[&str])] = &[
        ("", &["de", "low", "tag", "paris", "lyon", "accent"]),
        ("classes=offer,info", &["de", "paris"]),
        ("lang=de", &["de"]),
        ("lang=fr&classes=noise,offer", &["accent"]),
        (
            "min_confidence=0.5",
            &["de", "tag", "paris", "lyon", "accent"],
        ),
        ("tag=recherCHEparis", &["tag"]),
        ("bbox=2.2,48.8,2.5,48.95", &["paris"]),
        ("bbox=-5,40,10,52&classes=info,support", &["paris", "lyon"]),
        ("q=republique", &["accent"]),
        (
            "q=republique&classes=offer,request,missing,support,info",
            &[],
        ),
        (
            "q=paris&min_confidence=0.5&classes=info,support,request",
            &["paris", "lyon"],
        ),
    ];
    let router = assert_live_filters("/api/feed", table, all).await.router();
    // The same filters on a fresh client's backlog.
    for (query, want) in table {
        let mut s = SseStream::open(&router, &format!("/api/feed?backlog=10&{query}"), &[]).await;
        let got = record_ids(&s.drain(SHORT).await);
        assert_eq!(got, sample_ids(want), "backlog with filter `{query}`");
    }
}

#[tokio::test]
async fn multiplexed_bad_parameters_are_400() {
    let router = gateway().router();
    for q in [
        "classes=offer,shelter",
        "classes=Offers",
        "min_confidence=2",
        "bbox=1,2,3",
        "backlog=-1",
        "last_event_id=x",
    ] {
        let r = get(&router, &format!("/api/feed?{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(r.json()["error"], "bad_request", "{q}");
    }
    let r = call(&router, "GET", "/api/feed", &[("last-event-id", "abc")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// A client of all classes drops; while it is away records, a handled mark, a reclassification, a deletion
/// and noise happen. Resuming gets exactly those, in order, then live, from any resume point.
#[tokio::test]
async fn multiplexed_resume_across_classes_without_loss_or_repeat() {
    let gw = gateway();
    let router = gw.router();
    let mut first = SseStream::open(&router, "/api/feed", &[]).await;
    let r4 = record("4", Class::Offer, "j'ai un canapé");
    let mut r4_moved = record("4", Class::Missing, "je cherche Marie");
    r4_moved.edited_at = Some(r4.created_at + chrono::Duration::minutes(5));
    apply_all(
        &gw,
        [
            record("1", Class::Offer, "one"),
            record("2", Class::Info, "two"),
        ],
    );
    let seen = first.drain(SHORT).await;
    assert_eq!(
        summary(&seen),
        [ev("record", "1", "offer"), ev("record", "2", "info")]
    );
    let last = seen[1].id.clone().expect("id");
    drop(first);

    gw.apply(
        ClassEvent::Record(record("3", Class::Request, "three")),
        Class::Request,
        0,
        1,
    );
    let r = call(&router, "POST", "/api/handled/sample%3A1", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    gw.apply(ClassEvent::Record(r4), Class::Offer, 0, 2);
    gw.apply(ClassEvent::Record(r4_moved), Class::Missing, 0, 3);
    gw.apply(tombstone("2"), Class::Info, 0, 4);
    gw.apply(
        ClassEvent::Record(record("n", Class::Noise, "lol")),
        Class::Noise,
        0,
        5,
    );
    let want_missed = [
        ev("record", "3", "request"),
        ev("handled", "1", "offer"),
        ev("record", "4", "offer"),
        ev("retract", "4", "offer"),
        ev("record", "4", "missing"),
        ev("retract", "2", "info"),
        ev("record", "n", "noise"),
    ];

    let mut resumed = SseStream::open(&router, "/api/feed", &[("last-event-id", &last)]).await;
    let missed = resumed.drain(SHORT).await;
    assert_eq!(summary(&missed), want_missed);
    assert_increasing(&missed);
    assert!(missed[0].id_num() > seen[1].id_num());
    assert_eq!(missed[1].json()["handled"], true);
    assert_eq!(missed[3].json()["reason"], "moved");
    assert_eq!(missed[5].json()["reason"], "deleted");

    // The multiplexed resume is exactly the per-class resumes merged by id.
    let mut merged = Vec::new();
    for class in Class::ALL {
        let mut s = SseStream::open(
            &router,
            &format!("/api/feed/{class}"),
            &[("last-event-id", &last)],
        )
        .await;
        merged.extend(s.drain(SHORT).await);
    }
    merged.sort_by_key(SseEvent::id_num);
    assert_eq!(merged, missed);

    // Then live, without repeats.
    gw.apply(
        ClassEvent::Record(record("5", Class::Support, "five")),
        Class::Support,
        0,
        6,
    );
    let live = resumed.drain(SHORT).await;
    assert_eq!(summary(&live), [ev("record", "5", "support")]);
    assert!(live[0].id_num() > missed.last().expect("missed").id_num());

    // From EVERY resume point (through the query parameter this time): exactly the rest, nothing twice.
    let everything: Vec<SseEvent> = missed.iter().chain(&live).cloned().collect();
    for (k, at) in everything.iter().enumerate() {
        let id = at.id.clone().expect("id");
        let mut s = SseStream::open(&router, &format!("/api/feed?last_event_id={id}"), &[]).await;
        assert_eq!(
            s.drain(SHORT).await,
            everything[k + 1..],
            "resume after event #{k}"
        );
    }

    // A subset of classes: only theirs.
    let mut some = SseStream::open(
        &router,
        &format!("/api/feed?classes=offer,missing&last_event_id={last}"),
        &[],
    )
    .await;
    assert_eq!(
        summary(&some.drain(SHORT).await),
        [
            ev("handled", "1", "offer"),
            ev("record", "4", "offer"),
            ev("retract", "4", "offer"),
            ev("record", "4", "missing"),
        ]
    );
    // The header wins over the parameter (what a browser's EventSource sends when it reconnects).
    let mut both = SseStream::open(
        &router,
        &format!("/api/feed?classes=support&last_event_id={last}"),
        &[("last-event-id", &live[0].id.clone().expect("id"))],
    )
    .await;
    assert!(both.drain(SHORT).await.is_empty());
}

/// The resume buffers are per class: a flood of noise does not push the offers out.
#[tokio::test]
async fn multiplexed_resume_merges_per_class_buffers() {
    let gw = Gateway::new(GatewayConfig {
        feed_buffer: 3,
        ..GatewayConfig::default()
    });
    let router = gw.router();
    apply_all(
        &gw,
        [
            record("o1", Class::Offer, "x"),
            record("o2", Class::Offer, "x"),
        ]
        .into_iter()
        .chain((1..=10).map(|i| record(&format!("n{i}"), Class::Noise, "x"))),
    );
    let mut s = SseStream::open(
        &router,
        "/api/feed?classes=offer,noise",
        &[("last-event-id", "1")],
    )
    .await;
    let got = s.drain(SHORT).await;
    assert_eq!(
        record_ids(&got),
        [
            "sample:o1",
            "sample:o2",
            "sample:n8",
            "sample:n9",
            "sample:n10"
        ]
    );
    assert_increasing(&got);
}

#[tokio::test]
async fn multiplexed_backlog_is_per_class() {
    let gw = gateway();
    let router = gw.router();
    apply_all(
        &gw,
        (1..=3).flat_map(|i| {
            let text = if i == 2 { "deux" } else { "autre" };
            [
                record(&format!("o{i}"), Class::Offer, text),
                record(&format!("i{i}"), Class::Info, text),
                record(&format!("s{i}"), Class::Support, text),
            ]
        }),
    );
    let mut none = SseStream::open(&router, "/api/feed", &[]).await;
    assert!(none.drain(SHORT).await.is_empty(), "live only by default");
    let mut two = SseStream::open(&router, "/api/feed?classes=offer,info&backlog=2", &[]).await;
    let got = two.drain(SHORT).await;
    assert_eq!(
        record_ids(&got),
        ["sample:o2", "sample:i2", "sample:o3", "sample:i3"],
        "the last 2 of each class, merged by id"
    );
    assert_increasing(&got);
    let mut q = SseStream::open(&router, "/api/feed?backlog=1&q=deux", &[]).await;
    assert_eq!(
        record_ids(&q.drain(SHORT).await),
        ["sample:o2", "sample:i2", "sample:s2"]
    );
}

/// A client that reads nothing while many events pass falls behind the live channel: it catches up from the
/// buffers, in id order, with nothing twice.
#[tokio::test]
async fn multiplexed_slow_client_catches_up_from_the_buffers() {
    let gw = Gateway::new(GatewayConfig {
        feed_buffer: 10,
        ..GatewayConfig::default()
    });
    let router = gw.router();
    let mut slow = SseStream::open(&router, "/api/feed?classes=offer,info", &[]).await;
    apply_all(
        &gw,
        (1..=100).map(|i| {
            let class = if i % 2 == 0 {
                Class::Info
            } else {
                Class::Offer
            };
            record(&i.to_string(), class, "x")
        }),
    );
    let got = slow.drain(SHORT).await;
    assert_increasing(&got);
    let want: Vec<String> = (81..=100).map(|i| format!("sample:{i}")).collect();
    assert_eq!(
        record_ids(&got),
        want,
        "the buffers' 10 offers and 10 infos"
    );
    // And live afterwards.
    apply_all(&gw, [record("101", Class::Offer, "x")]);
    assert_eq!(record_ids(&slow.drain(SHORT).await), ["sample:101"]);
}
