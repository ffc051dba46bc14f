"""bench/run.py --quick runs every benchmark at tiny sizes and writes every table (the numbers are not checked)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simhelpers import CHROMIUM, require_tool

pytestmark = pytest.mark.xdist_group("bench")
ROOT = Path(__file__).resolve().parents[1]
HEADINGS = ["1. One appliance, end to end", "2. Peer tool: shot-scraper", "3. OCR: serial against the worker pool",
            "4. Fleet scaling", "5. Large NSB backups against curl", "6. Diff of two full snapshots",
            "7. Binder of a large output root", "Profile of the slowest stage", "8. Session archive: one busy day against curl"]


def test_quick_bench_writes_every_table(tmp_path: Path) -> None:
    for tool in (CHROMIUM, "tesseract", "curl", str(Path(sys.executable).with_name("shot-scraper")),
                 "/opt/google/chrome/chrome"):
        require_tool(tool)  # shot-scraper and the chrome link come from `bash scripts/setup-bench.sh`
    out = tmp_path / "benchmarks.md"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out),
                           "--work", str(tmp_path / "work")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    for part in ("## Machine", "| CPU |", "| Chromium |", "| tesseract |", "| Playwright (Python) |", "## Method"):
        assert part in text
    blocks = re.findall(r"<!-- bench:(\w+) -->(.*?)<!-- /bench:\1 -->", text, re.S)
    assert [name for name, _ in blocks] == ["e2e", "peer", "ocr", "fleet", "nsb", "diff", "binder", "profile", "archive"]
    for heading, (name, body) in zip(HEADINGS, blocks):
        assert f"## {heading}" in body, name
        if name != "profile":
            rows = [line for line in body.splitlines() if line.startswith("| ") and "---" not in line]
            assert len(rows) >= 3, f"{name}: no table rows"
    assert text.count("functions by own time") >= 1
    assert not (tmp_path / "work").exists()  # the scratch folder (screenshots, backups) is removed
    assert "did not run" not in text
