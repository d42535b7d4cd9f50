//! Near-duplicate clustering: reposts (`repost_of`), exact copies (hash of the normalized text) and near copies
//! (64-bit SimHash over word shingles, compared by Hamming distance), in a window bounded in posts and in time.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use triage_model::Post;

use crate::text::{Folded, Segmenter, TokKind, chain, mix, tokenize};
use crate::util::IdHash;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupConfig {
    /// Largest Hamming distance between SimHashes of near copies (tuned by measurement: see the README). At
    /// most 3: the four 16-bit bands find every pair within distance 3, and only some beyond.
    #[serde(default = "default_max_distance")]
    pub max_distance: u32,
    /// Most posts remembered.
    #[serde(default = "default_window_posts")]
    pub window_posts: usize,
    /// Posts older than this (by `created_at`, relative to the newest seen) are forgotten.
    #[serde(default = "default_window_secs")]
    pub window_secs: u64,
    /// Posts with fewer normalized words only match exactly: SimHash of very short texts is noise.
    #[serde(default = "default_min_words")]
    pub min_words: usize,
}

/// Chosen by `tests/dedup_threshold.rs` (table in the README): the best F1 among the distances that merge at most
/// 1 % of the different offers written in the same template.
const fn default_max_distance() -> u32 {
    2
}
const fn default_window_posts() -> usize {
    200_000
}
const fn default_window_secs() -> u64 {
    6 * 3600
}
const fn default_min_words() -> usize {
    5
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            max_distance: default_max_distance(),
            window_posts: default_window_posts(),
            window_secs: default_window_secs(),
            min_words: default_min_words(),
        }
    }
}

/// The cluster a post belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Id of the first post seen of the cluster.
    pub cluster: String,
    /// Posts of the cluster seen so far, this one included.
    pub repost_count: u32,
}

struct Entry {
    seq: u64,
    id: Arc<str>,
    cluster: Arc<str>,
    exact: u64,
    sim: u64,
    indexed: bool,
    t: i64,
}

struct ClusterState {
    count: u32,
    live: u32,
}

/// Text of posts this long is enough to decide on duplicates.
const MAX_DEDUP_BYTES: usize = 2048;

struct NoSplit;
impl Segmenter for NoSplit {
    fn is_word(&self, _: &str) -> bool {
        false
    }
}

/// Normalized word hashes of a text into `out` (what an exact copy shares): lexical tokens and hashtags (not
/// their parts), without `RT` at the start, `via` before a mention, mentions and URLs. `content` (what the
/// SimHash of near copies reads) is the same without the phrase-like campaign hashtags: measured on the
/// labelled pairs of `tests/dedup_threshold.rs` at the default distance 2, the recall of reposts that add such a
/// tag goes from 0.13 to 0.76 (drop one: 0.10 → 0.90), and the same 5 of 1,049 different offers merge. A
/// one-word or numbered tag (#Belleville, #Paris11) may be the place of an offer and stays in.
pub(crate) fn normalized_words(
    text: &str,
    f: &mut Folded,
    toks: &mut Vec<crate::text::Tok>,
    out: &mut Vec<u64>,
    content: &mut Vec<u64>,
) {
    let text = crate::text::cap(text, MAX_DEDUP_BYTES);
    f.fold(text);
    tokenize(text, f, &NoSplit, toks);
    out.clear();
    content.clear();
    for (i, t) in toks.iter().enumerate() {
        // The parts of a hashtag are left out (the tag itself is in): they depend on its case (#PorteOuverte
        // splits, #PORTEOUVERTE does not), which a repost may change.
        if t.in_tag {
            continue;
        }
        let word = &f.text[t.range().0..t.range().1];
        match t.kind {
            TokKind::Word if i == 0 && word == "rt" => {}
            // "… via @someone": a repost's credit, like "RT @someone:".
            TokKind::Word
                if word == "via" && toks.get(i + 1).is_some_and(|n| n.kind == TokKind::Mention) => {
            }
            TokKind::Word | TokKind::Num | TokKind::NumAlpha => {
                out.push(t.hash);
                content.push(t.hash);
            }
            TokKind::Hashtag => {
                out.push(t.hash);
                // A tag written as a phrase (#PorteOuverte, #PrayForParis: two or more words, no number) is the
                // campaign the post joins, which reposts add and drop; a one-word or numbered tag (#Belleville,
                // #Paris11) may be the place of an offer, and stays in the near-duplicate hash.
                let parts = toks[i + 1..].iter().take_while(|p| p.in_tag);
                let (n, words) =
                    parts.fold((0, true), |(n, w), p| (n + 1, w && p.kind == TokKind::Word));
                if n < 2 || !words {
                    content.push(t.hash);
                }
            }
            _ => {}
        }
    }
}

