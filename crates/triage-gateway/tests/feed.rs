//! `GET /api/feed/{class}`: filters, live delivery, `Last-Event-ID` resume, backlog, retractions.

mod common;

use axum::http::StatusCode;
use common::*;
use triage_gateway::{Gateway, GatewayConfig};
use triage_model::{Class, ClassEvent};

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
    let gw = gateway();
    let router = gw.router();
    let mut streams = Vec::new();
    for (query, _) in table {
        streams.push(SseStream::open(&router, &format!("/api/feed/offer?{query}"), &[]).await);
    }
    apply_all(&gw, all);
    for ((query, want), stream) in table.iter().zip(&mut streams) {
        let got = record_ids(&stream.drain(SHORT).await);
        let want: Vec<String> = want.iter().map(|n| format!("sample:{n}")).collect();
        assert_eq!(got, want, "filter `{query}`");
    }
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
