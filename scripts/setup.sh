#!/usr/bin/env bash
# Install what is missing for bt-capture on Debian: system packages, then the .venv.
# Safe to re-run: each step checks first. Runs non-interactively (CI has no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium  >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/lib/chromium/chromium-headless-shell ] || need+=(chromium-headless-shell)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v openssl   >/dev/null 2>&1 || need+=(openssl)
command -v curl      >/dev/null 2>&1 || need+=(curl)
# The archive catalog's tests start a throwaway PostgreSQL server (Debian keeps initdb/pg_ctl off PATH).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation2 ] || [ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation2)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip </dev/null >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]" </dev/null 2>&1 | { grep -vE "^WARNING: Location|^\s*$" || true; }
  touch "$stamp"
fi
