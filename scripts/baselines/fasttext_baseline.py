#!/usr/bin/env python3
"""Peer baseline: fastText supervised (pip package `fasttext-wheel`, imported as `fasttext`).
usage: fasttext_baseline.py --train FILE.jsonl [FILE...] --test FILE.jsonl [--json]
Hyper-parameters: the usual text-classification setting (25 epochs, lr 0.5, word bigrams, subwords 2-5)."""
import argparse, json, os, re, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
from common import read_jsonl, report


def clean(t):
    return re.sub(r"\s+", " ", t).strip().lower()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--epoch", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import fasttext
    xt, yt = read_jsonl(a.train)
    xs, ys = read_jsonl(a.test)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        for x, y in zip(xt, yt):
            fh.write(f"__label__{y} {clean(x)}\n")
        path = fh.name
    try:
        m = fasttext.train_supervised(path, epoch=a.epoch, lr=a.lr, wordNgrams=2, minn=2, maxn=5, dim=50,
                                      seed=13, thread=1, verbose=0)
    finally:
        os.unlink(path)
    t0 = time.perf_counter()
    labels, _ = m.predict([clean(x) for x in xs])
    rate = len(xs) / (time.perf_counter() - t0)
    pred = [l[0].replace("__label__", "") for l in labels]
    rep = report(ys, pred, rate)
    if a.json:
        print(json.dumps(rep))
    else:
        print(f"fastText: macro-F1 {rep['macro_f1']:.4f} (gold classes {rep['macro_f1_gold_classes']:.4f}), {rate:.0f} posts/s")


if __name__ == "__main__":
    main()
