//! `triage train` and `triage eval`: dataset reading, label maps, training of the hashed linear model,
//! calibration, quantization, evaluation.

// Dense per-class loops over fixed-size arrays read better with indices.
#![allow(clippy::needless_range_loop)]

pub mod data;
pub mod learn;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use triage_classify::{
    Classifier, ClassifierConfig, FEATURES_VERSION, FeatureFlags, Featurizer, Model, ModelHeader,
};
use triage_model::Class;

pub use data::{Columns, Example, LabelMap, RawExample, map_labels, read_file};
use learn::{Algo, Hyper, Sparse, Weights};

/// `triage train --data FILE... [--label-map MAP] --out MODEL`
#[derive(Clone, Debug, clap::Args)]
pub struct TrainArgs {
    /// Training data: JSONL (`text`, `label`, optional `lang`, `id`), CSV or TSV. Repeat or list several.
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// TSV of `source_label<TAB>class` (class `-` drops the row). Labels that are already class names pass.
    #[arg(long)]
    pub label_map: Option<PathBuf>,
    /// Where to write the model.
    #[arg(long)]
    pub out: PathBuf,
    /// Text column of CSV/TSV files (default: `text`, or CrisisLex's `Tweet Text`).
    #[arg(long)]
    pub text_col: Option<String>,
    /// Label column of CSV/TSV files (default: `label`, or CrisisLex's Information Type + Informativeness).
    #[arg(long)]
    pub label_col: Option<String>,
    /// Seed of the shuffles and of the development split.
    #[arg(long, default_value_t = 13)]
    pub seed: u64,
    /// Most training epochs (the best epoch on the development split is kept).
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    #[arg(long, value_enum, default_value_t = Algo::Lr)]
    pub algo: Algo,
    /// log2 of the number of hashed feature buckets.
    #[arg(long, default_value_t = 18)]
    pub bits: u32,
    /// Learning rate (logistic regression and SVM).
    #[arg(long, default_value_t = 0.5)]
    pub lr: f32,
    /// L2 regularization per update.
    #[arg(long, default_value_t = 1e-5)]
    pub l2: f32,
    /// Share of the training rows held out to pick the epoch and fit the calibration temperature.
    #[arg(long, default_value_t = 0.1)]
    pub dev_fraction: f64,
    /// Do not re-weight classes by inverse frequency.
    #[arg(long)]
    pub no_balance: bool,
    /// Version string stored in the model (shown in every record).
    #[arg(long)]
    pub version: Option<String>,
    /// Lexicon directory the features are computed with (must be the one the classifier will load).
    #[arg(long, default_value = "config/lexicons")]
    pub lexicons: PathBuf,
    /// Gazetteer directory.
    #[arg(long, default_value = "config/gazetteers")]
    pub gazetteers: PathBuf,
    /// Feature families to leave out (comma-separated: chars, bigrams, stems, hashtags).
    #[arg(long, value_delimiter = ',')]
    pub without: Vec<String>,
}

/// `triage eval --model MODEL --data FILE [--label-map MAP] [--json]`
#[derive(Clone, Debug, clap::Args)]
pub struct EvalArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[arg(long)]
    pub label_map: Option<PathBuf>,
    #[arg(long)]
    pub text_col: Option<String>,
    #[arg(long)]
    pub label_col: Option<String>,
    /// Print one JSON object (`macro_f1`, `per_class`, `confusion`, `posts_per_sec`, ...).
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = "config/lexicons")]
    pub lexicons: PathBuf,
    #[arg(long, default_value = "config/gazetteers")]
    pub gazetteers: PathBuf,
}

/// Reads every `*.txt` (lexicons) or `*.csv` (gazetteers) file of a directory, sorted by name.
pub fn read_dir_files(dir: &Path, ext: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    for e in rd {
        let p = e?.path();
        if p.extension().and_then(|x| x.to_str()) == Some(ext) {
            let name = p
                .file_name()
                .and_then(|x| x.to_str())
                .unwrap_or_default()
                .to_owned();
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            out.push((name, text));
        }
    }
    out.sort();
    Ok(out)
}

