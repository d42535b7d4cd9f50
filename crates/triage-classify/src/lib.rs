//! The classifier core of triage: multilingual text pipeline, hashed linear model with calibrated
//! probabilities, readable reasons, extraction with spans, and near-duplicate clustering.
//!
//! Architecture invariant: this crate is pure. It does no I/O (resources arrive as bytes and strings; the
//! built-in ones are compiled in), it is deterministic (same inputs and resources, same output) and a
//! [`Classifier`] is `Send + Sync`: share one behind an `Arc` across threads.

mod dedup;
mod extract;
mod features;
mod lang;
mod model;
mod resources;
mod text;
mod util;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use triage_model::{Class, ClassifiedRecord, Extraction, Post};

pub use dedup::{ClusterInfo, DedupConfig, Deduper, normalized_hash, text_simhash};
pub use lang::LANGS;
pub use model::{FEATURES_VERSION, Model, ModelHeader};

use features::{Analysis, GROUP_CHAR, GROUP_WORD, Origin, Sink};
use resources::{Cue, Gazetteer, Lexicons};

/// A resource that could not be loaded. Lexicon and gazetteer errors name the file and the line (1-based).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("lexicon {file}, line {line}: {message}")]
    Lexicon {
        file: String,
        line: usize,
        message: String,
    },
    #[error("gazetteer {file}, line {line}: {message}")]
    Gazetteer {
        file: String,
        line: usize,
        message: String,
    },
    #[error("model: {0}")]
    Model(String),
}

/// Per-class confidence thresholds: a decision whose calibrated probability is under its class's threshold
/// keeps its class and gets `needs_review: true`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(default = "default_threshold_high")]
    pub offer: f32,
    #[serde(default = "default_threshold_high")]
    pub request: f32,
    #[serde(default = "default_threshold_high")]
    pub missing: f32,
    #[serde(default = "default_threshold")]
    pub support: f32,
    #[serde(default = "default_threshold")]
    pub info: f32,
    #[serde(default = "default_threshold")]
    pub noise: f32,
}

const fn default_threshold_high() -> f32 {
    0.6
}
const fn default_threshold() -> f32 {
    0.5
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            offer: default_threshold_high(),
            request: default_threshold_high(),
            missing: default_threshold_high(),
            support: default_threshold(),
            info: default_threshold(),
            noise: default_threshold(),
        }
    }
}

impl Thresholds {
    pub fn get(&self, class: Class) -> f32 {
        match class {
            Class::Offer => self.offer,
            Class::Request => self.request,
            Class::Missing => self.missing,
            Class::Support => self.support,
            Class::Info => self.info,
            Class::Noise => self.noise,
        }
    }
}

/// The `[classify]` section of `config/triage.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierConfig {
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Only the first this many bytes of a post's text are analysed (cut on a char boundary), which bounds
    /// the time per post. Posts on every platform are far shorter.
    #[serde(default = "default_max_analysed_chars")]
    pub max_analysed_chars: usize,
    /// How many reasons a decision carries at most.
    #[serde(default = "default_max_reasons")]
    pub max_reasons: usize,
    #[serde(default)]
    pub dedup: DedupConfig,
    /// Added to the offer score (before calibration) when a need sits in a conditional clause about someone
    /// else ("si quelqu'un cherche un abri, prévenez-moi", "if anyone needs a ride..."): a pattern of real
    /// offers that the training data has too few examples of for the model to learn. 0 turns the rule off.
    #[serde(default = "default_conditional_offer_boost")]
    pub conditional_offer_boost: f32,
}

const fn default_conditional_offer_boost() -> f32 {
    4.0
}

const fn default_max_analysed_chars() -> usize {
    4096
}
const fn default_max_reasons() -> usize {
    5
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            thresholds: Thresholds::default(),
            max_analysed_chars: default_max_analysed_chars(),
            max_reasons: default_max_reasons(),
            dedup: DedupConfig::default(),
            conditional_offer_boost: default_conditional_offer_boost(),
        }
    }
}

