#!/usr/bin/env bash
# Bench-only extras on top of scripts/setup.sh: shot-scraper (the peer tool) and psutil/pyinstrument in the
# .venv, and shot-scraper pointed at Debian's Chromium. Safe to re-run: each step checks first.
# Quiet: one line per step taken; the details go to .setup.log, shown (its tail) only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/steps.sh

[ -x .venv/bin/python ] || bash scripts/setup.sh
stamp=.venv/.installed-bench
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ ! -x .venv/bin/shot-scraper ]; then
  step setup-bench "Python packages: the bench extra (shot-scraper) into .venv" \
    .venv/bin/python -m pip install -e ".[dev,bench]"
  touch "$stamp"
fi
# shot-scraper has no executable-path option; --browser chrome looks here (see docs/benchmarks.md).
# It gets the binary bt-capture runs: the headless shell when installed, else chromium.
target=/usr/bin/chromium; [ -x /usr/lib/chromium/chromium-headless-shell ] && target=/usr/lib/chromium/chromium-headless-shell
link_chrome() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo mkdir -p /opt/google/chrome && $sudo ln -sf "$target" /opt/google/chrome/chrome
}
if [ "$(readlink /opt/google/chrome/chrome 2>/dev/null)" != "$target" ]; then
  step setup-bench "shot-scraper's Chrome: /opt/google/chrome/chrome -> $target" link_chrome
fi
command -v curl >/dev/null 2>&1 || { echo "setup-bench: curl is missing (scripts/setup.sh installs it)" >&2; exit 1; }
