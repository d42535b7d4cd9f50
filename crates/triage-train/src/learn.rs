//! Linear multiclass learners over hashed sparse features: multinomial logistic regression (SGD), averaged
//! perceptron and a linear SVM (multiclass hinge, SGD). All use weight averaging, seeded shuffling and
//! per-class weights (inverse frequency, for macro-F1).

use triage_model::Class;

/// A sparse dataset in CSR form.
#[derive(Default, Clone)]
pub struct Sparse {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
    pub off: Vec<usize>,
    pub y: Vec<u8>,
}

impl Sparse {
    pub fn new() -> Sparse {
        Sparse {
            off: vec![0],
            ..Default::default()
        }
    }
    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// Adds one example from its word-group and char-group bucket lists (each group L2-normalized by count,
    /// exactly as the classifier scores).
    pub fn push(&mut self, word: &[u32], chars: &[u32], y: Class) {
        let mut row: Vec<(u32, f32)> = Vec::with_capacity(word.len() + chars.len());
        for (g, list) in [word, chars].into_iter().enumerate() {
            let _ = g;
            if list.is_empty() {
                continue;
            }
            let v = 1.0 / (list.len() as f32).sqrt();
            row.extend(list.iter().map(|&i| (i, v)));
        }
        row.sort_unstable_by_key(|x| x.0);
        let mut last: Option<u32> = None;
        for (i, v) in row {
            if last == Some(i) {
                if let Some(x) = self.val.last_mut() {
                    *x += v;
                }
            } else {
                self.idx.push(i);
                self.val.push(v);
                last = Some(i);
            }
        }
        self.off.push(self.idx.len());
        self.y.push(y.index() as u8);
    }
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.off[i], self.off[i + 1]);
        (&self.idx[a..b], &self.val[a..b])
    }
    pub fn subset(&self, rows: &[usize]) -> Sparse {
        let mut s = Sparse::new();
        for &r in rows {
            let (i, v) = self.row(r);
            s.idx.extend_from_slice(i);
            s.val.extend_from_slice(v);
            s.off.push(s.idx.len());
            s.y.push(self.y[r]);
        }
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Multinomial logistic regression.
    Lr,
    /// Averaged perceptron.
    Perceptron,
    /// Linear SVM (Crammer–Singer hinge).
    Svm,
}

#[derive(Clone, Debug)]
pub struct Hyper {
    pub algo: Algo,
    pub bits: u32,
    pub epochs: usize,
    pub lr: f32,
    pub l2: f32,
    pub seed: u64,
    pub balance: bool,
}

/// Float weights: `6 << bits` bucket-major, plus biases.
#[derive(Clone)]
pub struct Weights {
    pub w: Vec<f32>,
    pub b: [f32; 6],
}

