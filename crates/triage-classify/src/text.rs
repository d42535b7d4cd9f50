//! Text pipeline: folding (NFKD compatibility decomposition + case folding + accent stripping, which gives the
//! same matching keys as NFKC followed by case and accent folding) with a byte map back to the original text, and
//! a tokenizer that recognises URLs, mentions, e-mail addresses, hashtags, numbers, emoji and words.
//!
//! Nothing here allocates per token: the folded text, the offset map and the token list live in buffers the
//! caller reuses between posts.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// FNV-1a, 64 bit. Used for every hashed key (tokens, phrases, features): fast on short keys and stable across
/// platforms and releases, which a model file needs.
#[inline]
pub(crate) fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Final avalanche (murmur3 fmix64): FNV's low bits are weak, and bucket indices take the low bits.
#[inline]
pub(crate) fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Combines the hash of a token sequence with the next token's hash (phrases, bigrams).
#[inline]
pub(crate) fn chain(prev: u64, next: u64) -> u64 {
    mix(prev.rotate_left(23) ^ next.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The folded form of a text and, for each folded byte, the byte offset in the original of the character
/// that produced it.
#[derive(Default, Debug)]
pub(crate) struct Folded {
    pub text: String,
    pub map: Vec<u32>,
}

impl Folded {
    pub fn clear(&mut self) {
        self.text.clear();
        self.map.clear();
    }

    /// Folds `orig` (which the caller has already capped to a bounded length).
    pub fn fold(&mut self, orig: &str) {
        self.clear();
        self.text.reserve(orig.len());
        self.map.reserve(orig.len());
        let bytes = orig.as_bytes();
        let mut i = 0usize;
        while i < bytes.len() {
            // Fast path: a run of ASCII folds to its lower case, byte for byte (most posts are mostly ASCII).
            let run = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii())
                .unwrap_or(bytes.len() - i);
            if run > 0 {
                let start = self.text.len();
                self.text.push_str(&orig[i..i + run]);
                self.text[start..].make_ascii_lowercase();
                self.map.extend(i as u32..(i + run) as u32);
                i += run;
                continue;
            }
            let Some(c) = orig[i..].chars().next() else {
                break;
            };
            let at = i as u32;
            i += c.len_utf8();
            let special: Option<&str> = match c {
                'ß' | 'ẞ' => Some("ss"),
                'œ' | 'Œ' => Some("oe"),
                'æ' | 'Æ' => Some("ae"),
                'ø' | 'Ø' => Some("o"),
                'ł' | 'Ł' => Some("l"),
                'đ' | 'Đ' => Some("d"),
                'ı' => Some("i"),
                // Typographic apostrophes and quotes: fold to ASCII so that "l’appart" splits like "l'appart".
                '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{2032}' => Some("'"),
                '\u{201c}' | '\u{201d}' | '\u{00ab}' | '\u{00bb}' => Some("\""),
                '\u{2013}' | '\u{2014}' => Some("-"),
                '\u{00a0}' | '\u{202f}' | '\u{2009}' => Some(" "),
                _ => None,
            };
            if let Some(s) = special {
                for b in s.bytes() {
                    self.text.push(char::from(b));
                    self.map.push(at);
                }
                continue;
            }
            let text = &mut self.text;
            let map = &mut self.map;
            decompose_compatible(c, |d| {
                if is_combining_mark(d) {
                    return;
                }
                for l in d.to_lowercase() {
                    let before = text.len();
                    text.push(l);
                    for _ in before..text.len() {
                        map.push(at);
                    }
                }
            });
        }
    }

    /// Byte range in the original text of the folded range `fs..fe` (always on char boundaries of `orig`).
    pub fn orig_range(&self, orig: &str, fs: usize, fe: usize) -> (usize, usize) {
        if fs >= fe || fe > self.map.len() {
            return (0, 0);
        }
        let start = self.map[fs] as usize;
        let last = self.map[fe - 1] as usize;
        let end = last + orig[last..].chars().next().map_or(0, char::len_utf8);
        (start, end)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// Letters (possibly with digits after a letter start, e.g. `b2`).
    Word,
    /// Only digits.
    Num,
    /// Digits followed by letters (`20e`, `11eme`, `21h30`, `9pm`).
    NumAlpha,
    Url,
    Mention,
    Email,
    /// A whole hashtag (without `#`); its segmented parts follow as `Word`/`Num` tokens with `in_tag`.
    Hashtag,
    Emoji,
    Question,
    Exclaim,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    pub kind: TokKind,
    /// Range in the folded text.
    pub fs: u32,
    pub fe: u32,
    /// `fnv(0, folded bytes)`.
    pub hash: u64,
    /// Part of a hashtag.
    pub in_tag: bool,
    /// First letter upper case in the original (names, places).
    pub capitalized: bool,
}

impl Tok {
    pub fn lexical(&self) -> bool {
        matches!(self.kind, TokKind::Word | TokKind::Num | TokKind::NumAlpha)
    }
    pub fn range(&self) -> (usize, usize) {
        (self.fs as usize, self.fe as usize)
    }
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2190..=0x21FF | 0x3030 | 0x303D)
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        c.is_alphanumeric()
    }
}

