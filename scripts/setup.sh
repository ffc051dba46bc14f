#!/usr/bin/env bash
# Install what is missing for bt-capture on Debian: system packages, then the .venv.
# Safe to re-run: each step checks first. Runs non-interactively (CI has no stdin).
# Quiet: one line per step taken; the details go to .setup.log, shown (its tail) only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/steps.sh

need=()
command -v chromium  >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/lib/chromium/chromium-headless-shell ] || need+=(chromium-headless-shell)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
[ -n "$(find /usr/share -path '*tessdata/eng.traineddata' -print -quit 2>/dev/null)" ] || need+=(tesseract-ocr-eng)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v openssl   >/dev/null 2>&1 || need+=(openssl)
command -v curl      >/dev/null 2>&1 || need+=(curl)
command -v git       >/dev/null 2>&1 || need+=(git)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v npm       >/dev/null 2>&1 || need+=(npm)  # axe-core for the accessibility test
# The archive catalog's tests start a throwaway PostgreSQL server (Debian keeps initdb/pg_ctl off PATH).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation2 ] || [ -d /usr/share/fonts/truetype/liberation ] || need+=(fonts-liberation2)

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # && throughout: `step` runs this in an || list, where set -e does not stop at a failed command.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
if [ ${#need[@]} -gt 0 ]; then
  step setup "system packages: apt-get install ${need[*]}" apt_install "${need[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  step setup "virtual environment: .venv ($("$PY" --version 2>&1))" "$PY" -m venv .venv
fi

pip_install() {
  .venv/bin/python -m pip install --upgrade pip &&
    .venv/bin/python -m pip install -e ".[dev]"
}
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  step setup "Python packages: bt-capture (editable) and its dev extras into .venv" pip_install
  touch "$stamp"
fi

# axe-core, pinned in tests/axe/package-lock.json, for tests/test_accessibility.py. Installed once: a machine
# that has it (or npm's cache of it) needs no network; the version check catches a changed pin.
axe=tests/axe/node_modules/axe-core/package.json
want=$(sed -n 's/.*"axe-core": *"\([0-9.]*\)".*/\1/p' tests/axe/package.json)
if [ ! -f "$axe" ] || ! grep -q "\"version\": *\"$want\"" "$axe"; then
  step setup "axe-core $want (npm, pinned) into tests/axe" \
    npm ci --prefix tests/axe --prefer-offline --no-audit --no-fund --loglevel=error
fi
