//! Editable resources: cue lexicons (`config/lexicons/*.txt`) and gazetteers (`config/gazetteers/*.csv`),
//! compiled into phrase indexes over folded tokens.

use std::collections::{HashMap, HashSet};

use triage_model::{Class, MissingStatus};

use crate::LoadError;
use crate::text::{Folded, Segmenter, Tok, TokKind, chain, fnv, tokenize};
use crate::util::IdHash;

/// Index of token sequences (phrases) to entry ids.
#[derive(Default)]
pub(crate) struct PhraseIndex {
    /// Key: hash of the token sequence (first token's hash, then [`chain`]ed).
    map: HashMap<u64, Vec<u32>, IdHash>,
    /// First-token hashes of phrases of two tokens or more: only these start a longer probe.
    starts: HashSet<u64, IdHash>,
    max_len: usize,
    /// Prefix entries (`héberg*`): hash of the folded prefix → ids; `prefix_lens` are the distinct lengths.
    prefix: HashMap<u64, Vec<u32>, IdHash>,
    prefix_lens: Vec<usize>,
    /// Bit set over the keys probed first (single-token keys, phrase starts, prefixes): most tokens are in no
    /// lexicon, and one bit test tells so without a hash-map probe. Empty until the first insert.
    filter: Vec<u64>,
}

/// log2 of the number of bits of [`PhraseIndex::filter`] (8 KiB: a few thousand keys, ~3 % false positives).
const FILTER_BITS: u32 = 16;

#[inline]
fn filter_bit(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - FILTER_BITS)) as usize
}

struct NoSplit;
impl Segmenter for NoSplit {
    fn is_word(&self, _: &str) -> bool {
        false
    }
}

/// Folded lexical tokens of a phrase as written in a resource file.
fn phrase_tokens(phrase: &str) -> (Vec<u64>, String) {
    let mut f = Folded::default();
    f.fold(phrase);
    let mut toks = Vec::new();
    tokenize(phrase, &f, &NoSplit, &mut toks);
    let mut folded = String::new();
    let mut hashes = Vec::new();
    for t in toks
        .iter()
        .filter(|t| t.lexical() || t.kind == TokKind::Hashtag)
    {
        if t.kind == TokKind::Hashtag {
            continue;
        }
        hashes.push(t.hash);
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(&f.text[t.range().0..t.range().1]);
    }
    (hashes, folded)
}

impl PhraseIndex {
    fn mark(&mut self, key: u64) {
        if self.filter.is_empty() {
            self.filter = vec![0; (1 << FILTER_BITS) / 64];
        }
        let b = filter_bit(key);
        self.filter[b / 64] |= 1 << (b % 64);
    }

    /// False when `key` is certainly not a single-token key, a phrase start or a prefix.
    #[inline]
    fn maybe(&self, key: u64) -> bool {
        let b = filter_bit(key);
        self.filter
            .get(b / 64)
            .is_some_and(|w| w >> (b % 64) & 1 == 1)
    }

    /// Adds a phrase; returns false when it has no lexical token.
    pub fn insert(&mut self, phrase: &str, id: u32) -> bool {
        let (prefix, phrase) = match phrase.strip_suffix('*') {
            Some(p) => (true, p),
            None => (false, phrase),
        };
        let (hashes, folded) = phrase_tokens(phrase);
        if hashes.is_empty() {
            return false;
        }
        if prefix && hashes.len() == 1 {
            let key = fnv(0, folded.as_bytes());
            self.mark(key);
            self.prefix.entry(key).or_default().push(id);
            if !self.prefix_lens.contains(&folded.len()) {
                self.prefix_lens.push(folded.len());
                self.prefix_lens.sort_unstable();
            }
            return true;
        }
        let mut key = hashes[0];
        for &h in &hashes[1..] {
            key = chain(key, h);
        }
        if hashes.len() > 1 {
            self.starts.insert(hashes[0]);
        }
        self.mark(hashes[0]);
        self.max_len = self.max_len.max(hashes.len());
        let ids = self.map.entry(key).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
        true
    }

