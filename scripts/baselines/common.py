"""Shared helpers of the baseline scripts: JSONL reading and the report format of `triage eval --json`."""
import json

CLASSES = ["offer", "request", "missing", "support", "info", "noise"]


def read_jsonl(paths):
    texts, labels = [], []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    o = json.loads(line)
                    texts.append(o["text"])
                    labels.append(o["label"])
    return texts, labels


def report(gold, pred, posts_per_sec):
    """macro_f1 as scikit-learn's default (classes in gold or predictions), like `triage eval`."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support, confusion_matrix
    present = [c for c in CLASSES if c in set(gold) | set(pred)]
    gold_present = [c for c in CLASSES if c in set(gold)]
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=present, zero_division=0)
    return {
        "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
        "macro_f1_gold_classes": float(f1_score(gold, pred, labels=gold_present, average="macro", zero_division=0)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, c in enumerate(present)},
        "confusion": confusion_matrix(gold, pred, labels=CLASSES).tolist(),
        "posts_per_sec": posts_per_sec,
        "n": len(gold),
    }
