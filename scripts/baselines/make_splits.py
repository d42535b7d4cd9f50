#!/usr/bin/env python3
"""Writes the leave-events-out splits of CrisisLex T26 as JSONL ({"text","label","id","event"}), with the same
label map as `triage train` (data/labelmaps/crisislex-t26.tsv). Every system of the comparison reads these files.

Splits (test events are never seen in training; tuning uses `dev`, carved from the training events of A):
  A      train: 14 events, test: 7 events of all kinds (incl. one Spanish and one Italian event)
  A-dev  train: 11 of A's training events, test: the 3 others (for tuning only)
  B      test: the Spanish and Italian events (Costa Rica, Guatemala, Venezuela, Spain, Sardinia), train: the rest
  R      random 80/20 split of all events (in-domain "retrained" figure), by a hash of the tweet id
  all    every mapped row (what the default model is trained on, with the project examples)
usage: make_splits.py OUTDIR [--crisislex DIR] [--label-map TSV]
"""
import csv, glob, hashlib, json, os, sys

A_TEST = ["2012_Guatemala_earthquake", "2013_Sardinia_floods", "2013_Queensland_floods", "2013_Typhoon_Yolanda",
          "2013_West_Texas_explosion", "2013_Glasgow_helicopter_crash", "2012_Colorado_wildfires"]
A_DEV = ["2012_Venezuela_refinery", "2013_Alberta_floods", "2013_Savar_building_collapse"]
B_TEST = ["2012_Costa_Rica_earthquake", "2012_Guatemala_earthquake", "2012_Venezuela_refinery",
          "2013_Spain_train_crash", "2013_Sardinia_floods"]


def main():
    args = sys.argv[1:]
    out = args[0]
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    cl = os.path.join(root, "data", "crisislex", "t26")
    lm = os.path.join(root, "data", "labelmaps", "crisislex-t26.tsv")
    if "--crisislex" in args: cl = args[args.index("--crisislex") + 1]
    if "--label-map" in args: lm = args[args.index("--label-map") + 1]
    m = {}
    for line in open(lm, encoding="utf-8"):
        if not line.strip() or line.lstrip().startswith("#"): continue
        src, cls = line.rstrip("\n").split("\t")
        m[src.strip().lower()] = cls.strip()
    rows = []
    for f in sorted(glob.glob(os.path.join(cl, "*-tweets_labeled.csv"))):
        ev = os.path.basename(f).replace("-tweets_labeled.csv", "")
        with open(f, encoding="utf-8") as fh:
            r = csv.reader(fh)
            hdr = [h.strip().lower() for h in next(r)]
            ti, it, inf, idc = hdr.index("tweet text"), hdr.index("information type"), hdr.index("informativeness"), hdr.index("tweet id")
            for row in r:
                t = row[it].strip()
                lab = f"Not labeled: {row[inf].strip()}" if t.lower() == "not labeled" else t
                cls = m[lab.lower()]
                if cls == "-": continue
                rows.append({"text": row[ti].strip(), "label": cls, "id": row[idc].strip().strip("'\""), "event": ev})
    events = sorted({r["event"] for r in rows})
    def write(name, pred):
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            n = 0
            for r in rows:
                if pred(r):
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n"); n += 1
        return n
    h = lambda r: int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 5 == 0
    counts = {
        "A-train.jsonl": write("A-train.jsonl", lambda r: r["event"] not in A_TEST),
        "A-test.jsonl": write("A-test.jsonl", lambda r: r["event"] in A_TEST),
        "A-dev-train.jsonl": write("A-dev-train.jsonl", lambda r: r["event"] not in A_TEST and r["event"] not in A_DEV),
        "A-dev-test.jsonl": write("A-dev-test.jsonl", lambda r: r["event"] in A_DEV),
        "B-train.jsonl": write("B-train.jsonl", lambda r: r["event"] not in B_TEST),
        "B-test.jsonl": write("B-test.jsonl", lambda r: r["event"] in B_TEST),
        "R-train.jsonl": write("R-train.jsonl", lambda r: not h(r)),
        "R-test.jsonl": write("R-test.jsonl", h),
        "all.jsonl": write("all.jsonl", lambda r: True),
    }
    print(json.dumps({"events": len(events), "rows": len(rows), **counts}), file=sys.stderr)


if __name__ == "__main__":
    main()
