//! Extraction of places, capacity, contacts and missing-person fields, each with its span in the original text.

use triage_model::{
    Capacity, Class, Contact, ContactChannel, Extraction, Media, MissingPerson, MissingStatus,
    Place, Span, Spanned,
};

use crate::features::{Analysis, Featurizer, wl};
use crate::resources::Cue;
use crate::text::TokKind;

fn number_word(w: &str) -> Option<u32> {
    Some(match w {
        "un" | "une" | "one" | "a" | "an" | "ein" | "eine" | "einen" | "uno" | "una" | "um"
        | "uma" => 1,
        "deux" | "two" | "zwei" | "dos" | "due" | "duas" | "dois" | "couple" => 2,
        "trois" | "three" | "drei" | "tres" | "tre" => 3,
        "quatre" | "four" | "vier" | "cuatro" | "quattro" | "quatro" => 4,
        "cinq" | "five" | "funf" | "cinco" | "cinque" => 5,
        "six" | "sechs" | "seis" | "sei" => 6,
        _ => {
            if w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()) {
                w.parse().ok()?
            } else {
                return None;
            }
        }
    })
}

pub(crate) const PERSON_WORDS: &[&str] = &[
    "personne",
    "personnes",
    "pers",
    "people",
    "persons",
    "person",
    "personen",
    "leute",
    "menschen",
    "personas",
    "persona",
    "persone",
    "pessoas",
    "pessoa",
    "adultes",
    "adults",
    "places",
    "spots",
    "plazas",
    "posti",
    "lugares",
    "gens",
    "guests",
];
pub(crate) const SLEEP_WORDS: &[&str] = &[
    "canape",
    "couch",
    "sofa",
    "matelas",
    "mattress",
    "lit",
    "lits",
    "bed",
    "beds",
    "bett",
    "betten",
    "cama",
    "camas",
    "divano",
    "letto",
    "letti",
    "colchon",
    "colchao",
    "materasso",
    "matratze",
    "clic-clac",
    "futon",
];
pub(crate) const ROOM_WORDS: &[&str] = &[
    "room", "space", "place", "platz", "sitio", "lugar", "posto", "spazio", "espace",
];
pub(crate) const FOR_WORDS: &[&str] = &["for", "pour", "fur", "para", "per"];
pub(crate) const TIME_LEAD: &[&str] = &[
    "vers", "a", "around", "at", "um", "gegen", "alle", "hacia", "por", "depuis", "since", "seit",
];
const TIME_PHRASES: &[(&str, &str)] = &[
    ("hier", "soir"),
    ("ce", "soir"),
    ("cette", "nuit"),
    ("last", "night"),
    ("this", "evening"),
    ("gestern", "abend"),
    ("ieri", "sera"),
    ("ontem", "a"),
    ("anoche", ""),
    ("tonight", ""),
    ("vendredi", "soir"),
    ("friday", "night"),
];
pub(crate) const NAME_STOP: &[&str] = &[
    "paris",
    "rt",
    "je",
    "i",
    "we",
    "nous",
    "merci",
    "please",
    "help",
    "urgent",
    "ma",
    "mon",
    "my",
    "il",
    "elle",
    "she",
    "he",
    "si",
    "if",
    "on",
    "la",
    "le",
    "les",
    "des",
    "de",
    "du",
    "et",
    "sans",
    "avis",
    "bitte",
    "hilfe",
    "wir",
    "ich",
    "mi",
    "mio",
    "mia",
    "por",
    "favor",
    "aiuto",
    "ajuda",
    "cherche",
    "recherche",
    "looking",
    "missing",
    "disparu",
    "disparue",
    "vermisst",
    "desaparecido",
    "desaparecida",
    "scomparso",
    "scomparsa",
    "dernier",
    "derniere",
    "last",
    "seen",
    "vu",
    "vue",
    "retrouve",
    "retrouvee",
    "found",
    "safe",
    "partagez",
    "share",
    "rts",
    "svp",
    "stp",
    "pls",
    "plz",
    "a",
    "the",
    "au",
    "aux",
    "en",
    "bataclan",
    "no",
    "news",
    "nouvelles",
    "cerchiamo",
    "buscamos",
    "busco",
    "suchen",
    "suche",
    "procuramos",
    "procuro",
    "have",
    "has",
    "avez",
    "vous",
    "hast",
    "habt",
];