/// The decision on one post.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// `fr`, `en`, `de`, `es`, `it`, `pt` or `und`.
    pub lang: String,
    pub class: Class,
    /// Calibrated probability of `class`.
    pub confidence: f32,
    /// Calibrated probabilities in [`Class::ALL`] order (they sum to 1).
    pub scores: [f32; 6],
    pub reasons: Vec<String>,
    pub needs_review: bool,
    pub extracted: Extraction,
    /// Version of the model that decided.
    pub model: Arc<str>,
}

impl Classification {
    /// The record the classify stage publishes.
    pub fn into_record(self, post: Post, cluster: &ClusterInfo) -> ClassifiedRecord {
        let scores: BTreeMap<Class, f32> = Class::ALL
            .iter()
            .map(|&c| (c, self.scores[c.index()]))
            .collect();
        let mut r = ClassifiedRecord::from_post(
            post,
            self.lang,
            self.class,
            self.confidence,
            scores,
            self.reasons,
            self.needs_review,
            self.extracted,
            self.model.to_string(),
        );
        r.cluster = cluster.cluster.clone();
        r.repost_count = cluster.repost_count;
        r
    }
}

/// Resources shipped with the binary.
pub mod builtin {
    /// The default model (`config/models/default.model`).
    pub const MODEL: &[u8] = include_bytes!("../../../config/models/default.model");
    /// The cue lexicons (`config/lexicons/*.txt`).
    pub const LEXICONS: &[(&str, &str)] = &[
        (
            "offer.txt",
            include_str!("../../../config/lexicons/offer.txt"),
        ),
        (
            "request.txt",
            include_str!("../../../config/lexicons/request.txt"),
        ),
        (
            "missing.txt",
            include_str!("../../../config/lexicons/missing.txt"),
        ),
        (
            "support.txt",
            include_str!("../../../config/lexicons/support.txt"),
        ),
        (
            "info.txt",
            include_str!("../../../config/lexicons/info.txt"),
        ),
        (
            "noise.txt",
            include_str!("../../../config/lexicons/noise.txt"),
        ),
        (
            "status.txt",
            include_str!("../../../config/lexicons/status.txt"),
        ),
        (
            "dictionary.txt",
            include_str!("../../../config/lexicons/dictionary.txt"),
        ),
    ];
    /// The gazetteers (`config/gazetteers/*.csv`).
    pub const GAZETTEERS: &[(&str, &str)] = &[(
        "paris.csv",
        include_str!("../../../config/gazetteers/paris.csv"),
    )];

    pub(crate) fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }
}

pub use features::{FeatureFlags, Featurizer};

impl Featurizer {
    /// Compiles lexicons and gazetteers (file name, content) into a featurizer.
    pub fn from_parts(
        lexicons: &[(String, String)],
        gazetteers: &[(String, String)],
    ) -> Result<Featurizer, LoadError> {
        let mut lex = Lexicons::default();
        for (name, content) in lexicons {
            lex.load_file(name, content)?;
        }
        let mut gaz = Gazetteer::default();
        for (name, content) in gazetteers {
            gaz.load_file(name, content, &mut lex)?;
        }
        Ok(Featurizer::new(lex, gaz))
    }

    /// The featurizer of the built-in resources.
    pub fn builtin() -> Result<Featurizer, LoadError> {
        Featurizer::from_parts(
            &builtin::owned(builtin::LEXICONS),
            &builtin::owned(builtin::GAZETTEERS),
        )
    }

