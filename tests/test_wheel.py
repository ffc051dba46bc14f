"""The built wheel on its own: in a fresh venv outside the checkout it runs demo, simulate, flows, verify, doctor."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

import simhelpers

pytestmark = pytest.mark.xdist_group("wheel")
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("capture", "flows", "reports", "fixtures")
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "out", "demo-out",
                                "bench-out", ".pytest_cache", "*.p12", "*.pfx", "*.nsb", "*.key", "*.pem")


def _sources() -> list[str]:
    """The files a clean clone holds under the four packages (git's list when there is one, else the folders)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *PACKAGES], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        return sorted(p for p in out.splitlines() if (ROOT / p).is_file())
    except (OSError, subprocess.CalledProcessError):
        return sorted(str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)


def _env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("BTC_", "BT_"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Build the wheel from a copy of the checkout, install it with --no-deps into a new venv.

    The venv reaches the project's dependencies through a .pth line naming this .venv's site-packages: a plain
    sys.path entry, so the editable install's own .pth (which maps the checkout) is not run there.
    """
    root = tmp_path_factory.mktemp("wheel")
    src, dist, venv, run = root / "src", root / "dist", root / "venv", root / "run"
    shutil.copytree(ROOT, src, ignore=IGNORE)  # a clean tree: no stale build/ folder can reach the wheel
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src), "-w", str(dist)],
                           capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "absent from the `packages` configuration" not in build.stderr, build.stderr[-3000:]
    wheel = next(dist.glob("bt_capture-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                   "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "_bt_capture_deps.pth").write_text("".join(f"{d}\n" for d in sorted(deps)))
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                              "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert install.returncode == 0, install.stderr[-3000:]
    run.mkdir()
    yield {"wheel": wheel, "venv": venv, "run": run, "bin": venv / "bin" / "bt-capture", "purelib": purelib}


def bt(installed: dict[str, Path], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(installed["bin"]), *args], cwd=installed["run"], env=_env(), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_wheel_holds_every_file_of_the_packages(installed: dict[str, Path]) -> None:
    with zipfile.ZipFile(installed["wheel"]) as z:
        names = set(z.namelist())
    missing = [p for p in _sources() if p not in names]
    assert not missing, missing
    for data in ("fixtures/templates/v23/appliance.html", "fixtures/templates/v25/macros.html",
                 "fixtures/static/ui.js", "reports/templates/dossier.html.j2", "reports/templates/report.css",
                 "flows/labels.toml", "flows/diff_rules.toml", "flows/extract.js"):
        assert data in names, data


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(installed: dict[str, Path]) -> None:
    code = ("import json, sys, importlib.metadata as md, capture, flows, reports, fixtures; "
            "print(json.dumps({'files': [m.__file__ for m in (capture, flows, reports, fixtures)], "
            "'path': sys.path, 'version': md.version('bt-capture')}))")
    p = subprocess.run([str(installed["venv"] / "bin" / "python"), "-c", code], cwd=installed["run"], env=_env(),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    for f in data["files"]:
        assert Path(f).is_relative_to(installed["purelib"]), f
    for entry in data["path"]:
        where = Path(entry or installed["run"]).resolve()
        assert where != ROOT and not (where / "capture" / "cli.py").is_file() or where == installed["purelib"], entry
    assert data["version"] == "0.1.0"
    assert bt(installed, "--version").stdout.strip().endswith("0.1.0")


def test_doctor_finds_everything(installed: dict[str, Path]) -> None:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    p = bt(installed, "doctor", "-o", "out")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "✗" not in p.stdout and "✓ browser: Chromium" in p.stdout and "✓ output: " in p.stdout


def test_flows_lists_both_interfaces(installed: dict[str, Path]) -> None:
    p = bt(installed, "flows")
    assert p.returncode == 0, p.stderr
    assert "appliance.networking.snmp" in p.stdout and "Networking > SNMP" in p.stdout
    assert "/login" in p.stdout and "/appliance" in p.stdout


def test_simulate_serves_the_version_templates(installed: dict[str, Path]) -> None:
    """fixtures/templates/vNN and fixtures/static ship: each version's pages and their assets answer 200."""
    for version in ("23.3", "25.1"):
        info_file = installed["run"] / f"sim-{version}.json"
        proc = subprocess.Popen([str(installed["bin"]), "simulate", "--version", version, "--info-file", str(info_file)],
                                cwd=installed["run"], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not (info_file.is_file() and info_file.stat().st_size) and proc.poll() is None:
                assert time.monotonic() < deadline, "simulate wrote no info file"
                time.sleep(0.1)
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            info = json.loads(info_file.read_text())
            appl = simhelpers.appliance_of(info)
            with simhelpers.http_client(info) as c:
                for url in (appl["appliance_url"], appl["login_url"]):
                    r = c.get(url, follow_redirects=True)
                    assert r.status_code == 200, (version, url, r.status_code, r.text[:300])
                    assert f'class="bt{version[:2]}' in r.text and "<form" in r.text, (version, url)
                    assets = re.findall(r'(?:href|src)="(/res/[^"]+)"', r.text)
                    assert len(assets) >= 2, r.text[:500]  # a stylesheet and a script from fixtures/static
                    for asset in assets:
                        got = c.get(appl["base_url"] + asset)
                        assert got.status_code == 200 and len(got.content) > 100, (version, asset)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert proc.returncode in (0, 130, -signal.SIGINT), proc.returncode


def test_demo_is_complete_and_verifies(installed: dict[str, Path]) -> None:
    """`bt-capture demo` from the wheel, with a relative --out: both dossiers, the diff and the binder; then verify."""
    simhelpers.require_tool(simhelpers.CHROMIUM)
    simhelpers.require_tool("tesseract")
    run = installed["run"]
    p = bt(installed, "demo", "--out", "demo-out", timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    rows = [ln.split()[:2] for ln in p.stdout.splitlines() if ln.startswith("bt")]
    assert rows == [["bt1", "complete"], ["bt2", "complete"]], p.stdout
    assert "✗" not in p.stdout, p.stdout  # no failed step (OCR legibility notes, "!", are not failures)
    assert "diff bt1 ↔ bt2: the peers are consistent" in p.stdout
    assert "destructive actions seen by the simulator: 0" in p.stdout
    snaps = run / "demo-out" / "snapshots"
    assert len(list(snaps.glob("*/dossier.pdf"))) == 2 and (snaps / "index.html").is_file()
    assert (snaps / "diff_bt1__bt2" / "diff.pdf").is_file()
    shown = re.findall(r"(\S+\.html)", p.stdout)
    assert len(shown) == 4 and all((run / s).is_file() for s in shown), p.stdout
    folders = sorted(m.parent for m in snaps.glob("*/manifest.json"))
    assert len(folders) == 2
    for folder in folders:
        manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
        assert manifest["failures"] == [] and manifest["pages"], folder
        assert all(pg["status"] == "ok" for pg in manifest["pages"]), folder
        got = {(a["kind"], a["obtained"] if a["kind"] == "nsb" else "") for a in manifest["artifacts"]}
        assert got == {("p12", ""), ("nsb", "api"), ("nsb", "ui"), ("vault_key", "")}, got
        assert all(a["verification"]["verdict"] == "pass" for a in manifest["artifacts"]), folder
        v = bt(installed, "verify", str(folder.relative_to(run)))
        assert v.returncode == 0, v.stdout[-3000:] + v.stderr[-3000:]
        assert v.stdout.splitlines()[-1].endswith(": verified"), v.stdout
        assert "✗" not in v.stdout, v.stdout
