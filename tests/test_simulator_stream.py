"""`bt-capture simulate` as a process: info on stdout and in a 0600 file; a 1 GiB NSB streams with flat memory."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import psutil
import pytest

from fixtures.nsb import NSB_MAGIC
from simhelpers import api_token, http_client

pytestmark = pytest.mark.xdist_group("sim_stream")
GIB = 1024 ** 3


@pytest.fixture(scope="module")
def cli_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen, dict[str, Any], Path]]:
    info_file = tmp_path_factory.mktemp("sim") / "info.json"
    exe = Path(sys.executable).with_name("bt-capture")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "capture.cli"]),
           "simulate", "--nsb-size", str(GIB), "--no-agreement", "--info-file", str(info_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # stdout carries the info JSON, then stays open while serving
            line = proc.stdout.readline()
            if not line:
                break
            out += line
            if line.rstrip() == "}":
                break
        info = json.loads(out)
        yield proc, info, info_file
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_cli_prints_info_and_writes_private_file(cli_sim: Any) -> None:
    proc, info, info_file = cli_sim
    assert info["appliances"][0]["credentials"]["appliance"]["password"].startswith("CANARY")
    assert json.loads(info_file.read_text()) == info
    assert info_file.stat().st_mode & 0o777 == 0o600
    assert proc.poll() is None


def test_one_gib_backup_streams_with_flat_memory(cli_sim: Any) -> None:
    proc, info, _ = cli_sim
    a = info["appliances"][0]
    server = psutil.Process(proc.pid)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(server.memory_info().rss)
            time.sleep(0.05)

    with http_client(info, timeout=120) as c:
        tok = api_token(c, a["base_url"], a["credentials"]["api"])
        base_rss = server.memory_info().rss
        watcher = threading.Thread(target=sample)
        watcher.start()
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with c.stream("GET", a["base_url"] + "/api/backup", headers={"Authorization": f"Bearer {tok}"}) as r:
                assert r.status_code == 200 and int(r.headers["content-length"]) == GIB
                for chunk in r.iter_raw(1 << 20):
                    if not head:
                        head = chunk[:16]
                    digest.update(chunk)
                    size += len(chunk)
        finally:
            done.set()
            watcher.join()
    assert size == GIB and head.startswith(NSB_MAGIC)
    growth = max(samples) - base_rss
    assert growth < 64 * 1024 ** 2, f"simulator RSS grew by {growth / 1024 ** 2:.0f} MiB while streaming 1 GiB"


def test_bad_cli_arguments_fail_cleanly() -> None:
    exe = Path(sys.executable).with_name("bt-capture")
    r = subprocess.run([str(exe), "simulate", "--drop-setting", "nonsense"], capture_output=True, text=True,
                       timeout=30, env={**os.environ})
    assert r.returncode == 2 and "drop_setting" in r.stderr