    /// The hashed features of a text for training: bucket indices of the word group and of the character group
    /// (a bucket appears once per occurrence).
    pub fn sparse_features(
        &self,
        text: &str,
        lang: Option<&str>,
        bits: u32,
        flags: FeatureFlags,
        max_bytes: usize,
    ) -> (Vec<u32>, Vec<u32>) {
        struct Collect(Vec<u32>, Vec<u32>);
        impl Sink for Collect {
            fn add(&mut self, group: usize, idx: u32, _: Origin) {
                if group == GROUP_WORD {
                    self.0.push(idx)
                } else {
                    self.1.push(idx)
                }
            }
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let a = &mut s.analysis;
            self.analyse(text, lang, max_bytes, a);
            let mut c = Collect(Vec::new(), Vec::new());
            self.features(a, bits, flags, &mut c);
            (c.0, c.1)
        })
    }

    /// Identified language of a text (`und` when undetermined), as the classifier sees it.
    pub fn language(&self, text: &str, declared: Option<&str>) -> &'static str {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.analyse(
                text,
                declared,
                default_max_analysed_chars(),
                &mut s.analysis,
            );
            s.analysis.lang.map_or("und", |l| LANGS[l])
        })
    }

    /// The parts of a hashtag (without `#`) as the classifier segments them, lower case.
    pub fn segment_hashtag(&self, tag: &str) -> Vec<String> {
        let text = format!("#{tag}");
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.analyse(&text, None, default_max_analysed_chars(), &mut s.analysis);
            let a = &s.analysis;
            a.toks
                .iter()
                .filter(|t| t.in_tag)
                .map(|t| {
                    let (os, oe) = a.folded.orig_range(&text, t.range().0, t.range().1);
                    text[os..oe].to_lowercase()
                })
                .collect()
        })
    }
}

#[derive(Default)]
struct Scratch {
    analysis: Analysis,
    hits: Vec<(u32, Origin)>,
    word_idx: Vec<u32>,
    /// Reason candidates: (rank << 32 | position in `hits`), see [`Classifier::reasons`].
    reasons: Vec<u64>,
    char_cache: CharCache,
}

/// log2 of the number of slots of the per-thread word → character n-gram sums cache (8,192 slots of 32 bytes).
const CHAR_CACHE_BITS: u32 = 13;

/// One word's character n-gram features, summed: `n` features whose weights add up to `sums` (exact: the sum
/// of at most 117 weights of at most 127 in magnitude fits an i16; `n == 0`: not known yet), and its stem.
#[derive(Clone, Copy, Default)]
struct CharSlot {
    word_hash: u64,
    /// Stem feature hash of the word in language `lang - 1` (`lang == 0`: not known yet).
    stem_hash: u64,
    sums: [i16; 6],
    n: u16,
    lang: u8,
}

/// Direct-mapped cache of [`CharSlot`]s, valid for the model of one classifier (`owner`): the character
/// n-grams are most of a post's features (about 15 per word), each a random read in the 1.5 MB weight table,
/// and the words of a crisis stream repeat (Zipf), so one read of 24 bytes replaces most of them. Integer sums
/// make the result identical to adding the features one by one. A thread that switches between classifiers
/// clears it (256 KiB) at each switch: use one classifier per thread for speed.
#[derive(Default)]
struct CharCache {
    owner: u64,
    slots: Vec<CharSlot>,
}

impl CharCache {
    fn reset_for(&mut self, owner: u64) {
        if self.owner != owner || self.slots.is_empty() {
            self.owner = owner;
            self.slots.clear();
            self.slots.resize(1 << CHAR_CACHE_BITS, CharSlot::default());
        }
    }
}

/// Source of [`Classifier::id`]s, which tie a thread's [`CharCache`] to the model that filled it.
static NEXT_CLASSIFIER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// Buffers reused from post to post on each thread: the hot path allocates nothing per token.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

struct Infer<'a> {
    weights: &'a [i8],
    acc: [[i32; 6]; 2],
    n: [u32; 2],
    hits: &'a mut Vec<(u32, Origin)>,
    /// Buckets of the word group, read in [`Infer::finish`].
    word_idx: &'a mut Vec<u32>,
    char_cache: &'a mut [CharSlot],
}

impl Infer<'_> {
    /// Adds the weights of the word group. Reading them in one tight loop, after all the hashing, lets the
    /// processor overlap the cache misses of these independent random reads.
    fn finish(&mut self) {
        let mut acc = [0i32; 6];
        let mut n = 0u32;
        for &idx in self.word_idx.iter() {
            add_row(self.weights, idx, &mut acc, &mut n);
        }
        for (a, x) in self.acc[GROUP_WORD].iter_mut().zip(acc) {
            *a += x;
        }
        self.n[GROUP_WORD] += n;
    }
}

