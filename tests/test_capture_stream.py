"""A 2 GiB NSB through the Backup API is streamed to disk: the capture process's memory stays flat."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import psutil
import pytest

from captools import capture
from capture.verify import sha256_file

pytestmark = pytest.mark.xdist_group("capture-stream")
SIZE = 2 * 1024 ** 3


class _SimProcess:
    """The simulator in its own process, so its memory and CPU are not ours."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.info_file = tmp / "info.json"
        self.proc = subprocess.Popen([sys.executable, "-m", "capture.cli", "simulate", "--info-file", str(self.info_file),
                                      *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not self.info_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"simulator did not start: {self.proc.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
        self._info = json.loads(self.info_file.read_text())

    def info(self) -> dict:
        return self._info

    def events(self, kind: str = "destructive") -> list:
        return []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture()
def big_sim(tmp_path: Path) -> Iterator[_SimProcess]:
    sim = _SimProcess(tmp_path, "--nsb-size", str(SIZE), "--no-agreement")
    yield sim
    sim.stop()


def test_two_gib_backup_api_in_constant_memory(big_sim: _SimProcess, tmp_path: Path) -> None:
    me = psutil.Process(os.getpid())
    base = me.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], me.memory_info().rss)
            time.sleep(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        outcome, _ = capture(big_sim, tmp_path / "cap", nsb="api", certificate=False, vault_key=False)
    finally:
        done.set()
        t.join()
    r = outcome.results[0]
    art = r.snapshot.artifact("nsb", "api")
    assert art is not None, r.snapshot.failures
    assert art.size == SIZE
    path = r.folder / art.path
    assert path.stat().st_size == SIZE and oct(path.stat().st_mode & 0o777) == "0o600"
    assert sha256_file(path) == art.sha256
    growth = (peak[0] - base) / 1e6
    assert growth < 100, f"RSS grew by {growth:.0f} MB while streaming 2 GiB"
