//! `triage label`: offline classification, no Kafka. For journalists' archives and for testing the classifier.

use std::{
    io::{BufRead, BufWriter, Write},
    path::Path,
};

use anyhow::Context;
use chrono::Utc;
use triage_classify::Deduper;
use triage_model::{Author, Post, RawEvent, SCHEMA_VERSION, Source};

use crate::config::TriageConfig;

/// Reads posts from `file` (or stdin) and writes one classified record per post to stdout as JSONL.
/// A line is a normalized post (JSON), an object with at least `text`, or else a plain text.
pub fn label(config: &TriageConfig, file: Option<&Path>) -> anyhow::Result<()> {
    let classifier = crate::run::load_classifier(config)?;
    let mut deduper = Deduper::new(&config.classifier.dedup);
    let input: Box<dyn BufRead> = match file {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
        )),
    };
    let name = file
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "stdin".into());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut labelled, mut skipped) = (0u64, 0u64);
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading {name} line {}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some(post) = post_from_line(&line, n + 1) else {
            skipped += 1;
            continue;
        };
        let cluster = deduper.observe(&post);
        let record = classifier.classify(&post).into_record(post, &cluster);
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
        labelled += 1;
    }
    out.flush()?;
    tracing::info!(labelled, skipped_deletions = skipped, "labelled {name}");
    Ok(())
}

/// A post from one input line; None for a tombstone (nothing to label).
fn post_from_line(line: &str, number: usize) -> Option<Post> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(event) = RawEvent::decode(line.as_bytes()) {
            return match event {
                RawEvent::Post(p) => Some(p),
                RawEvent::Tombstone(_) => None,
            };
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(text) = map.get("text").and_then(|t| t.as_str())
        {
            let id = map
                .get("id")
                .and_then(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.as_u64().map(|n| n.to_string()))
                })
                .unwrap_or_else(|| number.to_string());
            let mut post = plain_post(text, &id);
            post.lang = map.get("lang").and_then(|l| l.as_str()).map(str::to_owned);
            return Some(post);
        }
    }
    Some(plain_post(line, &number.to_string()))
}

fn plain_post(text: &str, native_id: &str) -> Post {
    Post {
        v: SCHEMA_VERSION,
        id: format!("file:{native_id}"),
        source: Source::File,
        url: None,
        author: Author::default(),
        text: text.to_owned(),
        lang: None,
        hashtags: Vec::new(),
        created_at: Utc::now(),
        edited_at: None,
        repost_of: None,
        reply_to: None,
        media: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_posts() {
        let p = post_from_line("je peux ouvrir mon appart dans le 20e", 3).unwrap();
        assert_eq!(
            (p.id.as_str(), p.text.as_str()),
            ("file:3", "je peux ouvrir mon appart dans le 20e")
        );
        let p = post_from_line(
            r#"{"text":"Wir haben Platz für zwei","id":"a7","lang":"de"}"#,
            1,
        )
        .unwrap();
        assert_eq!((p.id.as_str(), p.lang.as_deref()), ("file:a7", Some("de")));
        let tomb = r#"{"v":1,"kind":"tombstone","id":"x:1","source":"x","deleted_at":"2015-11-13T22:00:00Z"}"#;
        assert!(post_from_line(tomb, 1).is_none());
    }
}
