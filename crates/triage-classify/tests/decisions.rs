//! Decisions of the shipped default model, with their reasons and extracted places, over a table of posts in
//! five languages: the three real offers of 13 November 2015, other offers, requests, missing persons,
//! support, information and hard negatives. Update with `UPDATE_EXPECT=1 cargo test -p triage-classify`.

use expect_test::{Expect, expect};
use triage_classify::Classifier;
use triage_model::Class;

fn render(clf: &Classifier, text: &str) -> String {
    let c = clf.classify_text(text, None);
    let places: Vec<String> = c
        .extracted
        .places
        .iter()
        .map(|p| format!("{} ({})", p.name, p.kind))
        .collect();
    let mut s = format!(
        "{} {:.2}{} [{}] reasons: {}",
        c.class,
        c.confidence,
        if c.needs_review { " review" } else { "" },
        c.lang,
        c.reasons.join(", ")
    );
    if !places.is_empty() {
        s.push_str(&format!(" | places: {}", places.join("; ")));
    }
    if let Some(cap) = &c.extracted.capacity {
        s.push_str(&format!(
            " | capacity: {:?} \"{}\"",
            cap.people, cap.matched
        ));
    }
    if !c.extracted.contacts.is_empty() {
        let cs: Vec<String> = c
            .extracted
            .contacts
            .iter()
            .map(|k| format!("{:?}", k.channel).to_lowercase())
            .collect();
        s.push_str(&format!(" | contacts: {}", cs.join(",")));
    }
    if let Some(m) = &c.extracted.missing {
        let names: Vec<&str> = m.names.iter().map(|n| n.value.as_str()).collect();
        s.push_str(&format!(" | missing: {:?} names={names:?}", m.status));
    }
    s
}

fn check(table: &[&str], expect: Expect) {
    let clf = Classifier::builtin().expect("built-in classifier loads");
    let out: Vec<String> = table
        .iter()
        .map(|t| format!("{t}\n  => {}", render(&clf, t)))
        .collect();
    expect.assert_eq(&(out.join("\n") + "\n"));
}

/// The three real offers must be offers, with their places, whatever else the model learns.
#[test]
fn seed_offers_are_offers_with_places() {
    let clf = Classifier::builtin().expect("built-in classifier loads");
    for (text, place, kind) in [
        (
            "Rue Castagnary je peux encore héberger du monde",
            "Rue Castagnary",
            "street",
        ),
        (
            "je peux ouvrir mon appart dans le 20e",
            "Paris 20e",
            "arrondissement",
        ),
        (
            "si quelqu'un cherche un abri vers Belleville, prévenez-moi",
            "Belleville",
            "quartier",
        ),
    ] {
        let c = clf.classify_text(text, None);
        assert_eq!(c.class, Class::Offer, "{text}: {c:?}");
        let p = c
            .extracted
            .places
            .iter()
            .find(|p| p.name == place)
            .unwrap_or_else(|| panic!("{text}: no {place}: {c:?}"));
        assert_eq!(p.kind, kind);
        assert_eq!(&text[p.span.start..p.span.end], p.matched);
    }
    let c = clf.classify_text("Rue Castagnary je peux encore héberger du monde", None);
    let p = &c.extracted.places[0];
    assert!(
        (p.lat - 48.8335).abs() < 0.002 && (p.lon - 2.3110).abs() < 0.003,
        "{p:?}"
    );
}

#[test]
fn hard_negative_porteouverte_is_not_an_offer() {
    let clf = Classifier::builtin().expect("built-in classifier loads");
    let c = clf.classify_text(
        "Magnifique de voir Paris ouvrir ses portes #PorteOuverte",
        None,
    );
    assert_ne!(c.class, Class::Offer, "{c:?}");
}