impl Sink for Infer<'_> {
    #[inline]
    fn add(&mut self, group: usize, idx: u32, origin: Origin) {
        if group == GROUP_WORD {
            // Read later, all together (see `Infer::finish`).
            self.word_idx.push(idx);
            if !matches!(origin, Origin::Hidden) {
                self.hits.push((idx, origin));
            }
        } else {
            add_row(self.weights, idx, &mut self.acc[group], &mut self.n[group]);
        }
    }

    #[inline]
    fn cached_stem(&mut self, word_hash: u64, lang: usize) -> Option<u64> {
        let slot = self.char_cache.get(char_slot(word_hash))?;
        (slot.word_hash == word_hash && usize::from(slot.lang) == lang + 1)
            .then_some(slot.stem_hash)
    }

    #[inline]
    fn store_stem(&mut self, word_hash: u64, lang: usize, stem_hash: u64) {
        if let Some(slot) = self.char_cache.get_mut(char_slot(word_hash)) {
            if slot.word_hash != word_hash {
                *slot = CharSlot {
                    word_hash,
                    ..CharSlot::default()
                };
            }
            slot.stem_hash = stem_hash;
            slot.lang = u8::try_from(lang + 1).unwrap_or(0);
        }
    }

    #[inline]
    fn add_chars(&mut self, word_hash: u64, word: &[u8], shift: u32) {
        let at = char_slot(word_hash);
        let Some(slot) = self.char_cache.get_mut(at) else {
            // No cache (cannot happen: `score` sizes it): add the features one by one.
            let weights = self.weights;
            let (acc, n) = (&mut self.acc[GROUP_CHAR], &mut self.n[GROUP_CHAR]);
            features::for_each_char_gram(word, shift, |idx| add_row(weights, idx, acc, n));
            return;
        };
        if slot.n == 0 || slot.word_hash != word_hash {
            // Buckets first, then the reads in a tight loop (independent loads overlap their cache misses).
            let mut idx = [0u32; 3 * features::MAX_CHAR_GRAM_WORD];
            let mut k = 0;
            features::for_each_char_gram(word, shift, |i| {
                if let Some(x) = idx.get_mut(k) {
                    *x = i;
                    k += 1;
                }
            });
            let mut sums = [0i32; 6];
            let mut n = 0u32;
            for &i in &idx[..k] {
                add_row(self.weights, i, &mut sums, &mut n);
            }
            if slot.word_hash != word_hash {
                *slot = CharSlot {
                    word_hash,
                    ..CharSlot::default()
                };
            }
            slot.sums = sums.map(|x| x as i16);
            slot.n = n as u16;
        }
        for (a, &x) in self.acc[GROUP_CHAR].iter_mut().zip(&slot.sums) {
            *a += i32::from(x);
        }
        self.n[GROUP_CHAR] += u32::from(slot.n);
    }
}

/// Slot of a word in the [`CharCache`].
#[inline]
fn char_slot(word_hash: u64) -> usize {
    (text::mix(word_hash) >> (64 - CHAR_CACHE_BITS)) as usize
}

/// Adds the weights of bucket `idx` to `acc` and counts the feature (a bucket out of the table counts but
/// weighs nothing, as in [`Infer::add`]).
#[inline]
fn add_row(weights: &[i8], idx: u32, acc: &mut [i32; 6], n: &mut u32) {
    let row = idx as usize * 6;
    if let Some(w) = weights.get(row..row + 6) {
        for c in 0..6 {
            acc[c] += i32::from(w[c]);
        }
    }
    *n += 1;
}

/// Model, resources and configuration: everything needed to classify a post.
pub struct Classifier {
    /// Unique per classifier (see [`CharCache`]).
    id: u64,
    fz: Featurizer,
    model: Model,
    version: Arc<str>,
    config: ClassifierConfig,
}

impl Classifier {
    /// The default model, lexicons and gazetteer compiled into the binary.
    pub fn builtin() -> Result<Classifier, LoadError> {
        Classifier::from_parts(
            builtin::MODEL,
            &builtin::owned(builtin::LEXICONS),
            &builtin::owned(builtin::GAZETTEERS),
            ClassifierConfig::default(),
        )
    }

