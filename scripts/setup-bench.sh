#!/usr/bin/env bash
# Bench-only extras on top of scripts/setup.sh: shot-scraper (the peer tool) and psutil/pyinstrument in the
# .venv, and shot-scraper pointed at Debian's Chromium. Safe to re-run: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || bash scripts/setup.sh
stamp=.venv/.installed-bench
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ ! -x .venv/bin/shot-scraper ]; then
  echo "setup-bench: installing the bench extra into .venv" >&2
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q -e ".[dev,bench]" </dev/null >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi
# shot-scraper has no executable-path option; --browser chrome looks here (see docs/benchmarks.md).
# It gets the binary bt-capture runs: the headless shell when installed, else chromium.
target=/usr/bin/chromium; [ -x /usr/lib/chromium/chromium-headless-shell ] && target=/usr/lib/chromium/chromium-headless-shell
if [ "$(readlink /opt/google/chrome/chrome 2>/dev/null)" != "$target" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO mkdir -p /opt/google/chrome && $SUDO ln -sf "$target" /opt/google/chrome/chrome
fi
command -v curl >/dev/null 2>&1 || { echo "setup-bench: curl is missing (scripts/setup.sh installs it)" >&2; exit 1; }
