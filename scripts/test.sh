#!/usr/bin/env bash
# The whole test suite, from a fresh machine with only the Rust toolchain: installs what the tests need
# (headless Chromium for the dashboard tests), then format check, clippy, and every test of the workspace.
# The tests start their own Kafka-protocol broker (embedded tansu) and fake platform servers.
set -euo pipefail
cd "$(dirname "$0")/.."

# A build cache outside the clone survives between runs (CI clones afresh); a fresh machine just builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/triage-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental state only pays off for edit-compile loops; here it would double the cache on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Every changed build leaves its old test binaries in the cache, and a full disk kills the linker
# (SIGBUS) halfway through. Start from an empty cache when it has grown past its bound or the disk is short.
cache_limit_gb="${TRIAGE_CACHE_LIMIT_GB:-15}"
need_free_gb="${TRIAGE_NEED_FREE_GB:-10}"
if [ -d "$CARGO_TARGET_DIR" ]; then
    cache_gb=$(du -s --block-size=1G "$CARGO_TARGET_DIR" | cut -f1)
    free_gb=$(df --output=avail --block-size=1G "$CARGO_TARGET_DIR" | tail -1 | tr -d ' ')
    echo "== build cache $CARGO_TARGET_DIR: ${cache_gb} GB, ${free_gb} GB free on its disk"
    if [ "$cache_gb" -gt "$cache_limit_gb" ] || [ "$free_gb" -lt "$need_free_gb" ]; then
        echo "== clearing the build cache (bound ${cache_limit_gb} GB, need ${need_free_gb} GB free)"
        rm -rf "$CARGO_TARGET_DIR"
    fi
fi
mkdir -p "$CARGO_TARGET_DIR"
free_gb=$(df --output=avail --block-size=1G "$CARGO_TARGET_DIR" | tail -1 | tr -d ' ')
if [ "$free_gb" -lt "$need_free_gb" ]; then
    echo "warning: only ${free_gb} GB free for the build; a clean build of the suite takes about 4 GB" >&2
fi

bash scripts/install-test-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked --no-fail-fast
