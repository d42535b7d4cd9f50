//! Hashtags: extraction from text, case- and accent-insensitive matching against the configured groups.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::config::HashtagGroups;

/// The form hashtags are compared in: no `#`, compatibility-decomposed, combining marks removed, lowercase.
/// `#OffeneTüren`, `offenetUren` and `OFFENETÜREN` all become `offeneturen`.
pub fn normalize_tag(tag: &str) -> String {
    let tag = tag.trim().trim_start_matches(['#', '＃']);
    tag.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `#tag` in text, not inside a word or a URL (`a#b`, `/page#anchor` are not hashtags), with at least one
/// letter or `_` (`#1` is not a hashtag). Same shape as Mastodon's and X's own extractors.
static HASHTAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w/&)])[#＃]([\w·]*[\p{Alphabetic}_][\w·]*)")
        .expect("hashtag regex compiles")
});

/// Hashtags written in `text`, without `#`, in the author's spelling, first occurrence only.
pub fn extract_hashtags(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for cap in HASHTAG.captures_iter(text) {
        if let Some(m) = cap.get(1) {
            let tag = m.as_str().trim_end_matches('·');
            if !tag.is_empty() && seen.insert(normalize_tag(tag)) {
                out.push(tag.to_owned());
            }
        }
    }
    out
}

/// `first` then the tags of `more` not already there (compared normalized), keeping the first spelling.
pub fn merge_hashtags(first: Vec<String>, more: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen: HashSet<String> = first.iter().map(|t| normalize_tag(t)).collect();
    let mut out = first;
    for tag in more {
        let tag = tag.trim_start_matches('#').to_owned();
        if !tag.is_empty() && seen.insert(normalize_tag(&tag)) {
            out.push(tag);
        }
    }
    out
}

/// The set of tags one source follows, expanded through the hashtag groups.
#[derive(Clone, Debug)]
pub struct TagMatcher {
    /// Spellings to ask platforms for, one per normalized form, in configuration order.
    query: Vec<String>,
    /// Groups touched, in configuration order, each with its spellings (for X rules).
    groups: Vec<(String, Vec<String>)>,
    wanted: HashSet<String>,
}

impl TagMatcher {
    /// `tags` empty means every group. A tag that names a group or one of its variants brings the whole group.
    pub fn new(tags: &[String], groups: &HashtagGroups) -> TagMatcher {
        let all: Vec<String>;
        let tags = if tags.is_empty() {
            all = groups.0.keys().cloned().collect();
            &all
        } else {
            tags
        };
        let mut matcher = TagMatcher {
            query: Vec::new(),
            groups: Vec::new(),
            wanted: HashSet::new(),
        };
        for tag in tags {
            let norm = normalize_tag(tag);
            if norm.is_empty() {
                continue;
            }
            let group = groups.0.iter().find(|(name, variants)| {
                normalize_tag(name) == norm || variants.iter().any(|v| normalize_tag(v) == norm)
            });
            match group {
                Some((name, variants)) => {
                    if matcher.groups.iter().any(|(g, _)| g == name) {
                        continue;
                    }
                    let mut spellings = Vec::new();
                    for v in variants {
                        if matcher.add(v) {
                            spellings.push(v.trim_start_matches('#').to_owned());
                        }
                    }
                    // A group named after a tag the user wrote, but not listed among its variants.
                    if matcher.add(tag) {
                        spellings.push(tag.trim_start_matches('#').to_owned());
                    }
                    matcher.groups.push((name.clone(), spellings));
                }
                None => {
                    if matcher.add(tag) {
                        let t = tag.trim_start_matches('#').to_owned();
                        matcher.groups.push((t.clone(), vec![t]));
                    }
                }
            }
        }
        matcher
    }

    fn add(&mut self, spelling: &str) -> bool {
        let norm = normalize_tag(spelling);
        if norm.is_empty() || !self.wanted.insert(norm) {
            return false;
        }
        self.query.push(spelling.trim_start_matches('#').to_owned());
        true
    }

    /// True if any of `hashtags` is wanted.
    pub fn matches(&self, hashtags: &[String]) -> bool {
        hashtags
            .iter()
            .any(|t| self.wanted.contains(&normalize_tag(t)))
    }

    /// One spelling per wanted normalized tag (what to poll on Mastodon).
    pub fn query_tags(&self) -> &[String] {
        &self.query
    }

    /// Groups with their spellings (what to turn into X rules).
    pub fn groups(&self) -> &[(String, Vec<String>)] {
        &self.groups
    }

    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_accents() {
        assert_eq!(normalize_tag("#OffeneTüren"), "offeneturen");
        assert_eq!(normalize_tag("OFFENETU\u{0308}REN"), "offeneturen");
        assert_eq!(normalize_tag("PorteOuverte"), normalize_tag("porteouverte"));
        assert_eq!(normalize_tag("＃ÉCOLE"), "ecole");
    }

    #[test]
    fn extracts_from_text() {
        let text = "Abri dispo #PorteOuverte Paris 11e #portesouvertes, voir https://ex.com/p#anchor \
                    et a#b #1 #_x #OffeneTüren! (#RechercheParis) #PorteOuverte";
        assert_eq!(
            extract_hashtags(text),
            [
                "PorteOuverte",
                "portesouvertes",
                "_x",
                "OffeneTüren",
                "RechercheParis"
            ]
        );
        assert_eq!(extract_hashtags("#début"), ["début"]);
        assert!(extract_hashtags("&#39; rien").is_empty());
    }

    #[test]
    fn matcher_expands_groups_and_ignores_accents() {
        let m = TagMatcher::new(
            &["porteouverte".into(), "JeSuisParis".into()],
            &HashtagGroups::default(),
        );
        assert!(m.matches(&["offeneturen".into()]));
        assert!(m.matches(&["OPENDOOR".into()]));
        assert!(m.matches(&["jesuisparis".into()]));
        assert!(!m.matches(&["PrayForParis".into(), "cats".into()]));
        assert_eq!(
            m.query_tags()[..2],
            ["PorteOuverte".to_owned(), "PortesOuvertes".to_owned()]
        );
        assert_eq!(m.groups().len(), 2);
        let all = TagMatcher::new(&[], &HashtagGroups::default());
        assert!(all.matches(&["prayforparis".into()]) && all.matches(&["RechercheParis".into()]));
    }

    #[test]
    fn merge_keeps_first_spelling() {
        let merged = merge_hashtags(
            vec!["musicTuesday".into()],
            ["MUSICTUESDAY".into(), "piano".into()],
        );
        assert_eq!(merged, ["musicTuesday", "piano"]);
    }
}