/// SimHash of a word sequence over unigrams and bigrams.
pub(crate) fn simhash(words: &[u64]) -> u64 {
    let mut acc = [0i32; 64];
    let mut add = |h: u64| {
        let h = mix(h);
        for (b, a) in acc.iter_mut().enumerate() {
            *a += if h >> b & 1 == 1 { 1 } else { -1 };
        }
    };
    for (i, &w) in words.iter().enumerate() {
        add(w);
        if i > 0 {
            add(chain(words[i - 1], w));
        }
    }
    acc.iter()
        .enumerate()
        .fold(0u64, |s, (b, &a)| if a > 0 { s | 1 << b } else { s })
}

pub struct Deduper {
    cfg: DedupConfig,
    entries: VecDeque<Entry>,
    next_seq: u64,
    by_id: HashMap<Arc<str>, u64>,
    by_exact: HashMap<u64, u64, IdHash>,
    /// SimHash split in four 16-bit bands: near copies within distance 3 share at least one band exactly.
    bands: [HashMap<u16, Vec<u64>>; 4],
    clusters: HashMap<Arc<str>, ClusterState>,
    latest: i64,
    folded: Folded,
    toks: Vec<crate::text::Tok>,
    words: Vec<u64>,
    content: Vec<u64>,
}

impl Deduper {
    pub fn new(cfg: &DedupConfig) -> Self {
        Deduper {
            cfg: cfg.clone(),
            entries: VecDeque::new(),
            next_seq: 0,
            by_id: HashMap::new(),
            by_exact: HashMap::default(),
            bands: Default::default(),
            clusters: HashMap::new(),
            latest: i64::MIN,
            folded: Folded::default(),
            toks: Vec::new(),
            words: Vec::new(),
            content: Vec::new(),
        }
    }

