//! Analysis of a post (fold, tokenize, identify the language, match lexicons and gazetteer) and the hashed
//! features the model reads.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use triage_model::Class;

use crate::lang::LangId;
use crate::resources::{Cue, Gazetteer, Lexicons};
use crate::text::{Folded, Tok, TokKind, cap, chain, fnv, mix, tokenize};
use crate::util::IdHash;

/// Feature groups, normalized separately (each by the square root of its feature count).
pub(crate) const GROUP_WORD: usize = 0;
pub(crate) const GROUP_CHAR: usize = 1;

// Namespaces of feature hashes.
const NS_WORD: u64 = 0x1000_0000_0000_0001;
const NS_STEM: u64 = 0x2000_0000_0000_0002;
const NS_BIGRAM: u64 = 0x3000_0000_0000_0003;
const NS_CHAR: u64 = 0x4000_0000_0000_0004;
const NS_LEX: u64 = 0x5000_0000_0000_0005;
const NS_CUE: u64 = 0x6000_0000_0000_0006;
const NS_TAG: u64 = 0x7000_0000_0000_0007;
const NS_EMOJI: u64 = 0x8000_0000_0000_0008;

/// Which feature families a model uses (stored in the model header; all on by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureFlags {
    #[serde(default = "yes")]
    pub chars: bool,
    #[serde(default = "yes")]
    pub bigrams: bool,
    #[serde(default = "yes")]
    pub stems: bool,
    #[serde(default = "yes")]
    pub hashtags: bool,
}

const fn yes() -> bool {
    true
}

impl Default for FeatureFlags {
    fn default() -> Self {
        FeatureFlags {
            chars: true,
            bigrams: true,
            stems: true,
            hashtags: true,
        }
    }
}

/// Where a feature came from: turned into a readable reason only for the few that end up in `reasons`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    Word(u32),
    Stem(u32),
    /// The two token positions.
    Bigram(u32, u32),
    Lex(u32),
    LexClass(Class),
    Cue(&'static str),
    Tag(u32),
    Emoji(u32),
    Place(u32),
    /// `<url>`, `<user>`, `<num>`: never shown.
    Hidden,
}

pub(crate) trait Sink {
    fn add(&mut self, group: usize, idx: u32, origin: Origin);

    /// The stem feature hash (0: the word is its own stem) of the word `word_hash` in language `lang`, when
    /// the sink has it at hand (the inference sink keeps it beside the word's character n-gram sums, so one
    /// memory read serves both); otherwise the featurizer's stem cache is used and [`Sink::store_stem`] called.
    #[inline]
    fn cached_stem(&mut self, word_hash: u64, lang: usize) -> Option<u64> {
        let _ = (word_hash, lang);
        None
    }

    #[inline]
    fn store_stem(&mut self, word_hash: u64, lang: usize, stem_hash: u64) {
        let _ = (word_hash, lang, stem_hash);
    }

    /// The character n-gram features of one word (`word_hash` is its token hash): all in [`GROUP_CHAR`], all
    /// hidden. A sink may cache their sum per word (the inference sink does: they are most of a post's
    /// features, and common words come back post after post).
    #[inline]
    fn add_chars(&mut self, word_hash: u64, word: &[u8], shift: u32) {
        let _ = word_hash;
        for_each_char_gram(word, shift, |idx| self.add(GROUP_CHAR, idx, Origin::Hidden));
    }
}

/// Longest word whose character n-grams are features.
pub(crate) const MAX_CHAR_GRAM_WORD: usize = 40;

/// Calls `f` with the bucket (`64 - shift` bits) of every character 3-, 4- and 5-gram of `word` with a boundary
/// marker (space) on each side, 3-grams first, left to right. Each n-gram is packed into a u64 and mixed
/// (cheaper than hashing byte by byte).
#[inline]
pub(crate) fn for_each_char_gram(word: &[u8], shift: u32, mut f: impl FnMut(u32)) {
    if word.len() > MAX_CHAR_GRAM_WORD {
        return;
    }
    let mut gram = [b' '; MAX_CHAR_GRAM_WORD + 2];
    gram[1..=word.len()].copy_from_slice(word);
    let gram = &gram[..word.len() + 2];
    for n in 3..=5usize {
        if gram.len() < n {
            break;
        }
        for win in gram.windows(n) {
            let mut packed = (n as u64) << 56;
            for (k, &b) in win.iter().enumerate() {
                packed |= u64::from(b) << (8 * k);
            }
            f((mix(packed ^ NS_CHAR) >> shift) as u32);
        }
    }
}