/// Segments hashtags: camel case on the original, then a dictionary split for all-lowercase tags.
pub(crate) trait Segmenter {
    /// Is this folded string a known word?
    fn is_word(&self, folded: &str) -> bool;
}

/// Tokenizes `folded` (the folded form of `orig`) into `out`.
pub(crate) fn tokenize(orig: &str, f: &Folded, seg: &dyn Segmenter, out: &mut Vec<Tok>) {
    out.clear();
    let text = f.text.as_str();
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = 0usize;
    while i < n {
        let b = bytes[i];
        if b == b' ' || b == b'\n' || b == b'\t' || b == b'\r' {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        // URLs run to the next whitespace; trailing punctuation is not part of them.
        if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.") {
            let mut end = i + rest.find(char::is_whitespace).unwrap_or(rest.len());
            while end > i
                && matches!(
                    bytes[end - 1],
                    b'.' | b',' | b';' | b':' | b'!' | b'?' | b')' | b'"' | b'\''
                )
            {
                end -= 1;
            }
            push(out, orig, f, TokKind::Url, i, end, false);
            i = end.max(i + 1);
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        let clen = c.len_utf8();
        if c == '@' || c == '#' {
            let start = i + 1;
            let mut end = start;
            for (j, d) in text[start..].char_indices() {
                if is_word_char(d) {
                    end = start + j + d.len_utf8();
                } else {
                    break;
                }
            }
            if end > start {
                if c == '@' {
                    push(out, orig, f, TokKind::Mention, start, end, false);
                } else {
                    push(out, orig, f, TokKind::Hashtag, start, end, false);
                    hashtag_parts(orig, f, seg, start, end, out);
                }
                i = end;
            } else {
                i += clen;
            }
            continue;
        }
        if is_word_char(c) {
            let mut end = i;
            let mut digits_only = true;
            let mut starts_digit = c.is_ascii_digit();
            let mut has_at = None;
            let rb = rest.as_bytes();
            let mut j = 0usize;
            while j < rb.len() {
                // ASCII without decoding; other chars decoded.
                let d = if rb[j] < 0x80 {
                    char::from(rb[j])
                } else {
                    rest[j..].chars().next().unwrap_or(' ')
                };
                let dlen = d.len_utf8();
                if is_word_char(d) {
                    digits_only &= d.is_ascii_digit();
                    end = i + j + dlen;
                    j += dlen;
                } else if d == '@' {
                    has_at = Some(i + j);
                    // e-mail: the local part continues; look for a domain with a dot after it.
                    let tail = &text[i + j + 1..];
                    let dom_len = tail
                        .find(|x: char| !(x.is_alphanumeric() || x == '.' || x == '-' || x == '_'))
                        .unwrap_or(tail.len());
                    let dom = tail[..dom_len].trim_end_matches('.');
                    if dom.contains('.') && !dom.starts_with('.') {
                        let e = i + j + 1 + dom.len();
                        push(out, orig, f, TokKind::Email, i, e, false);
                        end = e;
                        starts_digit = false;
                        digits_only = false;
                    }
                    break;
                } else {
                    break;
                }
            }
            if has_at.is_some()
                && out
                    .last()
                    .is_some_and(|t| t.kind == TokKind::Email && t.fe as usize == end)
            {
                i = end;
                continue;
            }
            // Local parts of e-mails with dots ("jean.dupont@x.fr"): look back is not needed; the dot splits
            // them into words and the e-mail is still found by the contact scanner on the original text.
            let kind = if digits_only {
                TokKind::Num
            } else if starts_digit {
                TokKind::NumAlpha
            } else {
                TokKind::Word
            };
            push(out, orig, f, kind, i, end, false);
            i = end.max(i + 1);
            continue;
        }
        if is_emoji(c) {
            push(out, orig, f, TokKind::Emoji, i, i + clen, false);
        } else if c == '?' || c == '¿' {
            push(out, orig, f, TokKind::Question, i, i + clen, false);
        } else if c == '!' || c == '¡' {
            push(out, orig, f, TokKind::Exclaim, i, i + clen, false);
        }
        i += clen;
    }
}

fn push(
    out: &mut Vec<Tok>,
    orig: &str,
    f: &Folded,
    kind: TokKind,
    fs: usize,
    fe: usize,
    in_tag: bool,
) {
    let hash = fnv(0, &f.text.as_bytes()[fs..fe]);
    let o = f.map.get(fs).copied().unwrap_or(0) as usize;
    let capitalized = orig
        .get(o..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_uppercase);
    out.push(Tok {
        kind,
        fs: fs as u32,
        fe: fe as u32,
        hash,
        in_tag,
        capitalized,
    });
}

/// Longest tag that gets a dictionary split (quadratic in the length).
const MAX_SPLIT_LEN: usize = 40;

/// Emits the parts of the hashtag at folded range `fs..fe`.
fn hashtag_parts(
    orig: &str,
    f: &Folded,
    seg: &dyn Segmenter,
    fs: usize,
    fe: usize,
    out: &mut Vec<Tok>,
) {
    // 1. Camel case and letter/digit boundaries, read on the original (case is lost in the folded text).
    let (os, oe) = f.orig_range(orig, fs, fe);
    let mut cuts: [usize; 16] = [0; 16]; // original byte offsets where a new part starts
    let mut ncuts = 0usize;
    let mut prev: Option<char> = None;
    for (j, c) in orig[os..oe].char_indices() {
        if let Some(p) = prev {
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_alphabetic() && c.is_ascii_digit())
                || (p.is_ascii_digit() && c.is_alphabetic() && !matches!(c, 'e' | 'è' | 'h' | 'E'))
                || c == '_';
            if boundary && ncuts < cuts.len() {
                cuts[ncuts] = os + j;
                ncuts += 1;
            }
        }
        prev = Some(c);
    }
    if ncuts > 0 {
        // Map original cut offsets back to folded offsets (the map is non-decreasing).
        let mut start = fs;
        for &cut in &cuts[..ncuts] {
            let fcut = fs + f.map[fs..fe].partition_point(|&m| (m as usize) < cut);
            emit_part(orig, f, start, fcut, out);
            start = fcut;
        }
        emit_part(orig, f, start, fe, out);
        return;
    }
    // 2. Dictionary split of an all-lowercase (or all-caps) tag: maximise the sum of squared part lengths
    //    over splits into known words, so that "porteouverte" becomes "porte ouverte" rather than many
    //    short words.
    let tag = &f.text[fs..fe];
    let len = tag.len();
    if (6..=MAX_SPLIT_LEN).contains(&len) && tag.is_ascii() {
        let mut best = [i32::MIN; MAX_SPLIT_LEN + 1];
        let mut from = [0usize; MAX_SPLIT_LEN + 1];
        best[0] = 0;
        for e in 1..=len {
            for s in e.saturating_sub(20)..e {
                if best[s] == i32::MIN || e - s < 2 {
                    continue;
                }
                if seg.is_word(&tag[s..e]) {
                    let score = best[s] + ((e - s) * (e - s)) as i32;
                    if score > best[e] {
                        best[e] = score;
                        from[e] = s;
                    }
                }
            }
        }
        if best[len] != i32::MIN && from[len] != 0 {
            let mut bounds = [0usize; MAX_SPLIT_LEN + 1];
            let mut nb = 0;
            let mut e = len;
            while e > 0 {
                bounds[nb] = e;
                nb += 1;
                e = from[e];
            }
            let mut s = 0;
            for k in (0..nb).rev() {
                emit_part(orig, f, fs + s, fs + bounds[k], out);
                s = bounds[k];
            }
            return;
        }
    }
    emit_part(orig, f, fs, fe, out);
}