fn load_examples(paths: &[PathBuf], map: Option<&Path>, cols: &Columns) -> Result<Vec<Example>> {
    let map = map.map(LabelMap::load).transpose()?;
    let mut raw = Vec::new();
    for p in paths {
        raw.extend(read_file(p, cols)?);
    }
    let (ex, dropped) = map_labels(raw, map.as_ref())?;
    if ex.is_empty() {
        bail!("no labelled examples in {paths:?}");
    }
    eprintln!(
        "read {} examples ({} dropped by the label map) from {} file(s)",
        ex.len(),
        dropped,
        paths.len()
    );
    Ok(ex)
}

fn progress(n: usize, what: &str) -> ProgressBar {
    // indicatif hides the bar when stderr is not a terminal.
    let pb = ProgressBar::new(n as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_owned());
    pb
}

fn featurize(fz: &Featurizer, ex: &[Example], bits: u32, flags: FeatureFlags) -> Sparse {
    let pb = progress(ex.len(), "features");
    let mut s = Sparse::new();
    for (i, e) in ex.iter().enumerate() {
        let (w, c) = fz.sparse_features(
            &e.text,
            e.lang.as_deref(),
            bits,
            flags,
            ClassifierConfig::default().max_analysed_chars,
        );
        s.push(&w, &c, e.class);
        if i % 1024 == 0 {
            pb.set_position(i as u64);
        }
    }
    pb.finish_and_clear();
    s
}

