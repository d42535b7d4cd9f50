//! Removing personal contact data (phone numbers, emails) from post text before it leaves on a public endpoint.
//!
//! Two layers: the classifier's `extracted.contacts` spans (precise, knows the post's language), then a regex
//! fallback for what the extractor missed. A false positive (a long number that was not a phone) costs a few
//! characters of text; a false negative publishes someone's number, so the fallback is greedy on purpose.

use std::sync::LazyLock;

use regex::Regex;
use triage_model::{Contact, ContactChannel};

/// Replaces a phone number.
pub const PHONE_MARK: &str = "[phone]";
/// Replaces an email address.
pub const EMAIL_MARK: &str = "[email]";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+\-]+(?:@|\s?\[at\]\s?|\s?\(at\)\s?)[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
        .expect("email regex compiles")
});

// A run that starts with `+`, `00` or a digit, and goes on with digits and the separators people use in
// phone numbers. The digit count is checked afterwards (8 to 15, E.164's maximum).
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|\b)\(?\d[\d\s.\-/()]{5,22}\d\b").expect("phone regex compiles")
});

// Dates are digit runs too: they are cut out before the phone pattern runs, so that it neither eats them nor
// glues them to a following time ("13/11/2015 21:30").
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|\d{1,2}/\d{1,2}/\d{2})\b")
        .expect("date regex compiles")
});

/// Returns `text` with the contacts' spans and anything that looks like a phone number or an email replaced.
pub fn redact(text: &str, contacts: &[Contact]) -> String {
    let spanned = redact_spans(text, contacts);
    redact_patterns(&spanned)
}

/// Replaces the spans the extractor found. Spans are byte offsets into the original text; an invalid span
/// (out of range, not on a char boundary: a bug upstream) is skipped, and the regex pass still runs.
fn redact_spans(text: &str, contacts: &[Contact]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = contacts
        .iter()
        .filter_map(|c| {
            let mark = match c.channel {
                ContactChannel::Phone => PHONE_MARK,
                ContactChannel::Email => EMAIL_MARK,
                // "DM me" is a way to reach the author through the platform, not personal data in the text.
                ContactChannel::Dm => return None,
            };
            text.get(c.span.start..c.span.end)
                .map(|_| (c.span.start, c.span.end, mark))
        })
        .collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end, mark) in spans {
        if start < pos {
            // Overlapping spans: extend the previous replacement.
            pos = pos.max(end);
            continue;
        }
        out.push_str(&text[pos..start]);
        out.push_str(mark);
        pos = end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    out
}

fn redact_patterns(text: &str) -> String {
    // Emails first: their local part may hold digits the phone pattern would otherwise half-eat.
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in EMAIL.find_iter(text) {
        // `@alice@mastodon.social` is a public handle, not an email: keep it.
        if text[..m.start()].ends_with('@') {
            continue;
        }
        out.push_str(&text[last..m.start()]);
        out.push_str(EMAIL_MARK);
        last = m.end();
    }
    out.push_str(&text[last..]);

    let mut result = String::with_capacity(out.len());
    let mut pos = 0;
    for date in DATE.find_iter(&out) {
        result.push_str(&redact_phones(&out[pos..date.start()]));
        result.push_str(date.as_str());
        pos = date.end();
    }
    result.push_str(&redact_phones(&out[pos..]));
    result
}

fn redact_phones(text: &str) -> String {
    PHONE
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let found = &caps[0];
            let digits = found.bytes().filter(u8::is_ascii_digit).count();
            if (8..=15).contains(&digits) {
                PHONE_MARK.to_owned()
            } else {
                found.to_owned()
            }
        })
        .into_owned()
}

/// True when `text` still holds something the fallback patterns would redact (used by tests and debug checks).
pub fn contains_contact(text: &str) -> bool {
    redact_patterns(text) != text
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};
    use triage_model::Span;

    use super::*;

    fn check(text: &str, expect: Expect) {
        expect.assert_eq(&redact(text, &[]));
    }

    #[test]
    fn patterns() {
        check(
            "Appelez le 06 12 34 56 78 svp",
            expect!["Appelez le [phone] svp"],
        );
        check("call +33 6 12 34 56 78 now", expect!["call [phone] now"]);
        check("tel: 0612345678.", expect!["tel: [phone]."]);
        check("+1 (212) 555-0199 any time", expect!["[phone] any time"]);
        check(
            "mail marie.dupont@example.fr or not",
            expect!["mail [email] or not"],
        );
        check("write jean [at] example.com", expect!["write [email]"]);
        check(
            "ping @alice@mastodon.social",
            expect!["ping @alice@mastodon.social"],
        );
        check(
            "le 13/11/2015 à 21h30, 2015-11-13",
            expect!["le 13/11/2015 à 21h30, 2015-11-13"],
        );
        check(
            "we have 3 beds in Paris 11e, 75011",
            expect!["we have 3 beds in Paris 11e, 75011"],
        );
    }

    #[test]
    fn spans_then_patterns() {
        let text = "Joignez-moi au zéro six 12 34 ou marie@example.fr";
        let contacts = vec![Contact {
            channel: ContactChannel::Phone,
            value: "zéro six 12 34".into(),
            personal: true,
            span: Span { start: 15, end: 30 },
        }];
        assert_eq!(&text[15..30], "zéro six 12 34");
        assert_eq!(redact(text, &contacts), "Joignez-moi au [phone] ou [email]");
    }

    #[test]
    fn bad_spans_are_skipped() {
        let contacts = vec![Contact {
            channel: ContactChannel::Email,
            value: String::new(),
            personal: true,
            span: Span { start: 2, end: 400 },
        }];
        assert_eq!(redact("é 0612345678", &contacts), "é [phone]");
    }
}
