//! The dashboard in a real headless Chromium (Debian `chromium` + `chromium-driver`, installed by
//! `scripts/install-test-deps.sh`): a record applied to the gateway shows in its column within 2 s, a post
//! holding HTML or a script is shown as text, "mark as handled" works, and a screenshot is saved.
//!
//! All of it with the six columns on (noise included): Chromium holds at most 6 HTTP/1.1 connections per host,
//! so a page with one live stream per column would leave its other requests (`/api/offers.geojson`,
//! `POST /api/handled/…`) waiting forever. The page must use one stream for all its columns.
//!
//! Without Chromium this test FAILS (telling to run the install script). `TRIAGE_SKIP_BROWSER=1` skips it
//! on purpose, loudly.

mod common;

use std::time::Duration;

use common::*;
use triage_gateway::{
    GatewayConfig,
    testing::{Browser, TestServer, skip_browser_tests},
};
use triage_model::{Class, ClassEvent, ContactChannel};

const XSS: &str = "Hébergement <img src=x onerror=\"window.__xss=1\"> <script>window.__xss=2</script> \
<b>bold</b> &amp; <a href=\"javascript:window.__xss=3\">lien</a>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium() {
    if skip_browser_tests() {
        return;
    }
    // No tile URL: the test needs no network, and the offers must still show as circle markers.
    let server = TestServer::start(GatewayConfig {
        tiles: String::new(),
        ..GatewayConfig::default()
    })
    .await
    .expect("gateway starts");
    let browser = match Browser::launch().await {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    };
    let result = run(&server, &browser).await;
    let closed = browser.close().await;
    server.stop().await.expect("gateway stops");
    if let Err(e) = result {
        panic!("{e}");
    }
    closed.expect("browser closes");
}

