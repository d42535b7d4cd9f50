#!/usr/bin/env bash
# The whole test suite, from a fresh machine with only the Rust toolchain: installs what the tests need
# (headless Chromium for the dashboard tests), then format check, clippy, and every test of the workspace.
# The tests start their own Kafka-protocol broker (embedded tansu) and fake platform servers.
set -euo pipefail
cd "$(dirname "$0")/.."

# A build cache outside the clone survives between runs (CI clones afresh); a fresh machine just builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/triage-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash scripts/install-test-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked --no-fail-fast
