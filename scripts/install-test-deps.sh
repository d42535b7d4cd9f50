#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust: a headless Chromium and its WebDriver, for the dashboard's
# browser tests (crates/triage-gateway/tests/browser.rs). Idempotent: does nothing when Chromium is present.
# Debian/Ubuntu only (apt-get); run as root (CI images) or with sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "install-test-deps: chromium and chromedriver already installed ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
    exit 0
fi

echo "install-test-deps: installing chromium and chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core

/usr/bin/chromium --version
/usr/bin/chromedriver --version