/// Stable pseudo-random number in [0,1) from a text (for the development split).
fn unit_hash(seed: u64, s: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Per-class and macro figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub macro_f1: f64,
    /// Macro-F1 over the classes present in the gold labels only.
    pub macro_f1_gold_classes: f64,
    pub accuracy: f64,
    pub per_class: std::collections::BTreeMap<String, ClassFigures>,
    /// `confusion[gold][predicted]`, classes in the order of `classes`.
    pub confusion: Vec<Vec<u64>>,
    pub classes: Vec<String>,
    pub posts_per_sec: f64,
    pub n: usize,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ClassFigures {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

/// Computes the report. `macro_f1` averages over the classes present in the gold labels or in the predictions
/// (scikit-learn's default), `macro_f1_gold_classes` over the gold classes only.
pub fn report(gold: &[u8], pred: &[u8], posts_per_sec: f64) -> Report {
    let mut conf = vec![vec![0u64; 6]; 6];
    for (&g, &p) in gold.iter().zip(pred) {
        conf[g as usize][p as usize] += 1;
    }
    let mut per_class = std::collections::BTreeMap::new();
    let (mut sum, mut k, mut sum_g, mut k_g) = (0.0, 0, 0.0, 0);
    for c in 0..6 {
        let tp = conf[c][c] as f64;
        let support: u64 = conf[c].iter().sum();
        let predicted: u64 = (0..6).map(|g| conf[g][c]).sum();
        if support == 0 && predicted == 0 {
            continue;
        }
        let p = if predicted > 0 {
            tp / predicted as f64
        } else {
            0.0
        };
        let r = if support > 0 {
            tp / support as f64
        } else {
            0.0
        };
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        sum += f1;
        k += 1;
        if support > 0 {
            sum_g += f1;
            k_g += 1;
        }
        per_class.insert(
            Class::ALL[c].to_string(),
            ClassFigures {
                precision: p,
                recall: r,
                f1,
                support,
            },
        );
    }
    let correct: u64 = (0..6).map(|c| conf[c][c]).sum();
    Report {
        macro_f1: if k > 0 { sum / k as f64 } else { 0.0 },
        macro_f1_gold_classes: if k_g > 0 { sum_g / k_g as f64 } else { 0.0 },
        accuracy: if gold.is_empty() {
            0.0
        } else {
            correct as f64 / gold.len() as f64
        },
        per_class,
        confusion: conf,
        classes: Class::ALL.iter().map(|c| c.to_string()).collect(),
        posts_per_sec,
        n: gold.len(),
    }
}

fn predict_weights(w: &Weights, s: &Sparse) -> Vec<u8> {
    (0..s.len())
        .map(|r| {
            let (i, v) = s.row(r);
            let sc = w.scores(i, v);
            (0..6).fold(0usize, |b, c| if sc[c] > sc[b] { c } else { b }) as u8
        })
        .collect()
}

pub fn train(args: TrainArgs) -> Result<()> {
    let cols = Columns {
        text: args.text_col.clone(),
        label: args.label_col.clone(),
    };
    let examples = load_examples(&args.data, args.label_map.as_deref(), &cols)?;
    let lex = read_dir_files(&args.lexicons, "txt")?;
    let gaz = read_dir_files(&args.gazetteers, "csv")?;
    let fz = Featurizer::from_parts(&lex, &gaz)?;
    if !(10..=24).contains(&args.bits) {
        bail!("--bits must be in 10..=24");
    }
    let mut flags = FeatureFlags::default();
    for w in &args.without {
        match w.as_str() {
            "chars" => flags.chars = false,
            "bigrams" => flags.bigrams = false,
            "stems" => flags.stems = false,
            "hashtags" => flags.hashtags = false,
            other => bail!("--without {other}: expected chars, bigrams, stems or hashtags"),
        }
    }
    let t0 = Instant::now();
    let all = featurize(&fz, &examples, args.bits, flags);
    let (mut tr, mut dv) = (Vec::new(), Vec::new());
    for (i, e) in examples.iter().enumerate() {
        let key = e.id.clone().unwrap_or_else(|| e.text.clone());
        if unit_hash(args.seed, &key) < args.dev_fraction {
            dv.push(i)
        } else {
            tr.push(i)
        }
    }
    let (train_set, dev_set) = (all.subset(&tr), all.subset(&dv));
    let mut counts = [0usize; 6];
    for &y in &all.y {
        counts[y as usize] += 1;
    }
    eprintln!(
        "features in {:.1}s; train {} / dev {} rows; classes {}",
        t0.elapsed().as_secs_f64(),
        train_set.len(),
        dev_set.len(),
        Class::ALL
            .iter()
            .zip(counts)
            .map(|(c, n)| format!("{c}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let hyper = Hyper {
        algo: args.algo,
        bits: args.bits,
        epochs: args.epochs,
        lr: args.lr,
        l2: args.l2,
        seed: args.seed,
        balance: !args.no_balance,
    };
    // 1. Pick the epoch on the development split.
    let mut best = (f64::MIN, 1usize);
    let pb = progress(args.epochs, "epochs");
    let dev_weights = learn::train(&train_set, &hyper, |epoch, w| {
        pb.set_position(epoch as u64);
        if !dev_set.is_empty() {
            let f1 = report(&dev_set.y, &predict_weights(w, &dev_set), 0.0).macro_f1;
            if f1 > best.0 + 1e-4 {
                best = (f1, epoch);
            }
        }
    });
    pb.finish_and_clear();
    let epochs = if dev_set.is_empty() {
        args.epochs
    } else {
        best.1
    };
    // 2. Calibrate on the development split with a model that never saw it.
    let dev_model = if epochs == args.epochs {
        dev_weights
    } else {
        learn::train(
            &train_set,
            &Hyper {
                epochs,
                ..hyper.clone()
            },
            |_, _| {},
        )
    };
    let temperature = learn::fit_temperature(&dev_model, &dev_set);
    // 3. Refit on everything for the chosen number of epochs.
    let final_w = learn::train(
        &all,
        &Hyper {
            epochs,
            ..hyper.clone()
        },
        |_, _| {},
    );
    let version = args.version.clone().unwrap_or_else(|| {
        let stem = args
            .out
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("model");
        format!(
            "{stem}-{}-b{}-e{}",
            format!("{:?}", args.algo).to_lowercase(),
            args.bits,
            epochs
        )
    });
    let notes = serde_json::json!({
        "algo": args.algo, "epochs": epochs, "lr": args.lr, "l2": args.l2, "seed": args.seed,
        "balanced": !args.no_balance, "rows": all.len(), "dev_rows": dev_set.len(),
        "dev_macro_f1": best.0, "data": args.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    let header = ModelHeader {
        version,
        features_version: FEATURES_VERSION,
        bits: args.bits,
        scale: 1.0,
        bias: final_w.b,
        temperature,
        flags,
        notes,
    };
    // Quantization: pick the clipping percentile on the development split (what the classifier really computes).
    let mut best_q = (f64::MIN, 1.0f64);
    for pct in [0.99, 0.995, 0.998, 0.999, 0.9995, 1.0] {
        let q = quantize(header.clone(), &dev_model.w, pct);
        let deq = Weights {
            w: q.weights
                .iter()
                .map(|&x| f32::from(x) * q.header.scale)
                .collect(),
            b: dev_model.b,
        };
        let f1 = if dev_set.is_empty() {
            0.0
        } else {
            report(&dev_set.y, &predict_weights(&deq, &dev_set), 0.0).macro_f1
        };
        if f1 > best_q.0 + 1e-6 {
            best_q = (f1, pct);
        }
    }
    let q_f1 = best_q.0;
    let model = quantize(header, &final_w.w, best_q.1);
    let bytes = model.to_bytes();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "dev macro-F1 {:.4} (quantized {:.4}) at epoch {epochs}; temperature {temperature:.3}; wrote {} ({} bytes) in {:.1}s",
        best.0,
        q_f1,
        args.out.display(),
        bytes.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Quantizes with a scale set at a high percentile of the weight magnitudes rather than the maximum: a few
/// outliers (frequent features) would otherwise push most weights to zero.
fn quantize(header: ModelHeader, w: &[f32], percentile: f64) -> Model {
    let mut mags: Vec<f32> = w.iter().map(|x| x.abs()).filter(|&x| x > 0.0).collect();
    if mags.is_empty() {
        return Model::quantize(header, w);
    }
    let k = ((mags.len() as f64) * percentile) as usize;
    let k = k.min(mags.len() - 1);
    let (_, p, _) = mags.select_nth_unstable_by(k, f32::total_cmp);
    let clip = *p;
    let clipped: Vec<f32> = w.iter().map(|x| x.clamp(-clip, clip)).collect();
    Model::quantize(header, &clipped)
}

pub fn eval(args: EvalArgs) -> Result<()> {
    let cols = Columns {
        text: args.text_col.clone(),
        label: args.label_col.clone(),
    };
    let examples = load_examples(&args.data, args.label_map.as_deref(), &cols)?;
    let model = std::fs::read(&args.model)
        .with_context(|| format!("cannot read model {}", args.model.display()))?;
    let lex = read_dir_files(&args.lexicons, "txt")?;
    let gaz = read_dir_files(&args.gazetteers, "csv")?;
    let clf = Classifier::from_parts(&model, &lex, &gaz, ClassifierConfig::default())?;
    let pb = progress(examples.len(), "classify");
    let t0 = Instant::now();
    let mut pred = Vec::with_capacity(examples.len());
    for (i, e) in examples.iter().enumerate() {
        // The full decision (reasons and extraction included): the rate is that of the classify stage.
        let c = clf.classify_text(&e.text, e.lang.as_deref());
        pred.push(c.class.index() as u8);
        if i % 1024 == 0 {
            pb.set_position(i as u64);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let gold: Vec<u8> = examples.iter().map(|e| e.class.index() as u8).collect();
    let rep = report(&gold, &pred, examples.len() as f64 / secs.max(1e-9));
    if args.json {
        println!("{}", serde_json::to_string(&rep)?);
    } else {
        print_report(&rep, clf.model_version());
    }
    Ok(())
}

pub fn print_report(rep: &Report, model: &str) {
    println!("model {model}: {} posts", rep.n);
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>8}",
        "class", "precision", "recall", "f1", "support"
    );
    for c in Class::ALL {
        if let Some(f) = rep.per_class.get(c.as_str()) {
            println!(
                "{:<10} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                c.as_str(),
                f.precision,
                f.recall,
                f.f1,
                f.support
            );
        }
    }
    println!(
        "macro-F1 {:.4} (gold classes only: {:.4}); accuracy {:.4}",
        rep.macro_f1, rep.macro_f1_gold_classes, rep.accuracy
    );
    println!("confusion (rows = gold, columns = predicted):");
    print!("{:<10}", "");
    for c in Class::ALL {
        print!(" {:>8}", c.as_str());
    }
    println!();
    for (g, row) in rep.confusion.iter().enumerate() {
        print!("{:<10}", Class::ALL[g].as_str());
        for x in row {
            print!(" {x:>8}");
        }
        println!();
    }
    println!(
        "{:.0} posts/s (single thread, classify + extract)",
        rep.posts_per_sec
    );
}