/// Everything known about a post after analysis; reused between posts (one per thread).
#[derive(Default)]
pub(crate) struct Analysis {
    pub folded: Folded,
    pub toks: Vec<Tok>,
    /// Positions in `toks` of lexical tokens (words, numbers), in order.
    pub lex: Vec<u32>,
    /// For each token, the [`wl`] flags of its hash (0 for tokens that are not lexical).
    pub wbits: Vec<u16>,
    pub lang: Option<usize>,
    /// Lexicon hits: (first lexical index, end lexical index, entry id).
    pub lex_hits: Vec<(u32, u32, u32)>,
    /// Gazetteer hits after longest-match selection: (first, end, entry id).
    pub places: Vec<(u32, u32, u32)>,
    /// Regex-like cues found: (name, first token, end token) over `toks` positions.
    pub cues: Vec<(&'static str, u32, u32)>,
    /// Byte ranges of phone numbers in the original text.
    pub phones: Vec<(usize, usize)>,
    /// Length of the analysed prefix of the original text.
    pub analysed_len: usize,
    gaz_tmp: Vec<(u32, u32, u32)>,
    /// Stems already computed on this thread (word hash and language → stem feature hash, 0 when the word is
    /// its own stem): stemming allocates, and the same words come back post after post.
    stem_cache: std::collections::HashMap<u64, u64, crate::util::IdHash>,
}

/// Bound of the per-thread stem cache.
const STEM_CACHE_MAX: usize = 1 << 16;

impl Analysis {
    pub fn tok_text(&self, t: &Tok) -> &str {
        &self.folded.text[t.range().0..t.range().1]
    }
    /// The original text of tokens `a..b` (positions in `toks`), as a byte range.
    pub fn orig_span(&self, orig: &str, a: usize, b: usize) -> (usize, usize) {
        let (fs, fe) = (self.toks[a].fs as usize, self.toks[b - 1].fe as usize);
        self.folded.orig_range(orig, fs, fe)
    }
    /// Is token `i` (a position in `toks`) a word of the list of flag `flag` (one of [`wl`])?
    #[inline]
    pub fn in_list(&self, i: usize, flag: u16) -> bool {
        self.wbits.get(i).is_some_and(|&b| b & flag != 0)
            && word_list(flag).contains(&self.tok_text(&self.toks[i]))
    }
    pub fn lex_orig_span(&self, orig: &str, a: u32, b: u32) -> (usize, usize) {
        self.orig_span(
            orig,
            self.lex[a as usize] as usize,
            self.lex[b as usize - 1] as usize + 1,
        )
    }
}

pub struct Featurizer {
    pub(crate) lexicons: Lexicons,
    pub(crate) gazetteer: Gazetteer,
    langid: LangId,
    stemmers: Vec<Stemmer>,
    /// Token hash → [`wl`] flags.
    word_bits: HashMap<u64, u16, IdHash>,
}

const STREET_WORDS: &[&str] = &[
    "rue",
    "bd",
    "boulevard",
    "avenue",
    "av",
    "impasse",
    "passage",
    "quai",
    "allee",
    "cite",
    "square",
    "street",
    "road",
    "strasse",
    "str",
    "calle",
    "avenida",
    "rua",
    "viale",
    "piazza",
    "platz",
    "gasse",
];
const AGE_WORDS: &[&str] = &[
    "ans", "an", "years", "yo", "y", "jahre", "jahren", "anos", "anni", "yrs", "year",
];
const DM_WORDS: &[&str] = &[
    "dm", "dms", "mp", "mps", "pm", "inbox", "md", "privat", "prive", "privee", "privado",
    "privato",
];
const ARR_SUFFIX: &[&str] = &[
    "e",
    "eme",
    "ieme",
    "er",
    "ere",
    "em",
    "arr",
    "arrondissement",
    "arrdt",
];
const ROMAN_ARR: &[&str] = &[
    "iie", "iiie", "ive", "viie", "viiie", "ixe", "xe", "xie", "xiie", "xiiie", "xive", "xve",
    "xvie", "xviie", "xviiie", "xixe", "xxe", "xxeme", "xieme", "xxieme", "iieme", "iiieme",
    "xiieme", "xiiieme",
];

fn in_list(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// First words of the conditional-clause markers (see [`Featurizer::conditional_offers`]).
const MARKER_FIRST: &[&str] = &["si", "if", "wenn", "falls", "se"];

/// Word lists looked up per token, as bit flags: [`Analysis::wbits`] holds, for each lexical token, the flags
/// of the lists its hash is in (one hash probe per token instead of dozens of string comparisons), and
/// [`Analysis::in_list`] confirms a set bit by comparing the string (so a hash collision cannot change a result).
pub(crate) mod wl {
    pub const STREET: u16 = 1 << 0;
    pub const AGE: u16 = 1 << 1;
    pub const DM: u16 = 1 << 2;
    pub const ARR_SUFFIX: u16 = 1 << 3;
    pub const ROMAN_ARR: u16 = 1 << 4;
    pub const PERSON: u16 = 1 << 5;
    pub const SLEEP: u16 = 1 << 6;
    pub const ROOM: u16 = 1 << 7;
    pub const FOR: u16 = 1 << 8;
    pub const TIME_LEAD: u16 = 1 << 9;
    pub const NAME_STOP: u16 = 1 << 10;
    pub const MARKER_FIRST: u16 = 1 << 11;
}

/// The list of a [`wl`] flag.
fn word_list(flag: u16) -> &'static [&'static str] {
    use crate::extract as x;
    match flag {
        wl::STREET => STREET_WORDS,
        wl::AGE => AGE_WORDS,
        wl::DM => DM_WORDS,
        wl::ARR_SUFFIX => ARR_SUFFIX,
        wl::ROMAN_ARR => ROMAN_ARR,
        wl::PERSON => x::PERSON_WORDS,
        wl::SLEEP => x::SLEEP_WORDS,
        wl::ROOM => x::ROOM_WORDS,
        wl::FOR => x::FOR_WORDS,
        wl::TIME_LEAD => x::TIME_LEAD,
        wl::NAME_STOP => x::NAME_STOP,
        wl::MARKER_FIRST => MARKER_FIRST,
        _ => &[],
    }
}

fn word_bits_table() -> HashMap<u64, u16, IdHash> {
    let mut t: HashMap<u64, u16, IdHash> = HashMap::default();
    // One bit per flag of `wl` (1 << 0 ..= 1 << 11).
    for k in 0..12 {
        let flag = 1u16 << k;
        for w in word_list(flag) {
            *t.entry(fnv(0, w.as_bytes())).or_insert(0) |= flag;
        }
    }
    t
}

/// `20e`, `11eme`, `1er`, `20ème` (folded) with a number 1..=20.
fn is_arrondissement(w: &str) -> bool {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return in_list(ROMAN_ARR, w);
    }
    let n: u32 = w[..digits].parse().unwrap_or(0);
    (1..=20).contains(&n)
        && matches!(
            &w[digits..],
            "e" | "eme" | "ieme" | "er" | "ere" | "em" | "me"
        )
}