    pub fn from_parts(
        model: &[u8],
        lexicons: &[(String, String)],
        gazetteers: &[(String, String)],
        config: ClassifierConfig,
    ) -> Result<Classifier, LoadError> {
        let model = Model::parse(model)?;
        let fz = Featurizer::from_parts(lexicons, gazetteers)?;
        let version = Arc::from(model.header.version.as_str());
        Ok(Classifier {
            id: NEXT_CLASSIFIER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            fz,
            model,
            version,
            config,
        })
    }

    /// Replaces the configuration (thresholds, caps).
    pub fn with_config(mut self, config: ClassifierConfig) -> Classifier {
        self.config = config;
        self
    }

    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    pub fn model_version(&self) -> &str {
        &self.model.header.version
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn featurizer(&self) -> &Featurizer {
        &self.fz
    }

    pub fn classify(&self, post: &Post) -> Classification {
        self.run(&post.text, post.lang.as_deref(), Some(post), true)
    }

    /// Classifies a bare text (evaluation, `triage label`), with extraction.
    pub fn classify_text(&self, text: &str, declared_lang: Option<&str>) -> Classification {
        self.run(text, declared_lang, None, true)
    }

    /// Class and calibrated scores only: no reasons, no extraction (evaluation).
    pub fn predict(&self, text: &str, declared_lang: Option<&str>) -> (Class, [f32; 6]) {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let s = &mut *s;
            let (probs, best) = self.score(text, declared_lang, s);
            (Class::ALL[best], probs)
        })
    }

    fn score(&self, text: &str, declared: Option<&str>, s: &mut Scratch) -> ([f32; 6], usize) {
        let h = &self.model.header;
        self.fz.analyse(
            text,
            declared,
            self.config.max_analysed_chars,
            &mut s.analysis,
        );
        s.hits.clear();
        s.word_idx.clear();
        s.char_cache.reset_for(self.id);
        let mut sink = Infer {
            weights: &self.model.weights,
            acc: [[0; 6]; 2],
            n: [0; 2],
            hits: &mut s.hits,
            word_idx: &mut s.word_idx,
            char_cache: &mut s.char_cache.slots,
        };
        self.fz
            .features(&mut s.analysis, h.bits, h.flags, &mut sink);
        sink.finish();
        let norm = |g: usize| {
            if sink.n[g] > 0 {
                h.scale / (sink.n[g] as f32).sqrt()
            } else {
                0.0
            }
        };
        let (n0, n1) = (norm(GROUP_WORD), norm(GROUP_CHAR));
        let mut logits = [0f32; 6];
        for (c, l) in logits.iter_mut().enumerate() {
            *l = h.bias[c]
                + sink.acc[GROUP_WORD][c] as f32 * n0
                + sink.acc[GROUP_CHAR][c] as f32 * n1;
        }
        if s.analysis.cues.iter().any(|c| c.0 == "conditional") {
            logits[Class::Offer.index()] += self.config.conditional_offer_boost;
        }
        for l in &mut logits {
            *l /= h.temperature;
        }
        let probs = softmax(&logits);
        let best = (0..6).fold(0, |b, c| if probs[c] > probs[b] { c } else { b });
        (probs, best)
    }

    fn run(
        &self,
        text: &str,
        declared: Option<&str>,
        post: Option<&Post>,
        extract: bool,
    ) -> Classification {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let s = &mut *s;
            let (probs, best) = self.score(text, declared, s);
            let class = Class::ALL[best];
            let reasons = self.reasons(text, best, s);
            let a = &s.analysis;
            let extracted = if extract {
                let media = post.map_or(&[][..], |p| p.media.as_slice());
                extract::extract(&self.fz, text, a, media, class)
            } else {
                Extraction::default()
            };
            let confidence = probs[best];
            Classification {
                lang: a.lang.map_or("und", |l| LANGS[l]).to_owned(),
                class,
                confidence,
                scores: probs,
                reasons,
                needs_review: confidence < self.config.thresholds.get(class),
                extracted,
                model: self.version.clone(),
            }
        })
    }

    /// The features that pushed most towards `class`: each feature's weight for the class minus its mean weight
    /// over the classes (softmax only sees differences), largest first.
    fn reasons(&self, text: &str, class: usize, s: &mut Scratch) -> Vec<String> {
        let w = &self.model.weights;
        // Contribution × 6, exact in integers: 6 × weight[class] − Σ weights. A candidate is kept when its
        // contribution exceeds 0.5 (× 6: 3), and sorted by (contribution descending, feature order) packed in
        // one u64: the order a stable sort of the f32 contributions gives, without its cost.
        s.reasons.clear();
        for (k, &(idx, _)) in s.hits.iter().enumerate() {
            let row = &w[idx as usize * 6..idx as usize * 6 + 6];
            let sum: i32 = row.iter().map(|&x| i32::from(x)).sum();
            let c6 = 6 * i32::from(row[class]) - sum;
            if c6 > 3 {
                // c6 <= 6 × 127 + 5 × 127 < 2^16.
                let rank = u64::from(0xffff_u32.saturating_sub(c6.unsigned_abs()));
                s.reasons.push(rank << 32 | k as u64);
            }
        }
        s.reasons.sort_unstable();
        let a = &s.analysis;
        let orig = &text[..a.analysed_len];
        // Lower-cased original text of a token (ASCII without the detour through a temporary String).
        let tok = |name: &mut String, ti: u32| {
            let t = &a.toks[ti as usize];
            let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
            let o = &orig[os..oe];
            if o.is_ascii() {
                name.extend(o.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                name.push_str(&o.to_lowercase());
            }
        };
        let mut out: Vec<String> = Vec::new();
        if class == Class::Offer.index()
            && self.config.conditional_offer_boost > 0.0
            && a.cues.iter().any(|c| c.0 == "conditional")
        {
            out.push("rule:conditional-offer".to_owned());
        }
        for &key in &s.reasons {
            if out.len() >= self.config.max_reasons {
                break;
            }
            let origin = s.hits[(key & 0xffff_ffff) as usize].1;
            let mut name = String::with_capacity(24);
            match origin {
                Origin::Word(t) => {
                    name.push_str("word:");
                    tok(&mut name, t);
                }
                Origin::Stem(t) => {
                    name.push_str("stem:");
                    tok(&mut name, t);
                }
                Origin::Bigram(p, t) => {
                    name.push_str("words:");
                    tok(&mut name, p);
                    name.push(' ');
                    tok(&mut name, t);
                }
                Origin::Lex(id) => {
                    let e = &self.fz.lexicons.entries[id as usize];
                    match e.cue {
                        Cue::Class(c) => {
                            let _ = write!(name, "lexicon:{c}:{}", e.text);
                        }
                        Cue::Status(st) => {
                            let _ = write!(
                                name,
                                "lexicon:{}:{}",
                                format!("{st:?}").to_lowercase(),
                                e.text
                            );
                        }
                    }
                }
                Origin::LexClass(c) => {
                    let _ = write!(name, "lexicon:{c}");
                }
                Origin::Cue(n) => {
                    name.push_str("regex:");
                    name.push_str(n);
                }
                Origin::Tag(t) => {
                    let t = &a.toks[t as usize];
                    let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
                    name.push_str("hashtag:");
                    name.push_str(&orig[os..oe]);
                }
                Origin::Emoji(t) => {
                    let t = &a.toks[t as usize];
                    let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
                    name.push_str("emoji:");
                    name.push_str(&orig[os..oe]);
                }
                Origin::Place(id) => {
                    name.push_str("place:");
                    name.push_str(&self.fz.gazetteer.entries[id as usize].kind);
                }
                Origin::Hidden => continue,
            }
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }
}

fn softmax(l: &[f32; 6]) -> [f32; 6] {
    let m = l.iter().fold(f32::MIN, |a, &b| a.max(b));
    let mut e = [0f32; 6];
    let mut sum = 0.0;
    for c in 0..6 {
        e[c] = (l[c] - m).exp();
        sum += e[c];
    }
    for x in &mut e {
        *x /= sum;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Classifier>();
    }
}
