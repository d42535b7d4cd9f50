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
    reasons: Vec<(f32, Origin)>,
}

thread_local! {
    /// Buffers reused from post to post on each thread: the hot path allocates nothing per token.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

struct Infer<'a> {
    weights: &'a [i8],
    acc: [[i32; 6]; 2],
    n: [u32; 2],
    hits: &'a mut Vec<(u32, Origin)>,
}

impl Sink for Infer<'_> {
    #[inline]
    fn add(&mut self, group: usize, idx: u32, origin: Origin) {
        let row = idx as usize * 6;
        if let Some(w) = self.weights.get(row..row + 6) {
            let acc = &mut self.acc[group];
            for c in 0..6 {
                acc[c] += i32::from(w[c]);
            }
        }
        self.n[group] += 1;
        if group == GROUP_WORD && !matches!(origin, Origin::Hidden) {
            self.hits.push((idx, origin));
        }
    }
}

/// Model, resources and configuration: everything needed to classify a post.
pub struct Classifier {
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
        let mut sink = Infer {
            weights: &self.model.weights,
            acc: [[0; 6]; 2],
            n: [0; 2],
            hits: &mut s.hits,
        };
        self.fz
            .features(&mut s.analysis, h.bits, h.flags, &mut sink);
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
        s.reasons.clear();
        for &(idx, origin) in &s.hits {
            let row = &w[idx as usize * 6..idx as usize * 6 + 6];
            let mean: i32 = row.iter().map(|&x| i32::from(x)).sum();
            let contrib = f32::from(row[class]) - mean as f32 / 6.0;
            if contrib > 0.5 {
                s.reasons.push((contrib, origin));
            }
        }
        s.reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
        let a = &s.analysis;
        let orig = &text[..a.analysed_len];
        let tok = |ti: u32| {
            let t = &a.toks[ti as usize];
            let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
            orig[os..oe].to_lowercase()
        };
        let mut out: Vec<String> = Vec::new();
        if class == Class::Offer.index()
            && self.config.conditional_offer_boost > 0.0
            && a.cues.iter().any(|c| c.0 == "conditional")
        {
            out.push("rule:conditional-offer".to_owned());
        }
        for &(_, origin) in &s.reasons {
            if out.len() >= self.config.max_reasons {
                break;
            }
            let name = match origin {
                Origin::Word(t) => format!("word:{}", tok(t)),
                Origin::Stem(t) => format!("stem:{}", tok(t)),
                Origin::Bigram(p, t) => format!("words:{} {}", tok(p), tok(t)),
                Origin::Lex(id) => {
                    let e = &self.fz.lexicons.entries[id as usize];
                    match e.cue {
                        Cue::Class(c) => format!("lexicon:{c}:{}", e.text),
                        Cue::Status(st) => {
                            format!("lexicon:{}:{}", format!("{st:?}").to_lowercase(), e.text)
                        }
                    }
                }
                Origin::LexClass(c) => format!("lexicon:{c}"),
                Origin::Cue(n) => format!("regex:{n}"),
                Origin::Tag(t) => {
                    let t = &a.toks[t as usize];
                    let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
                    format!("hashtag:{}", &orig[os..oe])
                }
                Origin::Emoji(t) => {
                    let t = &a.toks[t as usize];
                    let (os, oe) = a.folded.orig_range(orig, t.range().0, t.range().1);
                    format!("emoji:{}", &orig[os..oe])
                }
                Origin::Place(id) => {
                    format!("place:{}", self.fz.gazetteer.entries[id as usize].kind)
                }
                Origin::Hidden => continue,
            };
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
