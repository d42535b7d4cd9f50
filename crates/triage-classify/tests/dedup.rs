//! Near-duplicate clustering.

use triage_classify::{DedupConfig, Deduper};
use triage_model::{Author, Post, Source};

fn post(id: &str, text: &str, t: i64, repost_of: Option<&str>) -> Post {
    Post {
        v: 1,
        id: format!("x:{id}"),
        source: Source::X,
        url: None,
        author: Author {
            id: None,
            handle: "a".into(),
            name: None,
        },
        text: text.into(),
        lang: None,
        hashtags: vec![],
        created_at: chrono::DateTime::from_timestamp(t, 0).unwrap_or_default(),
        edited_at: None,
        repost_of: repost_of.map(|r| format!("x:{r}")),
        reply_to: None,
        media: vec![],
    }
}

#[test]
fn clusters_reposts_copies_and_near_copies() {
    let mut d = Deduper::new(&DedupConfig::default());
    let orig = "#PorteOuverte je peux héberger 2 personnes rue de Charonne, écrivez-moi en MP";
    let a = d.observe(&post("1", orig, 0, None));
    assert_eq!((a.cluster.as_str(), a.repost_count), ("x:1", 1));
    let b = d.observe(&post("2", &format!("RT @alice: {orig}"), 1, None));
    assert_eq!((b.cluster.as_str(), b.repost_count), ("x:1", 2));
    let c = d.observe(&post("3", "", 2, Some("1")));
    assert_eq!((c.cluster.as_str(), c.repost_count), ("x:1", 3));
    let e = d.observe(&post("4", &format!("{orig} http://t.co/abcd"), 3, None));
    assert_eq!(e.cluster, "x:1", "a copy with a link is the same post");
    let other = d.observe(&post(
        "5",
        "Toutes nos pensées vont aux victimes ce soir #PrayForParis",
        4,
        None,
    ));
    assert_eq!((other.cluster.as_str(), other.repost_count), ("x:5", 1));
    // Seeing the same post again does not count it twice.
    let again = d.observe(&post("2", &format!("RT @alice: {orig}"), 5, None));
    assert_eq!((again.cluster.as_str(), again.repost_count), ("x:1", 4));
}

#[test]
fn memory_is_bounded() {
    let cfg = DedupConfig {
        window_posts: 100,
        window_secs: 60,
        ..DedupConfig::default()
    };
    let mut d = Deduper::new(&cfg);
    for i in 0..10_000 {
        d.observe(&post(
            &i.to_string(),
            &format!("message numéro {i} pour la ville {}", i * 7),
            i / 10,
            None,
        ));
        assert!(d.len() <= 100);
    }
    // Time window: a post an hour later pushes everything out.
    d.observe(&post(
        "late",
        "bien plus tard, un tout autre message ici",
        10_000 + 3600,
        None,
    ));
    assert_eq!(d.len(), 1);
}