/// `21h`, `21h30`, `9pm`, `10am`.
fn is_time(w: &str) -> bool {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return false;
    }
    let rest = &w[digits..];
    if let Some(m) = rest.strip_prefix('h') {
        return m.is_empty() || (m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()));
    }
    matches!(rest, "pm" | "am")
}

impl Featurizer {
    pub(crate) fn new(lexicons: Lexicons, gazetteer: Gazetteer) -> Featurizer {
        let stemmers = [
            Algorithm::French,
            Algorithm::English,
            Algorithm::German,
            Algorithm::Spanish,
            Algorithm::Italian,
            Algorithm::Portuguese,
        ]
        .into_iter()
        .map(Stemmer::create)
        .collect();
        Featurizer {
            lexicons,
            gazetteer,
            langid: LangId::new(),
            stemmers,
            word_bits: word_bits_table(),
        }
    }

    /// Folds, tokenizes and matches `text` (capped to `max_bytes`) into `a`.
    pub(crate) fn analyse(
        &self,
        text: &str,
        declared: Option<&str>,
        max_bytes: usize,
        a: &mut Analysis,
    ) {
        let text = cap(text, max_bytes);
        a.analysed_len = text.len();
        a.folded.fold(text);
        tokenize(text, &a.folded, &self.lexicons, &mut a.toks);
        a.lex.clear();
        a.wbits.clear();
        for (i, t) in a.toks.iter().enumerate() {
            let mut bits = 0;
            if t.lexical() {
                a.lex.push(i as u32);
                bits = self.word_bits.get(&t.hash).copied().unwrap_or(0);
            }
            a.wbits.push(bits);
        }
        a.lang = self.langid.identify(text, &a.folded, &a.toks, declared);

        a.lex_hits.clear();
        let hits = &mut a.lex_hits;
        self.lexicons
            .index
            .scan(&a.folded.text, &a.toks, &a.lex, |s, e, id| {
                hits.push((s as u32, e as u32, id))
            });

        // Gazetteer: longest match wins, then left to right without overlap.
        a.gaz_tmp.clear();
        let tmp = &mut a.gaz_tmp;
        self.gazetteer
            .index
            .scan(&a.folded.text, &a.toks, &a.lex, |s, e, id| {
                tmp.push((s as u32, e as u32, id))
            });
        if tmp.len() > 1 {
            tmp.sort_by_key(|&(s, e, id)| (std::cmp::Reverse(e - s), s, id));
        }
        a.places.clear();
        for &(s, e, id) in tmp.iter() {
            // Inside a hashtag, a place counts only when it is the whole tag (#Belleville, not #RechercheParis).
            let (ts, te) = (a.lex[s as usize] as usize, a.lex[e as usize - 1] as usize);
            if a.toks[ts].in_tag {
                let whole = ts > 0
                    && a.toks[ts - 1].kind == TokKind::Hashtag
                    && a.toks.get(te + 1).is_none_or(|t| !t.in_tag);
                if !whole {
                    continue;
                }
            }
            if a.places.iter().all(|&(ps, pe, _)| e <= ps || s >= pe) {
                a.places.push((s, e, id));
            }
        }
        a.places.sort_by_key(|&(s, _, _)| s);

        self.find_cues(text, a);
        self.conditional_offers(a);
    }