async fn run(server: &TestServer, browser: &Browser) -> Result<(), Box<dyn std::error::Error>> {
    let gw = &server.gateway;
    // Something already there before the page loads (the backlog).
    let mut info = record(
        "info1",
        Class::Info,
        "Le métro ligne 9 est fermé entre Oberkampf et République.",
    );
    info.reasons = vec!["lexicon:info:fermé".into(), "regex:metro".into()];
    gw.apply(ClassEvent::Record(info), Class::Info, 0, 0);

    browser.open_dashboard(&server.base_url).await?;
    browser
        .wait_for_card(Class::Info, "sample:info1", Duration::from_secs(2))
        .await?;

    // Every column on, noise included (six classes).
    set_noise(browser, true).await?;
    gw.apply(
        ClassEvent::Record(record("noise1", Class::Noise, "lol ce match")),
        Class::Noise,
        0,
        0,
    );
    browser
        .wait_for_card(Class::Noise, "sample:noise1", Duration::from_secs(2))
        .await?;

    // Live: an offer applied now shows within 2 s.
    let text = "#PorteOuverte J'héberge 2 personnes à Paris 11e, appelez le 06 12 34 56 78";
    let mut offer = record("offer1", Class::Offer, text);
    offer.hashtags = vec!["PorteOuverte".into()];
    offer.extracted.places = vec![place("Paris 11e", 48.8590, 2.3800, 1500)];
    offer.extracted.contacts = vec![contact(text, "06 12 34 56 78", ContactChannel::Phone)];
    offer.reasons = vec![
        "lexicon:offer:héberger".into(),
        "hashtag:porteouverte".into(),
        "regex:capacity".into(),
    ];
    gw.apply(ClassEvent::Record(offer), Class::Offer, 0, 0);
    let took = browser
        .wait_for_card(Class::Offer, "sample:offer1", Duration::from_secs(2))
        .await?;
    eprintln!("offer shown on the dashboard {took:?} after it was applied");
    let shown = browser.card_text(Class::Offer, "sample:offer1").await?;
    assert!(
        shown.contains("[phone]") && !shown.contains("06 12"),
        "redacted on the page: {shown}"
    );

    // The page's own requests are not starved by its live feed (3 s, then "timeout").
    let fetched = browser
        .js(
            "return Promise.race([\
               fetch('/api/offers.geojson').then(r => r.json()).then(j => j.features.map(f => f.properties.id)),\
               new Promise(res => setTimeout(() => res('timeout'), 3000)),\
             ]);",
            vec![],
        )
        .await?;
    assert_eq!(
        fetched,
        serde_json::json!(["sample:offer1"]),
        "fetch('/api/offers.geojson') from the page with all six columns live"
    );

    // XSS: shown as text, no element created, no script ran.
    let mut evil = record("evil", Class::Offer, XSS);
    evil.extracted.places = vec![place("Bastille", 48.8532, 2.3692, 300)];
    evil.url = Some("javascript:window.__xss=4".into());
    evil.author.name = Some("<img src=y onerror=\"window.__xss=5\">".into());
    evil.reasons = vec!["<script>window.__xss=6</script>".into()];
    gw.apply(ClassEvent::Record(evil), Class::Offer, 0, 1);
    browser
        .wait_for_card(Class::Offer, "sample:evil", Duration::from_secs(2))
        .await?;
    assert_eq!(
        browser.card_text(Class::Offer, "sample:evil").await?,
        XSS,
        "the text, exactly, as text"
    );
    browser
        .assert_text_only(Class::Offer, "sample:evil")
        .await?;
    let link = browser
        .js(
            "const c = Array.from(document.querySelectorAll('#col-offer .post')).find(c => c.dataset.id === 'sample:evil');\
             return c.querySelectorAll('a[href^=\"javascript\"]').length;",
            vec![],
        )
        .await?;
    assert_eq!(link, serde_json::json!(0), "no javascript: link");

    // The map: both offers as circle markers (drawn without tiles).
    browser
        .wait_until(
            "two offers on the map",
            "return document.getElementById('offer-count').textContent === '2';",
            vec![],
            Duration::from_secs(5),
        )
        .await?;
    let markers = browser
        .js("let n = 0; document.querySelectorAll('.leaflet-overlay-pane canvas, .leaflet-overlay-pane path').forEach(() => n++); return n;", vec![])
        .await?;
    assert!(
        markers.as_u64().unwrap_or(0) >= 1,
        "the overlay pane draws the markers: {markers}"
    );

    // Mark as handled: the card changes, and the shared state knows.
    browser
        .mark_handled(Class::Offer, "sample:offer1", Duration::from_secs(2))
        .await?;
    let posts = http_get(server, "/api/posts?class=offer").await?;
    let handled: Vec<bool> = posts["posts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| p["id"] == "sample:offer1")
                .map(|p| p["handled"] == true)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(handled, [true]);

    // A mark set elsewhere (another desk) reaches the page through the feed.
    let marked = http_call(server, "POST", "/api/handled/sample%3Aevil").await?;
    assert_eq!(marked["handled"], true, "{marked}");
    browser
        .wait_until(
            "mark set elsewhere shown",
            "const c = Array.from(document.querySelectorAll('#col-offer .post')).find(c => c.dataset.id === 'sample:evil');\
             return !!c && c.classList.contains('handled');",
            vec![],
            Duration::from_secs(2),
        )
        .await?;

    // A deleted post leaves the page.
    gw.apply(tombstone("info1"), Class::Info, 0, 5);
    browser
        .wait_until(
            "deleted post removed",
            "return !Array.from(document.querySelectorAll('#col-info .post')).some(c => c.dataset.id === 'sample:info1');",
            vec![],
            Duration::from_secs(2),
        )
        .await?;

    // Fill the other columns a little so that the screenshot shows a desk at work.
    let mut request = record(
        "req1",
        Class::Request,
        "Bloquée à Bastille avec un ami blessé, besoin d'un abri. Merci de RT",
    );
    request.needs_review = true;
    request.confidence = 0.55;
    let mut missing_post = record(
        "mis1",
        Class::Missing,
        "#RechercheParis Marie, 27 ans, vue au Bataclan vers 21h30",
    );
    missing_post.lang = "fr".into();
    let mut support = record("sup1", Class::Support, "Pensées pour Paris #PrayForParis");
    support.lang = "en".into();
    apply_all(gw, [request, missing_post, support]);
    browser
        .wait_for_card(Class::Support, "sample:sup1", Duration::from_secs(2))
        .await?;

    // Noise off again: the cards already shown stay, and the feed goes on.
    set_noise(browser, false).await?;
    browser
        .wait_for_card(Class::Offer, "sample:offer1", Duration::from_secs(1))
        .await?;
    apply_all(
        gw,
        [record(
            "offer2",
            Class::Offer,
            "Canapé libre à Belleville #PorteOuverte",
        )],
    );
    browser
        .wait_for_card(Class::Offer, "sample:offer2", Duration::from_secs(2))
        .await?;

    let path = std::env::var_os("TRIAGE_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("triage-dashboard.png");
    browser.screenshot(&path).await?;
    let size = std::fs::metadata(&path)?.len();
    assert!(size > 10_000, "screenshot is {size} bytes");
    eprintln!("dashboard screenshot: {}", path.display());
    Ok(())
}

/// Ticks (or unticks) "show noise" with a real click and waits until the page is live again with the noise
/// column shown (or hidden).
async fn set_noise(browser: &Browser, on: bool) -> Result<(), Box<dyn std::error::Error>> {
    let checked = browser
        .js("return document.getElementById('f-noise').checked;", vec![])
        .await?;
    if checked != serde_json::json!(on) {
        browser
            .client()
            .find(fantoccini::Locator::Id("f-noise"))
            .await?
            .click()
            .await?;
    }
    browser
        .wait_until(
            "noise column toggled and every feed live",
            "return document.getElementById('col-noise').hidden === !arguments[0] && \
             /^live · (\\d+)\\/\\1 feeds$/.test(document.getElementById('status').textContent);",
            vec![serde_json::json!(on)],
            Duration::from_secs(5),
        )
        .await?;
    Ok(())
}

async fn http_get(
    server: &TestServer,
    path: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    http_call(server, "GET", path).await
}

/// A request over a plain TCP connection (HTTP/1.0, no client library needed); the JSON body.
async fn http_call(
    server: &TestServer,
    method: &str,
    path: &str,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(server.addr).await?;
    conn.write_all(
        format!("{method} {path} HTTP/1.0\r\nHost: test\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await?;
    let text = String::from_utf8(raw)?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .ok_or("no body")?;
    Ok(serde_json::from_str(body)?)
}
