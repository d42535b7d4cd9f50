//! HTML (Mastodon `content`) to plain text.
//!
//! A small tokenizer that follows the HTML rules that matter here: `<` starts a tag only before a letter, `/`,
//! `!` or `?`; attribute values may contain `>` inside quotes; comments, `<script>` and `<style>` content are
//! dropped; an unterminated tag drops the rest of the input (so no markup can survive by being cut short).
//! Entities are decoded after the markup is gone, so `&lt;b&gt;` becomes the text `<b>` that the author typed,
//! never a tag. `<br>` becomes a newline and paragraphs are separated by a blank line.

/// Converts HTML to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut text = String::new();
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    let mut pre = 0usize;

    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip_until.is_none() {
                text.push_str(rest);
            }
            break;
        };
        if skip_until.is_none() {
            text.push_str(&rest[..lt]);
        }
        let after = &rest[lt + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            if skip_until.is_none() {
                text.push('<');
            }
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            match comment.find("-->") {
                Some(end) => rest = &comment[end + 3..],
                None => break,
            }
            continue;
        }
        let Some(end) = tag_end(after) else {
            // Unterminated tag: everything after it is markup, not text.
            break;
        };
        let tag = &after[..end];
        rest = &after[end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if let Some(until) = skip_until {
            if closing && name == until {
                skip_until = None;
            }
            continue;
        }
        flush_text(&mut out, &mut text, pre > 0);
        match (name.as_str(), closing) {
            ("script" | "style" | "template" | "iframe" | "object", false) => {
                skip_until = Some(match name.as_str() {
                    "script" => "script",
                    "style" => "style",
                    "template" => "template",
                    "iframe" => "iframe",
                    _ => "object",
                });
            }
            ("br", _) => out.push('\n'),
            ("p" | "blockquote" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                paragraph_break(&mut out)
            }
            ("p" | "blockquote" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                paragraph_break(&mut out)
            }
            ("pre", false) => {
                paragraph_break(&mut out);
                pre += 1;
            }
            ("pre", true) => {
                pre = pre.saturating_sub(1);
                paragraph_break(&mut out);
            }
            ("li", false) => {
                line_break(&mut out);
                out.push_str("- ");
            }
            ("div" | "li" | "tr", _) => line_break(&mut out),
            ("td" | "th", true) => out.push(' '),
            _ => {}
        }
    }
    flush_text(&mut out, &mut text, pre > 0);
    tidy(&out)
}

/// Index of the `>` that ends a tag starting at `s` (after the `<`), skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn flush_text(out: &mut String, text: &mut String, preformatted: bool) {
    if text.is_empty() {
        return;
    }
    let decoded = html_escape::decode_html_entities(text.as_str());
    if preformatted {
        out.push_str(&decoded);
    } else {
        // HTML collapses runs of ASCII whitespace to one space (not &nbsp;); source newlines are not breaks.
        let mut last_space = out.ends_with([' ', '\n']) || out.is_empty();
        for c in decoded.chars() {
            if c.is_ascii_whitespace() {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            } else {
                out.push(c);
                last_space = false;
            }
        }
    }
    text.clear();
}

fn line_break(out: &mut String) {
    trim_trailing_spaces(out);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn paragraph_break(out: &mut String) {
    trim_trailing_spaces(out);
    if out.is_empty() {
        return;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn trim_trailing_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

/// Trailing spaces off every line, at most one blank line in a row, no blank lines at the ends.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn mastodon_content() {
        let html = r#"<p>&quot;I lost my inheritance with one wrong digit on my sort code&quot;</p><p><a href="https://www.theguardian.com/money/2019/dec/07/i-lost" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">theguardian.com/money/2019/dec</span><span class="invisible">/07/i-lost</span></a></p>"#;
        assert_eq!(
            html_to_text(html),
            "\"I lost my inheritance with one wrong digit on my sort code\"\n\nhttps://www.theguardian.com/money/2019/dec/07/i-lost"
        );
        let tags = r#"<p><a href="https://ruby.social/tags/musicTuesday" class="mention hashtag" rel="nofollow noopener noreferrer" target="_blank">#<span>musicTuesday</span></a> </p><p>Here's a solo</p>"#;
        assert_eq!(html_to_text(tags), "#musicTuesday\n\nHere's a solo");
    }

    #[test]
    fn line_breaks_and_entities() {
        assert_eq!(
            html_to_text(
                "<p>Abri&nbsp;dispo<br>Paris 11e<br />&lt;b&gt;2 places&lt;/b&gt; &amp; café&#39;</p>"
            ),
            "Abri\u{a0}dispo\nParis 11e\n<b>2 places</b> & café'"
        );
        assert_eq!(html_to_text("a <  b and 1<2"), "a < b and 1<2");
    }

    #[test]
    fn no_markup_survives() {
        for evil in [
            "<script>alert(1)</script>ok",
            "<p title='>'>ok</p>",
            "ok<img src=x onerror=alert(1)",
            "<!-- <p>hidden</p> -->ok",
            "<style>p{}</style><b>ok</b>",
            "<!-- unterminated ok",
            "ok<a href=\"x>y\">",
        ] {
            let text = html_to_text(evil);
            assert!(
                text.starts_with("ok") || text == "ok" || text.is_empty(),
                "{evil:?} -> {text:?}"
            );
            assert!(
                !text.contains('<') && !text.contains("alert"),
                "{evil:?} -> {text:?}"
            );
        }
        assert_eq!(
            html_to_text("<ul><li>un</li><li>deux</li></ul>fin"),
            "- un\n- deux\n\nfin"
        );
    }
}