    /// Number of posts remembered (bounded by `window_posts`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn entry(&self, seq: u64) -> Option<&Entry> {
        let head = self.entries.front()?.seq;
        self.entries
            .get(usize::try_from(seq.checked_sub(head)?).ok()?)
    }

    fn info(&self, cluster: &Arc<str>) -> ClusterInfo {
        ClusterInfo {
            cluster: cluster.to_string(),
            repost_count: self.clusters.get(cluster).map_or(1, |c| c.count),
        }
    }

    pub fn observe(&mut self, post: &Post) -> ClusterInfo {
        // The same post again (re-ingestion, an edit): same cluster, not counted twice.
        if let Some(e) = self
            .by_id
            .get(post.id.as_str())
            .and_then(|&s| self.entry(s))
        {
            let c = e.cluster.clone();
            return self.info(&c);
        }
        let mut words = std::mem::take(&mut self.words);
        let mut content = std::mem::take(&mut self.content);
        normalized_words(
            &post.text,
            &mut self.folded,
            &mut self.toks,
            &mut words,
            &mut content,
        );
        let exact = words.iter().fold(0x5eed_u64, |h, &w| chain(h, w));
        let sim = simhash(&content);
        let near_ok = content.len() >= self.cfg.min_words;
        self.words = words;
        self.content = content;

        let mut cluster: Option<Arc<str>> = None;
        if let Some(orig) = &post.repost_of {
            cluster = self
                .by_id
                .get(orig.as_str())
                .and_then(|&s| self.entry(s))
                .map(|e| e.cluster.clone());
        }
        let exact_hit = self
            .by_exact
            .get(&exact)
            .and_then(|&s| self.entry(s))
            .map(|e| e.cluster.clone());
        if cluster.is_none() {
            cluster = exact_hit.clone();
        }
        if cluster.is_none() && near_ok {
            let mut best: Option<(u32, u64)> = None;
            for (b, band) in self.bands.iter().enumerate() {
                let key = (sim >> (16 * b)) as u16;
                for &s in band.get(&key).map_or(&[][..], Vec::as_slice) {
                    if let Some(e) = self.entry(s) {
                        let d = (e.sim ^ sim).count_ones();
                        if d <= self.cfg.max_distance
                            && best.is_none_or(|(bd, bs)| (d, s) < (bd, bs))
                        {
                            best = Some((d, s));
                        }
                    }
                }
            }
            cluster = best
                .and_then(|(_, s)| self.entry(s))
                .map(|e| e.cluster.clone());
        }
        let id: Arc<str> = Arc::from(post.id.as_str());
        let cluster = cluster.unwrap_or_else(|| id.clone());
        let state = self
            .clusters
            .entry(cluster.clone())
            .or_insert(ClusterState { count: 0, live: 0 });
        state.count = state.count.saturating_add(1);
        state.live += 1;

        let seq = self.next_seq;
        self.next_seq += 1;
        // Exact copies are not indexed again for near matching: the first copy stands for them all, which keeps
        // band lists short when a post is copied thousands of times.
        let indexed = exact_hit.is_none() && near_ok;
        if indexed {
            for (b, band) in self.bands.iter_mut().enumerate() {
                band.entry((sim >> (16 * b)) as u16).or_default().push(seq);
            }
        }
        self.by_exact.insert(exact, seq);
        self.by_id.insert(id.clone(), seq);
        let t = post.created_at.timestamp();
        self.latest = self.latest.max(t);
        self.entries.push_back(Entry {
            seq,
            id,
            cluster: cluster.clone(),
            exact,
            sim,
            indexed,
            t,
        });
        let info = self.info(&cluster);
        self.evict();
        info
    }

    fn evict(&mut self) {
        let horizon = self
            .latest
            .saturating_sub(i64::try_from(self.cfg.window_secs).unwrap_or(i64::MAX));
        while let Some(front) = self.entries.front() {
            if self.entries.len() <= self.cfg.window_posts.max(1) && front.t >= horizon {
                break;
            }
            let Some(e) = self.entries.pop_front() else {
                break;
            };
            if self.by_id.get(&e.id) == Some(&e.seq) {
                self.by_id.remove(&e.id);
            }
            if self.by_exact.get(&e.exact) == Some(&e.seq) {
                self.by_exact.remove(&e.exact);
            }
            if e.indexed {
                for (b, band) in self.bands.iter_mut().enumerate() {
                    let key = (e.sim >> (16 * b)) as u16;
                    if let Some(list) = band.get_mut(&key) {
                        list.retain(|&s| s != e.seq);
                        if list.is_empty() {
                            band.remove(&key);
                        }
                    }
                }
            }
            if let Some(c) = self.clusters.get_mut(&e.cluster) {
                c.live -= 1;
                if c.live == 0 {
                    self.clusters.remove(&e.cluster);
                }
            }
        }
    }
}

/// Hash of a text's normalized words (what "exact copy" means).
pub fn normalized_hash(text: &str) -> u64 {
    let mut f = Folded::default();
    let mut toks = Vec::new();
    let (mut words, mut content) = (Vec::new(), Vec::new());
    normalized_words(text, &mut f, &mut toks, &mut words, &mut content);
    words.iter().fold(0x5eed_u64, |h, &w| chain(h, w))
}

/// SimHash of a text (exposed for the threshold measurement).
pub fn text_simhash(text: &str) -> u64 {
    let mut f = Folded::default();
    let mut toks = Vec::new();
    let (mut words, mut content) = (Vec::new(), Vec::new());
    normalized_words(text, &mut f, &mut toks, &mut words, &mut content);
    simhash(&content)
}