fn emit_part(orig: &str, f: &Folded, fs: usize, fe: usize, out: &mut Vec<Tok>) {
    let part = &f.text[fs..fe];
    let part_trim = part.trim_matches('_');
    if part_trim.is_empty() {
        return;
    }
    let off = part.find(part_trim).unwrap_or(0);
    let (fs, fe) = (fs + off, fs + off + part_trim.len());
    let kind = if part_trim.bytes().all(|b| b.is_ascii_digit()) {
        TokKind::Num
    } else if part_trim.as_bytes()[0].is_ascii_digit() {
        TokKind::NumAlpha
    } else {
        TokKind::Word
    };
    push(out, orig, f, kind, fs, fe, true);
}

/// Caps `text` to at most `max` bytes, on a char boundary.
pub(crate) fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dict(&'static [&'static str]);
    impl Segmenter for Dict {
        fn is_word(&self, w: &str) -> bool {
            self.0.contains(&w)
        }
    }

    fn toks(s: &str) -> Vec<(TokKind, String, bool)> {
        let mut f = Folded::default();
        f.fold(s);
        let mut out = Vec::new();
        tokenize(
            s,
            &f,
            &Dict(&["porte", "ouverte", "recherche", "paris", "pray", "for"]),
            &mut out,
        );
        out.iter()
            .map(|t| {
                (
                    t.kind,
                    f.text[t.range().0..t.range().1].to_string(),
                    t.in_tag,
                )
            })
            .collect()
    }

    #[test]
    fn folds_and_keeps_offsets() {
        let mut f = Folded::default();
        let s = "Héberger À Paris Straße ﬁn 20ᵉ";
        f.fold(s);
        assert_eq!(f.text, "heberger a paris strasse fin 20e");
        let i = f.text.find("strasse").unwrap();
        assert_eq!(
            f.orig_range(s, i, i + 7),
            (
                s.find("Straße").unwrap(),
                s.find("Straße").unwrap() + "Straße".len()
            )
        );
    }

    #[test]
    fn tokenizes_hashtags_urls_mentions() {
        let t = toks(
            "RT @ami: #PorteOuverte à #OffeneTüren #porteouverte http://t.co/x?y=1. 20e ? mail a.b@c.fr",
        );
        let words: Vec<_> = t
            .iter()
            .map(|(k, s, tag)| format!("{k:?}:{s}{}", if *tag { "*" } else { "" }))
            .collect();
        assert_eq!(
            words.join(" "),
            "Word:rt Mention:ami Hashtag:porteouverte Word:porte* Word:ouverte* Word:a Hashtag:offeneturen \
             Word:offene* Word:turen* Hashtag:porteouverte Word:porte* Word:ouverte* Url:http://t.co/x?y=1 \
             NumAlpha:20e Question:? Word:mail Word:a Email:b@c.fr"
        );
    }
}