fn span(r: (usize, usize)) -> Span {
    Span {
        start: r.0,
        end: r.1,
    }
}

pub(crate) fn extract(
    fz: &Featurizer,
    orig: &str,
    a: &Analysis,
    media: &[Media],
    class: Class,
) -> Extraction {
    let orig = &orig[..a.analysed_len];
    let mut ex = Extraction::default();
    for &(s, e, id) in &a.places {
        let g = &fz.gazetteer.entries[id as usize];
        if ex.places.iter().any(|p| p.name == g.name) {
            continue;
        }
        let r = a.lex_orig_span(orig, s, e);
        ex.places.push(Place {
            name: g.name.clone(),
            kind: g.kind.clone(),
            lat: g.lat,
            lon: g.lon,
            precision_m: g.precision_m,
            matched: orig[r.0..r.1].to_owned(),
            span: span(r),
        });
    }
    ex.capacity = capacity(orig, a);
    for &(name, s, e) in &a.cues {
        match name {
            "dm" => {
                let r = a.orig_span(orig, s as usize, e as usize);
                ex.contacts.push(Contact {
                    channel: ContactChannel::Dm,
                    value: String::new(),
                    personal: true,
                    span: span(r),
                });
            }
            "email" => {
                let (mut st, en) = a.orig_span(orig, s as usize, e as usize);
                // The tokenizer splits the local part on dots; take it back from the original.
                let b = orig.as_bytes();
                while st > 0
                    && (b[st - 1].is_ascii_alphanumeric()
                        || matches!(b[st - 1], b'.' | b'_' | b'%' | b'+' | b'-'))
                {
                    st -= 1;
                }
                ex.contacts.push(Contact {
                    channel: ContactChannel::Email,
                    value: orig[st..en].to_owned(),
                    personal: true,
                    span: Span { start: st, end: en },
                });
            }
            _ => {}
        }
    }
    for &(s, e) in &a.phones {
        ex.contacts.push(Contact {
            channel: ContactChannel::Phone,
            value: orig[s..e].to_owned(),
            personal: true,
            span: Span { start: s, end: e },
        });
    }
    ex.contacts.sort_by_key(|c| c.span.start);
    if class == Class::Missing {
        ex.missing = Some(missing(fz, orig, a, media));
    }
    ex
}

fn capacity(orig: &str, a: &Analysis) -> Option<Capacity> {
    let word = |li: usize| -> &str { a.tok_text(&a.toks[a.lex[li] as usize]) };
    let make = |s: usize, e: usize, people: Option<u32>| {
        let r = a.lex_orig_span(orig, s as u32, e as u32);
        Some(Capacity {
            people,
            matched: orig[r.0..r.1].to_owned(),
            span: span(r),
        })
    };
    let n = a.lex.len();
    for i in 0..n {
        let ti = a.lex[i] as usize;
        if a.in_list(ti, wl::PERSON)
            && i > 0
            && let Some(k) = number_word(word(i - 1)).filter(|&k| (1..=50).contains(&k))
        {
            return make(i - 1, i + 1, Some(k));
        }
        if a.in_list(ti, wl::SLEEP) {
            if i > 0
                && let Some(k) = number_word(word(i - 1)).filter(|&k| (1..=20).contains(&k))
            {
                return make(i - 1, i + 1, Some(k));
            }
            return make(i, i + 1, Some(1));
        }
        if a.in_list(ti, wl::ROOM)
            && i + 2 < n
            && a.in_list(a.lex[i + 1] as usize, wl::FOR)
            && let Some(k) = number_word(word(i + 2)).filter(|&k| (1..=50).contains(&k))
        {
            return make(i, i + 3, Some(k));
        }
    }
    None
}