    /// "si quelqu'un cherche un abri, prévenez-moi", "if anyone needs a ride, I have a car": a need inside a
    /// conditional clause about *someone else* is the author offering help. The request and missing cues in
    /// such a clause are replaced by one `conditional` cue, so that they do not pull the post towards request.
    fn conditional_offers(&self, a: &mut Analysis) {
        const MARKERS: &[(&str, &str)] = &[
            ("si", "quelqu"),
            ("si", "quelqu'un"),
            ("si", "vous"),
            ("if", "anyone"),
            ("if", "someone"),
            ("if", "anybody"),
            ("if", "you"),
            ("wenn", "jemand"),
            ("falls", "jemand"),
            ("si", "alguien"),
            ("se", "qualcuno"),
            ("se", "alguem"),
        ];
        const CLAUSE: u32 = 7;
        let mut found: Option<u32> = None;
        for li in 0..a.lex.len().saturating_sub(1) {
            if !a.in_list(a.lex[li] as usize, wl::MARKER_FIRST) {
                continue;
            }
            let w0 = a.tok_text(&a.toks[a.lex[li] as usize]);
            let w1 = a.tok_text(&a.toks[a.lex[li + 1] as usize]);
            if MARKERS.iter().any(|&(x, y)| x == w0 && y == w1) {
                found = Some(li as u32);
                break;
            }
        }
        let Some(start) = found else { return };
        let entries = &self.lexicons.entries;
        let before = a.lex_hits.len();
        a.lex_hits.retain(|&(s, _, id)| {
            let in_clause = s >= start && s < start + CLAUSE;
            !(in_clause
                && matches!(
                    entries[id as usize].cue,
                    Cue::Class(Class::Request) | Cue::Class(Class::Missing)
                ))
        });
        if a.lex_hits.len() < before {
            let t = a.lex[start as usize];
            a.cues.push(("conditional", t, t + 1));
        }
    }

