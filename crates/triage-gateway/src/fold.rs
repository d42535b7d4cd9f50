//! Case- and accent-insensitive matching for the `q` and `tag` filters (`République` matches `republique`).

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Lowercases, decomposes (NFKD) and drops combining marks: `Élysée` → `elysee`, `ﬁ` → `fi`.
pub fn fold(s: &str) -> String {
    s.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A hashtag as compared: folded, without a leading `#`.
pub fn fold_tag(s: &str) -> String {
    fold(s.trim().trim_start_matches('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds() {
        assert_eq!(fold("Place de la RÉPUBLIQUE"), "place de la republique");
        assert_eq!(fold("Ça va, Zoë? ﬁn"), "ca va, zoe? fin");
        assert_eq!(fold_tag("#PorteOuverte"), "porteouverte");
    }
}