    /// Calls `hit(first_tok, last_tok_exclusive, id)` for every match starting at every lexical token.
    /// `lex` holds the positions in `toks` of the lexical tokens, in order.
    pub fn scan(
        &self,
        text: &str,
        toks: &[Tok],
        lex: &[u32],
        mut hit: impl FnMut(usize, usize, u32),
    ) {
        for (i, &ti) in lex.iter().enumerate() {
            let t = &toks[ti as usize];
            let known = self.maybe(t.hash);
            if known && let Some(ids) = self.map.get(&t.hash) {
                for &id in ids {
                    hit(i, i + 1, id);
                }
            }
            if !self.prefix_lens.is_empty() && t.kind == TokKind::Word {
                let w = &text[t.range().0..t.range().1];
                for &l in &self.prefix_lens {
                    // `prefix_lens` is sorted; a word shorter than the prefix cannot match it (equal can).
                    if l > w.len() {
                        break;
                    }
                    if !w.is_char_boundary(l) {
                        continue;
                    }
                    let key = fnv(0, &w.as_bytes()[..l]);
                    if self.maybe(key)
                        && let Some(ids) = self.prefix.get(&key)
                    {
                        for &id in ids {
                            hit(i, i + 1, id);
                        }
                    }
                }
            }
            if known && self.starts.contains(&t.hash) {
                let mut key = t.hash;
                for j in i + 1..lex.len().min(i + self.max_len) {
                    let u = &toks[lex[j] as usize];
                    // Phrases do not run from the text into a hashtag or across one.
                    if u.in_tag != t.in_tag || lex[j] != lex[j - 1] + 1 {
                        break;
                    }
                    key = chain(key, u.hash);
                    if let Some(ids) = self.map.get(&key) {
                        for &id in ids {
                            hit(i, j + 1, id);
                        }
                    }
                }
            }
        }
    }
}

/// What a lexicon entry stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cue {
    Class(Class),
    Status(MissingStatus),
}

pub(crate) struct LexEntry {
    pub cue: Cue,
    /// As written in the file (shown in reasons).
    pub text: String,
}

#[derive(Default)]
pub(crate) struct Lexicons {
    pub entries: Vec<LexEntry>,
    pub index: PhraseIndex,
    /// Folded words for hashtag segmentation: the dictionary file plus every lexicon and gazetteer word.
    pub dictionary: HashSet<u64, IdHash>,
}

impl Segmenter for Lexicons {
    fn is_word(&self, w: &str) -> bool {
        self.dictionary.contains(&fnv(0, w.as_bytes()))
    }
}

const LANG_SECTIONS: [&str; 8] = ["*", "fr", "en", "de", "es", "it", "pt", "nl"];

impl Lexicons {
    pub fn add_dictionary_words(&mut self, phrase: &str) {
        let (_, folded) = phrase_tokens(phrase);
        for w in folded.split(' ') {
            if w.len() >= 2 {
                self.dictionary.insert(fnv(0, w.as_bytes()));
            }
        }
    }

