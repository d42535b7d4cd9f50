//! Language identification for short posts: function words and orthographic cues.
//!
//! Chosen over `whatlang` by measurement (see the crate README): on posts of one or two lines, trigram profiles
//! have too little text to go on, while the function words ("je", "the", "und", "el", "il", "não") that nearly
//! every sentence contains are decisive, and looking them up costs one hash probe per token that the tokenizer
//! has already hashed.

use std::collections::HashMap;

use crate::text::{Folded, Tok, TokKind, fnv};
use crate::util::IdHash;

/// Languages the classifier identifies, in bit order.
pub const LANGS: [&str; 6] = ["fr", "en", "de", "es", "it", "pt"];
const FR: u8 = 1;
const EN: u8 = 2;
const DE: u8 = 4;
const ES: u8 = 8;
const IT: u8 = 16;
const PT: u8 = 32;

// Folded (lower case, no accents) function words. Words shared by several languages count for each of them
// with weight 1/n.
const WORDS: &[(u8, &str)] = &[
    (
        FR,
        "le la les des du une un et est que qui pour pas dans sur avec ce cette il elle nous vous je tu mon ma mes ton son sont au aux ou mais tres plus tout tous fait etre avoir ai chez si on ne y en l d j qu n s c leur ca ici merci aussi comme rien bien peux veux vers quelqu quelqu'un toujours encore deja apres avant soir nuit",
    ),
    (
        EN,
        "the and of to is in for on with this that are was be have has it at by from you we they my your i me not but will our all just so if can what who there been were an its it's i'm don't dont thanks please here safe stay home tonight people anyone",
    ),
    (
        DE,
        "der die das und ist nicht ein eine einen einem ich wir sie es zu mit auf fur von den dem im bei auch sich noch nach wie aber oder haben hat sind war uns mein meine dein kein keine bitte heute wer was wo hier jetzt habe kann konnen schon nur alle euch",
    ),
    (
        ES,
        "el los las del y es por para con una un que se no en lo su sus al mas pero como esta este muy ya hay ha son fue estan todos nos mi tu yo le gracias donde estamos tengo puedo hoy aqui",
    ),
    (
        IT,
        "il lo gli della delle dei del di e che non per con una un sono ha questo questa anche ma come piu tutti ci si al alla nel nella siamo stato grazie dove molto sta ho posso oggi qui chi",
    ),
    (
        PT,
        "o os as da do das dos e que nao em um uma para com por se no na nos mais mas como esta sao foi muito tem ja voce eu meu minha obrigado obrigada onde ate estou posso hoje aqui",
    ),
];

pub(crate) struct LangId {
    words: HashMap<u64, u8, IdHash>,
}

impl LangId {
    pub fn new() -> LangId {
        let mut words: HashMap<u64, u8, IdHash> = HashMap::default();
        for (mask, list) in WORDS {
            for w in list.split_whitespace() {
                *words.entry(fnv(0, w.as_bytes())).or_insert(0) |= mask;
            }
        }
        LangId { words }
    }

    /// Returns the index into [`LANGS`] of the identified language, or `None` (undetermined).
    /// `declared` is the platform's language tag, used as a weak prior.
    pub fn identify(
        &self,
        orig: &str,
        f: &Folded,
        toks: &[Tok],
        declared: Option<&str>,
    ) -> Option<usize> {
        let mut score = [0f32; 6];
        let mut add = |mask: u8, w: f32| {
            let n = mask.count_ones() as f32;
            for (i, s) in score.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *s += w / n;
                }
            }
        };
        for t in toks {
            if t.kind != TokKind::Word || t.in_tag {
                continue;
            }
            if let Some(&m) = self.words.get(&t.hash) {
                add(m, 1.0);
            }
            let w = &f.text[t.range().0..t.range().1];
            if w.len() >= 5 {
                let suffix: Option<u8> = if w.ends_with("cao") || w.ends_with("coes") {
                    Some(PT)
                } else if w.ends_with("cion") || w.ends_with("ciones") {
                    Some(ES)
                } else if w.ends_with("zione") || w.ends_with("zioni") {
                    Some(IT)
                } else if w.ends_with("ung")
                    || w.ends_with("ungen")
                    || w.ends_with("keit")
                    || w.ends_with("heit")
                    || w.ends_with("lich")
                {
                    Some(DE)
                } else if w.ends_with("ing") || w.ends_with("ly") {
                    Some(EN)
                } else if w.ends_with("eux") || w.ends_with("ment") {
                    Some(FR | EN)
                } else {
                    None
                };
                if let Some(m) = suffix {
                    add(m, 0.5);
                }
            }
        }
        // Letters with diacritics (an ASCII text has none: skip the scan).
        let non_ascii = !orig.is_ascii();
        for c in orig.chars().take_while(|_| non_ascii) {
            if c.is_ascii() {
                continue;
            }
            let m = match c.to_lowercase().next().unwrap_or(c) {
                'ß' | 'ä' | 'ö' => DE,
                'ü' => DE | ES,
                'ñ' | '¿' | '¡' => ES,
                'ã' | 'õ' => PT,
                'ç' => FR | PT,
                'è' | 'à' | 'ù' => FR | IT,
                'ê' | 'â' | 'ô' => FR | PT,
                'î' | 'ï' | 'û' | 'ë' | 'œ' => FR,
                'é' => FR | ES | PT,
                'á' | 'í' | 'ó' | 'ú' => ES | PT,
                'ò' | 'ì' => IT,
                _ => 0,
            };
            if m != 0 {
                add(m, 0.5);
            }
        }
        if let Some(d) = declared {
            let d = d.get(..2).unwrap_or(d).to_ascii_lowercase();
            if let Some(i) = LANGS.iter().position(|l| *l == d) {
                score[i] += 0.75;
            }
        }
        let (mut best, mut best_s, mut second) = (0usize, f32::MIN, f32::MIN);
        for (i, &s) in score.iter().enumerate() {
            if s > best_s {
                second = best_s;
                best_s = s;
                best = i;
            } else if s > second {
                second = s;
            }
        }
        if best_s >= 0.9 && best_s > second {
            Some(best)
        } else {
            None
        }
    }
}