impl Weights {
    pub fn scores(&self, idx: &[u32], val: &[f32]) -> [f32; 6] {
        let mut s = self.b;
        for (&i, &v) in idx.iter().zip(val) {
            let r = &self.w[i as usize * 6..i as usize * 6 + 6];
            for c in 0..6 {
                s[c] += r[c] * v;
            }
        }
        s
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic shuffles from the seed.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

pub fn class_weights(y: &[u8], balance: bool) -> [f32; 6] {
    let mut n = [0usize; 6];
    for &c in y {
        n[c as usize] += 1;
    }
    let present = n.iter().filter(|&&k| k > 0).count().max(1);
    let mut w = [1f32; 6];
    if balance {
        for c in 0..6 {
            if n[c] > 0 {
                // sklearn's "balanced", softened by a square root so that rare classes are not over-predicted.
                w[c] = ((y.len() as f32 / (present as f32 * n[c] as f32)).sqrt()).clamp(0.25, 4.0);
            }
        }
    }
    w
}

/// Trains for `epochs` and calls `after_epoch(epoch, averaged weights)` after each one.
pub fn train(data: &Sparse, h: &Hyper, mut after_epoch: impl FnMut(usize, &Weights)) -> Weights {
    let nb = 1usize << h.bits;
    let mut w = vec![0f32; nb * 6];
    let mut u = vec![0f32; nb * 6]; // sum of c * update, for averaging
    let mut b = [0f32; 6];
    let mut ub = [0f32; 6];
    let cw = class_weights(&data.y, h.balance);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng(h.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut t: f32 = 1.0;
    let mut last = Weights {
        w: Vec::new(),
        b: [0.0; 6],
    };
    for epoch in 1..=h.epochs {
        rng.shuffle(&mut order);
        let eta = h.lr / (1.0 + (epoch - 1) as f32 * 0.5);
        for &r in &order {
            let (idx, val) = data.row(r);
            let y = data.y[r] as usize;
            let cwy = cw[y];
            let mut s = b;
            for (&i, &v) in idx.iter().zip(val) {
                let row = &w[i as usize * 6..i as usize * 6 + 6];
                for c in 0..6 {
                    s[c] += row[c] * v;
                }
            }
            // Gradient (per class) of the loss with respect to the scores.
            let mut g = [0f32; 6];
            match h.algo {
                Algo::Lr => {
                    let m = s.iter().fold(f32::MIN, |a, &x| a.max(x));
                    let mut z = 0.0;
                    let mut p = [0f32; 6];
                    for c in 0..6 {
                        p[c] = (s[c] - m).exp();
                        z += p[c];
                    }
                    for c in 0..6 {
                        g[c] = (p[c] / z - if c == y { 1.0 } else { 0.0 }) * cwy;
                    }
                }
                Algo::Perceptron | Algo::Svm => {
                    let margin = if h.algo == Algo::Svm { 1.0 } else { 0.0 };
                    let mut r_best = usize::MAX;
                    let mut r_s = f32::MIN;
                    for c in 0..6 {
                        if c != y && s[c] > r_s {
                            r_s = s[c];
                            r_best = c;
                        }
                    }
                    if r_best != usize::MAX && r_s + margin >= s[y] {
                        g[y] = -cwy;
                        g[r_best] = cwy;
                    }
                }
            }
            let step = if h.algo == Algo::Perceptron { 1.0 } else { eta };
            let any = g.iter().any(|&x| x != 0.0);
            if any || h.l2 > 0.0 {
                for (&i, &v) in idx.iter().zip(val) {
                    let base = i as usize * 6;
                    for c in 0..6 {
                        let d = -step * (g[c] * v + h.l2 * w[base + c]);
                        w[base + c] += d;
                        u[base + c] += t * d;
                    }
                }
                for c in 0..6 {
                    let d = -step * g[c] * 0.1;
                    b[c] += d;
                    ub[c] += t * d;
                }
            }
            t += 1.0;
        }
        // Averaged weights: w - u / t.
        let avg_w: Vec<f32> = w.iter().zip(&u).map(|(a, b)| a - b / t).collect();
        let mut avg_b = [0f32; 6];
        for c in 0..6 {
            avg_b[c] = b[c] - ub[c] / t;
        }
        last = Weights { w: avg_w, b: avg_b };
        after_epoch(epoch, &last);
    }
    last
}

/// Fits the softmax temperature minimizing the negative log-likelihood on a development set.
pub fn fit_temperature(wts: &Weights, dev: &Sparse) -> f32 {
    if dev.is_empty() {
        return 1.0;
    }
    let scores: Vec<[f32; 6]> = (0..dev.len())
        .map(|r| {
            let (i, v) = dev.row(r);
            wts.scores(i, v)
        })
        .collect();
    let nll = |t: f32| -> f64 {
        let mut sum = 0.0f64;
        for (s, &y) in scores.iter().zip(&dev.y) {
            let m = s.iter().fold(f32::MIN, |a, &x| a.max(x));
            let z: f32 = s.iter().map(|&x| ((x - m) / t).exp()).sum();
            sum += f64::from(z.ln() - (s[y as usize] - m) / t);
        }
        sum
    };
    let mut best = (f64::MAX, 1.0f32);
    let mut t = 0.05f32;
    while t <= 20.0 {
        let l = nll(t);
        if l < best.0 {
            best = (l, t);
        }
        t *= 1.05;
    }
    best.1
}
