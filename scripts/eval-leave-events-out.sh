#!/usr/bin/env bash
# Leave-events-out evaluation of triage against two peers (scikit-learn TF-IDF + LinearSVC, fastText) on the same
# splits of CrisisLex T26, plus the project's held-out set. Prints a table of macro-F1.
#   scripts/eval-leave-events-out.sh            (all splits)
#   SPLITS="A B" scripts/eval-leave-events-out.sh
# Needs Python 3 (a venv is made under ${VENV:-/root/.cache/triage-venv} with scikit-learn, fasttext-wheel, numpy).
# TRIAGE is the command that runs `triage` (default: the release build of this repository).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-/root/.cache/triage-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q scikit-learn fasttext-wheel numpy
fi
PY="$VENV/bin/python"
TRIAGE=${TRIAGE:-"cargo run -q --release --"}
OUT=${OUT:-$(mktemp -d)}
SPLITS=${SPLITS:-"A B R P"}
"$PY" scripts/baselines/make_splits.py "$OUT" 2>/dev/null
mf1() { "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print("%.4f" % d["macro_f1"])'; }
printf "%-34s %8s %8s %8s\n" "split (test)" triage svm fasttext
for s in $SPLITS; do
  case $s in
    A) name="A: 7 unseen events"; train=("$OUT/A-train.jsonl"); test="$OUT/A-test.jsonl" ;;
    B) name="B: unseen es/it events"; train=("$OUT/B-train.jsonl"); test="$OUT/B-test.jsonl" ;;
    R) name="R: random 80/20 (retrained)"; train=("$OUT/R-train.jsonl"); test="$OUT/R-test.jsonl" ;;
    P) name="P: project held-out set"
       proj=(data/train/project/*.jsonl)
       # The default model's recipe: CrisisLex T26 + the project examples three times (they are few).
       train=("$OUT/all.jsonl" "${proj[@]}" "${proj[@]}" "${proj[@]}")
       cat data/eval/project/*.jsonl > "$OUT/P-test.jsonl"; test="$OUT/P-test.jsonl" ;;
    *) echo "unknown split $s" >&2; exit 2 ;;
  esac
  $TRIAGE train --data "${train[@]}" --out "$OUT/$s.model" 2>"$OUT/$s.train.log"
  t=$($TRIAGE eval --model "$OUT/$s.model" --data "$test" --json 2>/dev/null | mf1)
  v=$("$PY" scripts/baselines/sklearn_tfidf_svm.py --train "${train[@]}" --test "$test" --json | mf1)
  f=$("$PY" scripts/baselines/fasttext_baseline.py --train "${train[@]}" --test "$test" --json | mf1)
  printf "%-34s %8s %8s %8s\n" "$name" "$t" "$v" "$f"
done
echo "(work files in $OUT)"