    /// Hand-written "regex" cues over the token stream (faster than running regexes over the text).
    fn find_cues(&self, orig: &str, a: &mut Analysis) {
        a.cues.clear();
        a.phones.clear();
        let n = a.toks.len();
        for i in 0..n {
            let t = a.toks[i];
            let w = &a.folded.text[t.range().0..t.range().1];
            let next = a.toks.get(i + 1).filter(|u| u.lexical());
            let next_w = next.map(|u| &a.folded.text[u.range().0..u.range().1]);
            let adjacent = next.is_some_and(|u| u.in_tag == t.in_tag);
            match t.kind {
                TokKind::NumAlpha => {
                    if is_arrondissement(w) {
                        a.cues.push(("arrondissement", i as u32, i as u32 + 1));
                    } else if is_time(w) {
                        a.cues.push(("time", i as u32, i as u32 + 1));
                    }
                }
                TokKind::Word if t.capitalized && a.in_list(i, wl::ROMAN_ARR) => {
                    a.cues.push(("arrondissement", i as u32, i as u32 + 1));
                }
                TokKind::Num => {
                    let nw = next_w.filter(|_| adjacent);
                    if w.len() == 5
                        && (w.starts_with("75")
                            || w.starts_with("93")
                            || w.starts_with("92")
                            || w.starts_with("94"))
                    {
                        a.cues.push(("postcode", i as u32, i as u32 + 1));
                    } else if w.len() <= 2 && nw.is_some() && a.in_list(i + 1, wl::ARR_SUFFIX) {
                        a.cues.push(("arrondissement", i as u32, i as u32 + 2));
                    } else if w.len() <= 3
                        && nw.is_some_and(|x| {
                            a.in_list(i + 1, wl::STREET) || x == "place" || x == "via"
                        })
                    {
                        a.cues.push(("address", i as u32, i as u32 + 2));
                    } else if w.len() <= 2 && nw.is_some() && a.in_list(i + 1, wl::AGE) {
                        a.cues.push(("age", i as u32, i as u32 + 2));
                    }
                }
                TokKind::Word => {
                    if adjacent && a.in_list(i, wl::STREET) {
                        a.cues.push(("address", i as u32, i as u32 + 2));
                    } else if a.in_list(i, wl::DM) {
                        a.cues.push(("dm", i as u32, i as u32 + 1));
                    }
                }
                TokKind::Email => a.cues.push(("email", i as u32, i as u32 + 1)),
                TokKind::Question => a.cues.push(("question", i as u32, i as u32 + 1)),
                _ => {}
            }
        }
        find_phones(orig, &mut a.phones);
    }

