"""Secrets never leave, even from parts of a page the capture did not understand.

The simulator moves its secret panels (SNMP, SMTP, pre-shared key) into same-origin frames, fills them in
after load, or puts them in open and closed shadow roots. A canary sweep searches every output: files, the
PDF's text, the logs, and the OCR of every image. Each of layers 1 (mask), 3 (redact) and 4 (pixel check)
is shown to stop the leak alone, with every other layer switched off; with all of them off the sweep finds
the leak, so it can fail.
"""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from captools import capture, full_sweep, read_images, secrets_of, text_leaks
from capture.layers import Layers
from capture.redact import Redactor, ScrubFilter
from fixtures import SimOptions, Simulator
from fixtures.inventory import write_inventory

pytestmark = pytest.mark.xdist_group("secret-layers")

# Each panel in each wrapper once (a Latin square); in v2 everything is also filled in after load.
VARIANTS = {
    "v1": "snmp=frame,email=shadow-open,psk=shadow-closed",
    "v2": "snmp=shadow-closed+late,email=frame+late,psk=shadow-open+late",
    "v3": "snmp=shadow-open,email=shadow-closed,psk=frame",
}
PANEL_FLOWS = {"appliance.networking.snmp", "appliance.security.email_configuration", "login.management.security"}
TAKE = {"nsb": "none", "certificate": False, "vault_key": False}


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    from capture.ocr import OcrPool

    with OcrPool() as p:
        yield p


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = Simulator(SimOptions(late_ms=800)).start()
    yield s
    s.stop()


def _in_process(sim: Simulator, variant: str, tmp: Path, pool: Any, layers: Layers) -> tuple[Any, list[str], str]:
    """A run with these layers; returns (outcome, secrets, log text as the CLI would print it)."""
    sim.set_secret_panels(VARIANTS[variant])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redactor = Redactor()
    handler.addFilter(ScrubFilter(redactor))  # as the command's log handler has it
    logger = logging.getLogger("bt-capture")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        outcome, env = capture(sim, tmp, ocr=pool, render=True, layers=layers, redactor=redactor, **TAKE)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        sim.set_secret_panels(None)
    return outcome, secrets_of(sim, env), stream.getvalue()


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_no_secret_in_any_output_of_the_command(variant: str, sim: Simulator, pool: Any, tmp_path: Path) -> None:
    """The real command (all layers on): files, PDF text, stdout/stderr at -vv, OCR of every image."""
    sim.set_secret_panels(VARIANTS[variant])
    try:
        inv, env = write_inventory(sim.info(), tmp_path, **TAKE)
        full = {k: v for k, v in os.environ.items() if not k.startswith("BTC_")} | env
        proc = subprocess.run([sys.executable, "-m", "capture.cli", "run", "-i", str(inv), "-vv", "--json"],
                              env=full, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    finally:
        sim.set_secret_panels(None)
    assert proc.returncode == 0, proc.stderr[-3000:]
    secrets = secrets_of(sim, env)
    hits = full_sweep(tmp_path / "out", secrets, pool, logs=proc.stdout + proc.stderr)
    assert hits == [], hits
    import json

    snap = json.loads(next((tmp_path / "out").glob("*/manifest.json")).read_text())
    pages = {p["flow"]: p for p in snap["pages"]}
    for flow in PANEL_FLOWS:  # the ledger says what was masked on each panel page, and why
        ledger = pages[flow]["masking"]
        assert (ledger["masked"] or ledger["gaps"]) and ledger["ocr_checked"], (flow, ledger)
    closed = [f for f, p in pages.items() if any(g["what"] == "closed shadow root" for g in p["masking"]["gaps"])]
    assert len(closed) == 1 and closed[0] in PANEL_FLOWS, closed  # exactly the panel page with a closed root
    html = next((tmp_path / "out").glob("*/dossier.html")).read_text()
    assert "Blacked out whole, not inspected: closed shadow root" in html and "Masked before the screenshot" in html


@pytest.mark.parametrize("variant", ["v1", "v2"])
def test_the_mask_layer_alone_stops_the_leak(variant: str, sim: Simulator, pool: Any, tmp_path: Path) -> None:
    """Layer 1 with its timing half, layer 2 (a mask is painted at one instant; layer 2 makes that instant the
    right one: tests/test_masking.py shows a page changing after masking leaks without it)."""
    outcome, secrets, logs = _in_process(sim, variant, tmp_path, pool, Layers.only("mask", "settle"))
    assert outcome.exit_code == 0, outcome.results[0].snapshot.failures
    assert full_sweep(tmp_path / "out", secrets, pool, logs=logs) == []


@pytest.mark.parametrize("variant", ["v1", "v2"])
def test_the_redact_layer_alone_keeps_every_text_clean(variant: str, sim: Simulator, pool: Any, tmp_path: Path) -> None:
    """Layer 3's job is text: manifest, OCR text and words, dossier HTML, PDF text, logs. The pixels it cannot
    clean; that they show the secret here proves the text was cleaned by layer 3 and by nothing else."""
    outcome, secrets, logs = _in_process(sim, variant, tmp_path, pool, Layers.only("redact"))
    root = tmp_path / "out"
    assert full_sweep(root, secrets, pool, logs=logs, images=False) == []
    assert text_leaks(read_images(root, pool), secrets), "the screenshots were expected to show the panels bare"
    redacted = {p.flow: p.masking.ocr_redacted for p in outcome.results[0].snapshot.pages if p.flow in PANEL_FLOWS}
    assert all(redacted.values()), redacted


@pytest.mark.parametrize("variant", ["v1", "v2"])
def test_the_pixel_check_alone_withholds_what_shows_a_secret(variant: str, sim: Simulator, pool: Any,
                                                            tmp_path: Path) -> None:
    outcome, secrets, logs = _in_process(sim, variant, tmp_path, pool, Layers.only("pixels"))
    snap = outcome.results[0].snapshot
    assert outcome.exit_code == 1
    withheld = {p.flow for p in snap.pages if p.masking and p.masking.withheld}
    assert withheld and withheld <= PANEL_FLOWS, withheld
    for flow in withheld:
        rec = snap.page(flow)
        assert rec.status == "failed" and rec.screenshot is None and rec.ocr is None
        assert any(f.step == flow and "withheld" in f.error for f in snap.failures)
    assert full_sweep(tmp_path / "out", secrets, pool, logs=logs) == []


def test_with_every_layer_off_the_sweep_finds_the_leak(sim: Simulator, pool: Any, tmp_path: Path) -> None:
    outcome, secrets, logs = _in_process(sim, "v1", tmp_path, pool, Layers.only())
    hits = full_sweep(tmp_path / "out", secrets, pool, logs=logs)
    assert any("manifest.json" in h or "words.json" in h for h in hits), hits  # the OCR text, stored bare
    assert any(h.endswith("canary marker") and ".png" in h for h in hits), hits  # and the pixels
