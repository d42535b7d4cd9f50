#!/usr/bin/env python3
"""Prediction rate (posts/s, one thread) of the scikit-learn peer (the pipeline of sklearn_tfidf_svm.py, trained on
CrisisLex T26 + the project examples) on the corpus of the criterion benchmark of triage-classify: the project
examples (data/train/project, data/eval/project) and the first 300 tweets of each CrisisLex T26 event.
usage: sklearn_predict_rate.py [--repeat 3]   (prints one JSON object)"""
import argparse, csv, glob, json, os, sys, time
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
sys.path.insert(0, os.path.dirname(__file__))
from common import read_jsonl
from sklearn_tfidf_svm import pipeline

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def corpus():
    texts = []
    for d in ["data/train/project", "data/eval/project"]:
        t, _ = read_jsonl(sorted(glob.glob(os.path.join(ROOT, d, "*.jsonl"))))
        texts += t
    for f in sorted(glob.glob(os.path.join(ROOT, "data/crisislex/t26/*.csv"))):
        with open(f, encoding="utf-8") as fh:
            r = csv.reader(fh); next(r)
            for i, row in enumerate(r):
                if i >= 300: break
                texts.append(row[1])
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    train_x, train_y = [], []
    for f in sorted(glob.glob(os.path.join(ROOT, "data/crisislex/t26/*.csv"))):
        with open(f, encoding="utf-8") as fh:
            r = csv.reader(fh); next(r)
            for row in r:
                train_x.append(row[1]); train_y.append(row[3].strip())
    m = pipeline().fit(train_x, train_y)
    texts = corpus()
    best = 0.0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        m.predict(texts)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    print(json.dumps({"posts": len(texts), "posts_per_sec": best}))


if __name__ == "__main__":
    main()