#[test]
fn decisions_fr() {
    check(
        &[
            "Rue Castagnary je peux encore héberger du monde",
            "je peux ouvrir mon appart dans le 20e",
            "si quelqu'un cherche un abri vers Belleville, prévenez-moi",
            "#PorteOuverte 11e, 2 personnes peuvent dormir chez moi près de Voltaire, écrivez-moi en MP",
            "Bloqués à Oberkampf avec une amie, quelqu'un peut nous héberger cette nuit ? #PorteOuverte",
            "#RechercheParis Sans nouvelles de ma sœur Claire Martin, 24 ans, elle était au Bataclan vers 21h30",
            "Mon frère Julien est retrouvé, il est sain et sauf. Merci à tous #RechercheParis",
            "Toutes nos pensées vont aux victimes et à leurs proches #PrayForParis",
            "La préfecture de police demande aux habitants de rester chez eux. Numéro d'urgence : 0800 40 60 05",
            "Magnifique de voir Paris ouvrir ses portes #PorteOuverte",
            "mdr le chat de mon voisin a encore mangé mon sandwich",
            "Gagnez un iPhone ! Abonnez-vous et RT pour participer au concours",
        ],
        expect![[r#"
            Rue Castagnary je peux encore héberger du monde
              => offer 0.89 [fr] reasons: lexicon:offer, word:je, words:je peux, regex:address, word:peux | places: Rue Castagnary (street)
            je peux ouvrir mon appart dans le 20e
              => offer 0.98 [fr] reasons: lexicon:offer, word:je, words:je peux, regex:arrondissement, word:peux | places: Paris 20e (arrondissement)
            si quelqu'un cherche un abri vers Belleville, prévenez-moi
              => offer 0.50 review [fr] reasons: rule:conditional-offer, lexicon:offer, place:quartier, word:moi | places: Belleville (quartier)
            #PorteOuverte 11e, 2 personnes peuvent dormir chez moi près de Voltaire, écrivez-moi en MP
              => offer 1.00 [fr] reasons: lexicon:offer, regex:dm, regex:arrondissement, word:porte, place:arrondissement | places: Paris 11e (arrondissement) | capacity: Some(2) "2 personnes" | contacts: dm
            Bloqués à Oberkampf avec une amie, quelqu'un peut nous héberger cette nuit ? #PorteOuverte
              => request 0.99 [fr] reasons: lexicon:request, regex:question, lexicon:offer, word:un, place:metro | places: Oberkampf (metro)
            #RechercheParis Sans nouvelles de ma sœur Claire Martin, 24 ans, elle était au Bataclan vers 21h30
              => missing 1.00 [fr] reasons: lexicon:missing, place:venue, regex:age, word:au, word:était | places: Bataclan (venue) | missing: Missing names=["Claire Martin"]
            Mon frère Julien est retrouvé, il est sain et sauf. Merci à tous #RechercheParis
              => missing 1.00 [fr] reasons: lexicon:missing, word:merci, stem:merci, word:il, stem:recherche | missing: Found names=["Julien"]
            Toutes nos pensées vont aux victimes et à leurs proches #PrayForParis
              => support 1.00 [fr] reasons: lexicon:support, word:paris, word:aux, stem:victimes, lexicon:info
            La préfecture de police demande aux habitants de rester chez eux. Numéro d'urgence : 0800 40 60 05
              => info 0.98 [fr] reasons: lexicon:info, regex:phone, word:la, lexicon:info:numéro, word:numéro | places: Préfecture de police (venue) | contacts: phone
            Magnifique de voir Paris ouvrir ses portes #PorteOuverte
              => support 0.69 [und] reasons: place:city, word:paris, word:porte, hashtag:PorteOuverte, word:ouverte | places: Paris (city)
            mdr le chat de mon voisin a encore mangé mon sandwich
              => noise 0.81 [fr] reasons: lexicon:noise, words:a encore, stem:mangé, word:chat, stem:encore
            Gagnez un iPhone ! Abonnez-vous et RT pour participer au concours
              => noise 1.00 [fr] reasons: lexicon:noise, word:iphone, stem:iphone, word:rt, words:un iphone
        "#]],
    );
}

#[test]
fn decisions_en_de_es_it() {
    check(
        &[
            "My door is open in the 11th, room for 3, DM me #PorteOuverte",
            "Stranded near Gare du Nord, does anyone have a couch for tonight? #PorteOuverte",
            "Have you seen my brother Tom Evans? Last seen at the Stade de France, no news since 10pm",
            "Thoughts and prayers with Paris tonight #PrayForParis",
            "Police confirm at least 120 dead in several attacks across Paris",
            "lol this is the best pizza in town, follow me for more",
            "Wir haben Platz für zwei in der Nähe von République, schreibt mir #OffeneTüren",
            "Unsere Gedanken sind bei den Opfern in Paris #PrayForParis",
            "Tengo un sofá libre en el 10e para quien lo necesite, escríbeme por MD",
            "Posso ospitare due persone vicino a Nation, scrivetemi in privato",
            "Cerchiamo Marco Rossi, 30 anni, disperso dopo il concerto al Bataclan",
        ],
        expect![[r#"
            My door is open in the 11th, room for 3, DM me #PorteOuverte
              => offer 1.00 [en] reasons: lexicon:offer, regex:dm, word:dm, word:for, word:in | capacity: Some(3) "room for 3" | contacts: dm
            Stranded near Gare du Nord, does anyone have a couch for tonight? #PorteOuverte
              => request 0.93 [en] reasons: lexicon:request, regex:question, lexicon:offer, place:metro, word:a | places: Gare du Nord (metro) | capacity: Some(1) "a couch"
            Have you seen my brother Tom Evans? Last seen at the Stade de France, no news since 10pm
              => missing 1.00 [en] reasons: lexicon:missing, place:venue, word:at, words:at the, word:tom | places: Stade de France (venue) | missing: Missing names=["Tom Evans"]
            Thoughts and prayers with Paris tonight #PrayForParis
              => support 1.00 [en] reasons: lexicon:support, place:city, word:paris, stem:thoughts, stem:prayers | places: Paris (city)
            Police confirm at least 120 dead in several attacks across Paris
              => info 0.96 [en] reasons: lexicon:info, lexicon:info:dead, word:dead, stem:several, words:confirm at | places: Paris (city)
            lol this is the best pizza in town, follow me for more
              => noise 0.99 [en] reasons: lexicon:noise, word:best, word:this, lexicon:noise:lol, word:me
            Wir haben Platz für zwei in der Nähe von République, schreibt mir #OffeneTüren
              => offer 0.99 [de] reasons: lexicon:offer, word:für, regex:address, word:in, words:platz für | capacity: Some(2) "Platz für zwei"
            Unsere Gedanken sind bei den Opfern in Paris #PrayForParis
              => support 1.00 [de] reasons: lexicon:support, place:city, word:paris, word:den, word:bei | places: Paris (city)
            Tengo un sofá libre en el 10e para quien lo necesite, escríbeme por MD
              => offer 1.00 [es] reasons: lexicon:offer, regex:dm, word:para, stem:libre, regex:arrondissement | places: Paris 10e (arrondissement) | capacity: Some(1) "un sofá" | contacts: dm
            Posso ospitare due persone vicino a Nation, scrivetemi in privato
              => offer 1.00 [en] reasons: lexicon:offer, regex:dm, word:in, word:posso, stem:persone | capacity: Some(2) "due persone" | contacts: dm
            Cerchiamo Marco Rossi, 30 anni, disperso dopo il concerto al Bataclan
              => missing 1.00 [it] reasons: lexicon:missing, place:venue, regex:age, word:bataclan, words:30 anni | places: Bataclan (venue) | missing: Missing names=["Marco Rossi"]
        "#]],
    );
}
