//! Language identification on short posts: the classifier's function-word detector against `whatlang`
//! (restricted to the same six languages), on the project's posts that carry a `lang` label.
//! `cargo run --release -p triage-classify --example langid`

use std::time::Instant;

use triage_classify::Featurizer;
use whatlang::{Detector, Lang};

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut posts: Vec<(String, String)> = Vec::new();
    for dir in ["data/train/project", "data/eval/project"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for f in rd.flatten() {
            for line in std::fs::read_to_string(f.path())
                .unwrap_or_default()
                .lines()
            {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                if let (Some(t), Some(l)) = (v["text"].as_str(), v["lang"].as_str()) {
                    posts.push((t.to_owned(), l.to_owned()));
                }
            }
        }
    }
    let fz = Featurizer::builtin().expect("resources load");
    let wl = Detector::with_allowlist(vec![
        Lang::Fra,
        Lang::Eng,
        Lang::Deu,
        Lang::Spa,
        Lang::Ita,
        Lang::Por,
    ]);
    let code = |l: Lang| match l {
        Lang::Fra => "fr",
        Lang::Eng => "en",
        Lang::Deu => "de",
        Lang::Spa => "es",
        Lang::Ita => "it",
        Lang::Por => "pt",
        _ => "und",
    };
    let runs = 20;
    let t0 = Instant::now();
    let mut ours = 0;
    for _ in 0..runs {
        ours = posts
            .iter()
            .filter(|(t, l)| fz.language(t, None) == l)
            .count();
    }
    let ours_rate = (posts.len() * runs) as f64 / t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut theirs = 0;
    for _ in 0..runs {
        theirs = posts
            .iter()
            .filter(|(t, l)| wl.detect_lang(t).map(code) == Some(l.as_str()))
            .count();
    }
    let theirs_rate = (posts.len() * runs) as f64 / t0.elapsed().as_secs_f64();
    let short: Vec<_> = posts
        .iter()
        .filter(|(t, _)| t.chars().count() <= 60)
        .collect();
    let ours_s = short
        .iter()
        .filter(|(t, l)| fz.language(t, None) == l)
        .count();
    let theirs_s = short
        .iter()
        .filter(|(t, l)| wl.detect_lang(t).map(code) == Some(l.as_str()))
        .count();
    let pct = |a: usize, n: usize| 100.0 * a as f64 / n.max(1) as f64;
    println!(
        "{} posts ({} of at most 60 chars)",
        posts.len(),
        short.len()
    );
    println!(
        "function words (triage): accuracy {:.1}% (short {:.1}%), {:.0} posts/s (includes folding and tokenizing)",
        pct(ours, posts.len()),
        pct(ours_s, short.len()),
        ours_rate
    );
    println!(
        "whatlang 0.16 (6 langs):  accuracy {:.1}% (short {:.1}%), {:.0} posts/s",
        pct(theirs, posts.len()),
        pct(theirs_s, short.len()),
        theirs_rate
    );
}
