#!/usr/bin/env bash
# Speed of triage-classify (criterion, one thread, classify + extract) against the scikit-learn peer's
# prediction rate on the same corpus, in the same run. Prints both and the ratio (goal: >= 150,000 posts/s and
# >= 25x the peer).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-/root/.cache/triage-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q scikit-learn fasttext-wheel numpy
fi
peer=$("$VENV/bin/python" scripts/baselines/sklearn_predict_rate.py | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["posts_per_sec"])')
log=$(mktemp)
cargo bench -q -p triage-classify --bench classify -- 'classify/' 2>&1 | tee "$log" >&2
# criterion prints "thrpt:  [low mid high]"; take the middle estimate of classify+extract (the first one).
ours=$(grep -m1 "thrpt:" "$log" | sed -E 's/.*\[([0-9.]+ [KM]?elem\/s) ([0-9.]+) ([KM]?)elem\/s.*/\2 \3/' | awk '{m=1; if ($2=="K") m=1e3; if ($2=="M") m=1e6; printf "%.0f", $1*m}')
python3 -c "o=$ours; p=$peer; print(f'triage-classify: {o:,.0f} posts/s   scikit-learn peer: {p:,.0f} posts/s   ratio: {o/p:.1f}x')"
