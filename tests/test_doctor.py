"""`bt-capture doctor`: passes here; each missing dependency gives one clear line with its install command, exit 2."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import simhelpers
from capture.doctor import distribution, install

pytestmark = pytest.mark.xdist_group("doctor")
TOOLS = {"tesseract": "tesseract", "pdftotext": "pdftotext", "fonts": "fc-list"}  # check name -> the program


def doctor(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BTC_")} | (env or {})
    return subprocess.run([sys.executable, "-m", "capture.cli", "doctor", *args], env=full, cwd=cwd,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def marks(p: subprocess.CompletedProcess[str], mark: str) -> list[str]:
    assert "Traceback" not in p.stderr, p.stderr
    return [ln for ln in p.stdout.splitlines() if ln.startswith(mark)]


def only_missing(p: subprocess.CompletedProcess[str], name: str) -> str:
    """Exactly one ✗ line, for `name`, naming the command that installs it; exit code 2."""
    bad = marks(p, "✗")
    assert p.returncode == 2, p.stdout + p.stderr
    assert len(bad) == 1 and bad[0].startswith(f"✗ {name}: "), p.stdout
    assert "; install: " in bad[0], bad[0]
    assert p.stdout.splitlines()[-1] == f"doctor: 1 missing ({name})", p.stdout
    return bad[0]


@pytest.fixture(scope="module")
def tools_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Links to the three programs doctor looks up on PATH, to take away one at a time."""
    for program in TOOLS.values():
        simhelpers.require_tool(program)
    folder = tmp_path_factory.mktemp("bin")
    for program in TOOLS.values():
        (folder / program).symlink_to(shutil.which(program))  # type: ignore[arg-type]
    return folder


def test_doctor_passes_on_this_machine(tmp_path: Path) -> None:
    simhelpers.require_tool(simhelpers.CHROMIUM)
    for program in TOOLS.values():
        simhelpers.require_tool(program)
    p = doctor("-o", str(tmp_path / "out"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert marks(p, "✗") == []
    ok = {ln.split(":")[0][2:] for ln in marks(p, "✓")}
    assert {"browser", "tesseract", "pdftotext", "fonts", "output"} <= ok, p.stdout
    browser = next(ln for ln in marks(p, "✓") if ln.startswith("✓ browser"))
    assert f"at {simhelpers.CHROMIUM} (the default), launched headless in" in browser
    assert "English language data (eng)" in p.stdout
    assert not (tmp_path / "out").exists()  # checked, not made
    assert p.stdout.splitlines()[-1] == "doctor: everything bt-capture needs is here"


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_each_missing_program_is_one_line(name: str, tools_bin: Path, tmp_path: Path) -> None:
    path = tmp_path / "bin"
    path.mkdir()
    for program in TOOLS.values():
        if program != TOOLS[name]:
            (path / program).symlink_to((tools_bin / program).resolve())
    line = only_missing(doctor(env={"PATH": str(path)}), name)
    assert "not found on PATH" in line and "apt-get install -y " in line  # this machine is Debian


def test_an_empty_path_misses_every_program() -> None:
    p = doctor(env={"PATH": ""})
    assert p.returncode == 2
    assert [ln.split(":")[0] for ln in marks(p, "✗")] == ["✗ tesseract", "✗ pdftotext", "✗ fonts"], p.stdout
    assert "tesseract-ocr" in p.stdout and "poppler-utils" in p.stdout and "fonts-liberation2" in p.stdout


def test_a_missing_browser_path(tmp_path: Path) -> None:
    line = only_missing(doctor(env={"BTC_CHROMIUM": str(tmp_path / "chromium")}), "browser")
    assert f"no Chromium at {tmp_path / 'chromium'} (BTC_CHROMIUM)" in line and "chromium-headless-shell" in line


def test_a_browser_that_does_not_start(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    fake.chmod(0o755)
    line = only_missing(doctor("--browser", str(fake)), "browser")
    assert f"{fake} (--browser) did not start: " in line


def test_missing_english_language_data(tmp_path: Path) -> None:
    simhelpers.require_tool("tesseract")
    line = only_missing(doctor(env={"TESSDATA_PREFIX": str(tmp_path)}), "tesseract")
    assert "no English language data (eng.traineddata in" in line and "tesseract-ocr-eng" in line


def test_no_usable_fonts(tmp_path: Path) -> None:
    simhelpers.require_tool("fc-list")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{tmp_path}</dir><cachedir>{tmp_path}/cache</cachedir>'
                    "</fontconfig>\n")
    line = only_missing(doctor(env={"FONTCONFIG_FILE": str(conf)}), "fonts")
    assert "neither Liberation Sans nor DejaVu Sans is installed" in line and "fonts-dejavu-core" in line


def test_keyring_is_needed_only_when_the_inventory_names_it(tmp_path: Path) -> None:
    inv = tmp_path / "sites.toml"
    inv.write_text(f'output = "{tmp_path / "out"}"\n[[appliance]]\nname = "bt1"\nurl = "https://127.0.0.2"\n'
                   '[appliance.secrets]\nlogin_password = "keyring:bt-capture/bt1"\n')
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    line = only_missing(doctor("-i", str(inv), env=no_keyring), "keyring")
    assert "the inventory names keyring: secrets" in line and "gnome-keyring" in line
    assert f"✓ output: {tmp_path / 'out'} is writable" in doctor("-i", str(inv), env=no_keyring).stdout
    p = doctor(env=no_keyring)  # no inventory: a note, not a failure
    assert p.returncode == 0 and marks(p, "! keyring: no usable OS keyring backend"), p.stdout


def test_an_output_folder_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    line = only_missing(doctor("-o", str(tmp_path / "file" / "out")), "output")
    assert f"{tmp_path / 'file' / 'out'} cannot be made: {tmp_path / 'file'} is not a folder" in line


def test_a_bad_inventory_is_one_line_exit_2(tmp_path: Path) -> None:
    p = doctor("-i", str(tmp_path / "nope.toml"))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == f"bt-capture: {tmp_path / 'nope.toml'}: inventory file not found"


@pytest.mark.parametrize("text, family, browser, tesseract", [
    ('ID=debian\nVERSION_ID="12"\n', "debian", "apt-get install -y chromium-headless-shell", "tesseract-ocr "),
    ('ID=ubuntu\nID_LIKE=debian\n', "ubuntu", "playwright install chromium-headless-shell", "apt-get install -y "),
    ('ID=fedora\n', "fedora", "dnf install -y chromium-headless", "tesseract-langpack-eng"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora", "dnf install -y chromium-headless", "dnf install -y "),
    ('ID=arch\n', "arch", "pacman -S --needed chromium", "tesseract-data-eng"),
    ('ID=gentoo\n', "", "chromium-headless-shell (Debian's package names", "tesseract-ocr"),
])
def test_install_commands_per_distribution(tmp_path: Path, text: str, family: str, browser: str,
                                           tesseract: str) -> None:
    (tmp_path / "os-release").write_text(text)
    assert distribution(tmp_path / "os-release") == family
    assert browser in install("browser", family) and tesseract in install("tesseract", family)
