#!/usr/bin/env bash
# Bench-only extras: shot-scraper (peer tool) pointed at Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q -e ".[dev,bench]" </dev/null
if [ ! -e /opt/google/chrome/chrome ]; then
  mkdir -p /opt/google/chrome && ln -sf /usr/bin/chromium /opt/google/chrome/chrome
fi