fn missing(fz: &Featurizer, orig: &str, a: &Analysis, media: &[Media]) -> MissingPerson {
    let mut status = MissingStatus::Missing;
    let mut rank = 0;
    for &(_, _, id) in &a.lex_hits {
        if let Cue::Status(s) = fz.lexicons.entries[id as usize].cue {
            let r = match s {
                MissingStatus::Missing => 1,
                MissingStatus::Safe => 2,
                MissingStatus::Found => 3,
            };
            if r > rank {
                rank = r;
                status = s;
            }
        }
    }
    let covered = |ti: usize| {
        let li = a.lex.iter().position(|&x| x as usize == ti);
        li.is_some_and(|li| {
            a.places
                .iter()
                .any(|&(s, e, _)| (s as usize..e as usize).contains(&li))
        })
    };
    // Names: runs of one to three capitalized words (not all capitals, not in hashtags, not places).
    let mut names: Vec<Spanned<String>> = Vec::new();
    let mut i = 0;
    while i < a.toks.len() {
        let is_name_tok = |t: &crate::text::Tok, ti: usize| {
            if t.kind != TokKind::Word || t.in_tag || !t.capitalized || covered(ti) {
                return false;
            }
            let (s, e) = a.orig_span(orig, ti, ti + 1);
            let w = &orig[s..e];
            let upper = w.chars().filter(|c| c.is_uppercase()).count();
            w.chars().count() >= 2 && upper <= 2 && !a.in_list(ti, wl::NAME_STOP)
        };
        if !is_name_tok(&a.toks[i], i) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < a.toks.len() && j - i < 3 && is_name_tok(&a.toks[j], j) {
            j += 1;
        }
        let r = a.orig_span(orig, i, j);
        // A single capitalized word at the start of a sentence is more likely a common word than a name.
        let before = orig[..r.0].trim_end();
        let sentence_start = before.is_empty() || before.ends_with(['.', '!', '?', ':']);
        if j - i >= 2 || !sentence_start {
            names.push(Spanned {
                value: orig[r.0..r.1].to_owned(),
                span: span(r),
            });
        }
        i = j;
        if names.len() >= 3 {
            break;
        }
    }
    let mut age = None;
    for &(name, s, e) in &a.cues {
        if name == "age" {
            let r = a.orig_span(orig, s as usize, e as usize);
            if let Some(v) = a
                .tok_text(&a.toks[s as usize])
                .parse()
                .ok()
                .filter(|&v: &u32| v <= 110)
            {
                age = Some(Spanned {
                    value: v,
                    span: span(r),
                });
                break;
            }
        }
    }
    if age.is_none() {
        // "Marie (24)".
        for (ti, t) in a.toks.iter().enumerate() {
            if t.kind != TokKind::Num {
                continue;
            }
            let (s, e) = a.orig_span(orig, ti, ti + 1);
            if s > 0
                && orig.as_bytes()[s - 1] == b'('
                && orig.as_bytes().get(e) == Some(&b')')
                && let Some(v) = orig[s..e].parse().ok().filter(|&v: &u32| v <= 110)
            {
                age = Some(Spanned {
                    value: v,
                    span: Span { start: s, end: e },
                });
                break;
            }
        }
    }
    let last_seen_place = a.places.first().map(|&(s, e, id)| Spanned {
        value: fz.gazetteer.entries[id as usize].name.clone(),
        span: span(a.lex_orig_span(orig, s, e)),
    });
    let mut last_seen_time = None;
    for &(name, s, e) in &a.cues {
        if name == "time" {
            let mut s = s as usize;
            if s > 0 && a.toks[s - 1].lexical() && a.in_list(s - 1, wl::TIME_LEAD) {
                s -= 1;
            }
            let r = a.orig_span(orig, s, e as usize);
            last_seen_time = Some(Spanned {
                value: orig[r.0..r.1].to_owned(),
                span: span(r),
            });
            break;
        }
    }
    if last_seen_time.is_none() {
        'outer: for (li, &ti) in a.lex.iter().enumerate() {
            let w = a.tok_text(&a.toks[ti as usize]);
            for &(p, q) in TIME_PHRASES {
                if w != p {
                    continue;
                }
                let end = if q.is_empty() {
                    li + 1
                } else if a
                    .lex
                    .get(li + 1)
                    .is_some_and(|&x| a.tok_text(&a.toks[x as usize]) == q)
                {
                    li + 2
                } else {
                    continue;
                };
                let r = a.lex_orig_span(orig, li as u32, end as u32);
                last_seen_time = Some(Spanned {
                    value: orig[r.0..r.1].to_owned(),
                    span: span(r),
                });
                break 'outer;
            }
        }
    }
    let photo_url = media
        .iter()
        .find(|m| {
            m.kind
                .as_deref()
                .is_none_or(|k| k == "image" || k == "unknown")
        })
        .map(|m| m.url.clone());
    MissingPerson {
        status,
        names,
        age,
        last_seen_place,
        last_seen_time,
        photo_url,
    }
}
