"""The command line on bad input and interruptions: one clear line, the documented exit code, nothing damaged."""
from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from fixtures import SimOptions, Simulator
from fixtures.inventory import write_inventory

pytestmark = pytest.mark.xdist_group("cli")
BT = [sys.executable, "-m", "capture.cli"]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = Simulator(SimOptions(version="25.1", nsb_size=16 * 1024 * 1024, agreement=False)).start()
    yield s
    s.stop()


def bt(args: list[str], env: dict[str, str] | None = None, timeout: float = 240, **kw: Any) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BTC_")}
    full.update(env or {})
    return subprocess.run(BT + args, env=full, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def one_line(p: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in p.stderr, p.stderr
    assert len(lines) == 1, p.stderr
    return lines[0]


def inventory(sim: Simulator, tmp: Path, **kw: Any) -> tuple[Path, dict[str, str]]:
    return write_inventory(sim.info(), tmp, page_timeout=10.0, **kw)


def test_malformed_inventory(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('output = "x"\n[[appliance]\nname = "a"\n')
    p = bt(["run", "-i", str(bad)])
    assert p.returncode == 2
    assert "not valid TOML" in one_line(p)


def test_unknown_key_names_line_and_key(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path)
    text = inv.read_text().replace("[appliance.tls]", "[appliance.tls]\ncafile = \"x.pem\"", 1)
    inv.write_text(text)
    line_no = text.splitlines().index('cafile = "x.pem"') + 1
    p = bt(["run", "-i", str(inv)], env)
    assert p.returncode == 2
    assert re.search(rf"inventory.toml:{line_no}: appliance\[0\]\.tls\.cafile: unknown key", one_line(p)), p.stderr


def test_missing_environment_variable(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path)
    env.pop("BTC_BT1_LOGIN_PASSWORD")
    p = bt(["run", "-i", str(inv)], env)
    assert p.returncode == 2
    assert "BTC_BT1_LOGIN_PASSWORD" in one_line(p)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_secret_written_in_inventory_is_refused(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path)
    inv.write_text(inv.read_text().replace('"env:BTC_BT1_LOGIN_PASSWORD"', '"hunter2hunter2"'))
    p = bt(["run", "-i", str(inv)], env)
    assert p.returncode == 2
    line = one_line(p)
    assert "never written in the inventory" in line and "hunter2" not in line


def test_wrong_passwords_exit_3(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path, nsb="ui")
    env["BTC_BT1_LOGIN_PASSWORD"] = "wrong-password-1"
    env["BTC_BT1_APPLIANCE_PASSWORD"] = "wrong-password-2"
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render"], env)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "refused" in p.stdout
    assert "wrong-password" not in p.stdout + p.stderr


def test_wrong_totp_secret(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path, nsb="ui")
    env["BTC_BT1_TOTP"] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render"], env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "refused the 2FA code" in p.stdout


def test_unreachable_host(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path)
    a = sim.info()["appliances"][0]
    inv.write_text(inv.read_text().replace(f':{a["port"]}"', ':1"'))
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render"], env)
    assert p.returncode == 3
    assert "cannot reach" in p.stdout + p.stderr


def test_untrusted_certificate_needs_insecure(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path, nsb="ui")
    inv.write_text(re.sub(r'ca_file = ".*"', "system = true", inv.read_text()))
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render"], env)
    assert p.returncode == 3
    assert "not trusted" in p.stdout + p.stderr and "--insecure" in p.stdout + p.stderr
    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render", "--insecure", "--json"], env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "--insecure" in p.stdout  # the warning travels with the result


def test_output_not_writable(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path)
    (tmp_path / "afile").write_text("x")
    p = bt(["run", "-i", str(inv), "-o", str(tmp_path / "afile" / "out")], env)
    assert p.returncode == 2
    assert "not writable" in one_line(p)


def test_disk_full_during_a_download(sim: Simulator, tmp_path: Path) -> None:
    """The NSB (16 MiB) cannot be written past an 8 MiB file-size limit: the write fails mid-stream.

    Only the Backup API route is tested this way: bt-capture writes that stream itself. (Chromium, which
    writes UI downloads, is killed by the file-size signal, which is not how a full disk behaves.)
    """
    inv, env = inventory(sim, tmp_path, nsb="api")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024 * 1024, 8 * 1024 * 1024))

    p = bt(["run", "-i", str(inv), "--no-ocr", "--no-render", "--json"], env, preexec_fn=limit)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert re.search(r"login\.backup\.api.*(too large|disk full)", p.stdout, re.I), p.stdout
    out = tmp_path / "out"
    assert not list(out.rglob("*.nsb")) and not list(out.rglob("*.part"))
    assert list(out.rglob("*.p12")) and list(out.rglob("*vault*"))


def test_ctrl_c_leaves_nothing_looking_complete(sim: Simulator, tmp_path: Path) -> None:
    inv, env = inventory(sim, tmp_path, nsb="ui")
    full = {k: v for k, v in os.environ.items() if not k.startswith("BTC_")} | env
    proc = subprocess.Popen(BT + ["run", "-i", str(inv), "--no-ocr", "--no-render"], env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out = tmp_path / "out"
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.partial/pages/*.png")) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines and "interrupted" in lines[-1] and "Traceback" not in stderr
    # Only the hidden .partial folder: no snapshot folder pretends to be finished.
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    assert not list(out.rglob("manifest.json"))
