#!/usr/bin/env python3
"""Peer baseline: TF-IDF (word 1-2 grams + character 2-5 grams within words) + LinearSVC.
usage: sklearn_tfidf_svm.py --train FILE.jsonl [FILE...] --test FILE.jsonl [--C 0.5] [--json]
Prints the same report as `triage eval` (macro_f1, per_class, confusion, posts_per_sec)."""
import argparse, json, os, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))
from common import read_jsonl, report


def pipeline(C=0.5):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, strip_accents="unicode", lowercase=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, lowercase=True),
        ),
        LinearSVC(C=C, class_weight="balanced"),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--C", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    xt, yt = read_jsonl(a.train)
    xs, ys = read_jsonl(a.test)
    m = pipeline(a.C).fit(xt, yt)
    t0 = time.perf_counter()
    pred = list(m.predict(xs))
    rate = len(xs) / (time.perf_counter() - t0)
    rep = report(ys, pred, rate)
    if a.json:
        print(json.dumps(rep))
    else:
        print(f"sklearn TF-IDF+LinearSVC: macro-F1 {rep['macro_f1']:.4f} (gold classes {rep['macro_f1_gold_classes']:.4f}), {rate:.0f} posts/s")


if __name__ == "__main__":
    main()
