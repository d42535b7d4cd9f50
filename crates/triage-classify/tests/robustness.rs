//! Bad input never panics, and every span is a valid char-boundary range of the original text.

use proptest::prelude::*;
use triage_classify::{Classification, Classifier};

fn spans_ok(text: &str, c: &Classification) {
    let ex = &c.extracted;
    let mut spans: Vec<(usize, usize)> = ex
        .places
        .iter()
        .map(|p| (p.span.start, p.span.end))
        .collect();
    spans.extend(ex.contacts.iter().map(|k| (k.span.start, k.span.end)));
    spans.extend(ex.capacity.iter().map(|k| (k.span.start, k.span.end)));
    if let Some(m) = &ex.missing {
        spans.extend(m.names.iter().map(|n| (n.span.start, n.span.end)));
        spans.extend(m.age.iter().map(|n| (n.span.start, n.span.end)));
        spans.extend(m.last_seen_place.iter().map(|n| (n.span.start, n.span.end)));
        spans.extend(m.last_seen_time.iter().map(|n| (n.span.start, n.span.end)));
    }
    for (s, e) in spans {
        assert!(
            s <= e && e <= text.len(),
            "span {s}..{e} out of 0..{}",
            text.len()
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "span {s}..{e} not on char boundaries"
        );
    }
    for p in &ex.places {
        assert_eq!(&text[p.span.start..p.span.end], p.matched);
    }
    let sum: f32 = c.scores.iter().sum();
    assert!((sum - 1.0).abs() < 1e-3, "scores sum to {sum}");
    assert!(c.confidence.is_finite());
}

fn clf() -> &'static Classifier {
    static CLF: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    CLF.get_or_init(|| Classifier::builtin().expect("built-in classifier loads"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_unicode(text in "\\PC*") {
        let c = clf().classify_text(&text, None);
        spans_ok(&text, &c);
    }

    #[test]
    fn crisis_like(text in "(#?[A-Za-zéèàçßüöäñ]{1,12}|[0-9]{1,5}(e|ème|eme)?|@[a-z]{1,8}|https?://t\\.co/[a-z]{4}|[ ,.?!'’()\\-]|\u{1F64F}|\u{2764}\u{FE0F}|[\u{0590}-\u{05FF}\u{0600}-\u{06FF}]{1,6}|\u{200F}|ﬁ|\u{0301}){0,40}") {
        let c = clf().classify_text(&text, None);
        spans_ok(&text, &c);
    }
}

#[test]
fn edge_cases() {
    let big_ascii = "je peux héberger 2 personnes rue de Charonne ".repeat(25_000);
    let big_multibyte = "é🙏ß漢".repeat(100_000);
    for text in [
        String::new(),
        " ".into(),
        "🙏🙏🙏❤️💔".into(),
        "#".into(),
        "@".into(),
        "##@@##".into(),
        "\u{0301}\u{0301}".into(),
        "مرحبا باريس، نحن معكم #PrayForParis".into(),
        "שלום פריז \u{200F}Rue de Charonne".into(),
        "06 12 34 56 78 0612345678 +33612345678".into(),
        "a@b.c @x.y x@ @ .@. test@@example.org".into(),
        "XXe xxème 75020 20 ème 1er IIe".into(),
        big_ascii,
        big_multibyte,
    ] {
        let c = clf().classify_text(&text, None);
        spans_ok(&text, &c);
    }
}

#[test]
fn bad_resources_name_file_and_line() {
    let model = triage_classify::builtin::MODEL;
    let lex = vec![(
        "offer.txt".to_string(),
        "# comment\nhéberger\nfoo* bar\n".to_string(),
    )];
    let err = Classifier::from_parts(model, &lex, &[], Default::default())
        .err()
        .expect("fails")
        .to_string();
    assert!(err.contains("offer.txt") && err.contains("line 3"), "{err}");
    let gaz = vec![(
        "x.csv".to_string(),
        "name,aliases,lat,lon,kind,precision_m\nA,,48.1,2.3,metro,150\nB,,north,2.3,metro,1\n"
            .to_string(),
    )];
    let err = Classifier::from_parts(model, &[], &gaz, Default::default())
        .err()
        .expect("fails")
        .to_string();
    assert!(
        err.contains("x.csv") && err.contains("line 3") && err.contains("latitude"),
        "{err}"
    );
    let lex = vec![("offers.txt".to_string(), "x\n".to_string())];
    assert!(Classifier::from_parts(model, &lex, &[], Default::default()).is_err());
}

#[test]
fn hashtags_are_segmented() {
    let fz = clf().featurizer();
    assert_eq!(fz.segment_hashtag("PorteOuverte"), ["porte", "ouverte"]);
    assert_eq!(fz.segment_hashtag("OffeneTüren"), ["offene", "türen"]);
    assert_eq!(fz.segment_hashtag("RechercheParis"), ["recherche", "paris"]);
    assert_eq!(fz.segment_hashtag("porteouverte"), ["porte", "ouverte"]);
    assert_eq!(fz.segment_hashtag("prayforparis"), ["pray", "for", "paris"]);
}

#[test]
fn deterministic() {
    let t = "Je peux héberger 2 personnes près de République, DM #PorteOuverte";
    let a = clf().classify_text(t, None);
    let b = std::thread::scope(|s| {
        s.spawn(|| clf().classify_text(t, None))
            .join()
            .expect("thread")
    });
    assert_eq!(a, b);
}