    /// Emits the hashed features of an analysed post.
    pub(crate) fn features(
        &self,
        a: &mut Analysis,
        bits: u32,
        flags: FeatureFlags,
        sink: &mut impl Sink,
    ) {
        let shift = 64 - bits;
        let bucket = |h: u64| (mix(h) >> shift) as u32;
        let mut prev: Option<(usize, u64)> = None;
        let mut cache = std::mem::take(&mut a.stem_cache);
        if cache.len() > STEM_CACHE_MAX {
            cache.clear();
        }
        for (i, t) in a.toks.iter().enumerate() {
            let w = &a.folded.text[t.range().0..t.range().1];
            match t.kind {
                TokKind::Word | TokKind::NumAlpha => {
                    sink.add(GROUP_WORD, bucket(t.hash ^ NS_WORD), Origin::Word(i as u32));
                    if let Some((p, ph)) = prev.filter(|_| flags.bigrams) {
                        sink.add(
                            GROUP_WORD,
                            bucket(chain(ph, t.hash) ^ NS_BIGRAM),
                            Origin::Bigram(p as u32, i as u32),
                        );
                    }
                    prev = Some((i, t.hash));
                    if flags.stems
                        && t.kind == TokKind::Word
                        && w.len() >= 5
                        && let Some(l) = a.lang
                    {
                        let sh = match sink.cached_stem(t.hash, l) {
                            Some(sh) => sh,
                            None => {
                                let key =
                                    t.hash ^ (l as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                                let sh = *cache.entry(key).or_insert_with(|| {
                                    let stem = self.stemmers[l].stem(w);
                                    if stem.len() < w.len() {
                                        fnv(NS_STEM, stem.as_bytes())
                                    } else {
                                        0
                                    }
                                });
                                sink.store_stem(t.hash, l, sh);
                                sh
                            }
                        };
                        if sh != 0 {
                            sink.add(GROUP_WORD, bucket(sh), Origin::Stem(i as u32));
                        }
                    }
                    if flags.chars && t.kind == TokKind::Word && w.len() <= MAX_CHAR_GRAM_WORD {
                        sink.add_chars(t.hash, w.as_bytes(), shift);
                    }
                }
                TokKind::Num => {
                    let h = match w.len() {
                        1 | 2 => 0x51,
                        3 | 4 => 0x52,
                        _ => 0x53,
                    };
                    sink.add(GROUP_WORD, bucket(NS_CUE ^ h), Origin::Hidden);
                    if let Some((p, ph)) = prev.filter(|_| flags.bigrams) {
                        sink.add(
                            GROUP_WORD,
                            bucket(chain(ph, h) ^ NS_BIGRAM),
                            Origin::Bigram(p as u32, i as u32),
                        );
                    }
                    prev = Some((i, h));
                }
                TokKind::Url => {
                    sink.add(GROUP_WORD, bucket(NS_CUE ^ 0x61), Origin::Hidden);
                    prev = None;
                }
                TokKind::Mention => {
                    sink.add(GROUP_WORD, bucket(NS_CUE ^ 0x62), Origin::Hidden);
                    prev = None;
                }
                TokKind::Hashtag => {
                    if flags.hashtags {
                        sink.add(GROUP_WORD, bucket(t.hash ^ NS_TAG), Origin::Tag(i as u32));
                    }
                    prev = None;
                }
                TokKind::Emoji => {
                    sink.add(
                        GROUP_WORD,
                        bucket(t.hash ^ NS_EMOJI),
                        Origin::Emoji(i as u32),
                    );
                    sink.add(GROUP_WORD, bucket(NS_CUE ^ 0x63), Origin::Hidden);
                }
                TokKind::Email | TokKind::Question | TokKind::Exclaim => {
                    if t.kind == TokKind::Exclaim {
                        sink.add(GROUP_WORD, bucket(NS_CUE ^ 0x64), Origin::Hidden);
                    }
                    prev = None;
                }
            }
        }
        a.stem_cache = cache;
        for &(_, _, id) in &a.lex_hits {
            let e = &self.lexicons.entries[id as usize];
            sink.add(
                GROUP_WORD,
                bucket(fnv(NS_LEX, e.text.as_bytes())),
                Origin::Lex(id),
            );
            match e.cue {
                Cue::Class(c) => sink.add(
                    GROUP_WORD,
                    bucket(NS_CUE ^ (0x100 + c.index() as u64)),
                    Origin::LexClass(c),
                ),
                Cue::Status(s) => sink.add(
                    GROUP_WORD,
                    bucket(NS_CUE ^ (0x110 + s as u64)),
                    Origin::Hidden,
                ),
            }
        }
        for &(_, _, id) in &a.places {
            let kind = &self.gazetteer.entries[id as usize].kind;
            sink.add(
                GROUP_WORD,
                bucket(fnv(NS_CUE ^ 0x200, kind.as_bytes())),
                Origin::Place(id),
            );
        }
        for &(name, _, _) in &a.cues {
            sink.add(
                GROUP_WORD,
                bucket(fnv(NS_CUE ^ 0x300, name.as_bytes())),
                Origin::Cue(name),
            );
        }
        if !a.phones.is_empty() {
            sink.add(
                GROUP_WORD,
                bucket(fnv(NS_CUE ^ 0x300, b"phone")),
                Origin::Cue("phone"),
            );
        }
    }
}

/// Phone numbers: a run of digits, spaces, dots, dashes and parentheses, optionally starting with `+`, with
/// 9 to 15 digits in it (French `06 12 34 56 78`, `+33 6 12 34 56 78`, `(555) 123-4567`).
pub(crate) fn find_phones(orig: &str, out: &mut Vec<(usize, usize)>) {
    let b = orig.as_bytes();
    // Prefilter: a phone number has at least 9 digits, and most posts have fewer in all.
    if b.iter().filter(|c| c.is_ascii_digit()).count() < 9 {
        return;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let starts = (c == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            || c.is_ascii_digit()
            || c == b'(';
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric());
        if !starts || after_word {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut digits = 0;
        let mut last_digit = i;
        while j < b.len() {
            let d = b[j];
            if d.is_ascii_digit() {
                digits += 1;
                last_digit = j;
            } else if !(matches!(d, b' ' | b'.' | b'-' | b'(' | b')') || (d == b'+' && j == i)) {
                break;
            }
            if d == b' ' && b.get(j + 1) == Some(&b' ') {
                break;
            }
            j += 1;
        }
        let end = last_digit + 1;
        let glued = b.get(end).is_some_and(|x| x.is_ascii_alphabetic());
        if (9..=15).contains(&digits) && !glued {
            out.push((i, end));
            i = end;
        } else {
            i = j.max(i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        let mut v = Vec::new();
        let s = "appelez le 06 12 34 56 78 ou +33 6 12 34 56 79, pas 2015 ni 75020";
        find_phones(s, &mut v);
        let got: Vec<_> = v.iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(got, ["06 12 34 56 78", "+33 6 12 34 56 79"]);
    }

    #[test]
    fn arrondissements() {
        for w in ["20e", "20eme", "11ieme", "1er", "xxe", "xieme"] {
            assert!(is_arrondissement(w), "{w}");
        }
        for w in ["21e", "2015", "vie", "e"] {
            assert!(!is_arrondissement(w), "{w}");
        }
    }
}
