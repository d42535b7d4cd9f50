//! Speed of the classify stage's core: `Classifier::classify` (features, model, reasons, extraction), single
//! thread, over a realistic corpus read from the repository at start: the project's multilingual examples and
//! CrisisLex T26 tweets. Also the model load time. Run: `cargo bench -p triage-classify --bench classify`.
//! `scripts/bench-classify.sh` compares the rate with the scikit-learn peer.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use triage_classify::Classifier;
use triage_model::{Author, Post, Source};

/// Texts of the benchmark corpus (also what `scripts/baselines/sklearn_predict_rate.py` reads).
pub fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = Vec::new();
    for dir in ["data/train/project", "data/eval/project"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                for line in std::fs::read_to_string(&f).unwrap_or_default().lines() {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                        && let Some(t) = v.get("text").and_then(|t| t.as_str())
                    {
                        texts.push(t.to_owned());
                    }
                }
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(root.join("data/crisislex/t26")) {
        let mut files: Vec<_> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            // Tweet text is the second CSV field; take 300 per event.
            for line in text.lines().skip(1).take(300) {
                if let Some(rest) = line.split_once("\",\"").map(|x| x.1)
                    && let Some(end) = rest.rfind("\",")
                {
                    texts.push(rest[..end].replace("\"\"", "\""));
                }
            }
        }
    }
    texts
}

fn post(i: usize, text: &str) -> Post {
    Post {
        v: 1,
        id: format!("sample:{i}"),
        source: Source::Sample,
        url: None,
        author: Author {
            id: None,
            handle: "bench".into(),
            name: None,
        },
        text: text.to_owned(),
        lang: None,
        hashtags: Vec::new(),
        created_at: chrono::DateTime::from_timestamp(1_447_448_400, 0).unwrap_or_default(),
        edited_at: None,
        repost_of: None,
        reply_to: None,
        media: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let clf = Classifier::builtin().expect("built-in classifier loads");
    let posts: Vec<Post> = corpus()
        .iter()
        .enumerate()
        .map(|(i, t)| post(i, t))
        .collect();
    assert!(!posts.is_empty(), "benchmark corpus is empty");
    eprintln!(
        "corpus: {} posts, {} bytes",
        posts.len(),
        posts.iter().map(|p| p.text.len()).sum::<usize>()
    );
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(posts.len() as u64));
    g.sample_size(20);
    g.bench_function("classify+extract", |b| {
        b.iter(|| {
            for p in &posts {
                black_box(clf.classify(black_box(p)));
            }
        })
    });
    g.bench_function("predict_only", |b| {
        b.iter(|| {
            for p in &posts {
                black_box(clf.predict(black_box(&p.text), None));
            }
        })
    });
    g.finish();
    c.bench_function("load_builtin", |b| {
        b.iter(|| black_box(Classifier::builtin().expect("loads")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