    /// Loads one lexicon file. The file name decides what its entries mean: `<class>.txt` (cues for a class),
    /// `status.txt` (missing/found/safe sections), `dictionary.txt` (words for hashtag segmentation).
    pub fn load_file(&mut self, name: &str, content: &str) -> Result<(), LoadError> {
        let stem = name.rsplit('/').next().unwrap_or(name);
        let stem = stem
            .strip_suffix(".txt")
            .ok_or_else(|| LoadError::Lexicon {
                file: name.to_owned(),
                line: 0,
                message: "lexicon files must be named <class>.txt, status.txt or dictionary.txt"
                    .into(),
            })?;
        enum Kind {
            Class(Class),
            Status,
            Dictionary,
        }
        let kind = match stem {
            "status" => Kind::Status,
            "dictionary" => Kind::Dictionary,
            other => Kind::Class(other.parse::<Class>().map_err(|_| LoadError::Lexicon {
                file: name.to_owned(),
                line: 0,
                message: format!(
                    "unknown lexicon `{other}`: expected offer, request, missing, support, info, noise, status or dictionary"
                ),
            })?),
        };
        let mut status: Option<MissingStatus> = None;
        for (n, raw) in content.lines().enumerate() {
            let line_no = n + 1;
            let err = |message: String| LoadError::Lexicon {
                file: name.to_owned(),
                line: line_no,
                message,
            };
            // Comments: a line whose first non-blank char is '#' followed by a blank or nothing, or the part
            // of a line after " # ". A '#' glued to a word ("#PorteOuverte") is data.
            let mut line = raw.trim();
            if line == "#" || line.starts_with("# ") || line.starts_with("#\t") || line.is_empty() {
                continue;
            }
            if let Some(p) = line.find(" # ") {
                line = line[..p].trim();
            }
            if let Some(section) = line.strip_prefix('[') {
                let section = section
                    .strip_suffix(']')
                    .ok_or_else(|| err("unclosed section header".into()))?
                    .trim();
                match kind {
                    Kind::Status => {
                        status = Some(match section {
                            "missing" => MissingStatus::Missing,
                            "found" => MissingStatus::Found,
                            "safe" => MissingStatus::Safe,
                            s => {
                                return Err(err(format!(
                                    "unknown status section [{s}]: expected [missing], [found] or [safe]"
                                )));
                            }
                        });
                    }
                    _ => {
                        if !LANG_SECTIONS.contains(&section) {
                            return Err(err(format!(
                                "unknown language section [{section}]: expected one of {}",
                                LANG_SECTIONS.join(", ")
                            )));
                        }
                    }
                }
                continue;
            }
            if line.contains('*') && !line.ends_with('*') || line.matches('*').count() > 1 {
                return Err(err("`*` is only allowed at the end of a single word".into()));
            }
            if line.ends_with('*') && line.contains(' ') {
                return Err(err("`*` is only allowed at the end of a single word".into()));
            }
            match kind {
                Kind::Dictionary => self.add_dictionary_words(line),
                Kind::Class(c) => self.push(line, Cue::Class(c)).map_err(err)?,
                Kind::Status => {
                    let s = status.ok_or_else(|| {
                        err("entry before any [missing]/[found]/[safe] section".into())
                    })?;
                    self.push(line, Cue::Status(s)).map_err(err)?;
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, line: &str, cue: Cue) -> Result<(), String> {
        let id = self.entries.len() as u32;
        if !self.index.insert(line, id) {
            return Err(format!("entry `{line}` has no word in it"));
        }
        self.add_dictionary_words(line.trim_end_matches('*'));
        self.entries.push(LexEntry {
            cue,
            text: line.to_owned(),
        });
        Ok(())
    }
}

/// A gazetteer row.
pub(crate) struct GazEntry {
    pub name: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub precision_m: u32,
}

#[derive(Default)]
pub(crate) struct Gazetteer {
    pub entries: Vec<GazEntry>,
    pub index: PhraseIndex,
}

/// Splits one CSV line (RFC 4180 quotes, no embedded newlines).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    out.push(cur);
    Ok(out)
}

pub(crate) const GAZ_HEADER: &str = "name,aliases,lat,lon,kind,precision_m";

impl Gazetteer {
    pub fn load_file(
        &mut self,
        name: &str,
        content: &str,
        lex: &mut Lexicons,
    ) -> Result<(), LoadError> {
        let mut header_seen = false;
        for (n, raw) in content.lines().enumerate() {
            let line_no = n + 1;
            let err = |message: String| LoadError::Gazetteer {
                file: name.to_owned(),
                line: line_no,
                message,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                if line.replace(' ', "") != GAZ_HEADER {
                    return Err(err(format!(
                        "expected the header `{GAZ_HEADER}`, found `{line}`"
                    )));
                }
                header_seen = true;
                continue;
            }
            let f = csv_fields(line).map_err(err)?;
            if f.len() != 6 {
                return Err(err(format!(
                    "expected 6 fields ({GAZ_HEADER}), found {}",
                    f.len()
                )));
            }
            let lat: f64 = f[2]
                .trim()
                .parse()
                .map_err(|_| err(format!("bad latitude `{}`", f[2])))?;
            let lon: f64 = f[3]
                .trim()
                .parse()
                .map_err(|_| err(format!("bad longitude `{}`", f[3])))?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(err(format!("coordinates out of range: {lat},{lon}")));
            }
            let precision_m: u32 = f[5]
                .trim()
                .parse()
                .map_err(|_| err(format!("bad precision_m `{}` (metres, integer)", f[5])))?;
            let kind = f[4].trim();
            if kind.is_empty() {
                return Err(err("empty kind".into()));
            }
            let display = f[0].trim();
            if display.is_empty() {
                return Err(err("empty name".into()));
            }
            let id = self.entries.len() as u32;
            // Text in parentheses in the name is a qualifier for people, not matched ("Europe (métro)").
            let matched_name = match display.find('(') {
                Some(p) => display[..p].trim(),
                None => display,
            };
            let mut forms = 0;
            if display.find('(').is_none() && self.index.insert(matched_name, id) {
                forms += 1;
                lex.add_dictionary_words(matched_name);
            }
            for alias in f[1].split('|').map(str::trim).filter(|a| !a.is_empty()) {
                if alias.contains('*') {
                    return Err(err(format!(
                        "alias `{alias}`: `*` is not allowed in gazetteers"
                    )));
                }
                if self.index.insert(alias, id) {
                    forms += 1;
                    lex.add_dictionary_words(alias);
                }
            }
            if forms == 0 {
                return Err(err(format!("`{display}` has no name or alias to match")));
            }
            self.entries.push(GazEntry {
                name: display.to_owned(),
                kind: kind.to_owned(),
                lat,
                lon,
                precision_m,
            });
        }
        if !header_seen {
            return Err(LoadError::Gazetteer {
                file: name.to_owned(),
                line: 1,
                message: format!("empty gazetteer: expected the header `{GAZ_HEADER}`"),
            });
        }
        Ok(())
    }
}
